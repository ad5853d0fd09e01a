"""axe-core (npm, pinned in package.json) against the built page: no violation of WCAG 2.0/2.1 A and AA or
axe's best practices, at a desktop and a phone width, in both themes, at first load and once the reader
has scrolled through the whole page (every widget mounted, every code block laid out) and Python and NumPy are live.
"""

import pytest

from harness import NO_TRANSITION_RUNNING_IN, ROOT, wait_for_numpy, wait_for_python, wait_until

AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]

# Every violation: its rule, the elements (CSS selectors; at most 5 each) and what axe says would fix them.
RUN_AXE = """async (tags) => {
  const { violations } = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return violations.map((rule) => ({
    id: rule.id,
    count: rule.nodes.length,
    targets: rule.nodes.slice(0, 5).map((node) => node.target.join(" ")),
    summary: rule.nodes[0].failureSummary,
  }));
}"""

SCROLL_THROUGH = """async () => {
  const pause = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 20)));
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y);
    await pause();
  }
  scrollTo(0, 0);
  await pause();
}"""


def axe_violations(page):
    """axe's violations on the page once no CSS transition runs (axe's source is evaluated once per page)."""
    # No widget dimmed while a live answer is on its way (a CI try scanned the broadcast widget dimmed, as its
    # first NumPy call ran on a loaded machine), and no colour half-way between the themes: emulate_media or a
    # widget just drawn starts transitions.
    wait_until(page, "() => !document.querySelector('[data-busy]')", timeout_ms=30000)
    wait_until(page, NO_TRANSITION_RUNNING_IN, page.locator("html").element_handle(), timeout_ms=5000)
    if not page.evaluate("() => typeof axe === 'object'"):
        # The page's CSP refuses inline scripts it does not know (add_script_tag); an evaluation over the
        # debugging protocol is not a script of the page's, so it runs.
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    return page.evaluate(RUN_AXE, TAGS)


def describe(violations):
    return "\n".join(f"{v['id']} ({v['count']}): {', '.join(v['targets'])}\n    {v['summary']}" for v in violations)


@pytest.mark.numpy  # the page a reader has: its status line says Python and NumPy are live
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_violation(page, width, scheme):
    if not AXE_SOURCE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE_SOURCE} is missing): run npm ci")
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)
    wait_until(page, "() => document.readyState === 'complete'")
    found = {"at first load": axe_violations(page)}

    page.evaluate(SCROLL_THROUGH)
    wait_until(page, "() => performance.getEntriesByName('widgets-all-mounted').length > 0")
    wait_for_python(page)
    wait_for_numpy(page)
    found["after scrolling through, Python and NumPy live"] = axe_violations(page)

    report = "\n".join(f"{when}:\n{describe(violations)}" for when, violations in found.items() if violations)
    print(report)
    assert not report, f"axe at {width} px, {scheme}:\n{report}"
