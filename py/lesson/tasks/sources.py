"""The code of the build-your-own-Value track: each task's starter (with blanks) and solution.

A task's starter is the solution of the tasks before it with the new part left blank, so the class
grows from task to task. Each part is written once, solved; its blank form replaces the marked
expressions with BLANK. The checks (lesson.tasks.checks) run the learner's version of this code.
"""

BLANK = "___"

# Each part: (solved code, blanked code). Written as a list of (text, answer) pieces: an answer is
# shown in the solution and replaced by BLANK in the starter.

_HEADER = [("""import math


class Value:
    \"\"\"A number that remembers how it was computed.\"\"\"

    def __init__(self, data, _prev=(), _local=()):
        self.data = float(data)
        self.grad = 0.0
        self._prev = _prev    # the inputs this value was computed from
        self._local = _local  # d(this value)/d(input), one per input, in order

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
""", None)]

_ADD_MUL = [
    ("""
    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # the sum, with d(a + b)/da and d(a + b)/db
        return Value(self.data + other.data, (self, other), (""", None),
    ("1.0", True), (", ", None), ("1.0", True), ("""))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # the product, with d(a * b)/da and d(a * b)/db
        return Value(""", None),
    ("self.data * other.data", True), (", (self, other), (", None),
    ("other.data", True), (", ", None), ("self.data", True), ("""))

    __radd__ = __add__  # 3 + a asks a.__radd__(3)
    __rmul__ = __mul__  # 3 * a asks a.__rmul__(3)
""", None),
]

_MORE_OPS = [
    ("""
    def __neg__(self):  # -a
        return self * -1

    def __sub__(self, other):  # a - b
        return self + (-other)

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, (self,), (""", None),
    ("1 - t ** 2", True), (""",))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, (self,), (""", None),
    ("e", True), (""",))

    def __pow__(self, n):
        assert isinstance(n, (int, float)), "the exponent must be a plain number"
        return Value(self.data ** n, (self,), (""", None),
    ("n * self.data ** (n - 1)", True), (""",))
""", None),
]

_BACKWARD = [
    ("""
    def _topo(self):
        \"\"\"This value and every node it depends on, each after all of its inputs.\"\"\"
        order, visited = [], set()

        def visit(node):
            if node not in visited:
                visited.add(node)
                for child in node._prev:
                    """, None),
    ("visit(child)", True), ("""  # each input joins the order first
                order.append(node)

        visit(self)
        return order

    def backward(self):
        \"\"\"Set .grad of every node this value depends on to d(this value)/d(node).\"\"\"
        self.grad = """, None),
    ("1.0", True), ("""  # d(this value)/d(this value)
        for node in """, None),
    ("reversed(self._topo())", True), (""":  # the output first, the inputs last
            for child, local in zip(node._prev, node._local):
                child.grad += """, None),
    ("local * node.grad", True), ("""  # the chain rule (+=: see Task 4)
""", None),
]

_ZERO_GRAD = [
    ("""
    def zero_grad(self):
        \"\"\"Set .grad of this value and of every node it depends on back to 0.\"\"\"
        for node in """, None),
    ("self._topo()", True), (""":
            """, None),
    ("node.grad = 0.0", True), ("\n", None),
]

_TRAIN = [
    ("""

def train(x, target, w, b, lr, steps):
    \"\"\"Fit y = tanh(w*x + b) to `target` by gradient descent; return the loss of each step.\"\"\"
    w, b = Value(w), Value(b)
    losses = []
    for step in range(steps):
        y = """, None),
    ("(w * x + b).tanh()", True), ("""  # the neuron's output
        loss = """, None),
    ("(y - target) ** 2", True), ("""  # the squared error
        """, None),
    ("loss.zero_grad()", True), ("""  # forget the last step's gradients
        loss.backward()
        w.data -= """, None),
    ("lr * w.grad", True), ("""  # a small step against the gradient
        b.data -= """, None),
    ("lr * b.grad", True), ("""
        losses.append(loss.data)
    return losses


losses = train(x=2.0, target=0.8, w=0.3, b=0.1, lr=0.5, steps=20)
print(f"loss {losses[0]:.6f} at step 0, {losses[-1]:.2e} at step {len(losses) - 1}")
""", None),
]

# The parts each task adds, in the track's order; a task's code is every part so far.
PARTS = {"add-mul": _ADD_MUL, "more-ops": _MORE_OPS, "backward": _BACKWARD, "accumulate": _ZERO_GRAD,
         "train": _TRAIN}


def _text(pieces, blank):
    """The pieces joined, each answer as written or as BLANK."""
    return "".join(BLANK if blank and answer else text for text, answer in pieces)


def _code(name, blank_last):
    """The header and every part up to task `name`, the last one blanked if `blank_last`."""
    names = list(PARTS)
    upto = names[:names.index(name) + 1]
    return _text(_HEADER, False) + "".join(_text(PARTS[n], blank_last and n == name) for n in upto)


def starter(name):
    """Task `name`'s starting code: the earlier tasks solved, this one's answers left as BLANK."""
    return _code(name, blank_last=True)


def solution(name):
    """A working solution of task `name`."""
    return _code(name, blank_last=False)
