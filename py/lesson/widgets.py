"""The Python side of the lesson's widgets: numbers in, JSON-ready dicts out, all from the engine.

The page draws these dicts and never computes a number itself. `initial_state()` is what the build
embeds for the first paint; `explore_grid()` (every explore setting) comes in its own data block, read
after the first paint; once Python runs in the page, the widgets call the same functions live.
"""

from autodiff import Value
from autodiff.trace import trace
from lesson.broadcasting import broadcast_start
from lesson.checks import finite_number, whole_number
from lesson.playground import initial_state as playground_initial_state
from lesson.steps import accumulation, backward_pass, forward_pass, gradient_table
from lesson.training import train_neuron
from lesson.wording import number

# The stepped widgets' input sliders, by widget: each starts at the lesson's setting, and its range keeps
# every number finite and readable (the largest, c = (3x + 1)**2 at x = 3, is 100).
STEPPED_SLIDERS = {
    "forward_steps": [{"name": "x", "min": -3.0, "max": 3.0, "step": 0.5, "value": 2.0}],
    "compute_graph": [{"name": "x", "min": -3.0, "max": 3.0, "step": 0.5, "value": 2.0},
                      {"name": "w", "min": -2.0, "max": 2.0, "step": 0.1, "value": 0.5},
                      {"name": "b", "min": -1.0, "max": 1.0, "step": 0.1, "value": 0.1}],
    "grad_accumulation": [{"name": "a", "min": -5.0, "max": 5.0, "step": 0.5, "value": 3.0}],
}
TARGET = 0.8  # compute-graph's target: a constant, so it gets no gradient
# The explore widget's sliders: a and b in [-5, 5] in steps of 0.5, starting at a = 2, b = 3.
EXPLORE_SLIDER = {"min": -5.0, "max": 5.0, "step": 0.5}
EXPLORE_START = {"a": 2.0, "b": 3.0}
# The lesson's neuron: input 2, target 0.8, starting from w = 0.3, b = 0.1.
NEURON = {"x": 2.0, "target": 0.8, "w": 0.3, "b": 0.1}
NEURON_START = {"lr": 0.5, "steps": 20}
# The nn-backprop layer's inputs at the lesson's setting: a 2×2 weight, a 2×1 input, bias and target.
LAYER = {"W": [[0.5, -0.3], [0.2, 0.4]], "x": [[1.0], [2.0]],
         "b": [[0.2], [-0.1]], "t": [[0.5], [0.2]]}
# Each entry of the layer's inputs gets a slider: its range by tensor (tanh's outputs, and so the
# target, lie in (-1, 1)), and the group of sliders it sits in, named for what the tensor is.
LAYER_RANGES = {"W": (-2.0, 2.0), "x": (-3.0, 3.0), "b": (-1.0, 1.0), "t": (-1.0, 1.0)}
LAYER_GROUPS = {"W": "W, the weights (a parameter)", "x": "x, the input", "b": "b, the bias (a parameter)",
                "t": "t, the target"}


def _layer_sliders():
    """A slider per entry of W, x, b and t: "W12" is labelled "W row 1, column 2"; a column's "x2", "x row 2"."""
    sliders = []
    for tensor, rows in LAYER.items():
        low, high = LAYER_RANGES[tensor]
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                key, label = (f"{tensor}{i + 1}{j + 1}", f"{tensor} row {i + 1}, column {j + 1}") if len(row) > 1 else (
                    f"{tensor}{i + 1}", f"{tensor} row {i + 1}")
                sliders.append({"name": key, "label": label, "group": LAYER_GROUPS[tensor], "tensor": tensor,
                                "row": i, "column": j, "min": low, "max": high, "step": 0.1, "value": value})
    return sliders


STEPPED_SLIDERS["nn_backprop"] = _layer_sliders()


def _stepped(root, per_path=False, mark_params=False):
    """Run backward from `root` and return its trace with the forward and backward steps."""
    root.backward()
    graph = trace(root)
    return {"trace": graph, "forward": forward_pass(graph),
            "backward": backward_pass(graph, per_path=per_path, mark_params=mark_params)}


def _settings(widget, **values):
    """The checked slider settings of a stepped widget, {name: float}; ValueError names a bad one by its label."""
    return {slider["name"]: finite_number(slider.get("label", slider["name"]), values[slider["name"]],
                                          low=slider["min"], high=slider["max"])
            for slider in STEPPED_SLIDERS[widget]}


def _with_sliders(widget, settings, result):
    """A stepped widget's result with its sliders and the setting it was computed for."""
    return {"sliders": STEPPED_SLIDERS[widget], "settings": settings, **result}


def _default(widget, name):
    """The lesson's setting of one slider."""
    return next(s["value"] for s in STEPPED_SLIDERS[widget] if s["name"] == name)


def _labelled(node, label):
    """Give an op node its lesson name, so the trace's id and the texts use it."""
    node.label = label
    return node


def forward_steps(x=_default("forward_steps", "x")):
    """a = x * 3 -> b = a + 1 -> c = b**2, stepped; at x = 2: values 6, 7, 49, then gradients 1, 14, 14, 42."""
    settings = _settings("forward_steps", x=x)
    x = Value(settings["x"], label="x")
    a = _labelled(x * 3, "a")
    b = _labelled(a + 1, "b")
    c = _labelled(b ** 2, "c")
    return _with_sliders("forward_steps", settings, _stepped(c))


