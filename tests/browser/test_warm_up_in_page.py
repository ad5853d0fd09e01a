"""Python's warm-up after boot: once NumPy's load has ended, it runs lesson.warm_up in idle time, one call
at a time, finishes (the "python-warm" mark), starts again for a restarted worker, and a slider move made
meanwhile is answered by Python with the engine's numbers."""

import pytest

from harness import wait_for_python, wait_until
from lesson import warm_up
from lesson.widgets import explore
from test_widgets_in_page import drawn_nodes

pytestmark = [pytest.mark.timeout(180), pytest.mark.warm_up, pytest.mark.numpy]

# Count the warm-up calls and how many are in flight at once, from before the page's own script runs.
COUNT_WARM_UP_CALLS = """() => {
  window.warmUp = {sent: 0, open: 0, most: 0, steps: [], tensorSteps: []};
  const wrap = () => {
    const bridge = window.lesson?.bridge;
    if (!bridge) return setTimeout(wrap, 0);
    const call = bridge.call.bind(bridge);
    bridge.call = (name, args, options) => {
      if (name !== "warm_up") return call(name, args, options);
      if (!warmUp.sent) warmUp.firstAt = performance.now();
      warmUp.sent += 1; warmUp.open += 1; warmUp.most = Math.max(warmUp.most, warmUp.open); (args.tensor ? warmUp.tensorSteps : warmUp.steps).push(args.step);
      return call(name, args, options).finally(() => { warmUp.open -= 1; });
    };
  };
  wrap();
}"""
WARM_MARKS = "() => performance.getEntriesByName('python-warm').length"


def test_python_warms_up_one_call_at_a_time_after_it_is_ready(new_tab, dist):
    page = new_tab((dist / "lesson.html").as_uri(), init_script=f"({COUNT_WARM_UP_CALLS})();")
    wait_for_python(page)
    wait_until(page, WARM_MARKS, timeout_ms=60000)
    counted = page.evaluate("window.warmUp")
    assert counted["most"] == 1  # never more than one in the worker's queue
    # Once NumPy is ready (its load shares the worker), the scalar widgets' calls, then the Tensor widgets'.
    assert counted["firstAt"] >= page.evaluate("performance.getEntriesByName('numpy-ready')[0].startTime")
    assert counted["steps"] == list(range(len(counted["steps"]))) and len(counted["steps"]) >= 2 * len(warm_up.CALLS)
    tensor_steps = counted["tensorSteps"]
    assert tensor_steps == list(range(len(tensor_steps))) and len(tensor_steps) >= 2 * len(warm_up.TENSOR_CALLS)
    assert counted["sent"] == len(counted["steps"]) + len(tensor_steps)
    ready, warm = page.evaluate("['python-ready', 'python-warm'].map((n) => performance.getEntriesByName(n)[0].startTime)")
    assert warm > ready


def test_a_slider_move_during_the_warm_up_gets_pythons_numbers(page):
    wait_for_python(page)
    assert page.evaluate(WARM_MARKS) == 0  # still warming up
    widget = page.locator('[data-widget="explore"]')
    widget.scroll_into_view_if_needed()
    widget.get_by_role("slider", name="b", exact=True).fill("-4.5")
    wait_until(page, "(w) => w.dataset.source === 'python' && w.dataset.b === '-4.5' && !w.dataset.busy", widget.element_handle())
    expected = {node["id"]: (node["data"], node["grad"]) for node in explore(a=2.0, b=-4.5)["trace"]["nodes"]}
    assert drawn_nodes(widget) == expected


def test_a_restarted_python_warms_up_again(page):
    wait_for_python(page)
    wait_until(page, WARM_MARKS, timeout_ms=60000)
    page.evaluate("() => lesson.bridge.restart('a test restarts Python')")
    wait_for_python(page)
    wait_until(page, "() => performance.getEntriesByName('python-warm').length === 2", timeout_ms=60000)
