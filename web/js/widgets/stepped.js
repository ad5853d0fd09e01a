// A graph stepped through its forward and backward passes: each step is a snapshot from
// lesson.steps (which node is computed, which gradient arrives, and the sentence saying why).
// A graph whose inputs have sliders re-runs its Python function live as they move.

import { whenPrinting } from "../print.js";
import { setText } from "../views/changed.js";
import { createGraphView } from "../views/graph.js";
import { element, radioGroup, rangeField, stepLabel } from "./controls.js";
import { liveCall } from "./live.js";

const PASSES = [{ value: "forward", label: "Forward" }, { value: "backward", label: "Backward" }];

/**
 * Mount a stepped graph in `root`. `state` is {trace, forward, backward}. With `passToggle` a
 * Forward/Backward choice picks the pass and the Step slider runs over it; without, one slider runs
 * through the forward steps and on into the backward ones. `label` and `gapAlong` go to the graph
 * view. A state with `sliders` (see lesson.widgets.STEPPED_SLIDERS) gets a slider per input, and each
 * move re-runs Python's `call` through `bridge` (see liveSliders; `needs` "numpy" for the Tensor engine);
 * the step shown stays where it was. Returns {update(state)} for new data.
 */
export function mountSteppedGraph(root, { state, passToggle = false, label, gapAlong, bridge, call, needs }) {
  root.replaceChildren();
  root.classList.add("widget", "widget-stepped");
  const inputs = state.sliders ? element(root, "div", "widget-controls widget-inputs") : null;
  const controls = element(root, "div", "widget-controls");
  let data = state;
  // Every sum a step of either pass shows (a node whose last path it completes), sized for from step 0:
  // a box that grew when its sum arrived would shift the graph mid-walk.
  let everySum = sumsOf(state);
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
    view.update(data.trace, step, { sums: everySum });
    setText(caption, step.text);
  }

  const update = (next) => { data = next; everySum = sumsOf(data); render(); };
  if (inputs) liveSliders(root, inputs, element(root, "p", "widget-note"), { bridge, call, needs, state, draw: update });
  else render();
  // On paper the graph is finished: its last step, with every value and gradient (drawn after the first
  // paint above, as a widget mounted for printing gets it at once).
  whenPrinting({
    before: () => {
      const last = data.backward.at(-1) ?? data.forward.at(-1);
      view.update(data.trace, last, { sums: everySum });
      setText(caption, last.text);
    },
    after: render,
  });
  return { update };
}

const FROM_BUILD = "These numbers were computed by the engine when the page was built";
const AT_BUILD = "so the sliders stay at the setting the page was built with.";
/** What the note under a widget's sliders says in each state of the engine it needs (see followEngine). */
const sliderNotes = (engine) => ({
  static: `${FROM_BUILD}; moving a slider runs it live once ${engine} is ready.`,
  booting: `Python is starting in the page. ${FROM_BUILD}; moving a slider runs it live once ${engine} is ready.`,
  loading: `NumPy is loading in the page (the Tensor engine needs it). ${FROM_BUILD}; moving a slider runs it live once NumPy is ready.`,
  ready: `Each slider move re-runs the engine live, in Python${engine === "NumPy" ? " with NumPy" : ""} in your browser.`,
  failed: `Python could not start here, ${AT_BUILD}`,
  "numpy-failed": `NumPy could not load here, ${AT_BUILD}`,
  off: "The sliders stay at the setting the page was built with: this copy of the lesson has no NumPy, which the Tensor engine needs.",
});
const DESCRIBED_IN_FULL = 3; // sliders: with more, a setting is described by the ones moved from the build's

/**
 * Sliders (in `parent`) for the inputs of a widget's Python function `call`, re-run live through `bridge`
 * (see liveCall). `state` is the build's result of `call`: {sliders: [{name, label?, group?, min, max, step}],
 * settings: {name: value}, ...}; sliders of one `group` share a fieldset it names. Each move asks for the
 * sliders' values and `draw(result)` draws the answer; `root` gets, per slider, the value of the setting
 * drawn (`data-x="2"`). Where the engine cannot run (Python failed, no NumPy) the sliders go back to the
 * build's setting and are disabled.
 */
function liveSliders(root, parent, note, { bridge, call, needs = "python", state, draw }) {
  const groups = new Map();
  const fieldFor = (group) => {
    if (!group) return parent;
    if (!groups.has(group)) {
      const fieldset = element(parent, "fieldset", "slider-group");
      element(fieldset, "legend", null, group);
      groups.set(group, fieldset);
    }
    return groups.get(group);
  };
  const sliders = state.sliders.map(({ name, label = name, group, min, max, step }) => ({
    name, label, ...rangeField(fieldFor(group), { label, min, max, step, value: state.settings[name] }) }));
  const current = () => Object.fromEntries(sliders.map(({ name, input }) => [name, Number(input.value)]));
  const isBuilt = (settings) => sliders.every(({ name }) => settings[name] === state.settings[name]);
  const describe = (settings) => {
    const named = sliders.filter(({ name }) => sliders.length <= DESCRIBED_IN_FULL || settings[name] !== state.settings[name]);
    return named.length ? named.map(({ name, label }) => `${label} = ${settings[name]}`).join(", ") : "its starting inputs";
  };

  const live = liveCall(root, {
    bridge, name: call, needs, status: note, notes: sliderNotes(needs === "numpy" ? "NumPy" : "Python"), describe,
    fromBuild: (settings) => (isBuilt(settings) ? state : undefined),
    draw: (result) => {
      draw(result);
      for (const [name, value] of Object.entries(result.settings)) root.dataset[name] = String(value);
    },
    onEngine: (now) => {
      const usable = ["static", "booting", "loading", "ready"].includes(now);
      for (const { input } of sliders) input.disabled = !usable;
      if (usable) return;
      for (const { name, input } of sliders) input.value = String(state.settings[name]);
      onMove();
    },
  });

  function onMove() {
    for (const slider of sliders) slider.echo();
    live.request(current());
  }

  for (const { input } of sliders) input.addEventListener("input", onMove);
  for (const slider of sliders) slider.echo();
  live.start(current());
}

/** Every step's sums in one map: {node id: its sum's text}. */
const sumsOf = (state) => Object.assign({}, ...[...state.forward, ...state.backward].map((step) => step.sums ?? {}));
