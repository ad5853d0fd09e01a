"""The playground's parser: what it accepts (tree and normalized text) and what it refuses (message and span)."""

import pytest

from lesson.expr import (
    MAX_DEPTH, MAX_LENGTH, MAX_NODES, MAX_VARIABLES,
    BinOp, Call, Constant, ExprError, Neg, Num, Pow, Var, parse, to_source, variables,
)

x, y, z, a, b, w = (Var(n) for n in "xyzabw")

VALID = [
    # text, tree, normalized text
    ("tanh(w*x + b)", Call("tanh", BinOp("+", BinOp("*", w, x), b)), "tanh(w*x + b)"),
    ("(a+b)*b", BinOp("*", BinOp("+", a, b), b), "(a + b)*b"),
    ("exp(x)/(exp(x)+exp(z))",
     BinOp("/", Call("exp", x), BinOp("+", Call("exp", x), Call("exp", z))), "exp(x)/(exp(x) + exp(z))"),
    ("  x  ", x, "x"),
    ("42", Num(42.0), "42"),
    ("0.5", Num(0.5), "0.5"),
    (".5", Num(0.5), "0.5"),
    ("5.", Num(5.0), "5"),
    ("1e-3", Num(0.001), "0.001"),
    ("2.5E+2", Num(250.0), "250"),
    ("1e-5", Num(1e-05), "1e-05"),
    # big whole numbers in e-notation where that is shorter, never with a trailing '.0'
    ("1e15*x", BinOp("*", Num(1e15), x), "1e15*x"),
    ("-1e15*x", BinOp("*", Num(-1e15), x), "-1e15*x"),
    ("1000000000000000", Num(1e15), "1e15"),
    ("999999999999999", Num(999999999999999.0), "999999999999999"),
    ("25000000", Num(2.5e7), "2.5e7"),
    ("1234567", Num(1234567.0), "1234567"),
    ("100000", Num(1e5), "100000"),
    ("-x**2", Neg(Pow(x, 2.0)), "-x**2"),                      # as in Python: -(x**2)
    ("(-x)**2", Pow(Neg(x), 2.0), "(-x)**2"),
    ("-2**2", Neg(Pow(Num(2.0), 2.0)), "-2**2"),
    ("(-2)**2", Pow(Num(-2.0), 2.0), "(-2)**2"),
    ("x**-1", Pow(x, -1.0), "x**-1"),
    ("x ** (-0.5)", Pow(x, -0.5), "x**-0.5"),
    ("(x**2)**3", Pow(Pow(x, 2.0), 3.0), "(x**2)**3"),
    ("-2", Num(-2.0), "-2"),                                     # a sign on a literal folds into it
    ("-(-2)", Num(2.0), "2"),
    ("+x", x, "x"),                                              # unary plus is the identity
    ("--x", Neg(Neg(x)), "--x"),
    ("-(x*y)", Neg(BinOp("*", x, y)), "-(x*y)"),
    ("-x*y", BinOp("*", Neg(x), y), "-x*y"),
    ("x - -2", BinOp("-", x, Num(-2.0)), "x - -2"),
    ("2*-x", BinOp("*", Num(2.0), Neg(x)), "2*-x"),
    ("a-b-c", BinOp("-", BinOp("-", a, b), Var("c")), "a - b - c"),   # left-associative
    ("a-(b-c)", BinOp("-", a, BinOp("-", b, Var("c"))), "a - (b - c)"),
    ("a/b/c", BinOp("/", BinOp("/", a, b), Var("c")), "a/b/c"),
    ("a/(b*c)", BinOp("/", a, BinOp("*", b, Var("c"))), "a/(b*c)"),
    ("a+b*c", BinOp("+", a, BinOp("*", b, Var("c"))), "a + b*c"),
    ("((x))", x, "x"),
    ("relu(x) + sigmoid(y) + log(z)",
     BinOp("+", BinOp("+", Call("relu", x), Call("sigmoid", y)), Call("log", z)), "relu(x) + sigmoid(y) + log(z)"),
    ("tanh(tanh(x))", Call("tanh", Call("tanh", x)), "tanh(tanh(x))"),
    ("x1 * learning_rate", BinOp("*", Var("x1"), Var("learning_rate")), "x1*learning_rate"),
    ("open * type", BinOp("*", Var("open"), Var("type")), "open*type"),   # harmless as plain names
    ("x\t+\n1", BinOp("+", x, Num(1.0)), "x + 1"),
    # e and pi are constants, not variables
    ("exp(x) - e", BinOp("-", Call("exp", x), Constant("e")), "exp(x) - e"),
    ("pi*r**2", BinOp("*", Constant("pi"), Pow(Var("r"), 2.0)), "pi*r**2"),
    # an exponent made of numbers alone is folded, as Python would compute it (right-associative)
    ("x**2**3", Pow(x, 8.0), "x**8"),
    ("x**-2**2", Pow(x, -4.0), "x**-4"),
    ("x**(1/2)", Pow(x, 0.5), "x**0.5"),
    ("x**(3 - 1)*y", BinOp("*", Pow(x, 2.0), y), "x**2*y"),
    ("x**(2*pi)", Pow(x, 2 * 3.141592653589793), "x**6.283185307179586"),
]


