"""The playground in the built page: what it draws is the CPython engine's, hostile input and links are
refused in an alert and change nothing else, domain errors show undefined nodes, links round-trip, and
everything works from the keyboard. (Named _page so it does not clash with tests/test_playground.py.)"""

import contextlib
import json
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import GLIDING, HOLD_PYTHON_BACK, python_call, wait_for_python, wait_until
from test_widgets_in_page import check_readable
from lesson.expr import to_source
from lesson.playground import decode_state, encode_state, initial_state, playground

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the tree strategy
from test_playground import height, trees  # noqa: E402

pytestmark = pytest.mark.timeout(300)

WIDGET = "[data-widget=playground]"
# Pyodide's libm and glibc differ in the last bit of tanh (about 2% of inputs) and exp (0.05%), measured
# on 20,000 points; so numbers after those functions agree to rounding, not bit for bit.
CLOSE = {"rel": 1e-9, "abs": 1e-12}


def attribute(text):
    """A data attribute's number as Python reads it; "" (not shown or not defined) is None."""
    return None if text == "" else json.loads(text)


def widget_of(page):
    """The playground's root once mounted, drawn (not the message of a widget that failed to mount)."""
    widget = page.locator(WIDGET)
    wait_until(page, f"() => document.querySelector('{WIDGET}')?.hasAttribute('data-mounted')")
    error = widget.evaluate("(w) => w.children.length === 0 ? 'nothing drawn' : [...w.querySelectorAll('.widget-error')]"
                            ".map((e) => e.textContent).find((text) => text.startsWith('This widget could not be drawn'))")
    assert error is None, f"the playground did not mount: {error}"
    return widget


def drawn(widget):
    """{id: (value, grad)} of every drawn graph node."""
    return {n["id"]: (attribute(n["value"]), attribute(n["grad"]))
            for n in widget.locator("[data-node]").evaluate_all(
                "(nodes) => nodes.map((n) => ({id: n.dataset.node, value: n.dataset.value, grad: n.dataset.grad}))")}


def expected(result):
    """{id: (value, grad)} from a CPython playground result: what the page must draw (constants: no grad)."""
    return {n["id"]: (n["data"], n["grad"]) for n in result["trace"]["nodes"]}


def assert_same_numbers(shown, engine, exact=True):
    """The drawn numbers equal the engine's: exactly, or to rounding where libm may differ."""
    assert shown.keys() == engine.keys()
    for node_id, (value, grad) in engine.items():
        for got, want in zip(shown[node_id], (value, grad)):
            if want is None or exact:
                assert got == want, (node_id, got, want)
            else:
                assert got == pytest.approx(want, **CLOSE), (node_id, got, want)


def settled(page):
    """Wait until the playground has no call in flight, shows Python's answer and has announced any refusal
    (it waits for a pause in typing)."""
    wait_until(page, f"() => {{ const w = document.querySelector('{WIDGET}');"
                     " return w.dataset.source === 'python' && !w.dataset.typing && !w.dataset.busy"
                     " && !w.dataset.alertPending; }")


def open_link(page, expression, values):
    """Drive the playground through its URL fragment, as a shared link does; return CPython's result."""
    link = encode_state(expression, values)
    page.evaluate("(hash) => { location.hash = hash; }", "#" + link)
    wait_until(page, f"(link) => {{ const w = document.querySelector('{WIDGET}');"
                     " return w.dataset.link === link && !w.dataset.busy; }", link)
    return playground(*decode_state(link))


def type_expression(page, widget, text):
    """Replace the Expression field's text, as typing does, submit it with Enter (not waiting for the pause
    in typing: test_typing_goes_to_python_once_it_pauses and the announcement tests take that path) and
    wait for Python's answer."""
    field = widget.get_by_label("Expression", exact=True)
    field.fill(text)
    field.press("Enter")
    settled(page)


# Typing at a learner's pace, keystroke by keystroke, timed inside the page: keys sent one by one over the
# debugging protocol can arrive more than a typing pause apart on a busy machine, which a learner's never do.
TYPE_AT_PACE = """async (field, [text, delay]) => {
  for (const character of text) {
    field.value += character;
    field.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: character }));
    await new Promise((done) => setTimeout(done, delay));
  }
}"""


def type_at_pace(field, text, delay_ms):
    """Append `text` to the field a character every `delay_ms`, as typing does (input events, no paste)."""
    field.evaluate(TYPE_AT_PACE, [text, delay_ms])


def live(page):
    """The playground once Python is ready."""
    widget = widget_of(page)
    wait_for_python(page)
    settled(page)
    return widget


def at_the_lessons_expression(page):
    """The shared page's playground showing the lesson's tanh(w*x + b), as a fresh page opens it."""
    widget = live(page)
    type_expression(page, widget, "tanh(w*x + b)")
    return widget


# What a test adds to the shared page to watch it: a wrapper of lesson.bridge.call (an own property over
# Bridge.prototype.call) and MutationObservers kept in window.testObservers. Taken away after each test.
UNWATCH_JS = """() => { delete window.lesson.bridge.call;
  (window.testObservers ?? []).forEach((observer) => observer.disconnect()); window.testObservers = []; }"""


@contextlib.contextmanager
def dialogs_dismissed(page):
    """The messages of the dialogs `page` opens meanwhile, each dismissed (a test asserts there are none:
    failing inside Playwright's event handler would not fail the test)."""
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()
    page.on("dialog", dismiss)
    try:
        yield dialogs
    finally:
        page.remove_listener("dialog", dismiss)


def watch(element, js):
    """Run `js` (taking the element and returning a MutationObserver) and keep its observer to undo."""
    element.evaluate(f"(element) => {{ (window.testObservers ??= []).push(({js})(element)); }}")


def set_back(page):
    """Leave the playground on the module's shared page as a later test may expect it: no wrapper or
    observer of a test's left, values and gradients shown, nothing revealed or guessed, and showing the
    expression "x", which no test opens as a link (opening the link already shown would change nothing).
    Tests that edit a range keep to fresh pages: an edited range stays in every link after it."""
    page.evaluate(UNWATCH_JS)
    widget = page.locator(WIDGET)
    widget.get_by_role("radio", name="Values and gradients").check()
    type_expression(page, widget, "x")   # an edit forgets guesses and a reveal (opening a link keeps them)


@pytest.fixture
def playground_page(live_lesson):
    """The module's shared page with Python ready (and reduced motion, as every shared page: see SharedPage),
    its playground set back after the test. The glide is tested on its own
    (test_a_new_graph_glides_its_boxes_to_where_reduced_motion_draws_them) and in the tests' own pages."""
    yield live_lesson
    set_back(live_lesson)


@pytest.fixture
def playground_pages(live_lessons):
    """playground_page from file:// and, in a second run of the test, over http."""
    yield live_lessons
    set_back(live_lessons)


# First paint and live numbers.

def test_first_paint_is_the_builds_graph_before_python_is_up(static_lesson):
    widget = widget_of(static_lesson)
    state = initial_state()
    assert widget.get_attribute("data-source") == "static"
    assert_same_numbers(drawn(widget), expected(state["result"]))
    for name, value in state["values"].items():
        assert float(widget.get_by_role("slider", name=name, exact=True).input_value()) == value
    assert widget.get_by_label("Expression", exact=True).input_value() == state["expression"]


