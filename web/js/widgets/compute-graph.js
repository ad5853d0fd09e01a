// Widget "compute-graph": loss = (w·x + b − target)² at x = 2, w = 0.5, b = 0.1, target = 0.8,
// with a Forward/Backward choice and a Step slider over the chosen pass.

import { mountSteppedGraph } from "./stepped.js";

/** Mount the compute-graph widget from lesson.widgets.compute_graph(). */
export function mountComputeGraph(root, { state }) {
  return mountSteppedGraph(root, { state, passToggle: true, label: "Graph of loss = (w·x + b − target)², stepped" });
}
