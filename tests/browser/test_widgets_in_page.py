"""The six widgets in the built page: every number drawn is the CPython engine's, in static mode (before
Python is up) and live; steps follow the engine's order; everything works from the keyboard; both
themes and a phone-sized screen render (screenshots under $LESSON_SCREENSHOTS, for a person to look at)."""

import json
import math
import subprocess

import pytest

from harness import (EVERY_WIDGET_MOUNTED, HOLD_PYTHON_BACK, NO_TRANSITION_RUNNING_IN, ROOT, browser_local_storage,
                     offscreen_mount_wait, open_page, wait_for_python, wait_until, wait_until_the_browser_stores)
from lesson import widgets

pytestmark = pytest.mark.timeout(240)

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


def all_mounted(page):
    """Wait until every widget is mounted (those off screen mount when idle, within a second or two)."""
    wait_until(page, EVERY_WIDGET_MOUNTED)
    return page


def wait_for_explore_grid(widget):
    """Wait for the explore grid the build embeds (lesson.widgets.explore_grid in a data block): it must arrive."""
    state = widget.page.evaluate(
        "(w) => new Promise((done) => { const look = () => w.dataset.grid === 'loading' ? setTimeout(look, 20)"
        " : done(w.dataset.grid); look(); })", widget.element_handle())
    assert state == "ready", "the explore widget got no grid: before Python is live only its start setting can be drawn"


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


def step_through(page, widget, trace, steps, phase, check=check_step):
    """Press Home, then → on the Step slider through `steps`, checking each one (with `check`, as check_step)."""
    slider = widget.get_by_role("slider", name="Step", exact=True)
    slider.focus()
    page.keyboard.press("Home")
    for index, step in enumerate(steps):
        if index:
            page.keyboard.press("ArrowRight")
        check(widget, trace, step, phase)


def set_explore(widget, a, b):
    """Move the explore sliders to (a, b) (fill dispatches the input event a drag would)."""
    widget.get_by_role("slider", name="a", exact=True).fill(str(a))
    widget.get_by_role("slider", name="b", exact=True).fill(str(b))


# explore: every node equals the CPython engine, before Python is up and live.

def test_explore_first_paint_is_the_start_setting_before_python_is_up(static_lesson):
    page = static_lesson
    widget = page.locator('[data-widget="explore"]')
    assert (widget.get_attribute("data-source"), widget.get_attribute("data-a"), widget.get_attribute("data-b")) == (
        "static", "2", "3")
    assert drawn_nodes(widget) == engine_nodes(widgets.explore(2.0, 3.0)["trace"])


def test_explore_draws_the_engines_numbers_before_python_is_up(static_lesson):
    page = static_lesson
    widget = page.locator('[data-widget="explore"]')
    wait_for_explore_grid(widget)
    for a, b in EXPLORE_SETTINGS:
        set_explore(widget, a, b)
        # Read at once: once the build's grid is in, it answers synchronously, inside the input event.
        assert widget.get_attribute("data-source") == "static"
        assert (float(widget.get_attribute("data-a")), float(widget.get_attribute("data-b"))) == (a, b)
        assert drawn_nodes(widget) == engine_nodes(widgets.explore(a, b)["trace"])
        rows = widget.locator("tbody tr").evaluate_all("(rows) => rows.map((r) => r.querySelector('td.how').textContent)")
        assert rows == [row["text"] for row in widgets.explore(a, b)["rows"]]


def wait_for_explore(widget, a, b):
    """Wait until explore draws Python's answer for (a, b)."""
    wait_until(widget.page, "([w, a, b]) => w.dataset.source === 'python' && !w.dataset.busy"
                            " && Number(w.dataset.a) === a && Number(w.dataset.b) === b", [widget.element_handle(), a, b])


def test_explore_runs_the_engine_live_once_python_is_ready(live_lessons):
    page = live_lessons  # from file:// and over http
    widget = page.locator('[data-widget="explore"]')
    for a, b in EXPLORE_SETTINGS[1:]:
        set_explore(widget, a, b)
        wait_for_explore(widget, a, b)
        assert (float(widget.get_attribute("data-a")), float(widget.get_attribute("data-b"))) == (a, b)
        assert drawn_nodes(widget) == engine_nodes(widgets.explore(a, b)["trace"])
    set_explore(widget, *EXPLORE_SETTINGS[0])  # back to the lesson's setting, for the next test on this page
    wait_for_explore(widget, *EXPLORE_SETTINGS[0])


def test_explore_sliders_work_from_the_keyboard(static_lesson):
    page = static_lesson
    widget = page.locator('[data-widget="explore"]')
    wait_for_explore_grid(widget)
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
def test_one_slider_widgets_step_forward_then_backward_in_the_engines_order(static_lesson, name, make, per_path):
    page = static_lesson
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
def test_toggle_widgets_step_each_pass_in_the_engines_order(static_lesson, name, make):
    if name == "nn-backprop":
        pytest.importorskip("numpy", reason="the reference trace needs the Tensor engine, which needs NumPy")
    page = static_lesson
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


