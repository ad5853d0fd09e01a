"""lesson.cells: a code cell runs like a notebook cell and reports errors with a short traceback."""

import importlib.util
import json
import re
import sys
import traceback

import pytest

from lesson.cells import MAX_MESSAGE_CHARS, MAX_OUTPUT_CHARS, MAX_OUTPUT_LINES, MAX_TRACEBACK_FRAMES, NO_INPUT, Notebook, as_text


@pytest.fixture
def notebook():
    return Notebook()


def test_print_output_is_captured(notebook):
    run = notebook.run("print('forward', 2 * 3)\nprint('backward')")
    assert run == {"stdout": "forward 6\nbackward\n", "result": None, "error": None}


def test_trailing_expression_gives_its_repr_like_a_repl(notebook):
    assert notebook.run("x = 2.0\nx * 21")["result"] == "42.0"
    assert notebook.run("'text'")["result"] == "'text'"


def test_statements_and_none_give_no_result(notebook):
    assert notebook.run("y = 3")["result"] is None
    assert notebook.run("print('shown')")["result"] is None
    assert notebook.run("None")["result"] is None


def test_later_cells_see_what_earlier_cells_defined(notebook):
    notebook.run("def square(v):\n    return v * v\nbase = 7")
    assert notebook.run("square(base)")["result"] == "49"


def test_separate_notebooks_do_not_share_names(notebook):
    notebook.run("secret = 1")
    assert Notebook().run("secret")["error"]["type"] == "NameError"


def test_exception_gives_a_short_traceback_with_the_cells_line_number(notebook):
    run = notebook.run("a = 1\nprint('before')\nb = a / 0\nprint('never')", cell_id="divide")
    assert run["stdout"] == "before\n"
    assert run["error"]["type"] == "ZeroDivisionError"
    assert run["error"]["message"] == "division by zero"
    assert run["error"]["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "<cell divide>", line 3, in <module>\n'
        "    b = a / 0\n"
        "ZeroDivisionError: division by zero\n"
    )


def test_traceback_names_frames_of_earlier_cells_but_not_the_runner(notebook):
    notebook.run("def inverse(v):\n    return 1 / v", cell_id="define")
    traceback = notebook.run("print('calling')\ninverse(0)", cell_id="call")["error"]["traceback"]
    assert '"<cell call>", line 2, in <module>' in traceback
    assert '"<cell define>", line 2, in inverse' in traceback
    assert "cells.py" not in traceback


def test_frames_inside_libraries_are_left_out(notebook):
    traceback = notebook.run("import json\njson.loads('{')")["error"]["traceback"]
    assert "json" in traceback.splitlines()[-1]  # JSONDecodeError, from the library
    assert "line 2, in <module>" in traceback
    assert "decoder.py" not in traceback


def test_syntax_error_is_reported_with_its_line(notebook):
    run = notebook.run("x = 1\nprint(x\n", cell_id="broken")
    assert run["error"]["type"] == "SyntaxError"
    assert run["error"]["message"].endswith("(line 2)")
    assert '"<cell broken>", line 2' in run["error"]["traceback"]
    assert run["error"]["traceback"].rstrip().splitlines()[-1].startswith("SyntaxError:")
    assert run["stdout"] == ""


def test_an_error_in_a_cell_leaves_the_notebook_usable(notebook):
    notebook.run("kept = 5\nraise RuntimeError('stop')")
    assert notebook.run("kept + 1")["result"] == "6"


def test_stderr_is_kept_with_stdout_in_order(notebook):
    run = notebook.run("import sys\nprint('one')\nsys.stderr.write('two\\n')\nprint('three')")
    assert run["stdout"] == "one\ntwo\nthree\n"


def test_as_text_joins_prints_result_and_traceback(notebook):
    assert as_text(notebook.run("print('p')\n1 + 1")) == "p\n2\n"
    text = as_text(notebook.run("print('p')\n{}['k']", cell_id="lookup"))
    assert text.startswith("p\nTraceback (most recent call last):\n")
    assert text.endswith("KeyError: 'k'\n")


