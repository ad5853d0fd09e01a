"""The playground: any expression the learner types becomes the engine's graph, with every failure explained.

`playground(expression, values)` never raises. Bad input gives {"error": {"message", "start", "end"}};
a value outside an operation's domain (log(-2), 1/0, exp(1000)) gives a graph whose failing node and
everything computed from it are undefined, each saying why, while the rest keeps its values; where only
a derivative fails ((y-1)**0.5 at y = 1) every value is shown and the gradients are not.
`encode_state` / `decode_state` carry the expression and values in the page's URL fragment.
The graph itself is built by lesson.expr_graph, its gradients checked by lesson.numeric_check.
"""

import re
from urllib.parse import quote, unquote

from autodiff import Value
from autodiff.graph import topo_order
from autodiff.trace import trace
from lesson.checks import finite_number
from lesson.expr import MAX_LITERAL, ExprError, Num, Var, parse, to_source, variables, walk
from lesson.expr_graph import Undefined, build_graph, shared_leaves, undefined_trace
from lesson.numeric_check import numerical_checks
from lesson.steps import accumulation, backward_pass, forward_pass

DEFAULT_VALUE = 1.0       # a variable the page has no value for yet
# What the playground shows first: the lesson's neuron at the compute-graph example's numbers.
START_EXPRESSION = "tanh(w*x + b)"
START_VALUES = {"w": 0.5, "x": 2.0, "b": 0.1}
# The output node's name: the first of these that no variable has (there are more than MAX_VARIABLES).
OUTPUT_NAMES = ("f", "g", "h", "out", "f1", "f2", "f3", "f4", "f5", "f6", "f7")
# The operations between get z1, z2, ... (as the lesson names w*x and z1 + b), or the first of these letters
# whose numbered names no variable takes (there are more of them than MAX_VARIABLES).
STEP_PREFIXES = "zuvpqrstmkj"
STATE_PREFIX = "playground?"
MAX_STATE_LENGTH = 4000   # room for a 500-character expression percent-encoded, and its values
# A '%' in a link that does not start an escape of two hex digits.
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def playground(expression, values=None, ranges=None):
    """The graph of `expression` at `values` (missing ones DEFAULT_VALUE): trace, steps, per variable its value,
    gradient, numerical gradient and their difference, and the `link` (URL fragment) that reproduces it with
    the sliders' `ranges` ({variable: [min, max]}, the ones the learner set); or {"error": ...} for input that
    is refused."""
    try:
        tree = parse(expression)
        inputs = _inputs(tree, values)
        bounds = _ranges(tree, ranges)
    except ExprError as error:
        return {"error": error.as_dict()}
    try:
        return {**_evaluated(tree, inputs), "link": _link(expression, inputs, bounds)}
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


def _ranges(tree, ranges):
    """{variable: (min, max)} of the variables `tree` uses, each bound a number a variable can take and
    min < max; a range for a variable the expression does not use is dropped, as its slider is."""
    if ranges is None:
        ranges = {}
    if not isinstance(ranges, dict):
        raise ExprError(f"ranges must map variable names to [min, max], not {type(ranges).__name__}", 0, 0)
    bounds = {}
    for name in (name for name in variables(tree) if name in ranges):
        try:
            bounds[name] = _range(name, ranges[name])
        except ValueError as error:
            raise ExprError(str(error), *_first_use(tree, name)) from None
    return bounds


def _range(name, pair):
    """(min, max) for variable `name`'s slider from [min, max], or a ValueError saying what is wrong."""
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise ValueError(f"the range of {name} must be two numbers, min and max")
    low, high = (finite_number(f"{name} {which}", bound, low=-MAX_LITERAL, high=MAX_LITERAL) + 0.0
                 for which, bound in zip(("min", "max"), pair))
    if not low < high:
        raise ValueError(f"{name} min must be less than {name} max, got {low!r} and {high!r}")
    return low, high


def _first_use(tree, name):
    """The span of the first occurrence of variable `name` in `tree` (where the alert points)."""
    return next(node.span for node in walk(tree) if isinstance(node, Var) and node.name == name)


