"""How the graph view draws a graph, as a learner sees it on a phone and on a laptop: boxes, edge labels
and op badges stay clear of each other."""

import pytest

from test_playground_page import live, open_link
from test_widgets_in_page import check_readable, static_page

pytestmark = pytest.mark.timeout(240)

PLAYGROUND_20 = "tanh(w1*x1 + w2*x2 + b) * (y - 0.5)**2 + relu(x1)*sigmoid(x2) + b"   # 20 nodes
TANH_CHAIN = "tanh(" * 14 + "x" + ")" * 14   # 15 nodes: a compact graph whose output f is a tanh

GEOMETRY_JS = """(w) => {
  const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const svg = w.querySelector('.graph-view svg');
  const scroller = w.querySelector('.graph-scroll');
  const texts = [...w.querySelectorAll('[data-node] tspan')].filter((t) => t.textContent.trim());
  return {
    direction: svg.dataset.direction,
    nodes: Object.fromEntries([...w.querySelectorAll('[data-node]')].map((n) => [n.dataset.node, box(n.querySelector('rect.box'))])),
    edges: [...w.querySelectorAll('path.edge')].map((p) => p.dataset.edge.split('#')[0].split('>')),
    labels: [...w.querySelectorAll('text.edge-label')].map((t) => ({text: t.textContent, ...box(t)})),
    text: Math.min(...texts.map((t) => t.getBoundingClientRect().height)),
    scroller: box(scroller),
    overflow: scroller.scrollWidth - scroller.clientWidth,
  };
}"""


def geometry(widget):
    """The graph as drawn on screen: direction, node boxes, edges, edge labels, smallest text, scroller."""
    return widget.evaluate(GEOMETRY_JS)


def overlap(a, b):
    """Whether two on-screen rectangles overlap (touching edges do not)."""
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def check_drawing(page, widget, label):
    """Readable in its direction (check_readable), no two boxes overlapping, no edge label on a box, and
    every line of every node at least 10 px high. Returns the geometry."""
    check_readable(page, widget, label)
    g = geometry(widget)
    boxes = list(g["nodes"].items())
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            assert not overlap(box_a, box_b), f"{label}: boxes {a} and {b} overlap"
    for text in g["labels"]:
        hit = [node for node, box in g["nodes"].items() if overlap(text, box)]
        assert hit == [], f"{label}: edge label {text['text']} lies on {hit}"
    assert g["text"] >= 10, f"{label}: text {g['text']:.1f} px high"
    return g


def steps_of(widget):
    """Go through every step the widget has (both passes where it has a toggle), yielding a name for each."""
    step = widget.get_by_role("slider", name="Step", exact=True)
    if step.count() == 0:
        yield "all"
        return
    passes = ["Forward", "Backward"] if widget.get_by_role("radio", name="Backward").count() else [None]
    for name in passes:
        if name:
            widget.get_by_role("radio", name=name).check()
        for index in range(int(step.get_attribute("max")) + 1):
            step.fill(str(index))
            yield f"{name or 'step'} {index}"


# Edge labels: beside their edge, clear of every box.

def test_edge_labels_sit_clear_of_the_boxes_left_to_right_too(page):
    """compute-graph's '+0.3' and '+1.2' touched the boxes of w, x and z1 at 1280 px."""
    static_page(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    widget = page.locator('[data-widget="compute-graph"]')
    widget.scroll_into_view_if_needed()
    widget.get_by_role("radio", name="Backward").check()
    for step in steps_of(widget):
        g = check_drawing(page, widget, f"compute-graph at {step}")
        assert g["direction"] == "right"
        # Clear by a few pixels, not just not overlapping: the label's halo needs the room.
        for text in g["labels"]:
            for node, box in g["nodes"].items():
                grown = {"left": box["left"] - 2, "right": box["right"] + 2, "top": box["top"] - 2, "bottom": box["bottom"] + 2}
                assert not overlap(text, grown), f"{text['text']} touches {node} at {step}"


# Names and op badges: a compact box had them 9 px apart, reading as one word ("f tanh").

@pytest.mark.parametrize("expression", [TANH_CHAIN, "tanh(w*x + b)", PLAYGROUND_20])
@pytest.mark.parametrize("width", [390, 1280])
def test_a_nodes_name_stays_clear_of_its_op_badge(page, expression, width):
    widget = live(page)
    page.set_viewport_size({"width": width, "height": 900})
    open_link(page, expression, {})
    gaps = widget.evaluate("""(w) => [...w.querySelectorAll('[data-node]')]
        .filter((n) => n.querySelector('text.op-badge').textContent)
        .map((n) => { const name = n.querySelector('tspan.name').getBoundingClientRect();
                      const badge = n.querySelector('text.op-badge').getBoundingClientRect();
                      return [n.dataset.node, badge.left - name.right, name.bottom > badge.top && badge.bottom > name.top]; })""")
    assert gaps, "no node has an op badge"
    for node, gap, same_line in gaps:
        assert same_line and gap >= 10, f"{node}: its name is {gap:.1f} px from its op badge"
