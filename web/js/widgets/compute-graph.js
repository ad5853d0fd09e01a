// Widget "compute-graph": loss = (w·x + b − target)², from the lesson's x = 2, w = 0.5, b = 0.1 with
// target = 0.8, with sliders for x, w and b, a Forward/Backward choice and a Step slider over the pass.

import { mountSteppedGraph } from "./stepped.js";

/** Mount the compute-graph widget from lesson.widgets.compute_graph(); its x, w and b sliders re-run it live. */
export function mountComputeGraph(root, { state, bridge }) {
  return mountSteppedGraph(root, {
    state, bridge, call: "compute_graph", passToggle: true, label: "Graph of loss = (w·x + b − target)², stepped" });
}
