"""In the page, a cell's patch of a shared module (math.tanh = ...), or of one it imported first, stays in the cells
and never reaches a widget or the page's own imports."""

import json

from harness import python_call

import lesson.api

PLAYGROUND = {"expression": "tanh(w*x + b)", "values": {"w": 0.7, "x": -1.5, "b": 0.25}}


def test_a_cells_math_patch_never_reaches_the_playground_and_reset_drops_it(live_lesson):
    page = live_lesson
    expected = json.loads(lesson.api.call("playground", json.dumps(PLAYGROUND)))  # CPython, same inputs
    assert python_call(page, "playground", PLAYGROUND)["trace"] == expected["trace"]
    patched = python_call(page, "run_cell", {"source": "import math\nmath.tanh = lambda x: 0.0\nprint(math.tanh(2.0))"})
    assert patched["text"] == "0.0\n"
    assert python_call(page, "playground", PLAYGROUND)["trace"] == expected["trace"]
    assert python_call(page, "run_cell", {"source": "print(math.tanh(2.0))"})["text"] == "0.0\n"  # the notebook keeps it
    python_call(page, "reset_cells")
    assert python_call(page, "run_cell", {"source": "import math\nprint(math.tanh(2.0))"})["text"] == "0.9640275800758169\n"
    python_call(page, "reset_cells")  # as the shared page had it


def test_a_module_a_cell_imports_first_stays_its_notebooks_in_the_page(live_lesson):
    page = live_lesson
    run = lambda source: python_call(page, "run_cell", {"source": source})["text"]  # noqa: E731
    python_call(page, "reset_cells")
    assert run("import sys\nprint('colorsys' in sys.modules)") == "False\n"  # nothing on the page imports it
    assert run("import colorsys\ncolorsys.rgb_to_hsv = lambda *rgb: 'patched'") == ""
    assert run("import sys\nprint('colorsys' in sys.modules, colorsys.rgb_to_hsv(1, 0, 0))") == "True patched\n"
    python_call(page, "reset_cells")
    assert run("import colorsys\nprint(colorsys.rgb_to_hsv(1, 0, 0))") == "(0.0, 1.0, 1)\n"
    python_call(page, "reset_cells")  # as the shared page had it
