"""The broadcasting widget: y = x + b for two shapes the learner picks, on the Tensor engine.

Forward, NumPy lines the shapes up from the right and stretches each input along the axes where it
lacks one or has size 1; backward, the engine's `_unbroadcast` sums y's gradient over those axes back
to each input's shape. `broadcast()` returns every array of both passes, the backward one stage by
stage as `_unbroadcast` works (first the leading axes the input lacks, then the axes where it has
size 1), and the sentences that explain them. A pair that does not broadcast gets NumPy's message.
"""

import re

from lesson.wording import number

MAX_AXES = 3  # the page draws an array as rows, and a 3-D one as blocks of rows
MAX_SIZE = 6  # per axis
MAX_ELEMENTS = 72  # in y: every entry is drawn
MAX_TEXT = 40  # characters of a shape as typed
MAX_TERMS = 8  # upstream gradients written out in a sum
# The pairs the widget offers (the seed's example first, the default), and one NumPy refuses.
PAIRS = [((3, 4), (4,)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((2, 3, 4), (3, 1)), ((3, 1), (1, 4)), ((3, 4), (3,))]
UPSTREAMS = {
    "ones": "all ones (L = sum of y)",
    "counting": "1, 2, 3, … (L = sum of g ⊙ y, g counting up)",
}
_DIGITS = re.compile(r"[0-9]+")


class ShapeError(ValueError):
    """A shape as typed that this widget cannot use; `field` names the input ("x" or "b")."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def shape_text(shape):
    """A shape as Python writes a tuple: '(3, 4)', '(4,)', '()'."""
    return str(tuple(shape))


def parse_shape(name, shape):
    """A shape typed as '(3, 4)', '3, 4', '(4,)' or '()' (or given as a list of ints), as a tuple; ShapeError names the problem."""
    if isinstance(shape, (list, tuple)):
        if not all(type(n) is int for n in shape):
            raise ShapeError(name, f"the shape of {name} must be a list of whole numbers, got {list(shape)!r}")
        return _checked(name, tuple(shape))
    if not isinstance(shape, str):
        raise TypeError(f"the shape of {name} must be text such as '(3, 4)' or a list of ints, got {type(shape).__name__}")
    text = shape.strip()
    if not text:
        raise ShapeError(name, f"the shape of {name} is empty: type one, such as (3, 4), or () for a single number")
    shown = text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"
    bracketed = text.startswith("(") and text.endswith(")")
    inner = text[1:-1].strip() if bracketed else text
    parts = [part.strip() for part in inner.split(",")] if inner else []
    if parts and not parts[-1] and len(parts) > 1:
        parts.pop()  # a trailing comma, as in (4,)
    if len(text) > MAX_TEXT or not all(_DIGITS.fullmatch(part) for part in parts) or (not parts and not bracketed):
        raise ShapeError(name, f"the shape of {name} must be whole numbers separated by commas, such as (3, 4) "
                               f"or (4,); got {shown!r}")
    return _checked(name, tuple(int(part) for part in parts))


def _checked(name, shape):
    """`shape` if the page can draw an array of it; ShapeError otherwise."""
    if len(shape) > MAX_AXES:
        raise ShapeError(name, f"the shape of {name} has {len(shape)} axes; this widget draws at most {MAX_AXES}")
    for size in shape:
        if not 1 <= size <= MAX_SIZE:
            raise ShapeError(name, f"each axis of {name} must have a size from 1 to {MAX_SIZE}, got {size}")
    return shape


def broadcast(x_shape, b_shape, upstream="ones"):
    """y = x + b with x = 0, 1, 2, ... and b = 10, 20, 30, ... in the given shapes; backward from the
    upstream gradient ∂L/∂y (all ones, or 1, 2, 3, ...). Returns both passes for the page, or
    {"error": {"message", "field"}} for shapes it refuses (NumPy's own message for a pair that does not broadcast)."""
    if upstream not in UPSTREAMS:
        raise ValueError(f"upstream must be one of {', '.join(UPSTREAMS)}, got {upstream!r}")
    asked = {"x_text": _as_typed(x_shape), "b_text": _as_typed(b_shape), "upstream": upstream}
    try:
        shapes = {"x": parse_shape("x", x_shape), "b": parse_shape("b", b_shape)}
    except ShapeError as error:
        return {**asked, "error": {"message": str(error), "field": error.field}}
    try:
        import numpy as np
        from autodiff.tensor import Tensor
    except ImportError as error:
        raise ImportError(f"the broadcasting widget needs the Tensor engine, which needs NumPy: {error}") from None

    x = Tensor(np.arange(_size(shapes["x"])).reshape(shapes["x"]), requires_grad=True, label="x")
    b = Tensor(10 * (np.arange(_size(shapes["b"])) + 1).reshape(shapes["b"]), requires_grad=True, label="b")
    try:
        y = x + b
    except ValueError as error:  # NumPy's own words: "operands could not be broadcast together with shapes ..."
        return {**asked, "error": {"message": str(error).strip(), "field": None}}
    if y.data.size > MAX_ELEMENTS:
        return {**asked, "error": {"message": f"y = x + b would have shape {shape_text(y.shape)}, {y.data.size} entries; "
                                              f"this widget draws at most {MAX_ELEMENTS}", "field": None}}
    y.label = "y"
    g = np.ones(y.shape, dtype=y.dtype) if upstream == "ones" else np.arange(1, y.data.size + 1, dtype=y.dtype).reshape(y.shape)
    y.backward(g)
    inputs = [_input_story(node, y, g) for node in (x, b)]
    return {**asked, "x_shape": list(x.shape), "b_shape": list(b.shape), "y_shape": list(y.shape),
            "y": {"data": y.data.tolist(), "grad": g.tolist(), "shape_text": shape_text(y.shape)}, "inputs": inputs,
            "forward_text": _forward_summary(x, b, y)}


def _as_typed(shape):
    """A shape as the learner typed it, or a list of ints as Python writes the tuple."""
    return shape if isinstance(shape, str) else str(tuple(shape)) if isinstance(shape, (list, tuple)) else repr(shape)


def _size(shape):
    """The number of entries of an array of `shape`."""
    count = 1
    for n in shape:
        count *= n
    return count


def _input_story(node, y, g):
    """One input of y = x + b, both ways: its values stretched to y's shape (with, per entry of y, the
    entry it came from), and its gradient from ∂L/∂y, one `_unbroadcast` stage at a time."""
    import numpy as np  # here, not at the top: the page imports this module before NumPy has loaded
    from autodiff.tensor import _unbroadcast as unbroadcast
    shape, out = node.shape, y.shape
    lead = len(out) - len(shape)
    aligned = (1,) * lead + shape
    stretched_axes = [axis for axis, (n, m) in enumerate(zip(aligned, out)) if n != m]
    # Per entry of y, the (flat) index of the entry of this input it holds, and whether it is the first copy.
    entries = np.arange(node.data.size).reshape(shape)
    source = np.broadcast_to(entries, out)
    original = np.all(np.indices(out)[stretched_axes] == 0, axis=0) if stretched_axes else np.ones(out, dtype=bool)
    stages = []
    grad = g
    if lead:  # _unbroadcast sums the leading axes the input lacks ...
        grad = unbroadcast(grad, np.empty(out[lead:], dtype=g.dtype))
        stages.append(_stage(node.label, grad, list(range(lead)), "new", out, np.broadcast_to(entries, grad.shape)))
    if grad.shape != shape:  # ... and the axes where it has size 1, keeping them
        before = grad.shape
        grad = unbroadcast(grad, node.data)
        summed = [axis for axis, n in enumerate(shape) if n == 1 and out[lead + axis] != 1]
        stages.append(_stage(node.label, grad, summed, "kept", before, entries, lead))
    copies = y.data.size // node.data.size
    terms = [[float(v) for v in g[source == index]] for index in range(node.data.size)]
    return {
        "name": node.label, "shape": list(shape), "shape_text": shape_text(shape), "aligned": list(aligned),
        "stretched_axes": stretched_axes,
        "positions": [_index_text(index, shape) for index in range(node.data.size)],
        "copies": copies, "data": node.data.tolist(), "stretched": np.broadcast_to(node.data, out).tolist(),
        "source": source.tolist(), "original": original.tolist(), "stages": stages, "grad": node.grad.tolist(),
        "sums": [_sum_text(node.label, index, shape, entry_terms, node.grad.reshape(-1)[index])
                 for index, entry_terms in enumerate(terms)],
        "forward_text": _forward_text(node.label, shape, aligned, out, stretched_axes, copies),
        "backward_text": _backward_text(node.label, shape, out, copies),
    }


def _stage(name, grad, axes, kind, before, source, lead=0):
    """One sum of _unbroadcast: the axes it sums (of the array shaped `before`), the shape and values it
    leaves, per entry the (flat) index of the input's entry it belongs to, and a sentence."""
    listed = _axes_text(axes)
    if kind == "new":
        why = f"which {name} does not have"
    else:
        listed += f" ({_axes_text([lead + a for a in axes])} of y)" if lead else ""
        why = f"where {name} has size 1, keeping {'it' if len(axes) == 1 else 'them'}"
    text = f"sum over {listed}, {why}: {shape_text(before)} → {shape_text(grad.shape)}"
    return {"axes": axes, "shape": list(grad.shape), "values": grad.tolist(), "text": text,
            "title": f"summed over {_axes_text(axes)}: {shape_text(grad.shape)}",
            "source": source.tolist()}


def _axes_text(axes):
    """'axis 0', 'axes 0 and 2'."""
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + _listed(axes)


def _listed(items):
    """'0', '0 and 2', '0, 1 and 2'."""
    items = [str(item) for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _index_text(index, shape):
    """The position of flat entry `index` in an array of `shape`, as Python indexes it: '[2]', '[1, 0]', '[]'."""
    position = []
    for n in reversed(shape):
        position.append(index % n)
        index //= n
    return "[" + ", ".join(map(str, reversed(position))) + "]"


def _sum_text(name, index, shape, terms, total):
    """'∂L/∂b[2] = 1 + 1 + 1 = 3': the upstream gradients an entry was used for, added up."""
    symbol = f"∂L/∂{name}{_index_text(index, shape) if shape else ''}"
    if len(terms) == 1:
        return f"{symbol} = {number(total)}: this entry was used once, so it takes its one upstream gradient"
    shown = [number(t) for t in terms]
    if len(shown) > MAX_TERMS:  # the first few and the last, and how many
        shown = shown[:MAX_TERMS - 2] + ["…", shown[-1]]
        return f"{symbol} = {' + '.join(shown)} ({len(terms)} upstream gradients) = {number(float(total))}"
    return f"{symbol} = {' + '.join(shown)} = {number(float(total))}"


def _forward_text(name, shape, aligned, out, stretched_axes, copies):
    """How NumPy fits one input to y's shape, in words."""
    if tuple(shape) == tuple(out):
        return f"{name} already has y's shape {shape_text(out)}: each entry is used once."
    lined = f"{name} {shape_text(shape)} lines up with y's shape {shape_text(out)} from the right"
    if len(aligned) != len(shape):
        lined += f", as {shape_text(aligned)}"
    if not stretched_axes:
        return f"{lined}; no axis is stretched, so each entry is used once."
    stretches = _listed([f"axis {a} (1 → {out[a]})" for a in stretched_axes])
    return (f"{lined}. NumPy stretches it along {stretches}, without copying memory: "
            f"{'its one entry' if not shape or _size(shape) == 1 else f'each of its {_size(shape)} entries'} is used {copies} times.")


def _backward_text(name, shape, out, copies):
    """Why an input's gradient is a sum over the axes it was stretched along."""
    if tuple(shape) == tuple(out):
        return f"{name} was not stretched, so ∂L/∂{name} is ∂L/∂y as it is, shape {shape_text(out)}."
    if copies == 1:
        return (f"{name} was not stretched (only given axes of size 1), so ∂L/∂{name} is ∂L/∂y reshaped to "
                f"{shape_text(shape)}.")
    return (f"Each entry of {name} was used {copies} times, so its gradient adds up the {copies} upstream "
            f"gradients it received (the accumulation rule); _unbroadcast sums ∂L/∂y {shape_text(out)} "
            f"down to {name}'s shape {shape_text(shape)}.")


def _forward_summary(x, b, y):
    """'(3, 4) + (4,) → (3, 4)'."""
    return f"{shape_text(x.shape)} + {shape_text(b.shape)} → {shape_text(y.shape)}"


def build_key(x_text, b_text, upstream):
    """The key of a setting in the build's table, as the page writes it: '(3, 4)|(4,)|ones'."""
    return f"{x_text}|{b_text}|{upstream}"


def broadcast_start():
    """The widget's first paint: the pairs and upstream gradients it offers, the default setting (the
    seed's (3, 4) + (4,) with all ones), and the build's result for every pair and upstream offered."""
    pairs = [{"x": shape_text(x), "b": shape_text(b)} for x, b in PAIRS]
    results = {build_key(p["x"], p["b"], up): broadcast(p["x"], p["b"], up) for p in pairs for up in UPSTREAMS}
    return {"pairs": pairs, "upstreams": [{"value": k, "label": v} for k, v in UPSTREAMS.items()],
            "start": {"x_shape": pairs[0]["x"], "b_shape": pairs[0]["b"], "upstream": "ones"}, "results": results,
            "limits": {"axes": MAX_AXES, "size": MAX_SIZE, "elements": MAX_ELEMENTS}}
