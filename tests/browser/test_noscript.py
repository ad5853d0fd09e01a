"""With JavaScript off the lesson still reads: each figure is a table of the build's numbers, the header says so."""

import pytest

from autodiff import Value
from harness import Guard
from lesson.wording import number

FIGURES = ["forward-steps", "compute-graph", "grad-accumulation", "neuron-training", "explore", "nn-backprop", "broadcast", "playground"]


@pytest.fixture(scope="module", params=[(1280, "light"), (390, "dark")], ids=["1280-light", "390-dark"])
def page_without_js(request, browser, dist):
    """dist/lesson.html from file:// in a guarded context (of the session's Chromium) with JavaScript disabled."""
    width, scheme = request.param
    context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 900}, color_scheme=scheme)
    guard = Guard([dist.as_uri() + "/"])
    guard.watch(context)
    page = context.new_page()
    page.goto((dist / "lesson.html").as_uri())
    yield page
    context.close()
    guard.check()


def table_rows(page, figure):
    """The static table of widget `figure` as {first cell: [the other cells]}."""
    table = page.locator(f"#widget-{figure} .static-figure")
    assert table.count() == 1, f"{figure} has no static figure"
    return {row.locator("td").first.inner_text(): [cell.inner_text() for cell in row.locator("td").all()[1:]]
            for row in table.locator("tbody tr").all()}


def test_the_header_says_javascript_is_off_and_hides_dead_controls(page_without_js):
    note = page_without_js.locator(".noscript-note")
    assert note.is_visible() and "JavaScript is off" in note.inner_text()
    for dead in ["#python-status", "#theme-toggle", ".notebook-download"]:
        assert page_without_js.locator(dead).count() == 1, f"{dead} is not on the page"
        assert not page_without_js.locator(dead).is_visible(), f"{dead} shows with JavaScript off"


def test_every_figure_is_a_visible_table_and_no_box_is_empty(page_without_js):
    for figure in FIGURES:
        table = page_without_js.locator(f"#widget-{figure} .static-figure table")
        table.scroll_into_view_if_needed()
        assert table.is_visible(), f"{figure}: no table with JavaScript off"
        assert not page_without_js.locator(f"#widget-{figure} .widget").is_visible(), f"{figure}: an empty box shows"
        box = table.bounding_box()
        width = page_without_js.viewport_size["width"]
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"{figure}: the table runs off a {width} px page"


def test_the_tables_carry_the_engines_numbers(page_without_js):
    # forward-steps at x = 2: a = 3x, b = a + 1, c = b**2, as the engine computes them here.
    x = Value(2.0)
    a = x * 3
    b = a + 1
    c = b ** 2
    c.backward()
    rows = table_rows(page_without_js, "forward-steps")
    assert rows["c"] == ["**2", number(c.data), number(c.grad)]
    assert rows["x"] == ["input", number(x.data), number(x.grad)] == ["input", "2", "42"]
    assert rows["a"][1:] == [number(a.data), number(a.grad)]

    # explore at a = 2, b = 3: c = (a + b) * b; b is used twice, so its gradient adds up to sum + b = 8.
    a, b = Value(2.0), Value(3.0)
    c = (a + b) * b
    c.backward()
    rows = table_rows(page_without_js, "explore")
    assert rows["a"][1:] == [number(a.data), number(a.grad)] == ["2", "3"]
    assert rows["b"][1:] == [number(b.data), number(b.grad)] == ["3", "8"]
    assert rows["c"][1:] == [number(c.data), "1"] == ["15", "1"]


def test_the_training_table_is_the_engines_run(page_without_js):
    # The seed's neuron: x = 2, target 0.8, w = 0.3, b = 0.1, learning rate 0.5, 20 steps.
    w, b = Value(0.3), Value(0.1)
    expected = {}
    for step in range(20):
        y = (w * 2.0 + b).tanh()
        loss = (y - 0.8) ** 2
        w.grad = b.grad = 0.0
        loss.backward()
        expected[str(step)] = [number(w.data), number(b.data), number(y.data), number(loss.data)]
        w.data -= 0.5 * w.grad
        b.data -= 0.5 * b.grad
    assert table_rows(page_without_js, "neuron-training") == expected
