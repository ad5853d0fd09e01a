"""Tensor: a NumPy array that remembers how it was computed, with PyTorch's autograd semantics.

The same shape as value.py. Each operation computes its result and, right beside it, `chain`:
a function from the result's gradient to one contribution per input (already summed back over
broadcast axes, None where an input needs no gradient), where a Value keeps numbers (a Jacobian
would be too large). `backward()` is one generic loop over the graph in reverse topological
order; `_add_grad` is the only place where gradients are added up. What a Tensor accepts is
checked in tensor_checks.py; how an operation becomes a node is `_op_node` at the end.

Dtype: float32 unless `dtype=np.float64` is asked for (no other); numbers and arrays that meet a
Tensor take its dtype, and every result keeps it (gradcheck runs the whole graph in float64).
Bools are not numbers here (True is not read as 1), as for Value.

Domain policy (follows NumPy, without warnings): log(0) = -inf, log(-1) = nan, exp(1000) = inf,
1/0 = inf, 0/0 = nan, and their gradients likewise; log, exp, /, **, sigmoid, softmax,
log_softmax and the whole backward pass run under `np.errstate(all="ignore")`. (Overflow of
plain +, -, * and @ beyond float32's range is left to NumPy's own once-per-place warning.)

As in PyTorch:
  - leaves accumulate `grad` across backward() calls until zeroed; non-leaf nodes hold the
    gradient of the latest pass only (unlike PyTorch they keep it: the page shows it);
  - `no_grad()` builds no graph; `detach()` shares data (and the version counter), no history;
  - in-place ops (`add_`, `sub_`, `mul_`, `zero_`, `+=`, `-=`, `*=`) bump a version counter
    shared by every tensor viewing the same data; each op saves only what its gradient reads,
    with the version it saw, so backward fails with a clear error exactly when that changed;
  - an in-place op on a leaf that requires grad is an error outside `no_grad()` (write
    `p.data -= lr * p.grad`, or update under `no_grad()`); `/=` builds a new tensor.
Stricter than PyTorch (an error, never a wrong number): an in-place op on the output of
`reshape` or `.T` that requires grad, and an in-place op on a tensor that an earlier
operation already used (backward names the op).
"""

import functools
import itertools

import numpy as np

from autodiff import grad_mode
from autodiff.checks import as_flag, as_label
from autodiff.grad_mode import no_grad
from autodiff.graph import FREE_DEPTH, BackwardPass, LoopFreed, Node, topo_order
from autodiff.tensor_checks import as_array, finite_seed, float_dtype, matmul, tensor_exponent
from autodiff.value import Value

__all__ = ["Tensor", "no_grad"]  # no_grad lives in grad_mode (shared with Value); kept here for old imports

_new = object.__new__
_serial = itertools.count()  # creation order: tells backward whether an input was rewritten in place after use
_quiet = functools.partial(np.errstate, all="ignore")  # a fresh one per use: errstate is single-use
_VIEW_OPS = ("reshape", "T")


