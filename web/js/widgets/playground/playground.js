// Widget "playground": any scalar expression the learner types becomes the engine's graph, live.
// Python parses the text (it is never run as Python), builds the graph, runs backward and checks the
// gradients numerically (lesson.playground); these modules lay out what comes back and compute nothing.
// This one mounts the parts, keeps the state (one call to Python at a time, see liveCall) and the
// shareable link (written by Python, with the sliders' ranges), in the address and in a field beside a
// Copy link button: a headless or locked-down browser may refuse the clipboard, the field always works.

import { whenPrinting } from "../../print.js";
import { setText } from "../../views/changed.js";
import { createGraphView } from "../../views/graph.js";
import { button, element, inputField, radioGroup, rangeField, stepLabel } from "../controls.js";
import { liveCall, pythonMessage } from "../live.js";
import { createExpressionField } from "./expression-field.js";
import { createGradientCheckTable } from "./gradient-check-table.js";
import { createVariableSliders } from "./variable-sliders.js";

const LINK_PREFIX = "#playground?";
const MODES = [
  { value: "all", label: "Values and gradients" },
  { value: "steps", label: "Backward, step by step" },
  { value: "predict", label: "Predict first" },
];
const SOURCES = {
  static: "This graph was computed by the engine when the page was built; Python starts in the page to run yours.",
  booting: "Python is starting in the page; what you type runs as soon as it is ready.",
  ready: "Every number here comes from the engine, running in Python in your browser.",
  failed: "Python could not start here, so only the graph computed when the page was built can be shown.",
};

/** A snapshot for the graph view that shows every value and hides every gradient (for predicting). */
const valuesOnly = (trace) => ({ phase: "forward", active: [], edges: [], values: trace.order, grads: {}, marked: [] });

/** The link to the playground's state: the fragment Python wrote, on this page's own address. */
const linkTo = (fragment) => `${location.href.split("#")[0]}#${fragment}`;

/**
 * The Copy link button, the link itself in a read-only field (select it to copy by hand) and a line saying
 * what happened, appended to `root`. Returns {show(fragment)}: the link for Python's latest state.
 */
function createShareLink(root) {
  const row = element(root, "div", "widget-controls playground-share");
  const copy = button(row, "Copy link", "playground-copy");
  const { input: field } = inputField(row, {
    label: "Link", className: "playground-link", type: "text", readonly: "", spellcheck: "false", size: 30 });
  const said = element(row, "span", "widget-note playground-copied");
  said.setAttribute("role", "status");
  copy.addEventListener("click", () => {
    field.select();
    // The clipboard needs a focused, secure page and the browser's leave; without it the link is selected.
    const copied = navigator.clipboard?.writeText(field.value) ?? Promise.reject(new Error("no clipboard"));
    copied.then(
      () => { said.textContent = "Link copied: it opens this expression with these values and ranges."; },
      () => { field.focus(); field.select(); said.textContent = "The browser did not allow copying: the link is selected, copy it with Ctrl+C (⌘C)."; });
  });
  field.addEventListener("focus", () => field.select());
  return {
    show(fragment) {
      if (!fragment || field.value === linkTo(fragment)) return;
      field.value = linkTo(fragment);
      said.textContent = "";
    },
  };
}