BOX_SIZES_JS = """(w) => Object.fromEntries([...w.querySelectorAll('[data-node]')].map((g) => {
  const box = g.querySelector('rect');
  return [g.dataset.node, [box.getAttribute('width'), box.getAttribute('height')]];
}))"""


@pytest.mark.parametrize("name", ["forward-steps", "grad-accumulation", "compute-graph", "nn-backprop"])
def test_stepping_through_either_pass_never_resizes_a_box(static_lesson, name):
    """Each box is sized from step 0 for everything a step will show in it (its value, gradient and the
    sum of its paths), so walking through the passes never shifts the graph."""
    page = static_lesson
    widget = page.locator(f'[data-widget="{name}"]')
    passes = ["Forward", "Backward"] if widget.get_by_role("radio", name="Backward").count() else [None]
    slider = widget.get_by_role("slider", name="Step", exact=True)
    first = None
    for chosen in passes:
        if chosen:
            widget.get_by_role("radio", name=chosen).check()
        slider.focus()
        page.keyboard.press("Home")
        for index in range(int(slider.get_attribute("max")) + 1):
            if index:
                page.keyboard.press("ArrowRight")
            assert widget.get_attribute("data-step") == str(index)
            sizes = widget.evaluate(BOX_SIZES_JS)
            assert sizes, f"{name}: no box drawn"
            first = first or sizes
            assert sizes == first, f"{name}, {chosen or 'walk'} step {index}: boxes resized"

# The stepped widgets' input sliders: each move re-runs the engine live; before Python is up they wait.

STEPPED_LIVE = {  # widget -> (its lesson.widgets function, a setting per row for its sliders)
    "forward-steps": (widgets.forward_steps, [{"x": -1.5}, {"x": 0.0}, {"x": 3.0}]),
    "compute-graph": (widgets.compute_graph, [{"x": -3.0, "w": -2.0, "b": -1.0}, {"x": 1.5, "w": 0.3, "b": -0.4},
                                              {"x": 0.0, "w": 2.0, "b": 1.0}]),
    "grad-accumulation": (widgets.grad_accumulation, [{"a": -5.0}, {"a": -2.5}, {"a": 0.5}]),
}
SHOWN_SETTING_JS = ("([w, settings]) => w.dataset.source === 'python' && !w.dataset.busy"
                    " && Object.entries(settings).every(([name, value]) => Number(w.dataset[name]) === value)")


def set_sliders(widget, settings):
    """Move the widget's input sliders, each found by its accessible name (the variable's name)."""
    for name, value in settings.items():
        widget.get_by_role("slider", name=name, exact=True).fill(str(value))


def wait_for_live(widget, settings):
    """Wait until the widget draws Python's answer for `settings`."""
    wait_until(widget.page, SHOWN_SETTING_JS, [widget.element_handle(), settings])


def set_back_stepped(widget, make):
    """Put a stepped widget back as a fresh page shows it (for the next test on a shared page): the
    lesson's setting, the forward pass where it has a toggle, step 0."""
    start = {slider["name"]: slider["value"] for slider in make()["sliders"]}
    set_sliders(widget, start)
    wait_for_live(widget, start)
    forward = widget.get_by_role("radio", name="Forward")
    if forward.count():
        forward.check()
    widget.get_by_role("slider", name="Step", exact=True).fill("0")


@pytest.mark.parametrize("name", list(STEPPED_LIVE))
def test_stepped_widgets_rerun_live_at_several_settings_in_the_engines_order(live_lesson, name):
    make, settings_list = STEPPED_LIVE[name]
    page = all_mounted(live_lesson)
    widget = page.locator(f'[data-widget="{name}"]')
    # A slider per input, named by its variable, starting at the lesson's setting.
    for slider in make()["sliders"]:
        assert widget.get_by_role("slider", name=slider["name"], exact=True).input_value() == f"{slider['value']:g}"
    for settings in settings_list:
        set_sliders(widget, settings)
        wait_for_live(widget, settings)
        result = make(**settings)
        trace = result["trace"]
        forward, backward = expected_steps(trace, per_path=name == "grad-accumulation")
        step_through(page, widget, trace, forward, "forward")
        if name == "compute-graph":
            widget.get_by_role("radio", name="Backward").check()
            step_through(page, widget, trace, backward, "backward")
            widget.get_by_role("radio", name="Forward").check()
        else:
            for step in backward:
                page.keyboard.press("ArrowRight")
                check_step(widget, trace, step, "backward")
        # The caption is Python's text for the step the stepping ended on, at this setting.
        ended = result["forward"][0] if name == "compute-graph" else result["backward"][-1]
        assert widget.locator(".step-text").text_content() == ended["text"]
    set_back_stepped(widget, make)


