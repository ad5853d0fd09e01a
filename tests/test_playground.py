"""The playground: the lesson's expressions give the engine's numbers, domain errors give explained undefined
nodes, nothing escapes, links round-trip, and random expressions agree with a direct engine computation."""

import json
import math
import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Value
from lesson.expr import FUNCTIONS, BinOp, Call, Constant, Neg, Num, Pow, Var, parse, to_source
from lesson.expr_graph import readable
from lesson.playground import DEFAULT_VALUE, decode_state, encode_state, initial_state, playground


def nodes(result):
    """The trace's nodes by id."""
    return {node["id"]: node for node in result["trace"]["nodes"]}


def output(result):
    """The output node's record."""
    return nodes(result)[result["trace"]["output"]]


def rows(result):
    """The per-variable rows by name."""
    return {row["name"]: row for row in result["variables"]}


def structure(result):
    """What a D3 join keys on and draws as shape: ids, ops and edges, without any number."""
    graph = result["trace"]
    return graph["order"], [n["op"] for n in graph["nodes"]], graph["edges"]


# The lesson's expressions.

def test_sum_times_b_gives_the_lessons_gradients():
    result = playground("(a+b)*b", {"a": 2, "b": 3})
    assert output(result)["data"] == 15.0
    assert {name: row["grad"] for name, row in rows(result).items()} == {"a": 3.0, "b": 8.0}
    assert [row["name"] for row in result["variables"]] == ["a", "b"]
    # b reaches the output by two paths; the record shows them adding up to 8.
    into_b = [entry for step in result["trace"]["backward"] for entry in step["inputs"] if entry["to"] == "b"]
    assert [(e["before"], e["after"]) for e in into_b] == [(0.0, 5.0), (5.0, 8.0)]


def test_softmax_exercise_gives_0_2689_and_0_1966():
    result = playground("exp(x)/(exp(x)+exp(z))", {"x": 1.0, "z": 2.0})
    assert round(output(result)["data"], 4) == 0.2689
    assert round(rows(result)["x"]["grad"], 4) == 0.1966
    assert round(rows(result)["z"]["grad"], 4) == -0.1966
    assert result["normalized"] == "exp(x)/(exp(x) + exp(z))"
    assert [n["op"] for n in result["trace"]["nodes"]].count("exp") == 3   # as written: exp(x) twice


def test_neuron_matches_the_engine_and_finite_differences():
    w, x, b = 0.5, 2.0, 0.1
    result = playground("tanh(w*x + b)", {"w": w, "x": x, "b": b})
    y = math.tanh(w * x + b)
    assert output(result)["data"] == pytest.approx(y, abs=1e-15)
    by_name = rows(result)
    for name, expected in {"w": (1 - y * y) * x, "x": (1 - y * y) * w, "b": 1 - y * y}.items():
        assert by_name[name]["grad"] == pytest.approx(expected, rel=1e-12)
        assert by_name[name]["numerical"] == pytest.approx(expected, rel=1e-6)
        assert by_name[name]["difference"] == abs(by_name[name]["grad"] - by_name[name]["numerical"])
        assert by_name[name]["difference"] < 1e-8


def test_the_output_is_named_f_and_the_steps_use_it():
    result = playground("(a+b)*b", {"a": 2, "b": 3})
    assert result["trace"]["output"] == "f"
    assert result["backward"][0]["text"].startswith("Start at the output f: ∂f/∂f = 1")
    assert "∂f/∂b" in result["backward"][-1]["text"]
    # A variable called f keeps its name; the output takes the next free name, never a variable's.
    named = playground("f*x", {"f": 2, "x": 3})
    assert rows(named)["f"]["node"] == "f" and named["trace"]["output"] == output(named)["label"] == "g"
    assert named["backward"][0]["text"].startswith("Start at the output g: ∂g/∂g = 1")
    crowded = playground("f + g + h + out", {})
    assert crowded["trace"]["output"] == "f1" and set(rows(crowded)) == {"f", "g", "h", "out"}


