"""Slow-link benchmark: when each widget answers, over an emulated 1.6 Mbps / 150 ms link, against when the last byte arrives.

    python bench/bench_slow_link.py [--runs 3] [--page DIR ...]

Each load is cold (a fresh Chromium profile) from a local http server, with Chromium's own network
emulation (CDP Network.emulateNetworkConditions: 150 ms latency, 1.6 Mbps down, 750 kbps up), so the
link, not the machine, sets the pace. A script the benchmark adds to the page (it runs before the
page's own) watches every widget as the parser reaches it: the explore widget is scrolled into view
as soon as it exists (a reader who went there), and each widget, once mounted, gets its first
interaction at once; the time is when it shows the answer:

- explore: its slider a moved; answered once the widget draws that setting with no request waiting;
  the drawn numbers are then checked against lesson.widgets.explore run here on CPython;
- playground: its backward steps shown (Show: "Backward, step by step"); answered when a step's text shows;
- a widget with a Step slider (the stepped graphs) or, failing that,
  another slider (broadcast's followed entry): moved one notch; answered when the widget's text changes;
- task: Hint pressed; answered when the hint shows;
- the others (neuron-training, task-progress, exercise) have no interaction the build can answer
  (their buttons run Python): mounted is when they answer.

Times are ms from navigation start; "last byte" is the document's responseEnd. Medians of `--runs`
loads per page, the pages interleaved. `--page` adds another build's folder (say, the one before a
change) for comparison; the default is dist/.
"""

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "py"), str(ROOT / "tests" / "browser")]

from bench_page import serve  # noqa: E402  (bench/ is on the path: this script's folder)
from browser_idle import wait_until_browser_idle  # noqa: E402
from harness import ensure_dist, launch  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from lesson.widgets import explore  # noqa: E402

# Chromium's network emulation, as the issue measured it: bytes per second, ms of round trip.
SLOW_LINK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}

# Added to the page before its own scripts (through the debugging protocol, so the page's CSP does not
# apply): records, per [data-widget] element in page order, when it was parsed, mounted, asked and answered.
WATCH_JS = r"""(() => {
  const records = new Map();
  const watched = (globalThis.__slowLink = []);
  const now = () => performance.now();
  const findSlider = (root) => {
    const sliders = [...root.querySelectorAll('input[type="range"]')];
    return sliders.find((s) => /step/i.test(s.labels?.[0]?.textContent ?? "")) ?? sliders[0];
  };
  const move = (slider, ahead) => {
    const values = [];
    for (let v = Number(slider.min); v <= Number(slider.max) + 1e-9; v += Number(slider.step || 1)) values.push(v);
    const next = values.find((v) => Math.abs(v - Number(slider.value)) > 1e-9 && (!ahead || v > Number(slider.value)));
    slider.value = String(next);
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    return slider.value;
  };
  const drawnNodes = (root) => Object.fromEntries([...root.querySelectorAll("[data-node]")]
    .map((n) => [n.dataset.node, [n.dataset.value, n.dataset.grad]]));

  function interact(root, record) {
    if (record.name === "explore") {
      const [a, b] = root.querySelectorAll('input[type="range"]');
      const held = { a: move(a, false), b: b.value };
      record.how = `slider a to ${held.a}`;
      record.setting = { a: Number(held.a), b: Number(held.b) };
      return () => root.dataset.a === String(Number(held.a)) && root.dataset.b === String(Number(held.b))
        && !root.hasAttribute("data-busy") && (record.nodes = drawnNodes(root), record.source = root.dataset.source, true);
    }
    if (record.name === "task") {
      const hint = [...root.querySelectorAll("button")].find((button) => /hint/i.test(button.textContent));
      if (!hint) return null;
      hint.click();
      record.how = "Hint";
      return () => root.querySelector(".task-hints li") !== null;
    }
    if (record.name === "playground") {
      const steps = root.querySelector('input[type="radio"][value="steps"]');
      steps.checked = true;
      steps.dispatchEvent(new Event("change", { bubbles: true }));
      record.how = "Show: backward, step by step";
      return () => { const text = root.querySelector(".step-text"); return !text.hidden && text.textContent !== ""; };
    }
    const slider = findSlider(root);
    if (!slider) return null;
    const before = root.textContent;
    record.how = `slider "${slider.labels?.[0]?.textContent.trim()}" to ${move(slider, true)}`;
    return () => root.textContent !== before;
  }

  function look() {
    for (const root of document.querySelectorAll("[data-widget]")) {
      let record = records.get(root);
      if (!record) {
        record = { name: root.dataset.widget, parsed: now(), mounted: null, asked: null, answered: null, how: null };
        records.set(root, record);
        watched.push(record);
        if (record.name === "explore") root.scrollIntoView({ block: "start", behavior: "instant" });
      }
      if (record.mounted === null && root.hasAttribute("data-mounted")) {
        record.mounted = now();
        record.check = interact(root, record);
        record.asked = now();
        if (!record.check) { record.answered = record.mounted; record.how = "mounted (its buttons run Python)"; }
      }
      if (record.check && record.answered === null && record.check()) record.answered = now();
    }
  }
  new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();"""

