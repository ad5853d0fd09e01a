"""The page from the keyboard and for screen readers: Tab walks through the code cells without editing
them, editing starts with typing or Enter and ends with Escape, the skip link moves focus to the lesson,
the contents mark the section being read, and Python's status line moves nothing as Python starts.
"""

import pytest

from harness import HOLD_PYTHON_BACK, wait_for_python, wait_until

FOCUSED = """() => { const e = document.activeElement;
  return { tag: e.tagName, id: e.id, cls: e.className, cell: e.closest('figure.cell')?.dataset.cell ?? null,
           editing: e.dataset.editing ?? null, inLesson: document.getElementById('lesson').contains(e) }; }"""

CELL_CODES = "() => Object.fromEntries([...document.querySelectorAll('figure.cell[data-live=\"true\"]')].map((f) => [f.dataset.cell, f.querySelector('.cell-source code').textContent]))"

# Every element that gets focus, in order (recorded by the page, so the walk needs no round trip per key).
RECORD_FOCUS = """() => { window.focusWalk = [];
  document.addEventListener('focusin', (event) => event.target.matches('.skip-link') ? window.focusWalk.push('skip') : window.focusWalk.push(
    event.target.closest('figure.cell[data-live="true"]') && event.target.matches('code') ? 'cell:' + event.target.closest('figure.cell').dataset.cell
    : event.target.closest('[data-task] .task-source code') ? 'task' : event.target.tagName)); }"""


def test_tab_through_the_whole_page_changes_no_code(page):
    wait_for_python(page)
    before = page.evaluate(CELL_CODES)
    shown = page.evaluate("() => [...document.querySelectorAll('figure.cell[data-live=\"true\"]')].filter((f) => f.checkVisibility()).map((f) => f.dataset.cell)")
    assert len(shown) > 10  # the exercises' cells stay hidden in their explanations until answered
    page.evaluate(RECORD_FOCUS)
    for _ in range(60):  # batches of Tabs until focus has come back around to the skip link
        for _ in range(25):
            page.keyboard.press("Tab")
        if page.evaluate("() => window.focusWalk.filter((name) => name === 'skip').length >= 2"):
            break
    walk = page.evaluate("() => window.focusWalk")
    assert walk.count("skip") >= 2, f"Tab never came back around to the skip link: stuck after {walk[-5:]}"
    visited = {name.removeprefix("cell:") for name in walk if name.startswith("cell:")}
    assert visited == set(shown), f"Tab did not reach cells {set(shown) - visited}"
    assert "task" in walk, "Tab reached no task's editor"
    assert page.evaluate(CELL_CODES) == before
    assert page.evaluate("() => document.querySelectorAll('[data-editing]').length") == 0


def test_enter_starts_editing_escape_stops_it_and_tab_moves_on(page):
    wait_for_python(page)
    cell = page.locator('figure.cell[data-cell="chain-42"]')
    code = cell.locator(".cell-source code")
    original = code.text_content()
    code.focus()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Enter")  # starts editing, types nothing
    assert code.text_content() == original and code.get_attribute("data-editing") == "true"
    page.keyboard.press("Tab")  # while editing, Tab indents
    assert code.text_content() == "    " + original
    page.keyboard.type("z = 1\n")
    assert code.text_content() == "    z = 1\n" + original
    page.keyboard.press("Escape")
    assert code.get_attribute("data-editing") is None
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["cls"] == "cell-run"
    assert code.text_content() == "    z = 1\n" + original


def test_typing_starts_editing_too(static_lesson):
    page = static_lesson
    code = page.locator('figure.cell[data-cell="chain-42"] .cell-source code')
    original = code.text_content()
    code.focus()
    page.keyboard.press("Control+Home")
    page.keyboard.type("#")
    assert code.get_attribute("data-editing") == "true"
    page.keyboard.press("Tab")
    assert code.text_content() == "#   " + original  # indented to the next stop, focus kept
    assert page.evaluate(FOCUSED)["tag"] == "CODE"


def test_the_skip_link_moves_focus_to_the_lesson(new_tab, dist):
    page = new_tab((dist / "lesson.html").as_uri(), init_script=HOLD_PYTHON_BACK)  # the page's own links: no Python
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["cls"] == "skip-link"
    page.keyboard.press("Enter")
    wait_until(page, "() => document.activeElement.id === 'lesson'")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["inLesson"], f"the Tab after the skip link went to {focused}"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_contents_mark_the_section_in_view(static_lesson, width):
    page = static_lesson
    page.set_viewport_size({"width": width, "height": 800})
    current = "() => [...document.querySelectorAll('nav.toc [aria-current]')].map((a) => [a.getAttribute('aria-current'), a.hash])"
    sections = page.evaluate("() => [...document.querySelectorAll('nav.toc a')].map((a) => a.hash)")
    assert len(sections) > 10
    for target in [sections[5], sections[-1], sections[2]]:
        # Blocks above the heading take their real height as they near the viewport (content-visibility),
        # so the heading is put back at the top until it stays there and the contents have caught up;
        # at once, not smoothly (the lesson's scroll-behavior), or each put-back restarts a slow scroll.
        wait_until(page, f"""(hash) => {{ const heading = document.querySelector(hash);
            heading.scrollIntoView({{ block: "start", behavior: "instant" }});
            const current = ({current})();
            return current.length === 1 && current[0][1] === hash; }}""", target)
        assert page.evaluate(current) == [["location", target]]
    assert page.evaluate("() => document.querySelector('nav.toc details').open") == (width >= 1024)


# From the page's load event until Python is ready or failed, at every frame: the boot's stage and where the
# first heading is (recorded by the page itself: polling it over the debugging protocol took the CPU the boot needs).
RECORD_BOOT_FRAMES = """(() => {
  window.bootFrames = [];
  addEventListener("load", () => {
    if (!document.getElementById("python-status")) return;  // not the lesson (the blank page a tab opens with)
    const record = () => {
      const state = document.documentElement.dataset.python;
      bootFrames.push([document.getElementById("python-status").dataset.stage ?? null,
                       document.querySelector("#lesson h1").getBoundingClientRect().top]);
      if (state !== "ready" && state !== "failed") requestAnimationFrame(record);
    };
    record();
  });
})();"""


@pytest.mark.numpy
def test_the_status_line_moves_nothing_as_python_starts(new_tab, dist):
    page = new_tab(init_script=RECORD_BOOT_FRAMES)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone, from the first paint on
    page.goto((dist / "lesson.html").as_uri())
    wait_for_python(page)
    frames = page.evaluate("() => bootFrames")
    assert frames, "no frame was recorded between the page's load and Python's ready"
    stages = {stage for stage, _ in frames}
    assert {top for _, top in frames} == {frames[0][1]}, f"the first heading moved as Python started: {frames}"
    assert stages - {"ready", None}, f"no stage of the boot was seen before Python was ready: {frames}"
    # The layout shifts Chromium counted over the boot (before: 0.18 at this width, from the status line).
    shifts = page.evaluate("""() => new Promise((resolve) => { const all = [];
      new PerformanceObserver((list) => all.push(...list.getEntries())).observe({ type: "layout-shift", buffered: true });
      setTimeout(() => resolve(all.filter((e) => !e.hadRecentInput).map((e) => e.value)), 300); })""")
    assert sum(shifts) < 0.01, f"layout shifts during boot: {shifts}"
