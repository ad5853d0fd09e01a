"""The widgets as the page shows them with JavaScript off: a table of the numbers the build computed.

Each figure's `<noscript>` follows its (then empty) widget element; `web/css/lesson.css` hides the empty
element when scripting is off. Every number comes from the same first-paint state the live page starts
from (`lesson.widgets.initial_state()`), printed as the step texts print them.
"""

import html
import re

from lesson.wording import entries, number

NOTE = "JavaScript is off, so this figure is a table of the numbers computed when the page was built."


def _table(caption: str, header: list[str], rows: list[list[str]]) -> str:
    """An HTML table with every cell inserted as text."""
    head = "".join(f'<th scope="col">{html.escape(cell)}</th>' for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return (f'<div class="table-scroll static-figure"><table><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _node_name(node: dict) -> str:
    """A node as the graph labels it: its name, else its operation, else (a constant) its value."""
    return node["label"] or node["op"] or entries(node["data"])


def trace_table(trace: dict, caption: str) -> str:
    """Every node of a trace in forward order: its operation, value and gradient."""
    nodes = {node["id"]: node for node in trace["nodes"]}
    rows = [[_node_name(node), node["op"] or ("constant" if node["kind"] == "const" else "input"),
             entries(node["data"]), "" if node["grad"] is None else entries(node["grad"])]
            for node in (nodes[node_id] for node_id in trace["order"])]
    return _table(caption, ["node", "operation", "value", "gradient"], rows)


def training_table(state: dict) -> str:
    """The neuron's training run: w, b, its output and loss at each step."""
    rows = [[str(step["step"]), number(step["w"]), number(step["b"]), number(step["y"]), number(step["loss"])]
            for step in state["history"]]
    caption = f"Training y = tanh(w·x + b) at x = {number(state['x'])} toward {number(state['target'])}, learning rate {number(state['lr'])}"
    return _table(caption, ["step", "w", "b", "y", "loss"], rows)


def broadcast_table(state: dict) -> str:
    """The default shape pair: each operand's shape and gradient, and y's."""
    start = state["start"]
    result = state["results"][f"{start['x_shape']}|{start['b_shape']}|{start['upstream']}"]
    rows = [[operand["name"], operand["shape_text"], entries(operand["data"]), entries(operand["grad"])] for operand in result["inputs"]]
    rows.append(["y = x + b", result["y"]["shape_text"], entries(result["y"]["data"]), entries(result["y"]["grad"])])
    return _table(f"y = x + b with x of shape {result['x_text']} and b of shape {result['b_text']}",
                  ["tensor", "shape", "value", "gradient"], rows)


def static_figure(name: str, state: dict) -> str:
    """The table standing in for widget `name` when scripting is off ('' for a widget with no figure)."""
    if name == "neuron-training":
        table = training_table(state)
    elif name == "broadcast":
        table = broadcast_table(state)
    elif name == "explore":
        table = trace_table(state["result"]["trace"], "c = (a + b) · b at a = {a}, b = {b}".format(
            a=number(state["start"]["a"]), b=number(state["start"]["b"])))
    elif name == "playground":
        table = trace_table(state["result"]["trace"], f"f = {state['result']['normalized']}")
    elif "trace" in state:
        settings = ", ".join(f"{key} = {entries(value)}" for key, value in state["settings"].items())
        table = trace_table(state["trace"], f"At {settings}" if settings else "At the lesson's values")
    else:
        return ""
    return f'<noscript><p class="static-note">{html.escape(NOTE)}</p>{table}</noscript>'


def with_static_figures(body: str, state: dict) -> str:
    """`body` with each widget element followed by its static figure."""
    def add(match):
        return match.group(0) + static_figure(match.group(1), state.get(match.group(1), {}))
    return re.sub(r'<div class="widget" data-widget="([a-z-]+)"></div>', add, body)