def test_e_and_pi_are_constants_with_their_values_and_no_slider():
    result = playground("x*e + pi", {"x": 2})
    assert list(rows(result)) == ["x"]
    by_id = nodes(result)
    assert by_id["e"]["data"] == math.e and by_id["pi"]["data"] == math.pi
    assert by_id["e"]["kind"] == by_id["pi"]["kind"] == "const" and by_id["e"]["grad"] is None
    assert output(result)["data"] == 2 * math.e + math.pi and rows(result)["x"]["grad"] == math.e
    assert result["normalized"] == "x*e + pi"
    # Used twice, e is one node (like a variable), and the numerical check still sees it.
    twice = playground("e*x + e", {"x": 1})
    assert [n["label"] for n in twice["trace"]["nodes"]].count("e") == 1
    assert rows(twice)["x"]["numerical"] == pytest.approx(math.e, rel=1e-8)


def test_a_constant_exponent_expression_is_folded():
    result = playground("x**2**3", {"x": 2})
    assert result["normalized"] == "x**8" and output(result)["data"] == 256.0
    assert rows(result)["x"]["grad"] == 8 * 2.0 ** 7


def test_missing_values_default_and_extra_ones_are_ignored():
    result = playground("x*y", {"x": 3, "gone": 7})
    assert rows(result)["y"]["value"] == DEFAULT_VALUE
    assert output(result)["data"] == 3.0 * DEFAULT_VALUE
    assert list(rows(result)) == ["x", "y"]


def test_same_input_gives_the_same_ids_and_other_values_keep_them():
    first = playground("tanh(w*x + b) * x", {"w": 1, "x": 2, "b": 3})
    assert playground("tanh(w*x + b) * x", {"w": 1, "x": 2, "b": 3}) == first
    assert structure(playground("tanh(w*x + b) * x", {"w": -4, "x": 0.5, "b": 0})) == structure(first)


def test_a_variable_named_like_a_made_up_id_gets_a_distinct_id():
    result = playground("n0 + n1*x", {"n0": 1, "n1": 2, "x": 3})
    ids = result["trace"]["order"]
    assert len(set(ids)) == len(ids)
    assert all(nodes(result)[row["node"]]["label"] == row["name"] for row in result["variables"])


def test_a_constant_expression_has_values_and_no_variables():
    result = playground("2**3 - 1")
    assert output(result)["data"] == 7.0
    assert result["variables"] == [] and result["backward"] == []
    assert result["undefined"] is None and result["check_note"] is None
    # Named f like any other output, so the page never shows a made-up id (∂n0/∂v).
    assert result["trace"]["output"] == output(result)["label"] == "f"
    assert playground("2")["trace"]["output"] == "f"
    # An output that is a variable or a named constant keeps its own name.
    assert playground("x", {})["trace"]["output"] == "x" and playground("pi")["trace"]["output"] == "pi"


def test_an_expression_at_the_node_limit_gives_its_whole_graph():
    result = playground("x*y" + "+x*y" * 19 + "+x" * 19, {"x": 2, "y": 3})
    assert len(result["trace"]["nodes"]) == 60 and output(result)["data"] == 20 * 6 + 19 * 2
    assert "at most 60 operations" in playground("x*y" + "+x*y" * 19 + "+x" * 20, {})["error"]["message"]


def test_the_first_paint_is_the_lessons_neuron():
    state = initial_state()
    assert state["result"] == playground(state["expression"], state["values"])
    assert round(output(state["result"])["data"], 4) == round(math.tanh(0.5 * 2.0 + 0.1), 4) == 0.8005


def test_the_whole_result_is_json():
    for expression, values in [("(a+b)*b", {"a": 2, "b": 3}), ("log(x) + y", {"x": -1}), ("x +", {})]:
        result = playground(expression, values)
        assert json.loads(json.dumps(result, allow_nan=False)) == result


# Domain errors: the failing node and everything downstream are undefined, with the reason.