@pytest.mark.parametrize("expression, values", [
    ("(a+b)*b", {"a": 2.0, "b": 3.0}),
    ("(a+b)*b", {"a": -3.5, "b": 0.25}),
    ("exp(x)/(exp(x)+exp(z))", {"x": 1.0, "z": 2.0}),
    ("tanh(w*x + b)", {"w": -1.5, "x": 0.3, "b": 2.0}),
    ("x*x*x", {"x": 2.0}),
])
def test_the_lessons_expressions_draw_the_engines_numbers(playground_pages, expression, values):
    widget = live(playground_pages)
    engine = open_link(playground_pages, expression, values)
    assert widget.get_attribute("data-expression") == engine["normalized"]
    assert_same_numbers(drawn(widget), expected(engine), exact=False)
    rows = {r["name"]: r for r in engine["variables"]}
    table = widget.locator("tbody tr[data-variable]").all()
    assert [row.get_attribute("data-variable") for row in table] == list(rows)
    for row in table:
        name = row.get_attribute("data-variable")
        assert attribute(row.get_attribute("data-grad")) == pytest.approx(rows[name]["grad"], **CLOSE)
        assert attribute(row.get_attribute("data-numerical")) == pytest.approx(rows[name]["numerical"], rel=1e-6)


def test_softmax_shows_the_lessons_numbers(playground_page):
    page = playground_page
    widget = live(page)
    open_link(page, "exp(x)/(exp(x)+exp(z))", {"x": 1.0, "z": 2.0})
    output = widget.locator("[data-node].is-output")
    assert round(attribute(output.get_attribute("data-value")), 4) == 0.2689
    assert round(attribute(widget.locator("[data-node=x]").get_attribute("data-grad")), 4) == 0.1966


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees().filter(lambda t: height(t) <= 8),
       point=st.fixed_dictionaries({n: st.floats(-3, 3) for n in ["a", "b", "x", "y", "w"]}))
def test_random_expressions_draw_what_cpython_computes(playground_page, tree, point):
    page = playground_page
    widget = live(page)
    expression = to_source(tree)
    engine = open_link(page, expression, point)
    assert widget.get_attribute("data-state") == ("undefined" if engine["undefined"] else "ok")
    assert_same_numbers(drawn(widget), expected(engine), exact=False)
    # The table's check too: central differences magnify a last-bit difference in libm by 1/step (1e6).
    value = expected(engine)[engine["trace"]["output"]][0] or 0.0
    close = {"rel": 1e-6, "abs": 1e-8 * (1 + abs(value))}
    shown = table_rows(widget)
    assert list(shown) == [row["name"] for row in engine["variables"]]
    for row in engine["variables"]:
        for column in ("grad", "numerical", "difference"):
            got, want = shown[row["name"]][column], row[column]
            assert got == (None if want is None else pytest.approx(want, **close)), (row["name"], column, got, want)


def table_rows(widget):
    """{variable: {grad, numerical, difference, agrees}} as the gradient table carries them (None where blank)."""
    rows = widget.locator("tbody tr[data-variable]").evaluate_all(
        "(rows) => rows.map((r) => [r.dataset.variable, r.dataset.grad, r.dataset.numerical, r.dataset.difference,"
        " r.dataset.agrees])")
    return {name: {"grad": attribute(grad), "numerical": attribute(numerical), "difference": attribute(difference),
                   "agrees": attribute(agrees)} for name, grad, numerical, difference, agrees in rows}


# Sliders, steps and predictions, from the keyboard.

def test_a_slider_moved_by_keyboard_updates_the_nodes_in_place(playground_page):
    page = playground_page
    widget = live(page)
    open_link(page, "(a+b)*b", {"a": 2.0, "b": 3.0})
    # Mark the drawn node elements: after the move the same elements must carry the new numbers.
    widget.locator("[data-node]").evaluate_all("(nodes) => nodes.forEach((n) => { n.playgroundMark = n.dataset.node; })")
    slider = widget.get_by_role("slider", name="a", exact=True)
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")   # 4 notches of (5 - -5)/200
    settled(page)
    engine = playground(*decode_state(page.evaluate("location.hash")))
    assert [r["value"] for r in engine["variables"]] == [2.2, 3.0]
    assert_same_numbers(drawn(widget), expected(engine))
    assert widget.locator("[data-node]").evaluate_all(
        "(nodes) => nodes.every((n) => n.playgroundMark === n.dataset.node)")


def test_a_slider_range_can_be_edited(page):   # a fresh page: an edited range stays in the links for good
    widget = live(page)
    open_link(page, "x*x", {"x": 1.0})
    widget.get_by_label("x max", exact=True).fill("100")
    widget.get_by_label("x max", exact=True).press("Enter")
    slider = widget.get_by_role("slider", name="x", exact=True)
    assert slider.get_attribute("max") == "100"
    slider.focus()
    page.keyboard.press("End")
    settled(page)
    assert attribute(widget.locator("[data-node=x]").get_attribute("data-value")) == 100.0
    # A bound that would leave min >= max is refused on its field; the slider keeps its range.
    low = widget.get_by_label("x min", exact=True)
    low.fill("500")
    low.press("Enter")
    assert low.get_attribute("aria-invalid") == "true"
    message = widget.locator(f"#{low.get_attribute('aria-describedby')}").text_content()
    assert message == "x min must be less than x max (100); the slider keeps its range -5 to 100."
    assert slider.get_attribute("min") == "-5"
    low.fill("-10")
    low.press("Enter")
    assert slider.get_attribute("min") == "-10" and low.get_attribute("aria-invalid") is None
    assert widget.locator(".range-error").text_content() == ""


@pytest.mark.parametrize("bound, text", [("max", "1e20"), ("min", "-1e16"), ("max", "")])
def test_a_bound_python_would_refuse_is_refused_on_its_field(page, bound, text):
    widget = live(page)
    open_link(page, "x*x", {"x": 1.0})
    field = widget.get_by_label(f"x {bound}", exact=True)
    field.fill(text)
    field.press("Enter")
    assert field.get_attribute("aria-invalid") == "true"
    message = widget.locator(f"#{field.get_attribute('aria-describedby')}").text_content()
    expected_start = f"x {bound} must be a number" if text == "" else f"x {bound} must be between -1e+15 and 1e+15"
    assert message.startswith(expected_start) and message.endswith("the slider keeps its range -5 to 5.")
    # The slider still runs over the range Python accepts: its end is 5, not the refused bound.
    slider = widget.get_by_role("slider", name="x", exact=True)
    assert (slider.get_attribute("min"), slider.get_attribute("max")) == ("-5", "5")
    slider.focus()
    page.keyboard.press("End" if bound == "max" else "Home")
    settled(page)
    edge = 5.0 if bound == "max" else -5.0
    assert widget.locator("[role=alert]").text_content() == ""
    assert attribute(widget.locator("[data-node=x]").get_attribute("data-value")) == edge
    assert decode_state(page.evaluate("location.hash"))[1] == {"x": edge}
    # The largest bound Python accepts is taken.
    field.fill("1e15" if bound == "max" else "-1e15")
    field.press("Enter")
    assert field.get_attribute("aria-invalid") is None
    assert slider.get_attribute(bound) == ("1000000000000000" if bound == "max" else "-1000000000000000")


