// Mounts every widget found on the page: `mountWidgets({bridge, initialState, root})`.
// Each widget paints at once from the build's data (initialState[name]) and turns live when Python is ready.

import { mountComputeGraph } from "./compute-graph.js";
import { element } from "./controls.js";
import { mountExplore } from "./explore.js";
import { mountForwardSteps } from "./forward-steps.js";
import { mountGradAccumulation } from "./grad-accumulation.js";
import { mountNeuronTraining } from "./neuron-training.js";
import { mountNnBackprop } from "./nn-backprop.js";
import { mountPlayground } from "./playground.js";

const WIDGETS = {
  "forward-steps": mountForwardSteps,
  "compute-graph": mountComputeGraph,
  "grad-accumulation": mountGradAccumulation,
  "neuron-training": mountNeuronTraining,
  explore: mountExplore,
  "nn-backprop": mountNnBackprop,
  playground: mountPlayground,
};

/**
 * Mount each `[data-widget]` element under `root` that names a known widget (the lesson's six and
 * the playground). A widget that fails says so in place; the rest still mount. `numpyLive` tells
 * nn-backprop whether the page's Python has NumPy.
 * Returns [{name, element, widget}].
 */
export function mountWidgets({ bridge, initialState, root = document, numpyLive = document.documentElement.dataset.numpy === "live" }) {
  const mounted = [];
  for (const node of root.querySelectorAll("[data-widget]")) {
    const name = node.dataset.widget;
    if (!Object.hasOwn(WIDGETS, name)) continue; // not a widget this module knows: leave it alone
    try {
      if (!initialState?.[name]) throw new Error(`the page carries no data for the "${name}" widget`);
      mounted.push({ name, element: node, widget: WIDGETS[name](node, { state: initialState[name], bridge, numpyLive }) });
    } catch (error) {
      console.error(`widget ${name}:`, error);
      node.replaceChildren();
      element(node, "p", "widget-error", `This widget could not be drawn: ${error.message}`).setAttribute("role", "alert");
    }
  }
  return mounted;
}