class Tensor(Node):
    """An n-dimensional array node: `data` (ndarray), `grad` (ndarray or None), and its inputs."""

    __slots__ = ("data", "grad", "label", "requires_grad", "_op", "_prev", "_backward", "_saved",
                 "_version", "_serial")
    # NumPy must hand `array + tensor` to Tensor.__radd__ instead of looping over the tensor.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=np.float32, label=""):
        dtype = float_dtype(dtype)       # float32 or float64
        self.label = as_label(label, "Tensor")
        if isinstance(data, Tensor):
            data = data.data
        self.data = as_array(data, dtype)  # a new array of that dtype
        self.grad = None                 # d(output)/d(self), after backward()
        self.requires_grad = as_flag(requires_grad, "Tensor")
        self._op = ""                    # the op that made it ('' for a leaf)
        self._prev = ()                  # that operation's inputs, in order
        self._backward = None            # its chain: grad in, one per input out
        _start_versions(self)            # to catch in-place changes (pitfall 2)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ")
        extra = "" if self.data.dtype == np.float32 else f", dtype={self.data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    @property
    def shape(self):
        """The data's shape, a tuple of ints."""
        return self.data.shape

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self):
        """The data's NumPy dtype (float32 unless float64 was asked for)."""
        return self.data.dtype

    def __len__(self):
        return len(self.data)

    def item(self):
        """The single element as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element Tensor, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self):
        """The data as an ndarray (shared, not copied), refused while the tensor requires grad."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.data

    def detach(self):
        """The same data (and version counter) as a new leaf with no history and requires_grad False."""
        out = _result(self.data)
        out._version = self._version
        return out

    def zero_grad(self):
        """Forget the accumulated gradient (None, as in PyTorch)."""
        self.grad = None

    # Element-wise binary operations: each input's gradient goes through
    # _unbroadcast, and is computed only for an input that requires grad.

    def __add__(self, other):
        """f(a, b) = a + b; df/da = 1, df/db = 1."""
        other = _lift(other, self)
        a, b = self.data, other.data
        ra, rb = self.requires_grad, other.requires_grad

        def chain(g):
            return (_unbroadcast(g, a) if ra else None,
                    _unbroadcast(g, b) if rb else None)
        return _op_node(a + b, (self, other), chain, "+")

    def __sub__(self, other):
        """f(a, b) = a - b; df/da = 1, df/db = -1."""
        other = _lift(other, self)
        a, b = self.data, other.data
        ra, rb = self.requires_grad, other.requires_grad

        def chain(g):
            return (_unbroadcast(g, a) if ra else None,
                    _unbroadcast(-g, b) if rb else None)
        return _op_node(a - b, (self, other), chain, "-")

    def __mul__(self, other):
        """f(a, b) = a * b; df/da = b, df/db = a."""
        other = _lift(other, self)
        a, b = self.data, other.data
        ra, rb = self.requires_grad, other.requires_grad

        def chain(g):
            return (_unbroadcast(g * b, a) if ra else None,
                    _unbroadcast(g * a, b) if rb else None)
        reads = (other,) * ra + (self,) * rb  # b for a's gradient, a for b's
        return _op_node(a * b, (self, other), chain, "*", reads)

    def __truediv__(self, other):
        """f(a, b) = a / b; df/da = 1/b, df/db = -a/b^2 = -f/b."""
        other = _lift(other, self)
        a, b = self.data, other.data
        ra, rb = self.requires_grad, other.requires_grad
        with _quiet():
            f = a / b

        def chain(g):
            g_over_b = g / b
            return (_unbroadcast(g_over_b, a) if ra else None,
                    _unbroadcast(-g_over_b * f, b) if rb else None)
        return _op_node(f, (self, other), chain, "/", (other,), reads_out=rb)

    def __radd__(self, other):
        """f(c, a) = c + a for a number or array c."""
        return _lift(other, self) + self

    def __rsub__(self, other):
        """f(c, a) = c - a for a number or array c."""
        return _lift(other, self) - self

    def __rmul__(self, other):
        """f(c, a) = c * a for a number or array c."""
        return _lift(other, self) * self

    def __rtruediv__(self, other):
        """f(c, a) = c / a for a number or array c."""
        return _lift(other, self) / self

    def __neg__(self):
        """f(a) = -a; df/da = -1."""
        return _op_node(-self.data, (self,), lambda g: (-g,), "neg")

    def __pow__(self, exponent):
        """f(a) = a ** p for a number p; df/da = p * a ** (p - 1)."""
        p = tensor_exponent(exponent, Tensor)
        a = self.data
        with _quiet():
            f = a ** p

        def chain(g):
            if p == 0:  # d(a**0)/da is 0 everywhere, even where a**-1 is inf
                return (np.zeros_like(g),)
            with _quiet():
                return (g * (p * a ** (p - 1)),)
        return _op_node(f, (self,), chain, f"**{p:g}", (self,))

    def __rpow__(self, base):
        """c ** a is refused: only a number exponent is supported."""
        raise TypeError(f"{type(base).__name__} ** Tensor is not supported: the exponent must be a plain "
                        "number (for c ** x write (x * log(c)).exp())")

    # Matrix product.

    def __matmul__(self, other):
        """C = A @ B (also batched, or 1-D); dA = dC @ B^T, dB = A^T @ dC."""
        other = _lift(other, self)
        a, b = self.data, other.data
        ra, rb = self.requires_grad, other.requires_grad
        if a.ndim == 2 and b.ndim == 2 and a.dtype is b.dtype:
            def chain(g):
                return (g @ b.T if ra else None, a.T @ g if rb else None)
        else:  # batches, vectors or mixed dtypes: the same, shapes undone
            def chain(g):
                return _matmul_grads(g, a, b, ra, rb)
        reads = (other,) * ra + (self,) * rb  # B for A's gradient, A for B's
        return _op_node(matmul(a, b), (self, other), chain, "@", reads)

    def __rmatmul__(self, other):
        """C = c @ A for an array c."""
        return _lift(other, self) @ self

    def matmul(self, other):
        """Same as self @ other."""
        return self @ other

    # Element-wise functions.

    def relu(self):
        """f(a) = max(a, 0); df/da = 1 where a > 0, else 0 (0 at a = 0)."""
        r = np.maximum(self.data, 0)
        chain = lambda g: (g * (r > 0),)  # noqa: E731
        return _op_node(r, (self,), chain, "relu", reads_out=True)

    def tanh(self):
        """f(a) = tanh(a); df/da = 1 - f^2."""
        t = np.tanh(self.data)
        chain = lambda g: (g * (1 - t * t),)  # noqa: E731
        return _op_node(t, (self,), chain, "tanh", reads_out=True)

    def sigmoid(self):
        """f(a) = 1 / (1 + exp(-a)); df/da = f * (1 - f)."""
        with _quiet():
            s = np.exp(-np.logaddexp(0, -self.data))  # never overflows, keeps tiny values for a << 0
        return _op_node(s, (self,), lambda g: (g * (s * (1 - s)),), "sigmoid", reads_out=True)

    def exp(self):
        """f(a) = exp(a); df/da = f."""
        with _quiet():
            e = np.exp(self.data)
        return _op_node(e, (self,), lambda g: (g * e,), "exp", reads_out=True)

    def log(self):
        """f(a) = ln(a); df/da = 1 / a."""
        a = self.data
        with _quiet():
            f = np.log(a)

        def chain(g):
            with _quiet():
                return (g / a,)
        return _op_node(f, (self,), chain, "log", (self,))

    def softmax(self, axis=-1):
        """s = exp(a) / sum(exp(a)) along axis; da = s * (g - sum(g * s)). Shifted by the max: never overflows."""
        with _quiet():
            e = np.exp(self.data - self.data.max(axis=axis, keepdims=True))
            s = e / e.sum(axis=axis, keepdims=True)

        def chain(g):
            return (s * (g - (g * s).sum(axis=axis, keepdims=True)),)
        return _op_node(s, (self,), chain, "softmax", reads_out=True)

    def log_softmax(self, axis=-1):
        """f = a - max - log(sum(exp(a - max))) along axis; da = g - exp(f) * sum(g)."""
        with _quiet():
            shifted = self.data - self.data.max(axis=axis, keepdims=True)
            f = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

        def chain(g):
            with _quiet():
                return (g - np.exp(f) * g.sum(axis=axis, keepdims=True),)
        return _op_node(f, (self,), chain, "log_softmax", reads_out=True)

    # Reductions and shape changes.

    def sum(self, axis=None, keepdims=False):
        """f = sum of a over axis; df/da_i = 1: g is copied to each element."""
        shape = self.data.shape
        total = self.data.sum(axis=axis, keepdims=keepdims)

        def chain(g):
            return (_expand(g, shape, axis, keepdims),)
        return _op_node(total, (self,), chain, "sum")

    def mean(self, axis=None, keepdims=False):
        """f = sum over axis / n; df/da_i = 1/n."""
        shape = self.data.shape
        total = self.data.sum(axis=axis, keepdims=keepdims)  # as np.mean does
        n = self.data.size // max(total.size, 1)  # elements in each mean
        scale = 1 / n if n else 0.0

        def chain(g):
            return (_expand(g * scale, shape, axis, keepdims),)
        mean = total / n if n else total * np.nan  # of nothing: nan, as NumPy
        return _op_node(mean, (self,), chain, "mean")

    def reshape(self, *shape):
        """The same elements in a new shape (`reshape(2, 3)` or `reshape((2, 3))`); the gradient is reshaped back."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        a = self.data
        out = _view_result(a.reshape(shape), self)
        if grad_mode.enabled and self.requires_grad:
            _record(out, "reshape", (self,), lambda g: (g.reshape(a.shape),), ())
        return out

    @property
    def T(self):
        """Axes reversed (the transpose of a matrix); the gradient is transposed back."""
        out = _view_result(self.data.T, self)
        if grad_mode.enabled and self.requires_grad:
            _record(out, "T", (self,), lambda g: (g.T,), ())
        return out

    # In-place operations: change `data`, bump the version, and (when recording) take over the history.

    def add_(self, other):
        """a += b in place; df/da = 1, df/db = 1."""
        def chain_for(a, other, ra, rb):
            b = other.data
            return (lambda g: (g if ra else None, _unbroadcast(g, b) if rb else None)), ()
        return self._in_place("add_", np.add, other, chain_for)

    def sub_(self, other):
        """a -= b in place; df/da = 1, df/db = -1."""
        def chain_for(a, other, ra, rb):
            b = other.data
            return (lambda g: (g if ra else None, _unbroadcast(-g, b) if rb else None)), ()
        return self._in_place("sub_", np.subtract, other, chain_for)

    def mul_(self, other):
        """a *= b in place; df/da = b, df/db = a as it was before the op."""
        def chain_for(a, other, ra, rb):
            b = other.data
            before = a.copy() if rb else None  # the op overwrites a, and d(a*b)/db needs it
            chain = lambda g: (g * b if ra else None, _unbroadcast(g * before, b) if rb else None)  # noqa: E731
            return chain, _versions((other,) * ra)
        return self._in_place("mul_", np.multiply, other, chain_for)

    def zero_(self):
        """a = 0 in place; df/da = 0."""
        recording = grad_mode.enabled and self.requires_grad
        self._check_in_place("zero_", recording)
        self.data.fill(0)
        self._version[0] += 1
        if recording:
            self._take_over_history("zero_", (), lambda g: (np.zeros_like(g),), ())
        return self

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_

    def _in_place(self, op, ufunc, other, chain_for):
        """data = ufunc(data, other), written into data; chain_for(a, other, ra, rb) gives (chain, saved)."""
        other = _lift(other, self)
        recording = grad_mode.enabled and (self.requires_grad or other.requires_grad)
        self._check_in_place(op, recording)
        a, b = self.data, other.data
        if recording:
            chain, saved = chain_for(a, other, self.requires_grad, other.requires_grad)
        try:
            ufunc(a, b, out=a)
        except ValueError:
            raise ValueError(f"{op}: a tensor of shape {self.shape} cannot hold the result of combining it "
                             f"with shape {other.shape} (in-place ops keep the shape)") from None
        self._version[0] += 1
        if recording:
            self._take_over_history(op, (other,), chain, saved)
        return self

    def _check_in_place(self, op, recording):
        """Refuse in-place changes that autograd could not follow (leaves that require grad, views)."""
        if grad_mode.enabled and self.requires_grad and not self._prev:
            raise RuntimeError(f"{op}: a leaf Tensor that requires grad cannot be changed in place while "
                               "gradients are recorded; update it under no_grad() or through .data")
        if recording and self._op in _VIEW_OPS:
            raise RuntimeError(f"{op}: in-place change of the output of {self._op!r}, a view of a tensor "
                               "that requires grad, is not supported; use an out-of-place op")

    def _take_over_history(self, op, others, chain, saved):
        """Move this tensor's past into a new node and make this tensor the in-place op applied to it."""
        past = _new(type(self))  # a loop-freed tensor's past is one too: it holds the deep history now
        for name in ("data", "grad", "requires_grad", "_op", "_prev", "_backward", "_saved",
                     "_version", "_serial", "_reach"):
            setattr(past, name, getattr(self, name))
        past.label = ""
        self.grad = None
        self._serial = next(_serial)
        _record(self, op, (past,) + tuple(past if t is self else t for t in others), chain, saved)

    # The backward pass.

    def _chain(self, upstream):
        """What this node adds to each input's grad, given its own grad; refuses a history that an
        in-place change has made stale: data the chain reads, or an input rewritten after this use."""
        if self._backward is None:
            return ()
        for counter, version, shape in self._saved:
            if counter[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: Tensor of shape {shape} is at version {counter[0]}; "
                    f"expected version {version} (saved by {self._op!r}). Use an out-of-place op "
                    "(y = y + 1) instead of the in-place one (y.add_(1)).")
        for parent in self._prev:
            if parent._serial > self._serial and parent.requires_grad:
                raise RuntimeError(
                    f"a Tensor of shape {parent.shape} used by {self._op!r} was later changed in place "
                    f"by {parent._op!r}, so its history no longer matches that use; apply in-place "
                    "ops before using a tensor, or use an out-of-place op")
        return self._backward(upstream)

    def backward(self, gradient=None):
        """Set each node's grad to gradient * d(self)/d(node): the chain rule.

        `gradient` (of self's shape) may be left out when self holds one
        element. Leaves add to the grad they hold, as in PyTorch; the other
        nodes hold this pass only.
        """
        order = topo_order(self)  # every node after all of its inputs
        with _TensorPass(self, gradient, order), _quiet():  # quiet inf and nan
            for node in reversed(order):  # from self back to the leaves
                if node.grad is None or not node._prev:
                    continue  # a leaf, or a node self does not depend on
                g = node.grad
                for parent, part in zip(node._prev, node._chain(g)):
                    if part is not None and parent.requires_grad:
                        _add_grad(parent, part, g)