@pytest.mark.parametrize("text, tree, normalized", VALID, ids=[v[0] for v in VALID])
def test_valid_input_parses_to_its_tree_and_normal_form(text, tree, normalized):
    parsed = parse(text)
    assert parsed == tree
    assert to_source(parsed) == normalized
    assert parse(normalized) == tree


def test_variables_are_listed_in_order_of_first_appearance():
    assert variables(parse("tanh(w*x + b)")) == ["w", "x", "b"]
    assert variables(parse("(a+b)*b + a")) == ["a", "b"]
    assert variables(parse("2**3")) == []


def test_spans_point_into_the_text():
    tree = parse("exp(x)/(exp(x)+exp(z))")
    assert tree.span == (0, 22)
    assert tree.right.span == (7, 22)            # parentheses included
    assert tree.right.right.arg.span == (19, 20)


HOSTILE = [
    # text, fragment of the message, span
    ("__import__('os')", "double-underscore names are not allowed", (0, 10)),
    ("x.__class__", "attribute access ('.__class__') is not allowed", (1, 11)),
    ("x.real", "attribute access ('.real') is not allowed", (1, 6)),
    ("().__class__", "empty parentheses", (0, 2)),
    ("open('f')", "unknown function 'open': the functions are tanh, relu, exp, log and sigmoid", (0, 4)),
    ("sin(x)", "unknown function 'sin'", (0, 3)),
    ("x(y)", "unknown function 'x'", (0, 1)),
    ("import os", "'import' is a Python keyword", (0, 6)),
    ("lambda: 1", "'lambda' is a Python keyword", (0, 6)),
    ("[x for x in y]", "brackets are not allowed", (0, 1)),
    # comprehensions without brackets: refused at the call to another name, or at the keyword
    ("sum(x for x in y)", "unknown function 'sum': the functions are tanh", (0, 3)),
    ("(x for x in y)", "'for' is a Python keyword", (3, 6)),
    ("tanh(x for x in y)", "'for' is a Python keyword", (7, 10)),
    ("{x}", "braces are not allowed", (0, 1)),
    ('"str"', "strings are not allowed", (0, 5)),
    ("x + 'unterminated", "strings are not allowed", (4, 17)),
    ("x;y", "';' is not allowed", (1, 2)),
    ("x = 1", "'=' is not allowed", (2, 3)),
    ("x if y else z", "'if' is a Python keyword", (2, 4)),
    ("True", "'True' is a Python keyword", (0, 4)),
    ("x**99999999", "the exponent 99999999 is too large: at most 100", (3, 11)),
    ("x**1e9", "the exponent 1e9 is too large", (3, 6)),
    ("x**y", "the exponent must be a number", (3, 4)),
    ("2**x", "the exponent must be a number", (3, 4)),
    ("x**2**y", "the exponent must be a number, or numbers combined such as 2**3", (6, 7)),
    ("x**exp(1)", "the exponent must be a number, or numbers combined", (3, 9)),
    ("x**(1/0)", "the exponent divides by zero", (3, 8)),
    ("x**((-8)**0.5)", "the exponent is not a real number", (3, 14)),
    ("x**(2**7)", "the exponent 128 is too large: at most 100", (3, 9)),
    ("x + inf", "'inf' is not allowed: every number here must be finite", (4, 7)),
    ("nan*x", "'nan' is not allowed", (0, 3)),
    ("Infinity", "'Infinity' is not allowed", (0, 8)),
    ("1e400", "is too large", (0, 5)),
    ("99999999999999999999", "is too large: at most 1e15", (0, 20)),
    ("1e-400", "is too small: it would round to 0", (0, 6)),
    ("1" + "0" * 40, "longer than 32 characters", (0, 41)),
    ("<img src=x onerror=alert(1)>", "'<' is not allowed", (0, 1)),
    ("x<b>", "'<' is not allowed", (1, 2)),
    ("\u0430 + b", "U+0430 (CYRILLIC SMALL LETTER A)", (0, 1)),          # Cyrillic a
    ("x + \u0443", "U+0443 (CYRILLIC SMALL LETTER U)", (4, 5)),        # Cyrillic u, looks like y
    ("\uff58", "U+FF58 (FULLWIDTH LATIN SMALL LETTER X)", (0, 1)),
    ("x\u200by", "U+200B (ZERO WIDTH SPACE)", (1, 2)),
    ("x\x00", "U+0000 (a control character)", (1, 2)),
    ("\x00", "U+0000 (a control character)", (0, 1)),
    ("x\U0001F600", "U+1F600", (1, 2)),
    ("", "the expression is empty", (0, 0)),
    ("   ", "the expression is empty", (0, 3)),
    ("x +", "ends too early: expected a number, a name or '(' after '+'", (2, 3)),
    ("tanh(", "ends too early", (4, 5)),
    ("(x", "'(' is never closed", (0, 1)),
    ("((x)", "'(' is never closed", (0, 1)),
    ("x)", "')' has no matching '('", (1, 2)),
    (")", "an expression cannot start with ')'", (0, 1)),
    ("*x", "an expression cannot start with '*'", (0, 1)),
    ("x * * y", "expected a number, a name or '(' after '*', found '*'", (4, 5)),
    ("x y", "missing operator between 'x' and 'y' (for a product write x*y)", (2, 3)),
    ("2x", "'2x' is not a number", (0, 2)),
    ("0x10", "'0x10' is not a number", (0, 4)),
    ("1_000", "'1_000' is not a number", (0, 5)),
    ("1j", "'1j' is not a number", (0, 2)),
    ("1.2.3", "'1.2.3' is not a number", (0, 5)),
    ("x, y", "',' is not allowed", (1, 2)),
    ("(x, y)", "tuples are not part of an expression", (2, 3)),
    ("tanh(x, y)", "tanh() takes exactly one argument", (6, 7)),
    ("tanh()", "tanh() needs one argument", (0, 6)),
    ("tanh", "'tanh' is a function, not a variable", (0, 4)),
    ("exp * 2", "'exp' is a function, not a variable", (0, 3)),
    ("_x", "names must start with a letter", (0, 2)),
    ("a" * 21, "is longer than 20 characters", (0, 21)),
    ("x // 2", "'//' (floor division) is not supported", (2, 4)),
    ("x ^ 2", "'^' is not a power here", (2, 3)),
    ("x % 2", "'%' (remainder) is not supported", (2, 3)),
    ("x @ y", "'@' (matrix product) is not supported", (2, 3)),
    ("x # comment", "comments ('#') are not allowed", (2, 3)),
    ("x\\y", "backslashes are not allowed", (1, 2)),
    ("$x", "'$' is not allowed", (0, 1)),
]


