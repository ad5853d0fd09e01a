"""lesson.exercises: the three exercises judge a typed answer against the engine (right ones in any form,
wrong ones refused saying how far off), and the playground's guesses are judged the same way."""

import json

import pytest

from autodiff import Value
from lesson import api
from lesson.exercises import EXERCISES, check_exercise, initial_state, judge_guess

TANH = {x: 1 - Value(x).tanh().data ** 2 for x in (-2.0, -0.5, 0.5, 2.0)}


def test_the_engine_gives_the_answers_the_lesson_states():
    assert EXERCISES["cube"]() == [("dy/dx", 12.0)]
    [(_, softmax)] = EXERCISES["softmax"]()
    assert softmax == pytest.approx(0.19661193324148185, rel=1e-12)  # y(1 - y) with y = 1 / (1 + e)
    parts = EXERCISES["relu-tanh"]()
    assert [what for what, _ in parts] == ["relu'(-2)", "relu'(-0.5)", "relu'(0.5)", "relu'(2)",
                                           "tanh'(-2)", "tanh'(-0.5)", "tanh'(0.5)", "tanh'(2)"]
    assert [number for _, number in parts] == [0.0, 0.0, 1.0, 1.0, *(pytest.approx(TANH[x], rel=1e-12) for x in TANH)]


@pytest.mark.parametrize("name, answer", [
    ("cube", "12"), ("cube", " 12.0 "), ("cube", "3*2**2"), ("cube", "12.05"), ("cube", "1.2e1"),
    ("softmax", "0.1966"), ("softmax", "0.197"), ("softmax", "e*e**2/(e + e**2)**2"),
    ("softmax", "exp(1)*exp(2)/(exp(1) + exp(2))**2"), ("softmax", "0.2689*(1 - 0.2689)"),
    ("relu-tanh", "0, 0, 1, 1, 0.0707, 0.7864, 0.7864, 0.0707"), ("relu-tanh", "0;0;1;1;0.07;0.79;0.79;0.07"),
    ("relu-tanh", "0,0,1,1,1-tanh(2)**2,1-tanh(0.5)**2,1-tanh(0.5)**2,1-tanh(2)**2"),
])
def test_right_answers_pass_in_any_form(name, answer):
    result = check_exercise(name, answer)
    assert result["verdict"] == "pass" and result["attempted"], result["message"]
    assert result["message"].startswith("Right: ")


def test_the_pass_states_the_tolerance():
    assert check_exercise("cube", "12")["message"] == "Right: dy/dx = 12, as the engine computes it (answers within ±0.06 count)."
    assert check_exercise("softmax", "0.197")["message"] == ("Right: dy/dx = 0.196612, as the engine computes it "
                                                             "(answers within ±0.005 count).")


@pytest.mark.parametrize("name, answer, message", [
    ("cube", "12.1", "Close, but not close enough: 12.1 is 0.1 away from the engine's dy/dx (answers within ±0.06 count)."),
    ("cube", "6", "Not right: 6 is 6 away from the engine's dy/dx (answers within ±0.06 count)."),
    ("cube", "-12", "Not right: -12 is 24 away"),
    ("cube", "\u221212", "Not right: \u221212 is 24 away"),  # a typographic minus reads as '-'
    ("softmax", "0.25", "Not right: 0.25 is 0.0534 away from the engine's dy/dx (answers within ±0.005 count)."),
    ("softmax", "0.19", "Close, but not close enough: 0.19 is 0.00661 away"),
    ("softmax", "0.2689", "Not right: 0.2689 is 0.0723 away"),
    ("relu-tanh", "0, 0, 1, 1, 0.5, 0.5, 0.5, 0.5",
     "4 of 8 right. Not right: tanh'(-2) (you typed 0.5), tanh'(-0.5) (you typed 0.5), tanh'(0.5) (you typed 0.5), "
     "tanh'(2) (you typed 0.5); each counts within ±0.005."),
    ("relu-tanh", "0, 1, 1, 1, 0.07, 0.79, 0.79, 0.07", "7 of 8 right. Not right: relu'(-0.5) (you typed 1);"),
])
def test_wrong_answers_are_refused_saying_how_far_off(name, answer, message):
    result = check_exercise(name, answer)
    assert result["verdict"] == "fail" and result["attempted"]
    assert result["message"].startswith(message)
    assert result["message"].endswith("The worked explanation is below.")


