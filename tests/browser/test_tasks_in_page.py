"""The build-your-own-Value track and the exercises in the built page, from file://: Check, Hint and Show solution
work and Python's verdict is shown as it gave it, progress and code survive a reload until Start over, a check
that never ends is stopped and the page works after it, a patch is undone, the exercises are judged by Python,
everything works from the keyboard, and the layout holds at 1280 and 390 px in both themes (screenshots
under $LESSON_SCREENSHOTS)."""

import json

import pytest

from harness import (EVERY_WIDGET_MOUNTED, NO_TRANSITION_RUNNING_IN, python_call, shorten_time_limit, wait_for_python, wait_until,
                     wait_until_the_browser_stores)
from lesson import api
from lesson.tasks import check_task, solution, starter
from test_cells_in_page import explore_grads, idle

pytestmark = pytest.mark.timeout(300)

FOREVER = "while True:\n    pass\n"
PROGRESS_KEY = "autograd-lesson/build-your-own-value"  # where the page keeps the tasks' progress (progress-store.js)
# The calls that judge a learner's work. The page's own are left out: the warm-up's, and the widgets' first
# live calls once Python (or for the Tensor widgets NumPy) is ready, which come in the first second after
# <html data-python="ready"> and so may come while the first test on a shared page runs (a CI try saw an
# extra call). The bridge is wrapped once per page (a shared page is asked again by each test); each call
# of this starts a new record.
RECORD_CALLS = """() => {
  window.pythonCalls = [];
  if (lesson.bridge.recorded) return;
  const call = lesson.bridge.call.bind(lesson.bridge);
  lesson.bridge.call = (name, args, options) => {
    if (["check_task", "check_exercise"].includes(name)) pythonCalls.push([name, args, options?.timeoutMs ?? null]);
    return call(name, args, options);
  };
  lesson.bridge.recorded = true;
}"""


def task_of(page, name):
    """The task's section, once its widget has mounted."""
    section = page.locator(f'section[data-task="{name}"]')
    section.scroll_into_view_if_needed()
    wait_until(page, "(s) => s.querySelector('[data-mounted]')", section.element_handle())
    return section


def editor(section):
    return section.locator(".task-source code")


def verdict(section):
    return section.locator("[data-verdict]")


def check(section, code=None):
    """Put `code` in the editor (if given), press Check, wait for Python's verdict; return (verdict, message)."""
    if code is not None:
        editor(section).fill(code)
    section.get_by_role("button", name="Check").click()
    return settle(section)


def settle(section, timeout_ms=30000):
    wait_until(section.page, "(s) => !s.dataset.state && s.querySelector('[data-verdict]').dataset.verdict",
               section.element_handle(), timeout_ms)
    return verdict(section).get_attribute("data-verdict"), verdict(section).text_content()


def progress(page):
    return page.locator('[data-widget="task-progress"]')


# ---- Check, Hint and Show solution ----

def test_check_hint_and_show_solution_work(page):
    wait_for_python(page)
    section = task_of(page, "add-mul")
    assert editor(section).text_content() == starter("add-mul")
    assert check(section) == ("fail", "Fill in the blanks first: ___ is still on lines 19 and 24.")

    hint = section.get_by_role("button", name="Hint")
    hint.click()
    assert section.locator(".task-hints li").all_text_contents() == [
        "The data of a + b is self.data + other.data; the data of a * b is the product self.data * other.data."]
    assert section.locator(".task-hints li code").first.text_content() == "a + b"
    section.get_by_role("button", name="Next hint (2 of 3)").click()
    section.get_by_role("button", name="Next hint (3 of 3)").click()
    assert section.locator(".task-hints li").count() == 3
    assert section.get_by_role("button", name="No more hints").is_disabled()

    section.get_by_role("button", name="Show solution").click()
    assert editor(section).text_content() == solution("add-mul")
    outcome, message = check(section)
    assert outcome == "pass" and message.startswith("All 87 checks pass.")
    assert section.get_attribute("data-done") == "true"
    assert progress(page).locator('li[data-progress="add-mul"]').get_attribute("data-done") == "true"
    assert progress(page).locator(".task-progress-summary").text_content() == "1 of 5 tasks done."

    section.get_by_role("button", name="Back to your code").click()  # the learner's code comes back
    assert editor(section).text_content() == starter("add-mul")
    section.get_by_role("button", name="Show solution").click()
    assert editor(section).text_content() == solution("add-mul")


