"""The six widgets in the built page: every number drawn is the CPython engine's, in static mode (before
Python is up) and live; steps follow the engine's order; everything works from the keyboard; both
themes and a phone-sized screen render (screenshots are saved for a person to look at)."""

import json
import os
from pathlib import Path

import pytest

from conftest import wait_for_python, wait_until
from lesson import widgets

pytestmark = pytest.mark.timeout(240)

# A Worker that never starts: Python stays "booting", so the page runs on the build's numbers alone.
HOLD_PYTHON_BACK = "window.Worker = class { postMessage() {} terminate() {} };"
EXPLORE_SETTINGS = [(2.0, 3.0), (-3.5, 4.5), (0.0, 0.0), (5.0, -5.0), (-0.5, 1.5), (4.5, -2.0)]
NAMES = ["forward-steps", "compute-graph", "grad-accumulation", "neuron-training", "explore", "nn-backprop"]


def parse(text):
    """A data attribute's number (or JSON array) as Python reads it; "" means not shown / not defined."""
    return None if text == "" else json.loads(text)


def drawn_nodes(widget):
    """{id: (value, grad)} of every graph node drawn in `widget`, read from its data attributes."""
    return {node["id"]: (parse(node["value"]), parse(node["grad"]))
            for node in widget.locator("[data-node]").evaluate_all(
                "(nodes) => nodes.map((n) => ({id: n.dataset.node, value: n.dataset.value, grad: n.dataset.grad}))")}


def active_nodes(widget):
    """The ids of the nodes the current step highlights."""
    return widget.locator('[data-node][data-active="true"]').evaluate_all("(nodes) => nodes.map((n) => n.dataset.node)")


def engine_nodes(trace):
    """{id: (value, grad)} of a CPython trace: what every drawn node must show when nothing is hidden."""
    return {node["id"]: (node["data"], node["grad"]) for node in trace["nodes"]}


def static_page(page):
    """The page reloaded with Python held back, so every widget draws the build's numbers."""
    page.add_init_script(HOLD_PYTHON_BACK)
    page.reload()
    assert page.evaluate("document.documentElement.dataset.python") == "booting"
    return page


def expected_steps(trace, per_path=False):
    """From a CPython trace alone, per step: the nodes it highlights (the inputs, then each op in
    topological order; the output, then each record node with the inputs it sends gradients to),
    the nodes whose value is shown, and the gradients shown so far (the record's running "after"
    values). Returns (forward steps, backward steps)."""
    kinds = {node["id"]: node["kind"] for node in trace["nodes"]}
    shown = [i for i in trace["order"] if kinds[i] != "op"]
    forward = [{"active": set(shown), "values": list(shown), "grads": {}}]
    for i in trace["order"]:
        if kinds[i] == "op":
            shown.append(i)
            forward.append({"active": {i}, "values": list(shown), "grads": {}})
    grads = {trace["output"]: next(n["grad"] for n in trace["nodes"] if n["id"] == trace["output"])}
    backward = [{"active": {trace["output"]}, "values": shown, "grads": dict(grads)}]
    for record in trace["backward"]:
        entries = [e for e in record["inputs"] if kinds[e["to"]] != "const"]
        for group in ([[e] for e in entries] if per_path else [entries]):
            grads.update({e["to"]: e["after"] for e in group})
            active = {record["node"]} | {e["to"] for e in group}
            backward.append({"active": active, "values": shown, "grads": dict(grads)})
    return forward, backward


def check_step(widget, trace, step, phase):
    """The widget highlights the step's nodes and shows exactly its values and gradients (others empty)."""
    assert widget.get_attribute("data-phase") == phase
    assert set(active_nodes(widget)) == step["active"]
    drawn = drawn_nodes(widget)
    engine = engine_nodes(trace)
    assert {i: v for i, (v, _) in drawn.items() if v is not None} == {i: engine[i][0] for i in step["values"]}
    assert {i: g for i, (_, g) in drawn.items() if g is not None} == step["grads"]


def step_through(page, widget, trace, steps, phase):
    """Press Home, then → on the Step slider through `steps`, checking each one."""
    slider = widget.get_by_role("slider", name="Step", exact=True)
    slider.focus()
    page.keyboard.press("Home")
    for index, step in enumerate(steps):
        if index:
            page.keyboard.press("ArrowRight")
        check_step(widget, trace, step, phase)


