"""One catalogue of scalar test functions, run on every engine and checked against one reference.

Each function uses only operators and methods (`x.tanh()`, `2.5 / x`), so the same lambda runs
on our Value, on PyTorch and on our Tensor. The reference is independent of every engine: the
forward value from plain `math` in float64 (`Ref`), the gradient from central differences of it.

To add an engine, append one `Engine` to ENGINES:
    Engine(name, run, missing)
where `run(fn, xs)` builds one input per float in xs, computes `fn(*inputs)`, runs backward and
returns `(output as float, [gradient of each input as float])`, and `missing` is None, or the
reason it cannot run here (the tests then skip with that reason).
"""

import math
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

from autodiff import Value
from autodiff.gradcheck import central_difference

WIDE = (-3.0, 3.0)
POSITIVE = (0.2, 4.0)


@dataclass(frozen=True)
class Case:
    """A test function and, per argument, the interval its inputs are drawn from."""

    name: str
    fn: Callable
    domain: tuple


CATALOGUE = [
    # Each operation, with a Value on both sides and with a plain number on either side.
    Case("add", lambda x, y: x + y, (WIDE, WIDE)),
    Case("sub", lambda x, y: x - y, (WIDE, WIDE)),
    Case("mul", lambda x, y: x * y, (WIDE, WIDE)),
    Case("div", lambda x, y: x / y, (WIDE, POSITIVE)),
    Case("div_negative_divisor", lambda x, y: x / -y, (WIDE, POSITIVE)),
    Case("add_number", lambda x: x + 2.5, (WIDE,)),
    Case("radd_number", lambda x: 2.5 + x, (WIDE,)),
    Case("sub_number", lambda x: x - 2.5, (WIDE,)),
    Case("rsub_number", lambda x: 2.5 - x, (WIDE,)),
    Case("mul_number", lambda x: x * 2.5, (WIDE,)),
    Case("rmul_number", lambda x: 2.5 * x, (WIDE,)),
    Case("div_number", lambda x: x / 2.5, (WIDE,)),
    Case("rdiv_number", lambda x: 2.5 / x, (POSITIVE,)),
    Case("neg", lambda x: -x, (WIDE,)),
    Case("square", lambda x: x ** 2, (WIDE,)),
    Case("cube", lambda x: x ** 3, (WIDE,)),
    Case("float_integer_power", lambda x: x ** 2.0, (WIDE,)),
    Case("zeroth_power", lambda x: x ** 0, (WIDE,)),
    Case("inverse_square", lambda x: x ** -2, (POSITIVE,)),
    Case("square_root", lambda x: x ** 0.5, (POSITIVE,)),
    Case("tanh", lambda x: x.tanh(), (WIDE,)),
    Case("relu_positive", lambda x: x.relu(), ((0.01, 3.0),)),
    Case("relu_negative", lambda x: x.relu(), ((-3.0, -0.01),)),
    Case("exp", lambda x: x.exp(), ((-5.0, 5.0),)),
    Case("log", lambda x: x.log(), ((0.05, 10.0),)),
    Case("sigmoid", lambda x: x.sigmoid(), ((-8.0, 8.0),)),
    # Compositions: reuse (gradients add up), and the lesson's own expressions.
    Case("reuse_square", lambda x: x * x, (WIDE,)),
    Case("sum_times_second", lambda x, y: (x + y) * y, (WIDE, WIDE)),
    Case("chain_3x_plus_1_squared", lambda x: (x * 3 + 1) ** 2, (WIDE,)),
    Case("squared_error", lambda w, x, b: (w * x + b - 0.8) ** 2, (WIDE, WIDE, WIDE)),
    Case("neuron_loss", lambda w, b: ((w * 2.0 + b).tanh() - 0.8) ** 2, (WIDE, WIDE)),
    Case("softmax_first", lambda x, z: x.exp() / (x.exp() + z.exp()), (WIDE, WIDE)),
    Case("mixed", lambda x, y: (x * y + x.tanh()) / (y.exp() + 1), (WIDE, WIDE)),
    Case("log_of_sigmoid", lambda x, y: (x * y).sigmoid().log() - y / (x * x + 1), (WIDE, WIDE)),
    Case("relu_layer", lambda x, y: (x * 2 + y * -1 + 10).relu() * (x - y), (WIDE, WIDE)),
]


@dataclass(frozen=True)
class Engine:
    """An autodiff engine as the catalogue sees it: run(fn, xs) -> (value, gradients)."""

    name: str
    run: Callable
    missing: Optional[str] = None


def run_value(fn, xs):
    """fn on our scalar Value."""
    inputs = [Value(x) for x in xs]
    out = fn(*inputs)
    out.backward()
    return out.data, [node.grad for node in inputs]


