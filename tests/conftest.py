"""Fixtures shared by every test folder."""

import pytest


@pytest.fixture(scope="session")
def playwright():
    """Playwright, once for the whole session: its sync API allows one running instance per thread, so the
    browser tests and test_render's layout checks share it (run the tests in one thread)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -r requirements/dev.txt)")
    with sync_api.sync_playwright() as running:
        yield running
