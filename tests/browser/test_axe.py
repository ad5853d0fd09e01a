"""axe-core (npm, pinned in package.json) against the built page: no violation of WCAG 2.0/2.1 A and AA or
axe's best practices, at a desktop and a phone width, in both themes, at first load and once the reader
has scrolled through the whole page (every widget mounted, every code block laid out) and Python and NumPy are live.
"""

import pytest

from harness import NO_TRANSITION_RUNNING_IN, ROOT, wait_for_numpy, wait_for_python, wait_until

AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]
WIDTHS, SCHEMES = [1280, 390], ["light", "dark"]

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


@pytest.fixture(autouse=True)
def axe_installed():
    if not AXE_SOURCE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE_SOURCE} is missing): run npm ci")


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


def assert_none(violations, when, width, scheme):
    report = describe(violations)
    print(report)
    assert not violations, f"axe at {width} px, {scheme}, {when}:\n{report}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation_at_first_load(shared_static, width, scheme):
    """The page as it first loads at that width and scheme, Python still starting (held back: the drawing a
    reader has before Python is ready, however fast this machine boots it)."""
    page = shared_static.page
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)
    page.reload()
    wait_until(page, "() => document.readyState === 'complete'")
    assert page.evaluate("document.documentElement.dataset.python") == "booting"
    violations = axe_violations(page)
    shared_static.set_back()
    shared_static.check()
    assert_none(violations, "at first load", width, scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation_once_scrolled_through_and_live(live_lesson, width, scheme):
    """The page a reader has once they scrolled through it: its status line says Python and NumPy are live
    (the shared live page, loaded as a reader's is)."""
    page = live_lesson
    page.set_viewport_size({"width": width, "height": 800})
    page.emulate_media(color_scheme=scheme)
    page.evaluate(SCROLL_THROUGH)
    wait_until(page, "() => performance.getEntriesByName('widgets-all-mounted').length > 0")
    wait_for_python(page)
    wait_for_numpy(page)
    assert_none(axe_violations(page), "after scrolling through, Python and NumPy live", width, scheme)
