"""While a code cell keeps Python busy, the explore widget still answers a slider move at once (from
the numbers the build computed for that setting), and Python's own answer replaces them once the cell
is done."""

import pytest

from harness import wait_for_python, wait_until
from lesson.widgets import explore

pytestmark = pytest.mark.timeout(180)

BUSY_SECONDS = 4
BUSY_CELL = f"import time\nstart = time.time()\nwhile time.time() - start < {BUSY_SECONDS}:\n    pass"


def drawn(widget):
    """The explore widget's nodes as drawn: {id: (value, grad)}, read from their full-precision attributes."""
    return {node["id"]: (float(node["value"]), float(node["grad"]) if node["grad"] else None) for node in widget.locator("[data-node]").evaluate_all(
        "(nodes) => nodes.map((n) => ({id: n.dataset.node, value: n.dataset.value, grad: n.dataset.grad}))")}


def engines(a, b):
    """The same, as the engine on CPython computes explore(a, b)."""
    return {node["id"]: (node["data"], node["grad"]) for node in explore(a=a, b=b)["trace"]["nodes"]}


def test_explore_answers_from_the_build_while_a_cell_runs_then_from_python(page):
    wait_for_python(page)
    widget = page.locator('[data-widget="explore"]')
    widget.scroll_into_view_if_needed()
    wait_until(page, "(w) => w.dataset.source === 'python' && w.dataset.grid === 'ready'", widget.element_handle())
    slider = widget.get_by_role("slider", name="a", exact=True).element_handle()
    cell = page.locator("figure.cell[data-live='true']").first
    code = cell.locator(".cell-source code")
    code.fill(BUSY_CELL)
    code.press("Control+Enter")
    # The move, in the page as soon as the cell runs: moved from here (a search, a fill's checks, several
    # round trips) it once came after the cell's 4 s on a busy machine, and Python answered it.
    page.evaluate("""async (slider) => {
      for (const end = performance.now() + 10000; document.documentElement.dataset.cells !== 'running';) {
        if (performance.now() > end) throw new Error("the cell did not start running within 10 s");
        await new Promise((done) => setTimeout(done, 5));
      }
      slider.value = '-1.5';
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    }""", slider)

    # Well before the cell is done, the widget shows the build's numbers for the new setting.
    shown = wait_until(page, "(w) => w.dataset.a === '-1.5' && w.dataset.source", widget.element_handle(),
                       timeout_ms=BUSY_SECONDS * 1000 // 2)
    assert shown == "static"
    assert page.evaluate("() => document.documentElement.dataset.cells") == "running"
    assert drawn(widget) == engines(-1.5, 3.0)

    # Once the cell is done, Python's answer for the same setting takes over.
    wait_until(page, "(w) => w.dataset.source === 'python' && w.dataset.a === '-1.5' && !w.dataset.busy",
               widget.element_handle(), timeout_ms=BUSY_SECONDS * 1000 + 20000)
    assert drawn(widget) == engines(-1.5, 3.0)