def test_as_text_starts_the_traceback_on_a_line_of_its_own(notebook):
    assert as_text(notebook.run("print('no newline', end='')\n1 / 0")).startswith("no newline\nTraceback")
    assert as_text(notebook.run("print('p', end='')\n7")) == "p\n7\n"


# ---- a cell cannot change what the widgets compute ----

# The lesson's suggested experiment: backward() that assigns gradients instead of adding them.
ASSIGNING_BACKWARD = """
from autodiff import Value
from autodiff.graph import topo_order

def assigning_backward(self, gradient=1.0):
    order = topo_order(self)
    self.grad = gradient
    for node in reversed(order):
        for parent, local in zip(node._prev, node._local):
            parent.grad = local * node.grad

Value.backward = assigning_backward
"""
TWO_PATHS = "a = Value(3.0)\nb = Value(3.0)\nc = (a + b) * b\nc.backward()\nb.grad"


def explore_gradients(a, b):
    """{node id: grad} of the explore widget, computed by the page's own modules."""
    from lesson.widgets import explore
    return {node["id"]: node["grad"] for node in explore(a=a, b=b)["trace"]["nodes"]}


def test_patching_the_engine_in_a_cell_changes_the_cells_engine_only(notebook):
    import autodiff
    import autodiff.value
    from autodiff import Value
    backward = Value.backward
    assert notebook.run(ASSIGNING_BACKWARD)["error"] is None
    assert notebook.run(TWO_PATHS)["result"] == "3.0"  # the experiment works in the cells: one path lost
    assert Value.backward is backward and autodiff.Value is Value and autodiff.value.Value is Value
    assert explore_gradients(3.0, 3.0)["b"] == 9.0  # dc/db = a + 2b, as the widget must keep saying
    a, b = Value(3.0), Value(3.0)
    ((a + b) * b).backward()
    assert b.grad == 9.0


def test_every_way_of_reaching_the_engine_in_a_cell_reaches_the_cells_copy(notebook):
    import autodiff.value
    run = notebook.run("import sys, importlib, autodiff, autodiff.value\n"
                       "[autodiff.Value is autodiff.value.Value is sys.modules['autodiff.value'].Value"
                       " is importlib.import_module('autodiff.value').Value, id(autodiff.value)]")
    same, cell_module = eval(run["result"])
    assert same and cell_module != id(autodiff.value)
    assert notebook.run("sys.modules['autodiff.value'].Value.__add__ = None")["error"] is None
    assert callable(autodiff.value.Value.__add__)


def test_a_cell_cannot_reach_the_pages_api(notebook):
    from lesson import api
    call = api.call
    assert notebook.run("import lesson.api\nlesson.api.call = None\nlesson.api.FUNCTIONS.clear()")["error"] is None
    assert api.call is call and "explore" in api.FUNCTIONS
    assert json.loads(api.call("explore", '{"a": 3.0, "b": 3.0}'))["trace"]["nodes"]
    namespace = notebook.namespace
    assert not [name for name, value in namespace.items() if getattr(value, "__name__", "").startswith("lesson")
                and value is sys.modules.get(value.__name__)]


def test_the_pages_modules_are_back_after_a_cell_even_one_that_fails(notebook):
    before = {name: module for name, module in sys.modules.items() if name.partition(".")[0] in ("autodiff", "lesson")}
    notebook.run("import autodiff, lesson.widgets\nraise SystemExit")
    after = {name: module for name, module in sys.modules.items() if name.partition(".")[0] in ("autodiff", "lesson")}
    assert after == before


def test_the_cells_engine_copy_lasts_from_cell_to_cell_and_a_new_notebook_gets_a_fresh_one(notebook):
    notebook.run(ASSIGNING_BACKWARD)
    notebook.run("del Value")
    assert notebook.run("from autodiff import Value\n" + TWO_PATHS)["result"] == "3.0"  # still the patched copy
    assert Notebook().run("from autodiff import Value\n" + TWO_PATHS)["result"] == "9.0"