def test_log_of_a_negative_number_is_undefined_downstream_only():
    defined = playground("log(x) + exp(y)*2", {"x": 2, "y": 1})
    result = playground("log(x) + exp(y)*2", {"x": -2, "y": 1})
    by_id = nodes(result)
    log_node = next(n for n in result["trace"]["nodes"] if n["op"] == "log")
    reason = "log is defined only for positive numbers, got log(-2)"
    assert result["undefined"] == {
        "node": log_node["id"], "part": "value", "reason": reason, "named": f"log(x): {reason}",
        "message": f"z1 = log(x) is undefined here: {reason}, and so is everything computed from it."}
    assert log_node["data"] is None and log_node["note"] == reason and log_node["cause"] == log_node["id"]
    assert output(result)["data"] is None and output(result)["cause"] == log_node["id"]
    assert output(result)["note"] == reason
    # The other branch keeps its values: exp(1) * 2.
    product = next(n for n in result["trace"]["nodes"] if n["op"] == "*")
    assert product["data"] == math.exp(1) * 2 and "note" not in product and "cause" not in product
    assert by_id["x"]["data"] == -2.0
    # No gradients, and each row says why.
    assert all(n["grad"] is None for n in result["trace"]["nodes"])
    assert result["trace"]["backward"] == [] and result["backward"] == []
    assert all(row["grad"] is None and row["numerical"] is None and row["reason"] == f"log(x): {reason}"
               for row in result["variables"])
    # The same ids, ops and edges as where it is defined, so the page updates in place.
    assert structure(result) == structure(defined)
    assert [n["kind"] for n in result["trace"]["nodes"]] == [n["kind"] for n in defined["trace"]["nodes"]]


@pytest.mark.parametrize("expression, values, failing_op, reason", [
    ("1/x", {"x": 0}, "/", "division by zero: 1 / 0"),
    ("y/(x - x)", {"x": 3, "y": 1}, "/", "division by zero"),
    ("exp(x)", {"x": 1000}, "exp", "exp(1000) overflows"),
    ("exp(x)*exp(x)", {"x": 400}, "*", "'*' of 5.22147e173, 5.22147e173 overflows"),
    ("x**0.5", {"x": -1}, "**0.5", "not a real number"),
    ("x**-1", {"x": 0}, "**-1", "zero cannot be raised to a negative power"),
    ("log(x - 1)", {"x": 1}, "log", "log(0)"),
    # Values too large for a float, named as such (their derivatives would overflow too, but come second).
    ("x/y", {"x": 1.5, "y": 1e-320}, "/", "'/' of 1.5, 9.99989e-321 overflows: the result is inf"),
    ("x**-2", {"x": 1e-200}, "**-2", "1e-200 ** -2 overflows"),
])
def test_domain_errors_name_the_failing_node(expression, values, failing_op, reason):
    result = playground(expression, values)
    failing = nodes(result)[result["undefined"]["node"]]
    assert failing["op"] == failing_op
    assert reason in failing["note"] and reason in result["undefined"]["reason"]
    assert output(result)["data"] is None
    assert structure(result) == structure(playground(expression, {}))


@pytest.mark.parametrize("message, readable_message", [
    ("division by zero: 1.0 / 0", "division by zero: 1 / 0"),
    ("-2.5 ** 0.5 is not a real number", "-2.5 ** 0.5 is not a real number"),
    ("'*' of 1e+200, 1e+200 overflows: the result is inf", "'*' of 1e200, 1e200 overflows: the result is inf"),
    ("the derivative of 1.0 / 1e-300 overflows", "the derivative of 1 / 1e-300 overflows"),
    ("at x = 0.30000000000000004, not x1.0", "at x = 0.3, not x1.0"),
])
def test_numbers_in_reasons_print_as_the_page_prints_them(message, readable_message):
    assert readable(message) == readable_message


def test_the_next_valid_input_works_after_an_undefined_one():
    assert playground("log(x)", {"x": -1})["undefined"] is not None
    result = playground("log(x)", {"x": math.e})
    assert output(result)["data"] == 1.0 and rows(result)["x"]["grad"] == 1 / math.e


