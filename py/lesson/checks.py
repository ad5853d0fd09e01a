"""Checks on the numbers a widget receives from the page, each failing with a message naming the problem."""

import math


def finite_number(name, x, low=None, high=None):
    """`x` as a float, if it is a real finite number within [low, high]; else ValueError naming `name`
    (None is an empty field)."""
    if x is None:
        raise ValueError(f"{name} is empty: type a number")
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if (low is not None and x < low) or (high is not None and x > high):
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {x!r}")
    return float(x)


def whole_number(name, x, low, high):
    """`x` as an int, if it is a whole number in [low, high] (20.0 counts); else ValueError naming `name`
    (None is an empty field)."""
    if x is None:
        raise ValueError(f"{name} is empty: type a whole number")
    if isinstance(x, float) and x.is_integer():
        x = int(x)
    if isinstance(x, bool) or not isinstance(x, int):
        raise ValueError(f"{name} must be a whole number, got {x!r}")
    if not low <= x <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {x}")
    return x
