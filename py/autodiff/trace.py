"""trace(root): a graph of Values or Tensors as plain JSON-ready data, with its backward pass replayed.

The format is the contract with the page's views (ARCHITECTURE.md, "Trace format"). Works on
both engines without importing NumPy: arrays become nested lists through their own `.tolist()`.
"""

import math

from autodiff.graph import topo_order

# Each op's derivative rule as the page shows it: one template per operand (in `_prev` order), text
# only, no numbers from the graph. The page fills the placeholders with the nodes' own names:
# {out} the node, {0} and {1} its operands, {root} the output backward started from.
RULES = {
    "+": ("∂{out}/∂{0} = 1", "∂{out}/∂{1} = 1"),
    "-": ("∂{out}/∂{0} = 1", "∂{out}/∂{1} = -1"),
    "*": ("∂{out}/∂{0} = {1}", "∂{out}/∂{1} = {0}"),
    "/": ("∂{out}/∂{0} = 1/{1}", "∂{out}/∂{1} = -{0}/{1}**2"),
    "neg": ("∂{out}/∂{0} = -1",),
    "tanh": ("∂{out}/∂{0} = 1 - {out}**2",),
    "relu": ("∂{out}/∂{0} = 1 if {0} > 0 else 0",),
    "exp": ("∂{out}/∂{0} = {out}",),
    "log": ("∂{out}/∂{0} = 1/{0}",),
    "sigmoid": ("∂{out}/∂{0} = {out} * (1 - {out})",),
    # Tensors: a Jacobian is not shown, so these give the gradient that flows back, from {root}'s.
    "@": ("∂{root}/∂{0} = ∂{root}/∂{out} @ {1}.T", "∂{root}/∂{1} = {0}.T @ ∂{root}/∂{out}"),
    "sum": ("∂{out}/∂{0} = 1 for every element: ∂{root}/∂{out} is copied to each",),
    "mean": ("∂{out}/∂{0} = 1/n for each of the n elements: ∂{root}/∂{out} is shared among them",),
    "T": ("∂{root}/∂{0} = (∂{root}/∂{out}).T",),
    "reshape": ("∂{root}/∂{0} = ∂{root}/∂{out} reshaped to the shape of {0}",),
    "softmax": ("∂{root}/∂{0} = {out} * (g - sum(g * {out})), with g = ∂{root}/∂{out}",),
    "log_softmax": ("∂{root}/∂{0} = g - softmax({0}) * sum(g), with g = ∂{root}/∂{out}",),
    "add_": ("∂{out}/∂{0} = 1 ({0} += {1} in place)", "∂{out}/∂{1} = 1"),
    "sub_": ("∂{out}/∂{0} = 1 ({0} -= {1} in place)", "∂{out}/∂{1} = -1"),
    "mul_": ("∂{out}/∂{0} = {1} ({0} *= {1} in place)", "∂{out}/∂{1} = {0} as it was before"),
    "zero_": ("∂{out}/∂{0} = 0 ({0} set to 0 in place)",),
}


def rule(op):
    """The derivative rule templates of an op as a list (JSON-ready), one per operand ('**3' gives
    ['∂{out}/∂{0} = 3 * {0}**2']); None if unknown."""
    if op.startswith("**"):
        return [_power_rule(op[2:])]
    return list(RULES[op]) if op in RULES else None


def _power_rule(n):
    """d(x**n)/dx = n * x**(n-1), written for this n: '2 * {0}' for n = 2, '1' for n = 1, '0' for n = 0."""
    exponent = float(n)
    if exponent == 0:
        return "∂{out}/∂{0} = 0"
    lower = exponent - 1
    if lower == 0:
        return "∂{out}/∂{0} = 1"
    power = "{0}" if lower == 1 else "{0}**" + (f"({_text(lower)})" if lower < 0 else _text(lower))
    return "∂{out}/∂{0} = " + f"{n} * {power}"


def _text(x):
    """A whole float without its '.0' (3.0 -> '3'), any other as Python prints it."""
    return str(int(x)) if x.is_integer() else repr(x)


def trace(root):
    """The graph under `root` (nodes, edges, topological order) and a step-by-step record of its backward pass."""
    order = topo_order(root)
    ids = node_ids(order)
    id_of = {id(node): ids[i] for i, node in enumerate(order)}
    edges = [{"source": id_of[id(parent)], "target": id_of[id(node)], "slot": slot}
             for node in order for slot, parent in enumerate(node._prev)]
    return {
        "output": id_of[id(root)],
        "nodes": [_node_record(node, ids[i]) for i, node in enumerate(order)],
        "edges": edges,
        "order": ids,
        "backward": _replay_backward(root, order, id_of),
    }


