// Widget "explore": c = (a + b) · b with sliders for a and b. It paints the starting setting from the
// page's first-paint data; before Python is ready other settings come from the grid the build computed
// for every setting (lesson.widgets.explore_grid, read after the first paint); once Python is ready
// each move runs the engine live.

import { createGradientTable } from "../views/gradient-table.js";
import { createGraphView } from "../views/graph.js";
import { element, rangeField } from "./controls.js";
import { liveCall } from "./live.js";

const SOURCES = {
  static: "Numbers from the engine, computed for every slider setting when the page was built.",
  booting: "Python is starting in the page; until it is ready the numbers come from the build.",
  ready: "Each slider move runs the engine live, in Python in your browser.",
  failed: "Python could not start here, so the numbers come from the build.",
};

/** The grid key of a slider setting, as Python's lesson.widgets.explore_key writes it ("2,3", "-4.5,0"). */
const gridKey = ({ a, b }) => `${a},${b}`;

/**
 * Mount the explore widget from lesson.widgets.explore_start() ({slider, start, result}); `grid` is
 * explore_grid(), a Promise of it, or null (the page has no grid). Live calls go to lesson.widgets.explore.
 */
export function mountExplore(root, { state, bridge, grid }) {
  const { slider, start } = state;
  let settings = grid && typeof grid.then !== "function" ? grid : null; // the grid, once it is here
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

  const live = liveCall(root, {
    bridge, name: "explore", status: element(root, "p", "widget-note"), notes: SOURCES,
    describe: ({ a: aValue, b: bValue }) => `a = ${aValue}, b = ${bValue}`,
    fromBuild: (setting) => settings?.[gridKey(setting)] ?? (gridKey(setting) === gridKey(start) ? state.result : undefined),
    draw: (result) => {
      view.update(result.trace, null, result.paths); // b's two paths, each with its share, and their sum
      table.update(result.rows);
      insight.textContent = result.insight;
      Object.assign(root.dataset, { a: String(result.a), b: String(result.b) });
    },
  });

  function onMove() {
    a.echo();
    b.echo();
    live.request({ a: Number(a.input.value), b: Number(b.input.value) });
  }

  if (!settings && grid) {
    Promise.resolve(grid).then((loaded) => {
      settings = loaded;
      root.dataset.grid = loaded ? "ready" : "none";
      if (loaded && !live.ready) live.retry(); // a setting waiting for Python can be drawn from the build now
    });
  }
  a.input.addEventListener("input", onMove);
  b.input.addEventListener("input", onMove);
  a.echo();
  b.echo();
  live.start({ a: start.a, b: start.b });
  return { element: root };
}
