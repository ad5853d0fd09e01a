"""Check an engine's gradient against central finite differences in float64.

`f` maps engine nodes to a scalar node: Values when every x is a plain number, else float64
Tensors (NumPy is imported only then, so the scalar path runs without it).
"""

import numbers

from autodiff.trace import plain
from autodiff.value import Value


def central_difference(g, xs, eps=1e-6):
    """dg/dx_i ~ (g(..., x_i + eps, ...) - g(..., x_i - eps, ...)) / (2 eps), for every element of every x.

    g maps floats (or float64 arrays) to a float; returns one float (or array) per x.
    """
    if not eps > 0:
        raise ValueError(f"eps must be a positive step, got {eps}")
    xs = list(xs)
    grads = []
    for i, x in enumerate(xs):
        if isinstance(x, numbers.Real):
            grads.append((g(*_with(xs, i, x + eps)) - g(*_with(xs, i, x - eps))) / (2 * eps))
            continue
        grad = x.copy()
        for j in range(x.size):
            shifted = x.copy()
            shifted.flat[j] = x.flat[j] + eps
            up = g(*_with(xs, i, shifted))
            shifted.flat[j] = x.flat[j] - eps
            grad.flat[j] = (up - g(*_with(xs, i, shifted))) / (2 * eps)
        grads.append(grad)
    return grads


def numerical_grad(f, xs, eps=1e-6):
    """Central differences of the engine function f at xs (f evaluated on fresh nodes each time)."""
    xs = _float64_inputs(xs)
    return central_difference(lambda *point: _scalar_output(f(*_nodes(point, False))), xs, eps)


def gradcheck(f, xs, eps=1e-6, atol=1e-5, rtol=1e-4):
    """The engine's gradient of f at xs beside central differences; ok when |analytic - numeric| <= atol + rtol |numeric|.

    Returns {"value", "analytic", "numeric", "abs_diff", "ok"} as plain floats / nested lists.
    """
    xs = _float64_inputs(xs)
    inputs = _nodes(xs, True)
    out = f(*inputs)
    value = _scalar_output(out)
    out.backward()
    # An input that f never used has no gradient (a Tensor's stays None): it is zero.
    analytic = [x * 0.0 if node.grad is None else node.grad for x, node in zip(xs, inputs)]
    numeric = numerical_grad(f, xs, eps)
    abs_diff = [abs(a - n) for a, n in zip(analytic, numeric)]
    ok = all(_all(d <= atol + rtol * abs(n)) for d, n in zip(abs_diff, numeric))
    return {"value": value,
            "analytic": [plain(a)[0] for a in analytic],
            "numeric": [plain(n)[0] for n in numeric],
            "abs_diff": [plain(d)[0] for d in abs_diff],
            "ok": ok}


def _with(xs, i, x):
    """xs with its i-th entry replaced by x."""
    return xs[:i] + [x] + xs[i + 1:]


def _float64_inputs(xs):
    """xs as floats when all are plain numbers, else as float64 NumPy arrays."""
    xs = list(xs)
    if all(isinstance(x, numbers.Real) for x in xs):
        return [float(x) for x in xs]
    import numpy as np
    return [np.array(x, dtype=np.float64) for x in xs]


def _nodes(xs, requires_grad):
    """Engine leaves for xs: Values for floats, float64 Tensors for arrays."""
    if all(isinstance(x, float) for x in xs):
        return [Value(x, requires_grad=requires_grad) for x in xs]
    import numpy as np
    from autodiff.tensor import Tensor
    return [Tensor(x, requires_grad=requires_grad, dtype=np.float64) for x in xs]


def _scalar_output(out):
    """f's result as a float; anything but a one-element node is an error naming what it was."""
    if isinstance(out, Value):
        return out.data
    data = getattr(out, "data", None)
    if getattr(data, "size", None) != 1:
        shape = getattr(data, "shape", None)
        raise ValueError(f"f must return a scalar Value or a one-element Tensor, got {type(out).__name__}"
                         + (f" of shape {tuple(shape)}" if shape is not None else ""))
    return float(data.reshape(-1)[0])


def _all(x):
    """True when x (a bool or an array of bools) is true everywhere."""
    return bool(x) if isinstance(x, bool) else bool(x.all())
