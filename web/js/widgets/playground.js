// Widget "playground": any scalar expression the learner types becomes the engine's graph, live.
// Python parses the text (it is never run as Python), builds the graph, runs backward and checks the
// gradients numerically (lesson.playground); this module lays out what comes back and computes nothing.

import { select } from "d3";
import { createGraphView } from "../views/graph.js";
import { attributeText, formatNumber } from "../views/format.js";
import { element, followPython, inputField, pythonMessage, radioGroup, rangeField, stepLabel } from "./controls.js";

const NEW_RANGE = { min: -5, max: 5 }; // a new variable's slider range, which the learner can change
const NOTCHES = 200; // slider positions across a range
const LINK_PREFIX = "#playground?";
const CONTEXT = 24; // characters of the expression shown either side of an error
// A message that fires on every keystroke is noise to a screen reader: a refusal is announced once typing
// pauses this long (or at once on Enter or on leaving the field), while valid input redraws at once.
const ALERT_DELAY_MS = 400;
// A guess is read as the expression field reads a number (lesson.expr), with a sign; nothing else.
const GUESS_NUMBER = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
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
// The table's cells after the variable's name: [class, column heading].
const CELLS = [["value", "Value"], ["grad", "Autograd"], ["numerical", "Numerical"], ["difference", "Difference"], ["guess", "Your guess"]];
const COLUMNS = ["Variable", ...CELLS.map(([, heading]) => heading)];

/** Text with each character outside printable ASCII written as its code point (⟨U+202E⟩), so that an
 * invisible or direction-changing character can neither hide nor reorder what the alert points at. */
function visible(text) {
  return text.replace(/[^\x20-\x7e]/gu, (ch) => (
    "\t\n\r".includes(ch) ? " " : `⟨U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`));
}

/** The expression with the span [start, end) (code points, as Python counts) cut out for highlighting. */
function spanParts(text, start, end) {
  const chars = Array.from(text);
  const from = Math.max(0, start - CONTEXT);
  const shown = Math.min(end, start + 2 * CONTEXT); // a long span (a 100 kB input) is cut too
  const join = (a, b) => visible(chars.slice(a, b).join(""));
  return {
    before: (from > 0 ? "…" : "") + join(from, start),
    marked: join(start, shown) || " ", // an empty span (at the end) still shows where
    after: join(shown, shown + CONTEXT) + (shown + CONTEXT < chars.length ? "…" : ""),
  };
}

/** A snapshot for the graph view that shows every value and hides every gradient (for predicting). */
const valuesOnly = (trace) => ({ phase: "forward", active: [], edges: [], values: trace.order, grads: {}, marked: [] });

