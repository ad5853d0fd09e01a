"""lesson.api: the whitelist the browser's worker calls, with JSON in and out."""

import json
import re

import pytest

from lesson import api, widgets
from lesson.widgets import explore


def test_call_returns_the_functions_result_as_json():
    assert json.loads(api.call("explore", json.dumps({"a": 2.0, "b": -1.5}))) == json.loads(json.dumps(explore(a=2.0, b=-1.5)))


@pytest.mark.parametrize("name, args", [
    ("forward_steps", {}), ("forward_steps", {"x": -1.5}),
    ("compute_graph", {"x": 2.0, "w": 0.5, "b": 0.1}), ("compute_graph", {"x": -3.0, "w": 1.3, "b": -0.7}),
    ("grad_accumulation", {"a": -4.5}),
])
def test_the_stepped_widgets_rerun_through_the_whitelist(name, args):
    assert json.loads(api.call(name, json.dumps(args))) == json.loads(json.dumps(getattr(widgets, name)(**args)))


@pytest.mark.parametrize("name, args_json, error, message", [
    ("forward_steps", '{"x": NaN}', ValueError, "x must be a finite number, got nan"),
    ("forward_steps", '{"x": Infinity}', ValueError, "x must be a finite number, got inf"),
    ("forward_steps", '{"x": 10}', ValueError, "x must be between -3 and 3, got 10"),
    ("compute_graph", '{"w": -2.5}', ValueError, "w must be between -2 and 2, got -2.5"),
    ("compute_graph", '{"target": 1}', TypeError,
     "compute_graph cannot take the arguments ['target']: got an unexpected keyword argument 'target'"),
    ("grad_accumulation", '{"a": "3"}', ValueError, "a must be a finite number, got '3'"),
    ("grad_accumulation", '{"a": 1, "b": 2}', TypeError, "grad_accumulation cannot take the arguments ['a', 'b']"),
])
def test_the_stepped_widgets_refuse_bad_arguments_clearly(name, args_json, error, message):
    with pytest.raises(error, match=re.escape(message)):
        api.call(name, args_json)


def test_unknown_names_are_refused_naming_the_known_ones():
    with pytest.raises(api.UnknownFunction, match="'eval' is not a function the page may call; known: .*explore"):
        api.call("eval", "{}")


def test_arguments_must_be_a_json_object():
    with pytest.raises(TypeError, match="must be a JSON object of keyword arguments"):
        api.call("explore", "[1, 2]")


def test_non_finite_results_are_refused_naming_the_function(monkeypatch):
    monkeypatch.setitem(api.FUNCTIONS, "broken", "math:sqrt")
    monkeypatch.setattr("math.sqrt", lambda: float("nan"))
    with pytest.raises(ValueError, match="broken returned a non-finite float"):
        api.call("broken")


def test_cells_share_a_namespace_until_reset():
    api.reset_cells()
    assert json.loads(api.call("run_cell", json.dumps({"source": "x = 21"})))["error"] is None
    run = json.loads(api.call("run_cell", json.dumps({"source": "x * 2", "cell_id": "c2"})))
    assert run["result"] == "42" and run["error"] is None and run["text"] == "42\n"
    api.call("reset_cells")
    failed = json.loads(api.call("run_cell", json.dumps({"source": "x", "cell_id": "c3"})))
    assert failed["error"]["type"] == "NameError"
    assert 'File "<cell c3>", line 1' in failed["text"]


def test_every_whitelisted_function_imports():
    assert api.import_all() == {}


def cell(source):
    """Run `source` as a cell through the whitelist, as the page does; return the run."""
    return json.loads(api.call("run_cell", json.dumps({"source": source})))


PATCH_BACKWARD = ("from autodiff import Value\n"
                  "from autodiff.graph import topo_order\n"
                  "def assigning(self, gradient=1.0):\n"
                  "    self.grad = gradient\n"
                  "    for node in reversed(topo_order(self)):\n"
                  "        for parent, local in zip(node._prev, node._local):\n"
                  "            parent.grad = local * node.grad\n"
                  "Value.backward = assigning\n")
TWO_PATHS = "a, b = Value(3.0), Value(3.0)\nc = (a + b) * b\nc.backward()\nb.grad"


def explore_grad_of_b(a, b):
    nodes = json.loads(api.call("explore", json.dumps({"a": a, "b": b})))["trace"]["nodes"]
    return next(node["grad"] for node in nodes if node["id"] == "b")


def test_a_cell_patching_the_engine_leaves_the_widgets_right_and_reset_gives_a_fresh_engine():
    api.reset_cells()
    assert cell(PATCH_BACKWARD + TWO_PATHS)["result"] == "3.0"
    assert explore_grad_of_b(3.0, 3.0) == 9.0  # dc/db = a + 2b through the page's own engine
    assert cell(TWO_PATHS)["result"] == "3.0"  # the cells keep their patched engine until reset
    api.call("reset_cells")
    assert cell("from autodiff import Value\n" + TWO_PATHS)["result"] == "9.0"


def test_a_cell_cannot_break_the_entry_point():
    api.reset_cells()
    assert cell("import lesson.api\nlesson.api.call = None\nlesson.api.resolve = None")["error"] is None
    assert explore_grad_of_b(2.0, 1.5) == 5.0  # a + 2b
    assert cell("6 * 7")["result"] == "42"


def test_run_cell_needs_source_text():
    with pytest.raises(TypeError, match="run_cell needs the cell's source as a str, got int"):
        api.call("run_cell", '{"source": 42}')
