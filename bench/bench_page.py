"""Page benchmark: boot and first paint against a plain Pyodide boot, NumPy's load, slider latency, dist/ size.

    python bench/bench_page.py [--runs 7] [--inputs 200] [--also OTHER/lesson.html ...]

Headless Chromium with a fresh profile for every load (cold), each load started once the browser has
finished its own start-up (bench/browser_idle.py), the kinds of load interleaved so that machine noise
hits them alike; medians and p95 over the runs. Times are from navigation start. The baseline is what
every other tool does: Pyodide's own loader from an http server serving the same node_modules (and
NumPy's wheel beside it), `loadPyodide()` (Python ready), then `loadPackage("numpy")` and
`import numpy` (NumPy ready). The lesson: first paint is the first contentful paint once the widgets
on screen are drawn from the build's state (the explore widget's numbers are checked against the
engine on CPython); Python ready is `<html data-python="ready">`, NumPy ready `<html data-numpy="ready">`.
Slider latency: each run also opens the lesson afresh and, once it has settled, moves each slider of
SLIDERS `--inputs` times (the widget brought on screen without the page's smooth scrolling, and the
page still), each move right after the last answer (the target's case), then as many
times one move per frame, as a drag delivers them; the table gives the p95 over all of them and each
load's own. Prints a table, then where a boot spends its time (the page's marks and the Python
worker's python:* milestones). `--also PAGE` adds another build of the lesson (say, one made without
some piece of the boot) to the interleaved cold loads from file://, for an A/B comparison of its first
paint (read from the same load), Python ready and NumPy ready.
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "py"), str(ROOT / "tests" / "browser")]

from browser_idle import wait_until_browser_idle  # noqa: E402
from harness import DIST, ensure_dist, launch, serve  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from lesson.widgets import explore  # noqa: E402

PLAIN_PAGE = """<!doctype html><meta charset="utf-8"><title>plain Pyodide boot</title><script type="module">
import { loadPyodide } from "./pyodide/pyodide.mjs";
const pyodide = await loadPyodide({ indexURL: "./pyodide/" });
performance.mark("python-ready");
await pyodide.loadPackage("numpy");
pyodide.pyimport("numpy");
performance.mark("numpy-ready");
</script>"""

# In the page: ms from navigation start of the first contentful paint, the end of parsing and every
# performance mark (the page's own and the Python worker's python:* milestones); null where not reached yet.
MARKS_JS = """() => {
  const marks = Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]));
  const parsed = performance.getEntriesByType("navigation")[0]?.domInteractive || null;
  const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null;
  return { fcp, parsed, "widgets-mounted": null, "widgets-all-mounted": null, "python-ready": null, "python-warm": null,
           "numpy-ready": null, ...marks };
}"""

# Where a boot from file:// spends its time: (label, mark), in the order they usually come.
TIMELINE = [
    ("first paint (widgets on screen mounted)", "widgets-mounted"),
    ("Python workers started", "python-booting"),
    ("worker's code loaded (Pyodide's JS)", "python:code-loaded"),
    ("page parsed (all data blocks read)", "parsed"),
    ("wasm compiled (by the decoding worker, as its bytes came)", "python:wasm-compiled"),
    ("wasm instantiated (once Pyodide's JS has set its module up)", "python:wasm-instantiated"),
    ("snapshot taken in (decoded by the decoding worker)", "python:snapshot-decoded"),
    ("Pyodide loaded from the snapshot", "python:pyodide-loaded"),
    ("data-python=ready", "python-ready"),
    ("NumPy's files written (gunzipped by the decoding worker when asked)", "python:numpy-installed"),
    ("NumPy imported", "python:numpy-imported"),
    ("data-numpy=ready", "numpy-ready"),
]

# In the page: the explore widget's drawn nodes as {id: [value, grad]} (brought on screen: widgets
# mount as they near the viewport), and where its numbers came from (static: the build; python: live).
DRAWN_JS = """async () => {
  const root = document.querySelector('[data-widget="explore"]');
  root.scrollIntoView();
  while (!root.querySelector("[data-node]")) await new Promise((resolve) => setTimeout(resolve, 10));
  const nodes = Object.fromEntries([...root.querySelectorAll("[data-node]")].map((n) => [n.dataset.node, [n.dataset.value, n.dataset.grad]]));
  return { nodes, source: root.dataset.source };
}"""

# The sliders whose latency is measured: (table label, widget name, the slider's accessible name, the
# key in the widget root's dataset that shows the value drawn, the p95 target in ms). A widget's root
# carries data-source="python" once Python's answer is drawn.
SLIDERS = [
    ("explore slider", "explore", "a", "a", 8),
    ("nn-backprop slider", "nn-backprop", "W row 1, column 2", "W12", 16),
]

# In the page: move a widget's slider `count` times; for each, ms from the input event until the
# widget shows Python's answer for that value (root.dataset[KEY], set after drawing, compared with the
# slider's value as the slider reads it back: 0.1 steps summed are not the values it holds).
# `paced`: each move waits for the next animation frame, as a dragged slider's input events come (one
# per frame at most, at its start, so the frame that follows renders the move before Python answers);
# otherwise each move follows the last answer at once, the harder case: a move's answer often waits
# for the frame that renders the move before it.
SLIDER_JS = """async ([widget, name, key, count, paced]) => {
  const root = document.querySelector(`[data-widget="${widget}"]`);
  // Instantly, then until 10 frames in a row leave the page where it was: the lesson's smooth scrolling
  // takes 1-2 s over its 40,000 px, and moves measured during it timed the scroll's frames, not the slider.
  root.scrollIntoView({ behavior: "instant" });
  for (let still = 0, last = NaN; still < 10; still = scrollY === last ? still + 1 : 0) {
    last = scrollY;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  const slider = [...root.querySelectorAll('input[type="range"]')].find((s) => s.labels[0]?.textContent.trim().startsWith(name)
                 || s.getAttribute("aria-label") === name);
  const attribute = "data-" + key.replace(/[A-Z]/g, (letter) => "-" + letter.toLowerCase()); // as dataset names it
  const values = []; for (let v = Number(slider.min); v <= Number(slider.max); v += Number(slider.step)) values.push(v);
  const times = [];
  for (let i = 0; i < count; i++) {
    const value = values[(i * 7 + 3) % values.length] === Number(slider.value) ? values[(i * 7 + 4) % values.length] : values[(i * 7 + 3) % values.length];
    if (paced) await new Promise((resolve) => requestAnimationFrame(resolve));
    const start = performance.now();
    slider.value = String(value);
    const held = slider.value;
    const shown = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (root.dataset[key] === held && root.dataset.source === "python") { observer.disconnect(); resolve(); }
      });
      observer.observe(root, { attributes: true, attributeFilter: [attribute, "data-source"] });
    });
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    await shown;
    times.push(performance.now() - start);
  }
  return times;
}"""


def percentile(values, q):
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def wait_for(page, name, timeout_s=120):
    """Wait until the page has reached performance mark `name`; return the page's marks."""
    for _ in range(int(timeout_s / 0.02)):
        marks = page.evaluate(MARKS_JS)
        if marks[name] is not None:
            return marks
        page.wait_for_timeout(20)
    raise TimeoutError(f"no {name} within {timeout_s} s")


