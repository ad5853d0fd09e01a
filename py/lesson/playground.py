"""The playground: any expression the learner types becomes the engine's graph, with every failure explained.

`playground(expression, values)` never raises. Bad input gives {"error": {"message", "start", "end"}};
a value outside an operation's domain (log(-2), 1/0, exp(1000)) gives a graph whose failing node and
everything computed from it are undefined, each saying why, while the rest keeps its values; where only
a derivative fails ((y-1)**0.5 at y = 1) every value is shown and the gradients are not.
`encode_state` / `decode_state` carry the expression and values in the page's URL fragment.
"""

import re
from urllib.parse import quote, unquote

from autodiff import Value, no_grad
from autodiff.gradcheck import gradcheck
from autodiff.graph import topo_order
from autodiff.trace import node_ids, trace
from lesson.checks import finite_number
from lesson.expr import (
    ARITHMETIC, CONSTANTS, MAX_LITERAL, BinOp, Call, Constant, ExprError, Neg, Num, Pow, Var, children, parse,
    to_source, variables, walk,
)
from lesson.steps import backward_pass, forward_pass
from lesson.wording import number

DEFAULT_VALUE = 1.0       # a variable the page has no value for yet
# What the playground shows first: the lesson's neuron at the compute-graph example's numbers.
START_EXPRESSION = "tanh(w*x + b)"
START_VALUES = {"w": 0.5, "x": 2.0, "b": 0.1}
# The output node's name: the first of these that no variable has (there are more than MAX_VARIABLES).
OUTPUT_NAMES = ("f", "g", "h", "out", "f1", "f2", "f3", "f4", "f5", "f6", "f7")
STATE_PREFIX = "playground?"
MAX_STATE_LENGTH = 4000   # room for a 500-character expression percent-encoded, and its values
# Autograd and central differences agree when they differ by at most this much, relative to the larger
# of the two (absolute below 1): the check's own error is far smaller for smooth functions.
AGREEMENT = 1e-6
KINK = 1e-6               # the check's step: a relu input this close to 0 lies within x ± step of its kink

_FUNCTIONS = {"tanh": Value.tanh, "relu": Value.relu, "exp": Value.exp, "log": Value.log, "sigmoid": Value.sigmoid}
# What the engine raises for a value outside an operation's domain (see autodiff.value).
_DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
# A float as Python prints it in the engine's messages ('1.0', '-2.5', '1e+200'), not part of a name.
_FLOAT_IN_TEXT = re.compile(r"(?<![\w.])-?(?:\d+\.\d*(?:e[+-]?\d+)?|\d+e[+-]?\d+)(?![\w.])")
# A '%' in a link that does not start an escape of two hex digits.
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def playground(expression, values=None):
    """The graph of `expression` at `values` (missing ones DEFAULT_VALUE): trace, steps, per variable its value,
    gradient, numerical gradient and their difference, and the `link` (URL fragment) that reproduces it;
    or {"error": ...} for input that is refused."""
    try:
        tree = parse(expression)
        inputs = _inputs(tree, values)
    except ExprError as error:
        return {"error": error.as_dict()}
    try:
        return {**_evaluated(tree, inputs), "link": _link(expression, inputs)}
    except Exception as error:  # a bug, not the learner's input: say so rather than break the page
        return {"error": {"message": f"the playground failed on this input ({type(error).__name__}: {error})",
                          "start": 0, "end": 0}}


def initial_state():
    """The first paint's data, computed at build time: the starting expression, its values and its result, and
    the largest value a variable may take (a slider's bounds are held to it)."""
    return {"expression": START_EXPRESSION, "values": dict(START_VALUES),
            "result": playground(START_EXPRESSION, START_VALUES), "max_value": MAX_LITERAL}


