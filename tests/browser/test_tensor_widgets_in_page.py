"""The Tensor-engine widgets in the built page: nn-backprop (a slider per entry of W, x, b and t) and
broadcasting (y = x + b for two shapes). Before NumPy is live they draw the build's numbers and say they
wait; once it is (<html data-numpy="ready">) every number equals the CPython engine's at settings the
lesson never shows; both work from the keyboard, on a phone and in dark mode, with no console error
and no request outside the page (the fixtures' guard)."""

import json

import pytest

from harness import NO_TRANSITION_RUNNING_IN, wait_for_numpy, wait_until
from test_widgets_in_page import (BAR_SHOWN_OVER, DIMMED_TEXTS, active_nodes, all_mounted, drawn_nodes, engine_nodes,  # noqa: F401
                                  expected_steps, step_through)

np = pytest.importorskip("numpy", reason="the reference results need the Tensor engine, which needs NumPy")

from lesson import widgets  # noqa: E402
from lesson.broadcasting import PAIRS, broadcast, broadcast_start  # noqa: E402

pytestmark = pytest.mark.timeout(300)

NN = '[data-widget="nn-backprop"]'
BROADCAST = '[data-widget="broadcast"]'
LAYER_SLIDERS = widgets.STEPPED_SLIDERS["nn_backprop"]
# Pyodide's NumPy (2.0.2, built for wasm) and CPython's compute float32 tanh by different code, and differ
# in its last bit at about half of the settings (measured: 109 of 200 random ones); through 1 - y² and the
# chain rule that is at most 1.3e-6 in a gradient (a gradient near 0 can differ relatively by 100%). So
# nn-backprop's live numbers equal CPython's to float32 rounding; broadcasting's sums of integers are exact.
FLOAT32 = {"rtol": 1e-6, "atol": 2e-6}
LAYER_SETTINGS = [  # settings the lesson never shows: every entry moved, extremes, a saturated tanh
    {"W11": -1.2, "W12": 0.7, "W21": 1.9, "W22": -0.4, "x1": -2.5, "x2": 0.3, "b1": 0.9, "b2": -1.0, "t1": -0.6, "t2": 1.0},
    {s["name"]: s["max"] for s in LAYER_SLIDERS},
    {"W11": 0.0, "x2": -3.0, "t1": 0.0},
]


def numpy_live(page):
    """The page once NumPy is ready in it. A page built with NumPy must get there; a dist/ built without
    it (python build.py --no-numpy, as its <html data-numpy="off"> says) skips, saying so (test_runtime
    tests that page)."""
    if page.evaluate("document.documentElement.dataset.numpy") == "off":
        pytest.skip("this dist/ was built without NumPy (python build.py --no-numpy): the live Tensor widgets need it")
    wait_for_numpy(page)
    return all_mounted(page)


def layer_slider(widget, slider):
    """The slider of one entry, found by its accessible name ("W row 1, column 2")."""
    return widget.get_by_role("slider", name=slider["label"], exact=True)


def set_layer(widget, settings):
    """Move nn-backprop's sliders to `settings` ({"W12": 0.7, ...})."""
    for slider in LAYER_SLIDERS:
        if slider["name"] in settings:
            layer_slider(widget, slider).fill(str(settings[slider["name"]]))


def wait_for_layer(widget, settings):
    """Wait until nn-backprop draws Python's answer for `settings` (its root carries each entry drawn)."""
    full = {s["name"]: settings.get(s["name"], s["value"]) for s in LAYER_SLIDERS}
    wait_until(widget.page, "([w, settings]) => w.dataset.source === 'python' && !w.dataset.busy"
                            " && Object.entries(settings).every(([k, v]) => Number(w.dataset[k]) === v)",
               [widget.element_handle(), full])
    return full


def assert_same_to_float32(drawn, engine):
    """The drawn {id: (value, grad)} equals the engine's: the same nodes, the same parts shown, numbers to float32 rounding."""
    assert drawn.keys() == engine.keys()
    for node, parts in engine.items():
        for part, want, got in zip(("value", "grad"), parts, drawn[node]):
            assert (got is None) == (want is None), (node, part)
            if want is not None:
                np.testing.assert_allclose(got, want, **FLOAT32, err_msg=f"{part} of {node}")


def check_step_to_float32(widget, trace, step, phase):
    """As check_step: the step's nodes highlighted, exactly its values and gradients shown (the others
    empty), equal to the engine's to float32 rounding."""
    assert widget.get_attribute("data-phase") == phase and set(active_nodes(widget)) == step["active"]
    engine = engine_nodes(trace)
    expected = {i: (engine[i][0] if i in step["values"] else None, step["grads"].get(i)) for i in engine}
    assert_same_to_float32(drawn_nodes(widget), expected)


