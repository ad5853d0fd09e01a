"""The page's runtime in Chromium: Python boots from file:// and http, then NumPy loads, the bridge returns
what CPython returns, cells fail, loop and stop without breaking the page, a bad snapshot falls back, the
CSP holds, and a page built without NumPy says so."""

import gzip
import json
import os
import re
import subprocess
import sys

import pytest

from harness import (HOLD_PYTHON_BACK, ROOT, TEST_CHROMIUM_ARGS, Guard, after_frames, launch, open_page, python_call,
                     shorten_time_limit, wait_for_numpy, wait_for_python, wait_for_rest, wait_until)
from lesson import api
from lesson.widgets import STEPPED_SLIDERS
from pagebuild.blocks import pack, unpack
from pagebuild.page import data_blocks

pytestmark = pytest.mark.timeout(180)


LOADING_NUMPY = "Python is live. Loading NumPy for the tensor cells\u2026"
ALL_LIVE = "Python and NumPy are live: sliders and code cells run in your browser."


@pytest.mark.numpy
def test_python_then_numpy_get_ready_from_file_and_http(lesson_page):
    assert lesson_page.evaluate("document.documentElement.dataset.python") in ("static", "booting", "ready")
    assert lesson_page.evaluate("document.documentElement.dataset.numpy") in ("loading", "ready")
    wait_for_python(lesson_page)
    status = lesson_page.locator("#python-status")
    # What is live, and no more: engine cells at once, tensor cells once NumPy is; PyTorch cells never.
    assert status.text_content().strip() in (LOADING_NUMPY, ALL_LIVE)
    wait_for_numpy(lesson_page)
    assert status.get_attribute("data-stage") == "ready"
    assert status.text_content().strip() == ALL_LIVE
    assert lesson_page.evaluate("() => lesson.bridge.whenNumpy().then(() => lesson.bridge.numpy)") == "ready"


# Installed before the page's own scripts: every data-stage the indicator takes, with its bar and text.
RECORD_BOOT_STAGES = """
window.bootStages = [];
new MutationObserver((records) => {
  for (const record of records) {
    const status = record.target;
    bootStages.push({stage: status.dataset.stage, bar: status.querySelector('progress').value,
                     text: status.querySelector('.python-status-text').textContent});
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-stage']});
"""


@pytest.mark.numpy
def test_the_progress_indicator_shows_the_boot_stage_by_stage_then_numpys(new_tab, dist):
    page = new_tab((dist / "lesson.html").as_uri(), init_script=RECORD_BOOT_STAGES)
    wait_for_numpy(page)
    seen = page.evaluate("bootStages")
    stages = [entry["stage"] for entry in seen]
    python = stages[:stages.index("numpy-install")]  # once Python is live, the bar shows NumPy's loading
    assert set(python) <= {"static", "booting", "decode", "compile", "restore", "ready"} and stages[-1] == "ready", stages
    between = [entry for entry in seen[:len(python)] if entry["stage"] in ("decode", "compile", "restore")]
    assert between, f"no stage between the start and ready: {stages}"
    for entry in between:  # each shown with its own words and a partly filled bar
        assert entry["text"].startswith("Starting Python: ") and 0 < entry["bar"] < 4, entry
    numpy = seen[len(python):-1]
    assert [stage for n, stage in enumerate(stages[len(python):-1]) if stages[len(python) + n - 1] != stage] == [
        "numpy-install", "numpy-import"], stages  # each once, as the attribute may be set again to the same stage
    for entry in numpy:  # NumPy's steps fill the bar again while Python is already live
        assert entry["text"] == LOADING_NUMPY and entry["bar"] > 0, entry
    assert seen[-1]["text"] == ALL_LIVE
    assert page.locator("#python-status progress").is_hidden()  # the bar goes once NumPy is live