def _inputs(tree, values):
    """{variable: value} in order of first appearance, checked, with DEFAULT_VALUE for a missing one."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ExprError(f"values must map variable names to numbers, not {type(values).__name__}", 0, 0)
    inputs = {}
    for name in variables(tree):
        try:
            value = finite_number(name, values.get(name, DEFAULT_VALUE), low=-MAX_LITERAL, high=MAX_LITERAL)
            inputs[name] = value + 0.0  # -0.0 becomes 0.0: a slider and a link cannot tell them apart
        except ValueError as error:
            raise ExprError(str(error), *_first_use(tree, name)) from None
    return inputs


def _first_use(tree, name):
    """The span of the first occurrence of variable `name` in `tree` (where the alert points)."""
    return next(node.span for node in walk(tree) if isinstance(node, Var) and node.name == name)


def _evaluated(tree, inputs):
    """Build, differentiate and trace the graph of `tree` at `inputs`, and check its gradients numerically."""
    leaves = _leaves(tree, {name: Value(value, label=name) for name, value in inputs.items()})
    root = _graph(tree, leaves)
    if not root.label:
        # Named, so the graph, the caption and the step texts say f and ∂f/∂x, never a made-up id.
        root.label = next(name for name in OUTPUT_NAMES if name not in inputs)
    if isinstance(root, _Undefined):
        graph = _undefined_trace(root)
        return _result(tree, inputs, graph, [], _undefined(root), ({}, None))
    undefined = None
    if root.requires_grad:
        try:
            root.backward()
        except OverflowError:
            reason = "the gradients overflow: one is too large for a float here"
            undefined = {"node": None, "part": "gradient", "reason": reason, "named": reason,
                         "message": f"No gradients here: {reason}; the values are shown."}
    graph = trace(root)
    if undefined:
        return _result(tree, inputs, graph, [], undefined, ({}, None))  # no gradients to check
    steps = backward_pass(graph) if root.requires_grad else []
    return _result(tree, inputs, graph, steps, None, _numerical_checks(tree, inputs))


def _undefined(root):
    """What the page says about an undefined graph: the failing node's id, whether its value or only its
    gradient failed, the reason, and a sentence naming the node as the learner wrote it."""
    cause, reason = root.cause, root.reason
    if root.data is None:
        spread = "" if cause is root else ", and so is everything computed from it"
        message = f"{cause.source} is undefined here: {reason}{spread}."
    else:
        message = f"{cause.source}: {reason}, so there are no gradients here (the values are shown)."
    return {"node": cause.id, "part": "value" if root.data is None else "gradient",
            "reason": reason, "named": f"{cause.source}: {reason}", "message": message}


def _result(tree, inputs, graph, steps, undefined, checked):
    """The JSON-ready answer: trace, steps, the normalized text, what is undefined, one row per variable
    (with the backward step at which its gradient is complete) and a note on the numerical check."""
    checks, check_note = checked
    by_label = {node["label"]: node for node in graph["nodes"] if node["kind"] == "leaf"}
    complete = {}
    for index, step in enumerate(steps):
        complete.update(dict.fromkeys(step["active"], index))
    rows = []
    for name, value in inputs.items():
        node = by_label[name]
        row = {"name": name, "node": node["id"], "value": value, "grad": node["grad"],
               "numerical": None, "difference": None, "agrees": None, "step": complete.get(node["id"]),
               "reason": undefined["named"] if undefined else None}
        row.update(checks.get(name, {}))
        rows.append(row)
    return {"normalized": to_source(tree), "trace": graph, "forward": forward_pass(graph),
            "backward": steps, "variables": rows, "undefined": undefined, "check_note": check_note}


class _Undefined:
    """A node the engine refused at these values, or one computed from it: its place in the graph, its value
    where that is still known (only a derivative failed), and the failing node (`cause`) and why."""

    __slots__ = ("label", "_op", "_prev", "data", "reason", "cause", "source", "id")

    def __init__(self, op, prev, reason, cause=None, data=None, source=""):
        self.label, self._op, self._prev = "", op, tuple(prev)
        self.data, self.reason, self.source = data, reason, source
        self.cause = self if cause is None else cause
        self.id = None  # set by _undefined_trace


def _leaves(tree, variable_leaves):
    """The graph's shared leaves by name: the variables' Values and one constant leaf per named constant used."""
    named = {node.name for node in walk(tree) if isinstance(node, Constant)}
    constants = {name: Value(CONSTANTS[name], requires_grad=False, label=name) for name in sorted(named)}
    return {**variable_leaves, **constants}


def _graph(node, leaves):
    """The engine graph of `node` (variables and named constants are the shared `leaves`, literals constant
    leaves); an operation the engine refuses becomes an _Undefined node, and so does everything computed from
    it, keeping the values that are still defined when only a derivative failed."""
    if isinstance(node, (Var, Constant)):
        return leaves[node.name]
    if isinstance(node, Num):
        return Value(node.value, requires_grad=False)
    inputs = [_graph(child, leaves) for child in children(node)]
    failures = [i for i in inputs if isinstance(i, _Undefined)]
    # A value that failed outweighs a derivative that did: it is why this node has no value either.
    failed = min(failures, key=lambda i: i.data is not None, default=None)
    if failed is not None and failed.data is None:
        return _Undefined(_op(node), inputs, failed.reason, failed.cause)
    if failed is None:
        try:
            return _apply(node, inputs)
        except _DOMAIN_ERRORS as error:
            refused = error
    # Past a failed derivative, or where this node's own failed, there is no backward pass: the engine computes
    # the value alone (under no_grad no derivative is computed, so only a value can fail).
    try:
        with no_grad():
            data = _apply(node, [Value(i.data) if isinstance(i, _Undefined) else i for i in inputs]).data
    except _DOMAIN_ERRORS as error:
        return _Undefined(_op(node), inputs, readable(str(error)), source=to_source(node))
    if failed is not None:
        return _Undefined(_op(node), inputs, failed.reason, failed.cause, data)
    return _Undefined(_op(node), inputs, _derivative_reason(node, inputs, refused), data=data, source=to_source(node))


def _derivative_reason(node, inputs, error):
    """Why only the derivative of `node` failed, naming its operand as written: 'its derivative is infinite
    where y - 1 = 0' (for x/y the operand is y, the one it divides by)."""
    slot = len(inputs) - 1
    operand, at = to_source(children(node)[slot]), number(inputs[slot].data)
    size = "infinite" if isinstance(error, ZeroDivisionError) else "too large for a float"
    return f"its derivative is {size} " + (f"at {at}" if operand == at else f"where {operand} = {at}")


