"""The lesson's widgets compute the lesson's numbers, with the engine, in steps taken from its trace."""

import json
import math
import re
import sys

import pytest

from autodiff import Value
from autodiff.trace import trace
from lesson import widgets
from lesson.wording import number

STEPPED = {
    "forward-steps": widgets.forward_steps,
    "compute-graph": widgets.compute_graph,
    "grad-accumulation": widgets.grad_accumulation,
}


def nodes(result):
    """The trace's nodes by id."""
    return {node["id"]: node for node in result["trace"]["nodes"]}


def revealed_grads(steps):
    """(node, gradient) in the order the backward steps first show or change them."""
    shown, sequence = {}, []
    for step in steps:
        for node_id, grad in step["grads"].items():
            if shown.get(node_id) != grad:
                sequence.append((node_id, grad))
        shown = step["grads"]
    return sequence


def fresh_explore_trace(a, b):
    """c = (a + b) * b built directly with the engine, the reference for the explore widget."""
    a_v, b_v = Value(a, label="a"), Value(b, label="b")
    total = a_v + b_v
    total.label = "sum"
    c = total * b_v
    c.label = "c"
    c.backward()
    return trace(c)


# The lesson's numbers, widget by widget.

def test_forward_steps_reveal_6_7_49_then_gradients_1_14_14_42():
    result = widgets.forward_steps()
    by_id = nodes(result)
    revealed = [by_id[step["active"][0]]["data"] for step in result["forward"][1:]]
    assert revealed == [6.0, 7.0, 49.0]
    assert revealed_grads(result["backward"]) == [("c", 1.0), ("b", 14.0), ("a", 14.0), ("x", 42.0)]
    assert [step["text"] for step in result["forward"][1:]] == [
        "a = x * 3 = 2 * 3 = 6.", "b = a + 1 = 6 + 1 = 7.", "c = b**2 = 7**2 = 49."]
    assert "∂c/∂x += 3 × 14 = 42." in result["backward"][-1]["text"]


def test_compute_graph_has_the_lessons_values_and_gradients_and_a_constant_target():
    result = widgets.compute_graph()
    by_id = nodes(result)
    values = {i: by_id[i]["data"] for i in ("z1", "z2", "diff", "loss")}
    assert values == pytest.approx({"z1": 1.0, "z2": 1.1, "diff": 0.3, "loss": 0.09}, rel=1e-12)
    grads = {i: by_id[i]["grad"] for i in ("loss", "diff", "z2", "z1", "b", "x", "w")}
    assert grads == pytest.approx({"loss": 1, "diff": 0.6, "z2": 0.6, "z1": 0.6, "b": 0.6, "x": 0.3, "w": 1.2},
                                  rel=1e-12)
    assert by_id["target"]["kind"] == "const" and by_id["target"]["grad"] is None
    assert "target" not in result["backward"][-1]["grads"]
    # Five steps each way, as the lesson's slider (0..4): inputs + four ops; the seed + four nodes.
    assert len(result["forward"]) == len(result["backward"]) == 5
    assert "target is a constant, so it gets no gradient." in result["backward"][2]["text"]
    # The explanation is local derivative × upstream = added, with the record's numbers.
    last = result["backward"][-1]["text"]
    assert "∂loss/∂w += 2 × 0.6 = 1.2." in last and "∂loss/∂x += 0.5 × 0.6 = 0.3." in last


def test_forward_steps_names_the_constants_it_highlights_with_the_inputs():
    first = widgets.forward_steps()["forward"][0]
    assert first["active"] == ["x", "n1", "n3"]  # x and the literal constants 3 and 1
    assert first["text"] == "Inputs: x = 2; constants 3 and 1."
    assert widgets.compute_graph()["forward"][0]["text"] == "Inputs: w = 0.5; x = 2; b = 0.1; target = 0.8, a constant."


