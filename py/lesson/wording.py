"""How the step texts name a trace's nodes and print its numbers (never computing one).

Each op is written as its row in autodiff.ops says.
"""

from decimal import ROUND_HALF_UP, Decimal

from autodiff.ops import row, symbol

# A formula longer than this is replaced by the node's id, so texts stay readable on big graphs.
MAX_INLINE = 40


def number(x, digits=6):
    """A number as the texts print it: up to `digits` significant digits, no trailing zeros, None -> 'undefined'."""
    if x is None:
        return "undefined"
    if isinstance(x, list):
        return _shape_text(x)
    text = f"{x:.{digits}g}"
    mantissa, _, exponent = text.partition("e")
    if exponent:
        # 1e-07 -> 1e-7, the way JavaScript prints it on the graph
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text == "-0" else text


def short(x, digits=4):
    """A number as the graph prints it on its nodes (d3's '.4~g', i.e. JavaScript's toPrecision): 4 significant
    digits, a tie rounded away from zero, fixed from 1e-6 up to 1e4 ('0.00001', '1235'), else '1.235e+4'."""
    exact = Decimal(x)
    if not exact:
        return "0"
    places = digits - 1 - exact.adjusted()
    rounded = exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if rounded.adjusted() != exact.adjusted():  # 9999.5 rounds up to 1.000e+4: one digit fewer after the point
        rounded = rounded.quantize(Decimal(1).scaleb(1 - places), ROUND_HALF_UP)
    exponent = rounded.adjusted()
    if -7 < exponent < digits:
        text = f"{rounded:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa = f"{rounded.scaleb(-exponent):f}"
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}e{'+' if exponent > 0 else '-'}{abs(exponent)}"


def entries(x):
    """An array's numbers as the graph's nodes print them (3 significant digits): a column '[0.1, -0.2]ᵀ',
    a vector '[0.1, -0.2]', a matrix '[[0.1, 0.2], [0.3, 0.4]]'; a scalar as number() prints it."""
    if not isinstance(x, list):
        return number(x)
    if x and all(isinstance(row, list) and len(row) == 1 for row in x):
        return entries([row[0] for row in x]) + "ᵀ"
    return "[" + ", ".join(entries(item) if isinstance(item, list) else number(item, digits=3) for item in x) + "]"


def bracketed(text):
    """A number or name inside a formula: a negative one goes in brackets, so '(-3.5)**2' reads right."""
    return f"({text})" if text.startswith("-") else text


def _shape_text(nested):
    """'2×1' for a nested list of numbers; the texts name a tensor by its shape, not its entries."""
    dims = []
    while isinstance(nested, list):
        dims.append(len(nested))
        nested = nested[0] if nested else None
    return "×".join(str(d) for d in dims) if dims else "scalar"


class Names:
    """Names, formulas and gradient symbols for the nodes of one trace."""

    def __init__(self, trace):
        self.trace = trace
        self.nodes = {node["id"]: node for node in trace["nodes"]}
        self.inputs = {node_id: [] for node_id in self.nodes}
        for edge in sorted(trace["edges"], key=lambda e: e["slot"]):
            self.inputs[edge["target"]].append(edge["source"])
        self.output = trace["output"]

    def is_array(self, node_id):
        """True for a node holding an array (a Tensor of rank 1 or more): texts name it by its shape."""
        return isinstance(self.nodes[node_id]["data"], list)

    def name(self, node_id):
        """How a node is referred to: its label, a constant's value, or its formula in brackets."""
        node = self.nodes[node_id]
        if node["label"]:
            return node["label"]
        if node["kind"] == "const" and not self.is_array(node_id):
            return number(node["data"])
        if node["kind"] == "op":
            formula = self.formula(node_id)
            if len(formula) <= MAX_INLINE:
                # A call such as tanh(z) reads as one term already; an operator needs brackets.
                op = row(node["op"])
                return formula if op is not None and op.term else f"({formula})"
        return node_id

    def shown(self, node_id):
        """How the graph names a node on its box: its label, else 'constant' or its op's symbol ('×')."""
        node = self.nodes[node_id]
        return node["label"] or ("constant" if node["kind"] == "const" else symbol(node["op"]))

    def formula(self, node_id, name=None):
        """The op applied to its inputs, e.g. 'w * x', 'b**2', 'tanh(z)'; `name` prints each input."""
        name = name or self.name
        node = self.nodes[node_id]
        args = [name(i) for i in self.inputs[node_id]]
        op = row(node["op"])
        if op is not None and op.written is not None and len(args) == len(op.rule):
            return op.written.format(*args)
        return f"{node['op']}({', '.join(args)})"

    def substituted(self, node_id):
        """The formula with each scalar input's value in place of its name, e.g. '0.5 * 2'."""
        return self.formula(node_id, name=lambda i: bracketed(number(self.nodes[i]["data"])))

    def defined(self, node_id):
        """'a = x * 3' for a labelled op node, else just its formula."""
        formula = self.formula(node_id)
        label = self.nodes[node_id]["label"]
        return f"{label} = {formula}" if label else formula

    def rule(self, record, slots):
        """The record's derivative rule for the operands in `slots`, in the node's own names:
        'z1 = w * x' gives '∂z1/∂w = x, ∂z1/∂x = w' (see autodiff.ops); '' if unknown."""
        templates = record["rule"]
        if not templates:
            return ""
        operands = [self._operand(i) for i in self.inputs[record["node"]]]
        names = {"out": self._operand(record["node"]), "root": self.name(self.output)}
        return ", ".join(templates[slot].format(*operands, **names) for slot in slots)

    def _operand(self, node_id):
        """A node's name inside a formula: a negative constant goes in brackets, so '-x/(-2)**2' reads right."""
        return bracketed(self.name(node_id))

    def grad_symbol(self, node_id):
        """'∂c/∂b': the gradient of the output with respect to a node."""
        return f"∂{self.name(self.output)}/∂{self.name(node_id)}"