def expected_explore_nodes():
    """The explore widget's nodes at its start (a=2, b=3) as the engine on CPython computes them."""
    trace = explore(a=2.0, b=3.0)["trace"]
    return {node["id"]: node for node in trace["nodes"]}


def numbers_are_the_engines(drawn, expected):
    """Whether every drawn node carries the engine's value and gradient."""
    return drawn.keys() == expected.keys() and all(
        float(value) == expected[node]["data"] and (grad == "" if expected[node]["grad"] is None else float(grad) == expected[node]["grad"])
        for node, (value, grad) in drawn.items())


@contextlib.contextmanager
def fresh_tab(playwright):
    """The tab of a fresh Chromium (new empty profile, so every load is cold), once the browser has
    finished starting: its own start-up work would otherwise share the cores with the page."""
    with launch(playwright) as context:
        page = context.pages[0] if context.pages else context.new_page()
        wait_until_browser_idle()
        yield page


def load(playwright, url, until):
    """One cold load of `url` in a fresh Chromium; returns the marks once `until` is reached."""
    with fresh_tab(playwright) as page:
        page.goto(url, wait_until="commit")
        return wait_for(page, until)


def paint_time(marks):
    """A load's first paint (ms): it counts only once the widgets on screen are drawn from the build's state."""
    return max(marks["fcp"] or 0, marks["widgets-mounted"])