@pytest.mark.parametrize("a, b", [(2.0, -1.0), (-3.5, 4.5), (0.0, 0.0)])
def test_bridge_returns_what_cpython_returns(live_lesson, a, b):
    page = live_lesson
    wait_for_python(page)
    assert python_call(page, "explore", {"a": a, "b": b}) == json.loads(api.call("explore", json.dumps({"a": a, "b": b})))


def test_the_pages_own_blocks_are_read_on_the_page(live_lesson):
    """The explore grid comes from its own data block (not the first-paint state), equal to CPython's."""
    page = live_lesson
    from lesson.widgets import explore_grid, initial_state
    assert "grid" not in initial_state()["explore"]
    assert page.evaluate("() => lesson.bridge.assetJson('explore-grid.json')") == json.loads(json.dumps(explore_grid()))
    error = page.evaluate("() => lesson.bridge.assetJson('nothing.json').then(() => null, (e) => e.message)")
    assert error == "this page carries no complete nothing.json data block"


def test_bridge_refuses_unknown_functions_with_pythons_message(live_lesson):
    page = live_lesson
    wait_for_python(page)
    error = page.evaluate("() => lesson.bridge.call('open', {}).then(() => null, (e) => [e.type, e.message])")
    assert error[0] == "UnknownFunction"
    assert "'open' is not a function the page may call" in error[1]


def test_after_restoring_the_snapshot_sources_are_readable_and_random_is_reseeded(page):
    wait_for_python(page)
    source = "import random, linecache, lesson.api\n(random.random(), linecache.getline(lesson.api.__file__, 1))"
    first_number, first_line = eval(python_call(page, "run_cell", {"source": source})["result"])
    assert first_line.startswith('"""The one entry point the page calls')
    page.reload()  # a new worker restores the same snapshot: without reseeding it would draw the same number
    wait_for_python(page)
    second_number, _ = eval(python_call(page, "run_cell", {"source": source})["result"])
    assert first_number != second_number


def live_cell(page, index=0):
    """The `index`-th live code cell of the lesson."""
    return page.locator('figure.cell[data-live="true"]').nth(index)


def wait_for_state(cell, state, timeout_ms=15000):
    """Wait until a code cell's `data-state` is `state` (running, done, error)."""
    wait_until(cell.page, "(c) => c.dataset.state", cell.element_handle(), timeout_ms)  # it has started
    wait_until(cell.page, "([c, s]) => c.dataset.state === s", [cell.element_handle(), state], timeout_ms)


def run_cell(cell, source):
    """Replace a live cell's code with `source` and run it with Ctrl+Enter."""
    code = cell.locator(".cell-source code")
    code.fill(source)
    code.press("Control+Enter")


def test_a_failing_cell_shows_a_short_traceback_and_the_page_works_after(live_lesson):
    page = live_lesson  # it leaves the first cell showing 42, which no other test on this page reads
    cell = live_cell(page)
    run_cell(cell, "def f(x):\n    return 1 / x\n\nf(0)")
    wait_for_state(cell, "error")
    output = cell.locator(".cell-output").text_content()
    assert output.startswith("Traceback (most recent call last):\n")
    assert output.strip().endswith("ZeroDivisionError: division by zero")
    assert "return 1 / x" in output and "pyodide" not in output and len(output.splitlines()) <= 8
    run_cell(cell, "6 * 7")
    wait_for_state(cell, "done")
    assert cell.locator(".cell-output").text_content() == "42\n"


def test_a_never_ending_cell_is_stopped_and_earlier_state_restored(page):
    wait_for_python(page)
    first, second = live_cell(page, 0), live_cell(page, 1)
    run_cell(first, "kept = 'from before the restart'")
    wait_for_state(first, "done")
    run_cell(second, "while True:\n    pass")
    wait_for_state(second, "running")
    second.locator(".cell-stop").click()
    wait_for_state(second, "error")
    assert second.locator(".cell-output").text_content().startswith("Stopped (stopped by you)")
    wait_for_python(page)
    run_cell(second, "kept")
    wait_for_state(second, "done")
    assert second.locator(".cell-output").text_content() == "'from before the restart'\n"