def set_explore(widget, a, b):
    """Move the explore sliders to (a, b) (fill dispatches the input event a drag would)."""
    widget.get_by_role("slider", name="a", exact=True).fill(str(a))
    widget.get_by_role("slider", name="b", exact=True).fill(str(b))


# explore: every node equals the CPython engine, before Python is up and live.

def test_explore_draws_the_engines_numbers_before_python_is_up(page):
    static_page(page)
    widget = page.locator('[data-widget="explore"]')
    for a, b in EXPLORE_SETTINGS:
        set_explore(widget, a, b)
        # Read at once: the build's grid answers synchronously, inside the input event.
        assert widget.get_attribute("data-source") == "static"
        assert (float(widget.get_attribute("data-a")), float(widget.get_attribute("data-b"))) == (a, b)
        assert drawn_nodes(widget) == engine_nodes(widgets.explore(a, b)["trace"])
        rows = widget.locator("tbody tr").evaluate_all("(rows) => rows.map((r) => r.querySelector('td.how').textContent)")
        assert rows == [row["text"] for row in widgets.explore(a, b)["rows"]]


def test_explore_runs_the_engine_live_once_python_is_ready(lesson_page):
    page = lesson_page  # from file:// and over http
    wait_for_python(page)
    widget = page.locator('[data-widget="explore"]')
    for a, b in EXPLORE_SETTINGS[1:]:
        set_explore(widget, a, b)
        wait_until(page, "([w, a, b]) => w.dataset.source === 'python' && !w.dataset.busy"
                         " && Number(w.dataset.a) === a && Number(w.dataset.b) === b", [widget.element_handle(), a, b])
        assert (float(widget.get_attribute("data-a")), float(widget.get_attribute("data-b"))) == (a, b)
        assert drawn_nodes(widget) == engine_nodes(widgets.explore(a, b)["trace"])


def test_explore_sliders_work_from_the_keyboard(page):
    static_page(page)
    widget = page.locator('[data-widget="explore"]')
    slider = widget.get_by_role("slider", name="b", exact=True)
    slider.focus()
    for key, b in [("ArrowLeft", 2.5), ("ArrowLeft", 2.0), ("End", 5.0), ("Home", -5.0), ("ArrowRight", -4.5)]:
        page.keyboard.press(key)
        assert float(widget.get_attribute("data-b")) == b
        assert drawn_nodes(widget)["c"] == engine_nodes(widgets.explore(2.0, b)["trace"])["c"]


# Stepped widgets: each step is the engine's, in its order.

@pytest.mark.parametrize("name, make, per_path", [
    ("forward-steps", widgets.forward_steps, False),
    ("grad-accumulation", widgets.grad_accumulation, True),
])
def test_one_slider_widgets_step_forward_then_backward_in_the_engines_order(page, name, make, per_path):
    static_page(page)
    widget = page.locator(f'[data-widget="{name}"]')
    trace = make()["trace"]
    forward, backward = expected_steps(trace, per_path)
    slider = widget.get_by_role("slider", name="Step", exact=True)
    assert slider.get_attribute("max") == str(len(forward) + len(backward) - 1)
    step_through(page, widget, trace, forward, "forward")
    for step in backward:
        page.keyboard.press("ArrowRight")
        check_step(widget, trace, step, "backward")


@pytest.mark.parametrize("name, make", [("compute-graph", widgets.compute_graph), ("nn-backprop", widgets.nn_backprop)])
def test_toggle_widgets_step_each_pass_in_the_engines_order(page, name, make):
    if name == "nn-backprop":
        pytest.importorskip("numpy", reason="the reference trace needs the Tensor engine, which needs NumPy")
    static_page(page)
    widget = page.locator(f'[data-widget="{name}"]')
    trace = make()["trace"]
    forward, backward = expected_steps(trace)
    step_through(page, widget, trace, forward, "forward")
    # The pass toggle from the keyboard: → on the radio group chooses Backward and restarts at step 0.
    widget.get_by_role("radio", name="Forward").focus()
    page.keyboard.press("ArrowRight")
    assert widget.get_by_role("radio", name="Backward").is_checked()
    step_through(page, widget, trace, backward, "backward")
    if name == "nn-backprop":
        marked = widget.locator('[data-node][data-marked="true"]').evaluate_all("(n) => n.map((x) => x.dataset.node)")
        assert sorted(marked) == ["W", "b"]


