"""Value's domain policy: it follows Python's `math`, so no operation turns finite inputs into inf or nan.

  - log(x) with x <= 0, and x ** p with x < 0 and p not an integer: ValueError.
  - a / 0, 0 ** p with p < 0, and a derivative that is infinite (d/dx x**0.5 at 0):
    ZeroDivisionError.
  - a result or a local derivative too large for a float (exp(1000), 1e200 * 1e200,
    10.0 ** 400), or a gradient that overflows during backward(): OverflowError.
Each error names the numbers. A derivative is refused only where a graph is recorded: under
no_grad(), or on constants alone, an operation whose derivative alone is undefined gives its
value (0.0 ** 0.5 is 0.0, 1 / 1e-300 about 1e300). relu'(0) is 0, as in micrograd and PyTorch.
(Tensor follows NumPy instead: log(0) is -inf there.)
"""

import math


def divide(x, y):
    """x / y, refusing y = 0."""
    if y == 0.0:
        raise ZeroDivisionError(f"division by zero: {x} / 0")
    return x / y


def power(x, p):
    """x ** p, refusing what has no real value (a negative base to a fraction, 0 to a negative power)."""
    if x < 0.0 and p != math.floor(p):
        raise ValueError(f"{x} ** {p} is not a real number (negative base, non-integer exponent)")
    if x == 0.0 and p < 0:
        raise ZeroDivisionError(f"0 ** {p}: zero cannot be raised to a negative power")
    try:
        return x ** p
    except OverflowError:
        raise OverflowError(f"{x} ** {p} overflows") from None


def power_slope(x, p):
    """d/dx x ** p = p * x ** (p - 1), or inf where that is infinite (at x = 0 for p < 1) or too
    large for a float: the node refuses it where a graph is recorded (derivative_error)."""
    if p == 0:
        return 0.0  # d/dx x**0 is 0 everywhere; computing 0 * x**-1 would fail at x = 0
    try:
        return p * x ** (p - 1)
    except (OverflowError, ZeroDivisionError):
        return math.inf


def exp(x):
    """e ** x, refusing a result too large for a float."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp({x}) overflows") from None


def log(x):
    """ln(x), for x > 0 only."""
    if x <= 0.0:
        raise ValueError(f"log is defined only for positive numbers, got log({x})")
    return math.log(x)


def result_overflow(op, inputs, result):
    """The error for a result that overflowed to inf (1e200 * 1e200), naming the inputs."""
    numbers = ", ".join(repr(node.data) for node in inputs)
    return OverflowError(f"{op!r} of {numbers} overflows: the result is {result}")


def derivative_error(op, inputs):
    """The error for a local derivative that is infinite or too large for a float, naming the numbers."""
    x = inputs[0].data
    if op == "/":
        return OverflowError(f"the derivative of {x} / {inputs[1].data} overflows")
    if op == "log":
        return OverflowError(f"the derivative 1/x of log(x) overflows at x = {x}")
    if op.startswith("**"):
        p = op[2:]
        if x == 0.0:
            return ZeroDivisionError(f"the derivative of x ** {p} is infinite at x = 0")
        return OverflowError(f"the derivative of {x} ** {p} overflows")
    numbers = ", ".join(repr(node.data) for node in inputs)
    return OverflowError(f"the derivative of {op!r} at {numbers} is not a finite float")