def missing(module, why):
    """None when `module` imports, else why it cannot run here (a reason for pytest's skip): NumPy is not
    installed. Any other import error is a bug, raised here."""
    try:
        __import__(module)
    except ModuleNotFoundError as error:
        if error.name != "numpy":
            raise
        return f"{module} is not available here ({error}); {why}"
    return None


TENSOR_MISSING = missing("autodiff.tensor", "the Tensor engine needs NumPy and autodiff/tensor.py")


def run_torch(fn, xs):
    """fn on PyTorch float64 scalars; an input fn never used has no grad, i.e. zero."""
    import torch
    inputs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*inputs)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in inputs]


def run_tensor(fn, xs):
    """fn on our Tensor, as float64 0-d tensors; an input fn never used has no grad, i.e. zero."""
    import numpy as np
    from autodiff import Tensor
    inputs = [Tensor(x, requires_grad=True, dtype=np.float64) for x in xs]
    out = fn(*inputs)
    out.backward()
    return out.item(), [0.0 if t.grad is None else t.grad.item() for t in inputs]


ENGINES = [
    Engine("value", run_value),
    Engine("tensor", run_tensor, TENSOR_MISSING),
    Engine("torch", run_torch, missing("torch", "PyTorch is an optional reference")),
]


def engine_params():
    """ENGINES as pytest parameters; an engine that cannot run here is skipped with its reason."""
    return [pytest.param(engine, id=engine.name,
                         marks=[pytest.mark.skip(reason=engine.missing)] if engine.missing else [])
            for engine in ENGINES]


class Ref:
    """A float64 number with the engines' operators and method names, computed by `math` alone."""

    __slots__ = ("x",)

    def __init__(self, x):
        self.x = float(x)

    def __add__(self, other): return Ref(self.x + _float(other))
    def __radd__(self, other): return Ref(_float(other) + self.x)
    def __sub__(self, other): return Ref(self.x - _float(other))
    def __rsub__(self, other): return Ref(_float(other) - self.x)
    def __mul__(self, other): return Ref(self.x * _float(other))
    def __rmul__(self, other): return Ref(_float(other) * self.x)
    def __truediv__(self, other): return Ref(self.x / _float(other))
    def __rtruediv__(self, other): return Ref(_float(other) / self.x)
    def __pow__(self, p): return Ref(self.x ** p)
    def __neg__(self): return Ref(-self.x)
    def tanh(self): return Ref(math.tanh(self.x))
    def relu(self): return Ref(max(self.x, 0.0))
    def exp(self): return Ref(math.exp(self.x))
    def log(self): return Ref(math.log(self.x))
    def sigmoid(self): return Ref(1.0 / (1.0 + math.exp(-self.x)))


def _float(x):
    """A Ref or a plain number as a float."""
    return x.x if isinstance(x, Ref) else float(x)


def reference(fn, xs):
    """fn's value in float64 from `math`, and its gradient by central differences of that."""
    def evaluate(*point):
        return fn(*map(Ref, point)).x
    return evaluate(*xs), central_difference(evaluate, xs, eps=1e-6)


def check(engine, case, xs):
    """Assert that engine's value and every gradient of case at xs match the reference."""
    value, grads = engine.run(case.fn, xs)
    want_value, want_grads = reference(case.fn, xs)
    assert value == pytest.approx(want_value, rel=1e-12, abs=1e-12), f"{case.name} value at {xs}"
    assert len(grads) == len(xs)
    for i, (got, want) in enumerate(zip(grads, want_grads)):
        # Central differences are exact to about eps^2 * f''' + 1e-16 * |f| / eps.
        assert got == pytest.approx(want, rel=1e-5, abs=1e-6), f"{case.name} d/dx{i} at {xs}"


# The autograd behaviours the lesson's PyTorch part teaches, run on every engine: each scenario
# takes an engine's Kit and returns what it observed, so one expected answer holds for all engines.

@dataclass(frozen=True)
class Kit:
    """One engine's spelling of leaves, no_grad, backward's seed, and how to read a node."""

    name: str
    leaf: Callable  # leaf(x, requires_grad=True) -> a scalar node holding x
    no_grad: Callable  # the engine's no_grad: a context manager and a decorator
    seed: Callable  # seed(g) -> what the engine's backward(gradient) takes for the number g
    number: Callable  # number(node) -> its data as a float
    has_history: Callable  # has_history(node) -> whether autograd can go back from it
    missing: Optional[str] = None

    def grad(self, node):
        """The node's gradient as a float, None where the engine holds none."""
        return None if node.grad is None else float(node.grad)


def _value_kit():
    from autodiff import Value, no_grad
    return Kit("value", lambda x, requires_grad=True: Value(x, requires_grad=requires_grad), no_grad,
               float, lambda node: node.data, lambda node: bool(node._prev))


