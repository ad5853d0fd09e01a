"""The scalar Value: every number the lesson states, backward semantics, depth, errors, repr."""

import gc
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autodiff import Value
from autodiff.grad_mode import is_grad_enabled, no_grad
from autodiff.graph import FREE_DEPTH
from catalogue import SEMANTICS, kit_params

ROOT = Path(__file__).resolve().parent.parent

EXACT = 1e-15  # for numbers the lesson writes in decimal (0.3 is not a float; 1.1 - 0.8 is 0.30000000000000004)


def test_forward_chain_x_3x_plus_1_squared():
    x = Value(2.0, label="x")
    a = x * 3
    b = a + 1
    c = b ** 2
    assert (a.data, b.data, c.data) == (6.0, 7.0, 49.0)
    c.backward()
    assert (c.grad, b.grad, a.grad, x.grad) == (1.0, 14.0, 14.0, 42.0)


def loss_example():
    """The lesson's loss graph: z1 = w*x, z2 = z1 + b, diff = z2 - target, loss = diff^2."""
    x, w, b = Value(2.0, label="x"), Value(0.5, label="w"), Value(0.1, label="b")
    target = Value(0.8, label="target", requires_grad=False)
    z1 = w * x
    z2 = z1 + b
    diff = z2 - target
    loss = diff ** 2
    return dict(x=x, w=w, b=b, target=target, z1=z1, z2=z2, diff=diff, loss=loss)


def test_loss_example_forward_and_gradients():
    v = loss_example()
    assert v["z1"].data == 1.0
    assert v["z2"].data == pytest.approx(1.1, abs=EXACT)
    assert v["diff"].data == pytest.approx(0.3, abs=EXACT)
    assert v["loss"].data == pytest.approx(0.09, abs=EXACT)
    v["loss"].backward()
    expected = dict(loss=1.0, diff=0.6, z2=0.6, z1=0.6, b=0.6, x=0.3, w=1.2)
    for name, grad in expected.items():
        assert v[name].grad == pytest.approx(grad, abs=EXACT), name
    assert v["target"].grad == 0.0, "a constant gets no gradient"


def test_gradients_add_up_where_a_value_is_used_twice():
    a = Value(3.0, label="a")
    c = a * a
    c.backward()
    assert c.data == 9.0
    assert a.grad == 6.0  # 3 from each path = 2a


def test_sum_times_b_gives_b_and_a_plus_2b():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    s = a + b
    c = s * b
    c.backward()
    assert (s.data, c.data) == (5.0, 15.0)
    assert s.grad == 3.0
    assert a.grad == 3.0  # b
    assert b.grad == 8.0  # a + 2b: 5 directly, 3 through the sum


def test_product_gradients_are_the_other_factor():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b
    c.backward()
    assert (c.data, a.grad, b.grad) == (6.0, 3.0, 2.0)


def test_neuron_training_run_matches_a_hand_derived_float64_run():
    x, target, lr = 2.0, 0.8, 0.5
    w, b = 0.3, 0.1
    hand_w, hand_b = w, b
    losses, outputs = [], []
    for _ in range(20):
        w_v, b_v = Value(w, label="w"), Value(b, label="b")
        y = (w_v * Value(x, label="x") + b_v).tanh()
        loss = (y - Value(target, label="target", requires_grad=False)) ** 2
        loss.backward()
        w, b = w - lr * w_v.grad, b - lr * b_v.grad
        # The same step by hand: dloss/dz = 2 (y - target) (1 - y^2), z = w x + b.
        hand_y = math.tanh(hand_w * x + hand_b)
        dz = 2 * (hand_y - target) * (1 - hand_y ** 2)
        assert y.data == pytest.approx(hand_y, rel=1e-12)
        assert loss.data == pytest.approx((hand_y - target) ** 2, rel=1e-12)
        assert (w_v.grad, b_v.grad) == pytest.approx((dz * x, dz), rel=1e-12)
        hand_w, hand_b = hand_w - lr * dz * x, hand_b - lr * dz
        losses.append(loss.data)
        outputs.append(y.data)
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])), losses
    # Anchors for the hand derivation itself, as the lesson's printout rounds them.
    assert (round(outputs[0], 4), round(losses[0], 6)) == (0.6044, 0.038272)
    assert (round(w, 4), round(b, 4), round(outputs[-1], 4)) == (0.4594, 0.1797, 0.8)