class _LoopFreed(LoopFreed, Tensor):
    """A Tensor that, when it dies, frees the inputs only it holds by a loop (graph.py)."""

    __slots__ = ()


class _TensorPass(BackwardPass):
    """The frame of Tensor.backward() (graph.BackwardPass): checks self and the seed, clears the
    other nodes' grads to None and adds the seed to self's grad; a pass that fails is undone."""

    __slots__ = ()

    def __init__(self, root, gradient, order):
        if not root.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no history: "
                               "create the inputs with requires_grad=True")
        seed = _seed(root, gradient)
        super().__init__(order, None)
        _add_grad(root, seed, None)


def _seed(root, gradient):
    """The gradient backward starts from: ones for a one-element tensor, else `gradient`, checked."""
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs: this tensor has "
                               f"shape {root.shape}; pass backward(gradient) with that shape")
        return np.ones_like(root.data)
    seed = as_array(gradient.data if isinstance(gradient, Tensor) else gradient, root.data.dtype,
                    "backward(gradient): the gradient")
    if seed.shape != root.data.shape:
        raise ValueError(f"backward(gradient): gradient has shape {seed.shape} but the tensor has "
                         f"shape {root.shape}")
    return finite_seed(seed)


def _add_grad(node, contribution, upstream):
    """The one place gradients are added: a leaf's add up across passes,
    another node's within this pass (backward cleared it to None first)."""
    if node.grad is not None:
        contribution = node.grad + contribution
    elif not node._prev and (contribution is upstream
                             or contribution.base is not None):
        # A leaf keeps an array of its own: the upstream, or a view of an
        # array, may be another node's too.
        contribution = contribution.copy()
    if type(contribution) is not np.ndarray:  # NumPy gives 0-d as scalars
        contribution = np.asarray(contribution)
    node.grad = contribution