def _tensor_kit():
    import numpy as np
    from autodiff.tensor import Tensor, no_grad
    return Kit("tensor", lambda x, requires_grad=True: Tensor(x, requires_grad=requires_grad, dtype=np.float64),
               no_grad, float, lambda node: node.item(), lambda node: bool(node._prev))


def _torch_kit():
    import torch
    return Kit("torch", lambda x, requires_grad=True: torch.tensor(x, dtype=torch.float64, requires_grad=requires_grad),
               torch.no_grad, lambda g: torch.tensor(g, dtype=torch.float64), lambda node: node.item(),
               lambda node: node.grad_fn is not None)


KITS = [("value", _value_kit, None), ("tensor", _tensor_kit, TENSOR_MISSING),
        ("torch", _torch_kit, missing("torch", "PyTorch is an optional reference"))]


def kit_params(names=("value", "tensor", "torch")):
    """KITS (those named) as pytest parameters, each building its Kit when the test runs; missing engines skip."""
    return [pytest.param(make, id=name, marks=[pytest.mark.skip(reason=why)] if why else [])
            for name, make, why in KITS if name in names]


def detach_scenario(kit):
    """loss = y * y.detach() with y = 2x: only the attached factor carries the gradient back (2 * 6, not 24)."""
    x = kit.leaf(3.0)
    y = x * 2
    z = y.detach()
    loss = y * z
    loss.backward()
    return {"z": kit.number(z), "z.requires_grad": z.requires_grad, "z has history": kit.has_history(z),
            "y.requires_grad": y.requires_grad, "x.grad": kit.grad(x)}


def no_grad_scenario(kit):
    """Inside no_grad results are constants, also from a leaf that requires grad; the mode is restored after."""
    x = kit.leaf(2.0)
    with kit.no_grad():
        inside = x * 3 + x
    after = x * 3
    try:
        with kit.no_grad():
            raise KeyError("leaving the block by an exception")
    except KeyError:
        pass
    after_error = x * 3
    return {"inside": kit.number(inside), "inside.requires_grad": inside.requires_grad,
            "inside has history": kit.has_history(inside), "after.requires_grad": after.requires_grad,
            "after an exception": after_error.requires_grad}


def no_grad_decorator_scenario(kit):
    """no_grad() and bare no_grad as decorators: the function's results are constants, the caller's are not."""
    @kit.no_grad()
    def square(v):
        return v * v

    @kit.no_grad
    def cube(v):
        return v * v * v

    x = kit.leaf(2.0)
    return {"square": kit.number(square(x)), "square.requires_grad": square(x).requires_grad,
            "cube.requires_grad": cube(x).requires_grad, "name kept": square.__name__,
            "outside.requires_grad": (x * x).requires_grad}


def backward_gradient_scenario(kit):
    """backward(gradient) seeds the pass: every gradient is scaled by it, and leaves add it up."""
    x = kit.leaf(2.0)
    y = x ** 3
    y.backward(kit.seed(0.5))  # 0.5 * 3x^2
    first = kit.grad(x)
    leaf = kit.leaf(1.0)
    leaf.backward(kit.seed(2.0))
    leaf.backward(kit.seed(3.0))
    return {"x.grad": first, "a leaf's own seeds add up": kit.grad(leaf)}


def constants_scenario(kit):
    """An operation on constants alone is a constant: no history, and backward from it is refused."""
    c = kit.leaf(2.0, requires_grad=False)
    d = c * 3 + c
    try:
        d.backward()
        refused = None
    except RuntimeError as error:
        refused = type(error).__name__
    return {"d": kit.number(d), "d.requires_grad": d.requires_grad, "d has history": kit.has_history(d),
            "backward": refused}


def accumulation_scenario(kit):
    """Leaves add up gradients across backward() calls until zeroed (the lesson's pitfall 1)."""
    x = kit.leaf(2.0)
    (x ** 2).backward()
    (x ** 2).backward()
    return {"x.grad": kit.grad(x)}


SEMANTICS = [
    (detach_scenario, {"z": 6.0, "z.requires_grad": False, "z has history": False, "y.requires_grad": True,
                       "x.grad": 12.0}),
    (no_grad_scenario, {"inside": 8.0, "inside.requires_grad": False, "inside has history": False,
                        "after.requires_grad": True, "after an exception": True}),
    (no_grad_decorator_scenario, {"square": 4.0, "square.requires_grad": False, "cube.requires_grad": False,
                                  "name kept": "square", "outside.requires_grad": True}),
    (backward_gradient_scenario, {"x.grad": 6.0, "a leaf's own seeds add up": 5.0}),
    (constants_scenario, {"d": 8.0, "d.requires_grad": False, "d has history": False, "backward": "RuntimeError"}),
    (accumulation_scenario, {"x.grad": 8.0}),
]