def test_exercise_gradient_of_x_cubed_at_2_is_12():
    x = Value(2.0, label="x")
    y = x ** 3
    y.backward()
    assert (y.data, x.grad) == (8.0, 12.0)


def test_exercise_softmax_numerator():
    x, z = Value(1.0, label="x"), Value(2.0, label="z")
    exp_x, exp_z = x.exp(), z.exp()
    y = exp_x / (exp_x + exp_z)
    y.backward()
    assert round(y.data, 4) == 0.2689
    assert round(x.grad, 4) == 0.1966
    assert y.data == pytest.approx(1 / (1 + math.e), rel=1e-15)
    assert x.grad == pytest.approx(y.data * (1 - y.data), rel=1e-14)  # y(1 - y)
    assert z.grad == pytest.approx(-y.data * (1 - y.data), rel=1e-14)


@pytest.mark.parametrize("x, relu_grad, tanh_grad_printed", [
    (-2.0, 0.0, 0.071), (-0.5, 0.0, 0.786), (0.5, 1.0, 0.786), (2.0, 1.0, 0.071)])
def test_exercise_relu_vs_tanh_gradients(x, relu_grad, tanh_grad_printed):
    x_relu, x_tanh = Value(x), Value(x)
    x_relu.relu().backward()
    x_tanh.tanh().backward()
    assert x_relu.grad == relu_grad
    assert x_tanh.grad == pytest.approx(1 - math.tanh(x) ** 2, rel=1e-15)
    assert round(x_tanh.grad, 3) == tanh_grad_printed


def test_relu_gradient_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_leaves_accumulate_across_backward_calls_and_intermediates_do_not():
    a = Value(3.0, label="a")
    b = a * 2
    c = b * b
    c.backward()
    assert (a.grad, b.grad) == (24.0, 12.0)
    c.backward()
    assert a.grad == 48.0, "a leaf adds each pass until zeroed"
    assert (b.grad, c.grad) == (12.0, 1.0), "an intermediate holds the current pass only"


