// Widget "grad-accumulation": c = a·a, a set by a slider (3 to start); the backward pass reaches a by
// two paths, one step each, and their shares (3 and 3) add up to ∂c/∂a = 6 = 2a.

import { mountSteppedGraph } from "./stepped.js";

/** Mount the grad-accumulation widget from lesson.widgets.grad_accumulation(); its a slider re-runs it live. */
export function mountGradAccumulation(root, { state, bridge }) {
  // Wide spacing: the two edges from a to c, one per path, are what this widget is about.
  return mountSteppedGraph(root, {
    state, bridge, call: "grad_accumulation", label: "Graph of c = a · a, where a is used twice", gapAlong: 150 });
}
