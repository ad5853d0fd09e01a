"""lesson.api: the whitelist the browser's worker calls, with JSON in and out."""

import json

import pytest

from lesson import api
from lesson.widgets import explore


def test_call_returns_the_functions_result_as_json():
    assert json.loads(api.call("explore", json.dumps({"a": 2.0, "b": -1.5}))) == json.loads(json.dumps(explore(a=2.0, b=-1.5)))


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