def _apply(node, inputs):
    """The engine's operation for tree node `node` on its input Values."""
    if isinstance(node, BinOp):
        return ARITHMETIC[node.op](*inputs)
    if isinstance(node, Neg):
        return -inputs[0]
    if isinstance(node, Pow):
        return inputs[0] ** _exponent(node)
    return _FUNCTIONS[node.func](inputs[0])


def _exponent(node):
    """A power's exponent as the engine should see it: an int when whole, so the op reads '**2'."""
    return int(node.exponent) if node.exponent.is_integer() else node.exponent


def _op(node):
    """The `_op` the engine gives the node for `node` (for an undefined node, which the engine never made)."""
    if isinstance(node, BinOp):
        return node.op
    if isinstance(node, Neg):
        return "neg"
    if isinstance(node, Pow):
        return f"**{_exponent(node)}"
    return node.func


def _undefined_trace(root):
    """A trace (ARCHITECTURE.md format) of a graph with undefined nodes: the same ids, order and edges the
    engine's trace() gives where every node is defined, values where known, no gradients, no backward."""
    order = topo_order(root)
    ids = node_ids(order)
    id_of = {id(node): ids[i] for i, node in enumerate(order)}
    for node in order:
        if isinstance(node, _Undefined):
            node.id = id_of[id(node)]
    edges = [{"source": id_of[id(parent)], "target": id_of[id(node)], "slot": slot}
             for node in order for slot, parent in enumerate(node._prev)]
    return {"output": id_of[id(root)], "nodes": [_record(node, id_of) for node in order],
            "edges": edges, "order": ids, "backward": []}


def _record(node, id_of):
    """One node of an undefined trace: as trace() records it, without a gradient. A node without a value, and a
    node whose derivative failed, says why in `note` (where trace() puts the reason for a number it cannot
    show) and names the node that `cause`d it; one computed from a failed derivative only keeps its value."""
    if isinstance(node, _Undefined):
        record = {"id": id_of[id(node)], "label": node.label, "op": node._op, "kind": "op", "data": node.data,
                  "grad": None}
        if node.data is None or node.cause is node:
            record.update(note=node.reason, cause=id_of[id(node.cause)])
        return record
    kind = "op" if node._prev else ("leaf" if node.requires_grad else "const")
    return {"id": id_of[id(node)], "label": node.label, "op": node._op, "kind": kind, "data": node.data,
            "grad": None}


def _numerical_checks(tree, inputs):
    """({variable: {numerical gradient (central differences), |autograd - numerical|, whether they agree}},
    a note saying why they differ where some do), from gradcheck."""
    if not inputs:
        return {}, None
    names = list(inputs)

    def engine_function(*xs):
        root = _graph(tree, _leaves(tree, dict(zip(names, xs))))
        if isinstance(root, _Undefined):
            raise ValueError(root.reason)
        return root

    try:
        check = gradcheck(engine_function, list(inputs.values()))
    except _DOMAIN_ERRORS as error:
        reason = f"the numerical check steps outside the domain: {readable(str(error))}"
        return {name: {"reason": reason} for name in names}, None
    rows = {}
    for name, grad, numerical, difference in zip(names, check["analytic"], check["numeric"], check["abs_diff"]):
        agrees = None if difference is None else difference <= AGREEMENT * max(1.0, abs(grad), abs(numerical))
        rows[name] = {"numerical": numerical, "difference": difference, "agrees": agrees}
    differ = any(row["agrees"] is False for row in rows.values())
    return rows, (_check_note(tree, inputs) if differ else None)


