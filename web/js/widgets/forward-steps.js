// Widget "forward-steps": x → a = 3x → b = a + 1 → c = b², stepped forward (at x = 2: 6, 7, 49), then
// backward (∂c/∂c = 1, ∂c/∂b = 14, ∂c/∂a = 14, ∂c/∂x = 42) on one Step slider; a slider sets x.

import { mountSteppedGraph } from "./stepped.js";

/** Mount the forward-steps widget from lesson.widgets.forward_steps(); its x slider re-runs it live. */
export function mountForwardSteps(root, { state, bridge }) {
  return mountSteppedGraph(root, {
    state, bridge, call: "forward_steps", label: "Graph of x → a = 3x → b = a + 1 → c = b², stepped" });
}
