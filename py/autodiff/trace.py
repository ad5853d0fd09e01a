"""trace(root): a graph of Values or Tensors as plain JSON-ready data, with its backward pass replayed.

The format is the contract with the page's views (ARCHITECTURE.md, "Trace format"). Works on
both engines without importing NumPy: arrays become nested lists through their own `.tolist()`.
"""

import math

from autodiff.graph import topo_order
from autodiff.ops import OPS, row, symbol

# Each op's derivative rule as the page shows it (autodiff.ops): op name -> one template per operand.
RULES = {name: op.rule for name, op in OPS.items()}


def rule(op):
    """The derivative rule templates of an op as a list (JSON-ready), one per operand ('**3' gives
    ['∂{out}/∂{0} = 3 * {0}**2']); None if unknown."""
    known = row(op)
    return list(known.rule) if known else None


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
    record = {"id": node_id, "label": node.label, "op": node._op, "symbol": symbol(node._op), "kind": kind,
              "data": data, "grad": grad}
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
    if x.dtype.kind == "f" and x.size and math.isfinite(x.max()) and math.isfinite(x.min()):
        # max and min carry any nan, and any inf shows in one of them: all finite, so skip the walk entry by entry.
        return x.tolist(), True
    return _finite_lists(x.tolist())


def _finite_lists(x):
    """Nested lists from `.tolist()` with inf and nan replaced by None; also reports whether any were."""
    if isinstance(x, list):
        pairs = [_finite_lists(item) for item in x]
        return [value for value, _ in pairs], all(ok for _, ok in pairs)
    return (float(x), True) if math.isfinite(x) else (None, False)