def test_grad_accumulation_shows_two_paths_of_3_adding_to_6():
    result = widgets.grad_accumulation()
    entries = result["trace"]["backward"][0]["inputs"]
    assert [(e["before"], e["after"]) for e in entries] == [(0.0, 3.0), (3.0, 6.0)]
    assert [step["grads"].get("a") for step in result["backward"]] == [None, 3.0, 6.0]
    a = nodes(result)["a"]
    assert a["grad"] == 2 * a["data"] == 6.0
    assert "∂c/∂a = 3 + 3 = 6." in result["backward"][-1]["text"]
    # The last step lights both paths at once, each edge with its share, and their sum at a (issue 10 item 4).
    first = {"source": "a", "target": "c", "slot": 0, "added": 3.0, "label": "path 1: 3"}
    second = {"source": "a", "target": "c", "slot": 1, "added": 3.0, "label": "path 2: 3"}
    assert [(step["edges"], step["sums"]) for step in result["backward"][1:]] == [
        ([first], {}), ([second, first], {"a": "3 + 3 = 6"})]


def test_grad_accumulation_paths_follow_the_slider():
    last = widgets.grad_accumulation(-1.5)["backward"][-1]
    assert sorted(e["label"] for e in last["edges"]) == ["path 1: -1.5", "path 2: -1.5"]
    assert last["sums"] == {"a": "-1.5 + (-1.5) = -3"}


@pytest.mark.parametrize("a, b", [(2, 3), (-4.5, 0.25), (1.2345, -3.75)])
def test_explore_labels_b_s_two_edges_with_the_engine_s_shares_and_their_sum(a, b):
    from autodiff import Value
    from lesson.wording import short
    result = widgets.explore(a, b)
    # The engine itself, without the widget: c = (a + b) * b, b's share via × is a + b, via + it is b.
    a_v, b_v = Value(a), Value(b)
    total = a_v + b_v
    c = total * b_v
    c.backward()
    via_times, via_plus = total.data * c.grad, b_v.data * c.grad
    assert result["paths"] == {
        "edges": [{"source": "b", "target": "c", "slot": 1, "added": via_times, "label": f"{short(via_times)} via ×"},
                  {"source": "b", "target": "sum", "slot": 1, "added": via_plus, "label": f"{short(via_plus)} via +"}],
        "sums": {"b": f"{short(via_times)} + {short(via_plus) if via_plus >= 0 else f'({short(via_plus)})'} = {short(b_v.grad)}"}}
    assert via_times + via_plus == b_v.grad


def reference_neuron_losses(lr, steps, x=2.0, target=0.8, w=0.3, b=0.1):
    """The training run with the derivatives written out by hand in floats (no engine)."""
    losses = []
    for _ in range(steps):
        y = math.tanh(w * x + b)
        losses.append((y - target) ** 2)
        dz = 2 * (y - target) * (1 - y * y)
        w, b = w - lr * dz * x, b - lr * dz
    return losses


def test_neuron_training_losses_match_the_hand_derived_run():
    result = widgets.neuron_training()
    assert (result["lr"], result["steps"], result["x"], result["target"]) == (0.5, 20, 2.0, 0.8)
    assert result["losses"] == pytest.approx(reference_neuron_losses(0.5, 20), rel=1e-9, abs=1e-20)
    assert result["losses"] == [record["loss"] for record in result["history"]]
    assert all(later < earlier for earlier, later in zip(result["losses"], result["losses"][1:]))
    assert result["history"][0]["w"] == 0.3 and result["history"][0]["b"] == 0.1


def test_neuron_training_reruns_with_another_learning_rate_and_length():
    result = widgets.neuron_training(lr=0.1, steps=7.0)
    assert result["steps"] == 7
    assert result["losses"] == pytest.approx(reference_neuron_losses(0.1, 7), rel=1e-9)


@pytest.mark.parametrize("args, message", [
    ({"lr": -1}, "learning rate must be between"),
    ({"lr": "fast"}, "learning rate must be a finite number"),
    ({"lr": float("nan")}, "learning rate must be a finite number"),
    ({"steps": 0}, "number of steps must be between 1 and 200"),
    ({"steps": 2.5}, "number of steps must be a whole number"),
    ({"steps": True}, "number of steps must be a whole number"),
    ({"lr": None}, "learning rate is empty: type a number"),       # an empty field in the page
    ({"steps": None}, "number of steps is empty: type a whole number"),
])
def test_neuron_training_rejects_bad_settings_by_name(args, message):
    with pytest.raises(ValueError, match=message):
        widgets.neuron_training(**args)