def _evaluated(tree, inputs):
    """Build, differentiate and trace the graph of `tree` at `inputs`, and check its gradients numerically."""
    leaves = shared_leaves(tree, {name: Value(value, label=name) for name, value in inputs.items()})
    root = build_graph(tree, leaves)
    if not root.label:
        # Named, so the graph, the caption and the step texts say f and ∂f/∂x, never a made-up id.
        root.label = next(name for name in OUTPUT_NAMES if name not in inputs)
    _name_steps(root, inputs)
    if isinstance(root, Undefined):
        graph = undefined_trace(root)
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
        for node in graph["nodes"]:
            node["grad"] = None  # the failed backward() left every grad as it was before it: none to show
        return _result(tree, inputs, graph, [], undefined, ({}, None))  # no gradients to check
    steps = backward_pass(graph) if root.requires_grad else []
    grads = {name: leaves[name].grad for name in inputs}  # backward's: the check need not run it again
    return _result(tree, inputs, graph, steps, None, numerical_checks(tree, inputs, grads))


def _name_steps(root, inputs):
    """Name every unnamed operation z1, z2, ... in the order it is computed, so the graph shows the name the
    step texts use ('∂f/∂z2', not '∂f/∂((w * x) + b)')."""
    prefix = next(p for p in STEP_PREFIXES if not any(re.fullmatch(rf"{p}\d+", name) for name in inputs))
    unnamed = [node for node in topo_order(root) if node._prev and not node.label]
    for number_, node in enumerate(unnamed, start=1):
        node.label = f"{prefix}{number_}"


def _undefined(root):
    """What the page says about an undefined graph: the failing node's id, whether its value or only its
    gradient failed, the reason, and a sentence naming the node as the learner wrote it."""
    cause, reason = root.cause, root.reason
    named = f"{cause.label} = {cause.source}"  # the graph's name for it, then what the learner wrote
    if root.data is None:
        spread = "" if cause is root else ", and so is everything computed from it"
        message = f"{named} is undefined here: {reason}{spread}."
    else:
        message = f"{named}: {reason}, so there are no gradients here (the values are shown)."
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
            "backward": steps, "paths": accumulation(graph), "variables": rows, "undefined": undefined,
            "check_note": check_note}


# The shareable state: "playground?e=<percent-encoded expression>&x=1.5&b=-2&b.range=-10,10" in the URL
# fragment (a range only for a slider whose bounds the learner set).
RANGE_SUFFIX = ".range"


def encode_state(expression, values=None, ranges=None):
    """The URL fragment (without '#') that reproduces `expression` at `values` with the sliders' `ranges`;
    refuses what playground() refuses."""
    tree = parse(expression)
    return _link(expression, _inputs(tree, values), _ranges(tree, ranges))


def _link(expression, inputs, ranges):
    """The fragment for an expression already parsed, its checked inputs and ranges (exact: floats as repr)."""
    parts = ["e=" + quote(expression, safe="")] + [f"{name}={value!r}" for name, value in inputs.items()]
    parts += [f"{name}{RANGE_SUFFIX}={low!r},{high!r}" for name, (low, high) in ranges.items()]
    return STATE_PREFIX + "&".join(parts)


def decode_state(fragment):
    """(expression, {variable: value}, {variable: [min, max]}) from a fragment, checked as strictly as typed
    input: anything else (an unknown key, a repeated key, a value or bound that is not a plain number, a
    range whose min is not below its max) is a ValueError naming it."""
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
    values, ranges = {}, {}
    for key, raw in pairs.items():
        name = key.removesuffix(RANGE_SUFFIX)
        if name not in used:
            raise ValueError(f"the link sets '{key[:20]}', which the expression does not use")
        if name == key:
            values[name] = _number_in_link(name, _unescaped(raw, f"the value of {name}"))
            continue
        bounds = _unescaped(raw, f"the range of {name}").split(",")
        if len(bounds) != 2:
            raise ValueError(f"the range of {name} in the link must be two numbers, min,max")
        ranges[name] = [_number_in_link(f"{name} {which}", bound) for which, bound in zip(("min", "max"), bounds)]
    inputs = _inputs(tree, values)
    try:
        bounds = _ranges(tree, ranges)
    except ExprError as error:
        raise ValueError(f"the link's range: {error.message}") from None
    return expression, inputs, {name: list(pair) for name, pair in bounds.items()}


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