/** Mount the playground from lesson.playground.initial_state(); each edit calls lesson.playground.playground. */
export function mountPlayground(root, { state, bridge }) {
  root.replaceChildren();
  root.classList.add("widget", "widget-playground");

  const expression = createExpressionField(root, { value: state.expression, onEdit: edited });
  const sliders = createVariableSliders(root, { values: state.values, maxValue: state.max_value, onEdit: edited });
  const mode = radioGroup(root, { legend: "Show", options: MODES, value: "all", onChange: (value) => { view.mode = value; draw(); } });
  mode.fieldset.classList.add("playground-mode");

  const graph = createGraphView({ label: "Graph of your expression with values and gradients" });
  root.append(graph.element);
  const stepControls = element(root, "div", "playground-steps"); // no flex class: `hidden` must win
  const stepper = rangeField(stepControls, { label: "Backward step", min: 0, max: 0, step: 1, value: 0 });
  const stepText = element(root, "p", "step-text");
  stepText.setAttribute("aria-live", "polite");
  const undefinedNote = element(root, "p", "widget-error playground-undefined");
  undefinedNote.setAttribute("role", "status");

  const judge = (guess, gradient) => bridge.call("judge_guess", { guess, expected: gradient });
  const check = createGradientCheckTable(root, { onReveal: draw, judge });
  const share = createShareLink(root);
  const view = { mode: "all", result: null };
  let touched = false; // the URL fragment is ours to write only once the learner has used the playground
  let pendingLink = location.hash.startsWith(LINK_PREFIX) ? location.hash : null;
  const built = { expression: state.expression, values: state.values };
  const status = element(root, "p", "widget-note");
  const live = liveCall(root, {
    bridge, name: "playground", status, notes: SOURCES,
    fromBuild: (args) => (JSON.stringify(args) === JSON.stringify(built) ? state.result : undefined),
    draw: (result, { source, args, superseded }) => show(result, args.expression, source, superseded),
    // Once Python is ready: a linked state if the page was opened with one, else the current one, live.
    refresh: false,
    onEngine: (now) => { if (now === "ready") (pendingLink ? openLink(pendingLink) : run()); },
  });

  /** Run the current expression at the current values in Python: resolves once an answer sent after this
   * call is drawn. One call is in flight at a time; edits meanwhile are sent together, as the newest state. */
  const run = () => {
    const ranges = sliders.ranges(); // only the ranges the learner set: none, and the build's graph matches
    const args = { expression: expression.text, values: sliders.values() };
    return live.request(Object.keys(ranges).length ? { ...args, ranges } : args);
  };

  function edited() {
    touched = true;
    check.reset();
    return run();
  }

  function show(result, text, source, superseded) {
    if (result.error) {
      root.dataset.state = "error";
      expression.refuse(result.error, text, { now: source !== "python", superseded });
      return; // the last good graph stays, so a typo does not blank the page
    }
    expression.accept(result.normalized);
    // A new expression starts its backward pass at step 0; new values for the same one keep the step.
    if (view.result?.normalized !== result.normalized) stepper.input.value = "0";
    view.result = result;
    sliders.sync(result.variables, superseded);
    root.dataset.expression = result.normalized;
    root.dataset.link = result.link ?? "";
    share.show(result.link);
    root.dataset.state = result.undefined ? "undefined" : "ok";
    undefinedNote.textContent = result.undefined?.message ?? "";
    stepper.input.max = String(Math.max(0, result.backward.length - 1));
    if (touched) writeLink(result.link);
    draw();
  }

  /** Draw the graph, steps and table for the chosen mode (all numbers from the last result). */
  function draw() {
    const result = view.result;
    if (!result) return;
    const hidden = check.hides(view.mode);
    stepControls.hidden = view.mode !== "steps";
    stepText.hidden = view.mode !== "steps";
    let step = null;
    if (view.mode === "steps" && result.backward.length) {
      const index = Math.min(Number(stepper.input.value), result.backward.length - 1);
      step = { ...result.backward[index], index };
      const where = stepLabel("backward", index, result.backward.length - 1);
      stepper.valueText(where);
      setText(stepText, step.text);
      graph.update(result.trace, step);
    } else {
      setText(stepText, view.mode === "steps" ? noBackwardText(result) : "");
      graph.update(result.trace, hidden ? valuesOnly(result.trace) : null, hidden ? null : result.paths);
    }
    check.update(result, view.mode, step);
  }

  /** Why the backward pass has no steps: nothing takes a gradient, or the values do not allow one. */
  function noBackwardText(result) {
    if (result.variables.length === 0) return "The expression has no variables, so there is nothing to step back through.";
    return `There is no backward pass here: ${result.undefined?.message ?? "no gradient can be computed."}`;
  }

  function writeLink(link) {
    try {
      history.replaceState(history.state, "", `#${link}`);
    } catch (error) {
      console.warn("the playground could not put its state in the address:", error.message);
    }
  }

  /** Open a shared link: Python checks it (the same parser and limits); a bad one says why. */
  function openLink(fragment) {
    pendingLink = null;
    return bridge.call("decode_state", { fragment }).then(
      ([linkedExpression, linked, linkedRanges]) => {
        expression.text = linkedExpression;
        sliders.set(linked, linkedRanges);
        touched = true;
        root.scrollIntoView({ block: "start" });
        return run().then(expression.flush);
      },
      // The page stays as it was (and turns live); the alert says why the link was not used.
      (error) => run().then(() => expression.linkRefused(pythonMessage(error))),
    );
  }

  stepper.input.addEventListener("input", draw);
  // On paper: every value and gradient, whichever view the reader chose.
  whenPrinting({
    before: () => {
      const chosen = view.mode;
      view.mode = "all";
      draw();
      view.mode = chosen;
    },
    after: draw,
  });
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith(LINK_PREFIX) && location.hash !== `#${view.result?.link}`) openLink(location.hash);
  });
  live.start(built); // the build's graph; once Python is ready, onEngine asks for the live one
  if (pendingLink && !live.ready) status.textContent += " The linked expression opens once Python is ready.";
  return { element: root, run };
}
