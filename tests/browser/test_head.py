"""The page's head (what search engines, link previews, browser tabs and phones' address bars read) and
its "Download as notebook" link, which hands out the lesson as a Jupyter notebook from the page's own
data: over http, from file://, and from a mailed copy of lesson.html with nothing beside it.

Lighthouse's own scores are in bench/bench_lighthouse.py (it needs its npm package, not installed here
by the tests)."""

import json
import re
import shutil

import nbformat
import pytest

from harness import HOLD_PYTHON_BACK, wait_until

pytestmark = pytest.mark.timeout(180)

HEAD = """() => {
  const meta = (selector) => [...document.head.querySelectorAll(selector)].map((m) => [m.getAttribute("media"), m.content]);
  return {
    title: document.title,
    lang: document.documentElement.lang,
    description: meta('meta[name="description"]'),
    ogTitle: meta('meta[property="og:title"]'),
    ogDescription: meta('meta[property="og:description"]'),
    themeColor: meta('meta[name="theme-color"]'),
    viewport: meta('meta[name="viewport"]'),
    icons: [...document.head.querySelectorAll('link[rel~="icon"]')].map((link) => link.href),
  };
}"""


@pytest.fixture
def opened(shared_static):
    """The module's shared page (Python held back) as it was opened: these tests read what no script changes
    (the head, the favicon), so it is neither reloaded nor scrolled through for them."""
    yield shared_static.page
    shared_static.check()


def test_the_head_describes_the_lesson_for_search_previews_and_browsers(opened):
    head = opened.evaluate(HEAD)
    assert head["title"] == "Module 02: Autograd" and head["lang"] == "en"
    [(_, description)] = head["description"]
    assert 50 <= len(description) <= 160 and "automatic differentiation" in description
    assert head["ogTitle"] == [[None, head["title"]]]
    [(_, preview)] = head["ogDescription"]
    assert 50 <= len(preview) <= 200
    # One colour per scheme: the page's own background in each (theme.css's --bg).
    assert sorted(head["themeColor"]) == [["(prefers-color-scheme: dark)", "#0d1117"], ["(prefers-color-scheme: light)", "#ffffff"]]
    assert head["viewport"] == [[None, "width=device-width, initial-scale=1"]]
    [icon] = head["icons"]
    assert icon.startswith("data:image/svg+xml,")


def test_the_favicon_is_a_real_image_the_pages_policy_lets_it_load(opened):
    """Decoded as an image inside the page, under its Content-Security-Policy (img-src data:)."""
    size = opened.evaluate("""async () => {
      const image = new Image();
      image.src = document.querySelector('link[rel~="icon"]').href;
      await image.decode();
      return [image.naturalWidth, image.naturalHeight];
    }""")
    assert size == [32, 32]


def download_notebook(page):
    """Click "Download as notebook" once it is ready; return the downloaded file's name and bytes."""
    link = page.get_by_role("link", name="Download as notebook")
    wait_until(page, "() => document.getElementById('notebook-download').href.startsWith('blob:')", timeout_ms=30000)
    assert link.is_visible()
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    return download.value.suggested_filename, path.read_bytes()


def check_notebook(name, data, dist):
    """The download is the build's notebook, byte for byte, and a valid one."""
    assert name == "module-02-autograd.ipynb"
    assert data == (dist / "lesson.ipynb").read_bytes()
    notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    nbformat.validate(notebook)
    assert any(cell.get("id") == "chain-42" for cell in json.loads(data)["cells"])


@pytest.mark.parametrize("origin", ["file", "http"])
def test_download_as_notebook_over_http_and_from_file(new_tab, dist, http_root, origin):
    url = (dist / "lesson.html").as_uri() if origin == "file" else http_root + "lesson.html"
    page = new_tab(url, init_script=HOLD_PYTHON_BACK)  # the link is the page's own block: no Python in it
    check_notebook(*download_notebook(page), dist)


def test_download_as_notebook_from_a_mailed_copy_with_nothing_beside_it(file_alone, dist, tmp_path):
    saved = tmp_path / "Downloads" / "autograd lesson.html"
    saved.parent.mkdir()
    shutil.copyfile(dist / "lesson.html", saved)
    page, _ = file_alone(saved)
    check_notebook(*download_notebook(page), dist)


def test_without_the_notebooks_block_the_link_stays_hidden_in_its_place(file_alone, dist, tmp_path):
    """A copy that lost the notebook's data block: no dead link, nothing moves, the console says why."""
    page_bytes = (dist / "lesson.html").read_bytes()
    cut = re.sub(rb'<script type="application/octet-stream" data-asset="lesson.ipynb"[^>]*>[^<]*</script>', b"", page_bytes)
    assert len(cut) < len(page_bytes)
    copy = tmp_path / "lesson.html"
    copy.write_bytes(cut)
    page, guard = file_alone(copy)
    wait_until(page, "() => document.readyState === 'complete'")
    state = page.evaluate("""() => {
      const link = document.getElementById("notebook-download");
      return [link.hasAttribute("href"), getComputedStyle(link).visibility, link.getBoundingClientRect().height > 0];
    }""")
    assert state == [False, "hidden", True]
    assert any("Download as notebook: this page carries no complete lesson.ipynb data block" in line for line in guard.console)