def test_backward_of_a_leaf_adds_one_each_call():
    a = Value(2.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


def test_node_protocol_attributes():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = 4 - (a / b) ** 2
    assert c._op == "-"
    four, square = c._prev
    assert (four.data, four.requires_grad, four._op, four._prev) == (4.0, False, "", ())
    assert square._op == "**2" and square._prev[0]._op == "/"
    assert square._prev[0]._prev == (a, b), "operands in order, as a tuple"
    assert square._prev[0]._local == pytest.approx((1 / 3, -2 / 9))
    assert c._local == (1.0, -1.0)
    assert c._chain(2.0) == (2.0, -2.0)
    assert a.requires_grad and c.requires_grad


@pytest.mark.parametrize("make, op", [
    (lambda x: x + 1, "+"), (lambda x: x - 1, "-"), (lambda x: x * 2, "*"), (lambda x: x / 2, "/"),
    (lambda x: x ** 2, "**2"), (lambda x: x ** 0.5, "**0.5"), (lambda x: x ** -1, "**-1"),
    (lambda x: -x, "neg"), (lambda x: x.tanh(), "tanh"), (lambda x: x.relu(), "relu"),
    (lambda x: x.exp(), "exp"), (lambda x: x.log(), "log"), (lambda x: x.sigmoid(), "sigmoid"),
    (lambda x: 1 + x, "+"), (lambda x: 1 - x, "-"), (lambda x: 2 * x, "*"), (lambda x: 2 / x, "/")])
def test_each_operation_is_one_node_with_its_op_name(make, op):
    x = Value(2.0)
    out = make(x)
    assert out._op == op
    assert x in out._prev and all(not p._prev for p in out._prev), "one node, directly on its inputs"
    assert len(out._local) == len(out._prev)


def test_a_number_on_the_left_keeps_operand_order():
    x = Value(2.0)
    out = 5 - x
    assert [p.data for p in out._prev] == [5.0, 2.0]
    assert out.data == 3.0 and out._local == (1.0, -1.0)


def test_sigmoid_is_stable_far_from_zero():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(0.0).sigmoid().data == 0.5


def test_integer_data_becomes_float():
    v = Value(2)
    assert isinstance(v.data, float) and repr(v) == "Value(data=2.0, grad=0.0)"


def test_repr_shows_data_grad_and_label_when_set():
    a = Value(2.0)
    assert repr(a) == "Value(data=2.0, grad=0.0)"
    b = Value(3.0, label="b")
    (b * 2).backward()
    assert repr(b) == "Value(data=3.0, grad=2.0, label='b')"


CHAIN = 1_000_000


@pytest.mark.slow
def test_a_chain_of_a_million_nodes_builds_runs_backward_prints_and_frees():
    x = Value(0.5, label="x")
    y = x
    for _ in range(CHAIN):
        y = -y
    assert repr(y) == "Value(data=0.5, grad=0.0)"
    y.backward()  # must not raise RecursionError
    assert x.grad == 1.0  # (-1) ** 1_000_000
    del y
    gc.collect()
    assert x.grad == 1.0


# Freeing deep graphs by a loop (graph.py): PyTorch frees its graph in C++, so only our engines.
OUR_ENGINES = kit_params(("value", "tensor"))


@pytest.mark.parametrize("make_kit", OUR_ENGINES)
def test_a_long_chain_gets_a_loop_freed_node_after_every_free_depth_plain_ones(make_kit):
    kit = make_kit()
    x = kit.leaf(1.0)
    y = x
    loop_freed = []
    for i in range(3 * FREE_DEPTH):
        y = y + 1
        if type(y) is not type(x):
            loop_freed.append(i)
    assert loop_freed == [FREE_DEPTH, 2 * FREE_DEPTH + 1]
    assert isinstance(y, type(x)) and kit.number(y) == 1.0 + 3 * FREE_DEPTH


@pytest.mark.parametrize("make_kit", OUR_ENGINES)
def test_freeing_a_graph_leaves_nodes_still_held_elsewhere_intact(make_kit):
    kit = make_kit()
    x = kit.leaf(1.0)
    y = x
    kept = []
    for i in range(5 * FREE_DEPTH):
        y = y * 1.0 + x
        if i % 700 == 0:
            kept.append(y)
    del y  # the loop-freed nodes above the kept ones empty what they alone hold, nothing more
    gc.collect()
    accumulated = 0
    for k, node in enumerate(kept):
        node.backward()
        accumulated += 700 * k + 2
        assert kit.number(node) == 1.0 + 700 * k + 1
        assert kit.grad(x) == accumulated, "the kept node's whole history is still there"


PYODIDE = ROOT / "node_modules" / "pyodide" / "pyodide.mjs"
PYODIDE_MISSING = (None if shutil.which("node") and PYODIDE.exists()
                   else "needs node and node_modules/pyodide (npm install)")


@pytest.mark.slow
@pytest.mark.skipif(PYODIDE_MISSING is not None, reason=str(PYODIDE_MISSING))
def test_under_pyodide_a_long_chain_frees_without_overflowing_the_stack():
    # CPython's recursion guard cannot see the JS engine's stack there: a plain chain of about
    # 3,000 nodes kills the interpreter when freed. Builds, backward, repr and frees 200,000.
    script = f"""
import {{ loadPyodide }} from {str(PYODIDE)!r};
import fs from "node:fs";
const py = await loadPyodide();
py.FS.mkdirTree("/pkg/autodiff");
for (const f of fs.readdirSync({str(ROOT / "py" / "autodiff")!r}).filter(f => f.endsWith(".py")))
  py.FS.writeFile("/pkg/autodiff/" + f, fs.readFileSync({str(ROOT / "py" / "autodiff")!r} + "/" + f));
console.log(py.runPython(`
import sys
sys.path.insert(0, "/pkg")
from autodiff import Value
x = Value(0.5)
y = x
for _ in range(200_000):
    y = -y
y.backward()
text = repr(y)
del y
f"{{x.grad}} {{text}} numpy={{'numpy' in sys.modules}}"
`));
"""
    done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("1.0 Value(data=0.5, grad=1.0) numpy=False")


# Errors: each names the problem.

@pytest.mark.parametrize("bad, message", [
    ("2.0", r"^Value data must be a real number \(int or float\), got str: '2.0'$"),
    (None, r"^Value data must be a real number \(int or float\), got NoneType: None$"),
    (1 + 2j, r"^Value data must be a real number \(int or float\), got complex: \(1\+2j\)$"),
    (True, r"^Value data must be a real number \(int or float\), got bool: True$"),
    ([1.0], r"^Value holds one number, got list: \[1.0\]; for an array of numbers use Tensor$")])
def test_non_numeric_data_is_refused(bad, message):
    with pytest.raises(TypeError, match=message):
        Value(bad)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_data_is_refused(bad):
    with pytest.raises(ValueError, match="finite number"):
        Value(bad)


TOO_LARGE = r" is too large for a float \(the largest is about 1.8e308\): got an int of about 10\*\*400$"


@pytest.mark.parametrize("make, what", [
    (lambda: Value(10 ** 400), "Value data"), (lambda: Value(1.0) + 10 ** 400, "Value data"),
    (lambda: Value(2.0) ** 10 ** 400, "the exponent"),
    (lambda: (Value(1.0) * 2).backward(10 ** 400), r"backward\(gradient\): the gradient")])
def test_an_int_too_large_for_a_float_is_named(make, what):
    with pytest.raises(OverflowError, match="^" + what + TOO_LARGE):
        make()


def test_a_non_numeric_operand_is_refused():
    with pytest.raises(TypeError, match="got str"):
        Value(1.0) + "2"
    with pytest.raises(TypeError, match="got NoneType"):
        None * Value(1.0)


def test_label_must_be_text():
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)