def test_compute_graph_shows_the_lessons_gradients_and_no_gradient_for_the_target(page):
    static_page(page)
    widget = page.locator('[data-widget="compute-graph"]')
    widget.get_by_role("radio", name="Backward").check()
    widget.get_by_role("slider", name="Step", exact=True).fill("4")
    drawn = drawn_nodes(widget)
    assert {i: drawn[i][1] for i in ("loss", "diff", "z2", "z1", "b", "x", "w")} == pytest.approx(
        {"loss": 1, "diff": 0.6, "z2": 0.6, "z1": 0.6, "b": 0.6, "x": 0.3, "w": 1.2}, rel=1e-12)
    assert drawn["target"] == (0.8, None)
    assert "∂loss/∂w += 2 × 0.6 = 1.2." in widget.locator(".step-text").text_content()


def test_nn_backprop_says_why_it_is_not_live_without_numpy(page):
    wait_for_python(page)
    widget = page.locator('[data-widget="nn-backprop"]')
    if page.evaluate("document.documentElement.dataset.numpy") == "live":
        wait_until(page, "(w) => w.dataset.source === 'python'", widget.element_handle())
        assert drawn_nodes(widget)["W"][0] == widgets.LAYER["W"]
    else:
        assert "without NumPy" in widget.locator(".widget-note").text_content()


# The loss chart: its points are the engine's losses, and it re-trains live.

def chart_points(widget):
    """[(step, loss)] of the chart's points, from their data attributes."""
    return [(int(p["step"]), float(p["loss"])) for p in widget.locator("circle[data-loss]").evaluate_all(
        "(points) => points.map((p) => ({step: p.dataset.step, loss: p.dataset.loss}))")]


def test_loss_chart_points_are_the_engines_training_losses(page):
    static_page(page)
    widget = page.locator('[data-widget="neuron-training"]')
    assert chart_points(widget) == list(enumerate(widgets.neuron_training()["losses"]))
    assert widget.get_by_role("button", name="Train again").is_disabled()


def test_training_reruns_live_and_reports_pythons_error(page):
    wait_for_python(page)
    widget = page.locator('[data-widget="neuron-training"]')
    widget.get_by_label("Learning rate").fill("0.1")
    widget.get_by_label("Steps").fill("7")
    widget.get_by_label("Steps").press("Enter")  # submits the form, as a keyboard user would
    wait_until(page, "(w) => w.dataset.source === 'python' && w.dataset.steps === '7' && !w.dataset.busy",
               widget.element_handle())
    points = chart_points(widget)
    assert [step for step, _ in points] == list(range(7))
    # tanh comes from the C library, and Pyodide's (Emscripten's musl) can differ from CPython's
    # glibc in the last bit or two, so live losses equal CPython's to 1e-12, not bit for bit.
    assert [loss for _, loss in points] == pytest.approx(widgets.neuron_training(lr=0.1, steps=7)["losses"], rel=1e-12)
    widget.get_by_label("Learning rate").fill("-1")
    widget.get_by_role("button", name="Train again").click()
    wait_until(page, "(w) => w.querySelector('[role=alert]').textContent", widget.element_handle())
    assert "learning rate must be between 0.001 and 10, got -1" in widget.get_by_role("alert").text_content()
    assert widget.get_attribute("data-steps") == "7"  # the last good run stays drawn


# Themes and a phone-sized screen.

@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory):
    """Where the screenshots go: $LESSON_SCREENSHOTS, or a pytest temporary folder."""
    folder = Path(os.environ.get("LESSON_SCREENSHOTS") or tmp_path_factory.mktemp("widget-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1100, 375])
def test_widgets_render_in_both_themes_at_desktop_and_phone_width(page, scheme, width, screenshot_dir):
    static_page(page)
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    fills = set()
    for name in NAMES:
        widget = page.locator(f'[data-widget="{name}"]')
        widget.scroll_into_view_if_needed()
        # Nothing spills out sideways: the SVGs scale or turn top-to-bottom, tables stack.
        overflow = widget.evaluate("(w) => w.scrollWidth - w.clientWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than its box at {width}px"
        svg_text = widget.locator("svg tspan.name, svg .axis .tick text").first
        assert svg_text.evaluate("(t) => t.getBoundingClientRect().height") >= 7, f"{name}: text too small to read"
        widget.screenshot(path=str(screenshot_dir / f"{name}-{scheme}-{width}.png"))
        fills.add(widget.evaluate("(w) => getComputedStyle(w).backgroundColor"))
    background = {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}[scheme]
    assert fills == {background}  # theme.css's --bg in that scheme
    print(f"screenshots in {screenshot_dir}")