# The tests on the module's shared live page (live_lesson) each use a task or an exercise that no other
# test on it uses, so they need nothing set back.

def test_a_mistake_gets_the_checkers_message_and_details(live_lesson):
    page = live_lesson
    section = task_of(page, "add-mul")
    page.evaluate(RECORD_CALLS)
    code = solution("add-mul").replace("(other.data, self.data)", "(self.data, other.data)")
    assert check(section, code) == ("fail", "d(a*b)/da at a=2, b=-3 came out 2.0; it should be b = -3.0")
    assert check_task("add-mul", code)["message"] == verdict(section).text_content()  # as CPython says
    details = section.locator(".task-details")
    details.locator("summary").click()
    assert details.locator("pre").text_content() == "Our engine: -3.0. Central differences of your a * b: -3."
    assert section.get_attribute("data-done") is None
    # Python judged it, in the cells' queue, under the cells' time limit.
    [(name, args, time_limit)] = page.evaluate("pythonCalls")
    assert (name, args["name"], args["source"].rstrip("\n"), time_limit) == ("check_task", "add-mul", code.rstrip("\n"), 10000)


def test_the_training_task_draws_the_learners_loss_curve(live_lesson):
    page = live_lesson
    section = task_of(page, "train")
    section.get_by_role("button", name="Show solution").click()
    outcome, message = check(section)
    assert outcome == "pass" and "Your Value trains the neuron: its 20 losses" in message
    points = section.locator(".loss-chart circle").evaluate_all("(cs) => cs.map((c) => Number(c.dataset.loss))")
    # The engine's run in the same Python (Pyodide's tanh and CPython's differ in the last bit, which 20 steps grow).
    engine = python_call(page, "neuron_training")["losses"]
    assert points == pytest.approx(engine, rel=1e-9)
    assert section.locator(".task-printed pre").text_content().startswith("loss 0.038272 at step 0")
    # A mistake's curve is the learner's run, not the engine's: as CPython ran the same code.
    wrong = solution("train").replace("        loss.zero_grad()  # forget the last step's gradients\n", "")
    assert wrong != solution("train")
    assert check(section, wrong)[0] == "fail"
    points = section.locator(".loss-chart circle").evaluate_all("(cs) => cs.map((c) => Number(c.dataset.loss))")
    cpython = [point["loss"] for point in check_task("train", wrong)["chart"]]
    assert len(cpython) == 20 and points == pytest.approx(cpython, rel=1e-9) and points != pytest.approx(engine, rel=1e-3)


# ---- progress and code survive a reload, until Start over ----

def stored_progress(storage):
    """The tasks' progress in the browser's localStorage (see wait_until_the_browser_stores): {done, drafts}."""
    return json.loads(storage.get(PROGRESS_KEY) or "{}")


def stored_in_the_browser(page, task, draft, done=()):
    """Wait until the browser holds `draft` as the stored code of `task`, and the tasks `done` as passed."""
    def holds(storage):
        stored = stored_progress(storage)
        return ((stored.get("drafts") or {}).get(task) or "").rstrip("\n") == draft.rstrip("\n") and all(
            (stored.get("done") or {}).get(name) is True for name in done)
    wait_until_the_browser_stores(page, holds)