def set_back(page):
    """Put both widgets back as a fresh page shows them (the next test on the shared page expects that):
    nn-backprop forward at the lesson's setting, broadcasting at its first pair with all-ones upstream."""
    nn = page.locator(NN)
    nn.get_by_role("radio", name="Forward").check()
    set_layer(nn, {s["name"]: s["value"] for s in LAYER_SLIDERS})
    wait_for_layer(nn, {})
    broadcasting = page.locator(BROADCAST)
    broadcasting.get_by_role("radio", name="all ones").check()
    choose_pair(broadcasting, "(3, 4)", "(4,)")
    wait_for_shapes(broadcasting, "(3, 4)", "(4,)", "ones")


@pytest.fixture
def numpy_page(live_lesson):
    """The module's shared page once NumPy is live in it, set back afterwards."""
    numpy_live(live_lesson)
    yield live_lesson
    set_back(live_lesson)


@pytest.fixture
def numpy_pages(live_lessons):
    """numpy_page from file:// and, in a second run of the test, over http."""
    numpy_live(live_lessons)
    yield live_lessons
    set_back(live_lessons)


def last_backward_step(page, widget):
    """Show the last backward step: every value and every gradient."""
    widget.get_by_role("radio", name="Backward").check()
    slider = widget.get_by_role("slider", name="Step", exact=True)
    slider.focus()
    page.keyboard.press("End")


# nn-backprop

def test_nn_backprop_has_a_named_slider_per_entry_at_the_lessons_setting(static_lesson):
    page = static_lesson
    widget = page.locator(NN)
    for slider in LAYER_SLIDERS:
        control = layer_slider(widget, slider)
        assert float(control.input_value()) == slider["value"], slider["label"]
        assert (float(control.get_attribute("min")), float(control.get_attribute("max"))) == (slider["min"], slider["max"])
    groups = widget.locator("fieldset.slider-group legend").all_text_contents()
    assert groups == ["W, the weights (a parameter)", "x, the input", "b, the bias (a parameter)", "t, the target"]
    # The first paint is the build's: the lesson's layer, every node as the CPython engine computes it.
    last_backward_step(page, widget)
    assert widget.get_attribute("data-source") == "static"
    assert drawn_nodes(widget) == engine_nodes(widgets.nn_backprop()["trace"])
    marked = widget.locator('[data-node][data-marked="true"]').evaluate_all("(n) => n.map((x) => x.dataset.node)")
    assert sorted(marked) == ["W", "b"]


def test_nn_backprop_before_numpy_draws_the_build_and_says_it_waits(static_lesson):
    page = static_lesson
    widget = page.locator(NN)
    note = widget.locator(".widget-note")
    set_layer(widget, {"W12": 0.7})
    assert widget.get_attribute("data-busy") == "true"
    assert note.text_content().startswith("W row 1, column 2 = 0.7: computing live once NumPy is ready; until then "
                                          "the graph shows its starting inputs, from the build.")
    last_backward_step(page, widget)
    assert drawn_nodes(widget) == engine_nodes(widgets.nn_backprop()["trace"])  # still the build's
    set_layer(widget, {"W12": -0.3})  # back to the build's setting: drawn from the build, nothing waits
    assert widget.get_attribute("data-busy") is None and "computing live" not in note.text_content()


@pytest.mark.parametrize("settings", LAYER_SETTINGS)
def test_nn_backprop_live_equals_the_cpython_engine(numpy_pages, settings):
    page = numpy_pages  # from file:// and over http
    widget = page.locator(NN)
    set_layer(widget, settings)
    full = wait_for_layer(widget, settings)
    result = widgets.nn_backprop(**full)
    forward, backward = expected_steps(result["trace"])
    step_through(page, widget, result["trace"], forward, "forward", check=check_step_to_float32)
    widget.get_by_role("radio", name="Backward").check()
    step_through(page, widget, result["trace"], backward, "backward", check=check_step_to_float32)
    assert_same_to_float32(drawn_nodes(widget), engine_nodes(result["trace"]))
    # The step's sentence prints its numbers to 3 digits, as CPython's does for the same setting.
    assert widget.locator(".step-text").text_content() == result["backward"][-1]["text"]


