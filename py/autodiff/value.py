"""Value: a scalar that remembers how it was computed, so backward() can apply the chain rule.

Pure Python (no NumPy), so it runs on Pyodide's core alone. Each operation computes its
result and its local derivatives d(out)/d(input) together, in the forward pass, and stores
them in `_local`; backward() is then one generic loop that multiplies and adds. A result that
joins no graph (see below) needs no derivatives: where one could fail, it is not computed.

Domain policy (follows `math`; no operation returns inf or nan from finite inputs):
  - log(x) with x <= 0, and x ** p with x < 0 and p not an integer: ValueError.
  - a / 0, 0 ** p with p < 0, and a derivative that is infinite (d/dx x**0.5 at 0):
    ZeroDivisionError.
  - a result or a local derivative too large for a float (exp(1000), 1e200 * 1e200,
    10.0 ** 400), or a gradient that overflows during backward(): OverflowError.
  - data, an exponent or a gradient that is not a finite real number (str, None, complex,
    a bool, nan, a Tensor): TypeError or ValueError naming it; one too large for a float
    (10**400): OverflowError naming it.
relu'(0) is taken as 0, as in micrograd and PyTorch. Under no_grad(), or on constants alone,
only values are computed, so an operation whose derivative alone is undefined gives its value
(0.0 ** 0.5 is 0.0, 1 / 1e-300 about 1e300); a value outside the domain still raises as above.

Which results join the graph, as in PyTorch (and Tensor): an operation whose inputs are all
constants (requires_grad False), or any operation inside `no_grad()`, gives a constant with no
inputs; `detach()` gives a constant with the same data.
"""

import math
import numbers
import sys

from autodiff import grad_mode
from autodiff.graph import FREE_DEPTH, LoopFreed, topo_order

_new = object.__new__
MIX_ERROR = "cannot mix Value and Tensor: use Tensor for both, or Value for both"  # both engines say it


