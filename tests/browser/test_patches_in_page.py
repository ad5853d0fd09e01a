"""In the page, a cell's patch of a shared module (math.tanh = ...) stays in the cells and never reaches a widget."""

import json

from harness import python_call, wait_for_python

import lesson.api

PLAYGROUND = {"expression": "tanh(w*x + b)", "values": {"w": 0.7, "x": -1.5, "b": 0.25}}


def test_a_cells_math_patch_never_reaches_the_playground_and_reset_drops_it(page):
    wait_for_python(page)
    expected = json.loads(lesson.api.call("playground", json.dumps(PLAYGROUND)))  # CPython, same inputs
    assert python_call(page, "playground", PLAYGROUND)["trace"] == expected["trace"]
    patched = python_call(page, "run_cell", {"source": "import math\nmath.tanh = lambda x: 0.0\nprint(math.tanh(2.0))"})
    assert patched["text"] == "0.0\n"
    assert python_call(page, "playground", PLAYGROUND)["trace"] == expected["trace"]
    assert python_call(page, "run_cell", {"source": "print(math.tanh(2.0))"})["text"] == "0.0\n"  # the notebook keeps it
    python_call(page, "reset_cells")
    assert python_call(page, "run_cell", {"source": "import math\nprint(math.tanh(2.0))"})["text"] == "0.9640275800758169\n"
