"""The build-your-own-Value track: five tasks in which the learner writes a Value class, checked against the engine.

    check_task(name, source) -> {"task", "verdict": "pass" | "fail", "message", "details", "output", "chart"}

The learner's code runs in a fresh notebook each time (lesson.tasks.sandbox), and each task's checks
also run those of the tasks before it, since its code holds theirs. A check fails with a message that
says what was wrong and where ("d(a*b)/da at a=2, b=-3 came out 2.0; it should be b = -3.0"); `details`
adds the engine's numbers, central differences or a traceback, `output` is what the code printed, and
`chart` the losses of the training task, for the page to draw. The starters and solutions are in
lesson.tasks.sources; `initial_state()` gives the page each task's hints and solution.
"""

import ast
import random
import re
from dataclasses import dataclass

from lesson.tasks.backprop import GRAPHS, check_backward, check_zero_grad
from lesson.tasks.ops import add_mul_cases, check_cases, check_leaf, more_ops_cases
from lesson.tasks.probes import Mistake, shown
from lesson.tasks.sandbox import Learner
from lesson.tasks.sources import BLANK, solution, starter
from lesson.tasks.training import LESSON_SETTING, check_train

MAX_SOURCE_CHARS = 50_000


@dataclass(frozen=True)
class Task:
    """One task: its checks (the learner's Value class, a random source, the learner -> (checks made, chart)),
    what a pass says, and its hints, shown one at a time (`code` in backquotes)."""

    check: object
    passed: str
    hints: tuple


def _add_mul(learner, value_class, rng):
    return check_leaf(learner, value_class) + check_cases(learner, value_class, add_mul_cases(rng)), None


def _more_ops(learner, value_class, rng):
    count, _ = _add_mul(learner, value_class, rng)
    return count + check_cases(learner, value_class, more_ops_cases(rng)), None


def _backward(learner, value_class, rng):
    count, _ = _more_ops(learner, value_class, rng)
    return count + check_backward(learner, value_class, rng), None


def _accumulate(learner, value_class, rng):
    count, _ = _backward(learner, value_class, rng)
    return count + check_zero_grad(learner, value_class, rng), None


def _train(learner, value_class, rng):
    count, _ = _accumulate(learner, value_class, rng)
    checks, chart = check_train(learner, rng)
    return count + checks, chart


TASKS = {
    "add-mul": Task(_add_mul, "+ and * give the right data, inputs and local derivatives at random points, "
                              "with a constant on either side, a negative input and a node used twice.", (
        "The data of `a + b` is `self.data + other.data`; the data of `a * b` is the product `self.data * other.data`.",
        "A local derivative asks: if this input moves a little, how much does the output move? A sum moves one "
        "for one with each input, so both are `1.0`.",
        "Moving a by h moves a * b by h * b: d(a*b)/da = b, which is `other.data` here, and d(a*b)/db = a, `self.data`.",
    )),
    "more-ops": Task(_more_ops, "tanh, exp and ** give the right data and local derivatives too: at 0, at negative "
                                "and saturating inputs, with whole, fractional and negative powers.", (
        "The derivative of tanh is 1 - tanh². The output `t` is already computed, so the local derivative is `1 - t ** 2`.",
        "exp is its own derivative: the local derivative is the output, `e`.",
        "The power rule: d(a**n)/da = n * a**(n - 1), written `n * self.data ** (n - 1)`.",
    )),
    "backward": Task(_backward, f"backward() gives every input the engine's gradient on {len(GRAPHS)} graphs at "
                                "random points, including inputs and intermediate nodes used more than once.", (
        "In `visit`, call `visit(child)` for each input: the recursion puts all of a node's inputs in the order "
        "before the node itself.",
        "The output's gradient with respect to itself is 1: `self.grad = 1.0` seeds the backward pass.",
        "Go through the order backwards, `reversed(self._topo())`: a node's grad is complete once every node "
        "that uses it has passed its share on.",
        "The chain rule: what reaches an input through this node is the local derivative times the node's own "
        "grad, `local * node.grad`.",
    )),
    "accumulate": Task(_accumulate, "A node used two or three times gets every path's share, and zero_grad() lets "
                                    "backward() run again from clean gradients.", (
        "zero_grad must reach the same nodes as backward: `for node in self._topo():`.",
        "Set each node's gradient back to zero, `node.grad = 0.0`, and leave its data alone.",
    )),
    "train": Task(_train, "", (
        "The neuron is `(w * x + b).tanh()`, and the loss `(y - target) ** 2`: your own Value does the work.",
        "Clear the last step's gradients before `loss.backward()`: `loss.zero_grad()`. Without it, `w.grad` keeps "
        "adding up every step's gradient.",
        "Gradient descent steps against the gradient: `w.data -= lr * w.grad`, and the same for b.",
    )),
}


