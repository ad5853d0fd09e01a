"""widgets/live.js on its own, bundled into a bare page with a bridge the test drives: one call in flight
with the newest request sent next, the build's numbers until the engine is ready, a setting that waits
saying so, and NumPy's state (a setting waiting for NumPy stops waiting, saying why, where NumPy will
not come)."""

import subprocess

import pytest

from harness import ROOT, open_page, wait_until

pytestmark = pytest.mark.timeout(120)

# A bridge the test controls: its state and NumPy's are set by hand, and each call waits until the test
# answers it (window.answer(i, result) or window.refuse(i, message)).
PAGE_JS = """(needs) => {
  const bridge = Object.assign(new EventTarget(), { state: "booting", numpy: "loading" });
  window.calls = [];
  bridge.call = (name, args) => new Promise((resolve, reject) => calls.push({ name, args, resolve, reject }));
  window.setEngine = (type, state) => {
    if (type === "state") bridge.state = state; else bridge.numpy = state;
    bridge.dispatchEvent(new CustomEvent(type, { detail: state }));
  };
  window.answer = (i, result) => calls[i].resolve(result);
  window.refuse = (i, message) => calls[i].reject(new Error(message));
  window.drawn = [];
  window.resolved = [];
  const root = document.getElementById("w");
  window.live = live.liveCall(root, {
    bridge, name: "f", needs, status: document.getElementById("status"),
    notes: { static: "static", booting: "booting", loading: "loading", ready: "ready", failed: "failed", "numpy-failed": "numpy failed", off: "off" },
    describe: (args) => `x = ${args.x}`,
    fromBuild: (args) => (args.x === 0 ? { x: 0, from: "build" } : undefined),
    draw: (result, { source, superseded }) => drawn.push([result.x, source, superseded]),
  });
  window.ask = (x) => live.request({ x }).then(() => resolved.push(x));
  live.start({ x: 0 });
}"""


@pytest.fixture(scope="module")
def bare_file(tmp_path_factory):
    """A page holding live.js alone (bundled by esbuild once for the module), in a folder of its own (not
    dist/, which other test processes read while this one runs)."""
    bundle = subprocess.run([str(ROOT / "node_modules/.bin/esbuild"), str(ROOT / "web/js/widgets/live.js"),
                             "--bundle", "--format=iife", "--global-name=live"], capture_output=True, check=True).stdout
    page_file = tmp_path_factory.mktemp("live-call") / "live-call-test.html"
    page_file.write_bytes(b'<!doctype html><meta charset="utf-8"><div id="w"></div><p id="status"></p><script>'
                          + bundle + b"</script>")
    return page_file


@pytest.fixture
def bare(context, guard, bare_file):
    """A function opening the bare page in a fresh context with the fake bridge (the guard allows that file alone)."""
    guard.allow(bare_file.as_uri())

    def open_bare(needs="python"):
        page = open_page(context, bare_file.as_uri())
        page.evaluate(PAGE_JS, needs)
        return page
    return open_bare


def state(page):
    """What the widget shows: its drawings so far, the calls made, busy, source and status text."""
    return page.evaluate("""() => ({drawn, calls: calls.map((c) => c.args.x), busy: document.getElementById('w').dataset.busy ?? null,
        source: document.getElementById('w').dataset.source, status: document.getElementById('status').textContent, resolved})""")


def test_one_call_in_flight_and_the_newest_request_goes_next(bare):
    page = bare()
    page.evaluate("() => setEngine('state', 'ready')")  # the build's x = 0 is asked for live at once
    assert state(page)["calls"] == [0]
    page.evaluate("() => { ask(1); ask(2); ask(3); }")  # a drag while the first call is out
    assert state(page)["calls"] == [0] and state(page)["busy"] == "true"
    page.evaluate("() => answer(0, {x: 0})")
    wait_until(page, "() => calls.length === 2")
    now = state(page)
    assert now["calls"] == [0, 3]  # 1 and 2 were never sent: 3 is the newest
    assert now["drawn"][-1] == [0, "python", True]  # drawn, though a newer request waits
    assert now["resolved"] == [] and now["busy"] == "true"
    page.evaluate("() => answer(1, {x: 3})")
    wait_until(page, "() => resolved.length === 3")
    now = state(page)
    assert now["drawn"][-1] == [3, "python", False] and now["busy"] is None and now["status"] == "ready"
    assert sorted(now["resolved"]) == [1, 2, 3]  # every request is settled by the newer answer


def test_before_the_engine_is_ready_the_build_draws_and_other_settings_wait(bare):
    page = bare()
    assert state(page)["drawn"] == [[0, "static", False]] and state(page)["source"] == "static"
    page.evaluate("() => { ask(5); }")
    now = state(page)
    assert now["calls"] == [] and now["busy"] == "true"
    assert now["status"] == "x = 5: computing live once Python is ready; until then the graph shows x = 0, from the build."
    page.evaluate("() => { ask(0); }")  # back to the build's setting: drawn from it, nothing waits
    assert state(page)["busy"] is None and state(page)["drawn"][-1] == [0, "static", False]
    page.evaluate("() => { ask(7); }")
    page.evaluate("() => setEngine('state', 'ready')")  # the waiting setting goes to Python now
    assert state(page)["calls"] == [7]
    page.evaluate("() => answer(0, {x: 7})")
    wait_until(page, "() => drawn.length === 3")
    assert state(page)["drawn"][-1] == [7, "python", False] and state(page)["source"] == "python"


def test_python_not_answering_keeps_the_drawing_and_says_why(bare):
    page = bare()
    page.evaluate("() => { setEngine('state', 'ready'); answer(0, {x: 0}); }")
    wait_until(page, "() => drawn.length === 2")
    page.evaluate("() => { ask(4); refuse(1, 'ValueError: x must be between -3 and 3, got 4'); }")
    wait_until(page, "() => resolved.length === 1")
    now = state(page)
    assert now["status"] == "Python did not answer (x must be between -3 and 3, got 4); the graph shows x = 0."
    assert now["busy"] is None and now["drawn"][-1] == [0, "python", False]


@pytest.mark.parametrize("numpy, note", [("off", "off"), ("failed", "numpy failed")])
def test_a_setting_waiting_for_numpy_stops_waiting_where_numpy_will_not_come(bare, numpy, note):
    page = bare("numpy")
    page.evaluate("() => { setEngine('state', 'ready'); ask(2); }")  # Python is ready, NumPy still loading
    now = state(page)
    assert now["calls"] == [] and now["busy"] == "true"
    assert now["status"].startswith("x = 2: computing live once NumPy is ready")
    page.evaluate(f"() => setEngine('numpy', '{numpy}')")
    wait_until(page, "() => resolved.length === 1")
    now = state(page)
    assert now["busy"] is None and now["status"] == note and now["calls"] == []


def test_numpy_ready_sends_the_newest_setting(bare):
    page = bare("numpy")
    page.evaluate("() => { setEngine('state', 'ready'); ask(2); ask(3); }")
    assert state(page)["calls"] == []
    page.evaluate("() => setEngine('numpy', 'ready')")
    assert state(page)["calls"] == [3]
    page.evaluate("() => { setEngine('state', 'booting'); setEngine('numpy', 'loading'); refuse(0, 'stopped: restart'); ask(4); }")
    wait_until(page, "() => resolved.length >= 2")
    assert state(page)["busy"] == "true"  # 4 waits for the restarted Python and its NumPy
    page.evaluate("() => { setEngine('state', 'ready'); setEngine('numpy', 'ready'); }")
    assert state(page)["calls"] == [3, 4]