def first_paint(playwright, url):
    """One cold load of the lesson: (first paint in ms, the explore widget's drawing read from the build)."""
    with fresh_tab(playwright) as page:
        page.goto(url, wait_until="commit")
        return paint_time(wait_for(page, "widgets-mounted")), page.evaluate(DRAWN_JS)


def slider_latency(playwright, url, count):
    """For each of SLIDERS, ms from slider input to the widget showing Python's answer, `count` moves back
    to back and `count` one per frame: {label: (times, paced times)}. Measured once the page has settled
    (Python ready and warmed up, NumPy ready, every widget mounted): a reader's first drag comes seconds
    after the load, and the warm-up is done within about a second of ready."""
    with fresh_tab(playwright) as page:
        page.goto(url)
        for mark in ("python-ready", "numpy-ready", "python-warm", "widgets-all-mounted"):
            wait_for(page, mark)
        page.wait_for_timeout(500)
        return {label: (page.evaluate(SLIDER_JS, [widget, name, key, count, False]),
                        page.evaluate(SLIDER_JS, [widget, name, key, count, True]))
                for label, widget, name, key, _ in SLIDERS}


def line(name, first="", second="", ratio="", target=""):
    """One line of the table, its cells already written as text."""
    return f"| {name:<44} | {first:>8} | {second:>8} | {ratio:>7} | {target:<8} |"


def number(x):
    """A time for the table: tenths of a millisecond where they mean something."""
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def carries_numpy(page):
    """Whether a built lesson.html carries NumPy: a page built without it says `data-numpy="off"`."""
    with open(page, "rb") as file:
        return b'data-numpy="off"' not in file.read(4096)


def row(name, values, baseline=None, target=""):
    """One line of the table: median, p95, ratio of medians to the baseline, the target."""
    median = statistics.median(values)
    ratio = f"{median / baseline:.2f}x" if baseline else ""
    return line(name, number(median), number(percentile(values, 95)), ratio, target)


