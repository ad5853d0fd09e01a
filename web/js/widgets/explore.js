// Widget "explore": c = (a + b) · b with sliders for a and b. It paints the starting setting from the
// page's first-paint data; before Python is ready other settings come from the grid the build computed
// for every setting (lesson.widgets.explore_grid, read after the first paint); once Python is ready
// each move runs the engine live.

import { createGradientTable } from "../views/gradient-table.js";
import { createGraphView } from "../views/graph.js";
import { element, followPython, pythonMessage, rangeField } from "./controls.js";

const SOURCES = {
  static: "Numbers from the engine, computed for every slider setting when the page was built.",
  booting: "Python is starting in the page; until it is ready the numbers come from the build.",
  ready: "Each slider move runs the engine live, in Python in your browser.",
  failed: "Python could not start here, so the numbers come from the build.",
};

/** The grid key of a slider setting, as Python's lesson.widgets.explore_key writes it ("2,3", "-4.5,0"). */
const gridKey = (a, b) => `${a},${b}`;

/**
 * Mount the explore widget from lesson.widgets.explore_start() ({slider, start, result}); `grid` is
 * explore_grid() or a Promise of it. (An older page carries the grid in `state.grid` instead.)
 * Live calls go to lesson.widgets.explore.
 */
export function mountExplore(root, { state, bridge, grid = state.grid }) {
  const { slider, start } = state;
  let settings = grid && typeof grid.then !== "function" ? grid : null; // the grid, once it is here
  const arriving = settings ? null : Promise.resolve(grid ?? null).then((loaded) => {
    settings = loaded;
    root.dataset.grid = loaded ? "ready" : "none";
  });
  root.replaceChildren();
  // data-grid: whether settings other than the start can be drawn before Python is live.
  root.dataset.grid = settings ? "ready" : grid ? "loading" : "none";
  root.classList.add("widget", "widget-explore");
  const controls = element(root, "div", "widget-controls");
  const a = rangeField(controls, { label: "a", ...slider, value: start.a });
  const b = rangeField(controls, { label: "b", ...slider, value: start.b });
  const view = createGraphView({ label: "Graph of c = (a + b) · b with values and gradients" });
  root.append(view.element);
  const insight = element(root, "p", "widget-insight");
  const table = createGradientTable({ caption: "How each gradient of c is built in the backward pass" });
  root.append(table.element);
  const status = element(root, "p", "widget-note");
  status.setAttribute("role", "status");
  let python = "static";
  let latest = 0; // only the answer to the newest slider move is drawn

  function show(result, source) {
    view.update(result.trace);
    table.update(result.rows);
    insight.textContent = result.insight;
    Object.assign(root.dataset, { a: String(result.a), b: String(result.b), source });
  }

  /** Draw a setting from the build's grid: at once if it is here, else when it arrives (if still the newest). */
  function showFromBuild(aValue, bValue, ticket) {
    if (settings) {
      show(settings[gridKey(aValue, bValue)], "static");
      return;
    }
    root.dataset.busy = "true";
    arriving.then(() => {
      if (ticket !== latest) return;
      delete root.dataset.busy;
      if (settings) show(settings[gridKey(aValue, bValue)], "static");
      else askPython(aValue, bValue, ticket); // no grid on this page: Python answers once it is live
    });
  }

  function askPython(aValue, bValue, ticket) {
    root.dataset.busy = "true";
    bridge.call("explore", { a: aValue, b: bValue }).then(
      (result) => { if (ticket === latest) show(result, "python"); },
      (error) => {
        if (ticket !== latest) return;
        if (settings) show(settings[gridKey(aValue, bValue)], "static");
        status.textContent = `Python did not answer (${pythonMessage(error)}); these numbers come from the build.`;
      },
    ).finally(() => { if (ticket === latest) delete root.dataset.busy; });
  }

  function onMove() {
    const [aValue, bValue] = [Number(a.input.value), Number(b.input.value)];
    a.echo();
    b.echo();
    const ticket = ++latest;
    if (python !== "ready") {
      showFromBuild(aValue, bValue, ticket);
      return;
    }
    // A code cell keeps Python busy (<html data-cells>): the answer waits behind it, maybe for
    // seconds, so the build's numbers for this setting are drawn meanwhile and Python's replace them.
    if (settings && document.documentElement.dataset.cells) show(settings[gridKey(aValue, bValue)], "static");
    askPython(aValue, bValue, ticket);
  }

  a.input.addEventListener("input", onMove);
  b.input.addEventListener("input", onMove);
  followPython(bridge, (now) => {
    const was = python;
    python = now;
    status.textContent = SOURCES[now] ?? SOURCES.static;
    if (now === "ready" && was !== "ready") onMove(); // redraw the current setting from live Python
  });
  a.echo();
  b.echo();
  if (python !== "ready") show(state.result ?? settings[gridKey(start.a, start.b)], "static");
  return { element: root };
}
