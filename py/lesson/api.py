"""The one entry point the page calls: `call(name, args_json) -> result_json`, over a whitelist.

The browser's worker calls nothing else, so this table is the whole surface Python exposes to the
page. Each entry names a function by module path; a module is imported on first use, so a missing
optional dependency breaks only the functions that need it.
"""

import importlib
import inspect
import json

from lesson.cells import Notebook, as_text

FUNCTIONS = {
    "forward_steps": "lesson.widgets:forward_steps",
    "compute_graph": "lesson.widgets:compute_graph",
    "grad_accumulation": "lesson.widgets:grad_accumulation",
    "neuron_training": "lesson.widgets:neuron_training",
    "explore": "lesson.widgets:explore",
    "nn_backprop": "lesson.widgets:nn_backprop",
    "broadcast": "lesson.broadcasting:broadcast",
    "playground": "lesson.playground:playground",
    "decode_state": "lesson.playground:decode_state",
    "run_cell": "lesson.api:run_cell",
    "reset_cells": "lesson.api:reset_cells",
    "warm_up": "lesson.warm_up:warm_up",
    "check_task": "lesson.tasks:check_task",
    "check_exercise": "lesson.exercises:check_exercise",
    "judge_guess": "lesson.exercises:judge_guess",
}

_notebook = Notebook()  # the cells' own namespace and engine copy (see lesson.cells)


class UnknownFunction(LookupError):
    """The page asked for a function that is not on the whitelist."""


def call(name, args_json="{}"):
    """Run whitelisted function `name` with the keyword arguments in `args_json`; return its result as JSON."""
    args = json.loads(args_json)
    if not isinstance(args, dict):
        raise TypeError(f"arguments for {name!r} must be a JSON object of keyword arguments, got {args_json!r}")
    function = resolve(name)
    try:
        result = function(**args)
    except TypeError:
        _check_arguments(name, function, args)
        raise
    # allow_nan=False: JSON.parse in the page rejects NaN/Infinity, so fail here, naming the function.
    try:
        return json.dumps(result, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"{name} returned a non-finite float, which JSON cannot carry: {exc}") from None


def _check_arguments(name, function, args):
    """TypeError naming `name` if `args` do not fit its parameters (checked only after a TypeError, off the fast path)."""
    try:
        inspect.signature(function).bind(**args)
    except TypeError as exc:
        raise TypeError(f"{name} cannot take the arguments {sorted(args)}: {exc}") from None


def resolve(name):
    """The function whitelisted under `name` (importing its module), or UnknownFunction."""
    if name not in FUNCTIONS:
        raise UnknownFunction(f"{name!r} is not a function the page may call; known: {', '.join(sorted(FUNCTIONS))}")
    module_name, _, attribute = FUNCTIONS[name].partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def import_all():
    """Import every module the whitelist names (for the memory snapshot); return {name: error} for those that fail."""
    failures = {}
    for name in FUNCTIONS:
        try:
            resolve(name)
        except Exception as exc:  # a module still being written, or needing NumPy where there is none
            failures[name] = f"{type(exc).__name__}: {exc}"
    return failures


def run_cell(source, cell_id=None):
    """Run a code cell's `source` in the cells' notebook: {"stdout", "result", "error", "text"}."""
    if not isinstance(source, str):
        raise TypeError(f"run_cell needs the cell's source as a str, got {type(source).__name__}")
    run = _notebook.run(source, cell_id)
    return {**run, "text": as_text(run)}


def reset_cells():
    """Start the cells afresh, as if the page had just loaded: no names, and a fresh copy of the engine."""
    global _notebook
    _notebook = Notebook()
    # Memory tracing a cell started lasts from cell to cell (a measurement may span several), but not past
    # its notebook: it slows every allocation the page's Python makes, the widgets' too.
    import tracemalloc  # here, not at the top: the page's snapshot need not carry it
    tracemalloc.stop()