@pytest.mark.parametrize("text, message, span", HOSTILE, ids=[repr(h[0])[:30] for h in HOSTILE])
def test_hostile_input_is_refused_with_a_message_and_span(text, message, span):
    with pytest.raises(ExprError) as refused:
        parse(text)
    assert message in refused.value.message
    assert (refused.value.start, refused.value.end) == span
    assert refused.value.as_dict() == {"message": refused.value.message, "start": span[0], "end": span[1]}


def test_the_leftmost_problem_is_reported_first():
    with pytest.raises(ExprError) as refused:
        parse("x + y) ; <script>")
    assert (refused.value.start, refused.value.end) == (5, 6)


def test_messages_never_echo_a_long_hostile_input():
    with pytest.raises(ExprError) as refused:
        parse("x." + "A" * 400)
    assert len(refused.value.message) < 100


def test_input_longer_than_the_limit_is_refused_before_reading_it():
    text = "x+" * 50_000 + "x"                   # about 100 KB
    with pytest.raises(ExprError) as refused:
        parse(text)
    assert refused.value.message == f"the expression is {len(text)} characters long: at most {MAX_LENGTH}"
    assert (refused.value.start, refused.value.end) == (MAX_LENGTH, len(text))


@pytest.mark.parametrize("opener, closer", [("(", ")"), ("tanh(", ")"), ("-", ""), ("+", "")])
def test_nesting_is_limited(opener, closer):
    # Exactly MAX_DEPTH levels parse; one more is refused at the opener that crosses the limit.
    assert parse(opener * MAX_DEPTH + "x" + closer * MAX_DEPTH)
    with pytest.raises(ExprError, match=f"nests deeper than {MAX_DEPTH} levels") as refused:
        parse(opener * (MAX_DEPTH + 1) + "x" + closer * (MAX_DEPTH + 1))
    crossing = MAX_DEPTH * len(opener) + len(opener) - 1     # the last character of the 41st opener
    assert (refused.value.start, refused.value.end) == (crossing, crossing + 1)


