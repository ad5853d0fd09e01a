"""Checks of the learner's operations (Tasks 1 and 2): each result's value, inputs and local derivatives.

An operation's local derivatives are compared with the engine's (autodiff, through its public API:
the gradient of each separate input after backward()) and, in the message's details, with central
differences of the learner's own forward pass.
"""

import operator
from dataclasses import dataclass

from autodiff import Value as EngineValue
from autodiff.gradcheck import central_difference
from lesson.tasks.probes import Mistake, agrees, at, is_number, random_points, shown


@dataclass(frozen=True)
class Case:
    """One operation at one point. `uses` gives, per input slot of the result, the variable used there or
    the plain number a constant operand holds; `op` takes one operand per slot; `formulas` gives each
    slot's local derivative as the lesson writes it (None for a constant's)."""

    text: str          # 'a * b', as the messages write the operation
    point: dict        # {'a': 2.0, 'b': -3.0}
    op: object         # operator.mul, or lambda a: a.tanh(): Values (the learner's or the engine's) in, a Value out
    uses: tuple        # ('a', 'b'), ('a', 3) or ('a', 'a')
    formulas: tuple    # ('b', 'a'); None for a constant's slot
    ordered: bool = True  # whether the slots must be in this order (3 * a may keep a first, as a * 3)
    function: str = ""    # how d(...)/da writes a function: 'tanh(a)' for a.tanh()

    @property
    def short(self):
        """The operation as d(...)/da writes it: 'a*b', 'tanh(a)'."""
        return self.function or self.text.replace(" ", "")

    def apply(self, leaves):
        """The operation on `leaves` ({variable: Value}), constants as the plain numbers written."""
        return self.op(*(leaves[use] if isinstance(use, str) else use for use in self.uses))


def add_mul_cases(rng):
    """Task 1: + and * at (2, -3) and random points, with a constant operand either side and a node used twice."""
    pairs = [(2.0, -3.0)] + list(zip(random_points(rng, 3), random_points(rng, 3)))
    cases = []
    for a, b in pairs:
        point = {"a": a, "b": b}
        cases.append(Case("a + b", point, operator.add, ("a", "b"), ("1", "1")))
        cases.append(Case("a * b", point, operator.mul, ("a", "b"), ("b", "a")))
    point = {"a": -random_points(rng, 1, low=0.5)[0]}  # a negative input
    return cases + [
        Case("a + 3", point, operator.add, ("a", 3), ("1", None), ordered=False),
        Case("3 + a", point, operator.add, (3, "a"), (None, "1"), ordered=False),
        Case("a * 3", point, operator.mul, ("a", 3), ("3", None), ordered=False),
        Case("3 * a", point, operator.mul, (3, "a"), (None, "3"), ordered=False),
        Case("a + a", point, operator.add, ("a", "a"), ("1", "1")),
        Case("a * a", point, operator.mul, ("a", "a"), ("a", "a")),
    ]


def more_ops_cases(rng):
    """Task 2: tanh and exp at 0, negative, positive and saturated inputs; ** with whole, fractional and negative powers."""
    cases = []
    for a in [-1.5, 0.0, 0.8, 4.0, *random_points(rng, 2)]:
        cases.append(Case("a.tanh()", {"a": a}, lambda a: a.tanh(), ("a",), ("1 - tanh(a)**2",), function="tanh(a)"))
    for a in [-2.0, 0.0, 1.3, *random_points(rng, 2)]:
        cases.append(Case("a.exp()", {"a": a}, lambda a: a.exp(), ("a",), ("exp(a)",), function="exp(a)"))
    powers = [(2.0, 2), (-1.5, 3), (4.0, 0.5), (2.5, -1), (-2.0, 2), (3.0, 1), (0.5, 0)]
    powers += list(zip(random_points(rng, 2, low=0.5), rng.sample([2, 3, 0.5, -1, -2], 2)))
    for a, n in powers:
        cases.append(Case(f"a ** {n:g}", {"a": a}, lambda a, n=n: a ** n, ("a",), (_power_rule(n),)))
    return cases


def _power_rule(n):
    """The power rule's text for exponent n: '3 * a**2', '0.5 * a**-0.5', '1' for n = 1, '0' for n = 0."""
    if n == 0:
        return "0"
    if n == 1:
        return "1"
    return f"{n:g} * a" + ("" if n == 2 else f"**{n - 1:g}")


def check_leaf(learner, value_class):
    """A new Value holds its number as data, a grad of 0 and no inputs; returns the number of checks made."""
    def probe():
        leaf = value_class(-2.5)
        if not is_number(leaf.data) or leaf.data != -2.5:
            raise Mistake(f"Value(-2.5).data is {shown(leaf.data)}; it should be the number -2.5")
        if leaf.grad != 0:
            raise Mistake(f"Value(-2.5).grad starts at {shown(leaf.grad)}; a new Value's grad should start at 0.0")
        if len(_inputs(leaf, "Value(-2.5)")) != 0:
            raise Mistake("Value(-2.5)._prev is not empty: a number made directly has no inputs")
    learner.call("Value(-2.5)", probe)
    return 3


def check_cases(learner, value_class, cases):
    """Check every case; raise a Mistake at the first that fails. Returns the number of checks made."""
    return sum(check_case(learner, value_class, case) for case in cases)


