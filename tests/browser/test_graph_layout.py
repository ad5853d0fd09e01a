"""Graphs that read on a phone and on a laptop: a graph too wide for its column at the smallest text size
(10 px) is laid out top to bottom instead (<svg data-direction="down">), following the column's width as
it changes and never while a slider drags; boxes, edge labels and op badges stay clear of each other;
stepping scrolls the step's nodes into view inside the graph's own scroller, never the page."""

import pytest

from harness import GLIDING, after_frames, wait_until
from lesson import widgets
from test_playground_page import live, open_link
from test_widgets_in_page import all_mounted, assert_graph_drawn, check_readable, drawn_nodes

pytestmark = pytest.mark.timeout(240)

LESSON_GRAPHS = ["forward-steps", "compute-graph", "grad-accumulation", "explore", "nn-backprop"]
# At 390 px the chains of forward-steps, compute-graph and nn-backprop do not fit left to right at 10 px
# text (they scrolled 100 to 800 px sideways); grad-accumulation and explore fit as they are.
DIRECTION_AT_390 = {"forward-steps": "down", "compute-graph": "down", "grad-accumulation": "right",
                    "explore": "right", "nn-backprop": "down"}
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
    drawn = widget.evaluate(GEOMETRY_JS)
    assert_graph_drawn(drawn, "the graph")
    return drawn


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


def wait_for_direction(widget, direction):
    """Wait until the widget's graph is drawn in `direction`."""
    wait_until(widget.page, "([w, d]) => w.querySelector('.graph-view svg').dataset.direction === d",
               [widget.element_handle(), direction], timeout_ms=5000)


# A phone: every lesson graph fits its column, in the direction that fits, readable at every step.

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_at_390_px_every_lesson_graph_fits_its_column_and_stays_readable(static_lesson, scheme, screenshot):
    page = static_lesson
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    page.set_viewport_size({"width": 390, "height": 900})
    for name in LESSON_GRAPHS:
        widget = page.locator(f'[data-widget="{name}"]')
        widget.scroll_into_view_if_needed()
        wait_for_direction(widget, DIRECTION_AT_390[name])
        for step in steps_of(widget):
            g = check_drawing(page, widget, f"{name} at {step}")
            assert g["direction"] == DIRECTION_AT_390[name], f"{name} at {step}"
            assert g["overflow"] <= 1, f"{name} at {step}: the graph scrolls {g['overflow']} px sideways"
        screenshot(widget, f"layout-{name}-end-{scheme}-390.png")


# Edge labels: beside their edge, clear of every box.

def test_edge_labels_sit_clear_of_the_boxes_left_to_right_too(static_lesson):
    """compute-graph's '+0.3' and '+1.2' touched the boxes of w, x and z1 at 1280 px."""
    page = static_lesson
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


# Layers by depth: a column each left to right, a row each top to bottom.

def depth_of(trace):
    """The layer of each node, by the layout's rule: an op one after its deepest input, an input just before
    its first consumer."""
    inputs = {i: [] for i in trace["order"]}
    consumers = {i: [] for i in trace["order"]}
    for edge in trace["edges"]:
        inputs[edge["target"]].append(edge["source"])
        consumers[edge["source"]].append(edge["target"])
    depth = {}
    for i in trace["order"]:
        depth[i] = 1 + max(depth[j] for j in inputs[i]) if inputs[i] else 0
    for i in trace["order"]:
        if not inputs[i] and consumers[i]:
            depth[i] = min(depth[c] for c in consumers[i]) - 1
    return depth


@pytest.mark.parametrize("width, direction, axis", [(1280, "right", ("left", "right")), (390, "down", ("top", "bottom"))])
def test_each_layer_is_a_column_or_a_row_by_depth(static_lesson, width, direction, axis):
    page = static_lesson
    page.set_viewport_size({"width": width, "height": 900})
    widget = page.locator('[data-widget="compute-graph"]')
    widget.scroll_into_view_if_needed()
    wait_for_direction(widget, direction)
    depth = depth_of(widgets.compute_graph()["trace"])
    low, high = axis
    centres = {node: (box[low] + box[high]) / 2 for node, box in geometry(widget)["nodes"].items()}
    layers = {}
    for node, d in depth.items():
        layers.setdefault(d, []).append(centres[node])
    for d, along in layers.items():
        assert max(along) - min(along) < 0.5, f"layer {d} is not one {'column' if direction == 'right' else 'row'}: {along}"
    ordered = [layers[d][0] for d in sorted(layers)]
    assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered), ordered   # inputs first (left, or on top)


# A laptop: nn-backprop, which scrolled even at 1280 px, is whole on screen.

def test_at_1280_px_the_whole_nn_backprop_graph_is_on_screen(static_lesson, screenshot):
    page = static_lesson
    page.set_viewport_size({"width": 1280, "height": 900})
    widget = page.locator('[data-widget="nn-backprop"]')
    widget.get_by_role("radio", name="Backward").check()
    for step in steps_of(widget):
        graph = widget.locator(".graph-view svg")
        graph.evaluate("(svg) => svg.scrollIntoView({block: 'center', behavior: 'instant'})")
        g = geometry(widget)
        assert g["overflow"] <= 1, f"the graph scrolls {g['overflow']} px sideways at {step}"
        header = page.evaluate("() => document.querySelector('.site-header').getBoundingClientRect().bottom")
        for node, box in g["nodes"].items():   # every box inside the scroller and the window, below the sticky header
            assert g["scroller"]["left"] <= box["left"] and box["right"] <= g["scroller"]["right"], f"{node} at {step}"
            assert header <= box["top"] and box["bottom"] <= 900, f"{node} is off screen at {step}"
        check_drawing(page, widget, f"nn-backprop at {step}")
    screenshot(widget, "layout-nn-backprop-end-1280.png")