def test_a_never_ending_cell_is_stopped_by_the_time_limit(page):
    wait_for_python(page)
    cell = live_cell(page)
    shorten_time_limit(page, 1000)  # the loop spins a core until then, which the other test processes need
    run_cell(cell, "n = 0\nwhile True:\n    n += 1")
    wait_for_state(cell, "error", timeout_ms=30000)
    assert "ran longer than 1 s" in cell.locator(".cell-output").text_content()
    wait_for_python(page)
    assert python_call(page, "explore", {"a": 1.0, "b": 2.0}) == json.loads(api.call("explore", '{"a": 1.0, "b": 2.0}'))


SNAPSHOT_LENGTH = re.compile(rb'(data-asset="snapshot\.bin"[^>]*) data-length="(\d+)"')


def corrupt_snapshot(html: bytes) -> bytes:
    """The page with its snapshot blocks replaced by one block of gzipped bytes that are not a snapshot
    (of the length the page's blocks said)."""
    length = int(SNAPSHOT_LENGTH.search(html).group(2))
    start = html.index(b'<script type="application/octet-stream" data-asset="snapshot.bin"')
    last = html.rindex(b'<script type="application/octet-stream" data-asset="snapshot.bin"')
    end = html.index(b"</script>\n", last) + len(b"</script>\n")
    return html[:start] + data_blocks("snapshot.bin", gzip.compress(b"\x01" * 4096), gzip=True, length=length)[0] + html[end:]


def unsized_snapshot(html: bytes) -> bytes:
    """The page whose snapshot blocks do not say the snapshot's length (Pyodide sizes its memory by it)."""
    return SNAPSHOT_LENGTH.sub(rb"\1", html)


def missized_snapshot(html: bytes) -> bytes:
    """The page whose snapshot blocks say a length 64 kB longer than the snapshot's."""
    return SNAPSHOT_LENGTH.sub(lambda m: m.group(1) + b' data-length="%d"' % (int(m.group(2)) + 65536), html)


def truncate_snapshot(html: bytes) -> bytes:
    """The page without its snapshot's last part: the snapshot's header is good, its pages never complete."""
    last = html.rindex(b'<script type="application/octet-stream" data-asset="snapshot.bin"')
    end = html.index(b"</script>\n", last) + len(b"</script>\n")
    return html[:last] + html[end:]


# Why each spoiled snapshot could not be used, as the console says.
REASONS = {corrupt_snapshot: "preamble is not a snapshot's", truncate_snapshot: "missing or incomplete",
           unsized_snapshot: "does not say how long the snapshot is", missized_snapshot: "its block says"}


@pytest.mark.fresh_browser   # a boot that fails: in a Chromium of its own, as a reader's would be
@pytest.mark.parametrize("spoil", [corrupt_snapshot, truncate_snapshot, unsized_snapshot, missized_snapshot],
                         ids=["not a snapshot", "truncated", "no length", "another length"])
def test_a_bad_snapshot_falls_back_to_a_normal_boot_and_says_so(context, guard, dist, spoil):
    broken = dist / f"lesson-{spoil.__name__}.html"  # inside dist/ so the request guard allows it
    broken.write_bytes(spoil((dist / "lesson.html").read_bytes()))
    try:
        page = open_page(context, broken.as_uri())
        wait_for_python(page)
        assert python_call(page, "explore", {"a": 1.5, "b": -2.0}) == json.loads(api.call("explore", '{"a": 1.5, "b": -2.0}'))
    finally:
        broken.unlink()
    warnings = [line for line in guard.console if line.startswith("warning") and "snapshot could not be used" in line]
    assert warnings and REASONS[spoil] in warnings[0], guard.console
    assert any("ready without a snapshot" in line for line in guard.console)


def test_the_page_carries_a_strict_csp_and_breaks_none_of_it(page):
    page.evaluate("window.violations = []; document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI))")
    wait_for_python(page)
    policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
    assert policy.startswith("default-src 'none'; script-src 'sha256-")
    assert "'unsafe-inline'" not in policy and " 'unsafe-eval'" not in policy
    assert page.evaluate("violations") == []