def check_case(learner, value_class, case):
    """The result of one operation: a new Value with the right data, its inputs in `_prev`, the right `_local`."""
    names = list(case.point)
    where = at(**case.point)
    want_data, want_local = _engine(case)

    def probe():
        inputs = {name: value_class(x) for name, x in case.point.items()}
        out = case.apply(inputs)
        if not isinstance(out, value_class):
            raise Mistake(f"{case.text} at {where} returned {type(out).__name__}, not a Value: "
                          "an operation must return a new Value")
        if not agrees(out.data, want_data):
            raise Mistake(f"{case.text} at {where} came out {shown(out.data)}; it should be {shown(want_data)}")
        slots = _slots(case, inputs, _inputs(out, case.text), value_class, where)
        local = _local(out, case.text, len(case.uses))
        for slot, use in enumerate(case.uses):
            if not isinstance(use, str):
                continue
            got = local[slots[slot]]
            if not agrees(got, want_local[slot]):
                raise Mistake(_wrong_local(case, slot, got, want_local[slot], where),
                              details=_references(value_class, case, slot, want_local[slot]))
        changed = [name for name in names if inputs[name].data != case.point[name]]
        if changed:
            raise Mistake(f"{case.text} at {where} changed {changed[0]}.data to {shown(inputs[changed[0]].data)}: "
                          "an operation must leave its inputs as they are")

    learner.call(f"{case.text} at {where}", probe)
    return 4 + len(case.uses)


def _engine(case):
    """The engine's value of the case and its local derivative for each slot (None for a constant's slot):
    each use of a variable is a separate leaf, so its gradient after backward() is that slot's local derivative."""
    operands = [EngineValue(case.point[use]) if isinstance(use, str) else use for use in case.uses]
    out = case.op(*operands)
    out.backward()
    return out.data, [operand.grad if isinstance(operand, EngineValue) else None for operand in operands]


def _inputs(node, text):
    """`node._prev` as a tuple; a set is refused (it loses the order, and a node used twice)."""
    prev = node._prev
    if isinstance(prev, (set, frozenset)):
        raise Mistake(f"({text})._prev is a set, which loses the inputs' order and keeps a node used twice "
                      "(as in a * a) only once: keep the inputs in a tuple, (self, other)")
    if not isinstance(prev, (tuple, list)):
        raise Mistake(f"({text})._prev is {type(prev).__name__}; it should be the tuple of the inputs, in order")
    return tuple(prev)


def _local(node, text, count):
    """`node._local` as a tuple of `count` numbers, or a Mistake saying what it is instead."""
    local = node._local
    if not isinstance(local, (tuple, list)):
        raise Mistake(f"({text})._local is {type(local).__name__}; it should be a tuple of numbers, "
                      "one local derivative per input")
    if len(local) != count:
        raise Mistake(f"({text})._local has {len(local)} entries; it needs one per input, {count}")
    for entry in local:
        if not is_number(entry):
            raise Mistake(f"({text})._local holds {type(entry).__name__} {shown(entry)}; a local derivative "
                          "is a plain number (use .data for a Value's number)")
    return tuple(local)


def _slots(case, inputs, prev, value_class, where):
    """Where each of the case's uses sits in the result's `_prev` (checked: the right inputs, in order
    when the case is ordered), as a list of indices into `prev`."""
    if len(prev) != len(case.uses):
        raise Mistake(f"({case.text})._prev has {len(prev)} entries; it should hold the {len(case.uses)} inputs "
                      f"{_named(case.uses)}")
    order = list(range(len(prev)))
    if not case.ordered and not _holds(prev, case.uses, inputs, value_class):
        order.reverse()  # a reflected operation may keep the Value first: 3 * a as (a, 3)
    for slot, use in enumerate(case.uses):
        held = prev[order[slot]]
        if not isinstance(use, str):
            if not isinstance(held, value_class):
                raise Mistake(f"({case.text})._prev holds the plain number {shown(held)}: wrap a plain operand in a Value "
                              "first, so that every input is a node")
            if held.data != use:
                raise Mistake(f"({case.text})._prev holds a Value of {shown(held.data)} for the {use:g}")
        elif held is not inputs[use]:
            raise Mistake(f"({case.text})._prev at {where} should be the inputs {_named(case.uses)} in that order; "
                          f"entry {order[slot]} is not {use}")
    return order


def _holds(prev, uses, inputs, value_class):
    """Whether `prev` holds the uses in the order written."""
    return all((held is inputs[use]) if isinstance(use, str) else isinstance(held, value_class)
               for held, use in zip(prev, uses))


def _named(uses):
    """'(a, b)' or '(a, 3)': the inputs a result should hold."""
    return "(" + ", ".join(use if isinstance(use, str) else f"{use:g}" for use in uses) + ")"


def _wrong_local(case, slot, got, want, where):
    """The message for a wrong local derivative: 'd(a*b)/da at a=2, b=-3 came out 2.0; it should be b = -3.0'."""
    variable = case.uses[slot]
    formula = case.formulas[slot]
    should = shown(want) if formula in ("0", "1") else f"{formula} = {shown(want)}"
    if case.uses.count(variable) > 1:
        which = "first" if slot == case.uses.index(variable) else "second"
        return (f"In {case.text} at {where} ({variable} used twice), the local derivative for the {which} use "
                f"came out {shown(got)}; it should be {should}")
    return f"d({case.short})/d{variable} at {where} came out {shown(got)}; it should be {should}"


def _references(value_class, case, slot, want):
    """The message's details: the engine's number and central differences of the learner's forward pass."""
    variable = case.uses[slot]
    lines = [f"Our engine: {shown(want)}."]
    if case.uses.count(variable) == 1:
        names = list(case.point)

        def forward(*xs):
            return case.apply({name: value_class(x) for name, x in zip(names, xs)}).data

        numeric = central_difference(forward, list(case.point.values()))[names.index(variable)]
        lines.append(f"Central differences of your {case.text}: {shown(numeric)}.")
    return " ".join(lines)
