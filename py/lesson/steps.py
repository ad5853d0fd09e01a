"""Stepped views of a trace: what the graph shows at each forward and backward step, and why.

Every step is derived from the trace alone (its `order` and its `backward` record), so a widget's
steps always follow the engine. A step is a snapshot the graph view draws as given:

    {"phase": "forward" | "backward",
     "active": [node ids highlighted now],
     "edges": [{"source", "target", "slot"} highlighted now; backward ones add "added", the share sent back,
               and "label", that share as the graph writes it beside the edge ("+3", "path 2: 3", "5 via ×")],
     "sums": {id: "5 + 3 = 8"}: a gradient the paths into it have just completed, as their shares added,
     "values": [ids whose value is shown], "grads": {id: gradient shown so far},
     "marked": [parameters whose gradient is known, ready for an update], "text": "what happens"}

During the backward pass a node's gradient is the running sum from the record ("after"), so a node
reached by two paths shows the first path's share before the total; the step that completes it lights
every path into it at once, each edge with its share, and the sum at the node. accumulation(trace) gives
the same for the whole graph, for a view with every gradient shown.
"""

from autodiff.ops import symbol
from lesson.wording import Names, bracketed, entries, number, short


def forward_pass(trace):
    """Forward steps: first the inputs, then one op node at a time in topological order."""
    names = Names(trace)
    inputs = [n["id"] for n in trace["nodes"] if n["kind"] != "op"]
    shown = list(inputs)
    steps = [_snapshot("forward", inputs, [], shown, {}, [], _inputs_text(names, inputs))]
    for node_id in trace["order"]:
        if names.nodes[node_id]["kind"] != "op":
            continue
        shown = shown + [node_id]
        edges = [e for e in trace["edges"] if e["target"] == node_id]
        steps.append(_snapshot("forward", [node_id], edges, shown, {}, [], _forward_text(names, node_id)))
    return steps


def backward_pass(trace, per_path=False, mark_params=False):
    """Backward steps from the record: the seed, then one step per node (or per path with `per_path`)."""
    names = Names(trace)
    shown = list(trace["order"])
    root = trace["output"]
    grads = {root: names.nodes[root]["grad"]}
    seed_text = f"Start at the output {names.name(root)}: {names.grad_symbol(root)} = {number(grads[root])}, the seed."
    steps = [_snapshot("backward", [root], [], shown, grads, _params(names, grads, mark_params), seed_text)]
    paths = _paths(names)
    labels = _path_labels(names, paths)
    received = {}
    for record in trace["backward"]:
        entries = [e for e in record["inputs"] if _takes_gradient(names, e["to"])]
        groups = [[e] for e in entries] if per_path else [entries]
        for group in groups:
            texts, edges, sums = [], [_edge(record["node"], e, labels) for e in group], {}
            for entry in group:
                target = entry["to"]
                grads = {**grads, target: entry["after"]}
                received.setdefault(target, []).append(entry)
                texts.append(_contribution_text(names, record, entry, received[target], paths[target], per_path))
                if len(received[target]) == len(paths[target]) > 1 and entry["local"] is not None:
                    # The last path into a node reached by several: every one of them lit, and their sum.
                    edges += [_edge(via["node"], e, labels) for via, e in paths[target] if e not in group]
                    sums[target] = _sum_text(paths[target])
            texts.extend(_constant_notes(names, record["node"]) if group is groups[-1] else [])
            active = [record["node"]] + [e["to"] for e in group]
            text = _step_heading(names, record, group, received if per_path else None) + " ".join(texts)
            steps.append(_snapshot("backward", active, edges, shown, grads, _params(names, grads, mark_params), text,
                                   sums))
    return steps


def accumulation(trace):
    """Where gradients add up, for a graph shown with every gradient: each node reached by several paths has
    every path's edge labelled with its share ("5 via ×", "path 1: 3") and the sum at the node ("5 + 3 = 8").
    Returns {"edges": [{"source", "target", "slot", "added", "label"}], "sums": {id: text}}."""
    names = Names(trace)
    paths = _paths(names)
    labels = _path_labels(names, paths)
    added_up = {target: into for target, into in paths.items() if len(into) > 1 and into[0][1]["local"] is not None}
    return {"edges": [_edge(via["node"], entry, labels) for into in added_up.values() for via, entry in into],
            "sums": {target: _sum_text(into) for target, into in added_up.items()}}