def test_a_gradient_that_overflows_leaves_values_but_no_gradients():
    # 1e15 * log(x) at x = 1e-300: the value is about -6.9e17, but d/dx = 1e15 / 1e-300 overflows.
    result = playground("1e15*log(x)", {"x": 1e-300})
    assert output(result)["data"] == pytest.approx(1e15 * math.log(1e-300))
    reason = "the gradients overflow: one is too large for a float here"
    assert result["undefined"] == {"node": None, "part": "gradient", "reason": reason, "named": reason,
                                   "message": f"No gradients here: {reason}; the values are shown."}
    assert rows(result)["x"]["grad"] is None and result["backward"] == []
    assert rows(result)["x"]["reason"] == reason   # not the numerical check's own failure


def test_a_failed_value_is_named_as_written():
    result = playground("2*log(x - 1)", {"x": 1})
    assert result["undefined"]["message"] == ("z2 = log(x - 1) is undefined here: log is defined only for positive "
                                              "numbers, got log(0), and so is everything computed from it.")
    alone = playground("log(x)", {"x": 0})
    assert alone["undefined"]["message"] == "f = log(x) is undefined here: log is defined only for positive numbers, got log(0)."


@pytest.mark.parametrize("expression, values, name, failing, reason", [
    ("(y-1)**0.5", {"y": 1}, "f", "(y - 1)**0.5", "its derivative is infinite where y - 1 = 0"),
    ("x**0.5 + 3", {"x": 0}, "z1", "x**0.5", "its derivative is infinite where x = 0"),
    ("x/y", {"x": 1, "y": 1e-300}, "f", "x/y", "its derivative is too large for a float where y = 1e-300"),
    ("log(x)*2", {"x": 1e-320}, "z1", "log(x)", "its derivative is too large for a float where x = 9.99989e-321"),
])
def test_where_only_a_derivative_fails_the_values_are_shown(expression, values, name, failing, reason):
    result = playground(expression, values)
    assert result["undefined"] == {
        "node": name, "part": "gradient", "reason": reason, "named": f"{failing}: {reason}",
        "message": f"{name} = {failing}: {reason}, so there are no gradients here (the values are shown)."}
    cause = nodes(result)[result["undefined"]["node"]]
    assert cause["note"] == reason and cause["cause"] == cause["id"] and cause["data"] is not None
    # Every value is shown (the engine's, from the failing node's value on), no gradient is.
    assert all(n["data"] is not None and n["grad"] is None for n in result["trace"]["nodes"])
    assert [n["id"] for n in result["trace"]["nodes"] if "note" in n] == [cause["id"]]
    assert all(row["reason"] == f"{failing}: {reason}" for row in result["variables"])
    assert structure(result) == structure(playground(expression, {}))


def test_past_a_failed_derivative_values_come_from_the_engine():
    result = playground("(y-1)**0.5*3 + x", {"y": 1, "x": 2})
    assert output(result)["data"] == 2.0 and output(result)["grad"] is None
    # A value that fails further on is the output's cause: it has no value at all.
    worse = playground("log((y-1)**0.5)", {"y": 1})
    assert worse["undefined"]["part"] == "value" and output(worse)["data"] is None
    assert worse["undefined"]["message"].startswith("f = log((y - 1)**0.5) is undefined here: log is defined only")
    assert nodes(worse)["z2"]["data"] == 0.0 and "derivative is infinite" in nodes(worse)["z2"]["note"]


def test_a_constant_part_whose_derivative_alone_fails_needs_no_derivative():
    # (1 - 1)**0.5 is a constant: no gradient flows through it, so its infinite derivative is never needed.
    result = playground("x + (1-1)**0.5", {"x": 2})
    assert result["undefined"] is None and output(result)["data"] == 2.0 and rows(result)["x"]["grad"] == 1.0


def test_the_numerical_check_needs_values_only():
    # At y ± 1e-6 the value y/x is about 1e294 but its derivative -y/x**2 overflows: the check does not need it.
    by_name = rows(playground("y/x", {"x": 1e-300, "y": 1e-320}))
    assert by_name["y"]["numerical"] == pytest.approx(1e300) and by_name["y"]["agrees"] is True
    assert by_name["x"]["reason"] is None and by_name["x"]["numerical"] is not None


