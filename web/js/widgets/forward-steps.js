// Widget "forward-steps": x = 2 → a = 3x → b = a + 1 → c = b², stepped forward (6, 7, 49), then
// backward (∂c/∂c = 1, ∂c/∂b = 14, ∂c/∂a = 14, ∂c/∂x = 42) on one Step slider.

import { mountSteppedGraph } from "./stepped.js";

/** Mount the forward-steps widget from lesson.widgets.forward_steps(). */
export function mountForwardSteps(root, { state }) {
  return mountSteppedGraph(root, { state, label: "Graph of x → a = 3x → b = a + 1 → c = b², stepped" });
}
