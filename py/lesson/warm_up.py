"""Warm-up for a freshly loaded page: run the live widgets' computations, discarding their results.

V8 first compiles Pyodide's WebAssembly with its quick baseline compiler and optimizes a function only
after it has run for a while. On a fresh page the interpreter's hot functions stay unoptimized for the
first few hundred calls, which take about twice as long (measured in the page: 887 us per explore
call over the first 300, 488 us over the next 300). The page calls `warm_up()` in idle time after
Python is ready (web/js/runtime/warm-up.js), so the reader's first slider drags get the fast code.
"""

import json

from lesson import api

# What the page's sliders and the playground ask for, at settings of their own (several, so the
# numbers, not only the code paths, are as varied as a reader's).
CALLS = [
    ("explore", {"a": 1.5, "b": -2.0}),
    ("explore", {"a": -3.0, "b": 0.5}),
    ("compute_graph", {"x": 1.0, "w": -0.3, "b": 0.2}),
    ("forward_steps", {"x": -1.5}),
    ("grad_accumulation", {"a": 2.5}),
    ("playground", {"expression": "tanh(w*x + b)", "values": {"w": 0.5, "x": -1.0, "b": 0.1}}),
]


def warm_up(step=0):
    """Run CALLS[step] (cycling) through `lesson.api.call`, as the page would, JSON in and out: one call
    of a millisecond or two, so the page's own calls never wait long behind it. Returns its name."""
    if isinstance(step, bool) or not isinstance(step, int):
        raise TypeError(f"warm_up(step): step must be an int, got {type(step).__name__}")
    name, args = CALLS[step % len(CALLS)]
    api.call(name, json.dumps(args))
    return name