def _check_note(tree, inputs):
    """Why central differences and autograd differ here: a relu at its kink, or the limits of a finite step."""
    leaves = _leaves(tree, {name: Value(value, requires_grad=False) for name, value in inputs.items()})
    kinks = {}
    for node in walk(tree):
        if isinstance(node, Call) and node.func == "relu":
            at = _graph(node.arg, leaves).data  # defined: the whole graph is
            if abs(at) <= KINK:
                kinks.setdefault(to_source(node), (to_source(node.arg), at))
    if not kinks:
        return ("Where a row is marked ✗, central differences (a step of 1e-6 either side) are only an "
                "approximation: they drift from the exact gradient where the function bends sharply within one "
                "step, or where its value is large beside its change.")
    call, (arg, at) = next(iter(kinks.items()))
    return (f"{call} sits at its kink here ({arg} = {number(at)}), where relu's slope jumps from 0 to 1. Central "
            "differences step to either side of it and so average the two one-sided slopes, while autograd uses "
            "relu's slope at 0 itself, which the engine takes to be 0: the two cannot agree at a kink.")


def readable(message):
    """An engine message with its floats printed as the page prints numbers: 'division by zero: 1.0 / 0'
    becomes 'division by zero: 1 / 0', '1e+200' becomes '1e200'."""
    return _FLOAT_IN_TEXT.sub(lambda match: number(float(match.group())), message)


# The shareable state: "playground?e=<percent-encoded expression>&x=1.5&b=-2" in the URL fragment.

def encode_state(expression, values=None):
    """The URL fragment (without '#') that reproduces `expression` at `values`; refuses what playground() refuses."""
    return _link(expression, _inputs(parse(expression), values))


def _link(expression, inputs):
    """The fragment for an expression already parsed and its checked inputs (exact: floats as repr)."""
    parts = ["e=" + quote(expression, safe="")] + [f"{name}={value!r}" for name, value in inputs.items()]
    return STATE_PREFIX + "&".join(parts)


def decode_state(fragment):
    """(expression, {variable: value}) from a fragment, checked as strictly as typed input: anything else
    (an unknown key, a repeated key, a value that is not a plain number) is a ValueError naming it."""
    if not isinstance(fragment, str):
        raise ValueError(f"a playground link must be text, not {type(fragment).__name__}")
    fragment = fragment.removeprefix("#")
    if len(fragment) > MAX_STATE_LENGTH:
        raise ValueError(f"the playground link is {len(fragment)} characters long: at most {MAX_STATE_LENGTH}")
    if not fragment.startswith(STATE_PREFIX):
        raise ValueError(f"not a playground link: it must start with #{STATE_PREFIX}")
    pairs = {}
    for part in fragment[len(STATE_PREFIX):].split("&"):
        key, equals, raw = part.partition("=")
        if not equals:
            raise ValueError(f"the link part '{part[:20]}' is not of the form name=value")
        key = _unescaped(key, "a name")
        if key in pairs:
            raise ValueError(f"the link sets '{key[:20]}' twice")
        pairs[key] = raw
    if "e" not in pairs:
        raise ValueError("the link has no expression (e=...)")
    expression = _unescaped(pairs.pop("e"), "the expression")
    tree = parse(expression)
    used = variables(tree)
    values = {}
    for key, raw in pairs.items():
        if key not in used:
            raise ValueError(f"the link sets '{key[:20]}', which the expression does not use")
        values[key] = _number_in_link(key, _unescaped(raw, f"the value of {key}"))
    return expression, _inputs(tree, values)


def _unescaped(raw, what):
    """A part of a link with its percent escapes decoded (as _link encodes it), or a ValueError naming `what`
    when an escape is broken ('%' without two hex digits) or the bytes are not UTF-8."""
    broken = _BROKEN_ESCAPE.search(raw)
    if broken:
        escape = raw[broken.start():broken.start() + 3]
        raise ValueError(f"{what} in the link has a broken escape '{escape}': a '%' must be followed by two "
                         "hex digits (a '%' itself is written %25)")
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"{what} in the link is not valid percent-encoded UTF-8") from None


def _number_in_link(name, raw):
    """A value from a link: a plain decimal number, read by the expression parser with its limits."""
    try:
        literal = parse(raw)
    except ExprError as error:
        raise ValueError(f"the value of {name} in the link is not a number: {error.message}") from None
    if not isinstance(literal, Num):
        raise ValueError(f"the value of {name} in the link is not a plain number: '{raw[:20]}'")
    return literal.value