@pytest.mark.skipif(importlib.util.find_spec("numpy") is None, reason="the Tensor engine needs NumPy")
def test_the_cells_tensor_engine_is_a_copy_too(notebook):
    import autodiff.tensor
    run = notebook.run("from autodiff import Tensor, no_grad\n"
                       "x = Tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\n"
                       "[x.grad.tolist(), Tensor is __import__('sys').modules['autodiff.tensor'].Tensor]")
    assert run["result"] == "[[2.0, 4.0], True]"
    assert notebook.run("Tensor.__mul__ = None")["error"] is None
    assert callable(autodiff.tensor.Tensor.__mul__)


# ---- limits: short tracebacks, capped output, no input() ----

DOWN_50 = "def down(n):\n    if n == 0:\n        return 1 / n\n    return down(n - 1)\n\ndown(50)"


def test_repeated_frames_collapse_as_python_shows_them(notebook):
    assert notebook.run(DOWN_50, cell_id="down")["error"]["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "<cell down>", line 6, in <module>\n'
        "    down(50)\n"
        + '  File "<cell down>", line 4, in down\n    return down(n - 1)\n' * 3
        + "  [Previous line repeated 47 more times]\n"
        '  File "<cell down>", line 3, in down\n'
        "    return 1 / n\n"
        "ZeroDivisionError: division by zero\n")


def test_the_repeat_count_is_pythons_own(notebook):
    """Python's traceback module, on the same frames, prints the same "[Previous line repeated N ...]" line."""
    namespace = {}
    exec(compile(DOWN_50.rpartition("\n")[0], "<cell down>", "exec"), namespace)
    try:
        namespace["down"](50)
    except ZeroDivisionError as error:
        python_lines = traceback.format_exception(error)
    python_note = [line for line in python_lines if "Previous line repeated" in line]
    ours = notebook.run(DOWN_50, cell_id="down")["error"]["traceback"]
    assert python_note and python_note[0] in ours


def test_endless_recursion_gives_a_few_lines_not_a_thousand_frames(notebook):
    error = notebook.run("def deeper(n):\n    return deeper(n + 1)\n\ndeeper(0)", cell_id="deep")["error"]
    assert error["type"] == "RecursionError"
    lines = error["traceback"].splitlines()
    assert len(lines) == 11  # header, <module>, three frames, the repeat count, the error
    assert re.fullmatch(r"  \[Previous line repeated \d+ more times\]", lines[-2])


def test_mutual_recursion_keeps_the_first_and_last_frames(notebook):
    error = notebook.run("def ping(n):\n    return pong(n)\n\ndef pong(n):\n    return ping(n)\n\nping(0)",
                         cell_id="pingpong")["error"]
    lines = error["traceback"].splitlines()
    assert lines[1] == '  File "<cell pingpong>", line 7, in <module>'
    hidden = [line for line in lines if "more traceback entries not shown" in line]
    assert len(hidden) == 1
    assert sum(line.startswith("  File") for line in lines) == MAX_TRACEBACK_FRAMES
    assert lines[-1].startswith("RecursionError")
    assert len(error["traceback"]) < 2000


@pytest.mark.slow
def test_printed_output_is_capped_with_a_note(notebook):
    run = notebook.run("for i in range(200_000):\n    print(i)\n'end'")
    lines = run["stdout"].splitlines()
    assert lines[:MAX_OUTPUT_LINES] == [str(i) for i in range(MAX_OUTPUT_LINES)]
    dropped = sum(len(str(i)) + 1 for i in range(MAX_OUTPUT_LINES, 200_000))
    assert lines[MAX_OUTPUT_LINES:] == [f"[output truncated: 199,000 more lines ({dropped:,} characters) not shown;"
                                        " a cell shows at most 1,000 lines or 100,000 characters]"]
    assert run["result"] == "'end'"


def test_one_long_line_is_capped_by_characters(notebook):
    run = notebook.run("print('x' * 1_000_000)")
    kept, note = run["stdout"].splitlines()
    assert kept == "x" * MAX_OUTPUT_CHARS
    assert note.startswith("[output truncated: 1 more line (900,001 characters) not shown")