def test_the_backward_pass_steps_from_the_keyboard(playground_page):
    page = playground_page
    widget = live(page)
    engine = open_link(page, "(a+b)*b", {"a": 2.0, "b": 3.0})
    widget.get_by_role("radio", name="Values and gradients").focus()
    page.keyboard.press("ArrowRight")   # the radio group: Backward, step by step
    assert widget.get_by_role("radio", name="Backward, step by step").is_checked()
    stepper = widget.get_by_role("slider", name="Backward step")
    stepper.focus()
    texts = []
    for i, step in enumerate(engine["backward"]):
        if i:
            page.keyboard.press("ArrowRight")
        texts.append(widget.locator(".step-text").inner_text())
        active = widget.locator('[data-node][data-active="true"]').evaluate_all("(ns) => ns.map((n) => n.dataset.node)")
        assert sorted(active) == sorted(step["active"])
    assert texts == [step["text"] for step in engine["backward"]]
    assert any("+=" in text and "paths" in text for text in texts)   # b's two paths meet


def test_stepping_shows_only_the_gradients_reached_so_far(playground_page):
    page = playground_page
    widget = live(page)
    engine = open_link(page, "(a+b)*b", {"a": 2.0, "b": 3.0})
    widget.get_by_role("radio", name="Backward, step by step").check()
    stepper = widget.get_by_role("slider", name="Backward step")
    # Value, Autograd, Numerical, Difference (the guess cell is hidden outside predicting).
    cells = lambda name: widget.locator(f"tbody tr[data-variable={name}] td").all_inner_texts()[:4]  # noqa: E731
    # Step 0 seeds f: no input has a gradient yet, and the check would give them away.
    assert cells("a")[1:] == ["?", "?", "?"] and cells("b")[1:] == ["?", "?", "?"]
    assert table_rows(widget)["b"] == {"grad": None, "numerical": None, "difference": None, "agrees": None}
    # Step 1 (at f): b has its first share, 5, of 8; still no check, since b's gradient is not complete.
    stepper.fill("1")
    assert cells("b")[1:] == ["5", "?", "?"] and cells("a")[1] == "?"
    assert engine["backward"][1]["grads"]["b"] == 5.0
    # Step 2 (at a + b): both complete, with the check beside them.
    stepper.fill("2")
    assert cells("b")[1] == "8" and cells("a")[1] == "3"
    assert table_rows(widget)["b"]["numerical"] == pytest.approx(8.0, rel=1e-6)
    assert "✓ agree" in cells("b")[3]


def test_predict_then_reveal(playground_page):
    page = playground_page
    widget = live(page)
    open_link(page, "(a+b)*b", {"a": 2.0, "b": 3.0})
    widget.get_by_role("radio", name="Predict first").check()
    assert all(grad is None for _, grad in drawn(widget).values())
    assert widget.locator("tbody tr[data-variable=b] td.grad").inner_text() == "?"
    widget.get_by_label("Your guess for ∂f/∂b").fill("7")
    widget.get_by_role("button", name="Reveal the gradients").click()
    assert drawn(widget)["b"][1] == 8.0
    assert judged(widget, "b") == "off by 1"


def judged(widget, variable):
    """The verdict on the guess for `variable`, once Python has judged it (lesson.exercises.judge_guess)."""
    result = widget.locator(f"tbody tr[data-variable={variable}] .guess-result")
    return wait_until(widget.page, "(r) => r.dataset.verdict && r.textContent", result.element_handle())


@pytest.mark.parametrize("guess, verdict", [
    ("8", "right"),
    ("8.0", "right"),
    ("8e0", "right"),
    ("7.98", "right"),                    # within the exercises' tolerance, 0.5% of 8
    ("7.5", "close: off by 0.5"),
    ("7", "off by 1"),
    ("−8", "off by 16"),                  # a typographic minus reads as "-"
    ("16/2", "right"),                    # numbers combined, computed by the engine
    ("0x8", "'0x8' is not a number: write decimals like 0.5 or 1e-3, and put '*' between a number and a name (2*x)"),
    ("Infinity", "'Infinity' is not allowed: every number here must be finite"),
])
def test_a_guess_is_read_and_judged_by_python(playground_page, guess, verdict):
    page = playground_page
    widget = live(page)
    open_link(page, "(a+b)*b", {"a": 2.0, "b": 3.0})
    widget.get_by_role("radio", name="Predict first").check()
    widget.get_by_label("Your guess for ∂f/∂b").fill(guess)
    widget.get_by_label("Your guess for ∂f/∂b").press("Enter")   # Enter reveals, as the button does
    assert judged(widget, "b") == verdict
    judgement = python_call(page, "judge_guess", {"guess": guess, "expected": 8.0})
    assert verdict == judgement["summary"]
    # The verdict in words, right / close / off, is on the element too (its colour follows it).
    result = widget.locator("tbody tr[data-variable=b] .guess-result")
    assert result.get_attribute("data-verdict") == judgement["verdict"]
    assert judgement["verdict"] in {"right", "close", "off", "unreadable"}
    if judgement["verdict"] != "unreadable":
        assert verdict.startswith(judgement["verdict"])


def test_a_guess_right_to_the_digits_shown_is_right(playground_page):
    page = playground_page
    widget = live(page)
    engine = open_link(page, "exp(x)/(exp(x)+exp(z))", {"x": 1.0, "z": 2.0})
    widget.get_by_role("radio", name="Predict first").check()
    widget.get_by_label("Your guess for ∂f/∂x").fill("0.1966")
    widget.get_by_role("button", name="Reveal the gradients").click()
    assert round(next(r["grad"] for r in engine["variables"] if r["name"] == "x"), 4) == 0.1966
    assert judged(widget, "x") == "right"


# Bad input: an alert that points at the problem; nothing else changes and the next input works.

@pytest.mark.parametrize("text, message, marked", [
    ("__import__('os')", "double-underscore names are not allowed", "__import__"),
    ("x.__class__", "attribute access", ".__class__"),
    ("<img src=x onerror=alert(1)>", "'<' is not allowed", "<"),
    ("open('f')", "unknown function 'open'", "open"),
    ("x**99999999", "the exponent 99999999 is too large", "99999999"),
    ("(" * 60 + "x" + ")" * 60, "nests deeper than 40 levels", "("),
    ("x +", "ends too early", "+"),
    ("sum(x for x in y)", "unknown function 'sum'", "sum"),
    ("(x for x in y)", "'for' is a Python keyword", "for"),
])
def test_bad_input_is_refused_in_an_alert_that_points_at_it(playground_page, text, message, marked):
    page = playground_page
    widget = live(page)
    before = drawn(widget)
    with dialogs_dismissed(page) as dialogs:
        type_expression(page, widget, text)
        alert = widget.locator("[role=alert]")
        assert message in alert.text_content()
        assert alert.locator("mark").text_content() == marked
        assert widget.get_by_label("Expression", exact=True).get_attribute("aria-invalid") == "true"
        assert widget.locator("img").count() == 0
        assert drawn(widget) == before   # the last good graph stays
        type_expression(page, widget, "x*y")
        assert alert.text_content() == ""
        assert widget.get_attribute("data-expression") == "x*y"
    assert dialogs == []