def test_each_row_says_whether_the_check_agrees():
    result = playground("tanh(w*x + b)", {"w": 0.5, "x": 2, "b": 0.1})
    assert all(row["agrees"] is True for row in result["variables"]) and result["check_note"] is None


def test_relu_at_its_kink_disagrees_and_the_note_says_why():
    result = playground("relu(b - c)*a", {"a": 1, "b": 1, "c": 1})
    by_name = rows(result)
    assert by_name["b"]["grad"] == 0.0 and by_name["b"]["numerical"] == pytest.approx(0.5)
    assert by_name["b"]["agrees"] is False and by_name["c"]["agrees"] is False and by_name["a"]["agrees"] is True
    note = result["check_note"]
    assert note.startswith("relu(b - c) sits at its kink here (b - c = 0), where relu's slope jumps from 0 to 1.")
    assert "average the two one-sided slopes" in note and "takes to be 0" in note
    # Away from the kink they agree, and nothing needs explaining.
    assert playground("relu(b - c)*a", {"a": 1, "b": 2, "c": 1})["check_note"] is None


def test_a_disagreement_away_from_a_kink_says_central_differences_are_approximate():
    # log near 0 bends so sharply that a step of 1e-6 is far too coarse for 1e-6 agreement.
    result = playground("log(x)", {"x": 1e-5})
    assert rows(result)["x"]["agrees"] is False
    assert result["check_note"].startswith("Where a row is marked ✗, central differences (a step of 1e-6")


def test_each_row_says_at_which_backward_step_its_gradient_is_complete():
    result = playground("(a+b)*b", {"a": 2, "b": 3})
    # Step 0 seeds f; step 1 (at f) gives b its first share and the sum its gradient; step 2 (at a + b) adds
    # b's second share and a's gradient.
    assert {row["name"]: row["step"] for row in result["variables"]} == {"a": 2, "b": 2}
    assert rows(playground("x*y + y", {}))["x"]["step"] == 2
    assert rows(playground("x", {}))["x"]["step"] == 0   # the output itself: seeded at step 0
    assert rows(playground("log(x)", {"x": -1}))["x"]["step"] is None


def test_a_step_outside_the_domain_says_the_numerical_check_is_unavailable():
    # log(x) at x = 1e-7: defined, but x - 1e-6 (the central difference's step) is not.
    result = playground("log(x)", {"x": 1e-7})
    row = rows(result)["x"]
    assert row["grad"] == pytest.approx(1e7) and row["numerical"] is None
    assert row["reason"].startswith("the numerical check steps outside the domain: log is defined only")


# Bad input never raises: it comes back as an error with a span.

@pytest.mark.parametrize("expression, values, message, span", [
    ("__import__('os')", {}, "double-underscore names", (0, 10)),
    ("x.__class__", {}, "attribute access", (1, 11)),
    ("", {}, "the expression is empty", (0, 0)),
    ("x" * 100_000, {}, "at most 500", (500, 100_000)),
    (None, {}, "must be text, not NoneType", (0, 0)),
    (["x"], {}, "must be text, not list", (0, 0)),
    ("y + x", {"x": float("nan")}, "x must be a finite number", (4, 5)),
    ("y + x", {"x": float("inf")}, "x must be a finite number", (4, 5)),
    ("y + x", {"x": "1; import os"}, "x must be a finite number", (4, 5)),
    ("y + x", {"x": True}, "x must be a finite number", (4, 5)),
    ("y + x", {"x": 1e16}, "x must be between", (4, 5)),
    ("x", [1.0], "values must map variable names to numbers, not list", (0, 0)),
])
def test_bad_input_returns_an_error_with_a_span(expression, values, message, span):
    result = playground(expression, values)
    assert set(result) == {"error"}
    assert message in result["error"]["message"]
    assert (result["error"]["start"], result["error"]["end"]) == span


# The shareable state in the URL fragment.

