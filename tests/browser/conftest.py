"""Playwright fixtures for tests against the built page: dist/ built once, Chromium with a fresh profile,
the lesson opened from file:// or over http://127.0.0.1, and guards that fail a test on any console
error or on any request leaving dist/.

    def test_something(page):            # dist/lesson.html from file://, Python not awaited
        wait_for_python(page)            # until <html data-python="ready">
    def test_other(http_page): ...       # the same page over a local static server
    def test_both(lesson_page): ...      # parametrized over both
"""

import functools
import shutil
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -r requirements/dev.txt)")

from harness import CHROMIUM, Guard, QuietHandler, ensure_dist, launch, open_page  # noqa: E402


@pytest.fixture(scope="session")
def dist() -> Path:
    """dist/, built once per session if missing or stale."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (set LESSON_CHROMIUM): the browser tests need it")
    return ensure_dist()


@pytest.fixture(scope="session")
def http_root(dist) -> str:
    """The base URL of a local static server (Python's http.server) serving dist/."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(dist)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def playwright():
    """Playwright, per test module: its sync API runs once at a time, and other suites start their own."""
    with playwright_api.sync_playwright() as running:
        yield running


@pytest.fixture
def guard(dist, http_root):
    """The guard every page fixture installs: checked when the test ends."""
    watcher = Guard([dist.as_uri() + "/", http_root])
    yield watcher
    watcher.check()


@pytest.fixture
def context(playwright, guard):
    """A fresh Chromium (new profile) whose pages are guarded."""
    with launch(playwright) as browser_context:
        guard.watch(browser_context)
        yield browser_context


@pytest.fixture
def page(context, dist):
    """dist/lesson.html opened from file:// (Python is still booting when the test starts)."""
    return open_page(context, (dist / "lesson.html").as_uri())


@pytest.fixture
def http_page(context, http_root):
    """dist/lesson.html over http://127.0.0.1 (Python is still booting when the test starts)."""
    return open_page(context, http_root + "lesson.html")


@pytest.fixture(params=["file", "http"])
def lesson_page(request, context, dist, http_root):
    """The lesson from file:// and, in a second run of the test, over http."""
    url = (dist / "lesson.html").as_uri() if request.param == "file" else http_root + "lesson.html"
    return open_page(context, url)
