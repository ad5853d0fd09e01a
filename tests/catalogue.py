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
    """None when `module` imports, else why it cannot run here (a reason for pytest's skip)."""
    try:
        __import__(module)
    except ImportError as error:
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