def compute_graph(x=_default("compute_graph", "x"), w=_default("compute_graph", "w"), b=_default("compute_graph", "b")):
    """loss = (w*x + b - target)**2, target = 0.8 a constant; at x = 2, w = 0.5, b = 0.1: loss 0.09."""
    settings = _settings("compute_graph", x=x, w=w, b=b)
    x = Value(settings["x"], label="x")
    w = Value(settings["w"], label="w")
    b = Value(settings["b"], label="b")
    target = Value(TARGET, label="target", requires_grad=False)
    z1 = _labelled(w * x, "z1")
    z2 = _labelled(z1 + b, "z2")
    diff = _labelled(z2 - target, "diff")
    loss = _labelled(diff ** 2, "loss")
    return _with_sliders("compute_graph", settings, _stepped(loss))


def grad_accumulation(a=_default("grad_accumulation", "a")):
    """c = a * a: each of the two paths adds a, so ∂c/∂a = a + a = 2a (at a = 3: 3 + 3 = 6)."""
    settings = _settings("grad_accumulation", a=a)
    a = Value(settings["a"], label="a")
    c = _labelled(a * a, "c")
    return _with_sliders("grad_accumulation", settings, _stepped(c, per_path=True))


def neuron_training(lr=NEURON_START["lr"], steps=NEURON_START["steps"]):
    """The lesson's training run of y = tanh(w*x + b) towards 0.8: each step's w, b, y, loss and gradients."""
    lr = finite_number("learning rate", lr, low=0.001, high=10.0)
    steps = whole_number("number of steps", steps, low=1, high=200)
    history = train_neuron(lr=lr, steps=steps, **NEURON)
    return {**NEURON, "lr": lr, "steps": steps, "history": history,
            "losses": [record["loss"] for record in history]}


def explore(a, b):
    """c = (a + b) * b with its trace, a row per gradient explaining it, b's two paths with their shares
    (lesson.steps.accumulation: "5 via ×", "3 via +", "5 + 3 = 8") and ∂c/∂b = a + 2b in numbers."""
    a = finite_number("a", a)
    b = finite_number("b", b)
    a_v = Value(a, label="a")
    b_v = Value(b, label="b")
    total = _labelled(a_v + b_v, "sum")
    c = _labelled(total * b_v, "c")
    c.backward()
    graph = trace(c)
    return {"a": a, "b": b, "trace": graph, "rows": gradient_table(graph), "paths": accumulation(graph),
            "insight": (f"∂c/∂a = b = {number(a_v.grad)}, and ∂c/∂b = a + 2b = {number(a)} + 2 × {number(b)}"
                        f" = {number(b_v.grad)}: b appears twice, so its gradient has two parts.")}


def explore_key(a, b):
    """The key of one slider setting in the explore grid, '2,3' or '-4.5,0.5' (as JavaScript prints numbers)."""
    return f"{a:g},{b:g}"


def explore_start():
    """The explore widget's first paint: its sliders and the result at the starting setting."""
    return {"slider": EXPLORE_SLIDER, "start": EXPLORE_START, "result": explore(**EXPLORE_START)}


def explore_grid():
    """{explore_key(a, b): explore(a, b)} for every slider setting, so the widget works before Python has booted."""
    count = round((EXPLORE_SLIDER["max"] - EXPLORE_SLIDER["min"]) / EXPLORE_SLIDER["step"]) + 1
    ticks = [EXPLORE_SLIDER["min"] + i * EXPLORE_SLIDER["step"] for i in range(count)]
    return {explore_key(a, b): explore(a, b) for a in ticks for b in ticks}


def nn_backprop(**entries):
    """y = tanh(W @ x + b), L = sum((y - t)**2) on the Tensor engine, at the setting of its entry sliders
    ("W12": W row 1, column 2; unset ones at the lesson's setting): steps, with W and b marked for update."""
    names = [slider["name"] for slider in STEPPED_SLIDERS["nn_backprop"]]
    unknown = sorted(set(entries) - set(names))
    if unknown:
        raise TypeError(f"nn_backprop has no input {unknown[0]!r}; its inputs are {', '.join(names)}")
    settings = _settings("nn_backprop", **{**{name: _default("nn_backprop", name) for name in names}, **entries})
    try:
        from autodiff.tensor import Tensor
    except ImportError as error:
        raise ImportError(f"nn-backprop needs the Tensor engine, which needs NumPy: {error}") from None
    inputs = {tensor: [list(row) for row in rows] for tensor, rows in LAYER.items()}
    for slider in STEPPED_SLIDERS["nn_backprop"]:
        inputs[slider["tensor"]][slider["row"]][slider["column"]] = settings[slider["name"]]
    W = _labelled(Tensor(inputs["W"], requires_grad=True), "W")
    x = _labelled(Tensor(inputs["x"]), "x")
    b = _labelled(Tensor(inputs["b"], requires_grad=True), "b")
    t = _labelled(Tensor(inputs["t"]), "t")
    z1 = _labelled(W @ x, "z1")
    z2 = _labelled(z1 + b, "z2")
    y = _labelled(z2.tanh(), "y")
    diff = _labelled(y - t, "diff")
    square = _labelled(diff ** 2, "sq")
    loss = _labelled(square.sum(), "L")
    return {"inputs": inputs, **_with_sliders("nn_backprop", settings, _stepped(loss, mark_params=True))}


def initial_state():
    """What the page's widgets need for their first paint, by widget name (the explore grid is not in it:
    see explore_grid)."""
    return {
        "forward-steps": forward_steps(),
        "compute-graph": compute_graph(),
        "grad-accumulation": grad_accumulation(),
        "neuron-training": neuron_training(),
        "explore": explore_start(),
        "nn-backprop": nn_backprop(),
        "broadcast": broadcast_start(),
        "playground": playground_initial_state(),
    }
