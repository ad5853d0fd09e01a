"""Faults an attack run found in the live page, survived: a cell that breaks the Python worker's message
loop (the worker is replaced, the cell is not replayed and says so, Reset and Stop work), a cell that ends
Python itself (the same, and the patch it made before never reaches a widget), a worker that
dies or errs after it was ready (calls pending are rejected; a Python that still answers is kept), a
damaged sources block found after ready, and copies of the page cut short or missing a block (they fail
at once, naming the block, instead of blaming the browser after a minute)."""

import json
import math
import re
import time

import pytest

from harness import python_call, wait_for_numpy, wait_for_python, wait_until
from lesson import api
from pagebuild.blocks import pack, unpack
from test_runtime import live_cell, run_cell, wait_for_state
from test_widgets_in_page import drawn_nodes

pytestmark = [pytest.mark.timeout(300), pytest.mark.numpy]  # faults while NumPy loads and after

BROKE_PYTHON = ("This cell stopped Python from answering, so Python was restarted, and this cell was not run again "
                "after the restart: the names it defined are gone. Change its code and run it again.")
# Cells that leave the worker deaf to the page: its message handler gone, or the worker closed.
BREAK_THE_LOOP = {"onmessage": "import js\njs.onmessage = None\nbroke = True",
                  "close": "import js\njs.close()\nbroke = True"}

# Cells that end Python itself: an exit, which Emscripten unwinds past the cell's cleanup (its patch of
# math.tanh would stay in the page's modules); an abort; a write through ctypes past the wasm's memory.
END_PYTHON = {"exit": "os._exit(0)", "abort": "os.abort()", "stray write": "ctypes.memset(0, 0, 2 ** 31)"}
ENDED_PYTHON = BROKE_PYTHON.replace("stopped Python from answering", "ended Python")
# What Pyodide prints on the console when it meets a fatal error (the abort and the stray write).
PYODIDE_FATAL = re.compile(r"console error: (Pyodide has suffered a fatal error|The cause of the fatal error was|RuntimeError: (Aborted|memory access out of bounds))")
TANH = {"expression": "tanh(w*x + b)", "values": {"w": 0.7, "x": -1.5, "b": 0.25}}

# Every restart the bridge makes (its reason), and every data-python state, recorded from the page's start.
RECORD = """
window.restarts = [];
window.pythonStates = [];
new MutationObserver(() => pythonStates.push(document.documentElement.dataset.python))
  .observe(document, {subtree: true, attributes: true, attributeFilter: ['data-python']});
addEventListener('DOMContentLoaded', () => lesson.bridge.addEventListener('restart', ({detail}) => restarts.push(detail.reason)));
"""

# An await that gives up: a call that never settles must fail the test, not hang it.
SETTLED = """(promise, ms) => Promise.race([
  promise.then((value) => ['resolved', value], (error) => ['rejected', error.type, error.message]),
  new Promise((resolve) => setTimeout(() => resolve(['pending']), ms))])"""


def cpython(name, args):
    """What lesson.api answers in CPython."""
    return json.loads(api.call(name, json.dumps(args)))


def explore_answers_as_cpython(page, a):
    """Move the explore widget's slider `a` and check the graph it draws against CPython's for that setting."""
    widget = page.locator('[data-widget="explore"]')
    widget.scroll_into_view_if_needed()
    widget.get_by_role("slider", name="a", exact=True).fill(str(a))
    wait_until(page, "([w, a]) => w.dataset.source === 'python' && w.dataset.a === a && !w.dataset.busy",
               [widget.element_handle(), str(a)], timeout_ms=60000)
    b = float(widget.get_attribute("data-b"))
    expected = {node["id"]: (node["data"], node["grad"]) for node in cpython("explore", {"a": a, "b": b})["trace"]["nodes"]}
    assert drawn_nodes(widget) == expected


# How long a call may wait to be taken up before its worker counts as deaf, here: the page gives 5 s, which
# each test that makes the worker deaf would wait out. A listening worker takes a call up in milliseconds.
TAKE_UP_MS = 2000


def booted(new_tab, dist):
    """The lesson in a new tab with restarts and states recorded, Python and NumPy ready, and a deaf worker
    found out after TAKE_UP_MS instead of the page's 5 s."""
    page = new_tab((dist / "lesson.html").as_uri(), init_script=RECORD)
    wait_for_numpy(page)
    assert page.evaluate("lesson.bridge.takeUpMs") == 5000
    page.evaluate("(ms) => { lesson.bridge.takeUpMs = ms; }", TAKE_UP_MS)
    return page


