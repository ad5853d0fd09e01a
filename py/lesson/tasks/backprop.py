"""Checks of the learner's backward pass (Task 3) and of zero_grad (Task 4), on small graphs.

Each graph is built twice at the same point, on the learner's Value and on the engine's; every input's
gradient after backward() must agree. When it does not, the learner's graph (its `_prev` and `_local`)
is replayed under the typical mistakes (= instead of +=, no topological order, the wrong direction, no
seed, half of the chain rule): a mistake that gives exactly the learner's gradients is named.
"""

from dataclasses import dataclass

from autodiff import Value as EngineValue
from autodiff.gradcheck import central_difference
from lesson.tasks.probes import Mistake, agrees, at, is_number, random_points, shown


@dataclass(frozen=True)
class Graph:
    """A small computation: how messages write it, its inputs, and the function building it on Values."""

    text: str
    variables: tuple
    build: object
    shared: str = ""  # the node used more than once, as messages name it ('' when none is)


def _reused_product(a, b):
    t = a * b
    return t * t + t


GRAPHS = [
    Graph("a * b", ("a", "b"), lambda a, b: a * b),
    Graph("(w*x + b).tanh()", ("w", "x", "b"), lambda w, x, b: (w * x + b).tanh()),
    Graph("(a + b) * b", ("a", "b"), lambda a, b: (a + b) * b, shared="b"),
    Graph("t * t + t, with t = a * b", ("a", "b"), _reused_product, shared="t = a * b"),
    Graph("(3*a + 1).tanh() - 2*a", ("a",), lambda a: (3 * a + 1).tanh() - 2 * a, shared="a"),
    Graph("a.exp() * b**2", ("a", "b"), lambda a, b: a.exp() * b ** 2),
    Graph("a (backward on a leaf)", ("a",), lambda a: a),
]
THREE_USES = Graph("a * a * a", ("a",), lambda a: a * a * a, shared="a")
# zero_grad is checked on the graph with a node used between the inputs and the output.
ZERO_GRAD_GRAPH = GRAPHS[3]

# The typical mistakes a backward pass makes, replayed on the learner's own graph, and what to say.
MISTAKES = {
    "assign": "That is what backward gives when each path's share replaces the one before (=) instead of "
              "adding to it (+=): {shared} is used more than once here, and only its last path counted.",
    "recursive": "That is what backward gives without a topological order, passing a node's gradient on as "
                 "soon as one path reaches it: {shared} is used more than once, so part of its gradient went on twice.",
    "forward": "That is what backward gives when it goes from the inputs to the output: visit the nodes in "
               "reversed order, the output first, so each node's grad is complete before it is passed on.",
    "no-seed": "That is what backward gives when the output's own grad is not set to 1.0 first.",
    "local-only": "That is what backward gives when each input gets only the local derivative: multiply it by "
                  "the node's own grad (the chain rule).",
    "upstream-only": "That is what backward gives when each input gets the node's grad without the local derivative.",
}


def graph_points(rng, graph):
    """The points to try a graph at: the lesson's (a=2, b=3) where it has one, then random ones with a negative input."""
    points = [{"a": 2.0, "b": 3.0}] if graph.text == "(a + b) * b" else []
    for _ in range(2):
        values = random_points(rng, len(graph.variables))
        values[0] = -abs(values[0])
        points.append(dict(zip(graph.variables, values)))
    return points


def check_backward(learner, value_class, rng, graphs=GRAPHS):
    """backward() on every graph at its points gives each input the engine's gradient. Returns the checks made."""
    count = 0
    for graph in graphs:
        for point in graph_points(rng, graph):
            check_graph(learner, value_class, graph, point)
            count += len(point)
    return count


def engine_grads(graph, point):
    """The engine's gradient of the graph's output with respect to each input at `point`."""
    leaves = {name: EngineValue(x, label=name) for name, x in point.items()}
    graph.build(**leaves).backward()
    return {name: leaf.grad for name, leaf in leaves.items()}


def check_graph(learner, value_class, graph, point):
    """One backward() on the learner's graph at `point`: every input's grad is the engine's."""
    want = engine_grads(graph, point)
    where = at(**point)

    def probe():
        leaves = {name: value_class(x) for name, x in point.items()}
        out = graph.build(**leaves)
        _run(learner, out, "backward()", graph, where)
        _expect_grads(value_class, graph, point, leaves, out, want, f"In {graph.text} at {where}, ")

    learner.call(f"{graph.text} at {where}", probe)


def check_zero_grad(learner, value_class, rng):
    """zero_grad() sets every node's grad to 0 and leaves data alone, so backward() after it gives the same
    gradients every time; a node used three times gets all three shares. Returns the checks made."""
    count = check_backward(learner, value_class, rng, [THREE_USES])
    graph = ZERO_GRAD_GRAPH
    for point in graph_points(rng, graph):
        want = engine_grads(graph, point)
        where = at(**point)

        def probe():
            leaves = {name: value_class(x) for name, x in point.items()}
            out = graph.build(**leaves)
            nodes = _nodes(out)
            data = [node.data for node in nodes]
            for round_ in range(1, 3):
                _run(learner, out, "backward()", graph, where)
                _run(learner, out, "zero_grad()", graph, where)
                _expect_cleared(graph, where, leaves, out, nodes, data)
            _run(learner, out, "backward()", graph, where)
            _expect_grads(value_class, graph, point, leaves, out, want,
                          f"In {graph.text} at {where}, after backward(), zero_grad() and backward() again, ",
                          stale=True)

        learner.call(f"{graph.text} at {where}", probe)
        count += len(point) + 2
    return count


def _run(learner, out, method, graph, where):
    """Call out.backward() or out.zero_grad(), a Mistake naming the graph if it raises."""
    learner.call(f"out.{method} for out = {graph.text} at {where}", getattr(out, method.removesuffix("()")))