@pytest.mark.parametrize("name, answer, message", [
    ("cube", "", "The answer is empty: type a number."),
    ("cube", "x", "'x' is a name: type a number, or numbers combined such as 3*2**2 or 1/4."),
    ("cube", "twelve", "'twelve' is a name: type a number"),
    ("cube", "1/0", "'1/0' has no value: "),
    ("cube", "__import__('os')", "'__import__': double-underscore names are not allowed."),
    ("cube", "1e400", "The number 1e400 is too large: at most 1e15."),
    ("cube", "3 +", "The expression ends too early"),
    ("cube", "1" * 600, "The answer is 600 characters long: at most 500."),
    ("relu-tanh", "0 0 1 1", "Type 8 numbers, separated by commas: relu'(-2), relu'(-0.5), relu'(0.5), relu'(2), "
                             "tanh'(-2), tanh'(-0.5), tanh'(0.5), tanh'(2) (you typed 1)."),
    ("relu-tanh", "0, 0, 1, 1, a, 0, 0, 0", "tanh'(-2): 'a' is a name"),
])
def test_an_answer_that_is_not_a_number_is_not_judged(name, answer, message):
    result = check_exercise(name, answer)
    assert result == {"verdict": "fail", "message": result["message"], "attempted": False}
    assert result["message"].startswith(message)


def test_bad_requests_are_refused_clearly():
    with pytest.raises(ValueError, match="there is no exercise 'nope'; the exercises are cube, softmax, relu-tanh"):
        check_exercise("nope", "1")
    with pytest.raises(TypeError, match="an answer must be text, not float"):
        check_exercise("cube", 12.0)


@pytest.mark.parametrize("guess, expected, verdict, summary", [
    ("0.5", 0.5, "right", "right"), ("0.502", 0.5, "right", "right"), ("1/2", 0.5, "right", "right"),
    ("0.52", 0.5, "close", "close: off by 0.02"), ("2", 0.5, "off", "off by 1.5"),
    ("1200", 1205.0, "right", "right"), ("1100", 1205.0, "close", "close: off by 105"),
    ("-0.25", 0.25, "off", "off by 0.5"), ("1e-3", 0.0, "right", "right"),
])
def test_the_playgrounds_guesses_are_judged_the_same_way(guess, expected, verdict, summary):
    result = judge_guess(guess, expected)
    assert (result["verdict"], result["summary"]) == (verdict, summary)
    assert result["message"].startswith(f"Your guess ")


def test_an_unreadable_guess_says_why():
    assert judge_guess("abc", 1.0) == {
        "verdict": "unreadable", "summary": "'abc' is a name: type a number, or numbers combined such as 3*2**2 or 1/4",
        "message": "Your guess could not be read: 'abc' is a name: type a number, or numbers combined such as 3*2**2 or 1/4."}
    with pytest.raises(ValueError, match="the gradient must be a finite number"):
        judge_guess("1", float("nan"))


def test_the_page_calls_both_through_the_whitelist_and_gets_the_answer_parts_first():
    assert json.loads(api.call("check_exercise", json.dumps({"name": "cube", "answer": "12"})))["verdict"] == "pass"
    assert json.loads(api.call("judge_guess", json.dumps({"guess": "1", "expected": 1.0})))["verdict"] == "right"
    assert initial_state()["cube"] == {"parts": ["dy/dx"]} and len(initial_state()["relu-tanh"]["parts"]) == 8