def test_the_skip_link_is_the_keyboards_first_stop_and_shows_only_on_focus(new_tab, dist):
    page = new_tab((dist / "lesson.html").as_uri(), init_script=HOLD_PYTHON_BACK)  # the page's own link: no Python
    link = page.locator("a.skip-link")
    box = link.bounding_box()
    assert box["y"] + box["height"] <= 0  # off screen until it has focus
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the lesson"
    box = link.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/lesson\.html#lesson$"))


TARGET_TOP_JS = "(id) => document.getElementById(id).getBoundingClientRect().top"


@pytest.mark.parametrize("target", ["gradient-accumulation", "common-pitfalls", "summary"])
def test_a_links_target_stays_in_view_while_widgets_mount_above_it(new_tab, dist, target):
    page = new_tab(f"{(dist / 'lesson.html').as_uri()}#{target}")
    wait_for_python(page)
    # Every widget has mounted (each one above the target would have pushed it down), and laid out.
    wait_until(page, "() => performance.getEntriesByName('widgets-all-mounted').length === 1")
    after_frames(page)
    assert 0 <= page.evaluate(TARGET_TOP_JS, target) <= 120  # under the sticky header


def test_the_target_is_let_go_once_the_reader_scrolls(new_tab, dist):
    page = new_tab(f"{(dist / 'lesson.html').as_uri()}#common-pitfalls", init_script=HOLD_PYTHON_BACK)  # no Python needed
    held = page.evaluate(TARGET_TOP_JS, "common-pitfalls")
    page.mouse.move(600, 400)
    page.mouse.wheel(0, 400)
    wait_until(page, "([id, top]) => document.getElementById(id).getBoundingClientRect().top < top - 300", ["common-pitfalls", held])
    wait_for_rest(page, "() => scrollY")  # the wheel's smooth scroll comes to rest
    scrolled = page.evaluate(TARGET_TOP_JS, "common-pitfalls")
    # The lesson grows (as when a widget mounts): a held target would be scrolled back into view.
    page.evaluate("() => document.getElementById('lesson').append(Object.assign(document.createElement('div'), {style: 'height: 300px'}))")
    after_frames(page)   # a held target would be scrolled back by now, or be on its way
    wait_for_rest(page, "() => scrollY")
    assert page.evaluate(TARGET_TOP_JS, "common-pitfalls") == pytest.approx(scrolled, abs=2)


def test_index_forwards_to_the_lesson_keeping_the_fragment(new_tab, dist):
    page = new_tab((dist / "index.html").as_uri() + "#explore", init_script=HOLD_PYTHON_BACK)  # no Python needed
    page.wait_for_url(re.compile(r".*/lesson\.html#explore$"))


def test_every_byte_survives_the_html_parser(context, dist, tmp_path):
    """Data blocks of all 256 byte values and of random bytes (every length of a short last group),
    parsed by Chromium as windows-1252, decode to the same bytes with the page's decoder."""
    payloads = [bytes(range(256)) * 4, *(os.urandom(10_000 + n) for n in range(7))]
    decoder = subprocess.run([str(ROOT / "node_modules/.bin/esbuild"), str(ROOT / "web/js/runtime/blocks.js"),
                              "--bundle", "--format=iife", "--global-name=blocks"], capture_output=True, check=True).stdout
    page_file = dist / "bytes-test.html"
    page_file.write_bytes(b'<!doctype html><meta charset="windows-1252"><script>' + decoder + b"</script>"
                          + b"".join(b'<script type="application/octet-stream">' + pack(data) + b"</script>" for data in payloads))
    try:
        page = open_page(context, page_file.as_uri())
        decoded = page.evaluate("""() => [...document.querySelectorAll('script[type="application/octet-stream"]')]
            .map((block) => Array.from(blocks.unpack(block.textContent)))""")
    finally:
        page_file.unlink()
    assert [bytes(d) for d in decoded] == payloads


