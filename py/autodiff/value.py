"""Value: a scalar that remembers how it was computed, so that backward() can
apply the chain rule.

Each operation computes its result and, beside it, the local derivatives
d(out)/d(input), which the new node keeps in `_local`; backward() then only
multiplies and adds, in one loop. (micrograd keeps a small function per node
instead; plain numbers let the page show every one of them.) Pure Python, no
NumPy, so it runs on Pyodide's core alone.

What this file leaves to others, so that it shows the idea:
  - checks.py: what counts as a number; errors naming what was given instead;
  - domain.py: the domain policy, as Python's `math`: log(0), 1/0 and results
    too large for a float raise, so no operation returns inf or nan;
  - value_nodes.py: how a result becomes a node (a constant when nothing needs
    a gradient, or inside no_grad(), as in PyTorch), and the bookkeeping
    around backward();
  - graph.py: the order backward() visits, and freeing very deep graphs.
"""

import math

from autodiff import checks, domain
from autodiff.graph import Node, topo_order
from autodiff.value_nodes import ScalarPass, node_makers


class Value(Node):
    """A scalar node: `data`, `grad` (d output / d self), and how it was made.

    `-` and `/` are operations of their own rather than `a + (-b)` and
    `a * b**-1`: a graph of exp(x) / (exp(x) + exp(z)) shows the four nodes
    the learner wrote, and fewer nodes are faster.
    """

    __slots__ = ("data", "grad", "label", "requires_grad",
                 "_op", "_prev", "_local")
    # NumPy must hand `array + value` to __radd__, which refuses it, instead
    # of quietly making an array of Values (a graph per element).
    __array_ufunc__ = None

    def __init__(self, data, label="", requires_grad=True):
        self.label = checks.as_label(label, "Value")
        self.data = checks.scalar_data(data)  # a finite float
        self.grad = 0.0                # d(output)/d(self), after backward()
        self.requires_grad = checks.as_flag(requires_grad, "Value")
        self._op = ""                  # the op that made it ('' for a leaf)
        self._prev = ()                # that operation's inputs, in order
        self._local = ()               # d(self)/d(input), one per input

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    # Each operation: its result and, beside it, d(result)/d(each input).

    def __add__(self, other):
        """f(x, y) = x + y; df/dx = 1, df/dy = 1."""
        other = other if isinstance(other, Value) else _constant(other)
        x, y = self.data, other.data
        return _op_node(x + y, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other):
        """f(x, y) = x - y; df/dx = 1, df/dy = -1."""
        other = other if isinstance(other, Value) else _constant(other)
        x, y = self.data, other.data
        return _op_node(x - y, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other):
        """f(x, y) = x * y; df/dx = y, df/dy = x."""
        other = other if isinstance(other, Value) else _constant(other)
        x, y = self.data, other.data
        return _op_node(x * y, (self, other), (y, x), "*")

    def __truediv__(self, other):
        """f(x, y) = x / y; df/dx = 1/y, df/dy = -x/y^2 = -f/y."""
        other = other if isinstance(other, Value) else _constant(other)
        x, y = self.data, other.data
        f = domain.divide(x, y)  # refuses y = 0
        local = (1.0 / y, -f / y)  # too large for a float at y = 1e-300
        return _op_node(f, (self, other), local, "/", check=True)

    def __pow__(self, p):
        """f(x) = x ** p for a plain number p; df/dx = p * x^(p-1)."""
        p = checks.scalar_exponent(p)  # an int or a float, not a Value
        x = self.data
        f = domain.power(x, p)  # refuses what has no real value
        slope = domain.power_slope(x, p)  # infinite at x = 0 for p < 1
        return _op_node(f, (self,), (slope,), f"**{p}", check=True)

    def __neg__(self):
        """f(x) = -x; df/dx = -1."""
        return _op_node(-self.data, (self,), (-1.0,), "neg")

    def tanh(self):
        """f(x) = tanh(x); df/dx = 1 - tanh(x)^2."""
        t = math.tanh(self.data)
        return _op_node(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        """f(x) = max(0, x); df/dx = 1 if x > 0 else 0 (so 0 at x = 0)."""
        x = self.data
        if x > 0.0:
            return _op_node(x, (self,), (1.0,), "relu")
        return _op_node(0.0, (self,), (0.0,), "relu")

    def exp(self):
        """f(x) = e^x; df/dx = e^x."""
        e = domain.exp(self.data)
        return _op_node(e, (self,), (e,), "exp")

    def log(self):
        """f(x) = ln(x); df/dx = 1/x."""
        x = self.data
        f = domain.log(x)  # refuses x <= 0
        return _op_node(f, (self,), (1.0 / x,), "log", check=True)

    def sigmoid(self):
        """f(x) = 1 / (1 + e^-x); df/dx = f(x) * (1 - f(x))."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # the same, as e^x / (1 + e^x): e^-x would overflow
            e = math.exp(x)
            s = e / (1.0 + e)
        return _op_node(s, (self,), (s * (1.0 - s),), "sigmoid")

    # A plain number on the left (2 * x) reaches these, in the order written.

    def __radd__(self, other):
        return _constant(other) + self

    def __rsub__(self, other):
        return _constant(other) - self

    def __rmul__(self, other):
        return _constant(other) * self

    def __rtruediv__(self, other):
        return _constant(other) / self

    def __rpow__(self, base):
        raise TypeError(
            f"{type(base).__name__} ** Value is not supported: only a Value "
            "raised to a plain int or float "
            "(for b ** x write (x * log(b)).exp())")

    def detach(self):
        """A constant with the same data: no way back from it to self."""
        return _constant_result(self.data)

    # The backward pass.

    def _chain(self, upstream):
        """What this node adds to each input's grad: local * upstream."""
        return tuple(local * upstream for local in self._local)

    def backward(self, gradient=1.0):
        """Set each node's grad to gradient * d(self)/d(node): the chain rule.

        `gradient` is d(final)/d(self) when self feeds a larger computation
        (1 by default). Leaves add to the grad they hold, as in PyTorch; the
        other nodes hold this pass only.
        """
        order = topo_order(self)  # every node after all of its inputs
        with ScalarPass(self, gradient, order):  # seeds self, zeroes the rest
            for node in reversed(order):  # from self back to the leaves
                for parent, local in zip(node._prev, node._local):
                    parent.grad += local * node.grad  # add up every path


def _constant(x):
    """A plain number in an expression, like the 3 in x * 3: a leaf that
    needs no gradient."""
    return Value(x, requires_grad=False)


# How a result becomes a node (value_nodes.py), made once for this class.
_op_node, _constant_result = node_makers(Value)
