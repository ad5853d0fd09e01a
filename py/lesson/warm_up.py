"""Warm-up for a freshly loaded page: run the live widgets' computations, discarding their results.

V8 first compiles Pyodide's WebAssembly with its quick baseline compiler and optimizes a function only
after it has run for a while. On a fresh page the interpreter's hot functions stay unoptimized for the
first few hundred calls, which take about twice as long (measured in the page: 887 us per explore
call over the first 300, 488 us over the next 300). NumPy's compiled code, which only the Tensor
widgets run, is optimized the same way, on its own (nn_backprop: 5.3 ms per call over its first 50
calls, after the scalar warm-up; 2.0 ms after 200). The page calls `warm_up()` in idle time after
Python is ready, and `warm_up(tensor=True)` once NumPy is (web/js/runtime/warm-up.js), so the
reader's first slider drags get the fast code.
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


# The Tensor widgets' calls (they need NumPy, so the page asks for them only once it is ready).
TENSOR_CALLS = [
    ("nn_backprop", {"W12": 0.7, "x1": -1.0}),
    ("nn_backprop", {"b2": 0.4, "t1": -0.5}),
    ("broadcast", {"x_shape": "(2, 3, 4)", "b_shape": "(3, 1)", "upstream": "counting"}),
]


def warm_up(step=0, tensor=False):
    """Run CALLS[step] (TENSOR_CALLS[step] if `tensor`; cycling) through `lesson.api.call`, as the page
    would, JSON in and out: one call of a few milliseconds at most, so the page's own calls never wait
    long behind it. Returns its name."""
    if isinstance(step, bool) or not isinstance(step, int):
        raise TypeError(f"warm_up(step): step must be an int, got {type(step).__name__}")
    if not isinstance(tensor, bool):
        raise TypeError(f"warm_up(tensor): tensor must be true or false, got {type(tensor).__name__}")
    calls = TENSOR_CALLS if tensor else CALLS
    name, args = calls[step % len(calls)]
    api.call(name, json.dumps(args))
    return name
