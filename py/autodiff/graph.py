"""What both engines share about graphs: the order backward visits, the frame of a backward pass,
and freeing graphs too deep for C recursion (Node, LoopFreed).

Nodes are told apart by identity (neither engine defines `==` on them), so a set holds them directly.
"""

from sys import getrefcount


def topo_order(root):
    """Return every node reachable from `root`, each after all of its inputs.

    Iterative depth-first post-order, so a chain of any length never hits
    Python's recursion limit. Inputs are visited in operand order (`_prev` is
    a tuple), so the same expression always gives the same order, which the
    page's stepper shows.
    """
    order, visited = [], {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                if parent._prev:  # go deeper: its inputs come first
                    stack.append((parent, iter(parent._prev)))
                    break
                order.append(parent)  # a leaf has no inputs to wait for
        else:  # every input of node is in order: node can follow them
            stack.pop()
            order.append(node)
    return order


class BackwardPass:
    """The frame of one backward pass over `order`, both engines: `with BackwardPass(order, cleared):`.

    First every non-leaf node's grad becomes `cleared` (0.0 or None): it will hold this pass
    only. If the pass raises (an overflow, a stale saved tensor, a cell stopped midway), every
    node's grad is put back as it was before the pass, and the error goes on. An engine that
    checks the finished gradients does so in its own __exit__, calling restore() to refuse them.
    """

    __slots__ = ("order", "saved")

    def __init__(self, order, cleared):
        self.order = order
        self.saved = [node.grad for node in order]
        for node in order:
            if node._prev:
                node.grad = cleared

    def __enter__(self):
        return self

    def __exit__(self, error_type, error, traceback):
        if error_type is not None:
            self.restore()
        return False

    def restore(self):
        """Every node's grad as it was before the pass."""
        for node, grad in zip(self.order, self.saved):
            node.grad = grad


# Freeing a graph recurses in C, one level per node along a path. Under Pyodide, CPython's guard
# against deep recursion cannot see the browser's stack, and freeing a chain of about 3,000 nodes
# kills the interpreter. So each node counts the levels below it down to the nearest "loop-freed"
# node (`_reach`); the node that would reach FREE_DEPTH becomes one instead, and when it dies it
# frees what it alone holds with a loop. Freeing then never recurses deeper than FREE_DEPTH, and
# ordinary graphs, shallower than that, pay nothing but the count. (256 keeps every count a
# cached small int.) Each engine counts in its own op-making code and has its own loop-freed
# class, made with LoopFreed.
FREE_DEPTH = 256


class Node:
    """Base of Value and Tensor: the count freeing needs (`_reach`), kept out of their __init__."""

    __slots__ = ("_reach",)

    def __new__(cls, *args, **kwargs):
        node = super().__new__(cls)
        node._reach = 0  # a new node holds no inputs yet
        return node


class LoopFreed:
    """Mixed into a node class: such a node, when it dies, frees the inputs only it holds by a loop, not recursion."""

    __slots__ = ()

    def __del__(self):
        if self._prev:
            _release(self)


def _release(node):
    """Take out, round by round, the inputs of every node that only the dying graph holds."""
    pending = [node._prev]
    node._prev = ()
    while pending:
        inputs = pending.pop()
        for parent, extra in zip(inputs, _extra_references(inputs)):
            if extra == _SOLE_OWNER and parent._prev:
                pending.append(parent._prev)
                parent._prev = ()
        # Dropping `inputs` here frees the nodes just emptied, each without recursion.


def _extra_references(inputs):
    """Each input's reference count beyond the references `inputs` itself holds, as seen from here."""
    return [getrefcount(parent) - inputs.count(parent) for parent in inputs]


# What _extra_references shows for a node that nothing but the tuple holds: it differs between
# Python versions (3.14 borrows references that 3.11 counts), so it is measured, not assumed.
_SOLE_OWNER = _extra_references((object(),))[0]
