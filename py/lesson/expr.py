"""The playground's expression language: a hand-written tokenizer and recursive-descent parser.

The learner's text is parsed into a small tree of the classes below and never run as Python
(no eval, exec, compile or ast): numbers, the constants `e` and `pi`, ASCII names, `+ - * / **`,
unary signs, parentheses and calls to the engine's functions, and nothing else. An exponent is a
number or an expression of numbers alone (`x**2**3` is `x**8`), folded while parsing. Every refusal is an `ExprError` with a
message for the learner and the span [start, end) of the offending text, in code points.
"""

import keyword
import math
import operator
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache

from autodiff.ops import OPS

# The engine's functions of one number (autodiff.ops), in the table's order.
FUNCTIONS = tuple(name for name, op in OPS.items() if op.function)
# Named constants: each is a constant leaf of the graph, never a variable with a slider.
CONSTANTS = {"e": math.e, "pi": math.pi}
# Names Python reads as non-finite floats: refused, since every number in the graph must be finite.
_NON_FINITE = ("inf", "infinity", "nan")

MAX_LENGTH = 500          # characters of input
MAX_DEPTH = 40            # nested parentheses, calls, signs and powers
MAX_NODES = 60            # graph nodes: operations, number literals and distinct variables (about 50 read well)
MAX_VARIABLES = 10        # one slider each
MAX_NAME_LENGTH = 20
MAX_EXPONENT = 100        # |p| in x**p: x**99999999 would only ever overflow
MAX_LITERAL = 1e15        # a literal beyond this is a typo, not a lesson (and soon overflows)
MAX_LITERAL_LENGTH = 32

_FUNCTION_LIST = ", ".join(FUNCTIONS[:-1]) + " and " + FUNCTIONS[-1]  # "tanh, relu, exp, log and sigmoid"
# The four binary operators, for numbers here and for the engine's Values in the playground.
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_OPERAND = "a number, a name or '('"


class ExprError(ValueError):
    """A refused expression: a message for the learner and the span of the offending text."""

    def __init__(self, message, start, end):
        super().__init__(message)
        self.message, self.start, self.end = message, start, end

    def as_dict(self):
        """The JSON-ready form the page shows in its alert."""
        return {"message": self.message, "start": self.start, "end": self.end}


# The tree. `span` is where the node came from in the text; it takes no part in equality, so a
# tree parsed from differently spaced text equals the one parsed from its normalized form.

@dataclass(frozen=True)
class Num:
    """A number literal: a constant leaf of the graph (negative when a sign was folded in)."""
    value: float
    span: tuple = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class Constant:
    """A named constant (e or pi): a constant leaf of the graph, shown by its name."""
    name: str
    span: tuple = field(default=(0, 0), compare=False, repr=False)

    @property
    def value(self):
        """The constant's float value."""
        return CONSTANTS[self.name]