def test_state_round_trips_through_the_fragment():
    values = {"w": 0.1 + 0.2, "x": -1.25, "b": 1e-07}
    fragment = encode_state("tanh(w*x + b)", values)
    assert fragment == "playground?e=tanh%28w%2Ax%20%2B%20b%29&w=0.30000000000000004&x=-1.25&b=1e-07"
    assert decode_state("#" + fragment) == ("tanh(w*x + b)", values, {})
    assert decode_state(fragment) == ("tanh(w*x + b)", values, {})


def test_the_result_carries_its_own_link():
    result = playground("x*y", {"y": -0.5})
    assert result["link"] == encode_state("x*y", {"y": -0.5}) == "playground?e=x%2Ay&x=1.0&y=-0.5"
    assert "link" not in playground("x +", {})


def test_state_fills_in_defaults_and_keeps_first_appearance_order():
    assert decode_state(encode_state("(a+b)*b", {"b": 3})) == ("(a+b)*b", {"a": DEFAULT_VALUE, "b": 3.0}, {})


def test_encoding_refuses_what_the_playground_refuses():
    with pytest.raises(ValueError, match="double-underscore"):
        encode_state("__import__('os')", {})
    with pytest.raises(ValueError, match="x must be a finite number"):
        encode_state("x", {"x": float("nan")})


@pytest.mark.parametrize("fragment, message", [
    ("#playground?e=__import__%28%27os%27%29", "double-underscore names are not allowed"),
    ("#playground?e=x.__class__", "attribute access"),
    ("#playground?e=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "'<' is not allowed"),
    ("#playground?e=x&x=alert(1)", "the value of x in the link is not a number: unknown function 'alert'"),
    ("#playground?e=x&x=nan", "the value of x in the link is not a number: 'nan' is not allowed"),
    ("#playground?e=x&x=pi", "the value of x in the link is not a plain number: 'pi'"),
    ("#playground?e=x&x=1e999", "is too large"),
    ("#playground?e=x&x=1&x=2", "the link sets 'x' twice"),
    ("#playground?e=x&y=1", "the link sets 'y', which the expression does not use"),
    ("#playground?e=x&__proto__=1", "the link sets '__proto__', which the expression does not use"),
    ("#playground?x=1", "the link has no expression"),
    ("#playground?e=x&x", "is not of the form name=value"),
    ("#playground?e=%FF", "not valid percent-encoded UTF-8"),
    ("#playground?e=x%", "the expression in the link has a broken escape '%': a '%' must be followed by two hex"),
    ("#playground?e=x%2", "has a broken escape '%2'"),
    ("#playground?e=x%zz", "has a broken escape '%zz'"),
    ("#playground?e=x&x=1%", "the value of x in the link has a broken escape '%'"),
    ("#playground?e=x&x%=1", "a name in the link has a broken escape"),
    ("#playground?e=x&x=%FF", "the value of x in the link is not valid percent-encoded UTF-8"),
    ("#explore?a=1", "not a playground link"),
    ("#playground?e=x&x.range=1", "the range of x in the link must be two numbers, min,max"),
    ("#playground?e=x&x.range=1,2,3", "the range of x in the link must be two numbers, min,max"),
    ("#playground?e=x&x.range=alert(1),2", "the value of x min in the link is not a number: unknown function 'alert'"),
    ("#playground?e=x&x.range=-1,nan", "the value of x max in the link is not a number: 'nan' is not allowed"),
    ("#playground?e=x&x.range=2,1", "the link's range: x min must be less than x max, got 2.0 and 1.0"),
    ("#playground?e=x&x.range=0,1e16", "the value of x max in the link is not a number: the number 1e16 is too large"),
    ("#playground?e=x&y.range=0,1", "the link sets 'y.range', which the expression does not use"),
    ("#playground?e=x&x.range=0,1&x.range=0,2", "the link sets 'x.range' twice"),
    ("#playground?e=" + "x%2B" * 1000 + "x", "characters long: at most 4000"),
    ("#playground?e=" + "x%2B" * 300 + "x", "at most 500"),
])
def test_a_hostile_link_is_refused_with_a_message(fragment, message):
    with pytest.raises(ValueError) as refused:
        decode_state(fragment)
    assert message in str(refused.value)


def test_every_part_of_a_link_is_percent_decoded():
    # A link passed through a tool that escapes more than it must still opens the same state.
    assert decode_state("#playground?%65=%78%2Ay&%78=%2D1.5&y=2%2E5e%2D1") == ("x*y", {"x": -1.5, "y": 0.25}, {})
    with pytest.raises(ValueError, match="'%' \\(remainder\\) is not supported"):
        decode_state("#playground?e=x%25")   # %25 is a '%' the learner typed: the parser's message


def test_decoding_something_that_is_not_text_is_refused():
    with pytest.raises(ValueError, match="must be text, not int"):
        decode_state(42)


# Random valid expressions (Hypothesis): printing and parsing agree, and the numbers are the engine's.

NAMES = ["a", "b", "x", "y", "w"]


def trees(functions=FUNCTIONS, binary="+-*/", exponents=st.sampled_from([-2, -1, 0, 0.5, 1, 2, 3, 1.5e-05]),
          literals=st.floats(-1000, 1000)):
    """Random trees in normal form (no sign on a literal: that is a negative literal)."""
    leaf = st.one_of(st.sampled_from(NAMES).map(Var), literals.map(Num), st.sampled_from(["e", "pi"]).map(Constant))
    not_literal = lambda tree: not isinstance(tree, Num)  # noqa: E731
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(BinOp, st.sampled_from(binary), inner, inner),
        st.builds(Neg, inner.filter(not_literal)),
        st.builds(Pow, inner, exponents.map(float)),
        st.builds(Call, st.sampled_from(functions), inner),
    ), max_leaves=10)