# In the page, once it has loaded: the records, when the last byte arrived, and Python's marks.
RESULT_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? null;
  return { widgets: globalThis.__slowLink.map(({ check, ...record }) => record), lastByte: nav.responseEnd,
           parsed: nav.domInteractive, booting: mark("python-booting"), ready: mark("python-ready"),
           gridRead: mark("explore-grid-read") };
}"""


def slow_load(playwright, url, timeout_s=240):
    """One cold load of `url` over the emulated link, until every widget has answered and the page has loaded."""
    with launch(playwright) as context:
        page = context.pages[0] if context.pages else context.new_page()
        wait_until_browser_idle()
        page.add_init_script(WATCH_JS)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
        page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        for _ in range(int(timeout_s / 0.25)):
            if page.evaluate("() => globalThis.__slowLink.every((r) => r.answered !== null)"):
                break
            page.wait_for_timeout(250)
        return page.evaluate(RESULT_JS)


def engine_nodes(setting):
    """{node id: [value, grad]} of lesson.widgets.explore at `setting`, as the page writes them."""
    return {node["id"]: (node["data"], node["grad"]) for node in explore(**setting)["trace"]["nodes"]}


def right_numbers(record):
    """Whether the explore widget's drawn numbers are the engine's for the setting it was moved to."""
    expected = engine_nodes(record["setting"])
    drawn = record.get("nodes") or {}
    return drawn.keys() == expected.keys() and all(
        float(value) == expected[node][0] and (grad == "" if expected[node][1] is None else float(grad) == expected[node][1])
        for node, (value, grad) in drawn.items())


def median(values):
    """The median of the values that are there (None where none is)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ms(value):
    return "-" if value is None else f"{value:.0f}"


def report(folder, loads):
    """Print one page's table: per widget (in page order) medians of parsed, mounted and answered."""
    last = median([load["lastByte"] for load in loads])
    explore_ok = all(right_numbers(r) for load in loads for r in load["widgets"] if r["name"] == "explore")
    print(f"\n{folder}  ({(Path(folder) / 'lesson.html').stat().st_size / 1e6:.2f} MB, {len(loads)} loads)")
    print(f"  last byte arrived {ms(last)} ms; page parsed {ms(median([l['parsed'] for l in loads]))} ms; "
          f"Python booting {ms(median([l['booting'] for l in loads]))} ms, ready {ms(median([l['ready'] for l in loads]))} ms")
    print(f"  {'widget':<16} {'parsed':>7} {'mounted':>8} {'answered':>9} {'before last byte':>17}  interaction")
    count = len(loads[0]["widgets"])
    for i in range(count):
        rows = [load["widgets"][i] for load in loads if i < len(load["widgets"])]
        answered = median([r["answered"] for r in rows])
        before = "yes" if all(r["answered"] is not None and r["answered"] < l["lastByte"] for r, l in zip(rows, loads)) else "NO"
        print(f"  {rows[0]['name']:<16} {ms(median([r['parsed'] for r in rows])):>7} {ms(median([r['mounted'] for r in rows])):>8} "
              f"{ms(answered):>9} {before:>17}  {rows[0]['how']}")
    explore_times = [r["answered"] for load in loads for r in load["widgets"] if r["name"] == "explore"]
    print(f"  explore answers a moved slider: median {ms(median(explore_times))} ms (each load: "
          f"{', '.join(ms(t) for t in explore_times)}; target <= 4000), numbers "
          f"{'the engine on CPython' if explore_ok else 'NOT the engine on CPython'}'s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold loads of each page (the median is reported)")
    parser.add_argument("--page", type=Path, action="append", default=[], metavar="DIR",
                        help="a built lesson's folder (holding lesson.html) to load; repeatable; default dist/")
    args = parser.parse_args(argv)
    folders = args.page or [ensure_dist()]
    servers = {folder: serve(folder) for folder in folders}
    loads = {folder: [] for folder in folders}
    load_before = os.getloadavg()
    with sync_playwright() as playwright:
        for run in range(args.runs):
            for folder, (base, _) in servers.items():
                loads[folder].append(slow_load(playwright, base + "lesson.html"))
                explore_time = next((r["answered"] for r in loads[folder][-1]["widgets"] if r["name"] == "explore"), None)
                print(f"run {run + 1}/{args.runs} {folder}: explore answered {ms(explore_time)} ms, "
                      f"last byte {ms(loads[folder][-1]['lastByte'])} ms", file=sys.stderr)
    for _, server in servers.values():
        server.shutdown()
    print(f"Chromium headless over http, network emulated at 1.6 Mbps down / 150 ms latency, cold profile per load; "
          f"ms from navigation start (load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after)")
    for folder in folders:
        report(folder, loads[folder])


if __name__ == "__main__":
    main()
