"""Checks of the learner's training loop (Task 5): the lesson's neuron trained with the learner's own Value.

The losses of `train(x, target, w, b, lr, steps)` must be the engine's run (lesson.training) step for
step, at the lesson's setting and at others. When they are not, the typical mistakes (gradients not
cleared between steps, a step along the gradient, a parameter never updated, no learning rate) are
replayed on the engine, and one that gives exactly the learner's losses is named.
"""

from autodiff import Value as EngineValue
from lesson.tasks.probes import Mistake, agrees, at, is_number, random_points, shown
from lesson.training import train_neuron
from lesson.widgets import NEURON, NEURON_START

PARAMETERS = ("x", "target", "w", "b", "lr", "steps")
LESSON_SETTING = {**NEURON, **NEURON_START}
OTHER_SETTING = {"x": -1.5, "target": -0.3, "w": 0.2, "b": -0.4, "lr": 0.1, "steps": 8}
MISTAKES = {
    "stale": "That is what training gives when the gradients are not cleared each step: w.grad and b.grad "
             "keep adding up every step's gradient (call loss.zero_grad() before loss.backward()).",
    "ascent": "That is what training gives when it steps along the gradient, uphill: subtract lr * grad.",
    "no-lr": "That is what training gives when each step is the whole gradient: multiply it by lr.",
    "w-only": "That is what training gives when b is never updated.",
    "b-only": "That is what training gives when w is never updated.",
}


def settings(rng):
    """The lesson's run, one with a negative input and target, and a random one."""
    x, target, w, b = random_points(rng, 4, low=-1.0, high=1.0)
    return [LESSON_SETTING, OTHER_SETTING, {"x": 2 * x, "target": target * 0.9, "w": w, "b": b, "lr": 0.2, "steps": 6}]


def check_train(learner, rng):
    """`train` reproduces the engine's losses at every setting. Returns (checks made, the learner's losses at
    the lesson's setting as [{step, loss}] for the chart, or None when they are not a list of numbers)."""
    train = learner.namespace.get("train")
    if not callable(train):
        raise Mistake("Your code defines no function train(x, target, w, b, lr, steps): keep the one the task starts with")
    chart = None
    count = 0
    for setting in settings(rng):
        call = f"train({at(**setting)})"
        got = learner.call(call, train, *(setting[name] for name in PARAMETERS))
        losses = _losses(call, got, setting["steps"])
        if setting is LESSON_SETTING:
            chart = [{"step": step, "loss": loss} for step, loss in enumerate(losses)]
        try:
            _compare(call, losses, setting)
        except Mistake as mistake:
            mistake.chart = chart  # the learner sees the curve the wrong losses draw
            raise
        count += len(losses)
    return count, chart


def _losses(call, got, steps):
    """The learner's losses as a list of `steps` floats, or a Mistake saying what `train` returned instead."""
    if not isinstance(got, (list, tuple)):
        raise Mistake(f"{call} returned {type(got).__name__}; it should return the list of losses, one per step")
    if len(got) != steps:
        raise Mistake(f"{call} returned {len(got)} losses; it should return {steps}, one per step")
    for step, loss in enumerate(got):
        if not is_number(loss):
            kind = type(loss).__name__
            raise Mistake(f"{call}: the loss of step {step} is a {kind}, not a number"
                          + (": append loss.data, the number it holds" if kind == "Value" else ""))
    return [float(loss) for loss in got]


def _compare(call, losses, setting):
    """The learner's losses agree with the engine's run step for step; else a Mistake naming the first step that
    does not, and the typical mistake that gives these losses exactly, if one does."""
    want = [record["loss"] for record in train_neuron(**setting)]
    step = next((i for i, (g, w) in enumerate(zip(losses, want)) if not agrees(g, w)), None)
    if step is None:
        return
    message = (f"{call} gave a loss of {shown(losses[step])} at step {step}; it should be {shown(want[step])} "
               "(the engine's run from the same start).")
    if step == 0:
        message += " Step 0 comes before any update, so the forward pass is off: y = tanh(w*x + b), loss = (y - target)**2."
    else:
        diagnosis = next((text for mistake, text in MISTAKES.items()
                          if all(agrees(g, s) for g, s in zip(losses, _replayed(setting, mistake)))), None)
        agreeing = "Step 0 agrees" if step == 1 else f"Steps 0 to {step - 1} agree"
        message += " " + (diagnosis or f"{agreeing}, so the update after step {step - 1} went wrong.")
    raise Mistake(message, details="The engine's losses: " + ", ".join(shown(loss) for loss in want) + ".")


def _replayed(setting, mistake):
    """The losses of the lesson's training loop on the engine, done with `mistake`."""
    x, target, w, b, lr, steps = (setting[name] for name in PARAMETERS)
    losses, sum_w, sum_b = [], 0.0, 0.0
    for _ in range(steps):
        w_v, b_v = EngineValue(w), EngineValue(b)
        loss = ((w_v * x + b_v).tanh() - target) ** 2
        loss.backward()
        losses.append(loss.data)
        sum_w, sum_b = sum_w + w_v.grad, sum_b + b_v.grad
        grad_w, grad_b = (sum_w, sum_b) if mistake == "stale" else (w_v.grad, b_v.grad)
        rate = {"ascent": -lr, "no-lr": 1.0}.get(mistake, lr)
        if mistake != "b-only":
            w -= rate * grad_w
        if mistake != "w-only":
            b -= rate * grad_b
    return losses