def height(tree):
    """The number of levels of `tree` (a bound on its nesting once printed)."""
    parts = [getattr(tree, f) for f in ("left", "right", "operand", "base", "arg") if hasattr(tree, f)]
    return 1 + max((height(part) for part in parts), default=0)


@given(trees().filter(lambda t: height(t) <= 12))
def test_printing_then_parsing_gives_the_same_tree(tree):
    assert parse(to_source(tree)) == tree


ENGINE_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def direct(tree, leaves):
    """`tree` built straight on the engine's Value, independently of the playground (the reference)."""
    if isinstance(tree, Var):
        return leaves[tree.name]
    if isinstance(tree, (Num, Constant)):
        return Value(tree.value, requires_grad=False)
    if isinstance(tree, BinOp):
        return ENGINE_OPS[tree.op](direct(tree.left, leaves), direct(tree.right, leaves))
    if isinstance(tree, Neg):
        return -direct(tree.operand, leaves)
    if isinstance(tree, Pow):
        exponent = int(tree.exponent) if tree.exponent.is_integer() else tree.exponent
        return direct(tree.base, leaves) ** exponent
    return getattr(direct(tree.arg, leaves), tree.func)()


values = st.fixed_dictionaries({name: st.floats(-3, 3, allow_nan=False) for name in NAMES})


@settings(max_examples=300, deadline=None)
@given(trees().filter(lambda t: height(t) <= 12), values)
def test_values_and_gradients_are_the_engines(tree, point):
    result = playground(to_source(tree), point)
    assert "error" not in result
    leaves = {name: Value(v, label=name) for name, v in point.items()}
    try:
        root = direct(tree, leaves)
        root.backward() if root.requires_grad else None
    except (ValueError, ZeroDivisionError, OverflowError) as error:
        # The engine refuses these values somewhere: the playground must say undefined, with a reason.
        assert result["undefined"] is not None and result["undefined"]["reason"], error
        return
    assert result["undefined"] is None
    assert output(result)["data"] == root.data
    for row in result["variables"]:
        assert row["value"] == point[row["name"]]
        assert row["grad"] == leaves[row["name"]].grad


# Only smooth operations here, so that central differences are accurate everywhere.
@settings(max_examples=200, deadline=None)
@given(trees(functions=("tanh", "sigmoid"), binary="+-*", exponents=st.sampled_from([0, 1, 2, 3]),
             literals=st.floats(-3, 3)).filter(lambda t: height(t) <= 8),
       st.fixed_dictionaries({name: st.floats(-1.5, 1.5) for name in NAMES}))