def test_nn_backprop_sliders_work_from_the_keyboard_live(numpy_page):
    page = numpy_page
    widget = page.locator(NN)
    wait_for_layer(widget, {})
    control = layer_slider(widget, LAYER_SLIDERS[1])  # W row 1, column 2: -0.3
    control.focus()
    for key, value in [("ArrowRight", -0.2), ("ArrowRight", -0.1), ("End", 2.0), ("Home", -2.0)]:
        page.keyboard.press(key)
        full = wait_for_layer(widget, {"W12": value})
        last_backward_step(page, widget)
        assert_same_to_float32(drawn_nodes(widget), engine_nodes(widgets.nn_backprop(**full)["trace"]))
        control.focus()


def test_a_widget_that_answers_off_screen_leaves_nothing_animating(numpy_page):
    """A widget waiting for an answer animates a bar, which must end with the wait, on screen or not: Chromium
    left an off-screen widget's styles out of date, and drew frames for the bar 60 times a second for good."""
    page = numpy_page
    page.emulate_media(reduced_motion="no-preference")  # the bar slides, for as long as the wait lasts
    widget = page.locator(NN)
    wait_for_layer(widget, {})
    page.evaluate("() => scrollTo(0, 0)")
    assert widget.evaluate("(w) => w.getBoundingClientRect().top > innerHeight")  # off screen
    # Moved from a script: a keyboard or a pointer would bring the slider on screen.
    layer_slider(widget, LAYER_SLIDERS[4]).evaluate(  # x row 1, at 1.0
        "(slider) => { slider.value = '0.5'; slider.dispatchEvent(new Event('input', { bubbles: true })); }")
    wait_for_layer(widget, {"x1": 0.5})
    animating = page.evaluate("() => document.documentElement.getAnimations({subtree: true})"
                              ".map((a) => `${a.animationName ?? a.transitionProperty} on ${a.effect.target.className}`)")
    assert animating == []


# broadcasting

def drawn_arrays(widget):
    """{node or stage: (shape, values, grad)} of every array drawn, from the figures' data attributes."""
    figures = widget.locator(".array-view:not([hidden])").evaluate_all("""(figures) => figures.map((f) => ({
        key: f.dataset.node || f.dataset.stage || f.dataset.kind, shape: f.dataset.shape, value: f.dataset.value,
        grad: f.dataset.grad ?? null, input: f.closest('[data-input]')?.dataset.input ?? null}))""")
    return [(f["input"], f["key"], json.loads(f["shape"]), json.loads(f["value"]), f["grad"] and json.loads(f["grad"]))
            for f in figures]


def expected_arrays(result):
    """The same list as the widget must draw it, from a CPython result: x, b, each stretched copy, y; then per input ∂L/∂y and its stages."""
    stories = {story["name"]: story for story in result["inputs"]}
    forward = [(None, name, stories[name]["shape"], stories[name]["data"], stories[name]["grad"]) for name in ("x", "b")]
    forward += [(None, "stretched", result["y_shape"], stories[name]["stretched"], None)
                for name in ("x", "b") if stories[name]["stretched_axes"]]
    forward.append((None, "y", result["y_shape"], result["y"]["data"], result["y"]["grad"]))
    backward = []
    for name in ("x", "b"):
        backward.append((name, "upstream", result["y_shape"], result["y"]["grad"], None))
        backward += [(name, stage["text"], stage["shape"], stage["values"], None) for stage in stories[name]["stages"]]
    return forward + backward


def by_order(arrays):
    """The drawn arrays in a fixed order (forward: x, b, the stretched copies, y; then the backward paths)."""
    return sorted(arrays, key=lambda a: (a[0] or "", {"x": 0, "b": 1, "stretched": 2, "y": 3}.get(a[1], 4), json.dumps(a)))


def choose_pair(widget, x, b):
    """Press the button of a pair offered."""
    widget.get_by_role("button", name=f"{x} + {b}", exact=True).click()


def type_shapes(widget, x, b):
    """Type two shapes and press Enter, as a keyboard user would."""
    widget.get_by_label("Shape of x", exact=True).fill(x)
    widget.get_by_label("Shape of b", exact=True).fill(b)
    widget.get_by_label("Shape of b", exact=True).press("Enter")


def wait_for_shapes(widget, x, b, upstream, source="python"):
    """Wait until the widget draws the answer for (x, b, upstream) from `source`."""
    wait_until(widget.page, "([w, x, b, u, source]) => w.dataset.source === source && !w.dataset.busy"
                            " && w.dataset.x === x && w.dataset.b === b && w.dataset.upstream === u",
               [widget.element_handle(), x, b, upstream, source])