def _op_node(data, prev, chain, op, reads=(), reads_out=False):
    """The result `data` of op(*prev) as a tensor, with its history where grad mode is on and an
    input requires grad: `chain`, and the tensors chain reads (`reads`, and the result itself if
    `reads_out`), whose versions backward checks."""
    out = _result(data)
    if grad_mode.enabled and (prev[0].requires_grad or len(prev) == 2 and prev[1].requires_grad):
        _record(out, op, prev, chain, _versions(reads + (out,) * reads_out) if reads or reads_out else ())
    return out


def _result(data):
    """A new tensor holding `data`, without history (_record gives it one)."""
    out = _new(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)  # NumPy gives 0-d results as scalars
    out.grad = None
    out.label = ""
    out.requires_grad = False
    out._op = ""
    out._prev = ()
    out._backward = None
    out._saved = ()  # as _start_versions does (inline: an operation's hot path)
    out._version = [0]
    out._serial = next(_serial)
    out._reach = 0
    return out


def _start_versions(tensor):
    """A new tensor's in-place bookkeeping: a version counter of its own (bumped by in-place ops, shared
    by views), nothing saved yet, and its place in creation order."""
    tensor._saved = ()
    tensor._version = [0]
    tensor._serial = next(_serial)


def _view_result(data, source):
    """A result that may view `source`'s data: it then shares source's version counter."""
    out = _result(data)
    if np.may_share_memory(data, source.data):
        out._version = source._version
    return out