@dataclass(frozen=True)
class Var:
    """A variable: one leaf of the graph however often it appears."""
    name: str
    span: tuple = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class Neg:
    """-operand (never of a literal: `-2` is the literal Num(-2.0))."""
    operand: object
    span: tuple = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class BinOp:
    """left op right, for op in + - * /."""
    op: str
    left: object
    right: object
    span: tuple = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class Pow:
    """base ** exponent, the exponent a number as the engine requires."""
    base: object
    exponent: float
    span: tuple = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    """func(arg) for one of FUNCTIONS."""
    func: str
    arg: object
    span: tuple = field(default=(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class _Token:
    kind: str             # "num", "name", "op" or "end"
    text: str
    start: int
    end: int


_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD_TAIL = re.compile(r"[A-Za-z0-9_.]*")
_WHITESPACE = " \t\r\n"
_OPERATORS = ("**", "+", "-", "*", "/", "(", ")", ",")
_REFUSED = {
    "//": "'//' (floor division) is not supported: use '/'",
    ";": "';' is not allowed: type a single expression",
    "=": "'=' is not allowed: type an expression, not an assignment or a comparison",
    "<": "'<' is not allowed: comparisons and markup are not part of an expression",
    ">": "'>' is not allowed: comparisons and markup are not part of an expression",
    "!": "'!' is not allowed: comparisons are not part of an expression",
    "[": "brackets are not allowed: group with parentheses ( )",
    "]": "brackets are not allowed: group with parentheses ( )",
    "{": "braces are not allowed: group with parentheses ( )",
    "}": "braces are not allowed: group with parentheses ( )",
    ":": "':' is not allowed: no lambdas, slices or annotations, only arithmetic",
    "%": "'%' (remainder) is not supported",
    "@": "'@' (matrix product) is not supported: the playground works with scalars",
    "#": "comments ('#') are not allowed",
    "\\": "backslashes are not allowed",
    "&": "bitwise operators are not supported",
    "|": "bitwise operators are not supported",
    "^": "'^' is not a power here: write x**2",
    "~": "bitwise operators are not supported",
}


def _shorten(text, limit=20):
    """`text` cut to `limit` characters, so a message never echoes a whole hostile input."""
    return text if len(text) <= limit else text[:limit] + "..."


def _character(ch):
    """Describe a character by code point and Unicode name: 'U+0430 (CYRILLIC SMALL LETTER A)'."""
    name = unicodedata.name(ch, "a control character" if unicodedata.category(ch) == "Cc" else "unnamed")
    return f"U+{ord(ch):04X} ({name})"


def _string_end(text, start):
    """End of the quoted string opening at `start` (its closing quote, else the end of input)."""
    close = text.find(text[start], start + 1)
    return len(text) if close < 0 else close + 1


def _check_name(name, start, end):
    """Refuse keywords, names starting with '_' (so no dunders) and overlong names."""
    if keyword.iskeyword(name):
        raise ExprError(f"'{name}' is a Python keyword: only arithmetic is allowed here", start, end)
    if name.startswith("__") and name.endswith("__"):
        raise ExprError(f"'{_shorten(name)}': double-underscore names are not allowed", start, end)
    if name.startswith("_"):
        raise ExprError(f"'{_shorten(name)}': names must start with a letter", start, end)
    if len(name) > MAX_NAME_LENGTH:
        raise ExprError(f"the name '{_shorten(name)}' is longer than {MAX_NAME_LENGTH} characters", start, end)
    if name.lower() in _NON_FINITE:
        raise ExprError(f"'{name}' is not allowed: every number here must be finite", start, end)


def _tokens(text):
    """Yield the tokens of `text` one at a time, so the leftmost problem is the one reported."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
            continue
        number = _NUMBER.match(text, i)
        if number:
            tail = _WORD_TAIL.match(text, number.end())
            if tail.end() > number.end():
                word = text[i:tail.end()]
                raise ExprError(f"'{_shorten(word)}' is not a number: write decimals like 0.5 or 1e-3, "
                                "and put '*' between a number and a name (2*x)", i, tail.end())
            yield _Token("num", number.group(), i, number.end())
            i = number.end()
            continue
        name = _NAME.match(text, i)
        if name:
            _check_name(name.group(), i, name.end())
            yield _Token("name", name.group(), i, name.end())
            i = name.end()
            continue
        if ch == ".":
            attribute = _NAME.match(text, i + 1)
            end = attribute.end() if attribute else i + 1
            raise ExprError(f"attribute access ('{_shorten(text[i:end])}') is not allowed", i, end)
        if ch in "'\"":
            raise ExprError("strings are not allowed: only numbers and names", i, _string_end(text, i))
        for refused in (text[i:i + 2], ch):
            if refused in _REFUSED:
                raise ExprError(_REFUSED[refused], i, i + len(refused))
        operator = next((op for op in _OPERATORS if text.startswith(op, i)), None)
        if operator:
            yield _Token("op", operator, i, i + len(operator))
            i += len(operator)
            continue
        if not ch.isascii():
            raise ExprError(f"unknown character {_character(ch)}: names use ASCII letters, "
                            "digits and '_'", i, i + 1)
        raise ExprError(f"'{ch}' is not allowed" if ch.isprintable()
                        else f"unknown character {_character(ch)}", i, i + 1)
    yield _Token("end", "", n, n)


class _Parser:
    """Recursive descent over Python's precedence: sum < product < sign < power < atom."""

    def __init__(self, text):
        self.text = text
        self.tokens = _tokens(text)
        self.token = next(self.tokens)
        self.previous = None
        self.depth = 0
        self.nodes = 0
        self.variables = []

    def advance(self):
        """Move to the next token, remembering the one just consumed (for messages)."""
        self.previous, self.token = self.token, next(self.tokens)

    def at(self, *texts):
        """Whether the current token is one of the operators `texts`."""
        return self.token.kind == "op" and self.token.text in texts

    @contextmanager
    def nested(self, opener):
        """One level deeper (a parenthesis, call, sign or power), refused past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"the expression nests deeper than {MAX_DEPTH} levels", opener.start, opener.end)
        yield
        self.depth -= 1

    def count(self, node, span):
        """Count one more graph node, refused past MAX_NODES (the graph would be unreadable)."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExprError(f"the expression is too large: at most {MAX_NODES} operations, numbers and "
                            "variables, so that its graph stays readable on one screen", *span)
        return node

    def sum(self):
        """sum := product (('+' | '-') product)*"""
        return self.left_chain(self.product, "+", "-")

    def product(self):
        """product := signed (('*' | '/') signed)*"""
        return self.left_chain(self.signed, "*", "/")

    def left_chain(self, operand, *ops):
        """operand (op operand)*, grouped to the left as in Python: a - b - c is (a - b) - c."""
        node = operand()
        while self.at(*ops):
            op = self.token.text
            self.advance()
            right = operand()
            node = self.count(BinOp(op, node, right, (node.span[0], right.span[1])), right.span)
        return node

    def signed(self):
        """signed := ('+' | '-') signed | power; as in Python, -x**2 is -(x**2)."""
        if not self.at("+", "-"):
            return self.power()
        sign = self.token
        self.advance()
        with self.nested(sign):
            operand = self.signed()
        span = (sign.start, operand.span[1])
        if sign.text == "+":
            return operand
        if isinstance(operand, Num):
            # A negative literal is one constant node, not a constant and a negation.
            return Num(-operand.value, span)
        return self.count(Neg(operand, span), span)

    def power(self):
        """power := atom ['**' signed], right-associative as in Python."""
        base = self.atom()
        if not self.at("**"):
            return base
        op = self.token
        self.advance()
        nodes_before = self.nodes
        with self.nested(op):
            exponent = self.signed()
        value = _folded_exponent(exponent)
        if abs(value) > MAX_EXPONENT:
            raise ExprError(f"the exponent {_format_number(value)} is too large: "
                            f"at most {MAX_EXPONENT} in size", *exponent.span)
        self.nodes = nodes_before  # the exponent is part of the power node, not nodes of its own
        span = (base.span[0], exponent.span[1])
        return self.count(Pow(base, value, span), span)

    def atom(self):
        """atom := number | name | function '(' sum ')' | '(' sum ')'"""
        token = self.token
        if token.kind == "num":
            self.advance()
            return self.count(Num(_literal(token), (token.start, token.end)), (token.start, token.end))
        if token.kind == "name":
            self.advance()
            return self.call(token) if self.at("(") else self.variable(token)
        if self.at("("):
            self.advance()
            if self.at(")"):
                raise ExprError("empty parentheses: put an expression inside", token.start, self.token.end)
            with self.nested(token):
                inner = self.sum()
            self.close(token, "',' is not allowed: tuples are not part of an expression")
            return replace(inner, span=(token.start, self.previous.end))
        raise self.expected_operand()

    def call(self, name):
        """function '(' sum ')', for the engine's functions only, with exactly one argument."""
        func = name.text
        if func not in FUNCTIONS:
            raise ExprError(f"unknown function '{_shorten(func)}': the functions are {_FUNCTION_LIST}",
                            name.start, name.end)
        opener = self.token
        self.advance()
        if self.at(")"):
            raise ExprError(f"{func}() needs one argument, e.g. {func}(x)", name.start, self.token.end)
        with self.nested(opener):
            arg = self.sum()
        self.close(opener, f"{func}() takes exactly one argument")
        span = (name.start, self.previous.end)
        return self.count(Call(func, arg, span), span)

    def close(self, opener, comma_message):
        """Consume the ')' matching `opener`, or say why it is not there."""
        if self.at(")"):
            self.advance()
        elif self.token.kind == "end":
            raise ExprError("'(' is never closed", opener.start, opener.end)
        elif self.at(","):
            raise ExprError(comma_message, self.token.start, self.token.end)
        else:
            raise self.expected_operator()

    def variable(self, token):
        """A variable (its name already checked by the tokenizer), never one of the functions;
        e and pi are constants."""
        name, span = token.text, (token.start, token.end)
        if name in FUNCTIONS:
            raise ExprError(f"'{name}' is a function, not a variable: write {name}(x)", *span)
        if name in CONSTANTS:
            return self.count(Constant(name, span), span)
        if name not in self.variables:
            if len(self.variables) == MAX_VARIABLES:
                raise ExprError(f"too many variables: at most {MAX_VARIABLES}, one slider each", *span)
            self.variables.append(name)
            self.count(None, span)
        return Var(name, span)

    def expected_operand(self):
        """The error for a token where a number, a name or '(' should be."""
        token = self.token
        if self.previous is None:
            return ExprError(f"an expression cannot start with '{token.text}'", token.start, token.end)
        after = f"after '{self.previous.text}'"
        if token.kind == "end":
            return ExprError(f"the expression ends too early: expected {_OPERAND} {after}",
                             self.previous.start, self.previous.end)
        if token.text == ",":
            return ExprError("',' is not allowed: type a single expression", token.start, token.end)
        return ExprError(f"expected {_OPERAND} {after}, found '{token.text}'", token.start, token.end)

    def expected_operator(self):
        """The error for a token where an operator, ')' or the end should be."""
        token = self.token
        if self.at(")"):
            return ExprError("')' has no matching '('", token.start, token.end)
        if self.at(","):
            return ExprError("',' is not allowed: type a single expression", token.start, token.end)
        before = _shorten(self.previous.text)
        return ExprError(f"missing operator between '{before}' and '{_shorten(token.text)}' "
                         f"(for a product write {before}*{_shorten(token.text)})", token.start, token.end)


def _folded_exponent(tree):
    """The value of an exponent made of numbers alone (2, -0.5, 2**3, 1/3, pi), or ExprError saying why not."""
    for node in walk(tree):
        if isinstance(node, (Var, Call)):
            raise ExprError("the exponent must be a number, or numbers combined such as 2**3 or 1/3 "
                            "(for a variable exponent write exp(y*log(x)))", *tree.span)
    try:
        value = _evaluated_numbers(tree)
    except ZeroDivisionError:
        raise ExprError("the exponent divides by zero", *tree.span) from None
    except OverflowError:
        raise ExprError("the exponent is too large", *tree.span) from None
    if isinstance(value, complex) or not math.isfinite(value):
        raise ExprError("the exponent is not a real number", *tree.span)
    return value


def _evaluated_numbers(tree):
    """The float value of a tree of numbers and constants (no variables, no calls): plain float arithmetic."""
    if isinstance(tree, (Num, Constant)):
        return tree.value
    if isinstance(tree, Neg):
        return -_evaluated_numbers(tree.operand)
    if isinstance(tree, Pow):
        return _evaluated_numbers(tree.base) ** tree.exponent
    return ARITHMETIC[tree.op](_evaluated_numbers(tree.left), _evaluated_numbers(tree.right))


def _literal(token):
    """The float value of a number token, refusing literals too long or too large to be meant."""
    if len(token.text) > MAX_LITERAL_LENGTH:
        raise ExprError(f"the number '{_shorten(token.text)}' is longer than {MAX_LITERAL_LENGTH} "
                        "characters", token.start, token.end)
    value = float(token.text)
    if value > MAX_LITERAL:
        raise ExprError(f"the number {_shorten(token.text)} is too large: at most {MAX_LITERAL:.0e}".replace("+", ""),
                        token.start, token.end)
    mantissa = re.split("[eE]", token.text)[0]
    if value == 0 and mantissa.strip("0."):
        raise ExprError(f"the number {_shorten(token.text)} is too small: it would round to 0",
                        token.start, token.end)
    return value


def parse(text):
    """Parse `text` into a tree of Num, Constant, Var, Neg, BinOp, Pow and Call, or raise ExprError."""
    if not isinstance(text, str):
        raise ExprError(f"the expression must be text, not {type(text).__name__}", 0, 0)
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is {len(text)} characters long: at most {MAX_LENGTH}",
                        MAX_LENGTH, len(text))
    if not text.strip(_WHITESPACE):
        raise ExprError("the expression is empty: type one, e.g. tanh(w*x + b)", 0, len(text))
    return _parsed(text)


