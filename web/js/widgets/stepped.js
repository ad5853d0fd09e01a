// A graph stepped through its forward and backward passes: each step is a snapshot from
// lesson.steps (which node is computed, which gradient arrives, and the sentence saying why).
// A graph whose inputs have sliders re-runs its Python function live as they move.

import { whenPrinting } from "../print.js";
import { setText } from "../views/changed.js";
import { createGraphView } from "../views/graph.js";
import { element, liveSliders, radioGroup, rangeField, stepLabel } from "./controls.js";

const PASSES = [{ value: "forward", label: "Forward" }, { value: "backward", label: "Backward" }];

/**
 * Mount a stepped graph in `root`. `state` is {trace, forward, backward}. With `passToggle` a
 * Forward/Backward choice picks the pass and the Step slider runs over it; without, one slider runs
 * through the forward steps and on into the backward ones. `label` and `gapAlong` go to the graph
 * view. A state with `sliders` (see lesson.widgets.STEPPED_SLIDERS) gets a slider per input, and each
 * move re-runs Python's `call` through `bridge` (see liveSliders); the step shown stays where it was.
 * Returns {update(state)} for new data.
 */
export function mountSteppedGraph(root, { state, passToggle = false, label, gapAlong, bridge, call }) {
  root.replaceChildren();
  root.classList.add("widget", "widget-stepped");
  const inputs = state.sliders ? element(root, "div", "widget-controls widget-inputs") : null;
  const controls = element(root, "div", "widget-controls");
  let data = state;
  let pass = "forward";
  const steps = () => (passToggle ? data[pass] : [...data.forward, ...data.backward]);

  if (passToggle) {
    radioGroup(controls, {
      legend: "Pass", options: PASSES, value: pass,
      onChange: (value) => { pass = value; slider.input.value = "0"; render(); },
    });
  }
  const slider = rangeField(controls, { label: "Step", min: 0, max: steps().length - 1, step: 1, value: 0 });
  const view = createGraphView({ label, gapAlong });
  root.append(view.element);
  const caption = element(root, "p", "step-text");
  caption.setAttribute("aria-live", "polite");
  slider.input.addEventListener("input", render);

  function render() {
    const all = steps();
    // A new graph may have fewer steps: the slider's range follows it (lowering max clamps the value).
    slider.input.max = String(all.length - 1);
    const index = Math.min(Number(slider.input.value), all.length - 1);
    const step = all[index];
    // One numbering, within the step's own pass as the lesson counts ("Backward, step 2 of 4"): the
    // slider's visible output says it and so does its accessible value; the caption says what happens.
    const inPass = all.filter((s) => s.phase === step.phase);
    const where = stepLabel(step.phase, inPass.indexOf(step), inPass.length - 1);
    slider.valueText(where);
    root.dataset.phase = step.phase;
    root.dataset.step = String(index);
    view.update(data.trace, step);
    setText(caption, step.text);
  }

  render();
  // On paper the graph is finished: its last step, with every value and gradient.
  whenPrinting({
    before: () => {
      const last = data.backward.at(-1) ?? data.forward.at(-1);
      view.update(data.trace, last);
      setText(caption, last.text);
    },
    after: render,
  });
  const update = (next) => { data = next; render(); };
  if (inputs) liveSliders(root, inputs, element(root, "p", "widget-note"), { bridge, call, state, draw: update });
  return { update };
}
