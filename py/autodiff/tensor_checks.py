"""What a Tensor accepts: float dtypes, arrays of real numbers, exponents, shapes that multiply, and a
finite seed for backward(); errors name what was given and what was wrong (checks.py for both engines)."""

import numbers

import numpy as np

from autodiff.checks import MIX_ERROR, as_exponent, too_large
from autodiff.value import Value


def float_dtype(dtype):
    """dtype as a NumPy dtype: float32 or float64 only (float16 is too coarse for gradients)."""
    dtype = np.dtype(dtype)
    if dtype.type is not np.float32 and dtype.type is not np.float64:
        raise TypeError(f"Tensor dtype must be float32 or float64, got {dtype}")
    return dtype


def as_array(data, dtype, what="Tensor data"):
    """A fresh ndarray of `dtype` from numbers, nested lists or an array; errors name `what` and what was wrong."""
    if type(data) is float or type(data) is int:
        try:
            return np.array(data, dtype=dtype)
        except OverflowError:
            raise too_large(what, data) from None
    if isinstance(data, Value):
        raise TypeError(MIX_ERROR)
    try:
        raw = np.asarray(data)
    except ValueError as error:
        raise ValueError(f"{what} must be rectangular (every row the same length): {error}") from None
    if raw.dtype.kind in "iuf":
        return raw.astype(dtype)
    values = raw.ravel().tolist() if raw.dtype.kind == "O" else ()
    if any(isinstance(v, Value) for v in values):
        raise TypeError(MIX_ERROR)
    # As for Value, an exponent and a gradient: True and False are not read as 1 and 0.
    if raw.dtype.kind == "b" or any(isinstance(v, bool) for v in values):
        raise TypeError(f"{what} must be real numbers, not bools (True, False): write 1.0 and 0.0, or "
                        "convert an array with .astype(float)")
    if raw.dtype.kind == "O" and all(isinstance(v, numbers.Real) for v in values):
        # Plain numbers that no NumPy integer type holds ([2**70]) come as objects: convert them one by one.
        try:
            return raw.astype(dtype)
        except OverflowError:
            raise too_large(what, max(values, key=abs)) from None
    raise TypeError(f"{what} must be real numbers (a number, nested lists of numbers or a numeric "
                    f"array), got {type(data).__name__} of NumPy dtype {raw.dtype}")


def tensor_exponent(p, tensor_class):
    """p as an exponent for a Tensor: a real number, an int kept an int (inf and nan allowed, as in NumPy)."""
    if isinstance(p, tensor_class):
        raise TypeError("Tensor ** Tensor is not supported: the exponent must be a plain number "
                        "(for a ** b write (b * a.log()).exp())")
    if isinstance(p, Value):
        raise TypeError(MIX_ERROR)
    return as_exponent(p)


def finite_seed(seed):
    """backward's seed array, refused where not finite (as Value refuses one): naming the first such entry."""
    finite = np.isfinite(seed)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        where = f" at index {index}" if index else ""
        raise ValueError(f"backward(gradient): the gradient must be finite, got {float(seed[index])}{where}")
    return seed


def matmul(a, b):
    """np.matmul(a, b), with errors that name both shapes."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs tensors of at least 1 dimension, got shapes {a.shape} and {b.shape} "
                         "(use * to multiply by a scalar)")
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != inner_b:
        raise ValueError(f"matmul shape mismatch: {a.shape} @ {b.shape}: the last dimension of the first "
                         f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} "
                         f"dimension of the second ({inner_b})")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(f"matmul shape mismatch: the batch dimensions of {a.shape} and {b.shape} "
                         "do not broadcast") from None

