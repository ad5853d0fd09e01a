"""The two Tensor-engine widgets at many settings, against NumPy written out here: nn-backprop (a tanh
layer and its squared loss, every entry of W, x, b and t on a slider) and broadcasting (y = x + b for
two shapes, forward stretched, backward summed back by _unbroadcast); and the inputs they refuse."""

import itertools
import json
import random
import re

import pytest

np = pytest.importorskip("numpy", reason="the Tensor engine needs NumPy")

from lesson import api, broadcasting, widgets  # noqa: E402
from lesson.broadcasting import broadcast, broadcast_start  # noqa: E402

LAYER_SLIDERS = widgets.STEPPED_SLIDERS["nn_backprop"]


def ticks(slider):
    """Every value a slider can take, as the page's slider gives it (0.1 steps written as decimals)."""
    count = round((slider["max"] - slider["min"]) / slider["step"]) + 1
    return [round(slider["min"] + i * slider["step"], 10) for i in range(count)]


def reference_layer(W, x, b, t):
    """y = tanh(W @ x + b), L = sum((y - t)**2) and its gradients, derived by hand in float32 (no engine)."""
    W, x, b, t = (np.array(v, dtype=np.float32) for v in (W, x, b, t))
    z1 = W @ x
    z2 = z1 + b
    y = np.tanh(z2)
    diff = y - t
    dz2 = 2 * diff * (1 - y * y)  # dL/dy = 2 (y - t), through tanh: times 1 - y²
    return {"z1": z1, "z2": z2, "y": y, "diff": diff, "L": (diff ** 2).sum(),
            "grads": {"L": 1.0, "sq": np.ones_like(diff), "diff": 2 * diff, "y": 2 * diff, "z2": dz2, "z1": dz2,
                      "b": dz2, "W": dz2 @ x.T}}


def layer_settings(rng):
    """A random setting of every slider, each at one of its ticks."""
    return {slider["name"]: rng.choice(ticks(slider)) for slider in LAYER_SLIDERS}


def as_tensors(settings):
    """The settings as the four nested lists W, x, b, t (the sliders' keys say where each entry goes)."""
    W = [[settings["W11"], settings["W12"]], [settings["W21"], settings["W22"]]]
    return W, [[settings["x1"]], [settings["x2"]]], [[settings["b1"]], [settings["b2"]]], [[settings["t1"]], [settings["t2"]]]


SETTINGS = [
    {},  # the lesson's
    {s["name"]: s["min"] for s in LAYER_SLIDERS},
    {s["name"]: s["max"] for s in LAYER_SLIDERS},
    {"W12": 0.7, "x2": -1.5, "t1": -0.9},
    *(layer_settings(random.Random(seed)) for seed in range(12)),
]


@pytest.mark.parametrize("moved", SETTINGS)
def test_nn_backprop_equals_the_layer_written_out_in_numpy(moved):
    result = widgets.nn_backprop(**moved)
    settings = {s["name"]: moved.get(s["name"], s["value"]) for s in LAYER_SLIDERS}
    assert result["settings"] == settings
    W, x, b, t = as_tensors(settings)
    assert result["inputs"] == {"W": W, "x": x, "b": b, "t": t}
    expected = reference_layer(W, x, b, t)
    nodes = {node["id"]: node for node in result["trace"]["nodes"]}
    assert set(nodes) == {"W", "x", "b", "t", "z1", "z2", "y", "diff", "sq", "L"}
    for name in ("z1", "z2", "y", "diff"):
        np.testing.assert_allclose(nodes[name]["data"], expected[name], rtol=1e-6, atol=1e-7, err_msg=name)
    assert nodes["L"]["data"] == pytest.approx(float(expected["L"]), rel=1e-6, abs=1e-7)
    for name, grad in expected["grads"].items():
        np.testing.assert_allclose(nodes[name]["grad"], grad, rtol=1e-5, atol=1e-6, err_msg=f"grad of {name}")
    assert nodes["x"]["grad"] is None and nodes["t"]["grad"] is None  # constants
    assert [n["shape"] for n in (nodes["W"], nodes["x"], nodes["z1"])] == [[2, 2], [2, 1], [2, 1]]
    # W and b are marked for update from the step their gradient is known, at every setting.
    for step in result["backward"]:
        assert sorted(step["marked"]) == sorted(i for i in ("W", "b") if i in step["grads"])
    json.dumps(result, allow_nan=False)


