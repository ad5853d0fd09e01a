// Widget "explore": c = (a + b) · b with sliders for a and b. Before Python is ready every slider
// setting is looked up in the grid the build computed; once it is ready each move runs the engine live.

import { createGradientTable } from "../views/gradient-table.js";
import { createGraphView } from "../views/graph.js";
import { element, followPython, rangeField } from "./controls.js";

const SOURCES = {
  static: "Numbers from the engine, computed for every slider setting when the page was built.",
  booting: "Python is starting in the page; until it is ready the numbers come from the build.",
  ready: "Each slider move runs the engine live, in Python in your browser.",
  failed: "Python could not start here, so the numbers come from the build.",
};

/** The grid key of a slider setting, as Python's lesson.widgets.explore_key writes it ("2,3", "-4.5,0"). */
const gridKey = (a, b) => `${a},${b}`;

/** Mount the explore widget from lesson.widgets.explore_grid(); live calls go to lesson.widgets.explore. */
export function mountExplore(root, { state, bridge }) {
  const { slider, start, grid } = state;
  root.replaceChildren();
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

  function showFromBuild(aValue, bValue) {
    show(grid[gridKey(aValue, bValue)], "static");
  }

  function onMove() {
    const [aValue, bValue] = [Number(a.input.value), Number(b.input.value)];
    a.output.textContent = a.input.value;
    b.output.textContent = b.input.value;
    const ticket = ++latest;
    if (python !== "ready") {
      showFromBuild(aValue, bValue);
      return;
    }
    root.dataset.busy = "true";
    bridge.call("explore", { a: aValue, b: bValue }).then(
      (result) => { if (ticket === latest) show(result, "python"); },
      (error) => {
        if (ticket !== latest) return;
        showFromBuild(aValue, bValue);
        status.textContent = `Python did not answer (${error.message}); these numbers come from the build.`;
      },
    ).finally(() => { if (ticket === latest) delete root.dataset.busy; });
  }

  a.input.addEventListener("input", onMove);
  b.input.addEventListener("input", onMove);
  followPython(bridge, (state) => {
    python = state;
    status.textContent = SOURCES[state] ?? SOURCES.static;
    if (state === "ready") onMove(); // redraw the current setting from live Python
  });
  if (python !== "ready") onMove();
  return { element: root };
}