def test_a_huge_paste_is_refused_for_its_whole_length(playground_page):
    page = playground_page
    widget = live(page)
    type_expression(page, widget, "x+" * 50_000 + "x")   # the field keeps all of it: nothing cut silently
    assert widget.get_by_label("Expression", exact=True).evaluate("(f) => f.value.length") == 100_001
    alert = widget.locator("[role=alert]")
    assert "the expression is 100001 characters long: at most 500" in alert.text_content()
    assert len(alert.locator("mark").text_content()) == 48   # the span is cut for showing


@pytest.mark.parametrize("text, marked, reads", [
    ("x‮y + 1", "⟨U+202E⟩", "x⟨U+202E⟩y + 1"),          # right-to-left override: would reverse the rest
    ("x​y", "⟨U+200B⟩", "x⟨U+200B⟩y"),                  # zero-width space: would mark nothing visible
    ("x $ ‮⁦y", "$", "x $ ⟨U+202E⟩⟨U+2066⟩y"),      # after the mark too
    ("x😀", "⟨U+1F600⟩", "x⟨U+1F600⟩"),
])
def test_invisible_and_bidi_characters_are_shown_by_code_point(playground_page, text, marked, reads):
    page = playground_page
    widget = live(page)
    type_expression(page, widget, text)
    source = widget.locator("[role=alert] .playground-source")
    assert source.locator("mark").text_content() == marked
    assert source.text_content() == reads
    # The snippet is isolated and left to right, whatever the text around it.
    assert source.evaluate("(s) => [s.tagName, s.dir, getComputedStyle(s).unicodeBidi]") == ["BDI", "ltr", "isolate"]
    assert source.locator("mark").evaluate("(m) => m.getBoundingClientRect().width") > 10


# Every non-empty text the alert takes, in order, into window.announced (what a screen reader would announce).
RECORD_ANNOUNCEMENTS = """(alert) => { window.announced = [];
  const observer = new MutationObserver(() => { if (alert.textContent) window.announced.push(alert.textContent); });
  observer.observe(alert, {childList: true, subtree: true, characterData: true});
  return observer; }"""


def test_refusals_are_announced_once_typing_pauses_not_per_keystroke(playground_page):
    page = playground_page
    widget = at_the_lessons_expression(page)
    field = widget.get_by_label("Expression", exact=True)
    watch(widget.locator("[role=alert]"), RECORD_ANNOUNCEMENTS)
    field.fill("")
    settled(page)
    widget.locator("[role=alert]").evaluate("() => { window.announced = []; }")
    type_at_pace(field, "tanh(w*x + b)", 60)   # 9 of the 13 prefixes are refused
    settled(page)
    assert page.evaluate("window.announced") == []
    assert widget.get_attribute("data-expression") == "tanh(w*x + b)"
    # A pause announces the refusal once; the graph of the last good input stays meanwhile.
    type_at_pace(field, " +", 60)
    settled(page)
    assert page.evaluate("window.announced.length") == 1 and "ends too early" in page.evaluate("window.announced[0]")
    assert widget.get_attribute("data-expression") == "tanh(w*x + b)"
    # Enter announces at once (no wait for a pause).
    field.fill("x *")
    field.press("Enter")
    wait_until(page, f"() => !document.querySelector('{WIDGET}').dataset.busy")
    assert "ends too early" in widget.locator("[role=alert]").text_content()


def test_a_slow_answer_does_not_announce_what_typing_has_gone_past(playground_page):
    """Python answering slower than the pause (a busy machine) must not turn each answer into an announcement."""
    page = playground_page
    widget = live(page)
    field = widget.get_by_label("Expression", exact=True)
    field.fill("x")
    settled(page)
    page.evaluate("""() => {
        const bridge = window.lesson.bridge, call = bridge.call.bind(bridge);
        bridge.call = (name, args) => new Promise((done) => setTimeout(done, 500)).then(() => call(name, args));
    }""")
    watch(widget.locator("[role=alert]"), RECORD_ANNOUNCEMENTS)
    field.fill("")
    type_at_pace(field, "tanh(w*x + b)", 120)
    settled(page)
    assert page.evaluate("window.announced") == []
    assert widget.get_attribute("data-expression") == "tanh(w*x + b)"


def test_a_domain_error_shows_undefined_nodes_and_the_page_recovers(playground_page):
    page = playground_page
    widget = live(page)
    engine = open_link(page, "log(x) + exp(y)", {"x": -2.0, "y": 1.0})
    reason = "log is defined only for positive numbers, got log(-2)"
    assert widget.get_attribute("data-state") == "undefined"
    assert reason in widget.locator(".playground-undefined").inner_text()
    log_node = widget.locator(f"[data-node={engine['undefined']['node']}]")
    assert log_node.get_attribute("data-value") == ""
    assert reason in log_node.locator("title").text_content()
    assert attribute(widget.locator("[data-node=y]").get_attribute("data-value")) == 1.0
    engine = open_link(page, "log(x) + exp(y)", {"x": 2.0, "y": 1.0})
    assert widget.get_attribute("data-state") == "ok"
    assert_same_numbers(drawn(widget), expected(engine), exact=False)


# Links.

def test_a_link_reproduces_the_playground(new_tab, dist):
    link = encode_state("tanh(w*x + b)", {"w": -0.7, "x": 1.25, "b": 0.5})
    page = new_tab((dist / "lesson.html").as_uri() + "#" + link)
    widget = live(page)
    wait_until(page, f"() => document.querySelector('{WIDGET}').dataset.expression === 'tanh(w*x + b)'")
    assert_same_numbers(drawn(widget), expected(playground(*decode_state(link))), exact=False)
    assert page.evaluate("location.hash") == "#" + link
    # A change updates the link; opening that link again shows the same numbers.
    type_expression(page, widget, "tanh(w*x + b)**2")
    changed = page.evaluate("location.hash")
    assert decode_state(changed) == ("tanh(w*x + b)**2", {"w": -0.7, "x": 1.25, "b": 0.5}, {})
    shown = drawn(widget)
    assert_same_numbers(shown, expected(playground(*decode_state(changed))), exact=False)
    page.reload()
    widget = live(page)
    wait_until(page, f"() => document.querySelector('{WIDGET}').dataset.expression === 'tanh(w*x + b)**2'")
    assert drawn(widget) == shown