/** Mount the playground from lesson.playground.initial_state(); each edit calls lesson.playground.playground. */
export function mountPlayground(root, { state, bridge }) {
  root.replaceChildren();
  root.classList.add("widget", "widget-playground");
  const maxValue = state.max_value; // the largest value Python accepts for a variable

  // The expression, and the alert that points at what is wrong with it. No maxlength: a long paste is
  // refused by the parser, saying how long it is, instead of being cut without a word.
  const form = element(root, "form", "widget-controls");
  const { input: field } = inputField(form, {
    label: "Expression", className: "expression-field", type: "text", value: state.expression,
    size: 36, spellcheck: "false", autocomplete: "off", autocapitalize: "off",
  });
  const alert = element(root, "div", "widget-error playground-alert");
  alert.id = `${field.id}-error`;
  alert.setAttribute("role", "alert");
  const normalized = element(root, "p", "widget-note playground-normalized");

  // One slider per variable, each with an editable range.
  const sliders = element(root, "div", "playground-sliders");
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

  const { wrapper: tableWrapper, table, caption, body, reveal } = checkTable(root);
  const noInputs = element(root, "p", "widget-note playground-no-inputs",
    "The expression has no variables, so there is no gradient to check: every number in it is a constant.");
  const checkNote = element(root, "p", "widget-note playground-check-note");
  const status = element(root, "p", "widget-note");
  status.setAttribute("role", "status");

  const view = { mode: "all", result: null, revealed: false, guesses: new Map() };
  const sliderFor = new Map(); // variable name -> {row, field, input, output, low, high, error}
  const kept = new Map(state.values ? Object.entries(state.values) : []); // values survive a variable's absence
  const ranges = new Map();
  let python = "static";
  let touched = false; // the URL fragment is ours to write only once the learner has used the playground
  let pendingLink = location.hash.startsWith(LINK_PREFIX) ? location.hash : null;
  let inFlight = false; // at most one call to Python at a time: a drag sends the newest values, not every one
  const waiting = []; // resolvers of run() calls the next call answers
  let pendingAlert = null; // {error, text, timer}: a refusal not yet announced

  /** Announce a refusal once typing pauses (ALERT_DELAY_MS), or at once with `now`; not at all when newer
   * edits are already on their way to Python (their answer decides). */
  function showError(error, text, now) {
    cancelAlert();
    root.dataset.state = "error";
    if (now) {
      renderError(error, text);
    } else if (waiting.length === 0) {
      pendingAlert = { error, text, timer: setTimeout(flushAlert, ALERT_DELAY_MS) };
      root.dataset.alertPending = "true";
    }
  }

  /** Forget a refusal not yet announced: typing went on, or the input is good now. */
  function cancelAlert() {
    clearTimeout(pendingAlert?.timer);
    pendingAlert = null;
    delete root.dataset.alertPending;
  }

  /** Announce the refusal waiting for a pause in typing, if there is one, now. */
  function flushAlert() {
    if (!pendingAlert) return;
    const { error, text } = pendingAlert;
    cancelAlert();
    renderError(error, text);
  }

  /** Put a refusal in the alert: its message and the snippet with the offending span marked; mark the field. */
  function renderError({ message, start, end }, text) {
    const { before, marked, after } = spanParts(text, start, end);
    alert.replaceChildren();
    element(alert, "div", null, message);
    // Isolated left to right: the snippet is the learner's own text, whatever direction it would take.
    const code = element(element(alert, "div"), "bdi", "playground-source");
    code.dir = "ltr";
    code.append(before);
    element(code, "mark", null, marked);
    code.append(after);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", alert.id);
    if (view.result) normalized.textContent = `The graph below is still the last expression that could be read: ${view.result.normalized}`;
  }

  /** Say why a shared link was refused, and take the reader there: the link brought them to the playground. */
  function showLinkError(message) {
    alert.replaceChildren();
    element(alert, "div", null, `This link could not be opened: ${message}`);
    alert.tabIndex = -1; // focusable from script only, so Tab order is unchanged
    alert.focus({ preventScroll: true });
    root.scrollIntoView({ block: "start" });
  }

  function clearError() {
    cancelAlert();
    alert.replaceChildren();
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  }

  /** Make the sliders match the result's variables, in order of first appearance; a `stale` result (newer
   * edits are on their way to Python) leaves the values alone, or it would pull a dragged slider back. */
  function syncSliders(variables, stale) {
    const names = variables.map((v) => v.name);
    for (const [name, slider] of sliderFor) {
      if (!names.includes(name)) { slider.row.remove(); sliderFor.delete(name); }
    }
    for (const [i, { name, value }] of variables.entries()) {
      const known = sliderFor.has(name);
      const slider = sliderFor.get(name) ?? addSlider(name, value);
      // Keep them in the expression's order, moving one only when needed: a moved slider loses focus.
      if (sliders.children[i] !== slider.row) sliders.insertBefore(slider.row, sliders.children[i] ?? null);
      if (stale && known) continue;
      kept.set(name, value);
      widenRange(name, value);
      slider.input.value = String(value);
      slider.output.textContent = formatNumber(value);
    }
  }

  /** Stretch a slider's range to hold `value` (one from a link may lie outside it). */
  function widenRange(name, value) {
    const range = ranges.get(name);
    if (range.min <= value && value <= range.max) return;
    applyRange(name, { min: Math.min(range.min, value), max: Math.max(range.max, value) });
  }

  /** Give a variable's slider and its two bound fields the range {min, max}. */
  function applyRange(name, range) {
    ranges.set(name, range);
    const slider = sliderFor.get(name);
    Object.assign(slider.input, { min: range.min, max: range.max, step: (range.max - range.min) / NOTCHES });
    slider.low.value = String(range.min);
    slider.high.value = String(range.max);
    markBound(slider, null);
  }

  function addSlider(name, value) {
    const range = ranges.get(name) ?? { min: Math.min(NEW_RANGE.min, value), max: Math.max(NEW_RANGE.max, value) };
    ranges.set(name, range);
    // A row per variable, wrapping on a narrow screen: the slider, then its two bounds, then what is wrong with one.
    const row = element(sliders, "div", "widget-controls playground-variable");
    row.dataset.variable = name;
    const slider = { row, ...rangeField(row, { label: name, ...range, step: (range.max - range.min) / NOTCHES, value }) };
    const bound = (which) => {
      const { input } = inputField(row, {
        label: which, name: `${name}-${which}`, className: "number-field range-bound", type: "number",
        value: range[which], step: "any", "aria-label": `${name} ${which}`,
      });
      input.addEventListener("change", () => setRange(name, which));
      return input;
    };
    Object.assign(slider, { low: bound("min"), high: bound("max") });
    slider.error = element(row, "p", "widget-error range-error");
    slider.error.id = `${slider.input.id}-range-error`;
    slider.input.addEventListener("input", () => {
      kept.set(name, Number(slider.input.value));
      slider.output.textContent = formatNumber(Number(slider.input.value));
      edited();
    });
    sliderFor.set(name, slider);
    return slider;
  }

  /** Apply the edited bound `which` if both bounds are numbers Python accepts and min < max; else keep the
   * range the slider has and say, on that field, what is wrong. */
  function setRange(name, which) {
    const slider = sliderFor.get(name);
    const input = which === "min" ? slider.low : slider.high;
    const range = { ...ranges.get(name), [which]: Number(input.value) };
    const problem = boundProblem(name, which, input.value, range);
    if (problem) {
      const { min, max } = ranges.get(name);
      (which === "min" ? slider.high : slider.low).value = String(which === "min" ? max : min);
      markBound(slider, input, `${problem}; the slider keeps its range ${formatNumber(min)} to ${formatNumber(max)}.`);
      return;
    }
    applyRange(name, range);
    const value = Math.min(range.max, Math.max(range.min, kept.get(name)));
    if (value !== kept.get(name)) {
      kept.set(name, value);
      edited();
    }
  }

  /** What is wrong with bound `which` of `name` typed as `text` (giving `range`), or null. */
  function boundProblem(name, which, text, range) {
    const value = range[which];
    if (text === "" || !Number.isFinite(value)) return `${name} ${which} must be a number`;
    if (Math.abs(value) > maxValue) {
      return `${name} ${which} must be between ${formatNumber(-maxValue)} and ${formatNumber(maxValue)}, the values a variable can take`;
    }
    if (!(range.min < range.max)) {
      return which === "min" ? `${name} min must be less than ${name} max (${formatNumber(range.max)})`
        : `${name} max must be more than ${name} min (${formatNumber(range.min)})`;
    }
    return null;
  }

  /** Mark one bound field of a slider's row invalid with `message` (and clear the other), or clear both. */
  function markBound(slider, input, message = "") {
    for (const box of [slider.low, slider.high]) {
      if (box === input) {
        box.setAttribute("aria-invalid", "true");
        box.setAttribute("aria-describedby", slider.error.id);
      } else {
        box.removeAttribute("aria-invalid");
        box.removeAttribute("aria-describedby");
      }
    }
    slider.error.textContent = message;
  }

  /** Run the current expression at the current values in Python: resolves once an answer sent after this
   * call is drawn. One call is in flight at a time; edits meanwhile are sent together, as the newest state. */
  function run() {
    const done = new Promise((resolve) => waiting.push(resolve));
    if (!inFlight) send();
    return done;
  }

  function send() {
    inFlight = true;
    root.dataset.busy = "true";
    const answered = waiting.splice(0);
    const text = field.value;
    bridge.call("playground", { expression: text, values: Object.fromEntries(kept) }).then(
      (result) => show(result, text, "python"),
      (error) => { status.textContent = `Python did not answer: ${pythonMessage(error)}`; },
    ).finally(() => {
      inFlight = false;
      for (const resolve of answered) resolve();
      if (waiting.length) send();
      else delete root.dataset.busy;
    });
  }

  function edited() {
    touched = true;
    view.revealed = false;
    view.guesses.clear();
    return run();
  }

  function show(result, text, source) {
    root.dataset.source = source;
    if (result.error) {
      showError(result.error, text, source !== "python");
      return; // the last good graph stays, so a typo does not blank the page
    }
    clearError();
    // A new expression starts its backward pass at step 0; new values for the same one keep the step.
    if (view.result?.normalized !== result.normalized) stepper.input.value = "0";
    view.result = result;
    syncSliders(result.variables, waiting.length > 0);
    normalized.textContent = `Read as: ${result.normalized}`;
    root.dataset.expression = result.normalized;
    root.dataset.link = result.link ?? "";
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
    const hidden = view.mode === "predict" && !view.revealed;
    stepControls.hidden = view.mode !== "steps";
    stepText.hidden = view.mode !== "steps";
    let step = null;
    if (view.mode === "steps" && result.backward.length) {
      const index = Math.min(Number(stepper.input.value), result.backward.length - 1);
      step = { ...result.backward[index], index };
      const where = stepLabel("backward", index, result.backward.length - 1);
      stepper.output.textContent = where;
      stepper.input.setAttribute("aria-valuetext", where);
      stepText.textContent = step.text;
      graph.update(result.trace, step);
    } else {
      stepText.textContent = view.mode === "steps" ? noBackwardText(result) : "";
      graph.update(result.trace, hidden ? valuesOnly(result.trace) : null);
    }
    fillTable(result.variables, hidden, step);
  }

  /** Why the backward pass has no steps: nothing takes a gradient, or the values do not allow one. */
  function noBackwardText(result) {
    if (result.variables.length === 0) return "The expression has no variables, so there is nothing to step back through.";
    return `There is no backward pass here: ${result.undefined?.message ?? "no gradient can be computed."}`;
  }

  /** A row as shown: while predicting, nothing of the gradient; while stepping, the gradient so far (`shownGrad`,
   * null before the step reaches it) and the check only once the gradient is `complete`; else all of it. */
  function shownRow(row, hidden, step) {
    if (hidden) return { ...row, shownGrad: null, complete: false };
    if (!step) return { ...row, shownGrad: row.grad, complete: true };
    const shownGrad = Object.hasOwn(step.grads, row.node) ? step.grads[row.node] : null;
    return { ...row, shownGrad, complete: row.step !== null && step.index >= row.step };
  }

  /** The cells' texts for a shown row ("?" for what is not shown yet). */
  function rowTexts(r) {
    const known = r.agrees === true || r.agrees === false;
    return {
      grad: r.shownGrad === null && !r.complete ? "?" : formatNumber(r.shownGrad),
      numerical: !r.complete ? "?" : r.numerical === null ? "—" : formatNumber(r.numerical),
      difference: !r.complete ? "?" : r.difference === null ? (r.reason ?? "—") : formatNumber(r.difference),
      agreement: r.complete && known ? (r.agrees ? " ✓ agree" : " ✗ differ") : "",
      agrees: r.complete && known ? String(r.agrees) : "",
    };
  }

  /** The table of gradients: autograd beside central differences, and the learner's guesses. */
  function fillTable(variables, hidden, step) {
    const predicting = view.mode === "predict";
    const rows = variables.map((r) => shownRow(r, hidden, step));
    tableWrapper.hidden = rows.length === 0;
    noInputs.hidden = rows.length > 0;
    caption.text(`Each input's gradient ${gradSymbol("v")}: autograd beside central differences`);
    table.classed("is-predicting", predicting);
    // display, not `hidden`: the phone layout sets display on every cell, which would win over it.
    table.selectAll("th.guess").style("display", predicting ? null : "none");
    reveal.hidden = !predicting || view.revealed;
    checkNote.textContent = rows.every((r) => r.complete) ? view.result.check_note ?? "" : "";
    const texts = new Map(rows.map((r) => [r.name, rowTexts(r)]));
    const text = (key) => (r) => texts.get(r.name)[key];
    body.selectAll("tr")
      .data(rows, (r) => r.name)
      .join((enter) => {
        const tr = enter.append("tr");
        tr.append("th").attr("scope", "row").append("code");
        // data-label names each cell when a narrow screen stacks the row (widgets.css).
        for (const [cls, label] of CELLS) tr.append("td").attr("class", cls).attr("data-label", label);
        tr.select("td.difference").append("span").attr("class", "difference-number");
        tr.select("td.difference").append("span").attr("class", "agreement");
        const guess = tr.select("td.guess");
        guess.append("input")
            .attr("type", "text")
            .attr("inputmode", "decimal")
            .attr("size", 8)
            .on("input", function (_, r) { view.guesses.set(r.name, this.value); })
            .on("keydown", (event) => { if (event.key === "Enter") revealGradients(); });
        guess.append("span").attr("class", "guess-result");
        return tr;
      })
        .attr("data-variable", (r) => r.name)
        .attr("data-grad", (r) => attributeText(r.shownGrad))
        .attr("data-numerical", (r) => (r.complete ? attributeText(r.numerical) : ""))
        .attr("data-difference", (r) => (r.complete ? attributeText(r.difference) : ""))
        .attr("data-agrees", text("agrees"))
        .call((tr) => tr.select("th code").text((r) => r.name))
        .call((tr) => tr.select("td.value").text((r) => formatNumber(r.value)))
        .call((tr) => tr.select("td.grad").text(text("grad")))
        .call((tr) => tr.select("td.numerical").text(text("numerical")))
        .call((tr) => tr.select("td.difference .difference-number").text(text("difference")))
        .call((tr) => tr.select("td.difference .agreement").classed("is-off", (r) => r.agrees === false).text(text("agreement")))
        .call((tr) => tr.select("td.guess").style("display", predicting ? null : "none"))
        .call((tr) => tr.select("td.guess input")
            .property("value", (r) => view.guesses.get(r.name) ?? "")
            .attr("aria-label", (r) => `Your guess for ${gradSymbol(r.name)}`))
        .call((tr) => tr.select("td.guess .guess-result").text((r) => guessVerdict(r, hidden)));
  }

  /** "∂f/∂x", with the output's own name (g when a variable is called f). */
  function gradSymbol(name) {
    return `∂${view.result?.trace.output ?? "f"}/∂${name}`;
  }

  /** What to say of the learner's guess beside a revealed gradient: right, right as shown, off by how much, or not a number. */
  function guessVerdict(row, hidden) {
    const guess = view.guesses.get(row.name);
    if (hidden || guess === undefined || guess.trim() === "" || row.grad === null) return "";
    const text = guess.trim().replace(/^\u2212/, "-"); // a typographic minus reads as "-"
    if (!GUESS_NUMBER.test(text)) return " (not a number: type a decimal such as -0.25 or 1e-3)";
    const number = Number(text);
    if (number === row.grad) return " (exactly right)";
    if (formatNumber(number) === formatNumber(row.grad)) return " (right to the digits shown)";
    return ` (off by ${formatNumber(Math.abs(number - row.grad))})`;
  }

  /** Show the gradients held back for predicting (the Reveal button, or Enter in a guess), judging each guess. */
  function revealGradients() {
    if (view.mode !== "predict" || view.revealed) return;
    view.revealed = true;
    draw();
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
      ([expression, linked]) => {
        field.value = expression;
        for (const [name, value] of Object.entries(linked)) kept.set(name, value);
        touched = true;
        root.scrollIntoView({ block: "start" });
        return run().then(flushAlert);
      },
      // The page stays as it was (and turns live); the alert says why the link was not used.
      (error) => run().then(() => showLinkError(pythonMessage(error))),
    );
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); edited().then(flushAlert); });
  // A keystroke restarts the wait for a pause: the refusal of a text already typed over is never announced.
  field.addEventListener("input", () => { cancelAlert(); edited(); });
  field.addEventListener("blur", flushAlert);
  stepper.input.addEventListener("input", draw);
  reveal.addEventListener("click", revealGradients);
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith(LINK_PREFIX) && location.hash !== `#${view.result?.link}`) openLink(location.hash);
  });
  followPython(bridge, (now) => {
    python = now;
    status.textContent = SOURCES[now] ?? SOURCES.static;
    if (now === "ready") (pendingLink ? openLink(pendingLink) : run()); // redraw from live Python
  });

  show(state.result, state.expression, "static");
  if (pendingLink) status.textContent = `${SOURCES[python] ?? ""} The linked expression opens once Python is ready.`;
  return { element: root, run };
}

/** The gradient table's frame: a caption, column heads and the Reveal button for predictions. */
function checkTable(root) {
  const wrapper = select(root).append("div").attr("class", "gradient-table playground-table");
  const table = wrapper.append("table");
  const caption = table.append("caption");
  table.append("thead").append("tr")
    .selectAll("th")
    .data(COLUMNS)
    .join("th")
      .attr("scope", "col")
      .attr("class", (c) => (c === "Your guess" ? "guess" : null))
      .text((c) => c);
  const body = table.append("tbody");
  const reveal = element(wrapper.node(), "button", "playground-reveal", "Reveal the gradients");
  reveal.type = "button";
  return { wrapper: wrapper.node(), table, caption, body, reveal };
}