@pytest.mark.parametrize("breaker", BREAK_THE_LOOP.values(), ids=BREAK_THE_LOOP.keys())
def test_a_cell_that_breaks_pythons_message_loop_is_not_replayed_and_the_page_recovers(new_tab, dist, breaker):
    page = booted(new_tab, dist)
    first, second, third = live_cell(page, 0), live_cell(page, 1), live_cell(page, 2)
    run_cell(first, "kept = 'from before the restart'")
    wait_for_state(first, "done")
    run_cell(second, breaker)
    wait_for_state(second, "done", timeout_ms=30000)
    # A widget's call now: the worker never takes it up, so it is rejected and Python replaced.
    outcome = page.evaluate(f"({SETTLED})(lesson.bridge.call('explore', {{a: 1, b: 2}}), 40000)")
    assert outcome == ["rejected", "Unresponsive", "Python stopped answering, so it was restarted: this call was not answered"]
    wait_until(page, "(c) => c.dataset.state === 'error'", second.element_handle(), timeout_ms=10000)
    assert second.locator(".cell-output").text_content() == BROKE_PYTHON
    wait_for_python(page)
    run_cell(third, "kept")  # the cell before it was replayed...
    wait_for_state(third, "done", timeout_ms=60000)
    assert third.locator(".cell-output").text_content() == "'from before the restart'\n"
    run_cell(third, "broke")  # ...and the one that broke Python was not
    wait_for_state(third, "error")
    assert third.locator(".cell-output").text_content().strip().endswith("NameError: name 'broke' is not defined")
    assert page.evaluate("restarts") == ["Python stopped answering"]  # once: the replay did not break the new worker
    explore_answers_as_cpython(page, -1.5)
    assert page.evaluate("document.documentElement.dataset.python") == "ready"


@pytest.mark.parametrize("ender", END_PYTHON.values(), ids=END_PYTHON.keys())
def test_a_cell_that_ends_python_is_not_replayed_and_its_patch_never_reaches_a_widget(new_tab, dist, guard, ender):
    page = booted(new_tab, dist)
    first, second, third = live_cell(page, 0), live_cell(page, 1), live_cell(page, 2)
    run_cell(first, "kept = 'from before the restart'")
    wait_for_state(first, "done")
    run_cell(second, f"import ctypes, math, os\nmath.tanh = lambda x: 0.0\n{ender}")
    wait_for_state(second, "error", timeout_ms=30000)
    assert second.locator(".cell-output").text_content() == ENDED_PYTHON
    wait_for_python(page)
    drawn = python_call(page, "playground", TANH)["trace"]["nodes"][-1]["data"]
    assert drawn == pytest.approx(math.tanh(0.7 * -1.5 + 0.25), rel=1e-12)  # the fresh Python's tanh (libm may differ in the last bit)
    run_cell(third, "print(kept)\nimport math\nprint(math.tanh(1.0))")  # the cell before it was replayed, the one that ended Python not
    wait_for_state(third, "done", timeout_ms=60000)
    assert third.locator(".cell-output").text_content() == f"from before the restart\n{math.tanh(1.0)}\n"
    assert page.evaluate("restarts") == ["Python ended"]
    wait_for_numpy(page)
    guard.errors[:] = [error for error in guard.errors if not PYODIDE_FATAL.match(error)]  # any other error still fails the test


def test_a_fatal_error_in_a_python_that_ran_no_learners_code_restarts_nothing(new_tab, dist):
    page = booted(new_tab, dist)
    # run_cell called without a time limit, as the page calls its own functions: not the learner's code to the
    # bridge. A fresh Python would meet the same fault: a restart could only start a loop.
    # A call sent right behind it waits in the worker's queue: it is refused, without touching the dead Python
    # (which would report a second fatal error on the console; the guard fails the test on one).
    outcome = page.evaluate(f"""Promise.all([
      ({SETTLED})(lesson.bridge.call('run_cell', {{source: 'import os\\nos._exit(0)'}}), 20000),
      ({SETTLED})(lesson.bridge.call('explore', {{a: 1, b: 2}}), 20000)])""")
    assert outcome == [["rejected", "Ended", "Program terminated with exit(0): this code ended Python"],
                       ["rejected", "Ended", "Python has ended (Program terminated with exit(0)) and no longer answers"]]
    page.wait_for_timeout(500)
    assert page.evaluate("restarts") == []