def node_ids(order):
    """Each node's id: its label when non-empty and unique in the graph, else "n<i>" (i = its index in order)."""
    counts = {}
    for node in order:
        counts[node.label] = counts.get(node.label, 0) + 1
    ids = [node.label if node.label and counts[node.label] == 1 else f"n{i}" for i, node in enumerate(order)]
    # A label such as "n3" may clash with the id made up for node 3; the label then gives way, repeatedly.
    while True:
        made_up = {node_id for i, node_id in enumerate(ids) if node_id == f"n{i}"}
        clashes = [i for i, node_id in enumerate(ids) if node_id in made_up and node_id != f"n{i}"]
        if not clashes:
            return ids
        for i in clashes:
            ids[i] = f"n{i}"


def _kind(node):
    """'op' for a computed node, 'leaf' for an input that gets a gradient, 'const' otherwise."""
    if node._prev:
        return "op"
    return "leaf" if node.requires_grad else "const"


def _node_record(node, node_id):
    """One node as plain data; tensors add their shape, non-finite numbers become None with a note."""
    kind = _kind(node)
    data, data_ok = plain(node.data)
    grad, grad_ok = plain(node.grad) if node.requires_grad else (None, True)
    record = {"id": node_id, "label": node.label, "op": node._op, "kind": kind, "data": data, "grad": grad}
    if not isinstance(node.data, float):
        record["shape"] = list(node.data.shape)
    problems = [name for name, ok in (("data", data_ok), ("grad", grad_ok)) if not ok]
    if problems:
        record["note"] = f"{' and '.join(problems)} not finite (inf or nan), shown as null"
    return record


def _replay_backward(root, order, id_of):
    """Re-run backward with the nodes' own `_chain`, recording each step: upstream, rule, and per input
    the local derivative, what was added, and the input's grad before and after (this pass only)."""
    scalar = isinstance(root.data, float)
    seed = _seed(root, scalar)
    if seed is None:
        return []
    start = 0.0 if scalar else None  # a Value's grad starts at 0.0; a Tensor's at None, as in PyTorch
    grads = {id(root): seed}
    steps = []
    for node in reversed(order):
        upstream = grads.get(id(node))
        if not node._prev or upstream is None:
            continue
        locals_ = getattr(node, "_local", None)
        inputs = []
        for slot, (parent, added) in enumerate(zip(node._prev, node._chain(upstream))):
            entry = {"to": id_of[id(parent)], "slot": slot,
                     "local": plain(locals_[slot])[0] if locals_ is not None else None}
            if parent.requires_grad and added is not None:
                before = grads.get(id(parent), start)
                after = added if before is None else before + added
                grads[id(parent)] = after
                entry.update(added=plain(added)[0], before=plain(before)[0], after=plain(after)[0])
            else:
                entry.update(added=None, before=None, after=None)
            inputs.append(entry)
        steps.append({"node": id_of[id(node)], "op": node._op, "upstream": plain(upstream)[0],
                      "rule": rule(node._op), "inputs": inputs})
    return steps


def _seed(root, scalar):
    """The root's gradient that starts backward: a Value's own grad once backward(gradient) set it
    (1.0 before); a Tensor's own grad once set, or ones when it holds one element; None when a
    non-scalar Tensor has had no backward yet."""
    if scalar:
        return root.grad if root._prev and root.grad else 1.0  # a leaf's grad accumulates: not a seed
    if root.grad is not None:
        return root.grad
    if root.data.size == 1:
        return root.data ** 0  # ones of the root's shape and dtype (x**0 is 1 even for inf and nan)
    return None


def plain(x):
    """(x as floats or nested lists of floats with non-finite entries as None, whether all were finite)."""
    if x is None:
        return None, True
    if isinstance(x, (int, float)):
        return (float(x), True) if math.isfinite(x) else (None, False)
    return _finite_lists(x.tolist())


def _finite_lists(x):
    """Nested lists from `.tolist()` with inf and nan replaced by None; also reports whether any were."""
    if isinstance(x, list):
        pairs = [_finite_lists(item) for item in x]
        return [value for value, _ in pairs], all(ok for _, ok in pairs)
    return (float(x), True) if math.isfinite(x) else (None, False)
