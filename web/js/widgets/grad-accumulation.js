// Widget "grad-accumulation": c = a·a at a = 3; the backward pass reaches a by two paths, one step
// each, and their shares (3 and 3) add up to ∂c/∂a = 6 = 2a.

import { mountSteppedGraph } from "./stepped.js";

/** Mount the grad-accumulation widget from lesson.widgets.grad_accumulation(). */
export function mountGradAccumulation(root, { state }) {
  // Wide spacing: the two edges from a to c, one per path, are what this widget is about.
  return mountSteppedGraph(root, { state, label: "Graph of c = a · a, where a is used twice", gapAlong: 150 });
}
