"""trace(): ids, order, edges and the replayed backward record the page's views draw."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Value
from autodiff.trace import RULES, node_ids, plain, rule, trace
from catalogue import CATALOGUE, TENSOR_MISSING


def sum_times_b(a=2.0, b=3.0):
    """c = (a + b) * b with a, b and c labelled, the sum not."""
    a, b = Value(a, label="a"), Value(b, label="b")
    c = (a + b) * b
    c.label = "c"
    return c


def test_sum_times_b_nodes_edges_and_order():
    c = sum_times_b()
    c.backward()
    t = trace(c)
    assert t["output"] == "c"
    assert t["order"] == ["a", "b", "n2", "c"]
    assert t["nodes"] == [
        {"id": "a", "label": "a", "op": "", "symbol": "", "kind": "leaf", "data": 2.0, "grad": 3.0},
        {"id": "b", "label": "b", "op": "", "symbol": "", "kind": "leaf", "data": 3.0, "grad": 8.0},
        {"id": "n2", "label": "", "op": "+", "symbol": "+", "kind": "op", "data": 5.0, "grad": 3.0},
        {"id": "c", "label": "c", "op": "*", "symbol": "×", "kind": "op", "data": 15.0, "grad": 1.0}]
    assert t["edges"] == [
        {"source": "a", "target": "n2", "slot": 0}, {"source": "b", "target": "n2", "slot": 1},
        {"source": "n2", "target": "c", "slot": 0}, {"source": "b", "target": "c", "slot": 1}]


def test_sum_times_b_backward_record_shows_b_accumulating_5_then_3():
    c = sum_times_b()
    c.backward()
    assert trace(c)["backward"] == [
        {"node": "c", "op": "*", "upstream": 1.0, "rule": ["∂{out}/∂{0} = {1}", "∂{out}/∂{1} = {0}"], "inputs": [
            {"to": "n2", "slot": 0, "local": 3.0, "added": 3.0, "before": 0.0, "after": 3.0},
            {"to": "b", "slot": 1, "local": 5.0, "added": 5.0, "before": 0.0, "after": 5.0}]},
        {"node": "n2", "op": "+", "upstream": 3.0, "rule": ["∂{out}/∂{0} = 1", "∂{out}/∂{1} = 1"], "inputs": [
            {"to": "a", "slot": 0, "local": 1.0, "added": 3.0, "before": 0.0, "after": 3.0},
            {"to": "b", "slot": 1, "local": 1.0, "added": 3.0, "before": 5.0, "after": 8.0}]}]


def loss_graph(x=2.0, w=0.5, b=0.1, target=0.8):
    """The lesson's loss example with every node labelled as the lesson names it."""
    x, w, b = Value(x, label="x"), Value(w, label="w"), Value(b, label="b")
    target = Value(target, label="target", requires_grad=False)
    z1 = w * x
    z2 = z1 + b
    diff = z2 - target
    loss = diff ** 2
    for node, name in ((z1, "z1"), (z2, "z2"), (diff, "diff"), (loss, "loss")):
        node.label = name
    return loss


def test_loss_example_trace():
    loss = loss_graph()
    loss.backward()
    t = trace(loss)
    assert t["order"] == ["w", "x", "z1", "b", "z2", "target", "diff", "loss"]
    nodes = {n["id"]: n for n in t["nodes"]}
    assert nodes["target"] == {"id": "target", "label": "target", "op": "", "symbol": "", "kind": "const",
                               "data": 0.8, "grad": None}
    assert {name: round(nodes[name]["grad"], 12) for name in ("loss", "diff", "z2", "z1", "b", "x", "w")} == \
        {"loss": 1.0, "diff": 0.6, "z2": 0.6, "z1": 0.6, "b": 0.6, "x": 0.3, "w": 1.2}
    steps = {s["node"]: s for s in t["backward"]}
    assert [s["node"] for s in t["backward"]] == ["loss", "diff", "z2", "z1"]
    assert steps["loss"]["rule"] == ["∂{out}/∂{0} = 2 * {0}"]
    to_target = steps["diff"]["inputs"][1]
    assert to_target == {"to": "target", "slot": 1, "local": -1.0, "added": None, "before": None, "after": None}
    to_w, to_x = steps["z1"]["inputs"]
    assert (to_w["to"], to_w["local"], round(to_w["added"], 12)) == ("w", 2.0, 1.2)
    assert (to_x["to"], to_x["local"], round(to_x["added"], 12)) == ("x", 0.5, 0.3)


def test_trace_is_json_without_nan():
    loss = loss_graph()
    loss.backward()
    t = trace(loss)
    assert json.loads(json.dumps(t, allow_nan=False)) == t