def check_task(name, source, seed=None):
    """Check the learner's `source` for task `name` (random points drawn from `seed`, fresh if None): a dict the
    page shows, `verdict` "pass" or "fail" and a `message` that says what was wrong and where."""
    if name not in TASKS:
        raise ValueError(f"there is no task {name!r}; the tasks are {', '.join(TASKS)}")
    if not isinstance(source, str):
        raise TypeError(f"a task's code must be text, not {type(source).__name__}")
    result = {"task": name, "verdict": "fail", "message": "", "details": "", "output": "", "chart": None}
    try:
        _refuse_unfinished(source)
    except Mistake as mistake:
        return {**result, "message": mistake.message}
    learner = Learner(source, name)
    with learner.checking():
        checked = _checked(TASKS[name], learner, random.Random(seed))
    changed = learner.patched()
    result.update(checked, output=learner.printed_text())
    if changed:
        result.update(verdict="fail", message=_patched(changed), details=result["message"])
    return result


def _checked(task, learner, rng):
    """The verdict, message, details and chart of running `task`'s checks on the learner's code."""
    try:
        if learner.error:
            raise _failed_to_run(learner.error)
        value_class = learner.namespace.get("Value")
        if not isinstance(value_class, type):
            raise Mistake("Your code defines no class named Value" if value_class is None
                          else f"Value is a {type(value_class).__name__} in your code; it should be the class")
        count, chart = task.check(learner, value_class, rng)
    except Mistake as mistake:
        return {"verdict": "fail", "message": mistake.message, "details": mistake.details, "chart": mistake.chart}
    message = task.passed if chart is None else _trained(chart)
    return {"verdict": "pass", "message": f"All {count} checks pass. {message}", "chart": chart}


def _refuse_unfinished(source):
    """A Mistake if the code is too long or still holds a blank (BLANK), naming the lines."""
    if len(source) > MAX_SOURCE_CHARS:
        raise Mistake(f"Your code is {len(source):,} characters long; a task's code may be at most {MAX_SOURCE_CHARS:,}")
    lines = _blank_lines(source)
    if lines:
        where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
        raise Mistake(f"Fill in the blanks first: {BLANK} is still on {where}.")


def _blank_lines(source):
    """The numbers of the lines where BLANK stands as a name (not in a comment or a string)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # unfinished code: look for the blank in the text (running it will say where)
        return [number for number, line in enumerate(source.splitlines(), 1)
                if re.search(rf"(?<!\w){BLANK}(?!\w)", line.split("#")[0])]
    return sorted({node.lineno for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == BLANK})


def _failed_to_run(error):
    """The Mistake for code that raised when it ran (a SyntaxError's message already names its line)."""
    traceback = error["traceback"]
    line = re.findall(r'File "<cell [^"]*>", line (\d+)', traceback)
    where = f" (line {line[-1]})" if line and error["type"] != "SyntaxError" else ""
    return Mistake(f"Your code raised {error['type']} when it ran: {error['message']}{where}", details=traceback)


def _trained(chart):
    """What a passed training task says: the lesson's run from its first loss to its last."""
    first, last = chart[0]["loss"], chart[-1]["loss"]
    return (f"Your Value trains the neuron: its {len(chart)} losses at learning rate {LESSON_SETTING['lr']} match "
            f"the engine's run, from {shown(first)} down to {shown(last)}, and so do runs at two other settings.")


def _patched(changed):
    """The message for code that replaced something the page shares with it."""
    named = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    return (f"Your code replaced {named}, which the page's own engine and widgets use too. It has been put back: "
            "use Python's functions as they are, and write a function of your own where you want another.")


def initial_state():
    """What the page needs of the tasks before Python runs: each task's hints and solution, and the track's order."""
    return {"task": {name: {"hints": list(task.hints), "solution": solution(name)} for name, task in TASKS.items()},
            "task-progress": {"tasks": list(TASKS)}}


__all__ = ["TASKS", "check_task", "initial_state", "starter", "solution"]
