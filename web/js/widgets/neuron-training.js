// Widget "neuron-training": the loss chart of the lesson's 20-step training run of
// y = tanh(w·x + b) towards 0.8, a linear/log choice for its loss axis, and, once Python is ready,
// a form to re-run it with another learning rate or number of steps.

import { formatNumber } from "../views/format.js";
import { createLossChart } from "../views/loss-chart.js";
import { element, inputField, radioGroup } from "./controls.js";
import { liveCall } from "./live.js";

const SCALES = [{ value: "linear", label: "Linear" }, { value: "log", label: "Log" }];
const BUILT = "The chart shows the run the engine made when the page was built";
const HINTS = {
  static: `${BUILT}; once Python is running you can train again.`,
  booting: `${BUILT}; once Python is running you can train again.`,
  ready: "Change the learning rate or the number of steps and train again: the engine runs in your browser.",
  failed: `${BUILT}: Python could not start here, so it cannot train again.`,
};

/** A field's number for Python, or null when it is empty (Python's message then says so). */
const fieldNumber = (input) => (input.value.trim() === "" ? null : Number(input.value));

/** Mount the neuron-training widget from lesson.widgets.neuron_training(). */
export function mountNeuronTraining(root, { state, bridge }) {
  root.replaceChildren();
  root.classList.add("widget", "widget-training");
  const chart = createLossChart({ label: "Loss of the neuron at each training step" });
  root.append(chart.element);
  // The loss falls over orders of magnitude: a log axis shows the late steps a linear one flattens to 0.
  const scale = radioGroup(root, { legend: "Loss axis", options: SCALES, value: "linear", onChange: (kind) => chart.setScale(kind) });
  scale.fieldset.classList.add("loss-scale");
  const summary = element(root, "p", "widget-insight");
  summary.setAttribute("aria-live", "polite");
  // Validation is Python's: its message names the problem, so the browser's own checks are off.
  const form = element(root, "form", "widget-controls training-form");
  form.noValidate = true;
  const number = (settings) => inputField(form, { className: "number-field", type: "number", ...settings }).input;
  const lr = number({ label: "Learning rate", name: "lr", value: state.lr, min: 0.001, max: 10, step: "any" });
  const steps = number({ label: "Steps", name: "steps", value: state.steps, min: 1, max: 200, step: 1 });
  const run = element(form, "button", null, "Train again");
  run.type = "submit";
  const hint = element(root, "p", "widget-note");
  const alert = element(root, "p", "widget-error");
  alert.setAttribute("role", "alert");

  function show(result) {
    chart.update(result.history);
    const first = result.history[0];
    const last = result.history.at(-1);
    chart.setTitle(last.loss < first.loss ? "Loss decreasing during training" : "Loss during training: not decreasing at this learning rate");
    const count = result.steps === 1 ? "1 step" : `${result.steps} steps`;
    summary.textContent = `${count} at learning rate ${result.lr}: the loss goes from ` +
      `${formatNumber(first.loss)} to ${formatNumber(last.loss)}, and the neuron's output y from ` +
      `${formatNumber(first.y)} to ${formatNumber(last.y)} (target ${result.target}).`;
    Object.assign(root.dataset, { lr: String(result.lr), steps: String(result.steps) });
  }

  const live = liveCall(root, {
    bridge, name: "neuron_training", status: hint, notes: HINTS, draw: show,
    fromBuild: (args) => (args.lr === state.lr && args.steps === state.steps ? state : undefined),
    refresh: false, // the build's run is the lesson's: it is re-run when the learner asks
    refused: (message) => { alert.textContent = message; }, // Python checks the fields: its message names the problem
    onEngine: (now) => { for (const control of [lr, steps, run]) control.disabled = now !== "ready"; },
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.textContent = "";
    live.request({ lr: fieldNumber(lr), steps: fieldNumber(steps) });
  });
  live.start({ lr: state.lr, steps: state.steps });
  return { element: root };
}
