"""The engine's graph of a parsed expression (lesson.expr), keeping and explaining what the engine refuses.

`build_graph(tree, leaves)` builds the graph on `Value`. An operation the engine refuses at these values
becomes an `Undefined` node, and so does everything computed from it: without a value where a value failed,
with the engine's value (under no_grad) where only a derivative did; each knows the failing node (`cause`),
why, and that node as the learner wrote it. `undefined_trace(root)` traces such a graph as trace() would.
"""

import re

from autodiff import Value, no_grad
from autodiff.graph import topo_order
from autodiff.ops import symbol
from autodiff.trace import node_ids
from lesson.expr import ARITHMETIC, CONSTANTS, FUNCTIONS, BinOp, Constant, Neg, Num, Pow, Var, children, to_source, walk
from lesson.wording import number

# What the engine raises for a value outside an operation's domain (see autodiff.value).
DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
_FUNCTIONS = {name: getattr(Value, name) for name in FUNCTIONS}  # the methods the parser's names call
# A float as Python prints it in the engine's messages ('1.0', '-2.5', '1e+200'), not part of a name.
_FLOAT_IN_TEXT = re.compile(r"(?<![\w.])-?(?:\d+\.\d*(?:e[+-]?\d+)?|\d+e[+-]?\d+)(?![\w.])")


class Undefined:
    """A node the engine refused at these values, or one computed from it: its place in the graph, its value
    where that is still known (only a derivative failed), and the failing node (`cause`) and why."""

    __slots__ = ("label", "_op", "_prev", "data", "reason", "cause", "source", "id")

    def __init__(self, op, prev, reason, cause=None, data=None, source=""):
        self.label, self._op, self._prev = "", op, tuple(prev)
        self.data, self.reason, self.source = data, reason, source
        self.cause = self if cause is None else cause
        self.id = None  # set by undefined_trace


def shared_leaves(tree, variable_leaves):
    """The graph's shared leaves by name: the variables' Values and one constant leaf per named constant used."""
    named = {node.name for node in walk(tree) if isinstance(node, Constant)}
    constants = {name: Value(CONSTANTS[name], requires_grad=False, label=name) for name in sorted(named)}
    return {**variable_leaves, **constants}


def build_graph(node, leaves):
    """The engine graph of `node` (variables and named constants are the shared `leaves`, literals constant
    leaves); an operation the engine refuses becomes an Undefined node, and so does everything computed from
    it, keeping the values that are still defined when only a derivative failed."""
    if isinstance(node, (Var, Constant)):
        return leaves[node.name]
    if isinstance(node, Num):
        return Value(node.value, requires_grad=False)
    inputs = [build_graph(child, leaves) for child in children(node)]
    failures = [i for i in inputs if isinstance(i, Undefined)]
    # A value that failed outweighs a derivative that did: it is why this node has no value either.
    failed = min(failures, key=lambda i: i.data is not None, default=None)
    if failed is not None and failed.data is None:
        return Undefined(_op(node), inputs, failed.reason, failed.cause)
    if failed is None:
        try:
            return _apply(node, inputs)
        except DOMAIN_ERRORS as error:
            refused = error
    # Past a failed derivative, or where this node's own failed, there is no backward pass: the engine computes
    # the value alone (under no_grad no derivative is computed, so only a value can fail).
    try:
        with no_grad():
            data = _apply(node, [Value(i.data) if isinstance(i, Undefined) else i for i in inputs]).data
    except DOMAIN_ERRORS as error:
        return Undefined(_op(node), inputs, readable(str(error)), source=to_source(node))
    if failed is not None:
        return Undefined(_op(node), inputs, failed.reason, failed.cause, data)
    return Undefined(_op(node), inputs, _derivative_reason(node, inputs, refused), data=data, source=to_source(node))


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


def undefined_trace(root):
    """A trace (ARCHITECTURE.md format) of a graph with undefined nodes: the same ids, order and edges the
    engine's trace() gives where every node is defined, values where known, no gradients, no backward."""
    order = topo_order(root)
    ids = node_ids(order)
    id_of = {id(node): ids[i] for i, node in enumerate(order)}
    for node in order:
        if isinstance(node, Undefined):
            node.id = id_of[id(node)]
    edges = [{"source": id_of[id(parent)], "target": id_of[id(node)], "slot": slot}
             for node in order for slot, parent in enumerate(node._prev)]
    return {"output": id_of[id(root)], "nodes": [_record(node, id_of) for node in order],
            "edges": edges, "order": ids, "backward": []}


def _record(node, id_of):
    """One node of an undefined trace: as trace() records it, without a gradient. A node without a value, and a
    node whose derivative failed, says why in `note` (where trace() puts the reason for a number it cannot
    show) and names the node that `cause`d it; one computed from a failed derivative only keeps its value."""
    if isinstance(node, Undefined):
        record = {"id": id_of[id(node)], "label": node.label, "op": node._op, "symbol": symbol(node._op), "kind": "op",
                  "data": node.data, "grad": None}
        if node.data is None or node.cause is node:
            record.update(note=node.reason, cause=id_of[id(node.cause)])
        return record
    kind = "op" if node._prev else ("leaf" if node.requires_grad else "const")
    return {"id": id_of[id(node)], "label": node.label, "op": node._op, "symbol": symbol(node._op), "kind": kind,
            "data": node.data, "grad": None}


def readable(message):
    """An engine message with its floats printed as the page prints numbers: 'division by zero: 1.0 / 0'
    becomes 'division by zero: 1 / 0', '1e+200' becomes '1e200'."""
    return _FLOAT_IN_TEXT.sub(lambda match: number(float(match.group())), message)