def test_progress_and_code_survive_a_reload_until_start_over(page):
    wait_for_python(page)
    first = task_of(page, "add-mul")
    first.get_by_role("button", name="Show solution").click()
    assert check(first)[0] == "pass"
    mine = starter("more-ops").replace("(___,))\n\n    def exp", "(1 - t ** 2,))\n\n    def exp")
    editor(task_of(page, "more-ops")).fill(mine)
    stored_in_the_browser(page, "more-ops", mine, done=["add-mul"])

    page.reload()
    wait_for_python(page)
    wait_until(page, EVERY_WIDGET_MOUNTED)  # a task off screen mounts, reading the progress, once the page is idle
    assert task_of(page, "add-mul").get_attribute("data-done") == "true"
    assert task_of(page, "more-ops").get_attribute("data-done") is None
    assert editor(task_of(page, "more-ops")).text_content().rstrip("\n") == mine.rstrip("\n")
    assert editor(task_of(page, "add-mul")).text_content() == solution("add-mul")
    assert progress(page).locator(".task-progress-summary").text_content() == "1 of 5 tasks done."

    progress(page).get_by_role("button", name="Start over").click()
    progress(page).get_by_role("button", name="Keep them").click()  # asked first: nothing is cleared
    assert task_of(page, "add-mul").get_attribute("data-done") == "true"
    progress(page).get_by_role("button", name="Start over").click()
    progress(page).get_by_role("button", name="Clear everything").click()
    assert progress(page).locator(".task-progress-summary").text_content() == "0 of 5 tasks done."
    assert editor(task_of(page, "more-ops")).text_content() == starter("more-ops")
    wait_until_the_browser_stores(page, lambda storage: not any(stored_progress(storage).get(part) for part in ("done", "drafts")))
    page.reload()
    wait_for_python(page)
    wait_until(page, EVERY_WIDGET_MOUNTED)
    assert task_of(page, "add-mul").get_attribute("data-done") is None
    assert editor(task_of(page, "add-mul")).text_content() == starter("add-mul")


@pytest.mark.parametrize("stored", ["{not json", '{"done": "yes", "drafts": {"add-mul": 42}}', "[1, 2]"])
def test_saved_progress_that_cannot_be_read_starts_afresh(new_tab, dist, guard, stored):
    # Found in storage as the page opens, as a reader's saved progress.
    page = new_tab((dist / "lesson.html").as_uri(), init_script=f"localStorage.setItem('{PROGRESS_KEY}', {json.dumps(stored)});")
    wait_for_python(page)
    section = task_of(page, "add-mul")
    assert editor(section).text_content() == starter("add-mul") and section.get_attribute("data-done") is None
    assert progress(page).locator(".task-progress-summary").text_content() == "0 of 5 tasks done."
    section.get_by_role("button", name="Show solution").click()
    assert check(section)[0] == "pass"  # and progress is kept again from here
    if stored == "{not json":
        assert any("The tasks' saved progress could not be read, so it starts afresh" in line for line in guard.console)


# ---- code that never ends, raises or patches: a clear message, and the page keeps working ----

def test_a_check_that_never_ends_is_stopped_and_the_page_works_after_it(page):
    wait_for_python(page)
    cell = page.locator('figure.cell[data-cell="chain-42"]')
    cell.locator(".cell-source code").fill("kept = 42")
    cell.locator(".cell-source code").press("Control+Enter")
    idle(page)
    section = task_of(page, "add-mul")
    editor(section).fill(solution("add-mul").replace("        # the sum,", "        while True:\n            pass\n        # the sum,"))
    section.get_by_role("button", name="Check").click()
    wait_until(page, "(s) => s.dataset.state === 'checking'", section.element_handle())
    section.get_by_role("button", name="Stop").click()
    outcome, message = settle(section)
    assert outcome == "fail"
    assert message == ("Stopped (stopped by you): does your code loop forever? Python was restarted; the rest of "
                       "the page keeps working.")
    idle(page)
    assert explore_grads(page, 2.0, 1.5)["b"] == 5.0  # the widgets answer, from the real engine
    assert cell.locator(".cell-output").text_content() == ""  # the cells were restored after the restart
    cell.locator(".cell-source code").fill("kept")
    cell.locator(".cell-source code").press("Control+Enter")
    idle(page)
    assert cell.locator(".cell-output").text_content() == "42\n"
    assert check(section, solution("add-mul"))[0] == "pass"  # and the tasks check again


def test_a_check_that_runs_past_the_time_limit_is_stopped(page):
    wait_for_python(page)
    section = task_of(page, "add-mul")
    shorten_time_limit(page, 1000)  # the loop spins a core until then, which the other test processes need
    editor(section).fill(FOREVER + solution("add-mul"))
    section.get_by_role("button", name="Check").click()
    outcome, message = settle(section, timeout_ms=40000)
    assert (outcome, message) == ("fail", "Stopped (the check ran longer than 1 s): does your code loop forever? "
                                          "Python was restarted; the rest of the page keeps working.")
    idle(page)
    other = task_of(page, "more-ops")
    other.get_by_role("button", name="Show solution").click()
    assert check(other)[0] == "pass"