def test_compute_graph_keeps_the_lessons_numbers_at_its_default_setting_live(live_lesson):
    page = all_mounted(live_lesson)
    widget = page.locator('[data-widget="compute-graph"]')
    wait_for_live(widget, {"x": 2.0, "w": 0.5, "b": 0.1})
    widget.get_by_role("radio", name="Backward").check()
    widget.get_by_role("slider", name="Step", exact=True).fill("4")
    set_sliders(widget, {"w": 1.0})
    set_sliders(widget, {"w": 0.5})  # back to the lesson's setting: 0.5 exactly, from a slider of step 0.1
    wait_for_live(widget, {"x": 2.0, "w": 0.5, "b": 0.1})
    assert widget.get_attribute("data-step") == "4"  # the step shown stays where it was
    drawn = drawn_nodes(widget)
    assert drawn["loss"][0] == pytest.approx(0.09, rel=1e-12)
    assert {i: drawn[i][1] for i in ("diff", "z2", "z1", "b", "x", "w")} == pytest.approx(
        {"diff": 0.6, "z2": 0.6, "z1": 0.6, "b": 0.6, "x": 0.3, "w": 1.2}, rel=1e-12)
    set_back_stepped(widget, widgets.compute_graph)


# For wait_until, with [widget, selector]: each element of the widget `selector` finds shows its busy bar.
BAR_SHOWN_OVER = """([widget, selector]) => [...widget.querySelectorAll(selector)].every((element) => {
  const bar = getComputedStyle(element, '::after');
  return bar.content !== 'none' && bar.opacity === '1';
})"""
# The texts in a widget drawn at less than full opacity (an ancestor's opacity multiplies in), with that opacity.
DIMMED_TEXTS = """(widget) => {
  const dimmed = [];
  for (const element of widget.querySelectorAll('*')) {
    if (![...element.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())) continue;
    let opacity = 1;
    for (let e = element; e && e !== widget.parentElement; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
    if (opacity < 1) dimmed.push([element.textContent.trim().slice(0, 30), opacity]);
  }
  return dimmed;
}"""


@pytest.mark.parametrize("name", list(STEPPED_LIVE))
def test_before_python_is_up_another_setting_waits_for_it_saying_so(static_lesson, name):
    make, settings_list = STEPPED_LIVE[name]
    page = static_lesson
    widget = page.locator(f'[data-widget="{name}"]')
    built = make()
    first_step = expected_steps(built["trace"], per_path=name == "grad-accumulation")[0][0]
    note = widget.locator(".widget-note")
    assert widget.get_attribute("data-source") == "static"
    set_sliders(widget, settings_list[0])
    assert widget.get_attribute("data-busy") == "true"
    assert "computing live once Python is ready" in note.text_content()
    # Once the wait lasts, a bar over the graph says so, and every text keeps its full contrast (no dimming).
    wait_until(page, BAR_SHOWN_OVER, [widget.element_handle(), ".graph-view"])
    wait_until(page, NO_TRANSITION_RUNNING_IN, widget.element_handle())
    assert widget.evaluate(DIMMED_TEXTS) == []
    # Still the build's setting, drawn from the build, until Python answers.
    assert {s: float(widget.get_attribute(f"data-{s}")) for s in built["settings"]} == built["settings"]
    check_step(widget, built["trace"], first_step, "forward")
    set_sliders(widget, built["settings"])
    assert widget.get_attribute("data-busy") is None and widget.get_attribute("data-source") == "static"
    assert "computing live" not in note.text_content()
    check_step(widget, built["trace"], first_step, "forward")


DELAY_CALLS_JS = """(delayed) => {
  const call = lesson.bridge.call.bind(lesson.bridge);
  window.lateAnswered = false;
  // An answer that comes late (as behind a busy worker): the newer one must win however they arrive.
  lesson.bridge.call = (name, args, options) => {
    const answer = call(name, args, options);
    const late = JSON.stringify(args) === JSON.stringify(delayed);
    // Once the late answer is handed over, the widget's own handlers run; the flag is raised after them.
    const handOver = (result, done) => { done(result); setTimeout(() => { lateAnswered = true; }, 0); };
    return late ? answer.then((result) => new Promise((done) => setTimeout(() => handOver(result, done), 500))) : answer;
  };
}"""


def test_only_the_newest_answer_is_drawn(page):
    wait_for_python(page)
    all_mounted(page)
    widget = page.locator('[data-widget="forward-steps"]')
    wait_for_live(widget, {"x": 2.0})
    widget.get_by_role("slider", name="Step", exact=True).focus()
    page.keyboard.press("End")  # the last step shows every value and gradient
    page.evaluate(DELAY_CALLS_JS, {"x": -3})
    set_sliders(widget, {"x": -3.0})
    set_sliders(widget, {"x": 1.0})
    wait_for_live(widget, {"x": 1.0})
    wait_until(page, "() => lateAnswered")  # the late answer for x = -3 has arrived and been handled
    assert widget.get_attribute("data-x") == "1"
    assert drawn_nodes(widget) == engine_nodes(widgets.forward_steps(1.0)["trace"])