@lru_cache(maxsize=64)
def _parsed(text):
    """The tree of checked `text`, remembered: a slider drag re-sends the same expression each time
    (trees are immutable, so sharing one is safe)."""
    parser = _Parser(text)
    tree = parser.sum()
    if parser.token.kind != "end":
        raise parser.expected_operator()
    return tree


def variables(tree):
    """The variable names of `tree` in order of first appearance."""
    names = []
    for node in walk(tree):
        if isinstance(node, Var) and node.name not in names:
            names.append(node.name)
    return names


def walk(tree):
    """Every node of `tree` in the order its text reads (operands before the node using them)."""
    stack, out = [(tree, False)], []
    while stack:
        node, expanded = stack.pop()
        operands = children(node)
        if expanded or not operands:
            out.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(operands))
    return out


def children(node):
    """The operand nodes of `node`, in operand order."""
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Pow):
        return (node.base,)
    if isinstance(node, Call):
        return (node.arg,)
    return ()


# Printing. Binding strength, loosest first: a side binding looser than its place needs parentheses.
_SUM, _PRODUCT, _SIGN, _POWER, _ATOM = range(5)


def _format_number(value):
    """A literal's text that parses back to the same float: '2', '0.5', '1e-05', and a whole number of
    more than six digits in e-notation where that is shorter ('1e15', '2.5e7', but '1234567')."""
    if not value.is_integer():
        return repr(value)
    digits = str(int(abs(value)))
    if len(digits) > 6:
        # Exact: the same decimal digits, so it reads back as the same float.
        significant = digits.rstrip("0")
        scientific = f"{significant[0]}{'.' if len(significant) > 1 else ''}{significant[1:]}e{len(digits) - 1}"
        digits = min(digits, scientific, key=len)
    return "-" + digits if value < 0 else digits


def to_source(tree):
    """The normalized text of `tree`: fewest parentheses, spaces around + and - only."""
    return _printed(tree)[0]


def _printed(node):
    """(text, binding strength) of `node`."""
    if isinstance(node, Num):
        return _format_number(node.value), (_SIGN if node.value < 0 else _ATOM)
    if isinstance(node, (Var, Constant)):
        return node.name, _ATOM
    if isinstance(node, Call):
        return f"{node.func}({to_source(node.arg)})", _ATOM
    if isinstance(node, Neg):
        return "-" + _wrapped(node.operand, _SIGN), _SIGN
    if isinstance(node, Pow):
        return f"{_wrapped(node.base, _ATOM)}**{_format_number(node.exponent)}", _POWER
    strength = _SUM if node.op in "+-" else _PRODUCT
    op = f" {node.op} " if strength == _SUM else node.op
    # Left-associative: the right side needs parentheses even at equal strength (a - (b - c)).
    return _wrapped(node.left, strength) + op + _wrapped(node.right, strength + 1), strength


def _wrapped(node, at_least):
    """`node`'s text, parenthesized if it binds looser than `at_least`."""
    text, strength = _printed(node)
    return text if strength >= at_least else f"({text})"