def test_a_huge_result_and_a_huge_error_message_are_capped(notebook):
    assert len(notebook.run("'y' * 10**6")["result"]) < MAX_OUTPUT_CHARS + 200
    error = notebook.run("raise ValueError('z' * 10**6)")["error"]
    assert len(error["traceback"]) < MAX_OUTPUT_CHARS + 400 and "output truncated" in error["traceback"]
    assert len(error["message"]) <= MAX_MESSAGE_CHARS + 1


def test_an_exception_whose_str_fails_is_still_reported(notebook):
    error = notebook.run("class Odd(Exception):\n    def __str__(self):\n        raise ValueError\n\nraise Odd()")["error"]
    assert error["type"] == "Odd" and error["message"] == "<exception str() failed>"


def test_input_raises_a_clear_error_and_stdin_is_restored(notebook):
    stdin = sys.stdin
    run = notebook.run("name = input('Your name? ')", cell_id="ask")
    assert run["stdout"] == "Your name? "
    assert run["error"]["type"] == "RuntimeError"
    assert run["error"]["message"] == "input() is not available in the lesson's cells: set the value in the code"
    assert run["error"]["traceback"].startswith('Traceback (most recent call last):\n  File "<cell ask>", line 1')
    assert notebook.run("import sys\nsys.stdin.read()")["error"]["message"] == run["error"]["message"]
    assert sys.stdin is stdin


# ---- a cell's patches to shared modules stay in its notebook (lesson.patches) ----

PLAYGROUND = {"expression": "tanh(w*x + b)", "values": {"w": 0.5, "x": 2.0, "b": 0.1}}


def api_call(name, **args):
    import lesson.api
    return json.loads(lesson.api.call(name, json.dumps(args)))


@pytest.fixture
def fresh_cells():
    """The page's cells, reset before and after the test."""
    api_call("reset_cells")
    yield
    api_call("reset_cells")


def cell_text(source):
    return api_call("run_cell", source=source)["text"]


def test_a_cells_patch_of_math_never_reaches_the_widgets(fresh_cells):
    import math
    before = api_call("playground", **PLAYGROUND)
    assert cell_text("import math\nmath.tanh = lambda x: 0.0\nprint(math.tanh(3.0))") == "0.0\n"
    assert math.tanh(3.0) == pytest.approx(0.9950547536867305, rel=1e-15)  # the shared module is untouched
    assert api_call("playground", **PLAYGROUND) == before
    assert before["trace"]["nodes"][-1]["data"] == pytest.approx(math.tanh(1.1), rel=1e-15)


def test_a_notebooks_patches_hold_in_its_later_cells_and_reset_drops_them(fresh_cells):
    cell_text("import math\nmath.tanh = lambda x: 0.0\ndel math.pi\nmath.answer = 42")
    assert cell_text("print(math.tanh(3.0), hasattr(math, 'pi'), math.answer)") == "0.0 False 42\n"
    api_call("reset_cells")
    assert cell_text("import math\nprint(math.tanh(1.0), math.pi, hasattr(math, 'answer'))") == "0.7615941559557649 3.141592653589793 False\n"


def test_a_patched_builtin_or_numpy_function_never_reaches_the_widgets(fresh_cells):
    np = pytest.importorskip("numpy", reason="NumPy is not installed: the tensor widgets need it")
    before = api_call("nn_backprop")
    playground = api_call("playground", **PLAYGROUND)
    cell_text("import builtins, numpy\nbuiltins.abs = lambda x: 0\nbuiltins.round = lambda *a: 0\nnumpy.tanh = lambda x: x * 0")
    assert abs(-2) == 2 and round(2.4) == 2 and np.tanh(np.float64(1.0)) == pytest.approx(0.7615941559557649)
    assert api_call("nn_backprop") == before
    assert api_call("playground", **PLAYGROUND) == playground
    assert cell_text("import numpy\nprint(abs(-2), numpy.tanh(3))") == "0 0\n"