def test_only_pytorch_cells_are_not_live_and_each_says_why(live_lesson):
    page = live_lesson
    notes = page.evaluate("""() => [...document.querySelectorAll('figure.cell:not([data-live="true"])')]
        .map((cell) => [cell.dataset.kind, [...cell.querySelectorAll('.cell-note')].map((n) => n.textContent)])""")
    assert {kind for kind, _ in notes} == {"torch"}
    for _, texts in notes:
        assert len(texts) == 1 and "PyTorch cannot run in the browser" in texts[0], texts
    assert page.locator('figure.cell:not([data-live="true"]) .cell-run').count() == 0
    assert page.locator('figure.cell[data-kind="numpy"][data-live="true"]').count() == 11


def settled(page, engine):
    """<html data-ENGINE> (python or numpy) once it is ready or failed, within a minute."""
    return wait_until(page, f"() => ['ready', 'failed'].includes(document.documentElement.dataset.{engine})"
                            f" && document.documentElement.dataset.{engine}", timeout_ms=60000)


@pytest.mark.fresh_browser
def test_when_python_cannot_start_the_page_says_so_and_stays_usable(context, dist):
    """A page whose CSP forbids the worker's own import: boot fails (snapshot, then plain), clearly."""
    html = (dist / "lesson.html").read_bytes().replace(b"'wasm-unsafe-eval' blob:", b"'wasm-unsafe-eval'", 1)
    broken = dist / "lesson-no-worker.html"
    broken.write_bytes(html)
    try:
        page = open_page(context, broken.as_uri())
        assert settled(page, "python") == "failed"
        assert "Python could not start" in page.locator("#python-status").text_content()
        explore = page.locator('[data-widget="explore"]')
        explore.scroll_into_view_if_needed()  # widgets mount as they near the viewport
        explore.locator("[data-node]").first.wait_for(state="visible", timeout=10000)  # still drawn from the build
    finally:
        broken.unlink()


def assert_held_at_the_build(nn_backprop):
    """nn-backprop's entry sliders stay at the build's setting, disabled (nothing could compute another
    one), and it draws the build's numbers."""
    for slider in STEPPED_SLIDERS["nn_backprop"]:
        control = nn_backprop.get_by_role("slider", name=slider["label"], exact=True)
        assert control.is_disabled() and float(control.input_value()) == slider["value"], slider["label"]
    assert nn_backprop.get_attribute("data-source") == "static"


@pytest.fixture(scope="module")
def no_numpy_dist(dist, tmp_path_factory):
    """The lesson built without NumPy (python build.py --no-numpy), in a folder of its own."""
    out = tmp_path_factory.mktemp("no-numpy") / "dist"
    subprocess.run([sys.executable, "build.py", "--no-numpy", "--out", str(out)], cwd=ROOT, check=True, stdout=sys.stderr)
    return out


