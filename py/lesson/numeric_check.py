"""The playground's numerical check: central differences beside autograd for each variable, whether the two
agree, and, where they do not, why (a relu at its kink, or the limits of a finite step)."""

from autodiff import Value
from autodiff.gradcheck import numerical_grad
from autodiff.trace import plain
from lesson.expr import Call, to_source, walk
from lesson.expr_graph import DOMAIN_ERRORS, Undefined, build_graph, readable, shared_leaves
from lesson.wording import number

# Autograd and central differences agree when they differ by at most this much, relative to the larger
# of the two (absolute below 1): the check's own error is far smaller for smooth functions.
AGREEMENT = 1e-6
KINK = 1e-6  # the check's step: a relu input this close to 0 lies within x ± step of its kink


def numerical_checks(tree, inputs, grads):
    """({variable: {numerical gradient (central differences), |autograd - numerical|, whether they agree}},
    a note saying why they differ where some do), autograd's being `grads` (by variable: the graph's own)."""
    if not inputs:
        return {}, None
    names = list(inputs)
    constants = shared_leaves(tree, {})  # constant leaves: the same ones serve every evaluation

    def engine_function(*xs):
        root = build_graph(tree, {**dict(zip(names, xs)), **constants})
        if isinstance(root, Undefined):
            raise ValueError(root.reason)
        return root

    try:
        estimates = numerical_grad(engine_function, list(inputs.values()))
    except DOMAIN_ERRORS as error:
        reason = f"the numerical check steps outside the domain: {readable(str(error))}"
        return {name: {"reason": reason} for name in names}, None
    rows = {}
    for name, estimate in zip(names, estimates):
        grad = grads[name]
        # An estimate or difference too large for a float is None, as a non-finite number is in the trace.
        numerical, difference = plain(estimate)[0], plain(abs(grad - estimate))[0]
        agrees = None if difference is None else difference <= AGREEMENT * max(1.0, abs(grad), abs(numerical))
        rows[name] = {"numerical": numerical, "difference": difference, "agrees": agrees}
    differ = any(row["agrees"] is False for row in rows.values())
    return rows, (_check_note(tree, inputs) if differ else None)


def _check_note(tree, inputs):
    """Why central differences and autograd differ here: a relu at its kink, or the limits of a finite step."""
    leaves = shared_leaves(tree, {name: Value(value, requires_grad=False) for name, value in inputs.items()})
    kinks = {}
    for node in walk(tree):
        if isinstance(node, Call) and node.func == "relu":
            at = build_graph(node.arg, leaves).data  # defined: the whole graph is
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