def test_a_patch_is_reported_and_the_widgets_keep_their_engine(page):
    wait_for_python(page)
    section = task_of(page, "more-ops")
    code = ("import math, builtins\nmath.tanh = lambda x: 0.5\nbuiltins.abs = None\n"
            "import autodiff\nautodiff.Value.__mul__ = None\n" + solution("more-ops"))
    outcome, message = check(section, code)
    assert outcome == "fail" and message.startswith("Your code replaced builtins.abs, math.tanh, which the page's own")
    args = {"expression": "tanh(w*x + b)", "values": {"w": 0.5, "x": 2.0, "b": 0.1}}
    assert python_call(page, "playground", args) == json.loads(api.call("playground", json.dumps(args)))
    assert explore_grads(page, 3.0, 3.0)["b"] == 9.0
    # Code that ends Python before its patches can be taken back out: a fresh Python, without them, takes over.
    outcome, message = check(section, "import math, os\nmath.tanh = lambda x: 0.5\nos._exit(0)")
    assert (outcome, message) == ("fail", "Your code ended Python (as os._exit() and os.abort() do), so Python was "
                                          "restarted; the rest of the page keeps working.")
    wait_for_python(page)
    assert python_call(page, "playground", args) == json.loads(api.call("playground", json.dumps(args)))
    assert check(section, solution("more-ops"))[0] == "pass"


def test_the_editors_keys_show_while_it_has_focus_and_only_then(live_lesson):
    section = task_of(live_lesson, "accumulate")
    keys = section.locator(".task-keys")
    assert keys.is_hidden()
    editor(section).focus()
    assert keys.is_visible() and "Ctrl+Enter" in keys.text_content()
    section.get_by_role("button", name="Hint").focus()  # the task's other controls do not show them
    assert keys.is_hidden()


def test_code_that_raises_says_where(live_lesson):
    page = live_lesson
    section = task_of(page, "backward")
    code = solution("backward").replace("        return order", "        return order.missing")
    outcome, message = check(section, code)
    assert outcome == "fail" and message.startswith("out.backward() for out = a * b at a=")
    assert message.endswith("raised AttributeError: 'list' object has no attribute 'missing' (line 59 of your code)")
    assert code.splitlines()[58] == "        return order.missing"


# ---- the exercises: Python judges, and the explanation opens after an attempt ----

def exercise_of(page, name):
    section = page.locator(f'section[data-exercise="{name}"]')
    section.scroll_into_view_if_needed()
    wait_until(page, "(s) => s.querySelector('[data-mounted]')", section.element_handle())
    return section


def answer(section, text):
    box = section.get_by_role("textbox", name="Your answer")
    box.fill(text)
    box.press("Enter")  # submits, as Check does
    wait_until(section.page, "(s) => !s.dataset.state && s.querySelector('[data-verdict]').dataset.verdict",
               section.element_handle())
    found = section.locator("[data-verdict]")
    return found.get_attribute("data-verdict"), found.text_content()


@pytest.mark.parametrize("name, wrong, right", [
    ("cube", "6", "3*2**2"),
    ("softmax", "0.25", "0.1966"),
    ("relu-tanh", "0, 0, 1, 1, 0.5, 0.5, 0.5, 0.5", "0, 0, 1, 1, 0.0707, 0.786, 0.786, 0.0707"),
])
def test_the_exercises_are_judged_by_python_and_explained_after_an_attempt(live_lesson, name, wrong, right):
    page = live_lesson
    section = exercise_of(page, name)
    explanation = section.locator(".exercise-explanation")
    assert explanation.is_hidden()
    page.evaluate(RECORD_CALLS)
    assert answer(section, "not a number")[0] == "fail"
    assert explanation.is_hidden()  # an answer that cannot be read is no attempt
    outcome, message = answer(section, wrong)
    assert (outcome, message) == ("fail", json.loads(api.call("check_exercise", json.dumps({"name": name, "answer": wrong})))["message"])
    assert explanation.is_visible()
    outcome, message = answer(section, right)
    assert outcome == "pass" and message.startswith("Right: ")
    assert [call[0] for call in page.evaluate("pythonCalls")] == ["check_exercise"] * 3