def test_gradients_agree_with_finite_differences(tree, point):
    result = playground(to_source(tree), point)
    assert result["undefined"] is None
    value = output(result)["data"]
    for row in result["variables"]:
        assert row["numerical"] is not None
        # Central differences with step 1e-6 lose about 1e-16 |f| / 1e-6 to rounding; allow that and more.
        assert row["difference"] <= 1e-6 + 1e-5 * abs(row["numerical"]) + 1e-9 * abs(value), row


def test_negative_zero_is_zero_in_values_and_links():
    """A slider cannot show -0.0, so a link carrying it must come back as 0.0 (the page writes what it shows)."""
    result = playground("a", {"a": -0.0})
    assert [math.copysign(1.0, row["value"]) for row in result["variables"]] == [1.0]
    assert "a=0.0" in encode_state("a", {"a": -0.0})


def test_a_link_keeps_the_slider_ranges_the_learner_set():
    result = playground("w*x", {"w": 3, "x": -2}, {"w": [-10, 10], "x": [-2.5, 0.5]})
    assert result["link"] == "playground?e=w%2Ax&w=3.0&x=-2.0&w.range=-10.0,10.0&x.range=-2.5,0.5"
    assert decode_state(result["link"]) == ("w*x", {"w": 3.0, "x": -2.0}, {"w": [-10.0, 10.0], "x": [-2.5, 0.5]})
    # A range for a variable the expression no longer uses is dropped, as its slider is.
    assert playground("x", {}, {"w": [0, 1]})["link"] == "playground?e=x&x=1.0"


@pytest.mark.parametrize("ranges, message", [
    ({"x": [1, 1]}, "x min must be less than x max, got 1.0 and 1.0"),
    ({"x": [0]}, "the range of x must be two numbers, min and max"),
    ({"x": ["0", 1]}, "x min must be a finite number, got '0'"),
    ([1, 2], "ranges must map variable names to [min, max], not list"),
])
def test_a_bad_range_is_refused_with_a_message(ranges, message):
    error = playground("x + 1", {}, ranges)["error"]
    assert error["message"].startswith(message)


def test_step_texts_name_the_nodes_as_the_graph_shows_them():
    result = playground("tanh(w*x + b)", {"w": 0.5, "x": 2, "b": 0.1})
    assert [n["label"] for n in result["trace"]["nodes"] if n["kind"] == "op"] == ["z1", "z2", "f"]
    assert [step["text"].split(";")[0] for step in result["backward"][1:]] == [
        "At f = tanh(z2), upstream ∂f/∂f = 1", "At z2 = z1 + b, upstream ∂f/∂z2 = 0.359201",
        "At z1 = w * x, upstream ∂f/∂z1 = 0.359201"]
    assert not any("((" in step["text"] or "∂(" in step["text"] for step in result["backward"] + result["forward"])
    # A variable called z1 moves the step names to another letter.
    taken = playground("z1*z2 + 1", {})
    assert [n["label"] for n in taken["trace"]["nodes"] if n["kind"] == "op"] == ["u1", "f"]


def test_a_node_feeding_several_others_has_its_paths_labelled_with_the_engine_s_shares():
    result = playground("x*y + x", {"x": 2, "y": 3})
    assert result["paths"] == {
        "edges": [{"source": "x", "target": "f", "slot": 1, "added": 1.0, "label": "1 via +"},
                  {"source": "x", "target": "z1", "slot": 0, "added": 3.0, "label": "3 via ×"}],
        "sums": {"x": "1 + 3 = 4"}}
    last = result["backward"][-1]
    assert last["sums"] == {"x": "1 + 3 = 4"} and {e["label"] for e in last["edges"]} == {"1 via +", "3 via ×", "+2"}
    # The same op on both paths: named by the node they come through, else numbered.
    assert [e["label"] for e in playground("x*y * x", {"x": 2, "y": 3})["paths"]["edges"]] == ["6 via f", "6 via z1"]
    assert [e["label"] for e in playground("x*x", {"x": 2})["paths"]["edges"]] == ["path 1: 2", "path 2: 2"]
