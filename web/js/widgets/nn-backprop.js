// Widget "nn-backprop": y = tanh(W @ x + b), L = sum((y − t)²) on the Tensor engine, stepped forward
// and backward; W and b are marked for update once their gradients are known. The Tensor engine
// needs NumPy, so the steps come from the build until NumPy has loaded (bridge.whenNumpy).

import { element, followPython } from "./controls.js";
import { mountSteppedGraph } from "./stepped.js";

const FROM_BUILD = "These steps were computed by the engine when the page was built (the inputs are fixed).";

/** Mount the nn-backprop widget from lesson.widgets.nn_backprop(); re-run it live once NumPy is there. */
export function mountNnBackprop(root, { state, bridge }) {
  const stepped = mountSteppedGraph(root, { state, passToggle: true, label: "Graph of a tanh layer and its squared loss, stepped" });
  const note = element(root, "p", "widget-note", FROM_BUILD);
  root.dataset.source = "static";
  let asked = false;
  followPython(bridge, (python) => {
    if (python !== "ready" || asked) return;
    asked = true;
    bridge.whenNumpy().then(() => bridge.call("nn_backprop", {})).then(
      (live) => {
        stepped.update(live);
        root.dataset.source = "python";
        note.textContent = "These steps were just computed by the engine running in this page.";
      },
      (error) => {
        note.textContent = error.type === "NoNumpy" ? `${FROM_BUILD} They cannot run live: ${error.message}.`
          : `${FROM_BUILD} Running it live failed: ${error.message}`;
      },
    );
  });
  return stepped;
}
