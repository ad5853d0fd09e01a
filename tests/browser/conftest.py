"""Playwright fixtures for tests against the built page: dist/ built once (under a lock, as every pytest-xdist
process asks for it), one Chromium per test process, the lesson opened from file:// or over http://127.0.0.1
in a tab of its own (in one context shared one test after another, its storage cleared after each; see
Tabs) or in a fresh context (`context`), shared pages for tests that only read or reset what they change,
and guards that fail a test on any console error or on any request leaving dist/.

    def test_something(page):            # dist/lesson.html from file://, Python not awaited
        wait_for_python(page)            # until <html data-python="ready">
    def test_other(http_page): ...       # the same page over a local static server
    def test_both(lesson_page): ...      # parametrized over both
    def test_link(new_tab): ...          # new_tab(url, init_script): the lesson at a URL of the test's own
    def test_read(static_lesson): ...    # a shared page with Python held back, reloaded for each test
    def test_live(live_lesson): ...      # a shared page with Python ready (its module's; set back what you change)
    def test_live_both(live_lessons): ...  # the same from file:// and over http

A test marked `fresh_browser` gets a Chromium of its own with a fresh profile (for tests of the boot or
of a fault, where nothing may be left over from another test). A page a test opens for itself skips
Python's warm-up (about a CPU-second a page, which the other test processes need) unless the test is
marked `warm_up`, and holds NumPy back (it fails at once, saying its block is missing part) unless the
test is marked `numpy`. The shared pages draw with reduced motion (see SharedPage), load NumPy as a reader's
page does and skip the warm-up too (test_warm_up_in_page tests it, and the page's own calls made meanwhile).
A shared page's guard is checked after every test that used it, and the page is reloaded after a test that
failed on it.
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -r requirements/dev.txt)")

from playwright.sync_api import Error  # noqa: E402

from harness import (CHROMIUM, EVERY_WIDGET_MOUNTED, HOLD_NUMPY_BACK, HOLD_PYTHON_BACK,  # noqa: E402
                     MOUNT_OFF_SCREEN_AT_ONCE, SKIP_WARM_UP, TEST_CHROMIUM_ARGS, Guard, ensure_dist, launch, open_page,
                     serve, wait_for_python, wait_until)

SCREEN = {"width": 1280, "height": 720}  # Playwright's default viewport, which a shared page is set back to


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so a shared page's fixture can tell that its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def failed(request):
    """Whether the test using this fixture failed in its setup or its call."""
    return any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))


@pytest.fixture(scope="session")
def dist() -> Path:
    """dist/, built once per session if missing or stale."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (set LESSON_CHROMIUM): the browser tests need it")
    return ensure_dist()