def test_value_and_tensor_do_not_mix():
    np = pytest.importorskip("numpy", reason="the Tensor engine needs NumPy")
    tensor = pytest.importorskip("autodiff.tensor")
    t = tensor.Tensor(np.ones(2))
    with pytest.raises(TypeError, match="cannot mix Value and Tensor"):
        Value(1.0) * t
    with pytest.raises(TypeError, match="cannot mix Value and Tensor"):
        Value(t)
    with pytest.raises(TypeError, match="^cannot mix Value and Tensor: use Tensor for both, or Value for both$"):
        Value(2.0) ** t


def test_a_numpy_array_and_a_value_make_an_error_not_an_array_of_values():
    np = pytest.importorskip("numpy", reason="the case needs NumPy")
    message = (r"^Value holds one number, got ndarray: array\(\[1\., 2\.\]\); "
               "for an array of numbers use Tensor$")
    for attempt in (lambda a, v: a + v, lambda a, v: a - v, lambda a, v: a * v, lambda a, v: a / v,
                    lambda a, v: v * a):
        with pytest.raises(TypeError, match=message):
            attempt(np.array([1.0, 2.0]), Value(2.0))
    with pytest.raises(TypeError, match=r"^ndarray \*\* Value is not supported"):
        np.array([1.0, 2.0]) ** Value(2.0)
    total = np.float64(1.5) + Value(2.0)  # a NumPy number is a number
    assert type(total) is Value and total.data == 3.5


