"""Over a slow link the explore widget answers from the build's numbers while the page is still arriving:
before the lesson's body is complete, before Python is ready, and long before the last data block.
The order is asserted, not the time (bench/bench_slow_link.py measures that)."""

import json

import pytest

from harness import wait_until
from lesson.widgets import explore

pytestmark = pytest.mark.timeout(180)

# Chromium's network emulation: slow enough that the lesson's body takes seconds to arrive, so the order
# below is the page's doing, not the machine's (bytes per second, ms of round trip).
SLOW_LINK = {"offline": False, "latency": 150, "downloadThroughput": 0.8e6 / 8, "uploadThroughput": 0.4e6 / 8}
SETTING = {"a": -3.5, "b": 4.5}  # a setting the lesson never shows: only the build's grid has its numbers

# Before the page's own scripts (through the debugging protocol, so the page's CSP does not apply): as soon
# as the explore widget is mounted, move both its sliders to SETTING; once it draws that setting with no
# request waiting, note its numbers and how far the page had got.
WATCH_EXPLORE = """(setting) => {
  let moved = false;
  const look = () => {
    const root = document.querySelector('[data-widget="explore"]');
    if (!root?.hasAttribute("data-mounted")) return;
    if (!moved) {
      moved = true;
      for (const [slider, value] of [...root.querySelectorAll('input[type="range"]')].map((s, i) => [s, [setting.a, setting.b][i]])) {
        slider.value = String(value);
        slider.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
    if (globalThis.exploreAnswer || root.dataset.a !== String(setting.a) || root.dataset.b !== String(setting.b) || root.hasAttribute("data-busy")) return;
    globalThis.exploreAnswer = {
      nodes: [...root.querySelectorAll("[data-node]")].map((n) => ({ id: n.dataset.node, value: n.dataset.value, grad: n.dataset.grad })),
      source: root.dataset.source,
      python: document.documentElement.dataset.python,
      bodyComplete: performance.getEntriesByName("widgets-mounted").length > 0,
      blocks: document.querySelectorAll("script[data-asset]").length,
    };
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true });
}"""


def parse(text):
    """A data attribute's number as Python reads it; "" means not defined."""
    return None if text == "" else json.loads(text)


def test_explore_answers_from_the_build_while_the_page_is_still_arriving(context, http_root, dist):
    page = context.pages[0] if context.pages else context.new_page()
    page.add_init_script(script=f"({WATCH_EXPLORE})({json.dumps(SETTING)})")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    page.goto(http_root + "lesson.html#widget-explore", wait_until="commit")
    answer = wait_until(page, "() => globalThis.exploreAnswer ?? null", timeout_ms=120000)

    expected = {node["id"]: (node["data"], node["grad"]) for node in explore(**SETTING)["trace"]["nodes"]}
    assert {node["id"]: (parse(node["value"]), parse(node["grad"])) for node in answer["nodes"]} == expected
    assert answer["source"] == "static"  # the build's numbers (its grid), not Python's
    assert answer["python"] != "ready"
    assert not answer["bodyComplete"], "explore answered only once the whole lesson had arrived"
    assert answer["blocks"] < (dist / "lesson.html").read_bytes().count(b"<script type=\"application/octet-stream\" data-asset=")
    page.close()  # the rest of the page would take a minute to arrive
