"""How Value's operations become nodes, and the frame of Value.backward(): kept out of value.py,
which shows only each operation's math.

Every operation hands its result, inputs, local derivatives and name to `op_node`, which
  - refuses a result that overflowed, and, for the operations that ask (check=True), a local
    derivative that did, where a graph is recorded (domain.py words both errors);
  - returns a constant (no inputs, no gradient) when no input needs a gradient, or inside
    no_grad(): there is nothing to differentiate, so nothing is recorded, as in PyTorch;
  - counts the levels below the new node down to the nearest loop-freed one (`_reach`), and
    makes the node that would reach FREE_DEPTH loop-freed instead (graph.py).
Nodes are made with object.__new__ and their fields set directly: operations are the engine's hot
path, and __init__ checks arguments that an operation has checked already.
"""

from autodiff import grad_mode
from autodiff.checks import scalar_seed
from autodiff.domain import derivative_error, result_overflow
from autodiff.graph import FREE_DEPTH, BackwardPass, LoopFreed


def node_makers(Value):
    """(op_node, constant) for the class Value, which value.py binds once it is defined."""
    new = object.__new__

    class LoopFreedValue(LoopFreed, Value):
        """A Value that, when it dies, frees the inputs only it holds by a loop instead of recursion."""

        __slots__ = ()

    def op_node(data, prev, local, op, check=False):
        """The node for `data` = op(*prev), with d(data)/d(each of prev) in `local`; a constant
        when no input needs a gradient or inside no_grad(). `check`: the local derivatives can be
        infinite or too large where the value is not (1 / x at x = 1e-300), so refuse that."""
        if data - data:  # 0.0 for every finite float, nan for inf and nan
            raise result_overflow(op, prev, data)
        first = prev[0]  # every operation has one input or two
        if len(prev) == 2:
            second = prev[1]
            if not ((first.requires_grad or second.requires_grad) and grad_mode.enabled):
                return constant(data)
            reach = first._reach if first._reach >= second._reach else second._reach
        else:
            if not (first.requires_grad and grad_mode.enabled):
                return constant(data)
            reach = first._reach
        if check and not all(d - d == 0.0 for d in local):  # inf - inf and nan - nan are nan
            raise derivative_error(op, prev)
        if reach < FREE_DEPTH:
            out = new(Value)
            out._reach = reach + 1
        else:
            out = new(LoopFreedValue)
            out._reach = 0
        out.data = data
        out.grad = 0.0
        out.label = ""
        out.requires_grad = True
        out._op = op
        out._prev = prev
        out._local = local
        return out

    def constant(data):
        """A constant leaf holding `data`, a float already checked: no inputs, no gradient."""
        out = new(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out.requires_grad = False
        out._op = ""
        out._prev = ()
        out._local = ()
        out._reach = 0
        return out

    return op_node, constant


class ScalarPass(BackwardPass):
    """The frame of Value.backward() (graph.BackwardPass): it checks the root and the seed, clears
    the intermediates' grads to 0.0 and adds the seed to the root's; afterwards it sets constants
    back to 0.0 and refuses a gradient that overflowed, putting every grad back."""

    __slots__ = ()

    def __init__(self, root, gradient, order):
        if not root.requires_grad:
            raise RuntimeError("backward() called on a constant (requires_grad=False): it has no gradient")
        seed = scalar_seed(gradient)
        super().__init__(order, 0.0)
        root.grad += seed

    def __exit__(self, error_type, error, traceback):
        if error_type is None:
            try:
                self._check_and_clean()
            except BaseException:
                self.restore()
                raise
        return super().__exit__(error_type, error, traceback)

    def _check_and_clean(self):
        """Constants back to 0.0; refuse a gradient that overflowed, naming the first in topological order."""
        for node in self.order:
            if not node.requires_grad:
                node.grad = 0.0  # added to like any input, which is cheaper than testing each edge
            elif node.grad - node.grad:  # 0.0 for a finite float, nan for inf and nan
                raise OverflowError(f"the gradient of {node!r} overflowed during backward()")
