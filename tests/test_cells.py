"""lesson.cells: a code cell runs like a notebook cell and reports errors with a short traceback."""

import pytest

from lesson.cells import Notebook, as_text


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