class Value:
    """A scalar node: `data`, `grad` (d root / d self after backward), and its inputs.

    `-` and `/` are primitive operations (one node each) rather than `a + (-b)` and
    `a * b**-1`: a learner's graph of exp(x) / (exp(x) + exp(z)) shows the four nodes
    they wrote, and fewer nodes also make the engine faster.
    """

    __slots__ = ("data", "grad", "label", "requires_grad", "_op", "_prev", "_local", "_reach")
    # NumPy must hand `array + value` to Value.__radd__, which refuses it, instead of quietly making
    # an array of Values (a graph per element).
    __array_ufunc__ = None

    def __init__(self, data, label="", requires_grad=True):
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._op = ""
        self._prev = ()
        self._local = ()
        self._reach = 0

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    # Binary operations: the result and d(out)/d(each input), side by side.

    def __add__(self, other):
        """f(x, y) = x + y; df/dx = 1, df/dy = 1."""
        other = other if isinstance(other, Value) else _constant(other)
        return _op_node(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __radd__(self, other):
        """f(c, x) = c + x for a plain number c."""
        return _constant(other) + self

    def __sub__(self, other):
        """f(x, y) = x - y; df/dx = 1, df/dy = -1."""
        other = other if isinstance(other, Value) else _constant(other)
        return _op_node(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __rsub__(self, other):
        """f(c, x) = c - x for a plain number c."""
        return _constant(other) - self

    def __mul__(self, other):
        """f(x, y) = x * y; df/dx = y, df/dy = x."""
        other = other if isinstance(other, Value) else _constant(other)
        return _op_node(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __rmul__(self, other):
        """f(c, x) = c * x for a plain number c."""
        return _constant(other) * self

    def __truediv__(self, other):
        """f(x, y) = x / y; df/dx = 1/y, df/dy = -x/y^2 = -f/y."""
        other = other if isinstance(other, Value) else _constant(other)
        y = other.data
        if y == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data} / 0")
        out = self.data / y
        local = ()
        if _records(self, other):
            d_dx, d_dy = 1.0 / y, -out / y
            if d_dx - d_dx or d_dy - d_dy:  # inf - inf is nan, which is truthy
                raise OverflowError(f"the derivative of {self.data} / {y} overflows")
            local = (d_dx, d_dy)
        return _op_node(out, (self, other), local, "/")

    def __rtruediv__(self, other):
        """f(c, x) = c / x for a plain number c."""
        return _constant(other) / self

    def __pow__(self, p):
        """f(x) = x ** p for a plain number p; df/dx = p * x^(p-1)."""
        p = _exponent(p)
        x = self.data
        if x < 0.0 and p != math.floor(p):
            raise ValueError(f"{x} ** {p} is not a real number (negative base, non-integer exponent)")
        if x == 0.0 and p < 0:
            raise ZeroDivisionError(f"0 ** {p}: zero cannot be raised to a negative power")
        try:
            out = x ** p
        except OverflowError:
            raise OverflowError(f"{x} ** {p} overflows") from None
        local = ()
        if _records(self):
            try:
                # d/dx x**0 is 0 everywhere; computing 0 * x**-1 would fail at x = 0.
                d_dx = p * x ** (p - 1) if p != 0 else 0.0
            except OverflowError:
                raise OverflowError(f"the derivative of {x} ** {p} overflows") from None
            except ZeroDivisionError:
                raise ZeroDivisionError(f"the derivative of x ** {p} is infinite at x = 0") from None
            if d_dx - d_dx:
                raise OverflowError(f"the derivative of {x} ** {p} overflows")
            local = (d_dx,)
        return _op_node(out, (self,), local, f"**{p}")

    def __rpow__(self, base):
        raise TypeError(
            f"{type(base).__name__} ** Value is not supported: only a Value raised to a plain "
            "int or float (for b ** x write (x * log(b)).exp())")

    # Unary operations.

    def __neg__(self):
        """f(x) = -x; df/dx = -1."""
        return _op_node(-self.data, (self,), (-1.0,), "neg")

    def tanh(self):
        """f(x) = tanh(x); df/dx = 1 - tanh(x)^2."""
        t = math.tanh(self.data)
        return _op_node(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        """f(x) = max(0, x); df/dx = 1 if x > 0 else 0."""
        x = self.data
        if x > 0.0:
            return _op_node(x, (self,), (1.0,), "relu")
        return _op_node(0.0, (self,), (0.0,), "relu")

    def exp(self):
        """f(x) = e^x; df/dx = e^x."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data}) overflows") from None
        return _op_node(e, (self,), (e,), "exp")

    def log(self):
        """f(x) = ln(x); df/dx = 1/x."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log is defined only for positive numbers, got log({x})")
        local = ()
        if _records(self):
            d_dx = 1.0 / x
            if d_dx - d_dx:
                raise OverflowError(f"the derivative 1/x of log(x) overflows at x = {x}")
            local = (d_dx,)
        return _op_node(math.log(x), (self,), local, "log")

    def sigmoid(self):
        """f(x) = 1 / (1 + e^-x); df/dx = f(x) * (1 - f(x))."""
        x = self.data
        # Only ever exponentiate a non-positive number, so exp cannot overflow.
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _op_node(s, (self,), (s * (1.0 - s),), "sigmoid")

    # Backward.

    def _chain(self, upstream):
        """What this node adds to each input's grad, given its own grad: local * upstream."""
        return tuple(local * upstream for local in self._local)

    def detach(self):
        """A constant with the same data: autograd sees no way back from it to self."""
        return _constant_result(self.data)

    def backward(self, gradient=1.0):
        """Set every reachable node's grad to gradient * d(self)/d(node); leaves add to what they hold.

        `gradient` is the seed, d(final)/d(self) when self feeds a larger computation (1 by default).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() called on a constant (requires_grad=False): it has no gradient")
        seed = _seed(gradient)
        order = topo_order(self)
        constants = []
        for node in order:
            if node._prev:
                node.grad = 0.0  # an intermediate holds the gradient of this pass only
            elif not node.requires_grad:
                constants.append(node)
        self.grad += seed
        for node in reversed(order):
            upstream = node.grad
            for parent, local in zip(node._prev, node._local):
                parent.grad += local * upstream
        # Constants were added to like any input (cheaper than testing each edge); undo that.
        for node in constants:
            node.grad = 0.0
        for node in order:
            g = node.grad
            if g - g:
                raise OverflowError(f"the gradient of {node!r} overflowed during backward()")


class _LoopFreed(LoopFreed, Value):
    """A Value that, when it dies, frees the inputs only it holds by a loop instead of recursion (graph.py)."""

    __slots__ = ()


def _records(first, second=None):
    """Whether an operation on `first` (and `second`) joins the graph, as _op_node decides: only then does it need
    its local derivatives, so the operations whose derivative can fail where their value does not (/, **, log)
    compute theirs only then (the others' derivatives cost less than asking)."""
    return grad_mode.enabled and (first.requires_grad or second is not None and second.requires_grad)


def _op_node(data, prev, local, op):
    """A new operation node, or a constant when no input needs a gradient or inside no_grad();
    refuses a result that overflowed to inf (or became nan)."""
    if data - data:  # 0.0 for every finite float, nan for inf and nan
        raise OverflowError(
            f"{op!r} of {', '.join(repr(p.data) for p in prev)} overflows: the result is {data}")
    first = prev[0]  # every op has one or two inputs
    if len(prev) == 2:
        second = prev[1]
        tracked = first.requires_grad or second.requires_grad
        reach = first._reach if first._reach >= second._reach else second._reach
    else:
        tracked = first.requires_grad
        reach = first._reach
    if not (tracked and grad_mode.enabled):
        return _constant_result(data)
    if reach < FREE_DEPTH:
        out = _new(Value)
        out._reach = reach + 1
    else:
        out = _new(_LoopFreed)
        out._reach = 0
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.requires_grad = True
    out._op = op
    out._prev = prev
    out._local = local
    return out


def _constant(x):
    """A plain number used in an expression: a leaf that needs no gradient."""
    return Value(x, requires_grad=False)


def _constant_result(data):
    """A constant leaf holding `data`, a float already checked: no inputs, no gradient."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.requires_grad = False
    out._op = ""
    out._prev = ()
    out._local = ()
    out._reach = 0
    return out


def _seed(gradient):
    """backward's starting gradient as a finite float (a number, or a Value's data)."""
    if isinstance(gradient, Value):
        gradient = gradient.data
    seed = _real(gradient, "backward(gradient): the gradient")
    if seed - seed:
        raise ValueError(f"backward(gradient): the gradient must be finite, got {seed}")
    return seed


def _is_tensor(x):
    """Whether x is a Tensor, without importing NumPy (the Tensor engine is loaded only when used)."""
    tensor_module = sys.modules.get("autodiff.tensor")
    return tensor_module is not None and isinstance(x, tensor_module.Tensor)


def _is_array(x):
    """Whether x is a list, tuple or NumPy array: several numbers, which a Tensor holds and a Value cannot."""
    numpy = sys.modules.get("numpy")
    return isinstance(x, (list, tuple)) or (numpy is not None and isinstance(x, numpy.ndarray))


def _as_float(x):
    """x as a finite float, or an error that names what x is."""
    if type(x) is not float:
        try:
            x = _real(x, "Value data")
        except TypeError:
            # Not one real number: a Tensor or an array of numbers is told what to use instead.
            if _is_tensor(x):
                raise TypeError(MIX_ERROR) from None
            if _is_array(x):
                raise TypeError(f"Value holds one number, got {type(x).__name__}: {x!r:.60}; "
                                "for an array of numbers use Tensor") from None
            raise
    if x - x:
        raise ValueError(f"Value needs a finite number, got {x}")
    return x


def _real(x, what):
    """float(x) for a real number that is not a bool (an int, a float, a NumPy number), or an error naming `what`."""
    if type(x) is not float and type(x) is not int:  # the common case needs no ABC check
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"{what} must be a real number (int or float), got {type(x).__name__}: {x!r:.60}")
    try:
        return float(x)
    except OverflowError:
        raise too_large(what, x) from None


def too_large(what, x):
    """The OverflowError for a number beyond a float's range (float(10**400) fails), naming `what` it is."""
    size = f"an int of about 10**{int(abs(x).bit_length() * math.log10(2))}" if isinstance(x, int) else \
        f"a {type(x).__name__}"
    return OverflowError(f"{what} is too large for a float (the largest is about 1.8e308): got {size}")


def as_exponent(p):
    """p as an exponent, for both engines: a real number but not a bool, an int kept an int (the op reads '**2')."""
    as_float = _real(p, "the exponent")
    if type(p) is int or type(p) is float:  # the common case needs no ABC check
        return p
    return int(p) if isinstance(p, numbers.Integral) else as_float


def _exponent(p):
    """p as a Value's exponent: a finite real number (a Value or Tensor exponent is not supported)."""
    try:
        p = as_exponent(p)
    except TypeError:
        # Not a real number: an engine's node says what to write instead.
        if isinstance(p, Value):
            raise TypeError(
                "Value ** Value is not supported: the exponent must be a plain int or float "
                "(for x ** y write (y * x.log()).exp())") from None
        if _is_tensor(p):
            raise TypeError(MIX_ERROR) from None
        raise
    if not math.isfinite(p):
        raise ValueError(f"the exponent must be finite, got {p}")
    return p