def test_nn_backprop_sliders_name_each_entry_of_each_tensor():
    labels = [(s["name"], s["label"], s["group"]) for s in LAYER_SLIDERS]
    assert labels[:2] == [("W11", "W row 1, column 1", "W, the weights (a parameter)"),
                          ("W12", "W row 1, column 2", "W, the weights (a parameter)")]
    assert [name for name, _, _ in labels] == ["W11", "W12", "W21", "W22", "x1", "x2", "b1", "b2", "t1", "t2"]
    assert ("x2", "x row 2", "x, the input") in labels and ("t1", "t row 1", "t, the target") in labels
    # Each starts at the lesson's layer, and the page gets them with the first paint.
    assert widgets.nn_backprop()["settings"] == {"W11": 0.5, "W12": -0.3, "W21": 0.2, "W22": 0.4,
                                                 "x1": 1.0, "x2": 2.0, "b1": 0.2, "b2": -0.1, "t1": 0.5, "t2": 0.2}
    assert widgets.initial_state()["nn-backprop"]["sliders"] == LAYER_SLIDERS


def test_nn_backprop_keeps_the_lessons_numbers_at_its_default():
    nodes = {node["id"]: node for node in widgets.nn_backprop()["trace"]["nodes"]}
    assert nodes["L"]["data"] == pytest.approx(0.4268, abs=5e-5)  # the layer-backprop cell prints L = 0.4268


