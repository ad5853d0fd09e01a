"""Every operation the engines record, in one table: how the page writes it, and its derivative rule.

The playground's parser offers the rows marked `function` (lesson.expr, which applies the Value
method of that name), the tracer gives each step its row's `rule` (autodiff.trace.rule), and the
step texts write each node as its row says (lesson.wording). Adding an operation: write it in
the engine (value.py, tensor.py), then add its row here. A power `x ** p` records the op '**p',
one per exponent, so its row is made for that p (row()).
"""


class Op:
    """One operation as the page shows it.

    `rule`: d(out)/d(each operand) as text, one template per operand in `_prev` order: {out} is
    the node, {0} and {1} its operands, {root} the output backward started from (the page fills
    in the nodes' names; no numbers). `written`: the formula with {0}, {1} for the operands, or
    None for a call, `op(operands)`. `term`: a call that reads as one term, needing no brackets
    inside a larger formula. `function`: a function of one number the playground offers. `symbol`: how
    the graph marks the op on its node, where that is not its name ('*' is marked ×).
    """

    __slots__ = ("rule", "written", "term", "function", "symbol")

    def __init__(self, rule, written=None, term=False, function=False, symbol=None):
        self.rule, self.written, self.term, self.function = rule, written, term, function
        self.symbol = symbol


OPS = {
    # Arithmetic, on numbers and arrays alike.
    "+": Op(("∂{out}/∂{0} = 1", "∂{out}/∂{1} = 1"), "{0} + {1}"),
    "-": Op(("∂{out}/∂{0} = 1", "∂{out}/∂{1} = -1"), "{0} - {1}", symbol="−"),
    "*": Op(("∂{out}/∂{0} = {1}", "∂{out}/∂{1} = {0}"), "{0} * {1}", symbol="×"),
    "/": Op(("∂{out}/∂{0} = 1/{1}", "∂{out}/∂{1} = -{0}/{1}**2"), "{0} / {1}", symbol="÷"),
    "neg": Op(("∂{out}/∂{0} = -1",), "-{0}", symbol="−x"),
    # Functions of one number (element-wise on a Tensor).
    "tanh": Op(("∂{out}/∂{0} = 1 - {out}**2",), term=True, function=True),
    "relu": Op(("∂{out}/∂{0} = 1 if {0} > 0 else 0",), term=True, function=True),
    "exp": Op(("∂{out}/∂{0} = {out}",), term=True, function=True),
    "log": Op(("∂{out}/∂{0} = 1/{0}",), term=True, function=True),
    "sigmoid": Op(("∂{out}/∂{0} = {out} * (1 - {out})",), term=True, function=True),
    # Tensors only. A Jacobian is not shown, so these give the gradient that flows back from {root}'s.
    "@": Op(("∂{root}/∂{0} = ∂{root}/∂{out} @ {1}.T", "∂{root}/∂{1} = {0}.T @ ∂{root}/∂{out}"), "{0} @ {1}"),
    "sum": Op(("∂{out}/∂{0} = 1 for every element: ∂{root}/∂{out} is copied to each",), term=True),
    "mean": Op(("∂{out}/∂{0} = 1/n for each of the n elements: ∂{root}/∂{out} is shared among them",),
               term=True),
    "T": Op(("∂{root}/∂{0} = (∂{root}/∂{out}).T",)),
    "reshape": Op(("∂{root}/∂{0} = ∂{root}/∂{out} reshaped to the shape of {0}",)),
    "softmax": Op(("∂{root}/∂{0} = {out} * (g - sum(g * {out})), with g = ∂{root}/∂{out}",), term=True),
    "log_softmax": Op(("∂{root}/∂{0} = g - softmax({0}) * sum(g), with g = ∂{root}/∂{out}",), term=True),
    "add_": Op(("∂{out}/∂{0} = 1 ({0} += {1} in place)", "∂{out}/∂{1} = 1")),
    "sub_": Op(("∂{out}/∂{0} = 1 ({0} -= {1} in place)", "∂{out}/∂{1} = -1")),
    "mul_": Op(("∂{out}/∂{0} = {1} ({0} *= {1} in place)", "∂{out}/∂{1} = {0} as it was before")),
    "zero_": Op(("∂{out}/∂{0} = 0 ({0} set to 0 in place)",)),
}


def row(op):
    """The table's row for an op name ('**3' gets one made for exponent 3), or None if unknown."""
    if op.startswith("**"):
        return Op((_power_rule(op[2:]),), "{0}" + op)
    return OPS.get(op)


def symbol(op):
    """How the graph marks an op on its node: '×' for '*', '−x' for 'neg', any other op by its name ('' for a leaf)."""
    known = OPS.get(op)
    return known.symbol if known is not None and known.symbol is not None else op


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