# ---- keyboard, phone width, dark mode ----

def focused_name(page):
    return page.evaluate("""() => { const e = document.activeElement;
        return e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent.trim(); }""")


def test_everything_works_from_the_keyboard(page):
    wait_for_python(page)
    section = task_of(page, "add-mul")
    code = editor(section)
    code.focus()
    assert focused_name(page) == "Your code for Task 1: add and multiply"
    page.keyboard.press("Enter")  # starts editing: Tab indents inside the editor
    page.keyboard.press("Tab")
    assert code.text_content().startswith("    import math")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+Enter")  # checks
    assert settle(section)[0] == "fail"
    code.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert focused_name(page) == "Check"
    page.keyboard.press("Tab")  # Stop is disabled: skipped
    assert focused_name(page) == "Hint"
    page.keyboard.press("Enter")
    assert section.locator(".task-hints li").count() == 1
    page.keyboard.press("Tab")
    assert focused_name(page) == "Show solution"
    page.keyboard.press("Space")
    assert code.text_content() == solution("add-mul")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused_name(page) == "Check"
    page.keyboard.press("Enter")
    assert settle(section)[0] == "pass"

    start_over = progress(page).get_by_role("button", name="Start over")
    start_over.focus()
    page.keyboard.press("Enter")
    assert focused_name(page) == "Keep them"  # the safe choice has focus
    page.keyboard.press("Shift+Tab")
    assert focused_name(page) == "Clear everything"
    page.keyboard.press("Enter")
    assert section.get_attribute("data-done") is None

    exercise = exercise_of(page, "cube")
    exercise.get_by_role("textbox", name="Your answer").focus()
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    wait_until(page, "(s) => s.querySelector('[data-verdict]').dataset.verdict === 'pass'", exercise.element_handle())


def test_tasks_and_exercises_fit_and_render_in_both_themes_at_desktop_and_phone_width(page, screenshot):
    """A failed check with its details open and a wrong answer, then each width and theme in turn (one page:
    a boot and a check for each of the four cost about 2 CPU-seconds, which the other test processes need)."""
    page.emulate_media(reduced_motion="reduce")
    wait_for_python(page)
    section = task_of(page, "accumulate")
    code = solution("accumulate").replace("child.grad += local", "child.grad = local")
    assert check(section, code)[0] == "fail"
    section.locator(".task-details summary").click()
    exercise = exercise_of(page, "softmax")
    answer(exercise, "0.2")
    for width in (1280, 390):
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            page.set_viewport_size({"width": width, "height": 900})
            wait_until(page, NO_TRANSITION_RUNNING_IN, page.locator("html").element_handle(), timeout_ms=5000)
            for box in (section, exercise, progress(page)):
                overflow = box.evaluate("(b) => b.scrollWidth - b.clientWidth")
                assert overflow <= 1, f"{box} is {overflow}px wider than its box at {width}px, {scheme}"
            background = {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}[scheme]
            assert section.locator(".task-widget").evaluate("(w) => getComputedStyle(w).backgroundColor") == background, scheme
            colours = verdict(section).evaluate("(v) => [getComputedStyle(v).color, getComputedStyle(v).borderLeftColor]")
            assert colours[0] != background, scheme
            assert colours[1] == {"light": "rgb(164, 14, 38)", "dark": "rgb(255, 148, 146)"}[scheme]
            for name, box in (("task", section), ("exercise", exercise), ("progress", page.locator("#widget-task-progress"))):
                box.scroll_into_view_if_needed()
                screenshot(box, f"{name}-{scheme}-{width}.png")


def test_on_paper_the_explanations_print_and_the_answer_boxes_do_not(page):
    wait_for_python(page)
    exercise = exercise_of(page, "cube")
    section = task_of(page, "train")
    page.emulate_media(media="print")
    assert exercise.locator(".exercise-explanation").is_visible() and exercise.locator(".exercise-widget").is_hidden()
    assert section.locator(".task-source code").evaluate("(c) => getComputedStyle(c).whiteSpace") == "pre-wrap"
    assert section.locator(".task-source").evaluate("(s) => s.scrollWidth <= s.clientWidth + 1")
    page.emulate_media(media="screen")
    assert exercise.locator(".exercise-explanation").is_hidden()