def test_the_step_slider_stays_in_range_when_a_new_graph_has_fewer_steps(context, dist):
    """stepped.js alone, bundled into a bare page, fed two of Python's results with 8 and then 5 steps."""
    bundle = subprocess.run([str(ROOT / "node_modules/.bin/esbuild"), str(ROOT / "web/js/widgets/stepped.js"),
                             "--bundle", "--format=iife", "--global-name=stepped"], capture_output=True, check=True).stdout
    steps_only = lambda result: {key: result[key] for key in ("trace", "forward", "backward")}  # no sliders, no bridge
    page_file = dist / "stepped-test.html"  # inside dist/ so the request guard allows it
    page_file.write_bytes(b'<!doctype html><meta charset="utf-8"><div id="w"></div><script>' + bundle + b"</script>")
    try:
        page = open_page(context, page_file.as_uri())
        page.evaluate("(state) => { window.widget = stepped.mountSteppedGraph(document.getElementById('w'), {state}); }",
                      steps_only(widgets.forward_steps()))
        slider = page.get_by_role("slider", name="Step", exact=True)
        slider.fill("7")
        assert page.locator("#w").get_attribute("data-step") == "7"
        page.evaluate("(state) => widget.update(state)", steps_only(widgets.grad_accumulation()))
        assert (slider.get_attribute("max"), slider.input_value(), page.locator("#w").get_attribute("data-step")) == ("4", "4", "4")
        assert page.locator("#w .range-field output").text_content() == "Backward, step 2 of 2"
        assert page.locator("#w .step-text").text_content() == widgets.grad_accumulation()["backward"][-1]["text"]
    finally:
        page_file.unlink()


def test_compute_graph_shows_the_lessons_gradients_and_no_gradient_for_the_target(static_lesson):
    page = static_lesson
    widget = page.locator('[data-widget="compute-graph"]')
    widget.get_by_role("radio", name="Backward").check()
    widget.get_by_role("slider", name="Step", exact=True).fill("4")
    drawn = drawn_nodes(widget)
    assert {i: drawn[i][1] for i in ("loss", "diff", "z2", "z1", "b", "x", "w")} == pytest.approx(
        {"loss": 1, "diff": 0.6, "z2": 0.6, "z1": 0.6, "b": 0.6, "x": 0.3, "w": 1.2}, rel=1e-12)
    assert drawn["target"] == (0.8, None)
    assert "∂loss/∂w += 2 × 0.6 = 1.2." in widget.locator(".step-text").text_content()


def test_backward_edge_labels_show_what_each_step_adds_with_its_sign(live_lesson):
    settings = {"x": -2.0, "w": 0.5, "b": 0.1}  # y = -0.9 is below the target: negative gradients
    page = all_mounted(live_lesson)
    widget = page.locator('[data-widget="compute-graph"]')
    set_sliders(widget, settings)
    wait_for_live(widget, settings)
    widget.get_by_role("radio", name="Backward").check()
    backward = widgets.compute_graph(**settings)["trace"]["backward"]
    for index, record in enumerate(backward, start=1):
        widget.get_by_role("slider", name="Step", exact=True).fill(str(index))
        labels = widget.locator("text.edge-label").all_text_contents()
        added = [entry["added"] for entry in record["inputs"] if entry["added"] is not None]
        # One label per input the step adds to, in the engine's numbers: "+0.3", "+(-3.4)", never "+-3.4".
        assert sorted(labels) == sorted(f"+({a:.4g})" if a < 0 else f"+{a:.4g}" for a in added)
        assert not any("+-" in label for label in labels)
    assert any(label.startswith("+(-") for label in labels)
    set_back_stepped(widget, widgets.compute_graph)


def edge_labels(widget):
    """{edge key: text} of the labels drawn beside the graph's edges."""
    return widget.locator("text.edge-label").evaluate_all(
        "(ts) => Object.fromEntries(ts.map((t) => [t.dataset.edge, t.textContent]))")


def node_sums(widget):
    """{node id: "3 + 3 = 6"} where the graph shows paths adding up."""
    return widget.locator("[data-sum]").evaluate_all("(ns) => Object.fromEntries(ns.map((n) => [n.dataset.node, n.dataset.sum]))")


def keyed(edges):
    """Python's labelled edges as the page keys them."""
    return {f"{e['source']}>{e['target']}#{e['slot']}": e["label"] for e in edges}