def gradient_table(trace):
    """One row per node with a gradient, output first: its value, its gradient and the paths that summed to it
    ("text", and the same as "parts" with its formulas marked)."""
    names = Names(trace)
    paths = _paths(names)
    rows = []
    for node_id in reversed(trace["order"]):
        node = names.nodes[node_id]
        if not _takes_gradient(names, node_id):
            continue
        is_output = node_id == trace["output"]
        name = names.defined(node_id) if node["kind"] == "op" else names.name(node_id)
        how = _output_row_how(names) if is_output else _row_how(names, node_id, paths[node_id])
        rows.append({"node": node_id, "name": name, "value": node["data"], "grad": node["grad"], **how})
    return rows


def _snapshot(phase, active, edges, values, grads, marked, text, sums=None):
    """One step as the graph view draws it (see the module docstring)."""
    return {"phase": phase, "active": list(active), "edges": list(edges), "sums": dict(sums or {}),
            "values": list(values), "grads": dict(grads), "marked": list(marked), "text": text}


def _params(names, grads, mark_params):
    """Parameters (leaves that take a gradient) whose gradient is known: the ones an optimizer can update."""
    if not mark_params:
        return []
    return [i for i in grads if names.nodes[i]["kind"] == "leaf"]


def _takes_gradient(names, node_id):
    """False for constants, and for tensors computed from constants alone (their grad is None)."""
    node = names.nodes[node_id]
    return node["kind"] != "const" and node["grad"] is not None


def _paths(names):
    """Every node's paths back from the output, in the order backward took them: {id: [(record, entry)]},
    the record of the node it came through and the entry of what that node sent it (empty for the output)."""
    paths = {node_id: [] for node_id in names.nodes}
    for record in names.trace["backward"]:
        for entry in (e for e in record["inputs"] if _takes_gradient(names, e["to"])):
            paths[entry["to"]].append((record, entry))
    return paths


def _path_labels(names, paths):
    """What each edge of a backward step says beside it, by (node, slot) of the entry: the share it sends
    ("+3", "+(-0.75)"), or, into a node reached by several paths, which path it is: through the op ("5 via
    ×") when the paths go through different ops, else through the node ("via z1"), else by number ("path 2: 3")."""
    labels = {}
    for into in paths.values():
        for via, entry in into:
            if isinstance(entry["added"], float):
                labels[via["node"], entry["slot"]] = "+" + bracketed(short(entry["added"]))
        if len(into) < 2:
            continue
        for way in (lambda node_id: symbol(names.nodes[node_id]["op"]), names.shown):
            words = [way(via["node"]) for via, _ in into]
            if len(set(words)) == len(words):
                for word, (via, entry) in zip(words, into):
                    labels[via["node"], entry["slot"]] = f"{short(entry['added'])} via {word}"
                break
        else:
            for number_, (via, entry) in enumerate(into, start=1):
                labels[via["node"], entry["slot"]] = f"path {number_}: {short(entry['added'])}"
    return labels


def _edge(node_id, entry, labels):
    """The edge along which `node_id` sent `entry`'s share back, with its label where it has one."""
    edge = {"source": entry["to"], "target": node_id, "slot": entry["slot"], "added": entry["added"]}
    label = labels.get((node_id, entry["slot"]))
    return {**edge, "label": label} if label is not None else edge


def _sum_text(into):
    """'5 + 3 = 8', '3 + (-1.5) = 1.5': the shares of the paths into a node, added, as the graph prints numbers."""
    first, *rest = (short(entry["added"]) for _, entry in into)
    return " + ".join([first, *map(bracketed, rest)]) + f" = {short(into[-1][1]['after'])}"


def _inputs_text(names, inputs):
    """'Inputs: x = 2; target = 0.8, a constant; constants 3 and 1': the unlabelled constants are the
    literal numbers of the formulas, highlighted with the inputs, so they are named too."""
    parts, literals = [], []
    for node_id in inputs:
        node = names.nodes[node_id]
        value = number(node["data"])
        if not node["label"]:
            if node["kind"] == "const":
                literals.append(f"a {value} array" if names.is_array(node_id) else value)
            continue
        text = f"{node['label']} ({value})" if names.is_array(node_id) else f"{node['label']} = {value}"
        parts.append(text + (", a constant" if node["kind"] == "const" else ""))
    if literals:
        parts.append(("constants " if len(literals) > 1 else "constant ") + _listed(literals))
    return "Inputs: " + "; ".join(parts) + "." if parts else "Inputs are set."