@pytest.mark.parametrize("args, error, message", [
    ({"W12": 3}, ValueError, "W row 1, column 2 must be between -2 and 2, got 3"),
    ({"x1": "a"}, ValueError, "x row 1 must be a finite number, got 'a'"),
    ({"b2": float("nan")}, ValueError, "b row 2 must be a finite number, got nan"),
    ({"t2": None}, ValueError, "t row 2 is empty: type a number"),
    ({"W21": True}, ValueError, "W row 2, column 1 must be a finite number, got True"),
    ({"W13": 0.1}, TypeError, "nn_backprop has no input 'W13'; its inputs are W11, W12, W21, W22, x1, x2, b1, b2, t1, t2"),
])
def test_nn_backprop_refuses_bad_inputs_by_name(args, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        widgets.nn_backprop(**args)


def test_nn_backprop_through_the_pages_entry_point():
    assert json.loads(api.call("nn_backprop", json.dumps({"W12": 0.7, "t2": -1}))) == json.loads(
        json.dumps(widgets.nn_backprop(W12=0.7, t2=-1)))
    with pytest.raises(ValueError, match="W row 1, column 2 must be between"):
        api.call("nn_backprop", json.dumps({"W12": 9}))


# Broadcasting: y = x + b, x = 0, 1, 2, ... and b = 10, 20, 30, ...

def reference_input_grad(g, shape):
    """∂L/∂input for an input of `shape` broadcast into g's shape, by walking every entry of g and adding it
    to the entry it came from (aligned from the right; size-1 axes always at index 0): no NumPy broadcasting."""
    lead = g.ndim - len(shape)
    grad = np.zeros(shape)
    for index in np.ndindex(g.shape):
        grad[tuple(0 if n == 1 else i for i, n in zip(index[lead:], shape))] += g[index]
    return grad


def reference(x_shape, b_shape, upstream):
    """x, b, y and the upstream gradient for the widget's setting, in plain NumPy."""
    x = np.arange(int(np.prod(x_shape))).reshape(x_shape).astype(np.float64)
    b = 10.0 * (np.arange(int(np.prod(b_shape))) + 1).reshape(b_shape)
    y = x + b
    g = np.ones(y.shape) if upstream == "ones" else np.arange(1, y.size + 1, dtype=np.float64).reshape(y.shape)
    return x, b, y, g


PAIRS = [(x, b) for x, b in broadcasting.PAIRS if x != (3, 4) or b != (3,)]  # those that broadcast
MORE_PAIRS = [((4,), (3, 4)), ((), (2, 3)), ((2, 1, 4), (3, 1)), ((1,), (1, 1, 1)), ((5, 1, 6), (6,)), ((1, 4), (4,)),
              ((2, 3), (2, 3))]


@pytest.mark.parametrize("upstream", ["ones", "counting"])
@pytest.mark.parametrize("x_shape, b_shape", PAIRS + MORE_PAIRS)
def test_broadcast_equals_numpy_written_out(x_shape, b_shape, upstream):
    result = broadcast(str(x_shape), str(b_shape), upstream)
    x, b, y, g = reference(x_shape, b_shape, upstream)
    assert result["y_shape"] == list(y.shape) and result["y"]["data"] == y.tolist() and result["y"]["grad"] == g.tolist()
    for data, story in zip((x, b), result["inputs"]):
        name, shape = story["name"], data.shape
        assert story["shape"] == list(shape) and story["data"] == data.tolist()
        assert story["stretched"] == np.broadcast_to(data, y.shape).tolist()
        grad = reference_input_grad(g, shape)
        assert story["grad"] == grad.tolist(), name
        # Each stage is one sum of _unbroadcast: the leading axes first, then the size-1 ones, to the input's shape.
        lead = y.ndim - len(shape)
        expected_stages = []
        if lead:
            expected_stages.append(g.sum(axis=tuple(range(lead))))
        if tuple(y.shape[lead:]) != shape:
            expected_stages.append(grad)
        assert [s["values"] for s in story["stages"]] == [s.tolist() for s in expected_stages], name
        assert [s["shape"] for s in story["stages"]] == [list(s.shape) for s in expected_stages]
        # The stretched axes are where y is bigger than the input lined up from the right.
        aligned = (1,) * lead + shape
        assert story["stretched_axes"] == [i for i, (n, m) in enumerate(zip(aligned, y.shape)) if n != m]
        assert story["copies"] == y.size // data.size
        # Each entry's sum text adds exactly the upstream gradients that entry fed, in row-major order.
        fed = [[] for _ in range(data.size)]
        for index in np.ndindex(y.shape):
            fed[np.ravel_multi_index(tuple(0 if n == 1 else i for i, n in zip(index[lead:], shape)), shape)].append(g[index])
        for index, text in enumerate(story["sums"]):
            terms = " + ".join(f"{t:g}" for t in fed[index])
            total = f"{grad.reshape(-1)[index]:g}"
            if len(fed[index]) == 1:
                assert text.endswith(f" = {total}: this entry was used once, so it takes its one upstream gradient"), text
            elif len(fed[index]) <= broadcasting.MAX_TERMS:
                assert text.endswith(f" = {terms} = {total}"), text
            else:
                assert text.endswith(f" ({len(fed[index])} upstream gradients) = {total}"), text
        original = np.array(story["original"])
        assert original.sum() == data.size  # one first copy of each entry
        source = np.array(story["source"])
        assert sorted(source[original].tolist()) == list(range(data.size))


def test_the_seeds_example_is_the_default():
    start = broadcast_start()
    assert start["start"] == {"x_shape": "(3, 4)", "b_shape": "(4,)", "upstream": "ones"}
    default = start["results"]["(3, 4)|(4,)|ones"]
    bias = default["inputs"][1]
    assert bias["grad"] == [3.0, 3.0, 3.0, 3.0]  # each bias entry was added to three rows
    assert [s["text"] for s in bias["stages"]] == ["sum over axis 0, which b does not have: (3, 4) → (4,)"]
    assert bias["sums"][2] == "∂L/∂b[2] = 1 + 1 + 1 = 3"
    assert bias["forward_text"] == ("b (4,) lines up with y's shape (3, 4) from the right, as (1, 4). NumPy stretches "
                                    "it along axis 0 (1 → 3), without copying memory: each of its 4 entries is used 3 times.")


def test_the_stages_name_the_axes_they_sum():
    story = broadcast("(2, 3, 4)", "(3, 1)", "counting")["inputs"][1]
    assert [s["text"] for s in story["stages"]] == [
        "sum over axis 0, which b does not have: (2, 3, 4) → (3, 4)",
        "sum over axis 1 (axis 2 of y), where b has size 1, keeping it: (3, 4) → (3, 1)"]
    assert story["sums"][0] == "∂L/∂b[0, 0] = 1 + 2 + 3 + 4 + 13 + 14 + 15 + 16 = 68"
    scalar = broadcast("(2, 3, 4)", "()", "counting")["inputs"][1]
    assert scalar["sums"] == ["∂L/∂b = 1 + 2 + 3 + 4 + 5 + 6 + … + 24 (24 upstream gradients) = 300"]


def test_the_build_table_holds_every_pair_and_upstream_offered():
    start = broadcast_start()
    assert [(p["x"], p["b"]) for p in start["pairs"]] == [(str(x), str(b)) for x, b in broadcasting.PAIRS]
    assert set(start["results"]) == {f"{p['x']}|{p['b']}|{u['value']}" for p in start["pairs"] for u in start["upstreams"]}
    for key, result in start["results"].items():
        assert result == broadcast(*key.split("|"))
    json.dumps(start, allow_nan=False)


def test_a_pair_that_does_not_broadcast_gets_numpys_message():
    try:
        np.zeros((3, 4)) + np.zeros((3,))
    except ValueError as error:
        numpy_says = str(error).strip()
    result = broadcast("(3, 4)", "(3,)")
    assert result["error"] == {"message": numpy_says, "field": None}
    assert numpy_says.startswith("operands could not be broadcast together with shapes (3,4) (3,)")
    assert broadcast_start()["results"]["(3, 4)|(3,)|ones"]["error"]["message"] == numpy_says


@pytest.mark.parametrize("x_shape, b_shape, field, message", [
    ("", "(4,)", "x", "the shape of x is empty: type one, such as (3, 4), or () for a single number"),
    ("(3, 4)", "3.5", "b", "the shape of b must be whole numbers separated by commas, such as (3, 4) or (4,); got '3.5'"),
    ("(1, 2, 3, 4)", "(4,)", "x", "the shape of x has 4 axes; this widget draws at most 3"),
    ("(0, 4)", "(4,)", "x", "each axis of x must have a size from 1 to 6, got 0"),
    ("(3, 4)", "(7,)", "b", "each axis of b must have a size from 1 to 6, got 7"),
    ("((3))", "(4,)", "x", "the shape of x must be whole numbers separated by commas, such as (3, 4) or (4,); got '((3))'"),
    ("__import__('os')", "(4,)", "x", "the shape of x must be whole numbers separated by commas, such as (3, 4) or (4,); "
                                      "got \"__import__('os')\""),
    ("9" * 100, "(4,)", "x", f"the shape of x must be whole numbers separated by commas, such as (3, 4) or (4,); got '{'9' * 40}…'"),
])
def test_refused_shapes_say_why_and_which_field(x_shape, b_shape, field, message):
    result = broadcast(x_shape, b_shape)
    assert result["error"] == {"message": message, "field": field}
    assert (result["x_text"], result["b_text"]) == (x_shape, b_shape)  # what was asked, for the page to show


def test_a_result_bigger_than_the_page_draws_is_refused():
    result = broadcast("(6, 1, 6)", "(6, 1)")
    assert result["error"] == {"message": "y = x + b would have shape (6, 6, 6), 216 entries; this widget draws at most 72",
                               "field": None}


def test_shapes_also_come_as_lists_and_the_rest_is_a_programming_error():
    assert broadcast([3, 4], [4])["inputs"][1]["grad"] == [3.0] * 4
    assert broadcast([3, 4], [4.0])["error"]["field"] == "b"
    with pytest.raises(TypeError, match="the shape of x must be text"):
        broadcast(3, "(4,)")
    with pytest.raises(ValueError, match="upstream must be one of ones, counting, got 'twos'"):
        broadcast("(3, 4)", "(4,)", "twos")


def test_shape_text_is_read_in_every_way_python_writes_a_shape():
    for text, shape in [("(3, 4)", (3, 4)), ("3,4", (3, 4)), (" ( 4 , ) ", (4,)), ("4", (4,)), ("()", ()), ("(2,3,4)", (2, 3, 4))]:
        assert broadcasting.parse_shape("x", text) == shape
    for text in ["(,)", ",", "3 4", "(3, 4", "[3, 4]", "-1", "3,,4"]:
        with pytest.raises(broadcasting.ShapeError):
            broadcasting.parse_shape("x", text)


def test_broadcast_through_the_pages_entry_point():
    for x_shape, b_shape in itertools.islice(PAIRS, 3):
        args = {"x_shape": str(x_shape), "b_shape": str(b_shape), "upstream": "counting"}
        assert json.loads(api.call("broadcast", json.dumps(args))) == json.loads(json.dumps(broadcast(**args)))