def test_grad_accumulations_last_step_shows_both_paths_and_their_sum(static_lesson):
    page = static_lesson
    widget = page.locator('[data-widget="grad-accumulation"]')
    widget.get_by_role("slider", name="Step", exact=True).focus()
    page.keyboard.press("End")
    # The lesson's numbers: a = 3, each path brings 3, and they add to 6.
    assert edge_labels(widget) == {"a>c#0": "path 1: 3", "a>c#1": "path 2: 3"}
    assert node_sums(widget) == {"a": "3 + 3 = 6"}
    assert "3 + 3 = 6" in widget.locator("[data-node=a]").text_content()


def test_grad_accumulation_paths_follow_a_live_setting(live_lesson):
    page = all_mounted(live_lesson)
    widget = page.locator('[data-widget="grad-accumulation"]')
    set_sliders(widget, {"a": -2.5})
    wait_for_live(widget, {"a": -2.5})
    widget.get_by_role("slider", name="Step", exact=True).focus()
    page.keyboard.press("End")
    last = widgets.grad_accumulation(-2.5)["backward"][-1]
    assert edge_labels(widget) == keyed(last["edges"]) == {"a>c#0": "path 1: -2.5", "a>c#1": "path 2: -2.5"}
    assert node_sums(widget) == last["sums"] == {"a": "-2.5 + (-2.5) = -5"}
    set_back_stepped(widget, widgets.grad_accumulation)


def test_explore_labels_b_s_two_paths_with_cpythons_shares(live_lesson):
    page = all_mounted(live_lesson)
    widget = page.locator('[data-widget="explore"]')
    assert edge_labels(widget) == {"b>c#1": "5 via ×", "b>sum#1": "3 via +"}   # the lesson's a = 2, b = 3
    assert node_sums(widget) == {"b": "5 + 3 = 8"}
    for a, b in ((-3.5, 4.5), (4.5, -2.0), (0.5, -0.5)):
        set_explore(widget, a, b)
        wait_for_explore(widget, a, b)
        paths = widgets.explore(a, b)["paths"]
        assert edge_labels(widget) == keyed(paths["edges"]) and node_sums(widget) == paths["sums"]
    set_explore(widget, *EXPLORE_SETTINGS[0])  # back to the lesson's setting, for the next test on this page
    wait_for_explore(widget, *EXPLORE_SETTINGS[0])


# The loss chart: its points are the engine's losses, and it re-trains live.

def chart_points(widget):
    """[(step, loss)] of the chart's points, from their data attributes."""
    return [(int(p["step"]), float(p["loss"])) for p in widget.locator("circle[data-loss]").evaluate_all(
        "(points) => points.map((p) => ({step: p.dataset.step, loss: p.dataset.loss}))")]


def test_loss_chart_points_are_the_engines_training_losses(static_lesson):
    page = static_lesson
    widget = page.locator('[data-widget="neuron-training"]')
    assert chart_points(widget) == list(enumerate(widgets.neuron_training()["losses"]))
    assert widget.get_by_role("button", name="Train again").is_disabled()


def train(widget, lr, steps):
    """Train with the learning rate and steps given (Enter in Steps submits) and wait for Python's run."""
    widget.get_by_label("Learning rate").fill(str(lr))
    widget.get_by_label("Steps").fill(str(steps))
    widget.get_by_label("Steps").press("Enter")
    wait_until(widget.page, "([w, steps]) => w.dataset.source === 'python' && w.dataset.steps === steps && !w.dataset.busy",
               [widget.element_handle(), str(steps)])


def set_back_training(widget):
    """The lesson's run, for the next test on a shared page (now Python's: equal to the build's to rounding)."""
    train(widget, widgets.NEURON_START["lr"], widgets.NEURON_START["steps"])
    assert [loss for _, loss in chart_points(widget)] == pytest.approx(widgets.neuron_training()["losses"], rel=1e-12)


def test_training_reruns_live_and_reports_pythons_error(live_lesson):
    page = all_mounted(live_lesson)
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
    # Python's message, without its class name ("ValueError: ...").
    assert widget.get_by_role("alert").text_content() == "learning rate must be between 0.001 and 10, got -1"
    assert widget.get_attribute("data-steps") == "7"  # the last good run stays drawn
    set_back_training(widget)


# Themes and a phone-sized screen.

@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1100, 375])
def test_widgets_render_in_both_themes_at_desktop_and_phone_width(static_lesson, scheme, width, screenshot):
    page = static_lesson
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    fills = set()
    for name in NAMES:
        widget = page.locator(f'[data-widget="{name}"]')
        widget.scroll_into_view_if_needed()
        # Nothing spills out sideways: the SVGs scale or turn top-to-bottom, tables stack.
        overflow = widget.evaluate("(w) => w.scrollWidth - w.clientWidth")
        assert overflow <= 1, f"{name} is {overflow}px wider than its box at {width}px"
        svg_text = widget.locator("svg tspan.value, svg .axis .tick text").first
        assert svg_text.evaluate("(t) => t.getBoundingClientRect().height") >= 10, f"{name}: text too small to read"
        screenshot(widget, f"{name}-{scheme}-{width}.png")
        fills.add(widget.evaluate("(w) => getComputedStyle(w).backgroundColor"))
    background = {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}[scheme]
    assert fills == {background}  # theme.css's --bg in that scheme