@pytest.mark.parametrize("exponent, error, message", [
    (Value(2.0), TypeError, r"Value \*\* Value is not supported"),
    ("2", TypeError, r"^the exponent must be a real number \(int or float\), got str: '2'$"),
    (True, TypeError, r"^the exponent must be a real number \(int or float\), got bool: True$"),
    (float("nan"), ValueError, "^the exponent must be finite, got nan$")])
def test_unsupported_exponents_are_refused(exponent, error, message):
    with pytest.raises(error, match=message):
        Value(2.0) ** exponent


def test_bools_are_refused_as_operands_as_they_are_as_data_exponents_and_gradients():
    for attempt in (lambda: Value(1.0) + True, lambda: False * Value(1.0), lambda: Value(2.0) / True):
        with pytest.raises(TypeError, match=r"^Value data must be a real number \(int or float\), got bool: "):
            attempt()


def test_numpy_numbers_are_exponents_as_they_are_data():
    np = pytest.importorskip("numpy", reason="the case needs NumPy")
    x = Value(2.0)
    square, cube = x ** np.float32(2), x ** np.int64(3)
    (square + cube).backward()
    assert (square.data, square._op, cube.data, cube._op, x.grad) == (4.0, "**2.0", 8.0, "**3", 4.0 + 12.0)
    assert Value(np.float32(2)).data == 2.0  # as data, too


def test_a_number_raised_to_a_value_is_refused():
    with pytest.raises(TypeError, match=r"float \*\* Value is not supported"):
        2.0 ** Value(2.0)


# Values outside an operation's domain: refused with or without grad mode.
VALUE_ERRORS = [
    (lambda: Value(0.0).log(), ValueError, r"positive numbers, got log\(0.0\)"),
    (lambda: Value(-1.0).log(), ValueError, r"positive numbers, got log\(-1.0\)"),
    (lambda: Value(-8.0) ** (1 / 3), ValueError, "not a real number"),
    (lambda: Value(1.0) / 0, ZeroDivisionError, "division by zero"),
    (lambda: 1 / Value(0.0), ZeroDivisionError, "division by zero"),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, "zero cannot be raised to a negative power"),
    (lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000.0\) overflows"),
    (lambda: Value(1e200) * 1e200, OverflowError, "'\\*' of 1e\\+200, 1e\\+200 overflows"),
    (lambda: Value(1e308) + 1e308, OverflowError, "overflows"),
    (lambda: Value(-1e308) - 1e308, OverflowError, "overflows"),
    (lambda: Value(1e300) / 1e-300, OverflowError, "overflows"),
    (lambda: Value(10.0) ** 400, OverflowError, r"^10.0 \*\* 400 overflows$")]
# Defined values whose derivative is not: refused where a graph is recorded; the value, where none is.
DERIVATIVE_ERRORS = [
    (lambda x: x ** 0.5, 0.0, 0.0, ZeroDivisionError, r"^the derivative of x \*\* 0.5 is infinite at x = 0$"),
    (lambda x: x ** -1, 1e-300, 1e-300 ** -1, OverflowError, r"^the derivative of 1e-300 \*\* -1 overflows$"),
    (lambda x: x ** 1750, 1.5, 1.5 ** 1750, OverflowError, r"^the derivative of 1.5 \*\* 1750 overflows$"),
    (lambda x: x.log(), 5e-324, math.log(5e-324), OverflowError, "derivative 1/x of log"),
    (lambda x: x / 1e-160, 1e-10, 1e150, OverflowError, r"^the derivative of 1e-10 / 1e-160 overflows$"),
    (lambda x: 1 / x, 1e-300, 1 / 1e-300, OverflowError, r"^the derivative of 1.0 / 1e-300 overflows$")]