HOSTILE_LINKS = {
    "#playground?e=" + quote("__import__('os').system('x')", safe=""): "double-underscore names",
    "#playground?e=" + quote("<script>alert(1)</script>", safe=""): "'<' is not allowed",
    "#playground?e=x&x=alert(1)": "unknown function 'alert'",
    "#playground?e=x&__proto__=1": "which the expression does not use",
    "#playground?e=%FF": "not valid percent-encoded UTF-8",
    "#playground?e=x%": "has a broken escape '%'",
    "#playground?e=x&x=1%E0%A4%A": "the value of x in the link has a broken escape '%A'",
    "#playground?e=x&x.range=2,1": "x min must be less than x max",
    "#playground?e=x&x.range=alert(1),2": "unknown function 'alert'",
    "#playground?e=x&x.range=0,1e300": "too large",
}
# Opened with the page, a link waits for Python and goes through the same check as one followed in the page
# (every link above is followed in the page below); these three also open with it: code, markup, bad bytes.
OPENED_WITH_THE_PAGE = list(HOSTILE_LINKS)[:2] + ["#playground?e=%FF"]


def assert_refused_and_unchanged(page, widget, message, expression, numbers):
    """The playground says why the link was refused, in Python's words, and still shows `expression` and `numbers`."""
    wait_until(page, f"() => document.querySelector('{WIDGET} [role=alert]').textContent !== ''")
    alert = widget.locator("[role=alert]").text_content()
    assert "This link could not be opened" in alert and message in alert
    assert "Error:" not in alert  # Python's message, without "lesson.expr.ExprError: "
    assert widget.get_by_label("Expression", exact=True).input_value() == expression
    assert_same_numbers(drawn(widget), numbers, exact=False)
    assert widget.locator("script, img").count() == 0
    assert page.evaluate("document.documentElement.dataset.python") == "ready"


@pytest.mark.parametrize("fragment", OPENED_WITH_THE_PAGE)
def test_a_hostile_link_opened_with_the_page_changes_nothing_but_the_alert(new_tab, dist, fragment):
    page = new_tab()
    with dialogs_dismissed(page) as dialogs:
        page.goto((dist / "lesson.html").as_uri() + fragment)
        widget = widget_of(page)
        wait_for_python(page)
        state = initial_state()
        assert_refused_and_unchanged(page, widget, HOSTILE_LINKS[fragment], state["expression"], expected(state["result"]))
    assert dialogs == []


@pytest.mark.parametrize("fragment, message", HOSTILE_LINKS.items())
def test_a_hostile_link_followed_in_the_page_changes_nothing_but_the_alert(playground_page, fragment, message):
    page = playground_page
    with dialogs_dismissed(page) as dialogs:
        widget = at_the_lessons_expression(page)
        numbers = drawn(widget)
        assert widget.locator("[role=alert]").text_content() == ""  # what the test waits for is this link's alert
        page.evaluate("(hash) => { location.hash = hash; }", fragment)
        assert_refused_and_unchanged(page, widget, message, "tanh(w*x + b)", numbers)
    assert dialogs == []


@pytest.mark.parametrize("fragment", ["#%E0%A4%A", "#playground?e=%FF", "#playground?e=x%", "#100%", "#%"])
def test_a_malformed_escape_in_any_fragment_raises_no_page_error(new_tab, dist, fragment):
    """The guard fails the test on any page error: on load, and when the fragment changes to it."""
    page = new_tab((dist / "lesson.html").as_uri() + fragment)
    widget = live(page)
    page.evaluate("() => { location.hash = '#playground'; }")
    page.evaluate("(hash) => { location.hash = hash; }", fragment)
    settled(page)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50)))")
    assert widget.get_by_label("Expression", exact=True).input_value() == initial_state()["expression"]
    assert page.evaluate("document.documentElement.dataset.python") == "ready"


# Readable graphs up to ~50 nodes (and the parser's limit, 60), left to right, on a laptop and a phone, in both themes.

GRAPHS = {
    6: "tanh(w*x + b)",
    13: "tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(tanh(x))))))))))))",
    20: "tanh(w1*x1 + w2*x2 + b) * (y - 0.5)**2 + relu(x1)*sigmoid(x2) + b",
    43: "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)*tanh(v1*x1 + v2*x2 + v3*x3 + b)"
        " - (exp(x1)/(exp(x1) + exp(x2) + exp(x3)) - 0.5)**2 + relu(x1 - x2)*2 + tanh(x3)",
    50: "exp(a)/(exp(a) + exp(b) + exp(c)) + log(sigmoid(a*b + c)) - (a - b)**2*c + tanh(a + b + c)*relu(b - c)"
        " + 1/(1 + exp(-a)) + tanh(a*b*c) + sigmoid(a - 2*b)*(c + 3)**2 + relu(a)*-1",
}
GRAPHS[60] = GRAPHS[50] + " + tanh(a - c)*sigmoid(b*c) - exp(-b)*c"   # at the parser's limit


def test_the_graph_sizes_are_as_named():
    assert {size: len(playground(text, {})["trace"]["nodes"]) for size, text in GRAPHS.items()} == {
        size: size for size in GRAPHS}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_graphs_up_to_50_nodes_stay_readable_left_to_right(playground_page, scheme, screenshot):
    page = playground_page
    widget = live(page)
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")  # no glide: boxes are where they end up
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for size, text in GRAPHS.items():
            open_link(page, text, {})
            widget.scroll_into_view_if_needed()
            scrolls = check_readable(page, widget, f"{size} nodes at {width} px")
            turned = widget.locator('.graph-view svg[data-direction="down"]').count() == 1
            if size >= 20 and not turned:   # top to bottom, a graph may fit at full size
                assert scrolls, f"{size} nodes at {width} px fit without scrolling: the text must have shrunk"
            assert widget.locator("svg.is-compact").count() == (1 if size >= 15 else 0)
            widget.locator(".graph-scroll").evaluate("(s) => { s.scrollLeft = 0; }")
            screenshot(widget, f"playground-{size}-{width}-{scheme}.png")


# Whether the next drawing of the playground's graph starts a glide: a MutationObserver's callback runs
# once the drawing's task is done, when every box that moves has its d3 transition pending (d3 keeps it in
# the node's __transition), however late the transition's first frame comes on a busy machine.
WATCH_THE_NEXT_DRAWING = """(w) => {
  window.glideStarted = null;
  const observer = new MutationObserver(() => {
    window.glideStarted = [...w.querySelectorAll('[data-node]')].some((n) => n.__transition);
    observer.disconnect();
  });
  observer.observe(w.querySelector('.graph-view'), { subtree: true, attributes: true, attributeFilter: ['transform', 'data-value'] });
}"""
# Each box's place, to a tenth of a pixel (a glide ends on d3's interpolated text of the same place).
POSITIONS = """(w) => Object.fromEntries([...w.querySelectorAll('[data-node]')].map((n) => {
  const { e, f } = n.transform.baseVal.consolidate().matrix;
  return [n.dataset.node, [e.toFixed(1), f.toFixed(1)]];
}))"""


def test_a_new_graph_glides_its_boxes_to_where_reduced_motion_draws_them(playground_page):
    """With no preference for reduced motion, the boxes a new expression keeps glide to their new places,
    and end where reduced motion puts them at once."""
    page = playground_page
    widget = live(page)
    type_expression(page, widget, "x + y")
    widget.evaluate(WATCH_THE_NEXT_DRAWING)
    type_expression(page, widget, "tanh(x) + y")
    assert page.evaluate("window.glideStarted") is False   # reduced motion: drawn where they end up
    at_once = widget.evaluate(POSITIONS)
    type_expression(page, widget, "x + y")
    before = widget.evaluate(POSITIONS)
    assert all(before[node] != at_once[node] for node in ("x", "y", "f"))  # the boxes kept move
    page.emulate_media(reduced_motion="no-preference")
    widget.evaluate(WATCH_THE_NEXT_DRAWING)
    type_expression(page, widget, "tanh(x) + y")
    assert page.evaluate("window.glideStarted") is True
    wait_until(page, f"(w) => !({GLIDING})(w)", widget.element_handle())
    assert widget.evaluate(POSITIONS) == at_once
    page.evaluate("() => { delete window.glideStarted; }")