@pytest.mark.parametrize("patch", [
    "builtins.max = lambda *args, **kwargs: 0",  # the output cap computed with it: every print read "[output truncated ...]"
    "builtins.isinstance = lambda *args: False",  # every print raised, and so did reporting that: the run itself failed
    "builtins.BaseException = int",  # `except BaseException` raised a TypeError of its own
    "builtins.len = lambda sized: 0",
    "builtins.RuntimeError = None",  # what input() raises
])
def test_a_cell_that_patches_a_builtin_the_runner_calls_still_gets_its_output_and_errors(fresh_cells, patch):
    assert cell_text(f"import builtins\n{patch}\nprint(abs(-3))") == "3\n"
    text = cell_text("print('forward')\n1 / 0")
    assert text.startswith("forward\nTraceback (most recent call last):\n") and text.endswith("\n    1 / 0\nZeroDivisionError: division by zero\n")
    assert api_call("run_cell", source="input()")["error"]["message"] == NO_INPUT
    assert cell_text("[0.5] * 2") == "[0.5, 0.5]\n"


def test_numpys_print_options_and_error_handling_set_in_a_cell_stay_in_its_notebook(fresh_cells):
    np = pytest.importorskip("numpy", reason="NumPy is not installed: the Tensor cells need it")
    page_options, page_handling = np.get_printoptions(), np.geterr()
    show = "import numpy as np\nprint(np.array([1 / 3]), np.geterr()['over'])"
    assert cell_text(show) == "[0.33333333] warn\n"
    assert cell_text("import numpy as np\nnp.set_printoptions(precision=2)\nnp.seterr(all='raise')\n" + show) == "[0.33] raise\n"
    assert cell_text(show) == "[0.33] raise\n"  # the notebook keeps them, as Jupyter would
    assert np.get_printoptions() == page_options and np.geterr() == page_handling  # the page's NumPy never had them
    notebook = Notebook()
    notebook.run("import numpy as np\nnp.set_printoptions(precision=2)")
    assert notebook.patched() == []  # the learner's to set, as the recursion limit: not a patch a check reports
    api_call("reset_cells")
    assert cell_text(show) == "[0.33333333] warn\n"


def test_warnings_filters_set_in_a_cell_stay_in_its_notebook(fresh_cells):
    import warnings
    page_filters = list(warnings.filters)
    # How many warnings get past the filters the cell runs under (pytest takes what would be printed).
    warn = "import warnings\nwith warnings.catch_warnings(record=True) as seen:\n    warnings.warn('careful')\nprint(len(seen))"
    assert cell_text(warn) == "1\n"
    assert cell_text("import warnings\nwarnings.filterwarnings('ignore')\n" + warn) == "0\n"
    assert cell_text(warn) == "0\n"  # the notebook keeps its filter
    assert warnings.filters == page_filters
    api_call("reset_cells")
    assert cell_text(warn) == "1\n"


def test_a_cell_that_empties_sys_path_leaves_the_page_and_a_reset_notebook_able_to_import(fresh_cells):
    page_path = list(sys.path)
    assert cell_text("import sys\nsys.path.clear()\nsys.meta_path.clear()\nsys.set_int_max_str_digits(640)") == ""
    assert cell_text("import sys\nprint(sys.path, len(sys.meta_path))") == "[] 0\n"  # the notebook keeps what it did
    assert sys.path == page_path and sys.get_int_max_str_digits() != 640
    api_call("reset_cells")
    assert cell_text("from autodiff import Value\nprint(Value(2.0) * 3, len(str(2 ** 5000)))") == "Value(data=6.0, grad=0.0) 1506\n"


def test_the_garbage_collectors_settings_changed_in_a_cell_stay_in_its_notebook(fresh_cells):
    import gc
    page_gc = (gc.isenabled(), gc.get_threshold())
    assert cell_text("import gc\ngc.disable()\ngc.set_threshold(5, 5, 5)") == ""
    assert cell_text("print(gc.isenabled(), gc.get_threshold())") == "False (5, 5, 5)\n"  # the notebook keeps them
    assert (gc.isenabled(), gc.get_threshold()) == page_gc
    api_call("reset_cells")
    assert cell_text("import gc\nprint(gc.isenabled(), gc.get_threshold())") == f"{page_gc[0]} {page_gc[1]}\n"