def _listed(items):
    """'3', '3 and 1', '3, 1 and 2'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _forward_text(names, node_id):
    """'z1 = w * x = 0.5 * 2 = 1' for scalars; arrays are named by shape: 'z1 = W @ x, a 2×1 result'."""
    result = names.nodes[node_id]["data"]
    if names.is_array(node_id):
        return f"{names.defined(node_id)}, a {number(result)} result."
    if any(names.is_array(i) for i in names.inputs[node_id]):
        return f"{names.defined(node_id)} = {number(result)}."
    return f"{names.defined(node_id)} = {names.substituted(node_id)} = {number(result)}."


def _step_heading(names, record, group, received=None):
    """What the step starts from: the node, its upstream gradient and its op's derivative rule.

    With `received` (one path per step), it also says which path this is and which input it enters by.
    """
    node_id = record["node"]
    upstream = f" = {entries(record['upstream'])}"
    rule = names.rule(record, [entry["slot"] for entry in group])
    rule = f"; rule: {rule}" if rule else ""
    source = f"upstream {names.grad_symbol(node_id)}{upstream}{rule}."
    if received is None:
        return f"At {names.defined(node_id)}, {source} "
    entry = group[0]
    path = len(received[entry["to"]])
    return (f"Path {path} to {names.name(entry['to'])}: input {entry['slot'] + 1} of "
            f"{names.defined(node_id)}, {source} ")


def _contribution_text(names, record, entry, received, into, per_path):
    """'∂c/∂a += 3 × 1 = 3.'; into a node reached by several paths, which path it is ('(path 2 of 2 to b: 5 → 8)',
    only the running sum when each path has a step of its own) and, at the last one, the sum of all of them."""
    target = entry["to"]
    symbol_ = names.grad_symbol(target)
    several = len(into) > 1
    if entry["local"] is None:  # a tensor: the share itself, as the nodes print it (a Jacobian is not shown)
        text = f"{symbol_} += {entries(entry['added'])}"
        text += f" (added to what was there: now {entries(entry['after'])})." if len(received) > 1 else "."
    else:
        text = f"{symbol_} += {_product(entry['local'], record['upstream'])} = {number(entry['added'])}"
        running = f"{number(entry['before'])} → {number(entry['after'])}" if len(received) > 1 else ""
        path = "" if per_path or not several else f"path {len(received)} of {len(into)} to {names.name(target)}"
        text += f" ({path}{': ' if path and running else ''}{running})." if path or running else "."
    if len(received) == len(into) > 1 and entry["local"] is not None:
        first, *rest = (number(e["added"]) for e in received)
        shares = " + ".join([first, *map(bracketed, rest)])
        text += f" {names.name(target)} is reached by {len(received)} paths, so they add: {symbol_} = {shares} = {number(entry['after'])}."
    if names.nodes[target]["kind"] == "leaf" and len(received) == len(into):
        text += f" {names.name(target)}'s gradient is complete."
    return text


def _product(local, upstream):
    """'3 × 14', '-3 × (-12)': local derivative times upstream gradient, a negative second factor bracketed."""
    return f"{number(local)} × {bracketed(number(upstream))}"


def _constant_notes(names, node_id):
    """A note for each labelled constant input: it takes no gradient."""
    return [f"{names.name(i)} is a constant, so it gets no gradient."
            for i in names.inputs[node_id]
            if names.nodes[i]["kind"] == "const" and names.nodes[i]["label"]]


class _Formula(str):
    """A piece of a row's text that is a formula: the table keeps it on one line ("c = sum * b")."""


def _row_parts(*pieces):
    """A row's explanation as {"text", "parts"}: the whole sentence, and its pieces with each formula
    marked ({"formula": ...}, the rest {"text": ...}) so the page can wrap between them, never inside one."""
    parts = [{"formula": p} if isinstance(p, _Formula) else {"text": p} for p in pieces if p]
    return {"text": "".join(pieces), "parts": parts}


def _output_row_how(names):
    """The output's row: its gradient is the seed."""
    seed = number(names.nodes[names.output]["grad"])
    return _row_parts("the output: ", _Formula(f"{names.grad_symbol(names.output)} = {seed}"), " is the seed")


def _row_how(names, node_id, paths):
    """How a node's gradient was built: local × upstream for each path, summed when there are several."""
    pieces = [f"{len(paths)} paths: "] if len(paths) > 1 else []
    for index, (via, entry) in enumerate(paths):
        pieces.append(" + " if index else "")
        formula = _Formula(names.defined(via["node"]))
        if entry["local"] is None:
            pieces += ["from ", formula]
        else:
            pieces += [f"{number(entry['added'])} from ", formula, " ",
                       _Formula(f"({_product(entry['local'], via['upstream'])})")]
    if len(paths) > 1:
        pieces.append(_Formula(f" = {number(names.nodes[node_id]['grad'])}"))
    return _row_parts(*pieces)
