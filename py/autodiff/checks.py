"""What the engines accept as input, and the errors that name what they got instead.

Shared by Value and Tensor and free of NumPy (the scalar engine runs without it): a real number
is an int, a float or a NumPy number, never a bool, complex or str; a Value and a Tensor never
mix. One too large for a float (10**400) is an OverflowError naming it.
"""

import math
import numbers
import sys

MIX_ERROR = "cannot mix Value and Tensor: use Tensor for both, or Value for both"  # both engines say it


def real(x, what):
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
    as_float = real(p, "the exponent")
    if type(p) is int or type(p) is float:  # the common case needs no ABC check
        return p
    return int(p) if isinstance(p, numbers.Integral) else as_float


def as_flag(x, owner):
    """requires_grad as a bool: True or False (or a NumPy bool), never a truthy "no" or 1."""
    if x is True or x is False:
        return x
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(x, numpy.bool_):
        return bool(x)
    raise TypeError(f"{owner} requires_grad must be True or False, got {type(x).__name__}: {x!r:.60}")


def as_label(text, owner):
    """A node's label: a str (the page shows it)."""
    if not isinstance(text, str):
        raise TypeError(f"{owner} label must be a str, got {type(text).__name__}")
    return text


def scalar_data(x):
    """x as a Value's data: a finite float, or an error that names what x is."""
    if type(x) is not float:
        try:
            x = real(x, "Value data")
        except TypeError:
            # Not one real number: a Tensor or an array of numbers is told what to use instead.
            if _is_engine_node(x, "tensor", "Tensor"):
                raise TypeError(MIX_ERROR) from None
            if _is_array(x):
                raise TypeError(f"Value holds one number, got {type(x).__name__}: {x!r:.60}; "
                                "for an array of numbers use Tensor") from None
            raise
    if x - x:
        raise ValueError(f"Value needs a finite number, got {x}")
    return x


def scalar_exponent(p):
    """p as a Value's exponent: a finite real number (a Value or Tensor exponent is not supported)."""
    try:
        p = as_exponent(p)
    except TypeError:
        # Not a real number: an engine's node says what to write instead.
        if _is_engine_node(p, "value", "Value"):
            raise TypeError(
                "Value ** Value is not supported: the exponent must be a plain int or float "
                "(for x ** y write (y * x.log()).exp())") from None
        if _is_engine_node(p, "tensor", "Tensor"):
            raise TypeError(MIX_ERROR) from None
        raise
    if not math.isfinite(p):
        raise ValueError(f"the exponent must be finite, got {p}")
    return p


def scalar_seed(gradient):
    """Value.backward's starting gradient as a finite float (a number, or a Value's data)."""
    if type(gradient) is not float and _is_engine_node(gradient, "value", "Value"):
        gradient = gradient.data
    seed = real(gradient, "backward(gradient): the gradient")
    if seed - seed:
        raise ValueError(f"backward(gradient): the gradient must be finite, got {seed}")
    return seed


def _is_engine_node(x, module, name):
    """Whether x is an autodiff.<module>.<name>, without importing it (the Tensor engine needs NumPy)."""
    loaded = sys.modules.get(f"autodiff.{module}")
    return loaded is not None and isinstance(x, getattr(loaded, name))


def _is_array(x):
    """Whether x is a list, tuple or NumPy array: several numbers, which a Tensor holds and a Value cannot."""
    numpy = sys.modules.get("numpy")
    return isinstance(x, (list, tuple)) or (numpy is not None and isinstance(x, numpy.ndarray))