def test_a_module_a_cell_imports_first_is_its_notebooks_alone(fresh_cells, monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)  # not imported yet, as on the page
    assert cell_text("import colorsys\ncolorsys.rgb_to_hsv = lambda *rgb: 'patched'\nprint(colorsys.rgb_to_hsv(1, 0, 0))") == "patched\n"
    assert "colorsys" not in sys.modules  # the page imports a copy of its own
    import colorsys
    assert colorsys.rgb_to_hsv(1, 0, 0) == (0.0, 1.0, 1)
    # The notebook keeps its copy, though the page has one now; an import is not a patch of the page's.
    assert cell_text("import colorsys\nprint(colorsys.rgb_to_hsv(1, 0, 0))") == "patched\n"
    assert sys.modules["colorsys"] is colorsys
    api_call("reset_cells")
    assert cell_text("import colorsys\nprint(colorsys.rgb_to_hsv(1, 0, 0))") == "(0.0, 1.0, 1)\n"
    del sys.modules["colorsys"]
    notebook = Notebook()
    notebook.run("import colorsys")
    assert notebook.patched() == []  # what a task's check reports: importing a module patches nothing


def test_a_compiled_module_or_numpy_a_cell_imports_first_stays_shared(fresh_cells, monkeypatch):
    """A second copy of those cannot always be imported (NumPy refuses one): a cell importing one first leaves
    it in sys.modules for the page, as a module the page loaded."""
    from lesson import patches
    numpy = pytest.importorskip("numpy", reason="NumPy is not installed")
    import colorsys
    import math
    assert [patches._importable_again(name, module) for name, module in
            [("colorsys", colorsys), ("math", math), ("numpy", numpy), ("numpy.linalg", numpy.linalg)]] == [True, False, False, False]
    pytest.importorskip("syslog", reason="a compiled module of CPython's standard library on Unix")
    monkeypatch.delitem(sys.modules, "syslog")  # as if no one had imported it yet
    assert cell_text("import syslog") == ""
    assert "syslog" in sys.modules


def test_the_working_directory_and_the_random_stream_a_cell_changes_stay_in_its_notebook(fresh_cells, tmp_path):
    import os
    import random
    page_directory = os.getcwd()
    random.seed(7)
    page_next = random.random()
    random.seed(7)
    assert cell_text(f"import os, random\nos.chdir({str(tmp_path)!r})\nrandom.seed(1)") == ""
    assert os.getcwd() == page_directory and random.random() == page_next  # the page's stream goes on as if no cell drew
    assert cell_text(f"print(os.getcwd() == {str(tmp_path)!r}, random.random() == random.Random(1).random())") == "True True\n"
    # A directory a cell removes while in it: the page goes back to its own, the notebook to the root.
    (tmp_path / "gone").mkdir()
    assert cell_text("os.chdir('gone')\nos.rmdir(os.getcwd())") == ""
    assert os.getcwd() == page_directory
    assert cell_text("print(os.getcwd())") == "/\n"
    api_call("reset_cells")
    assert cell_text("import os\nprint(os.getcwd())") == f"{page_directory}\n"


def test_memory_tracing_lasts_from_cell_to_cell_and_stops_at_reset(fresh_cells):
    import tracemalloc
    cell_text("import tracemalloc\ntracemalloc.start()\nkept = [0.5] * 10_000")
    assert cell_text("print(tracemalloc.get_traced_memory()[0] >= 80_000)") == "True\n"  # a measurement may span cells
    api_call("reset_cells")
    assert not tracemalloc.is_tracing()


def test_an_import_a_cell_makes_stays_usable_outside_it(fresh_cells):
    # `import xml.dom` sets `xml.dom` on the package as the import's own side effect, not a patch.
    cell_text("import xml.dom.minidom")
    import xml
    assert xml.dom.minidom.parseString("<a/>").documentElement.tagName == "a"