def test_broadcast_draws_the_builds_numbers_for_every_pair_offered_before_numpy(static_lesson):
    page = static_lesson
    widget = page.locator(BROADCAST)
    start = broadcast_start()
    assert by_order(drawn_arrays(widget)) == by_order(expected_arrays(start["results"]["(3, 4)|(4,)|ones"]))
    for upstream, label in [("ones", "all ones"), ("counting", "1, 2, 3")]:
        widget.get_by_role("radio", name=label).check()
        for x, b in PAIRS:
            choose_pair(widget, str(x), str(b))
            wait_for_shapes(widget, str(x), str(b), upstream, source="static")
            result = start["results"][f"{x}|{b}|{upstream}"]
            if "error" in result:  # a refused pair: NumPy's message (the next test checks what stays drawn)
                assert widget.get_attribute("data-state") == "error", (x, b, upstream)
                assert widget.get_by_role("alert").text_content() == result["error"]["message"], (x, b, upstream)
                continue
            assert widget.get_attribute("data-state") == "ok"
            assert by_order(drawn_arrays(widget)) == by_order(expected_arrays(result)), (x, b, upstream)


def test_the_refused_pair_gets_numpys_message_and_the_widget_keeps_working(static_lesson):
    page = static_lesson
    widget = page.locator(BROADCAST)
    before = drawn_arrays(widget)
    choose_pair(widget, "(3, 4)", "(3,)")
    wait_for_shapes(widget, "(3, 4)", "(3,)", "ones", source="static")
    assert widget.get_attribute("data-state") == "error"
    assert widget.get_by_role("alert").text_content() == broadcast("(3, 4)", "(3,)")["error"]["message"]
    assert drawn_arrays(widget) == before  # the last arrays that worked stay
    assert widget.get_by_label("Shape of x", exact=True).get_attribute("aria-invalid") == "true"
    choose_pair(widget, "(3, 4)", "(3, 1)")
    wait_for_shapes(widget, "(3, 4)", "(3, 1)", "ones", source="static")
    assert widget.locator("[role=alert]").text_content() == "" and widget.get_attribute("data-state") == "ok"
    assert widget.get_by_label("Shape of x", exact=True).get_attribute("aria-invalid") is None


def test_following_an_entry_marks_its_copies_and_the_gradients_it_sums(static_lesson):
    page = static_lesson
    widget = page.locator(BROADCAST)
    choose_pair(widget, "(2, 3, 4)", "(3, 1)")
    widget.get_by_role("radio", name="1, 2, 3").check()
    wait_for_shapes(widget, "(2, 3, 4)", "(3, 1)", "counting", source="static")
    result = broadcast("(2, 3, 4)", "(3, 1)", "counting")
    story = result["inputs"][1]
    entry = widget.get_by_role("slider", name="Entry", exact=True)
    entry.focus()
    page.keyboard.press("Home")
    for index in range(3):
        if index:
            page.keyboard.press("ArrowRight")
        assert entry.get_attribute("aria-valuetext") == f"b{story['positions'][index]}"
        assert widget.locator(".broadcast-sum").text_content() == story["sums"][index]
        source = np.array(story["source"]).reshape(-1)
        followed = lambda selector: sorted(widget.locator(f"{selector} td.is-followed").evaluate_all(  # noqa: E731
            "(cells) => cells.map((c) => Number(c.dataset.index))"))
        assert followed('figure[data-node="y"]') == np.flatnonzero(source == index).tolist()
        assert followed('[data-input="b"] figure[data-kind="upstream"]') == np.flatnonzero(source == index).tolist()
        assert followed('figure[data-node="b"]') == [index]
        # The upstream gradients marked add up to the gradient the engine gave that entry.
        upstream = np.array(result["y"]["grad"]).reshape(-1)
        assert upstream[source == index].sum() == np.array(story["grad"]).reshape(-1)[index]
    # Following x instead: x has y's shape, so each entry is used once.
    widget.get_by_role("radio", name="x", exact=True).check()
    assert widget.locator(".broadcast-sum").text_content() == result["inputs"][0]["sums"][0]


def test_shapes_of_your_own_wait_for_numpy_saying_so(static_lesson):
    page = static_lesson
    widget = page.locator(BROADCAST)
    type_shapes(widget, "(4,)", "(3, 4)")
    assert widget.get_attribute("data-busy") == "true"
    assert widget.locator(".widget-note").text_content() == (
        "(4,) + (3, 4): computing live once NumPy is ready; until then the arrays show (3, 4) + (4,), from the build.")
    # Once the wait lasts, a bar over each pass says so, and every text keeps its full contrast (no dimming).
    wait_until(page, BAR_SHOWN_OVER, [widget.element_handle(), ".broadcast-pass"])
    wait_until(page, NO_TRANSITION_RUNNING_IN, widget.element_handle())
    assert widget.evaluate(DIMMED_TEXTS) == []


