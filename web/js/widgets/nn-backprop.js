// Widget "nn-backprop": y = tanh(W @ x + b), L = sum((y − t)²) on the Tensor engine, stepped forward
// and backward, with a slider per entry of W, x, b and t; W and b are marked for update once their
// gradients are known. The Tensor engine needs NumPy: until the page's NumPy is ready the build's
// numbers are drawn, and a move waits for it, saying so.

import { mountSteppedGraph } from "./stepped.js";

/** Mount the nn-backprop widget from lesson.widgets.nn_backprop(); its sliders re-run it live once NumPy is ready. */
export function mountNnBackprop(root, { state, bridge }) {
  return mountSteppedGraph(root, {
    state, bridge, call: "nn_backprop", needs: "numpy", passToggle: true,
    label: "Graph of a tanh layer and its squared loss, stepped" });
}