def test_reset_brings_a_python_that_stopped_answering_back(new_tab, dist):
    page = booted(new_tab, dist)
    first, second = live_cell(page, 0), live_cell(page, 1)
    run_cell(first, BREAK_THE_LOOP["onmessage"])
    wait_for_state(first, "done")
    second.locator(".cell-reset").click()
    run_cell(second, "6 * 7")  # queued behind Reset; the cell above it, which broke Python, is not run for it
    wait_for_state(second, "done", timeout_ms=60000)
    assert second.locator(".cell-output").text_content() == "42\n"
    assert first.locator(".cell-output").text_content() == BROKE_PYTHON
    assert page.evaluate("restarts") == ["Python stopped answering"]
    explore_answers_as_cpython(page, 2.5)


def test_stop_replaces_a_python_that_stopped_answering_at_once(new_tab, dist):
    page = booted(new_tab, dist)
    first, second = live_cell(page, 0), live_cell(page, 1)
    run_cell(first, BREAK_THE_LOOP["onmessage"])
    wait_for_state(first, "done")
    first.locator(".cell-reset").click()  # its own code back; Reset's call is not taken up: the cells' queue waits on it
    page.locator(".cells-busy-stop").click()  # shown while the queue is busy
    wait_until(page, "() => restarts.length", timeout_ms=10000)
    assert page.evaluate("restarts")[0] == "stopped by you"
    wait_for_python(page)
    run_cell(second, "6 * 7")
    wait_for_state(second, "done", timeout_ms=60000)
    assert second.locator(".cell-output").text_content() == "42\n"


def test_calls_pending_when_the_worker_dies_are_rejected_and_a_fresh_python_answers(new_tab, dist):
    page = booted(new_tab, dist)
    outcomes = page.evaluate(f"""() => {{
        const bridge = lesson.bridge;
        const dies = bridge.call('run_cell', {{source: 'import js\\njs.close()'}}, {{timeoutMs: 10000}});
        const pending = [1, 2, 3].map((a) => bridge.call('explore', {{a, b: 0.5}}));
        return Promise.all([dies, ...pending].map((call) => ({SETTLED})(call, 40000)));
    }}""")
    assert outcomes[0][0] == "resolved"  # the cell's own answer got out before the worker closed
    for outcome in outcomes[1:]:
        assert outcome == ["rejected", "Unresponsive", "Python stopped answering, so it was restarted: this call was not answered"]
    wait_for_python(page)
    assert python_call(page, "explore", {"a": 3.0, "b": 0.5}) == cpython("explore", {"a": 3.0, "b": 0.5})
    assert page.evaluate("document.documentElement.dataset.python") == "ready"


def test_an_error_in_the_worker_after_ready_keeps_a_python_that_answers(new_tab, dist, guard):
    page = booted(new_tab, dist)
    first, second = live_cell(page, 0), live_cell(page, 1)
    # An exception thrown in the worker outside any call (a timer's), as a crash in its own code would be.
    run_cell(first, "import js\nfrom pyodide.ffi import create_once_callable\n\ndef fail():\n    raise RuntimeError('boom')\n\n"
                    "js.setTimeout(create_once_callable(fail), 0)\nkept = 'still here'")
    wait_for_state(first, "done")
    deadline = time.monotonic() + 10
    while not any("the Python worker failed" in line for line in guard.console) and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # the timer's error reaches the page
    run_cell(second, "kept")
    wait_for_state(second, "done", timeout_ms=30000)
    assert second.locator(".cell-output").text_content() == "'still here'\n"  # the same Python: nothing restarted
    states = page.evaluate("pythonStates")
    assert "failed" not in states and "booting" not in states[states.index("ready"):], states
    assert page.evaluate("restarts") == []
    assert any("the Python worker failed" in line for line in guard.console if line.startswith("warning"))
    explore_answers_as_cpython(page, 0.5)


BLOCK = re.compile(rb'<script type="application/octet-stream" data-asset="([^"]+)" data-part="(\d+)"[^>]*>(.*?)</script>\n?', re.S)


