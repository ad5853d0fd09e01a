"""What the task checks share: the Mistake they raise, how they print numbers, when two numbers agree,
and the points they try (random ones beside the edge cases)."""

import math

from lesson.wording import number

# Two computations of the same formula agree to rounding; a wrong formula is far off.
REL_TOL = 1e-9
ABS_TOL = 1e-12
MAX_SHOWN = 80


class Mistake(Exception):
    """A check the learner's code failed: `message` says what was wrong and where, `details` may add more,
    and `chart` holds the learner's training losses where the check got that far."""

    def __init__(self, message, details="", chart=None):
        super().__init__(message)
        self.message, self.details, self.chart = message, details, chart


def shown(x):
    """A computed number as a message prints it: as Python does when short ('2.0', '-3.0'), else 6 digits;
    anything else as its repr, cut to MAX_SHOWN characters (the learner's __repr__ may print a novel)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        text = repr(x)
        return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "\u2026"
    text = repr(float(x))
    return text if len(text) <= 8 else number(x)


def at(**point):
    """A point as messages name it: 'a=2, b=-3'."""
    return ", ".join(f"{name}={value:g}" for name, value in point.items())


def agrees(got, want):
    """Whether the learner's number `got` is `want` up to rounding (a plain real number, finite)."""
    return (is_number(got) and math.isfinite(got)
            and abs(got - want) <= ABS_TOL + REL_TOL * max(abs(got), abs(want)))


def is_number(x):
    """Whether `x` is a plain int or float (not a bool, not a Value)."""
    return type(x) in (int, float)


def random_points(rng, count, low=-3.0, high=3.0):
    """`count` random numbers in [low, high] with one decimal, none of them 0 (a point worth reading)."""
    points = []
    while len(points) < count:
        x = round(rng.uniform(low, high), 1)
        if x != 0 and x not in points:
            points.append(x)
    return points