def plain_folder():
    """A folder for the baseline: plain.html, and pyodide/ holding node_modules' Pyodide and NumPy's wheel."""
    folder = Path(tempfile.mkdtemp(prefix="plain-pyodide-"))
    (folder / "pyodide").mkdir()
    for file in (ROOT / "node_modules" / "pyodide").iterdir():
        (folder / "pyodide" / file.name).symlink_to(file)
    for wheel in (ROOT / "build-cache" / "wheels").glob("numpy-*.whl"):  # where build.py keeps it
        (folder / "pyodide" / wheel.name).symlink_to(wheel)
    (folder / "plain.html").write_text(PLAIN_PAGE)
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold loads of each kind (at least 7 for the issue's numbers)")
    parser.add_argument("--inputs", type=int, default=200, help="slider inputs for the latency measurement")
    parser.add_argument("--also", type=Path, action="append", default=[], metavar="PAGE",
                        help="another lesson.html to load from file:// alongside, for comparison (repeatable)")
    args = parser.parse_args(argv)
    ensure_dist()

    plain_base, plain_server = serve(plain_folder())
    lesson_base, lesson_server = serve(DIST)
    lesson_file = (DIST / "lesson.html").as_uri()
    expected = expected_explore_nodes()
    results = {"plain": [], "plain_numpy": [], "paint": [], "ready": [], "numpy": [], "ready_http": [], "numpy_http": [],
               "wrong_paints": 0, "timelines": [], "slider": {label: [] for label, *_ in SLIDERS},
               "slider_p95": {label: [] for label, *_ in SLIDERS}, "paced": {label: [] for label, *_ in SLIDERS},
               "also": {page: {"with_numpy": carries_numpy(page), "paint": [], "ready": [], "numpy": []} for page in args.also}}
    load_before = os.getloadavg()
    with sync_playwright() as playwright:
        for run in range(args.runs):
            marks = load(playwright, plain_base + "plain.html", "numpy-ready")
            results["plain"].append(marks["python-ready"])
            results["plain_numpy"].append(marks["numpy-ready"])
            marks = load(playwright, lesson_file, "numpy-ready")
            results["ready"].append(marks["python-ready"])
            results["numpy"].append(marks["numpy-ready"])
            results["timelines"].append(marks)
            paint, drawn = first_paint(playwright, lesson_file)
            results["paint"].append(paint)
            results["wrong_paints"] += not numbers_are_the_engines(drawn["nodes"], expected)
            marks = load(playwright, lesson_base + "lesson.html", "numpy-ready")
            results["ready_http"].append(marks["python-ready"])
            results["numpy_http"].append(marks["numpy-ready"])
            for page, also in results["also"].items():
                marks = load(playwright, page.resolve().as_uri(), "numpy-ready" if also["with_numpy"] else "python-ready")
                also["paint"].append(paint_time(marks))
                also["ready"].append(marks["python-ready"])
                if also["with_numpy"]:
                    also["numpy"].append(marks["numpy-ready"])
            for label, (latency, paced) in slider_latency(playwright, lesson_file, args.inputs).items():
                results["slider_p95"][label].append(percentile(latency, 95))
                results["slider"][label].extend(latency)
                results["paced"][label].extend(paced)
            print(f"run {run + 1}/{args.runs}: plain {results['plain'][-1]:.0f} / {results['plain_numpy'][-1]:.0f} ms, "
                  f"lesson ready {results['ready'][-1]:.0f} / {results['numpy'][-1]:.0f} ms, first paint {results['paint'][-1]:.0f} ms, "
                  + ", ".join(f"{label} p95 {p95[-1]:.1f} ms" for label, p95 in results["slider_p95"].items()), file=sys.stderr)
    plain_server.shutdown()
    lesson_server.shutdown()

    plain, plain_numpy = statistics.median(results["plain"]), statistics.median(results["plain_numpy"])
    size = sum(f.stat().st_size for f in DIST.rglob("*") if f.is_file())
    load_after = os.getloadavg()
    print(f"\nChromium headless, cold profile per load, {args.runs} loads each (interleaved), times in ms from navigation start")
    print(f"(load average {load_before[0]:.1f} before, {load_after[0]:.1f} after: on a busy machine compare ratios only)\n")
    print(line("measure", "median", "p95", "ratio", "target"))
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 9}|{'-' * 10}|")
    print(row("plain Pyodide boot over http (baseline)", results["plain"]))
    print(row("  then loadPackage + import numpy (baseline)", results["plain_numpy"]))
    print(row("lesson: first paint with build-time numbers", results["paint"], plain, "<= 0.10x"))
    print(row("lesson: data-python=ready from file://", results["ready"], plain, "<= 0.35x"))
    print(row("lesson: data-numpy=ready from file://", results["numpy"], plain_numpy, "<= 0.50x"))
    print(row("lesson: data-python=ready over http", results["ready_http"], plain))
    print(row("lesson: data-numpy=ready over http", results["numpy_http"], plain_numpy))
    for label, _, _, _, target in SLIDERS:
        print(row(f"{label}: input -> DOM ({args.inputs} x {args.runs})", results["slider"][label], None, f"p95 <= {target}"))
        print(line("  p95 of each load: median, max", number(statistics.median(results["slider_p95"][label])),
                   number(max(results["slider_p95"][label]))))
        print(row("  the same, one move per frame (as a drag)", results["paced"][label]))
    print(line("dist/ size (MB)", f"{size / 1e6:.2f}", target="<= 14"))
    for page, also in results["also"].items():
        print(f"\nalso: {page} ({page.stat().st_size / 1e6:.2f} MB)")
        print(row("  first paint", also["paint"], plain))
        print(row("  data-python=ready from file://", also["ready"], plain))
        if also["numpy"]:
            print(row("  data-numpy=ready from file://", also["numpy"], plain_numpy))
    if results["wrong_paints"]:
        print(f"\nWARNING: {results['wrong_paints']} first paints did not show the engine's numbers for explore(a=2, b=3)")
    print("\nWhere a boot from file:// spends its time (medians of the ready loads above, ms from navigation start)\n")
    for label, mark in TIMELINE:
        times = [marks[mark] for marks in results["timelines"] if marks.get(mark) is not None]
        if times:
            print(f"  {statistics.median(times):6.0f}  {label}")


if __name__ == "__main__":
    main()