@pytest.mark.parametrize("make, error, message", VALUE_ERRORS)
def test_domain_errors_follow_math(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make, error, message", VALUE_ERRORS)
def test_a_value_outside_the_domain_is_refused_under_no_grad_too(make, error, message):
    with no_grad(), pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("op, x, value, error, message", DERIVATIVE_ERRORS)
def test_a_derivative_that_fails_is_refused_when_a_graph_is_recorded(op, x, value, error, message):
    with pytest.raises(error, match=message):
        op(Value(x))


@pytest.mark.parametrize("op, x, value, error, message", DERIVATIVE_ERRORS)
def test_where_only_the_derivative_fails_no_grad_and_constants_give_the_value(op, x, value, error, message):
    with no_grad():
        quiet = op(Value(x))
    constant = op(Value(x, requires_grad=False))
    for result in (quiet, constant):
        assert (result.data, result.requires_grad, result._prev, result._local) == (value, False, (), ())


def test_negative_base_with_an_integer_exponent_is_fine():
    x = Value(-2.0)
    y = x ** 3.0
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


def test_zeroth_power_has_zero_gradient_even_at_zero():
    x = Value(0.0)
    y = x ** 0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)


def test_a_gradient_that_overflows_in_backward_is_an_error():
    x = Value(1e-300, label="x")
    y = x * 1e200 * 1e200  # forward stays finite (1e100); d y / d x = 1e400 does not
    with pytest.raises(OverflowError, match="gradient of .*overflowed"):
        y.backward()


def test_a_backward_that_overflows_leaves_every_gradient_as_it_was():
    x = Value(10.0, label="x")
    with pytest.raises(OverflowError, match="overflowed during backward"):
        (x * x).backward(1e307)
    assert x.grad == 0.0
    target = Value(3.0, label="target", requires_grad=False)
    square = x * x
    y = square + target
    y.backward()
    nodes = (x, square, target, y)
    assert [node.grad for node in nodes] == [20.0, 1.0, 0.0, 1.0]
    with pytest.raises(OverflowError, match="overflowed during backward"):
        y.backward(1e307)  # x.grad would be 20 + 2e308
    assert [node.grad for node in nodes] == [20.0, 1.0, 0.0, 1.0], "leaves, intermediates and constants alike"


class Interrupting(float):
    """A local derivative whose product raises, as a cell stopped in the middle of backward() does."""

    def __mul__(self, other):
        raise KeyboardInterrupt


def test_a_backward_stopped_midway_leaves_every_gradient_as_it_was():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    product = a * b
    out = product + a
    out.backward()
    nodes = (a, b, product, out)
    assert [node.grad for node in nodes] == [4.0, 2.0, 1.0, 1.0]
    product._local = (3.0, Interrupting(2.0))  # a gets its 3 from product, then b's product raises
    with pytest.raises(KeyboardInterrupt):
        out.backward(5.0)
    assert [node.grad for node in nodes] == [4.0, 2.0, 1.0, 1.0]


@pytest.mark.parametrize("flag", ["no", 1, 0, None, 1.0])
def test_requires_grad_must_be_a_bool(flag):
    with pytest.raises(TypeError, match=r"^Value requires_grad must be True or False, got "
                                        + re.escape(f"{type(flag).__name__}: {flag!r}") + "$"):
        Value(1.0, requires_grad=flag)


def test_backward_on_a_constant_is_refused():
    with pytest.raises(RuntimeError, match="constant"):
        Value(1.0, requires_grad=False).backward()


# What the lesson's PyTorch part teaches, on Value: detach, no_grad, backward(gradient), constants.

@pytest.mark.parametrize("scenario, expected", [pytest.param(s, e, id=s.__name__) for s, e in SEMANTICS])
@pytest.mark.parametrize("make_kit", kit_params())
def test_autograd_semantics_are_the_same_on_value_tensor_and_pytorch(make_kit, scenario, expected):
    assert scenario(make_kit()) == expected


def test_detach_is_a_constant_with_the_same_data():
    y = Value(2.0, label="x") * 3
    z = y.detach()
    assert (z.data, z.requires_grad, z._op, z._prev, z.label) == (6.0, False, "", (), "")
    assert y._prev, "detaching leaves the original's history alone"