@pytest.fixture(scope="session")
def http_root(dist) -> str:
    """The base URL of a local static server (Python's http.server) serving dist/."""
    url, server = serve(dist)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(playwright, dist):
    """One Chromium for the session; each test gets its own context in it, or its own tabs in the shared
    one (see Tabs). One renderer process per site, so that a tab of the lesson reuses the last one's."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[*TEST_CHROMIUM_ARGS, "--process-per-site"],
                                          headless=True)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(page_or_element, name): saved under $LESSON_SCREENSHOTS for a person to look at, or not
    taken at all when that is unset (no test compares them, and each costs about 0.2 s of the CPU)."""
    folder = os.environ.get("LESSON_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)

    def take(target, name):
        if folder:
            target.screenshot(path=str(Path(folder) / name))
    return take


def allowed_places(dist, http_root):
    """Where a page may load from: dist/ by file:// and the local server."""
    return [dist.as_uri() + "/", http_root]


@pytest.fixture
def guard(dist, http_root):
    """The guard every page fixture installs: checked when the test ends."""
    watcher = Guard(allowed_places(dist, http_root))
    yield watcher
    watcher.check()


def lighten_own_pages(request, target):
    """Skip Python's warm-up in the test's own pages (those of a context, or one page), unless the test is
    marked `warm_up`, and hold NumPy back unless it is marked `numpy`."""
    if not request.node.get_closest_marker("warm_up"):
        target.add_init_script(SKIP_WARM_UP)
    if not request.node.get_closest_marker("numpy"):
        target.add_init_script(HOLD_NUMPY_BACK)


@pytest.fixture
def context(request, playwright, browser, guard):
    """A fresh browser context whose pages are guarded: in the session's Chromium, or for a test marked
    `fresh_browser` in a Chromium of its own with a fresh profile."""
    if request.node.get_closest_marker("fresh_browser"):
        with launch(playwright, TEST_CHROMIUM_ARGS) as browser_context:
            lighten_own_pages(request, browser_context)
            guard.watch(browser_context)
            yield browser_context
        return
    browser_context = browser.new_context()
    lighten_own_pages(request, browser_context)
    guard.watch(browser_context)
    yield browser_context
    browser_context.close()


class Tabs:
    """One browser context in which the tests' own lesson pages open as tabs, one test after another. With
    one renderer process per site and a blank tab kept open (without it the process ends with the test's
    tab), a new tab of the lesson reuses the process of the last, and the wasm it compiled: a boot to ready
    costs 1.6 CPU-seconds instead of 2.4-2.7 in a context of its own (measured, four or five boots each,
    from file:// and over http). Requests go through the guard of the test running; after each test its
    tabs are closed and the storage its pages wrote is cleared, so the next test starts as in a fresh context."""

    def __init__(self, browser):
        self.context = browser.new_context()
        self.keeper = self.context.new_page()  # about:blank, for the whole session
        self.guard = None
        self.context.route("**/*", lambda route: self.guard.route(route) if self.guard else route.continue_())
        self.context.on("request", lambda request: self.guard and self.guard.request(request))

    def open(self, request, guard):
        """A new blank tab, guarded by `guard`, lightened as the test's markers say."""
        self.guard = guard
        tab = self.context.new_page()
        guard.page(tab)
        lighten_own_pages(request, tab)
        return tab

    def close_all(self):
        """Close every tab but the keeper, clearing the storage of each page first."""
        for tab in self.context.pages:
            if tab == self.keeper:
                continue
            with contextlib.suppress(Error):
                tab.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
            tab.close()
        self.guard = None


@pytest.fixture(scope="session")
def tabs(browser):
    """The context the tests' own tabs share (see Tabs)."""
    shared = Tabs(browser)
    yield shared
    shared.context.close()


@pytest.fixture
def new_tab(request, guard, tabs):
    """new_tab(url=None, init_script=None): a new tab of the shared context (see Tabs) with `init_script`
    added, at `url` if one is given (a test that sets the tab up first opens it itself); every tab is
    closed after the test."""
    def open_tab(url=None, init_script=None):
        tab = tabs.open(request, guard)
        if init_script:
            tab.add_init_script(init_script)
        if url:
            tab.goto(url)
        return tab
    yield open_tab
    tabs.close_all()


def own_page(request, url):
    """`url` in a tab of the shared context, or for a test marked `fresh_browser` in its own Chromium."""
    if request.node.get_closest_marker("fresh_browser"):
        return open_page(request.getfixturevalue("context"), url)
    return request.getfixturevalue("new_tab")(url)


@pytest.fixture
def page(request, dist):
    """dist/lesson.html opened from file:// (Python is still booting when the test starts)."""
    return own_page(request, (dist / "lesson.html").as_uri())


@pytest.fixture
def http_page(request, http_root):
    """dist/lesson.html over http://127.0.0.1 (Python is still booting when the test starts)."""
    return own_page(request, http_root + "lesson.html")


@pytest.fixture(params=["file", "http"])
def lesson_page(request, dist, http_root):
    """The lesson from file:// and, in a second run of the test, over http."""
    url = (dist / "lesson.html").as_uri() if request.param == "file" else http_root + "lesson.html"
    return own_page(request, url)


@pytest.fixture
def file_alone(request, browser):
    """Opens a copy of the lesson (a path) in a new context whose guard allows that file alone, as a
    mailed copy saved anywhere; returns (page, guard). Each guard is checked when the test ends."""
    opened = []

    def open_alone(path):
        guard = Guard([path.as_uri()])  # not even its own folder: only the file itself
        browser_context = browser.new_context()
        lighten_own_pages(request, browser_context)
        guard.watch(browser_context)
        opened.append((browser_context, guard))
        return open_page(browser_context, path.as_uri()), guard
    yield open_alone
    for browser_context, guard in opened:
        browser_context.close()
        guard.check()


# Shared pages: opened once per module, guarded after every test that uses them.

class SharedPage:
    """A lesson page kept open across a module's tests, with its own guard, drawn with reduced motion: each
    step, answer and new graph at once, with no transition to wait out (its frames cost CPU the other test
    processes need: test_widgets_in_page.py alone took 56 CPU-seconds and 46 s, against 67 and 66 with motion;
    full runs 306 and 309 s, against 318). A test of what moves asks for motion itself
    (`page.emulate_media(reduced_motion="no-preference")`); the tests' own pages keep the default, motion."""

    def __init__(self, browser, url, allowed, init_script=None):
        self.guard = Guard(allowed)
        self.context = browser.new_context(reduced_motion="reduce")
        if init_script:
            self.context.add_init_script(init_script)
        self.guard.watch(self.context)
        self.page = open_page(self.context, url)

    def check(self):
        """Fail on what the guard saw since the last check, and start afresh."""
        outside, errors = list(self.guard.outside), list(self.guard.errors)
        self.guard.outside.clear()
        self.guard.errors.clear()
        self.guard.console.clear()
        assert outside == [], f"requests outside dist/: {outside}"
        assert errors == [], "\n".join(errors)

    def set_back(self):
        """The screen the page was opened with: default viewport, screen media, the system's colour scheme,
        reduced motion."""
        self.page.set_viewport_size(SCREEN)
        self.page.emulate_media(media="null", color_scheme="null", reduced_motion="reduce")

    def close(self):
        self.context.close()


def held_back(browser, dist, http_root, init_script=""):
    """A shared page of the lesson from file:// with Python held back (and `init_script`), closed (and its
    guard checked) at the end."""
    shared = SharedPage(browser, (dist / "lesson.html").as_uri(), allowed_places(dist, http_root),
                        HOLD_PYTHON_BACK + init_script)
    yield shared
    shared.close()
    shared.check()


@pytest.fixture(scope="module")
def shared_static(browser, dist, http_root):
    """The lesson from file:// with Python held back, for a module's tests."""
    yield from held_back(browser, dist, http_root)


def reload_held_back(shared_static):
    """The shared page with Python held back, reloaded: as the build drew it (Python still "booting")."""
    shared_static.set_back()
    shared_static.page.reload()
    assert shared_static.page.evaluate("document.documentElement.dataset.python") == "booting"
    return shared_static.page


@pytest.fixture(scope="module")
def shared_static_mounting(browser, dist, http_root):
    """The lesson from file:// with Python held back and its off-screen widgets mounting at once (see
    MOUNT_OFF_SCREEN_AT_ONCE), for a module's tests."""
    yield from held_back(browser, dist, http_root, MOUNT_OFF_SCREEN_AT_ONCE)


@pytest.fixture
def static_lesson(shared_static_mounting):
    """A shared page with Python held back, reloaded so it is as the build drew it, every widget mounted (off
    screen in idle time, as after a slow Python's 3 s) and the page at its top."""
    page = reload_held_back(shared_static_mounting)
    wait_until(page, EVERY_WIDGET_MOUNTED)
    yield page
    shared_static_mounting.check()


@pytest.fixture
def unscrolled_static_lesson(shared_static):
    """static_lesson once every widget has mounted by itself, with no scrolling (off-screen ones wait 3 s)."""
    page = reload_held_back(shared_static)
    wait_until(page, EVERY_WIDGET_MOUNTED)
    yield page
    shared_static.check()


def booted(browser, url, allowed):
    """A shared page at `url` once Python is ready in it (its warm-up skipped), closed (and its guard checked)
    at the end."""
    shared = SharedPage(browser, url, allowed, SKIP_WARM_UP)
    wait_for_python(shared.page)
    yield shared
    shared.close()
    shared.check()


@pytest.fixture(scope="module")
def shared_live(browser, dist, http_root):
    """The lesson from file:// with Python ready, for a module's tests."""
    yield from booted(browser, (dist / "lesson.html").as_uri(), allowed_places(dist, http_root))


@pytest.fixture(scope="module")
def shared_live_http(browser, dist, http_root):
    """The lesson over http with Python ready, for a module's tests."""
    yield from booted(browser, http_root + "lesson.html", allowed_places(dist, http_root))


def lend(request, shared):
    """Lend a shared page to one test: afterwards its screen is set back, it is reloaded if the test failed
    or the guard saw an error (the next test gets a working page), and the guard is checked."""
    yield shared.page
    shared.set_back()
    if failed(request) or shared.guard.errors:
        shared.page.reload()
        wait_for_python(shared.page)
    shared.check()


@pytest.fixture
def live_lesson(request, shared_live):
    """The shared page from file:// with Python ready. A test puts back what it changes."""
    yield from lend(request, shared_live)


@pytest.fixture(params=["file", "http"])
def live_lessons(request):
    """The shared page with Python ready from file:// and, in a second run of the test, over http."""
    yield from lend(request, request.getfixturevalue({"file": "shared_live", "http": "shared_live_http"}[request.param]))


def pytest_collection_modifyitems(items):
    """Every test in this folder drives Chromium, which takes seconds: all of them are `slow`."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)