def _expect_grads(value_class, graph, point, leaves, out, want, prefix, stale=False):
    """Every input's grad agrees with the engine's `want`; else a Mistake saying which, how, and (where one
    of the typical mistakes gives exactly these gradients) which mistake."""
    got = {name: leaf.grad for name, leaf in leaves.items()}
    for name, leaf_grad in got.items():
        if not is_number(leaf_grad):
            raise Mistake(f"{prefix}{name}.grad is {shown(leaf_grad)}; it should be the number {shown(want[name])}")
    wrong = [name for name in got if not agrees(got[name], want[name])]
    if not wrong:
        return
    name = wrong[0]
    message = f"{prefix}{name}.grad came out {shown(got[name])}; it should be {shown(want[name])}."
    diagnosis = _diagnose(out, leaves, got, graph, stale)
    numeric = central_difference(lambda *xs: graph.build(*(value_class(x) for x in xs)).data, list(point.values()))
    details = (f"Our engine: {', '.join(f'{n}.grad = {shown(g)}' for n, g in want.items())}. Central differences "
               f"of your forward pass: {', '.join(f'{n} {shown(g)}' for n, g in zip(point, numeric))}.")
    raise Mistake(f"{message} {diagnosis}".rstrip(), details=details)


def _expect_cleared(graph, where, leaves, out, nodes, data):
    """After zero_grad() every node's grad is 0 and every node's data as it was."""
    names = {id(leaf): name for name, leaf in leaves.items()}
    for node, before in zip(nodes, data):
        which = names.get(id(node)) or ("out" if node is out else "a node between the inputs and out")
        if node.grad != 0:
            raise Mistake(f"In {graph.text} at {where}, after backward() then out.zero_grad(), {_grad_of(which)} is still "
                          f"{shown(node.grad)}: zero_grad must set every node out depends on back to 0 (the inputs, "
                          "the nodes between, and out itself), or the next backward() adds onto a stale gradient.")
        if node.data != before:
            raise Mistake(f"In {graph.text} at {where}, out.zero_grad() changed {_data_of(which)} from {shown(before)} "
                          f"to {shown(node.data)}: it should reset gradients only.")


def _grad_of(which):
    """'a.grad', or 'the grad of a node between the inputs and out'."""
    return f"{which}.grad" if which.isidentifier() else f"the grad of {which}"


def _data_of(which):
    """'a.data', or 'the data of a node between the inputs and out'."""
    return f"{which}.data" if which.isidentifier() else f"the data of {which}"


def _nodes(out):
    """Every node `out` depends on, itself included, each after all of its inputs (the order a depth-first
    visit of `_prev` gives, as the learner's _topo does), each node once however often it is used."""
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(tuple(node._prev)))
    return order


def _edges(nodes):
    """{id(node): [(input, local), ...]} of the learner's graph, read from `_prev` and `_local`."""
    return {id(node): list(zip(node._prev, node._local)) for node in nodes}


def _diagnose(out, leaves, got, graph, stale):
    """The typical mistake that gives exactly the learner's gradients `got`, as a sentence ('' if none does)."""
    nodes = _nodes(out)
    edges = _edges(nodes)
    right = _replay(nodes, edges, out, "right")
    if all(grad == 0 for grad in got.values()) and out.grad == 1:  # the seed was set, and went nowhere
        return ("The output's grad is 1.0, but none of it reached an input: does every input join the order "
                "(visit each child), and does backward go through the order reversed, the output first?")
    replays = {"stale": _stale_replay(nodes, edges, out)} if stale else {}
    replays.update((mistake, _replay(nodes, edges, out, mistake)) for mistake in MISTAKES)
    for mistake, grads in replays.items():
        predicted = {name: grads[id(leaf)] for name, leaf in leaves.items()}
        differs = any(not agrees(predicted[name], right[id(leaf)]) for name, leaf in leaves.items())
        if differs and all(agrees(got[name], predicted[name]) for name in got):
            if mistake == "stale":
                return ("That is what a second backward() gives when the nodes between the inputs and the output "
                        "keep the first pass's gradients: zero_grad must reset them too.")
            return MISTAKES[mistake].format(shared=graph.shared or "a node")
    return ""


def _replay(nodes, edges, out, mistake):
    """{id(node): grad} after one backward pass over the learner's graph, done right or with `mistake`."""
    grads = dict.fromkeys(edges, 0.0)
    grads[id(out)] = 0.0 if mistake == "no-seed" else 1.0
    if mistake == "recursive":
        _push(out, edges, grads)
        return grads
    for node in (nodes if mistake == "forward" else reversed(nodes)):
        upstream = grads[id(node)]
        for child, local in edges[id(node)]:
            share = {"local-only": local, "upstream-only": upstream}.get(mistake, local * upstream)
            grads[id(child)] = share if mistake == "assign" else grads[id(child)] + share
    return grads


def _push(node, edges, grads):
    """Backward by plain recursion, without a topological order: each node passes on what it holds so far."""
    for child, local in edges[id(node)]:
        grads[id(child)] += local * grads[id(node)]
        _push(child, edges, grads)


def _stale_replay(nodes, edges, out):
    """{id(node): grad} after a second backward pass in which only the leaves (and the output) were zeroed:
    the nodes between keep the first pass's gradients and add the second's onto them."""
    first = _replay(nodes, edges, out, "right")
    grads = {key: (first[key] if edges[key] and node is not out else 0.0) for key, node in zip(edges, nodes)}
    grads[id(out)] = 1.0
    for node in reversed(nodes):
        for child, local in edges[id(node)]:
            grads[id(child)] += local * grads[id(node)]
    return grads
