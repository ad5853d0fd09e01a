"""Driving the built lesson in Chromium, for the browser tests and bench/bench_page.py alike (no pytest here):
dist/ rebuilt when stale, a Chromium with a fresh profile, a local static server, a guard against console
errors and requests leaving dist/, and polling helpers that work under the page's CSP.
"""

import contextlib
import fcntl
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Error

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
CHROMIUM = os.environ.get("LESSON_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# The tests' Chromium runs WebAssembly in its baseline compiler (Liftoff) alone: V8's optimizing tier
# compiles a booting Python's hot functions on background threads (~0.2 CPU-seconds a boot), which the
# other test processes need. Same semantics, slower Python: measured on the cells' and tasks' tests,
# 12% less CPU and 6% less time. The benchmarks keep CHROMIUM_ARGS: speed is theirs to measure.
TEST_CHROMIUM_ARGS = [*CHROMIUM_ARGS, "--js-flags=--liftoff-only"]
BUILD_INPUTS = ["build.py", "package-lock.json", "requirements/pyodide-numpy.txt", "py", "web"]
PYTHON_READY_TIMEOUT_MS = 60000
# For wait_until: every widget on the page has mounted.
EVERY_WIDGET_MOUNTED = "() => document.querySelectorAll('[data-widget]:not([data-mounted])').length === 0"
# For wait_until, with an element: no CSS transition runs in it (a theme change or a redraw starts them, and
# a colour read half-way is not one a reader sees). Asking flushes the styles, so a transition the last
# change started is counted.
NO_TRANSITION_RUNNING_IN = "(root) => root.getAnimations({subtree: true}).every((a) => !(a instanceof CSSTransition))"
# For evaluate or wait_until, with a widget: whether any box of its graph is still moving: a d3 transition
# pending on it (d3 keeps them in the node's __transition) or a CSS animation or transform transition running
# on it (a step's colours fade in on their own: not a move).
GLIDING = """(w) => [...w.querySelectorAll('[data-node], [data-node] *')].some((n) => n.__transition)
                   || w.getAnimations({subtree: true}).some((a) => !(a instanceof CSSTransition)
                                                                  || ['transform', 'translate', 'all'].includes(a.transitionProperty))"""

# A Worker that never starts: Python stays "booting", so the page runs on the build's numbers alone. Its
# decoding worker's channel goes nowhere too (a real one would keep a copy of every block it is posted).
HOLD_PYTHON_BACK = """window.Worker = class { postMessage() {} terminate() {} };
window.MessageChannel = class { port1 = { postMessage() {}, close() {} }; port2 = {}; };"""
# The warm-up's calls answered at once, without Python: lesson.bridge is wrapped as main.js assigns it.
SKIP_WARM_UP = """(() => {
  let lesson;
  Object.defineProperty(globalThis, "lesson", { configurable: true, get: () => lesson, set(value) {
    lesson = value;
    const call = value.bridge.call.bind(value.bridge);
    value.bridge.call = (name, args, options) => name === "warm_up" ? Promise.resolve(null) : call(name, args, options);
  } });
})();"""
# Off-screen widgets wait at most this long for Python's boot (web/js/widgets/index.js), then mount in idle time.
OFFSCREEN_MOUNT_WAIT_MS = int(re.search(r"const OFFSCREEN_MOUNT_WAIT_MS = (\d+);",
                                        (ROOT / "web/js/widgets/index.js").read_text()).group(1))


def offscreen_mount_wait(ms):
    """An init script that makes the off-screen widgets' wait for Python `ms` long (the page's one timer of
    OFFSCREEN_MOUNT_WAIT_MS)."""
    return f"""(() => {{
  const later = setTimeout;
  globalThis.setTimeout = (callback, wait, ...rest) => later(callback, wait === {OFFSCREEN_MOUNT_WAIT_MS} ? {ms} : wait, ...rest);
}})();"""


# For a page with Python held back: off-screen widgets mount in the browser's idle time at once, as they do
# 3 s into a page whose Python is slow. Every widget has mounted within about 0.1 CPU-seconds of a reload,
# where scrolling to each took 0.5 (measured).
MOUNT_OFF_SCREEN_AT_ONCE = offscreen_mount_wait(0)
# NumPy's block kept from the decoding worker (the page posts it to that worker's port): once Python is
# ready NumPy fails at once ("missing part of NumPy"), where loading it would take about 1.5 CPU-seconds a
# page that the other test processes need.
HOLD_NUMPY_BACK = """(() => {
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (message, ...rest) {
    if (message?.type === "asset" && message.asset?.name === "numpy.bin") return;
    return post.call(this, message, ...rest);
  };
})();"""


# The input files the last check of dist/ saw (in a subfolder: the cache's pruning skips folders).
INPUTS_SEEN = ROOT / "build-cache" / "tests" / "dist-inputs.txt"


def input_files() -> list[Path]:
    """Every file the build reads."""
    files = []
    for name in BUILD_INPUTS:
        path = ROOT / name
        files += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return files


def listing(files) -> str:
    """The files' paths in the repository, one per line, sorted."""
    return "\n".join(sorted(str(f.relative_to(ROOT)) for f in files))


def build_is_stale(files) -> bool:
    """Whether dist/ is missing, older than one of the input `files`, or an input it was checked against is
    gone (deleted or renamed: that leaves every other file's time as it was). build.py dates its output to
    when it began reading the inputs, so an edit made while a build runs still counts as newer."""
    page = DIST / "lesson.html"
    return (not page.is_file() or page.stat().st_mtime < max(f.stat().st_mtime for f in files)
            or INPUTS_SEEN.is_file() and INPUTS_SEEN.read_text() != listing(files))


@contextlib.contextmanager
def build_lock():
    """Held while checking and rebuilding dist/: sessions started together build once, one after another."""
    lock = ROOT / "build-cache" / "locks" / "dist.lock"  # in a subfolder: the cache's pruning skips folders
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_dist() -> Path:
    """dist/, rebuilt first if missing or stale."""
    with build_lock():
        files = input_files()
        if build_is_stale(files):
            subprocess.run([sys.executable, "build.py"], cwd=ROOT, check=True, stdout=sys.stderr)
        INPUTS_SEEN.parent.mkdir(parents=True, exist_ok=True)
        INPUTS_SEEN.write_text(listing(files))  # what this check (and any build it ran) saw
    return DIST


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that does not log every request to the test output."""

    def log_message(self, format, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    """A static server that says nothing when a browser drops a connection mid-download (a page or context
    closed while it loads); any other error is printed as usual."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(directory):
    """A local static server for `directory` on a thread of its own; returns (base URL, server)."""
    server = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


@contextlib.contextmanager
def launch(playwright, args=CHROMIUM_ARGS):
    """Chromium (with command-line `args`) and a fresh temporary profile, closed and deleted afterwards."""
    profile = tempfile.mkdtemp(prefix="lesson-profile-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, args=args, headless=True)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


class Guard:
    """Records console errors, page errors and requests outside the allowed places, for one browser context."""

    def __init__(self, allowed_prefixes):
        self.allowed = tuple(allowed_prefixes) + ("data:", "blob:")
        self.errors, self.outside, self.console = [], [], []

    def allow(self, prefix):
        """Allow requests under `prefix` too (a copy of the page a test saved elsewhere)."""
        self.allowed += (prefix,)

    def watch(self, context):
        context.route("**/*", self.route)
        context.on("request", self.request)
        context.on("page", self.page)
        for page in context.pages:
            self.page(page)

    def page(self, page):
        page.on("console", self.console_message)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def console_message(self, message):
        self.console.append(f"{message.type}: {message.text}")
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def request(self, request):
        if not request.url.startswith(self.allowed):
            self.outside.append(request.url)

    def route(self, route):
        if route.request.url.startswith(self.allowed):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def check(self):
        assert self.outside == [], f"requests outside dist/: {self.outside}"
        assert self.errors == [], "\n".join(self.errors)


def open_page(context, url):
    """Open `url` in the guarded context's first tab."""
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(url)
    return page


# Polls `predicate` inside the page every 20 ms until it gives something truthy or the time is up: one
# round trip over the debugging protocol per wait (each costs ~4 ms of CPU, 16% of a core at 20 ms).
POLL_IN_PAGE = """async ([arg, timeoutMs]) => {{
  const predicate = {predicate};
  const deadline = performance.now() + timeoutMs;
  for (;;) {{
    const value = await predicate(arg);
    if (value) return {{ value }};
    if (performance.now() > deadline) return null;
    await new Promise((done) => setTimeout(done, 20));
  }}
}}"""


def wait_until(page, predicate, arg=None, timeout_ms=30000):
    """Poll the JS function `predicate(arg)` until it returns something truthy; return that.

    Playwright's wait_for_function evaluates strings inside the page, which the page's CSP forbids
    (no 'unsafe-eval'); `page.evaluate` goes through the debugging protocol, so polling with it works.
    A navigation during the wait (a reload) starts it again in the new page, within the same deadline.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left_ms = max(0, (deadline - time.monotonic()) * 1000)
        try:
            found = page.evaluate(POLL_IN_PAGE.format(predicate=predicate), [arg, left_ms])
        except Error as error:
            if "Execution context was destroyed" not in error.message or time.monotonic() > deadline:
                raise
            continue
        if found:
            return found["value"]
        raise TimeoutError(f"timed out after {timeout_ms} ms waiting for {predicate}")


def browser_local_storage(page):
    """`page`'s localStorage as the browser process holds it, {key: value}: read over the DevTools protocol's
    DOMStorage domain, which the browser answers (a second tab of the same site would read its renderer's copy,
    the one the page wrote to, since both share one renderer process)."""
    cdp = page.context.new_cdp_session(page)
    try:
        frame = cdp.send("Page.getFrameTree")["frameTree"]["frame"]["id"]
        key = cdp.send("Storage.getStorageKeyForFrame", {"frameId": frame})["storageKey"]
        return dict(cdp.send("DOMStorage.getDOMStorageItems", {"storageId": {"storageKey": key, "isLocalStorage": True}})["entries"])
    finally:
        cdp.detach()


def wait_until_the_browser_stores(page, holds, timeout_ms=10000):
    """Wait until `holds(storage)` is true of browser_local_storage(page). For a reload right after the page
    wrote localStorage: the page writes at once, the browser gets the write over IPC, and a reload reads the
    browser's store (twice a CI try's reload read no theme, though a second tab, which shares the page's
    renderer copy, had read it back)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not holds(browser_local_storage(page)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the browser's localStorage never held what the test waited for: {browser_local_storage(page)}")
        time.sleep(0.02)


def wait_for_python(page, timeout_ms=PYTHON_READY_TIMEOUT_MS):
    """Wait until Python is live (`<html data-python="ready">`); fail at once if it failed to start."""
    state = wait_until(page, "() => ['ready', 'failed'].includes(document.documentElement.dataset.python)"
                             " && document.documentElement.dataset.python", timeout_ms=timeout_ms)
    assert state == "ready", f"Python did not start: data-python={state}"


def wait_for_numpy(page, timeout_ms=PYTHON_READY_TIMEOUT_MS):
    """Wait until NumPy is live (`<html data-numpy="ready">`); fail at once if it failed to load or the page has none."""
    state = wait_until(page, "() => ['ready', 'failed', 'off'].includes(document.documentElement.dataset.numpy)"
                             " && document.documentElement.dataset.numpy", timeout_ms=timeout_ms)
    assert state == "ready", f"NumPy did not load: data-numpy={state}"


def python_call(page, name, args=None):
    """Call lesson.api function `name` through the page's bridge; return its JSON result."""
    return page.evaluate("([name, args]) => window.lesson.bridge.call(name, args)", [name, args or {}])


def shorten_time_limit(page, ms):
    """Give the learner's code (the calls made with a time limit: cells and checks) `ms` instead of the page's
    10 s, so that a test of what the limit does need not wait it out. The page's own 10 s is asserted where
    its calls are recorded (test_cells_in_page, test_tasks_in_page)."""
    page.evaluate("""(ms) => {
      const call = lesson.bridge.call.bind(lesson.bridge);
      lesson.bridge.call = (name, args, options) => call(name, args, options?.timeoutMs ? { ...options, timeoutMs: ms } : options);
    }""", ms)


def wait_for_rest(page, position, arg=None, timeout_ms=5000):
    """Wait until the JS function `position(arg)` gives the same value two animation frames apart: a smooth
    scroll (or anything else that moves) has come to rest."""
    still = (f"(arg) => new Promise((done) => {{ const at = ({position})(arg);"
             f" requestAnimationFrame(() => requestAnimationFrame(() => done(({position})(arg) === at))); }})")
    wait_until(page, still, arg, timeout_ms)


def after_frames(page, count=2):
    """Return once `count` animation frames have been drawn (what a layout change sets off has run by then)."""
    page.evaluate("(count) => new Promise((done) => { const next = (left) => left ? requestAnimationFrame(() => next(left - 1))"
                  " : done(true); next(count); })", count)