# The stepped widgets re-run at any slider setting (the page calls them live through lesson.api).

def reference_forward_steps(x):
    """c = (3x + 1)**2 and its gradients, written out by hand: a = 3x, b = a + 1, ∂c/∂b = 2b, ∂c/∂x = 3 · 2b."""
    a = 3 * x
    b = a + 1
    return {("a", "data"): a, ("a", "grad"): 2 * b, ("b", "data"): b, ("b", "grad"): 2 * b,
            ("c", "data"): b * b, ("c", "grad"): 1.0, ("x", "data"): x, ("x", "grad"): 3 * 2 * b}


@pytest.mark.parametrize("x", [-3.0, -1.5, -0.5, 0.0, 1.0, 3.0])
def test_forward_steps_at_other_settings(x):
    result = widgets.forward_steps(x)
    assert result["settings"] == {"x": x}
    # pytest.approx compares flat mappings only: one entry per (node, "data" or "grad")
    drawn = {(i, part): n[part] for i, n in nodes(result).items() if i in "abcx" for part in ("data", "grad")}
    assert drawn == pytest.approx(reference_forward_steps(x), rel=1e-12)


def test_forward_steps_bracket_negative_numbers_in_their_formulas():
    result = widgets.forward_steps(-3.0)
    assert result["forward"][-1]["text"] == "c = b**2 = (-8)**2 = 64."
    assert "∂c/∂a += 1 × (-16) = -16." in result["backward"][2]["text"]


@pytest.mark.parametrize("x, w, b", [(2.0, 0.5, 0.1), (-3.0, -2.0, -1.0), (1.5, 0.3, -0.4), (0.0, 2.0, 1.0)])
def test_compute_graph_at_other_settings(x, w, b):
    by_id = nodes(widgets.compute_graph(x=x, w=w, b=b))
    diff = w * x + b - 0.8
    assert by_id["loss"]["data"] == pytest.approx(diff ** 2, rel=1e-12, abs=1e-15)
    grads = {i: by_id[i]["grad"] for i in ("diff", "z2", "z1", "b", "x", "w")}
    assert grads == pytest.approx({"diff": 2 * diff, "z2": 2 * diff, "z1": 2 * diff, "b": 2 * diff,
                                   "x": 2 * diff * w, "w": 2 * diff * x}, rel=1e-12, abs=1e-15)
    assert by_id["target"]["grad"] is None


@pytest.mark.parametrize("a", [-5.0, -2.5, 0.0, 0.5, 5.0])
def test_grad_accumulation_at_other_settings_adds_a_and_a(a):
    result = widgets.grad_accumulation(a)
    assert [(e["added"], e["after"]) for e in result["trace"]["backward"][0]["inputs"]] == [(a, a), (a, 2 * a)]
    assert [step["grads"].get("a") for step in result["backward"]] == [None, a, 2 * a]


def slider_ticks(slider):
    """Every value a slider can take: min, min + step, ..., max."""
    count = round((slider["max"] - slider["min"]) / slider["step"]) + 1
    return [slider["min"] + i * slider["step"] for i in range(count)]


@pytest.mark.parametrize("name", ["forward_steps", "compute_graph", "grad_accumulation"])
def test_every_slider_setting_gives_finite_json_and_the_same_steps(name):
    sliders = widgets.STEPPED_SLIDERS[name]
    default = getattr(widgets, name)()
    assert default["sliders"] == sliders and default["settings"] == {s["name"]: s["value"] for s in sliders}
    # Each slider over its whole range, the others at their extremes (compute-graph's largest numbers).
    for moving in sliders:
        for others in ("min", "max"):
            for value in slider_ticks(moving):
                settings = {s["name"]: value if s is moving else s[others] for s in sliders}
                result = getattr(widgets, name)(**settings)
                json.dumps(result, allow_nan=False)
                assert [len(result["forward"]), len(result["backward"])] == [len(default["forward"]), len(default["backward"])]