def test_a_page_built_without_numpy_says_so_in_a_learners_words_and_the_rest_is_live(playwright, no_numpy_dist):
    guard = Guard([no_numpy_dist.as_uri() + "/"])
    html = (no_numpy_dist / "lesson.html").read_bytes()
    assert b'data-numpy="off"' in html and b"numpy-2.0.2" not in html and b"python build" not in html
    with launch(playwright, TEST_CHROMIUM_ARGS) as context:
        guard.watch(context)
        page = open_page(context, (no_numpy_dist / "lesson.html").as_uri())
        assert page.evaluate("document.documentElement.dataset.numpy") == "off"
        wait_for_python(page)
        assert page.locator("#python-status").text_content().strip() == (
            "Python is live. This copy of the lesson has no NumPy: tensor cells show what they printed when it was built.")
        notes = page.evaluate("""() => [...document.querySelectorAll('figure.cell[data-kind="numpy"]')]
            .map((cell) => [cell.dataset.live, cell.querySelector('.cell-note').textContent, !!cell.querySelector('.cell-run')])""")
        assert len(notes) == 11 and set(map(tuple, notes)) == {
            ("false", "This copy of the lesson has no NumPy, so this cell shows what it printed when the page was built.", False)}
        assert page.evaluate("() => lesson.bridge.whenNumpy().then(() => 'ready', (e) => e.message)") == "this copy of the lesson has no NumPy"
        widget = page.locator('[data-widget="nn-backprop"]')
        widget.scroll_into_view_if_needed()
        wait_until(page, "(w) => w.querySelector('.widget-note')?.textContent.includes('this copy of the lesson has no NumPy')",
                   widget.element_handle())
        assert_held_at_the_build(widget)
        cell = live_cell(page)  # an engine cell still runs
        run_cell(cell, "6 * 7")
        wait_for_state(cell, "done")
        assert cell.locator(".cell-output").text_content() == "42\n"
        assert page.evaluate("document.documentElement.dataset.numpy") == "off"
    guard.check()
    assert len(html) < (ROOT / "dist" / "lesson.html").stat().st_size - 3_000_000  # without the wheel, its .pyc files and more


NUMPY_BLOCK = re.compile(rb'<script type="application/octet-stream" data-asset="numpy\.bin"[^>]*>(.*?)</script>', re.S)


def damage_numpy(html: bytes) -> bytes:
    """The page with one byte of NumPy's block changed (in its first part)."""
    first = NUMPY_BLOCK.search(html)
    data = bytearray(unpack(first.group(1).decode("cp1252")))
    data[1000] ^= 1
    return html[:first.start(1)] + pack(bytes(data)) + html[first.end(1):]


def drop_numpy(html: bytes) -> bytes:
    """The page without NumPy's block (as a copy cut short or edited might be), still saying it carries NumPy."""
    return NUMPY_BLOCK.sub(b"", html)


@pytest.mark.parametrize("change, problem", [
    (damage_numpy, "this copy of the lesson has a damaged NumPy (its numpy.bin block: "),
    (drop_numpy, "this copy of the lesson is missing part of NumPy (its numpy.bin block)"),
], ids=["damaged", "missing"])
@pytest.mark.numpy
def test_a_damaged_or_missing_numpy_block_fails_numpy_saying_why_and_the_rest_stays_live(new_tab, guard, dist, change, problem):
    html = (dist / "lesson.html").read_bytes()
    changed = change(html)
    assert changed != html and b'data-numpy="loading"' in changed
    broken = dist / "lesson-broken-numpy.html"  # inside dist/ so the request guard allows it
    broken.write_bytes(changed)
    try:
        page = new_tab(broken.as_uri())
        assert settled(page, "numpy") == "failed"
        assert page.locator("#python-status").text_content().strip() == (
            "Python is live, but NumPy could not load: tensor cells show what they printed when the page was built.")
        cell = page.locator('figure.cell[data-cell="tensor-dot"]')  # the first NumPy cell
        cell.locator(".cell-run").click()
        wait_for_state(cell, "error")
        assert cell.locator(".cell-output").text_content().startswith(f"Could not run: NumPy could not load: {problem}")
        widget = page.locator('[data-widget="nn-backprop"]')  # says so, its sliders held at the build's setting
        widget.scroll_into_view_if_needed()
        wait_until(page, "(w) => w.querySelector('.widget-note')?.textContent.includes('NumPy could not load here')",
                   widget.element_handle())
        assert_held_at_the_build(widget)
        assert python_call(page, "explore", {"a": 1.5, "b": -2.0}) == json.loads(api.call("explore", '{"a": 1.5, "b": -2.0}'))
        engine_cell = live_cell(page)  # an engine cell still runs
        run_cell(engine_cell, "6 * 7")
        wait_for_state(engine_cell, "done")
        assert engine_cell.locator(".cell-output").text_content() == "42\n"
    finally:
        broken.unlink()
    assert any(line.startswith(f"warning: NumPy could not load: {problem}") for line in guard.console)