def test_same_expression_at_other_values_keeps_ids_edges_and_order():
    first, second = loss_graph(), loss_graph(x=-1.5, w=3.0, b=-0.2, target=0.1)
    first.backward()
    second.backward()
    a, b = trace(first), trace(second)
    assert [n["id"] for n in a["nodes"]] == [n["id"] for n in b["nodes"]]
    assert (a["edges"], a["order"], a["output"]) == (b["edges"], b["order"], b["output"])
    assert [s["rule"] for s in a["backward"]] == [s["rule"] for s in b["backward"]], "rules carry no values"
    assert [n["data"] for n in a["nodes"]] != [n["data"] for n in b["nodes"]]


def test_reused_node_has_one_edge_per_slot():
    a = Value(3.0, label="a")
    c = a * a
    c.backward()
    t = trace(c)
    assert t["edges"] == [{"source": "a", "target": "n1", "slot": 0}, {"source": "a", "target": "n1", "slot": 1}]
    (step,) = t["backward"]
    assert [(e["before"], e["after"]) for e in step["inputs"]] == [(0.0, 3.0), (3.0, 6.0)]


def test_duplicate_or_empty_labels_get_index_ids():
    x, y = Value(1.0, label="v"), Value(2.0, label="v")
    out = x + y
    assert trace(out)["order"] == ["n0", "n1", "n2"]


def test_a_label_that_looks_like_a_made_up_id_gives_way():
    x = Value(1.0, label="n1")  # node 0, but "n1" is also the id made up for unlabelled node 1
    y = Value(2.0)
    z = Value(3.0, label="n0")  # would clash with x once x gives way
    out = (x + y) * z
    ids = trace(out)["order"]
    assert len(set(ids)) == len(ids)
    assert ids == ["n0", "n1", "n2", "n3", "n4"]


def test_node_ids_use_unique_labels():
    class Node:
        def __init__(self, label):
            self.label = label
    assert node_ids([Node("x"), Node(""), Node("y"), Node("y"), Node("out")]) == ["x", "n1", "n2", "n3", "out"]


def test_trace_before_backward_shows_grads_as_they_are_and_the_pass_to_come():
    c = sum_times_b()
    t = trace(c)
    assert [n["grad"] for n in t["nodes"]] == [0.0, 0.0, 0.0, 0.0]
    assert t["backward"][1]["inputs"][1]["after"] == 8.0


def test_every_value_op_has_a_rule_with_one_template_per_operand():
    for op, operands in (("+", 2), ("-", 2), ("*", 2), ("/", 2), ("neg", 1), ("tanh", 1), ("relu", 1),
                         ("exp", 1), ("log", 1), ("sigmoid", 1)):
        templates = rule(op)
        assert templates == list(RULES[op]) and len(templates) == operands
        # Each names the operand it is for: {0} in the first, {1} in the second.
        assert [t.split(" = ")[0] for t in templates] == ["∂{out}/∂{%d}" % i for i in range(operands)]
    assert rule("no such op") is None


@pytest.mark.parametrize("op, template", [
    ("**2", "∂{out}/∂{0} = 2 * {0}"),
    ("**3", "∂{out}/∂{0} = 3 * {0}**2"),
    ("**-1", "∂{out}/∂{0} = -1 * {0}**(-2)"),
    ("**0.5", "∂{out}/∂{0} = 0.5 * {0}**(-0.5)"),
    ("**2.5", "∂{out}/∂{0} = 2.5 * {0}**1.5"),
    ("**1", "∂{out}/∂{0} = 1"),
    ("**0", "∂{out}/∂{0} = 0"),
])
def test_the_power_rule_is_written_for_its_exponent(op, template):
    assert rule(op) == [template]


def test_tensor_rules_cover_every_op_of_the_tensor_engine():
    for op in ("@", "sum", "mean", "T", "reshape", "softmax", "log_softmax", "add_", "sub_", "mul_", "zero_"):
        assert rule(op) and all(t.startswith("∂{") for t in rule(op))
    assert rule("@") == ["∂{root}/∂{0} = ∂{root}/∂{out} @ {1}.T", "∂{root}/∂{1} = {0}.T @ ∂{root}/∂{out}"]


def test_plain_turns_non_finite_numbers_into_none():
    assert plain(float("inf")) == (None, False)
    assert plain(2) == (2.0, True)
    np = pytest.importorskip("numpy")
    assert plain(np.array([[1.0, np.inf], [np.nan, 2.0]])) == ([[1.0, None], [None, 2.0]], False)
    assert plain(np.float32(0.5)) == (0.5, True)


