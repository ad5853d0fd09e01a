"""Every engine against the float64 reference over the whole catalogue, and gradcheck itself."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Value
from autodiff.gradcheck import central_difference, gradcheck, numerical_grad
from autodiff.value import _op_node
from catalogue import CATALOGUE, TENSOR_MISSING, check, engine_params


def _draw_inputs(data, case):
    """One float per argument, from that argument's interval."""
    return [data.draw(st.floats(low, high), label=f"x{i}") for i, (low, high) in enumerate(case.domain)]


@pytest.mark.parametrize("engine", engine_params())
@pytest.mark.parametrize("case", CATALOGUE, ids=lambda case: case.name)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_engine_matches_reference(engine, case, data):
    check(engine, case, _draw_inputs(data, case))


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda case: case.name)
def test_gradcheck_accepts_every_catalogue_function_at_the_middle_of_its_domain(case):
    xs = [(low + high) / 2 + 0.1 for low, high in case.domain]
    result = gradcheck(case.fn, xs)
    assert result["ok"], result


def test_central_difference_of_a_plain_function():
    grads = central_difference(lambda x, y: x * x * y, [3.0, 2.0])
    assert grads == pytest.approx([12.0, 9.0], rel=1e-9)


def test_numerical_grad_evaluates_the_engine_function():
    assert numerical_grad(lambda x: x ** 3, [2.0]) == pytest.approx([12.0], rel=1e-9)


def test_gradcheck_reports_value_both_gradients_and_their_difference():
    result = gradcheck(lambda a, b: (a + b) * b, [2.0, 3.0])
    assert result["value"] == 15.0
    assert result["analytic"] == [3.0, 8.0]
    assert result["numeric"] == pytest.approx([3.0, 8.0], rel=1e-9)
    assert all(d < 1e-8 for d in result["abs_diff"])
    assert result["ok"] is True


def test_gradcheck_catches_a_wrong_local_derivative():
    def square_with_wrong_derivative(x):
        return _op_node(x.data ** 2, (x,), (x.data,), "**2")  # says x, the truth is 2x

    result = gradcheck(square_with_wrong_derivative, [3.0])
    assert result["analytic"] == [3.0]
    assert result["numeric"] == pytest.approx([6.0], rel=1e-9)
    assert result["ok"] is False


def test_gradcheck_flags_the_relu_kink_where_the_one_sided_gradients_differ():
    result = gradcheck(lambda x: x.relu(), [0.0])
    assert result["analytic"] == [0.0]
    assert result["numeric"] == pytest.approx([0.5])
    assert result["ok"] is False


def test_gradcheck_counts_an_unused_input_as_zero_gradient():
    result = gradcheck(lambda x, y: x * 2, [1.0, 5.0])
    assert result["analytic"] == [2.0, 0.0]
    assert result["ok"]


def test_gradcheck_output_is_json_ready():
    import json
    json.dumps(gradcheck(lambda x: x.exp(), [1.0]), allow_nan=False)


def test_gradcheck_refuses_a_non_scalar_output():
    with pytest.raises(ValueError, match="must return a scalar Value"):
        gradcheck(lambda x: [x, x], [1.0])


def test_central_difference_refuses_a_step_that_is_not_positive():
    with pytest.raises(ValueError, match="eps must be a positive step"):
        central_difference(lambda x: x, [1.0], eps=0.0)


def test_central_difference_on_float64_arrays_perturbs_each_element():
    np = pytest.importorskip("numpy")
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[5.0, 6.0], [7.0, 8.0]])
    grad_a, grad_b = central_difference(lambda a, b: float((a @ b).sum()), [a, b])
    # d sum(A @ B) / dA = ones @ B^T, and / dB = A^T @ ones.
    np.testing.assert_allclose(grad_a, np.ones((2, 2)) @ b.T, rtol=1e-8)
    np.testing.assert_allclose(grad_b, a.T @ np.ones((2, 2)), rtol=1e-8)
    assert a[0, 0] == 1.0, "the caller's array must not be changed"


@pytest.mark.skipif(TENSOR_MISSING is not None, reason=str(TENSOR_MISSING))
def test_gradcheck_on_tensors_in_float64():
    import numpy as np
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[0.5, -1.0], [2.0, 0.25]])
    result = gradcheck(lambda a, b: (a @ b).tanh().sum(), [a, b])
    assert result["ok"], result
    assert np.array(result["analytic"][0]).shape == (2, 2)
    assert math.isfinite(result["value"])