def test_thousand_deep_parentheses_are_refused():
    with pytest.raises(ExprError, match="2001 characters long"):
        parse("(" * 1000 + "x" + ")" * 1000)     # refused for its length before it is read
    with pytest.raises(ExprError, match="nests deeper"):
        parse("(" * 240 + "x" + ")" * 240)


def test_node_count_is_limited():
    # x + 1 + 1 ...: one variable, then a literal and an addition per term.
    terms = (MAX_NODES - 1) // 2
    assert parse("x" + "+1" * terms)
    with pytest.raises(ExprError, match=f"at most {MAX_NODES} operations") as refused:
        parse("x" + "+1" * (terms + 1))
    assert refused.value.start == len("x" + "+1" * terms) + 1


def test_the_node_limit_keeps_graphs_near_the_readable_50_and_says_so():
    assert MAX_NODES == 60
    at_limit = "x*y" + "+x*y" * 19     # 2 variables, 20 products and 19 sums: 41 nodes...
    at_limit += "+x" * 19              # ... and 19 more sums: exactly 60
    tree = parse(at_limit)
    with pytest.raises(ExprError) as refused:
        parse(at_limit + "+x")
    assert "at most 60 operations, numbers and variables, so that its graph stays readable" in refused.value.message
    assert (refused.value.start, refused.value.end) == (len(at_limit) + 1, len(at_limit) + 2)
    assert variables(tree) == ["x", "y"]


def test_a_variable_counts_once_however_often_it_appears():
    # 51 uses of x and 50 additions: 51 graph nodes, though 101 if each use were a node.
    assert variables(parse("+".join(["x"] * 51))) == ["x"]


def test_number_of_variables_is_limited():
    names = [f"v{i}" for i in range(MAX_VARIABLES + 1)]
    assert variables(parse("+".join(names[:-1]))) == names[:-1]
    with pytest.raises(ExprError, match=f"too many variables: at most {MAX_VARIABLES}") as refused:
        parse("+".join(names))
    assert refused.value.start == len("+".join(names[:-1])) + 1


def test_input_that_is_not_text_is_refused():
    with pytest.raises(ExprError, match="must be text, not int"):
        parse(42)


# One table of operations (autodiff.ops): a new function is the engine's method plus one row.

NEW_FUNCTION = """
import json, math
from autodiff import ops
from autodiff.value import Value, _op_node

def sin(self):
    return _op_node(math.sin(self.data), (self,), (math.cos(self.data),), "sin")

Value.sin = sin
ops.OPS["sin"] = ops.Op(("∂{out}/∂{0} = cos({0})",), term=True, function=True)
from lesson.expr import parse
from lesson.playground import playground
result = playground("sin(x) * 2", {"x": 0.5})
try:
    parse("cos(x)")
except ValueError as error:
    refused = str(error)
print(json.dumps({"grad": result["variables"][0]["grad"], "texts": [s["text"] for s in result["backward"]],
                  "refused": refused}))
"""


def test_a_function_added_to_the_engine_and_the_table_reaches_the_parser_rules_and_texts():
    import json
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", NEW_FUNCTION], capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(root / "py"), "PATH": ""})
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["grad"] == 2 * __import__("math").cos(0.5)
    assert printed["texts"][-1].startswith("At z1 = sin(x), upstream ∂f/∂z1 = 2; rule: ∂z1/∂x = cos(x).")
    assert printed["refused"] == "unknown function 'cos': the functions are tanh, relu, exp, log, sigmoid and sin"