@pytest.mark.parametrize("upstream", ["ones", "counting"])
def test_broadcast_live_equals_the_cpython_engine_for_every_pair_and_more(numpy_pages, upstream):
    page = numpy_pages
    widget = page.locator(BROADCAST)
    widget.get_by_role("radio", name={"ones": "all ones", "counting": "1, 2, 3"}[upstream]).check()
    typed = [("(4,)", "(3, 4)"), ("()", "(2, 3)"), ("2, 1, 4", "(3, 1)"), ("(5, 1, 6)", "(6,)")]
    for x, b in [(str(x), str(b)) for x, b in PAIRS] + typed:
        if (x, b) in typed:
            type_shapes(widget, x, b)
        else:
            choose_pair(widget, x, b)
        wait_for_shapes(widget, x, b, upstream)
        result = broadcast(x, b, upstream)
        if "error" in result:
            assert widget.get_attribute("data-state") == "error"
            assert widget.get_by_role("alert").text_content() == result["error"]["message"]  # NumPy's, in Pyodide
            continue
        assert widget.get_attribute("data-state") == "ok"
        assert by_order(drawn_arrays(widget)) == by_order(expected_arrays(result)), (x, b)
        assert widget.locator(".broadcast-sum").text_content() == result["inputs"][1]["sums"][0]


def test_a_refused_shape_live_names_its_field_and_the_next_one_works(numpy_page):
    page = numpy_page
    widget = page.locator(BROADCAST)
    for x, b in [("(3, 4)", "(7,)"), ("3; 4", "(4,)"), ("(3, 4)", "(3,)")]:
        type_shapes(widget, x, b)
        wait_for_shapes(widget, x, b, "ones")
        error = broadcast(x, b)["error"]
        assert widget.get_by_role("alert").text_content() == error["message"]
        for name in ("x", "b"):
            invalid = widget.get_by_label(f"Shape of {name}", exact=True).get_attribute("aria-invalid") == "true"
            assert invalid == (error["field"] in (name, None)), (x, b, name)
    type_shapes(widget, "(3, 1)", "(1, 4)")
    wait_for_shapes(widget, "(3, 1)", "(1, 4)", "ones")
    assert by_order(drawn_arrays(widget)) == by_order(expected_arrays(broadcast("(3, 1)", "(1, 4)")))


def test_broadcast_from_the_keyboard(static_lesson):
    page = static_lesson
    widget = page.locator(BROADCAST)
    widget.get_by_label("Shape of b", exact=True).focus()
    page.keyboard.press("Tab")  # Show
    page.keyboard.press("Tab")  # the first pair offered
    page.keyboard.press("Tab")  # the second: (3, 4) + (1, 4)
    assert page.evaluate("document.activeElement.textContent") == "(3, 4) + (1, 4)"
    page.keyboard.press("Enter")
    wait_for_shapes(widget, "(3, 4)", "(1, 4)", "ones", source="static")
    assert widget.get_by_role("button", name="(3, 4) + (1, 4)").get_attribute("aria-pressed") == "true"
    page.keyboard.press("Space")  # buttons take Space too: the same pair again
    widget.get_by_role("radio", name="all ones").focus()
    page.keyboard.press("ArrowRight")
    wait_for_shapes(widget, "(3, 4)", "(1, 4)", "counting", source="static")
    assert by_order(drawn_arrays(widget)) == by_order(expected_arrays(broadcast("(3, 4)", "(1, 4)", "counting")))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_tensor_widgets_fit_a_phone_and_both_themes(static_lesson, scheme, width, screenshot):
    page = static_lesson
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    widget = page.locator(BROADCAST)
    choose_pair(widget, "(2, 3, 4)", "(3, 1)")
    for selector in (BROADCAST, NN):
        each = page.locator(selector)
        each.scroll_into_view_if_needed()
        overflow = each.evaluate("(w) => Math.max(...[w, ...w.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right))"
                                 " - w.getBoundingClientRect().right")
        assert overflow <= 1, f"{selector} spills {overflow:.0f}px out at {width}px"
        screenshot(each, f"{selector.split('=')[1][1:-2]}-{scheme}-{width}.png")
    # A followed entry and a stretched copy look different from the rest, in both themes.
    cell = lambda selector: widget.locator(selector).first.evaluate(  # noqa: E731
        "(c) => [getComputedStyle(c).backgroundColor, getComputedStyle(c).borderStyle]")
    followed, copy, plain = cell("td.is-followed"), cell("td.is-copy:not(.is-followed)"), cell("figure[data-node='x'] td:not(.is-followed)")
    assert len({tuple(followed), tuple(copy), tuple(plain)}) == 3