@pytest.mark.parametrize("name, args, message", [
    ("forward_steps", {"x": 3.5}, "x must be between -3 and 3, got 3.5"),
    ("forward_steps", {"x": float("nan")}, "x must be a finite number, got nan"),
    ("forward_steps", {"x": "2"}, "x must be a finite number, got '2'"),
    ("forward_steps", {"x": None}, "x is empty: type a number"),
    ("compute_graph", {"w": float("inf")}, "w must be a finite number, got inf"),
    ("compute_graph", {"b": -1.5}, "b must be between -1 and 1, got -1.5"),
    ("grad_accumulation", {"a": 5.5}, "a must be between -5 and 5, got 5.5"),
    ("grad_accumulation", {"a": True}, "a must be a finite number, got True"),
])
def test_stepped_widgets_reject_bad_settings_by_name(name, args, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        getattr(widgets, name)(**args)


def test_explore_at_the_defaults():
    result = widgets.explore(2, 3)
    by_id = nodes(result)
    assert (by_id["c"]["data"], by_id["a"]["grad"], by_id["b"]["grad"]) == (15.0, 3.0, 8.0)
    rows = {row["node"]: row["text"] for row in result["rows"]}
    assert rows["b"] == "2 paths: 5 from c = sum * b (5 × 1) + 3 from sum = a + b (1 × 3) = 8"
    assert result["insight"].startswith("∂c/∂a = b = 3, and ∂c/∂b = a + 2b = 2 + 2 × 3 = 8")


def test_explore_rows_mark_their_formulas_so_the_page_keeps_each_on_one_line():
    rows = {row["node"]: row for row in widgets.explore(2, 3)["rows"]}
    for row in rows.values():
        assert "".join(part.get("formula", part.get("text")) for part in row["parts"]) == row["text"]
    formulas = [part["formula"] for part in rows["b"]["parts"] if "formula" in part]
    assert formulas == ["c = sum * b", "(5 × 1)", "sum = a + b", "(1 × 3)", " = 8"]
    assert [part for part in rows["c"]["parts"] if "formula" in part] == [{"formula": "∂c/∂c = 1"}]


def test_explore_rows_come_from_the_backward_record():
    result = widgets.explore(-1.5, 4)
    record = {(step["node"], entry["to"]): entry for step in result["trace"]["backward"] for entry in step["inputs"]}
    direct, via_sum = record[("c", "b")], record[("sum", "b")]
    b_row = next(row for row in result["rows"] if row["node"] == "b")
    assert b_row["text"].startswith(f"2 paths: {number(direct['added'])} from c = sum * b")
    assert f"+ {number(via_sum['added'])} from sum = a + b" in b_row["text"]
    assert b_row["grad"] == direct["added"] + via_sum["added"] == -1.5 + 2 * 4


def test_explore_grid_equals_a_fresh_engine_computation_at_every_setting():
    grid = widgets.explore_grid()
    halves = [i / 2 for i in range(-10, 11)]
    # Keys as JavaScript's String(number) prints the sliders' values: "2", "-4.5", "0".
    js_text = {h: str(int(h)) if h.is_integer() else str(h) for h in halves}
    assert set(grid) == {f"{js_text[a]},{js_text[b]}" for a in halves for b in halves}
    assert len(grid) == 441
    for a in halves:
        for b in halves:
            entry = grid[f"{js_text[a]},{js_text[b]}"]
            assert (entry["a"], entry["b"]) == (a, b)
            assert entry["trace"] == fresh_explore_trace(a, b)
            grads = {node["id"]: node["grad"] for node in entry["trace"]["nodes"]}
            assert (grads["a"], grads["b"]) == (b, a + 2 * b)


def test_explore_first_paint_is_the_start_setting_without_the_grid():
    state = widgets.initial_state()["explore"]
    assert state == {"slider": {"min": -5.0, "max": 5.0, "step": 0.5}, "start": {"a": 2.0, "b": 3.0},
                     "result": widgets.explore(2.0, 3.0)}
    assert state["result"] == widgets.explore_grid()["2,3"]


def test_first_paint_data_is_small():
    # The grid (0.7 MB of JSON) is left out, so the page parses little before it paints.
    size = len(json.dumps(widgets.initial_state()))
    assert size < 150_000, size


@pytest.mark.parametrize("a, b, message", [
    ("2", 3, "a must be a finite number"),
    (2, None, "b is empty: type a number"),
    (2, [3], "b must be a finite number"),
    (float("inf"), 3, "a must be a finite number"),
    (True, 3, "a must be a finite number"),
])
def test_explore_rejects_non_numbers_by_name(a, b, message):
    with pytest.raises(ValueError, match=message):
        widgets.explore(a, b)


def test_nn_backprop_gradients_match_the_matrix_formulas():
    np = pytest.importorskip("numpy", reason="the Tensor engine needs NumPy")
    result = widgets.nn_backprop()
    by_id = nodes(result)
    W, x, b, t = (np.array(widgets.LAYER[k], dtype=np.float64) for k in ("W", "x", "b", "t"))
    y = np.tanh(W @ x + b)
    dz = 2 * (y - t) * (1 - y ** 2)
    assert by_id["L"]["data"] == pytest.approx(float(((y - t) ** 2).sum()), rel=1e-5)
    np.testing.assert_allclose(by_id["W"]["grad"], dz @ x.T, rtol=1e-5)
    np.testing.assert_allclose(by_id["b"]["grad"], dz, rtol=1e-5)
    assert by_id["W"]["shape"] == [2, 2] and by_id["x"]["kind"] == "const" and by_id["t"]["kind"] == "const"
    # W and b are marked for update from the step their gradient is known, and never before.
    for step in result["backward"]:
        assert sorted(step["marked"]) == sorted(i for i in ("W", "b") if i in step["grads"])
    assert sorted(result["backward"][-1]["marked"]) == ["W", "b"]


def test_nn_backprop_without_numpy_says_it_needs_numpy(monkeypatch):
    monkeypatch.setitem(sys.modules, "autodiff.tensor", None)  # as if importing it had failed: no NumPy
    with pytest.raises(ImportError, match="nn-backprop needs the Tensor engine, which needs NumPy"):
        widgets.nn_backprop()


# Steps are derived from the trace, for every stepped widget.

@pytest.mark.parametrize("name", ["forward-steps", "compute-graph", "grad-accumulation", "nn-backprop"])
def test_steps_follow_the_engines_order_and_backward_record(name):
    if name == "nn-backprop":
        pytest.importorskip("numpy", reason="the Tensor engine needs NumPy")
        result = widgets.nn_backprop()
    else:
        result = STEPPED[name]()
    graph = result["trace"]
    kinds = {node["id"]: node["kind"] for node in graph["nodes"]}
    ops_in_order = [i for i in graph["order"] if kinds[i] == "op"]
    assert [step["active"][0] for step in result["forward"][1:]] == ops_in_order
    inputs = [i for i in graph["order"] if kinds[i] != "op"]
    assert sorted(result["forward"][0]["values"]) == sorted(inputs)
    assert result["forward"][-1]["values"] == result["forward"][0]["values"] + ops_in_order
    backward_nodes = [step["active"][0] for step in result["backward"][1:]]
    if name == "grad-accumulation":  # one step per path: per record entry that takes a gradient
        record_nodes = [r["node"] for r in graph["backward"] for e in r["inputs"] if kinds[e["to"]] != "const"]
    else:
        record_nodes = [r["node"] for r in graph["backward"]]
    assert backward_nodes == record_nodes
    assert result["backward"][0]["active"] == [graph["output"]]
    final = {node["id"]: node["grad"] for node in graph["nodes"] if node["kind"] != "const"}
    assert result["backward"][-1]["grads"] == final


def test_steps_skip_a_tensor_computed_from_constants_alone():
    pytest.importorskip("numpy", reason="the Tensor engine needs NumPy")
    from autodiff.tensor import Tensor
    from lesson.steps import backward_pass, gradient_table
    doubled = Tensor([1.0, 2.0]) * 2  # no input requires a gradient, so neither does it
    doubled.label = "doubled"
    w = Tensor([0.5, -1.0], requires_grad=True)
    w.label = "w"
    loss = (doubled * w).sum()
    loss.backward()
    graph = trace(loss)
    steps = backward_pass(graph)
    assert "doubled" not in steps[-1]["grads"] and steps[-1]["grads"]["w"] == [2.0, 4.0]
    assert "doubled" not in [row["node"] for row in gradient_table(graph)]


def test_initial_state_has_every_widget_and_is_plain_json():
    state = widgets.initial_state()
    assert set(state) == {"forward-steps", "compute-graph", "grad-accumulation",
                          "neuron-training", "explore", "nn-backprop", "broadcast", "playground"}
    assert json.loads(json.dumps(state, allow_nan=False)) == state


@pytest.mark.parametrize("x, text", [
    (6.0, "6"), (0.30000000000000004, "0.3"), (0.09000000000000002, "0.09"), (1e-7, "1e-7"),
    (-2.5e21, "-2.5e21"), (-0.0, "0"), (None, "undefined"), ([[1.0], [2.0]], "2×1"),
])
def test_numbers_in_texts_print_short(x, text):
    assert number(x) == text


# Derivative rules name the node's own operands, never a generic x and y.

def backward_text(result, node_id):
    """The text of the backward step at `node_id`."""
    return next(step["text"] for step in result["backward"][1:] if step["active"][0] == node_id)


def test_rules_in_step_texts_use_the_nodes_names():
    graph = widgets.compute_graph()
    assert "At z1 = w * x, upstream ∂loss/∂z1 = 0.6; rule: ∂z1/∂w = x, ∂z1/∂x = w." in backward_text(graph, "z1")
    assert "rule: ∂loss/∂diff = 2 * diff." in backward_text(graph, "loss")
    # The constant target takes no gradient, so its half of the rule is left out.
    assert "rule: ∂diff/∂z2 = 1." in backward_text(graph, "diff")
    steps = widgets.forward_steps()
    assert "At a = x * 3, upstream ∂c/∂a = 14; rule: ∂a/∂x = 3." in backward_text(steps, "a")


def test_one_path_per_step_shows_the_rule_for_its_own_operand():
    texts = [step["text"] for step in widgets.grad_accumulation()["backward"][1:]]
    assert [text.count("rule: ∂c/∂a = a.") for text in texts] == [1, 1]


def test_nn_backprop_backward_texts_show_each_share_in_numbers():
    pytest.importorskip("numpy", reason="the Tensor engine needs NumPy")
    result = widgets.nn_backprop()
    short = lambda x: f"{x:.3g}"  # as the graph's nodes print an array's entries
    column = lambda values: "[" + ", ".join(short(row[0]) for row in values) + "]ᵀ"
    matrix = lambda values: "[" + ", ".join("[" + ", ".join(map(short, row)) + "]" for row in values) + "]"
    record = {(r["node"], e["to"]): (r["upstream"], e["added"]) for r in result["trace"]["backward"] for e in r["inputs"]}
    upstream, added = record[("z1", "W")]
    assert f"upstream ∂L/∂z1 = {column(upstream)};" in backward_text(result, "z1")
    assert f"∂L/∂W += {matrix(added)}." in backward_text(result, "z1")
    assert f"∂L/∂b += {column(record[('z2', 'b')][1])}." in backward_text(result, "z2")
    assert not any(re.search(r"a \d+×\d+ gradient", step["text"]) for step in result["backward"])


def test_the_matmul_rule_names_the_layers_matrices():
    pytest.importorskip("numpy", reason="the Tensor engine needs NumPy")
    result = widgets.nn_backprop()
    assert "At z1 = W @ x, upstream ∂L/∂z1 = [-0.793, 0.503]ᵀ; rule: ∂L/∂W = ∂L/∂z1 @ x.T." in backward_text(result, "z1")
    assert "rule: ∂y/∂z2 = 1 - y**2." in backward_text(result, "y")


def test_negative_numbers_in_step_texts_are_bracketed():
    from lesson.playground import playground
    result = playground("x**2 * y", {"x": -3, "y": -2})
    assert [step["text"] for step in result["forward"][1:]] == ["z1 = x**2 = (-3)**2 = 9.", "f = z1 * y = 9 * (-2) = -18."]
    assert "∂f/∂x += -6 × (-2) = 12." in result["backward"][-1]["text"]


def test_a_negative_constant_in_a_rule_is_bracketed():
    from lesson.playground import playground
    result = playground("-2/x", {"x": 4})
    assert "rule: ∂f/∂x = -(-2)/x**2." in result["backward"][1]["text"]