# The form's look: styled text boxes in both themes.

@pytest.mark.parametrize("scheme, surface", [("light", "rgb(246, 248, 250)"), ("dark", "rgb(22, 27, 34)")])
def test_expression_and_guess_fields_are_styled_in_both_themes(playground_page, scheme, surface):
    page = playground_page
    widget = live(page)
    page.emulate_media(color_scheme=scheme)
    widget.get_by_role("radio", name="Predict first").check()
    field = widget.get_by_label("Expression", exact=True)
    guess = widget.locator("td.guess input").first
    for box in (field, guess):
        style = box.evaluate("(e) => { const s = getComputedStyle(e); return {bg: s.backgroundColor, size: parseFloat(s.fontSize),"
                             " color: s.color, radius: s.borderTopLeftRadius}; }")
        assert style["bg"] == surface and style["radius"] == "6px"
        assert style["size"] >= 15  # the page's text size, not the browser's small default (13.3 px)
    # The label sits apart from its box.
    gap = widget.evaluate("(w) => { const label = w.querySelector('.expression-field label').getBoundingClientRect();"
                          " const box = w.querySelector('.expression-field input').getBoundingClientRect();"
                          " return box.top - label.bottom; }")
    assert gap >= 3


# Links, messages and steps.

def test_a_bad_link_brings_the_reader_to_its_message(new_tab, dist):
    page = new_tab()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto((dist / "lesson.html").as_uri() + "#playground?e=x&x=alert(1)")
    widget_of(page)  # mounted and drawn
    wait_for_python(page)
    wait_until(page, f"() => document.querySelector('{WIDGET} [role=alert]').textContent !== ''")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"
    # On screen once the (smooth) scroll ends: the widget near the top, the page far down.
    wait_until(page, f"() => {{ const top = document.querySelector('{WIDGET}').getBoundingClientRect().top;"
                     " return 0 <= top && top < 200; }")
    assert page.evaluate("scrollY") > 10_000


def test_the_playground_anchor_lands_on_the_playground(new_tab, dist):
    page = new_tab(init_script=HOLD_PYTHON_BACK)  # a plain anchor: the page's own, no Python
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto((dist / "lesson.html").as_uri() + "#playground")
    widget = widget_of(page)
    assert widget.get_attribute("id") == "playground"
    wait_until(page, f"() => Math.abs(document.querySelector('{WIDGET}').getBoundingClientRect().top) < 100")


def test_moving_a_slider_keeps_the_backward_step(playground_page):
    page = playground_page
    widget = live(page)
    engine = open_link(page, "(a+b)*b", {"a": 2.0, "b": 3.0})
    widget.get_by_role("radio", name="Backward, step by step").check()
    stepper = widget.get_by_role("slider", name="Backward step")
    stepper.fill("2")
    assert stepper.get_attribute("aria-valuetext") == "Backward, step 2 of 2"
    widget.get_by_role("slider", name="a", exact=True).fill("1")
    settled(page)
    assert stepper.input_value() == "2"
    assert widget.locator(".playground-steps output").text_content() == "Backward, step 2 of 2"
    moved = playground("(a+b)*b", {"a": 1.0, "b": 3.0})
    assert widget.locator(".step-text").inner_text() == moved["backward"][2]["text"] != engine["backward"][2]["text"]
    # A new expression starts again at step 0.
    type_expression(page, widget, "a*b")
    assert stepper.input_value() == "0"


def test_constants_names_and_messages_read_as_the_lesson_writes_them(playground_page):
    page = playground_page
    widget = live(page)
    type_expression(page, widget, "x*e + pi")
    assert attribute(widget.locator("[data-node=e]").get_attribute("data-value")) == pytest.approx(2.718281828459045)
    assert widget.locator(".playground-variable").evaluate_all("(rows) => rows.map((r) => r.dataset.variable)") == ["x"]
    type_expression(page, widget, "f*x")
    widget.get_by_role("radio", name="Predict first").check()
    assert widget.get_by_label("Your guess for ∂g/∂f").count() == 1
    assert "∂g/∂v" in widget.locator("caption").text_content()
    type_expression(page, widget, "x**2**3")
    assert widget.get_attribute("data-expression") == "x**8"
    type_expression(page, widget, "1/(x - x)")
    assert widget.locator(".playground-undefined").inner_text() == "f = 1/(x - x) is undefined here: division by zero: 1 / 0."
    type_expression(page, widget, "1e15*x")
    assert widget.get_attribute("data-expression") == "1e15*x"
    type_expression(page, widget, "x + inf")
    assert widget.locator("[role=alert] div").first.text_content() == "'inf' is not allowed: every number here must be finite"


# Undefined values and gradients say why, on the graph and in words.

ERROR_COLOUR = {"light": "rgb(164, 14, 38)", "dark": "rgb(255, 148, 146)"}


def box_style(widget, node_id):
    """The computed stroke, stroke width and dash pattern of a node's box."""
    return widget.locator(f"[data-node={node_id}] rect.box").evaluate(
        "(b) => { const s = getComputedStyle(b); return [s.stroke, s.strokeWidth, s.strokeDasharray]; }")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_undefined_node_is_marked_and_the_message_names_it(playground_page, scheme, screenshot):
    page = playground_page
    widget = live(page)
    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
    engine = open_link(page, "log(x) + exp(y)", {"x": 0.0, "y": 1.0})
    cause = engine["undefined"]["node"]
    output = engine["trace"]["output"]
    assert widget.locator(".playground-undefined").inner_text() == engine["undefined"]["message"] == (
        "z1 = log(x) is undefined here: log is defined only for positive numbers, got log(0), "
        "and so is everything computed from it.")
    # The failing node and the output computed from it are undefined; only the failing one is the cause.
    undefined = widget.locator("[data-node].is-undefined").evaluate_all("(ns) => ns.map((n) => n.dataset.node)")
    assert sorted(undefined) == sorted([cause, output])
    assert widget.locator("[data-node].is-cause").evaluate_all("(ns) => ns.map((n) => n.dataset.node)") == [cause]
    # Visibly so, in the error colour, without hovering: the cause solid and thick, the rest dashed.
    defined = next(n["id"] for n in engine["trace"]["nodes"] if n["op"] == "exp")
    error = ERROR_COLOUR[scheme]
    assert box_style(widget, cause) == [error, "3.5px", "none"]
    assert box_style(widget, output)[0] == error and box_style(widget, output)[2] == "5px, 3px"
    assert box_style(widget, defined)[0] != error
    assert widget.locator(f"[data-node={cause}] tspan.value").evaluate("(t) => getComputedStyle(t).fill") == error
    screenshot(widget, f"playground-undefined-{scheme}.png")
    # Defined again: the marks go.
    open_link(page, "log(x) + exp(y)", {"x": 1.0, "y": 1.0})
    assert widget.locator("[data-node].is-undefined, [data-node].is-cause").count() == 0


