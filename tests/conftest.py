"""Fixtures shared by every test folder."""

import os
import sys
from pathlib import Path

import pytest

# The browser tests' harness (Chromium, dist/ rebuilt when stale) is used outside their folder too.
sys.path.insert(0, str(Path(__file__).parent / "browser"))


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one test process per core and one more. A browser test spends part of its time waiting (on a
    deadline, a time limit, a page's timer) with both cores idle, which a third process fills: on this 2-core
    machine the whole suite took 389 s in two processes (58 CPU-seconds idle), 374 s in three (17 idle)."""
    return (os.cpu_count() or 1) + 1


# The longest files (measured, a three-process run: 75-150 s each, most of the suite's time) go first, so that
# none starts last and runs on alone while the other processes have nothing left (a run whose test_axe.py
# started last ended 18 s after another process had finished). The rest keep their order.
LONGEST_FIRST = ["test_cells_in_page.py", "test_playground_page.py", "test_widgets_in_page.py", "test_runtime.py",
                 "test_tensor_widgets_in_page.py", "test_axe.py", "test_tasks_in_page.py", "test_faults.py"]
# Except that the second and third processes start with files that need no dist/: in a fresh clone the first
# browser test builds it (about 9 s), and every other browser test waits for that build.
WITHOUT_DIST_FIRST = ["test_value.py", "test_notebook.py"]
ORDER = LONGEST_FIRST[:1] + WITHOUT_DIST_FIRST + LONGEST_FIRST[1:]


def pytest_collection_modifyitems(items):
    """Files in ORDER first: pytest-xdist hands out whole files in this order (with --no-loadscope-reorder, in
    pyproject.toml), one to each process to start with and the next to whichever has two tests left."""
    rank = {name: n for n, name in enumerate(ORDER)}
    items.sort(key=lambda item: rank.get(item.path.name, len(ORDER)))


@pytest.fixture(scope="session")
def playwright():
    """Playwright, once for the whole session: its sync API allows one running instance per thread, so the
    browser tests and test_render's layout checks share it (run the tests in one thread)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -r requirements/dev.txt)")
    with sync_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def numpy_wheel():
    """NumPy's Pyodide wheel where build.py keeps it, building dist/ first if it is missing or stale (as the
    browser tests do; the build takes the wheel from the pinned package and checks its hash)."""
    from harness import ensure_dist

    ensure_dist()
    wheel = Path(__file__).parents[1] / "build-cache" / "wheels" / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    if not wheel.is_file():
        pytest.skip("NumPy's Pyodide wheel is not in build-cache/wheels: this build was made with --no-numpy or --pyodide-packages")
    return wheel