SVG_COLOURS_JS = """(w) => { const style = (e) => getComputedStyle(e);
  const box = w.querySelector('[data-node] rect.box'), value = w.querySelector('tspan.value'), edge = w.querySelector('path.edge');
  return {box: [style(box).fill, style(box).stroke], value: style(value).fill, edge: style(edge).stroke}; }"""
THEME_JS = "() => [document.documentElement.dataset.theme ?? null, document.getElementById('theme-toggle').getAttribute('aria-pressed')]"


def settled_colours(widget):
    """The widget's SVG colours once their transitions are over."""
    wait_until(widget.page, NO_TRANSITION_RUNNING_IN, widget.element_handle(), timeout_ms=5000)
    return widget.evaluate(SVG_COLOURS_JS)


def test_the_theme_toggle_on_the_built_page_from_the_keyboard(new_tab, dist, screenshot):
    page = new_tab()
    page.emulate_media(color_scheme="light")  # a system in light mode, from the first paint on
    page.goto((dist / "lesson.html").as_uri())
    # Tab from the top of the page: the skip link, then the toggle.
    for presses in range(1, 6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "theme-toggle":
            break
    assert page.evaluate("document.activeElement.id") == "theme-toggle" and presses == 2
    assert page.evaluate(THEME_JS) == [None, "false"]  # following the system: light
    widget = page.locator('[data-widget="explore"]')
    widget.scroll_into_view_if_needed()  # it mounts as it nears the viewport; the focus stays on the toggle
    widget.locator("[data-node]").first.wait_for()
    light = settled_colours(widget)
    screenshot(widget, "theme-toggle-light.png")
    page.keyboard.press("Enter")
    assert page.evaluate(THEME_JS) == ["dark", "true"]
    dark = settled_colours(widget)
    assert all(dark[part] != light[part] for part in light), (light, dark)  # the SVG follows the theme
    screenshot(widget, "theme-toggle-dark.png")
    page.keyboard.press("Space")
    assert page.evaluate(THEME_JS) == ["light", "false"] and settled_colours(widget) == light
    page.keyboard.press("Enter")
    # The choice is remembered (theme.js keeps it in localStorage), once the browser holds the write.
    wait_until_the_browser_stores(page, lambda storage: storage.get("autograd-lesson-theme") == "dark")
    page.reload()
    assert page.evaluate(THEME_JS) == ["dark", "true"], browser_local_storage(page)
    widget.scroll_into_view_if_needed()
    widget.locator("[data-node]").first.wait_for()
    assert settled_colours(widget) == dark
    screenshot(page, "theme-toggle-dark-page.png")


# One numbering for steps; one minus sign; table formulas on one line.

@pytest.mark.parametrize("name, forward_last, backward_last", [("forward-steps", 3, 3), ("grad-accumulation", 1, 2)])
def test_the_step_counter_and_its_accessible_value_agree(static_lesson, name, forward_last, backward_last):
    page = static_lesson
    widget = page.locator(f'[data-widget="{name}"]')
    slider = widget.get_by_role("slider", name="Step", exact=True)
    slider.focus()
    page.keyboard.press("Home")
    expected = [f"Forward, step {i} of {forward_last}" for i in range(forward_last + 1)] + [
        f"Backward, step {i} of {backward_last}" for i in range(backward_last + 1)]
    for index, label in enumerate(expected):
        if index:
            page.keyboard.press("ArrowRight")
        assert slider.evaluate("(s) => document.querySelector(`output[for='${s.id}']`).textContent") == label
        assert slider.get_attribute("aria-valuetext") == label
    assert slider.get_attribute("max") == str(len(expected) - 1)


def test_numbers_use_one_minus_sign_and_formulas_stay_on_one_line(live_lesson):
    page = live_lesson
    widget = page.locator('[data-widget="explore"]')
    set_explore(widget, -2.5, 1.5)
    wait_for_explore(widget, -2.5, 1.5)
    graph_text = widget.locator("svg").text_content()
    assert "= -2.5" in graph_text and "\u2212" not in graph_text.replace("−x", "")  # op badges are symbols
    assert "-2.5" in widget.locator(".widget-insight").text_content()
    page.set_viewport_size({"width": 375, "height": 800})
    for code in widget.locator("tbody th code").all():
        assert code.evaluate("(c) => c.getClientRects().length") == 1, code.text_content()
    set_explore(widget, *EXPLORE_SETTINGS[0])  # back to the lesson's setting (the screen is set back after)
    wait_for_explore(widget, *EXPLORE_SETTINGS[0])


@pytest.mark.parametrize("width", [1280, 390])
def test_table_formulas_never_break_inside_and_the_table_still_fits(static_lesson, width):
    page = static_lesson
    page.set_viewport_size({"width": width, "height": 900})
    widget = page.locator('[data-widget="explore"]')
    widget.scroll_into_view_if_needed()
    rows = widget.locator("tbody tr").evaluate_all("""(rows) => rows.map((row) => [...row.querySelectorAll('td.how .formula')]
        .map((span) => ({text: span.textContent, lines: span.getClientRects().length, top: span.getBoundingClientRect().top})))""")
    expected = [[part["formula"] for part in row["parts"] if "formula" in part] for row in widgets.explore(2.0, 3.0)["rows"]]
    assert [[span["text"] for span in row] for row in rows] == expected
    assert all(span["lines"] == 1 for row in rows for span in row), rows  # "sum = a + b" stays whole
    table = widget.locator(".gradient-table")
    assert table.evaluate("(t) => t.scrollWidth - t.clientWidth") <= 1  # and the table fits its box
    if width == 390:  # the two-path row wraps, between its formulas
        assert len({round(span["top"]) for span in rows[2]}) > 1, rows[2]


# Graphs stay readable: left to right (top to bottom where that is narrower), text never tiny, scrolling
# sideways inside the widget.

def graph_geometry(widget):
    """The graph's direction, per node its on-screen box, per edge its ends, the smallest value text, and the scroller's state."""
    return widget.evaluate("""(w) => {
      const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
      const nodes = Object.fromEntries([...w.querySelectorAll('[data-node]')].map((n) => [n.dataset.node, box(n.querySelector('rect.box'))]));
      const edges = [...w.querySelectorAll('path.edge')].map((p) => p.dataset.edge.split('#')[0].split('>'));
      const text = Math.min(...[...w.querySelectorAll('tspan.value, tspan.name')].map((t) => t.getBoundingClientRect().height));
      const scroller = w.querySelector('.graph-scroll');
      const hint = w.querySelector('.graph-hint');
      return {direction: w.querySelector('.graph-view svg').dataset.direction, nodes, edges, text, scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth,
              tabindex: scroller.getAttribute('tabindex'), hint: !hint.hidden && hint.getClientRects().length > 0,
              overflow: w.scrollWidth - w.clientWidth};
    }""")


def assert_graph_drawn(geometry, label):
    """A graph of several nodes is drawn, with edges and text in its boxes: checks over nothing would pass
    (no text is Infinity px high, no edge is misplaced)."""
    assert len(geometry["nodes"]) > 1 and geometry["edges"] and math.isfinite(geometry["text"]), f"{label}: nothing drawn"


def check_readable(page, widget, label):
    """Each input left of its consumers (above them, drawn top to bottom), text at least 10 px, nothing wider
    than the widget; a graph that does not fit scrolls inside it, says so, and scrolls from the keyboard.
    Returns whether it scrolls."""
    geometry = graph_geometry(widget)
    assert_graph_drawn(geometry, label)
    assert geometry["text"] >= 10, f"{label}: text {geometry['text']:.1f} px high"
    before, after = ("right", "left") if geometry["direction"] == "right" else ("bottom", "top")
    for source, target in geometry["edges"]:
        assert geometry["nodes"][source][before] < geometry["nodes"][target][after], f"{label}: {source} -> {target}"
    assert geometry["overflow"] <= 1, f"{label}: the widget is {geometry['overflow']} px wider than its box"
    scrolls = geometry["scrollWidth"] > geometry["clientWidth"] + 1
    assert geometry["hint"] == scrolls and (geometry["tabindex"] == "0") == scrolls, label
    if scrolls:
        scroller = widget.locator(".graph-scroll")
        scroller.focus()
        page.keyboard.press("ArrowRight")
        wait_until(page, "(s) => s.scrollLeft > 0", scroller.element_handle())  # 2 s was too short on a busy machine
        assert scroller.evaluate("(s) => s.scrollLeft") > 0, f"{label}: the keyboard does not scroll the graph"
    return scrolls


def test_nn_backprop_reads_in_order_with_its_update_badges_off_the_edges(static_lesson, screenshot):
    pytest.importorskip("numpy", reason="the reference trace needs the Tensor engine, which needs NumPy")
    page = static_lesson
    widget = page.locator('[data-widget="nn-backprop"]')
    widget.get_by_role("radio", name="Backward").check()
    widget.get_by_role("slider", name="Step", exact=True).fill(str(len(widgets.nn_backprop()["backward"]) - 1))
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        widget.scroll_into_view_if_needed()
        check_readable(page, widget, f"nn-backprop at {width} px")
        # Each "update" badge lies clear of every edge that leaves its node.
        clash = widget.evaluate("""(w) => [...w.querySelectorAll('[data-marked="true"]')].flatMap((node) => {
          const badge = node.querySelector('g.mark').getBoundingClientRect();
          return [...w.querySelectorAll(`path.edge[data-edge^="${node.dataset.node}>"]`)].filter((edge) => {
            const r = edge.getBoundingClientRect();
            return badge.right > r.left && badge.left < r.right && badge.bottom > r.top && badge.top < r.bottom;
          }).map((edge) => edge.dataset.edge);
        })""")
        assert clash == []
        screenshot(widget, f"nn-backprop-backward-{width}.png")


# The loss chart: one step still has an axis, a title, and a log scale from the keyboard.

def test_training_one_step_an_empty_field_and_the_log_scale(page):
    wait_for_python(page)   # a fresh page: the chart is the build's, which it compares bit for bit
    all_mounted(page)
    widget = page.locator('[data-widget="neuron-training"]')
    assert widget.locator(".loss-chart-title").text_content() == "Loss decreasing during training"
    # Log scale, from the keyboard: the late losses (about 1e-17) no longer sit on the axis at 0.
    widget.get_by_role("radio", name="Linear").focus()
    page.keyboard.press("ArrowRight")
    assert widget.get_by_role("radio", name="Log").is_checked()
    assert widget.locator("svg").get_attribute("data-scale") == "log"
    heights = widget.locator("circle[data-loss]").evaluate_all("(c) => c.map((p) => Number(p.getAttribute('cy')))")
    assert len(set(round(h) for h in heights)) >= 15, heights
    assert [(s, l) for s, l in chart_points(widget)] == list(enumerate(widgets.neuron_training()["losses"]))
    # One step: "1 step", and the x axis still has its tick.
    widget.get_by_label("Steps").fill("1")
    widget.get_by_label("Steps").press("Enter")
    wait_until(page, "(w) => w.dataset.source === 'python' && w.dataset.steps === '1' && !w.dataset.busy",
               widget.element_handle())
    assert widget.locator(".widget-insight").text_content().startswith("1 step at learning rate 0.5:")
    assert widget.locator(".axis-x .tick text").all_text_contents() == ["0"]
    # An empty learning rate is reported as empty, not as 0.
    widget.get_by_label("Learning rate").fill("")
    widget.get_by_role("button", name="Train again").click()
    wait_until(page, "(w) => w.querySelector('[role=alert]').textContent", widget.element_handle())
    assert widget.get_by_role("alert").text_content() == "learning rate is empty: type a number"


# Mounting: off-screen widgets mount when they come near or when the browser is idle.

def test_every_widget_mounts_soon_after_load_and_the_first_paint_has_the_start_data(unscrolled_static_lesson):
    page = unscrolled_static_lesson
    names = page.locator("[data-widget][data-mounted]").evaluate_all("(ws) => ws.map((w) => w.dataset.widget)")
    assert sorted(names) == sorted(NAMES + ["broadcast", "playground", "task-progress"] + ["task"] * 5 + ["exercise"] * 3)
    assert page.evaluate("performance.getEntriesByName('widgets-all-mounted').length") == 1


def test_before_python_is_up_a_widget_far_below_mounts_as_the_reader_scrolls_near_it(new_tab, dist):
    """Python held back and the off-screen widgets' wait for it made a minute long: only scrolling mounts them."""
    page = new_tab((dist / "lesson.html").as_uri(), init_script=HOLD_PYTHON_BACK + offscreen_mount_wait(60000))
    far = page.locator('[data-widget="exercise"]').last
    assert far.get_attribute("data-mounted") is None
    far.scroll_into_view_if_needed()
    wait_until(page, "(w) => w.hasAttribute('data-mounted')", far.element_handle())
    assert page.evaluate("document.querySelectorAll('[data-widget]:not([data-mounted])').length") > 5  # the rest wait on


# Ids and the labels and outputs that point at them.

def test_every_id_is_plain_ascii_and_every_for_finds_its_control(live_lesson):
    page = all_mounted(live_lesson)
    found = page.evaluate(r"""() => ({
      ids: [...document.querySelectorAll('[id]')].map((e) => e.id).filter((id) => !/^[\x21-\x7e]+$/.test(id)),
      dangling: [...document.querySelectorAll('output[for], label[for]')].flatMap((e) => e.getAttribute('for')
        .split(/\s+/).filter((id) => !document.getElementById(id)).map((id) => `<${e.localName} for="${e.getAttribute('for')}">`)),
      outputs: [...document.querySelectorAll('output[for]')].map((o) => o.htmlFor.length),
      labels: document.querySelectorAll('label[for]').length,
    })""")
    assert found["ids"] == [] and found["dangling"] == []
    assert found["labels"] > 10 and set(found["outputs"]) == {1}  # each output names exactly one control