# The direction follows the column's width, and nothing else.

def test_resizing_turns_the_graph_and_back_without_changing_what_it_shows(static_lesson):
    page = static_lesson
    widget = page.locator('[data-widget="compute-graph"]')
    widget.get_by_role("radio", name="Backward").check()
    widget.get_by_role("slider", name="Step", exact=True).fill("2")
    shown = {}
    for width, direction in [(1280, "right"), (390, "down"), (1280, "right")]:
        page.set_viewport_size({"width": width, "height": 900})
        wait_for_direction(widget, direction)
        # Turned at once, not gliding: the boxes are where they end up, and stay there.
        transforms = "(w) => [...w.querySelectorAll('[data-node]')].map((n) => n.getAttribute('transform'))"
        now = widget.evaluate(transforms)
        assert not widget.evaluate(GLIDING), f"the boxes glide after turning {direction}"
        after_frames(page, 10)   # a glide would have moved them on every frame
        assert widget.evaluate(transforms) == now, f"the boxes moved after turning {direction}"
        shown[direction] = drawn_nodes(widget), widget.locator("[data-node]").evaluate_all(
            "(nodes) => nodes.map((n) => [n.dataset.node, n.dataset.active, n.dataset.kind])")
        check_drawing(page, widget, f"compute-graph at {width} px")
    assert shown["right"] == shown["down"]   # the same nodes, numbers and highlights, whichever way they are drawn


def test_a_slider_drag_never_turns_the_graph(live_lesson):
    page = all_mounted(live_lesson)
    page.set_viewport_size({"width": 390, "height": 900})
    widget = page.locator('[data-widget="compute-graph"]')
    widget.scroll_into_view_if_needed()
    wait_for_direction(widget, "down")
    # Every direction the graph had before a write of the attribute (a write with the same value counts too).
    widget.evaluate("""(w) => { window.directions = [];
        window.directionWatch = new MutationObserver((records) => { window.directions.push(...records.map((r) => r.oldValue)); });
        directionWatch.observe(w.querySelector('.graph-view svg'), {attributeFilter: ['data-direction'], attributeOldValue: true}); }""")
    slider = widget.get_by_role("slider", name="x", exact=True)
    start = slider.input_value()
    for value in ["-3", "-1.5", "0", "0.5", "1.5", "3", "2", start]:   # ending where it began, for the next test
        slider.fill(value)
        wait_until(page, "([w, x]) => w.dataset.source === 'python' && !w.dataset.busy && Number(w.dataset.x) === x",
                   [widget.element_handle(), float(value)])
    page.evaluate("() => directionWatch.disconnect()")
    assert set(page.evaluate("window.directions")) <= {"down"}
    assert geometry(widget)["direction"] == "down"


def open_afresh(page, expression):
    """open_link on the shared page, by way of another link: the same link twice changes nothing, so the
    graph would not be drawn again for this test's screen."""
    open_link(page, "x", {})
    return open_link(page, expression, {})


# Stepping a graph that still scrolls (the playground's 20 nodes on a phone) keeps the step in view.

def test_stepping_scrolls_the_steps_nodes_into_view_inside_the_graph_only(live_lesson, screenshot):
    page = live_lesson
    widget = live(page)
    page.emulate_media(reduced_motion="reduce")   # scrolls at once
    page.set_viewport_size({"width": 390, "height": 900})
    engine = open_afresh(page, PLAYGROUND_20)
    widget.get_by_role("radio", name="Backward, step by step").check()
    stepper = widget.get_by_role("slider", name="Backward step")
    stepper.focus()
    assert geometry(widget)["overflow"] > 0, "this graph must scroll at 390 px for the test to mean anything"
    page_scroll = page.evaluate("() => [scrollX, scrollY]")
    for index, step in enumerate(engine["backward"]):
        if index:
            page.keyboard.press("ArrowRight")
        g = geometry(widget)
        view = g["scroller"]
        inside = lambda node: view["left"] <= g["nodes"][node]["left"] and g["nodes"][node]["right"] <= view["right"]  # noqa: E731
        span = max(g["nodes"][n]["right"] for n in step["active"]) - min(g["nodes"][n]["left"] for n in step["active"])
        wanted = step["active"] if span + 24 <= view["right"] - view["left"] else step["active"][:1]
        assert all(inside(node) for node in wanted), f"step {index}: {wanted} not all in view"
        assert page.evaluate("() => [scrollX, scrollY]") == page_scroll, "stepping scrolled the page"
    screenshot(widget, "layout-playground-20-backward-390.png")
    widget.get_by_role("radio", name="Values and gradients").check()   # the mode a fresh page shows


# Names and op badges: a compact box had them 9 px apart, reading as one word ("f tanh").

@pytest.mark.parametrize("expression", [TANH_CHAIN, "tanh(w*x + b)", PLAYGROUND_20])
@pytest.mark.parametrize("width", [390, 1280])
def test_a_nodes_name_stays_clear_of_its_op_badge(live_lesson, expression, width):
    page = live_lesson
    widget = live(page)
    page.set_viewport_size({"width": width, "height": 900})
    open_afresh(page, expression)
    gaps = widget.evaluate("""(w) => [...w.querySelectorAll('[data-node]')]
        .filter((n) => n.querySelector('text.op-badge').textContent)
        .map((n) => { const name = n.querySelector('tspan.name').getBoundingClientRect();
                      const badge = n.querySelector('text.op-badge').getBoundingClientRect();
                      return [n.dataset.node, badge.left - name.right, name.bottom > badge.top && badge.bottom > name.top]; })""")
    assert gaps, "no node has an op badge"
    for node, gap, same_line in gaps:
        assert same_line and gap >= 10, f"{node}: its name is {gap:.1f} px from its op badge"