def test_where_only_the_derivative_fails_the_values_show_and_the_gradient_says_undefined(playground_page):
    page = playground_page
    widget = live(page)
    engine = open_link(page, "(y-1)**0.5 + x", {"y": 1.0, "x": 2.0})
    cause = engine["undefined"]["node"]
    assert widget.get_attribute("data-state") == "undefined"
    assert widget.locator(".playground-undefined").inner_text() == engine["undefined"]["message"] == (
        "z2 = (y - 1)**0.5: its derivative is infinite where y - 1 = 0, so there are no gradients here "
        "(the values are shown).")
    shown = drawn(widget)
    assert shown[cause] == (0.0, None) and shown[engine["trace"]["output"]] == (2.0, None)
    assert all(value is not None for value, _ in shown.values())
    assert widget.locator(f"[data-node={cause}] tspan.grad").text_content() == "grad undefined"
    assert widget.locator("[data-node].is-cause").count() == 1 and widget.locator("[data-node].is-undefined").count() == 0
    assert widget.locator("tbody tr[data-variable=y] td.difference").inner_text().startswith(
        "(y - 1)**0.5: its derivative is infinite where y - 1 = 0")


def test_an_expression_without_variables_says_so_instead_of_an_empty_table(playground_page):
    page = playground_page
    widget = live(page)
    type_expression(page, widget, "2**3 - 1")
    assert drawn(widget) == {"f": (7.0, None)}
    assert widget.locator(".playground-table").is_hidden()
    assert widget.locator(".playground-no-inputs").inner_text() == (
        "The expression has no variables, so there is no gradient to check: every number in it is a constant.")
    widget.get_by_role("radio", name="Backward, step by step").check()
    assert widget.locator(".step-text").inner_text() == (
        "The expression has no variables, so there is nothing to step back through.")
    assert "∂f/∂v" in widget.locator("caption").text_content()
    type_expression(page, widget, "x*2")
    assert widget.locator(".playground-table").is_visible() and widget.locator(".playground-no-inputs").is_hidden()


def test_relu_at_its_kink_marks_the_disagreement_and_explains_it(playground_page):
    page = playground_page
    widget = live(page)
    engine = open_link(page, "relu(x)*w", {"x": 0.0, "w": 1.0})
    rows = table_rows(widget)
    assert rows["x"]["agrees"] is False and rows["w"]["agrees"] is True
    assert widget.locator("tbody tr[data-variable=x] .agreement").inner_text().strip() == "✗ differ"
    assert widget.locator("tbody tr[data-variable=w] .agreement").inner_text().strip() == "✓ agree"
    assert widget.locator(".playground-check-note").inner_text() == engine["check_note"]
    assert engine["check_note"].startswith("relu(x) sits at its kink here (x = 0)")
    # Predicting hides the check and its note, which would give the answer away.
    widget.get_by_role("radio", name="Predict first").check()
    assert widget.locator(".playground-check-note").inner_text() == ""
    assert widget.locator("tbody tr[data-variable=x] .agreement").inner_text() == ""


# One call to Python at a time: a fast drag on a big graph does not queue up a backlog.

def test_a_fast_drag_keeps_one_call_in_flight_and_ends_on_the_newest_values(playground_page):
    page = playground_page
    widget = live(page)
    open_link(page, GRAPHS[50], {})
    page.evaluate("""() => {
        const bridge = window.lesson.bridge, call = bridge.call.bind(bridge);
        window.calls = {sent: 0, open: 0, most: 0};
        bridge.call = (name, args) => {
            if (name !== 'playground') return call(name, args);
            calls.sent += 1; calls.open += 1; calls.most = Math.max(calls.most, calls.open);
            return call(name, args).finally(() => { calls.open -= 1; });
        };
    }""")
    slider = widget.get_by_role("slider", name="a", exact=True)
    slider.evaluate("""async (s) => {
        for (let i = 1; i <= 40; i++) {
            s.value = String(-5 + i * 0.25);
            s.dispatchEvent(new Event('input', {bubbles: true}));
            await new Promise((r) => setTimeout(r, 2));
        }
    }""")
    settled(page)
    calls = page.evaluate("window.calls")
    assert calls["most"] == 1 and calls["sent"] < 40, calls
    engine = playground(*decode_state(page.evaluate("location.hash")))
    assert [r["value"] for r in engine["variables"]][0] == 5.0
    assert_same_numbers(drawn(widget), expected(engine), exact=False)


# Keyboard only: the order Tab takes, and Enter.

def focused(page):
    """The focused element's accessible name, as the tests name controls."""
    return page.evaluate("""() => { const e = document.activeElement;
        if (e.labels?.length) return e.getAttribute('aria-label') || e.labels[0].textContent.trim();
        return e.getAttribute('aria-label') || e.textContent.trim(); }""")


def press(page, key, times):
    """Press `key` `times` times; return the name of what has focus then."""
    for _ in range(times):
        page.keyboard.press(key)
    return focused(page)


def test_tab_goes_through_the_controls_in_reading_order_and_enter_submits(playground_page):
    page = playground_page
    widget = live(page)
    open_link(page, "x*x", {"x": 3.0})
    widget.get_by_role("radio", name="Predict first").check()
    widget.get_by_label("Expression", exact=True).focus()
    order = [focused(page)] + [press(page, "Tab", 1) for _ in range(6)]
    assert order == ["Expression", "x", "x min", "x max", "Predict first", "Your guess for ∂f/∂x",
                     "Reveal the gradients"]
    # Back to the slider, one notch up (3.05), then on to the guess: Enter reveals and judges it.
    assert press(page, "Shift+Tab", 5) == "x"
    page.keyboard.press("ArrowRight")
    settled(page)
    assert press(page, "Tab", 4) == "Your guess for ∂f/∂x"
    page.keyboard.type("6.1")
    page.keyboard.press("Enter")
    assert judged(widget, "x") == "right"
    assert drawn(widget)["x"] == (3.05, 6.1)
    # Enter in the Expression field submits it; a refusal is announced at once.
    assert press(page, "Shift+Tab", 5) == "Expression"
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("x**3")
    page.keyboard.press("Enter")
    settled(page)
    assert widget.get_attribute("data-expression") == "x**3"
    page.keyboard.type(" +")
    page.keyboard.press("Enter")
    wait_until(page, f"() => !document.querySelector('{WIDGET}').dataset.busy")
    assert "ends too early" in widget.locator("[role=alert]").text_content()


# Issue 10 item 5: the playground as a new learner tries it.

SLIDER_NAMES_JS = """(w) => { window.sliderNames = new Set();
  const note = () => w.querySelectorAll('.playground-variable').forEach((r) => window.sliderNames.add(r.dataset.variable));
  const observer = new MutationObserver(note);
  observer.observe(w.querySelector('.playground-sliders'), {childList: true});
  return observer; }"""