def test_trace_of_a_deep_chain_does_not_recurse():
    x = Value(0.5, label="x")
    y = x
    for _ in range(20_000):
        y = -y
    y.backward()
    t = trace(y)
    assert len(t["order"]) == 20_001 and len(t["backward"]) == 20_000
    assert t["nodes"][0]["grad"] == 1.0


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda case: case.name)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_replayed_backward_ends_at_exactly_the_grads_backward_left(case, data):
    xs = [data.draw(st.floats(low, high)) for low, high in case.domain]
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = case.fn(*inputs)
    out.backward()
    t = trace(out)
    last_after = {}
    for step in t["backward"]:
        for entry in step["inputs"]:
            last_after[entry["to"]] = entry["after"]
    for node in t["nodes"]:
        if node["kind"] == "const":
            assert node["grad"] is None and last_after.get(node["id"]) is None
        elif node["id"] != t["output"]:
            assert last_after[node["id"]] == node["grad"], node["id"]


@pytest.mark.skipif(TENSOR_MISSING is not None, reason=str(TENSOR_MISSING))
def test_tensor_trace_has_shapes_nested_lists_and_no_local():
    from autodiff.tensor import Tensor
    A = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="A")
    B = Tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True, label="B")
    C = A @ B
    C.label = "C"
    out = C.sum()
    out.backward()
    t = trace(out)
    nodes = {n["id"]: n for n in t["nodes"]}
    assert nodes["A"]["shape"] == [2, 2] and nodes["n3"]["shape"] == []
    assert nodes["C"]["data"] == [[19.0, 22.0], [43.0, 50.0]]
    assert nodes["A"]["grad"] == [[11.0, 15.0], [11.0, 15.0]]  # ones @ B^T
    matmul = next(s for s in t["backward"] if s["op"] == "@")
    assert matmul["rule"] == rule("@")
    assert [e["local"] for e in matmul["inputs"]] == [None, None]
    assert matmul["inputs"][1]["after"] == [[4.0, 4.0], [6.0, 6.0]]  # A^T @ ones
    assert matmul["inputs"][1]["before"] is None
    json.dumps(t, allow_nan=False)


@pytest.mark.skipif(TENSOR_MISSING is not None, reason=str(TENSOR_MISSING))
def test_tensor_trace_shows_non_finite_data_as_none_with_a_note():
    import numpy as np
    from autodiff.tensor import Tensor
    x = Tensor([1.0, np.inf], requires_grad=True, label="x")
    out = (x * 2).sum()
    out.backward()
    t = trace(out)
    node = t["nodes"][0]
    assert node["data"] == [1.0, None] and "not finite" in node["note"]
    json.dumps(t, allow_nan=False)


def test_the_backward_record_replays_the_seed_that_backward_was_given():
    """y.backward(0.5) halves every gradient; the replayed record must say the same."""
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    y = (a + b) * b
    y.label = "y"
    y.backward(0.5)
    record = trace(y)
    assert record["backward"][0]["upstream"] == 0.5
    final = {}
    for step in record["backward"]:
        for entry in step["inputs"]:
            final[entry["to"]] = entry["after"]
    assert final["a"] == a.grad == 1.5
    assert final["b"] == b.grad == 4.0


# The table of operations (autodiff.ops): every op either engine records has its row.

def every_value_op():
    """One graph using every operation Value has (each once at least)."""
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    terms = [x + y, x - y, x * y, x / y, -x, x ** 3, x.tanh(), x.relu(), x.exp(), y.log(), x.sigmoid()]
    return sum(terms[1:], terms[0])


def every_tensor_op():
    """One graph using every operation Tensor has, in-place ones included."""
    import numpy as np
    from autodiff.tensor import Tensor
    a = Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    b = Tensor(np.ones((3, 2)), requires_grad=True)
    h = (a @ b).tanh() + (a / 2 - a.T.reshape(2, 3) * 3) @ b ** 2
    h = -h.relu().sigmoid().exp().log() + h.softmax().log_softmax().mean(axis=1, keepdims=True)
    changed = h * 1.0
    changed += 1
    changed -= 2
    changed *= 3
    return changed.sum() + (h * 0).zero_().sum()


def test_every_op_either_engine_records_has_a_row_with_a_rule_per_operand():
    from autodiff.graph import topo_order
    from autodiff.ops import row
    graphs = [every_value_op()] + ([] if TENSOR_MISSING else [every_tensor_op()])
    seen = {}
    for graph in graphs:
        for node in topo_order(graph):
            if node._prev:
                seen[node._op] = len(node._prev)
    expected = {"+", "-", "*", "/", "neg", "**3", "tanh", "relu", "exp", "log", "sigmoid"}
    if not TENSOR_MISSING:
        expected |= {"@", "**2", "T", "reshape", "softmax", "log_softmax", "mean", "sum", "add_", "sub_",
                     "mul_", "zero_"}
    assert set(seen) == expected
    for op, operands in seen.items():
        assert row(op) is not None and len(row(op).rule) == operands, op