def test_an_operation_on_constants_alone_is_a_constant_without_inputs():
    c = Value(2.0, requires_grad=False)
    for result in (c * 3, 3 - c, c / 4, c ** 2, -c, c.tanh(), c.relu(), c.exp(), c.log(), c.sigmoid()):
        assert (result.requires_grad, result._op, result._prev, result._local) == (False, "", (), ())
    mixed = c * Value(1.5)
    assert mixed.requires_grad and mixed._prev[0] is c, "one input that needs a gradient is enough"


def test_no_grad_builds_no_graph_and_restores_the_mode_through_nesting():
    x = Value(2.0, label="x")
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            inner = x * x
        assert not is_grad_enabled()
        outer = (inner + x).tanh()
    assert is_grad_enabled()
    for result in (inner, outer):
        assert (result.requires_grad, result._prev) == (False, ())
    assert inner.data == 4.0 and outer.data == math.tanh(6.0)


def test_no_grad_is_one_switch_for_both_engines():
    tensor = pytest.importorskip("autodiff.tensor", reason="the Tensor engine needs NumPy")
    assert tensor.no_grad is no_grad
    with tensor.no_grad():
        assert not (Value(1.0) * 2).requires_grad
    with no_grad():
        assert not (tensor.Tensor([1.0], requires_grad=True) * 2).requires_grad


def test_a_recursive_function_under_no_grad_leaves_the_mode_as_it_found_it():
    @no_grad()
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5 and is_grad_enabled()
    with no_grad():
        depth(2)
        assert not is_grad_enabled()


def test_no_grad_refuses_to_decorate_what_it_cannot_wrap():
    with pytest.raises(TypeError, match="generator or coroutine"):
        @no_grad()
        def values():
            yield Value(1.0) * 2
    with pytest.raises(TypeError, match="decorates a function, got int"):
        no_grad()(3)


def test_backward_seeds_the_pass_with_the_given_gradient():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = (a + b) * b
    c.backward(gradient=Value(-2.0))
    assert (c.grad, a.grad, b.grad) == (-2.0, -6.0, -16.0)  # -2 times b and a + 2b


@pytest.mark.parametrize("gradient, error, message", [
    ("1", TypeError, r"^backward\(gradient\): the gradient must be a real number \(int or float\), got str: '1'$"),
    (True, TypeError, r"^backward\(gradient\): the gradient must be a real number \(int or float\), got bool: True$"),
    (float("inf"), ValueError, r"^backward\(gradient\): the gradient must be finite, got inf$")])
def test_backward_refuses_a_gradient_that_is_not_a_finite_number(gradient, error, message):
    with pytest.raises(error, match=message):
        (Value(1.0) * 2).backward(gradient)


def without_numpy(script):
    """What `script` prints in a fresh Python where `import numpy` fails, as in the browser without NumPy."""
    done = subprocess.run([sys.executable, "-c", 'import sys\nsys.modules["numpy"] = None\n' + script],
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "py"), "PATH": ""})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_no_grad_and_detach_need_no_numpy():
    # A NumPy import would fail, so none may happen.
    printed = without_numpy("""
from autodiff import Value, is_grad_enabled, no_grad
x = Value(2.0)
with no_grad():
    y = x * 3
z = (x * 3).detach()
w = x ** 3
w.backward(0.5)
print(y.requires_grad, z.requires_grad, x.grad, is_grad_enabled(), "autodiff.tensor" in sys.modules)
""")
    assert printed.split() == ["False", "False", "6.0", "True", "False"]


def test_tensor_without_numpy_is_an_import_error_that_says_value_still_works():
    printed = without_numpy("""
try:
    from autodiff import Tensor
except ImportError as error:
    print(type(error).__name__, error)
""")
    assert printed.startswith("ImportError autodiff.Tensor needs NumPy, which this Python does not have (")
    assert printed.endswith("); the scalar Value engine works without it\n")