def _record(out, op, prev, chain, saved):
    """Give `out` its history: op name, inputs in operand order, the chain function, what it saved (_versions)."""
    out.requires_grad = True
    out._op = op
    out._prev = prev
    out._backward = chain
    out._saved = saved
    # As in Value's op_node, only for freeing deep graphs (graph.py): the levels below out down to
    # the nearest loop-freed tensor; the one that would reach FREE_DEPTH becomes loop-freed instead.
    reach = prev[0]._reach  # every op has one or two inputs
    if len(prev) == 2 and prev[1]._reach > reach:
        reach = prev[1]._reach
    if reach < FREE_DEPTH:
        out._reach = reach + 1
    else:
        out.__class__ = _LoopFreed  # the same slots, so the class can change in place
        out._reach = 0


def _versions(tensors):
    """(version counter, its value now, shape) for each tensor whose data a chain function will read.

    The counter, not the tensor, is kept: an op saving its own output must not make a reference cycle.
    """
    return tuple([(t._version, t._version[0], t.data.shape) for t in tensors])


def _unbroadcast(grad, like):
    """grad summed back to the shape of `like` (and converted to its dtype).

    The one place broadcasting is undone: leading axes that `like` lacks,
    and axes where it had size 1.
    """
    shape = like.shape
    if grad.shape != shape:
        lead = grad.ndim - len(shape)
        ones = tuple(lead + i for i, n in enumerate(shape) if n == 1)
        grad = grad.sum(axis=tuple(range(lead)) + ones, keepdims=True)
        grad = grad.reshape(shape)
    if grad.dtype is not like.dtype:
        grad = grad.astype(like.dtype)
    return grad


def _expand(grad, shape, axis, keepdims):
    """A reduction's gradient put back into the input's shape (each reduced element gets the same value)."""
    if axis is not None and not keepdims:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, shape)


def _matmul_grads(g, a, b, ra, rb):
    """dA, dB of C = A @ B for batched and 1-D operands: promote 1-D as np.matmul does, then undo it."""
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if b.ndim == 1:
        g = g[..., None]
    if a.ndim == 1:
        g = g[..., None, :]
    da = _unbroadcast(g @ np.swapaxes(b2, -1, -2), a2).reshape(a.shape) if ra else None
    db = _unbroadcast(np.swapaxes(a2, -1, -2) @ g, b2).reshape(b.shape) if rb else None
    return da, db


def _lift(x, like):
    """x as a Tensor: a Tensor as it is; a number or array as a constant with like's dtype."""
    if isinstance(x, Tensor):
        return x
    return _result(as_array(x, like.data.dtype))
