"""lesson.warm_up: each step runs one of the page's real calls, and cycles through them."""

import json

import pytest

from lesson import api, warm_up


def test_each_warm_up_call_is_one_the_page_makes_and_succeeds():
    for name, args in warm_up.CALLS + warm_up.TENSOR_CALLS:
        assert name in api.FUNCTIONS
        result = json.loads(api.call(name, json.dumps(args)))
        assert "error" not in result, (name, args, result.get("error"))


def test_the_steps_cycle_through_the_calls_through_the_whitelist():
    names = [json.loads(api.call("warm_up", json.dumps({"step": step}))) for step in range(2 * len(warm_up.CALLS))]
    assert names == [name for name, _ in warm_up.CALLS] * 2


def test_the_tensor_steps_cycle_through_the_tensor_calls():
    steps = range(2 * len(warm_up.TENSOR_CALLS))
    names = [json.loads(api.call("warm_up", json.dumps({"step": step, "tensor": True}))) for step in steps]
    assert names == [name for name, _ in warm_up.TENSOR_CALLS] * 2


@pytest.mark.parametrize("step", ["1", 1.5, True, None])
def test_a_step_that_is_not_an_int_is_refused(step):
    with pytest.raises(TypeError, match="step must be an int"):
        warm_up.warm_up(step)


@pytest.mark.parametrize("tensor", ["yes", 1, None])
def test_a_tensor_flag_that_is_not_a_bool_is_refused(tensor):
    with pytest.raises(TypeError, match="tensor must be true or false"):
        warm_up.warm_up(0, tensor)