def damage_sources(html: bytes) -> bytes:
    """The page with one byte of the sources block changed (it is gzipped: the gunzip fails)."""
    block = next(match for match in BLOCK.finditer(html) if match.group(1) == b"sources.json")
    data = bytearray(unpack(block.group(3).decode("cp1252")))
    data[len(data) // 2] ^= 0xFF
    return html[:block.start(3)] + pack(bytes(data)) + html[block.end(3):]


def open_copy(new_tab, guard, tmp_path, html):
    """Open `html` saved as a copy of the lesson in tmp_path (the guard allows that file) in a new tab."""
    copy = tmp_path / "lesson copy.html"
    copy.write_bytes(html)
    guard.allow(copy.as_uri())
    return new_tab(copy.as_uri(), init_script=RECORD)


def test_a_damaged_sources_block_found_after_ready_keeps_python_and_numpy(new_tab, guard, dist, tmp_path):
    page = open_copy(new_tab, guard, tmp_path, damage_sources((dist / "lesson.html").read_bytes()))
    wait_for_python(page)
    wait_for_numpy(page)
    explore_answers_as_cpython(page, -0.5)
    cell = live_cell(page)
    run_cell(cell, "6 * 7")
    wait_for_state(cell, "done")
    assert cell.locator(".cell-output").text_content() == "42\n"
    assert "failed" not in page.evaluate("pythonStates") and page.evaluate("restarts") == []
    assert any("tracebacks will show no source lines" in line for line in guard.console if line.startswith("warning"))


def cut_in_half(html: bytes) -> bytes:
    """The first half of the page's bytes, as a download or a mail cut short leaves it."""
    return html[:len(html) // 2]


def without(name: bytes):
    """A change to the page: every part of block `name` taken out."""
    return lambda html: BLOCK.sub(lambda block: b"" if block.group(1) == name else block.group(0), html)


def without_last_part_of(name: bytes):
    """A change to the page: the last part of block `name` taken out."""
    def drop(html: bytes) -> bytes:
        start, end = [block.span() for block in BLOCK.finditer(html) if block.group(1) == name][-1]
        return html[:start] + html[end:]
    return drop


@pytest.mark.parametrize("spoil, blocks", [
    (cut_in_half, "blocks snapshot.bin, python_stdlib.zip, sources.json and numpy.bin are"),
    (without(b"python_stdlib.zip"), "block python_stdlib.zip is"),
    (without_last_part_of(b"pyodide.asm.wasm"), "block pyodide.asm.wasm is"),
    (without(b"worker.js"), "block worker.js is"),
], ids=["cut in half", "no stdlib", "wasm cut short", "no worker"])
def test_an_incomplete_copy_fails_at_once_naming_the_block(new_tab, guard, dist, tmp_path, spoil, blocks):
    html = (dist / "lesson.html").read_bytes()
    changed = spoil(html)
    assert len(changed) < len(html)
    page = open_copy(new_tab, guard, tmp_path, changed)
    state = wait_until(page, "() => ['ready', 'failed'].includes(document.documentElement.dataset.python)"
                             " && document.documentElement.dataset.python", timeout_ms=60000)
    assert state == "failed"
    timings = page.evaluate("""() => [performance.getEntriesByType('navigation')[0].domContentLoadedEventStart,
                                      performance.getEntriesByName('python-failed')[0].startTime]""")
    assert timings[1] - timings[0] < 3000, timings  # at once, not after the boot's 60 s
    problem = (f"This copy of the lesson is incomplete: the data {blocks} missing or cut short "
               "(the file may have been truncated when it was saved or mailed).")
    status = page.locator("#python-status").text_content().strip()
    assert status == f"{problem} Python cannot start: the numbers shown were computed when the page was built."
    assert "this browser" not in status
    assert page.evaluate(f"({SETTLED})(lesson.bridge.call('explore', {{a: 1, b: 2}}), 5000)") == \
        ["rejected", "BootError", f"Python could not start: {problem}"]
    assert any(line == f"warning: Python cannot start: {problem}" for line in guard.console)
    explore = page.locator('[data-widget="explore"]')
    explore.scroll_into_view_if_needed()  # still drawn from the build
    explore.locator("[data-node]").first.wait_for(state="visible", timeout=10000)