@pytest.mark.parametrize("typed, refused", [("tanh(w*x + ", "ends too early"), ("foo(x)", "unknown function 'foo'")])
def test_half_typed_words_never_get_a_slider(playground_page, typed, refused):
    """'tan' on the way to 'tanh(' and 'foo' before '(x)' parse as variables: typed at a learner's speed they
    must never reach the sliders, which change only when the text parses and typing has paused."""
    page = playground_page
    widget = at_the_lessons_expression(page)
    watch(widget, SLIDER_NAMES_JS)
    field = widget.get_by_label("Expression", exact=True)
    field.fill("")
    type_at_pace(field, typed, 80)
    settled(page)
    assert refused in widget.locator("[role=alert]").text_content()
    assert page.evaluate("[...window.sliderNames]") == []  # no row was ever added, none named tan or foo
    assert widget.locator(".playground-variable").evaluate_all("(rows) => rows.map((r) => r.dataset.variable)") == [
        "w", "x", "b"]


def test_typing_goes_to_python_once_it_pauses(playground_page):
    page = playground_page
    widget = at_the_lessons_expression(page)
    page.evaluate("""() => { const bridge = window.lesson.bridge, call = bridge.call.bind(bridge);
        window.sent = []; bridge.call = (name, args) => { if (name === 'playground') window.sent.push(args.expression);
        return call(name, args); }; }""")
    field = widget.get_by_label("Expression", exact=True)
    field.press("End")
    type_at_pace(field, "*2", 60)
    settled(page)
    assert page.evaluate("window.sent") == ["tanh(w*x + b)*2"]
    assert widget.get_attribute("data-expression") == "tanh(w*x + b)*2"


def link_field(widget):
    return widget.get_by_label("Link", exact=True)


def test_copy_link_keeps_values_and_ranges_and_the_link_opens_them(new_tab, dist):
    page = new_tab((dist / "lesson.html").as_uri())
    widget = live(page)
    open_link(page, "w*x", {"w": 3.0, "x": -2.0})
    for which, text in (("max", "10"), ("min", "-10")):
        bound = widget.get_by_label(f"w {which}", exact=True)
        bound.fill(text)
        bound.press("Tab")   # a bound applies on change
        settled(page)
    fragment = encode_state("w*x", {"w": 3.0, "x": -2.0}, {"w": [-10, 10]})
    link = (dist / "lesson.html").as_uri() + "#" + fragment
    wait_until(page, "([f, link]) => f.value === link", [link_field(widget).element_handle(), link])
    assert link_field(widget).get_attribute("readonly") == ""
    widget.get_by_role("button", name="Copy link").click()
    said = wait_until(page, "(s) => s.textContent", widget.locator(".playground-copied").element_handle())
    # Headless, the clipboard may be refused: then the link is selected for Ctrl+C, and the page says so.
    assert said.startswith("Link copied") or "the link is selected" in said
    # The link opens the same expression, values and ranges in a fresh page, drawn as CPython computes them.
    fresh = new_tab(link_field(widget).input_value())
    opened = live(fresh)
    wait_until(fresh, f"() => document.querySelector('{WIDGET}').dataset.expression === 'w*x'")
    slider = opened.get_by_role("slider", name="w", exact=True)
    assert (slider.get_attribute("min"), slider.get_attribute("max"), slider.input_value()) == ("-10", "10", "3")
    assert (opened.get_by_label("w min", exact=True).input_value(), opened.get_by_label("w max", exact=True).input_value()) == ("-10", "10")
    assert_same_numbers(drawn(opened), expected(playground(*decode_state(fragment))))
    assert link_field(opened).input_value() == link


def test_accumulation_labels_on_the_page_are_cpythons(playground_page):
    """Where a node feeds several others, each path's edge carries its share and the node the sum."""
    page = playground_page
    widget = live(page)
    for expression, values in (("x*y + x", {"x": 2.0, "y": 3.0}), ("(a+b)*b", {"a": -1.25, "b": 0.75}),
                               ("tanh(x)*x*x", {"x": 0.3})):
        engine = open_link(page, expression, values)
        settled(page)
        paths = engine["paths"]
        assert paths["edges"] and paths["sums"]
        labels = widget.locator("text.edge-label").evaluate_all(
            "(ts) => Object.fromEntries(ts.map((t) => [t.dataset.edge, t.textContent]))")
        assert labels == {f"{e['source']}>{e['target']}#{e['slot']}": e["label"] for e in paths["edges"]}
        sums = widget.locator("[data-sum]").evaluate_all(
            "(ns) => Object.fromEntries(ns.map((n) => [n.dataset.node, n.dataset.sum]))")
        assert sums == paths["sums"]
        # Stepping: the last step into x lights every path into it, labelled, with the sum.
        widget.get_by_role("radio", name="Backward, step by step").check()
        slider = widget.get_by_role("slider", name="Backward step", exact=True)
        slider.fill(str(len(engine["backward"]) - 1))
        last = engine["backward"][-1]
        labels = widget.locator("text.edge-label").evaluate_all(
            "(ts) => Object.fromEntries(ts.map((t) => [t.dataset.edge, t.textContent]))")
        assert labels == {f"{e['source']}>{e['target']}#{e['slot']}": e["label"] for e in last["edges"]}
        assert widget.locator("[data-sum]").evaluate_all("(ns) => ns.map((n) => n.dataset.sum)") == list(last["sums"].values())
        widget.get_by_role("radio", name="Values and gradients").check()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_table_text_fits_its_cells(playground_page, width, screenshot):
    page = playground_page
    page.set_viewport_size({"width": width, "height": 900})
    widget = live(page)
    open_link(page, "exp(x)/(exp(x)+exp(z)) + q*r", {"x": 1.0, "z": 2.0, "q": -1234.5678, "r": 0.000123456})
    widget.get_by_role("radio", name="Predict first").check()
    for name, guess in (("x", "0.19"), ("z", "12345.678"), ("q", "not a number"), ("r", "-1234.5678")):
        widget.get_by_label(f"Your guess for ∂f/∂{name}").fill(guess)
    widget.get_by_role("button", name="Reveal the gradients").click()
    for name in ("x", "z", "q", "r"):
        judged(widget, name)
    # (On a phone the column heads are visually hidden, for screen readers only: each cell says its own.)
    spill = widget.locator(".playground-table tbody th, .playground-table td, .playground-table thead th").evaluate_all(
        "(cells) => cells.filter((c) => c.offsetParent && c.closest('thead')?.clientWidth !== 1"
        " && getComputedStyle(c.closest('thead') ?? c).clipPath === 'none' && c.scrollWidth > c.clientWidth + 1)"
        ".map((c) => `${c.className || c.tagName}: ${c.textContent}`)")
    assert spill == []
    # No number is broken over two lines ("7.312e-" then "12").
    broken = widget.locator(".playground-table .difference-number").evaluate_all(
        "(spans) => spans.filter((s) => s.getClientRects().length > 1).map((s) => s.textContent)")
    assert broken == []
    assert widget.evaluate("(w) => w.scrollWidth - w.clientWidth") <= 1
    screenshot(widget.locator(".playground-table"), f"playground-table-{width}.png")
