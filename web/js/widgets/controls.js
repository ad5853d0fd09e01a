// The widgets' form controls: labelled range sliders and radio groups, all native so the keyboard
// works as it does everywhere (arrows, Home/End, Tab), plus how a widget follows Python's state.

import { setText } from "../views/changed.js";

let controls = 0;

/**
 * A unique id for a control, so each <label for> finds its input even with many widgets on a page.
 * Its name part is ASCII letters, digits and "-": an id with a space would make <output for> (a list
 * of ids) point at two controls that do not exist. "Backward step" gives "w12-backward-step".
 */
export const uniqueId = (name) => [`w${++controls}`, slug(name)].filter(Boolean).join("-");

/** "Backward step" -> "backward-step": lower-case ASCII letters and digits joined by "-" ("" if none). */
const slug = (name) => String(name).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

/** Append an element with a class (and text) to `parent`; text always goes in as text. */
export function element(parent, tag, className, text) {
  const node = parent.appendChild(document.createElement(tag));
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Append a <button type="button"> (not a form's submit) with a label and, if given, a tooltip. */
export function button(parent, label, className, title) {
  const node = element(parent, "button", className, label);
  node.type = "button";
  if (title) node.title = title;
  return node;
}

/** A labelled <input> of any type (its accessible name is `label`) in a div of class `className`. */
export function inputField(parent, { label, className, name = label, ...attributes }) {
  const field = element(parent, "div", className);
  const id = uniqueId(name);
  const labelNode = element(field, "label", null, label);
  labelNode.htmlFor = id;
  const input = element(field, "input");
  for (const [key, value] of Object.entries({ id, name, ...attributes })) input.setAttribute(key, String(value));
  return { field, input };
}

/** A labelled slider with an <output> echoing its value. */
export function rangeField(parent, { label, min, max, step, value }) {
  const { field, input } = inputField(parent, { label, className: "range-field", type: "range", min, max, step, value });
  const output = element(field, "output");
  output.htmlFor = input.id;
  output.setAttribute("aria-hidden", "true"); // the slider already announces its value
  /** Show `text` beside the slider, by default its value (written only when it changed: a rewrite costs a relayout). */
  const echo = (text = input.value) => setText(output, text);
  /** Name the slider's value beside it and to screen readers alike (aria-valuetext): "Backward, step 2 of 4". */
  const valueText = (text) => {
    echo(text);
    if (input.getAttribute("aria-valuetext") !== text) input.setAttribute("aria-valuetext", text);
  };
  return { field, input, output, echo, valueText };
}

/** A group of radio buttons in a fieldset; `onChange(value)` fires when the choice changes. */
export function radioGroup(parent, { legend, options, value, onChange }) {
  const fieldset = element(parent, "fieldset", "radio-group");
  element(fieldset, "legend", null, legend);
  const name = uniqueId(legend);
  const inputs = options.map((option) => {
    const label = element(fieldset, "label");
    const input = element(label, "input");
    Object.assign(input, { type: "radio", name, value: option.value, checked: option.value === value });
    input.addEventListener("change", () => input.checked && onChange(option.value));
    label.append(option.label);
    return input;
  });
  return { fieldset, inputs };
}

/** Call `onState(state)` now and whenever the bridge's Python changes state (static|booting|ready|failed). */
export function followPython(bridge, onState) {
  onState(bridge.state ?? "static");
  bridge.addEventListener?.("state", ({ detail }) => onState(detail));
}

/**
 * The message of an error from Python without its class name: "ValueError: lr must be ..." and
 * "lesson.expr.ExprError: ..." read "lr must be ...". Python's traceback stays in the console.
 */
export function pythonMessage(error) {
  const text = String(error?.message ?? error);
  const prefix = /^([A-Za-z_][\w.]*): /.exec(text);
  if (!prefix) return text;
  const name = prefix[1].split(".").pop();
  return name === error?.type || /(Error|Exception)$/.test(name) ? text.slice(prefix[0].length) : text;
}

/** How every stepped view numbers its steps, within their pass: "Backward, step 2 of 4". */
export function stepLabel(phase, index, last) {
  return `${phase === "backward" ? "Backward" : "Forward"}, step ${index} of ${last}`;
}

const FROM_BUILD = "These numbers were computed by the engine when the page was built";
const LIVE_NOTES = {
  static: `${FROM_BUILD}; moving a slider runs it live once Python is ready.`,
  booting: `Python is starting in the page. ${FROM_BUILD}; moving a slider runs it live once Python is ready.`,
  ready: "Each slider move re-runs the engine live, in Python in your browser.",
  failed: "Python could not start here, so the sliders stay at the setting the page was built with.",
};

/** "x = 1, w = 0.5": a setting as its sliders show it. */
const describe = (settings) => Object.entries(settings).map(([name, value]) => `${name} = ${value}`).join(", ");

/**
 * Sliders (in `parent`) for the inputs of a widget's Python function, re-run live through `bridge`.
 * `state` is the build's result of `call`: {sliders: [{name, min, max, step}], settings: {name: value}, ...}.
 * Once Python is ready every move calls `call` with the sliders' values and only the newest answer
 * reaches `draw(result)`; before then only the build's own setting can be drawn, and another one
 * waits for Python, saying so (`data-busy`). `root` gets `data-source="static|python"` and, per
 * slider, the value of the setting drawn (`data-x="2"`); `note` says where the numbers come from.
 */
export function liveSliders(root, parent, note, { bridge, call, state, draw }) {
  const sliders = state.sliders.map((slider) => ({
    name: slider.name, ...rangeField(parent, { label: slider.name, ...slider, value: state.settings[slider.name] }) }));
  const current = () => Object.fromEntries(sliders.map(({ name, input }) => [name, Number(input.value)]));
  const isBuilt = (settings) => sliders.every(({ name }) => settings[name] === state.settings[name]);
  let python = "static";
  let drawn = state.settings;
  let latest = 0; // only the answer to the newest move is drawn
  note.setAttribute("role", "status");
  const say = (text) => setText(note, text);

  /** Record on `root` which setting is drawn and where it came from. */
  function mark(settings, source) {
    drawn = settings;
    root.dataset.source = source;
    for (const [name, value] of Object.entries(settings)) root.dataset[name] = String(value);
  }

  function show(result, source) {
    draw(result);
    mark(result.settings, source);
  }

  function ask(settings, ticket) {
    root.dataset.busy = "true";
    bridge.call(call, settings).then(
      (result) => {
        if (ticket !== latest) return;
        show(result, "python");
        say(LIVE_NOTES.ready);
      },
      (error) => {
        if (ticket === latest) say(`Python did not answer (${pythonMessage(error)}); the graph shows ${describe(drawn)}.`);
      },
    ).finally(() => { if (ticket === latest) delete root.dataset.busy; });
  }

  function onMove() {
    for (const slider of sliders) slider.echo();
    const settings = current();
    const ticket = ++latest;
    if (python === "ready") return ask(settings, ticket);
    if (isBuilt(settings)) {
      delete root.dataset.busy;
      show(state, "static");
      say(LIVE_NOTES[python] ?? LIVE_NOTES.static);
    } else {
      root.dataset.busy = "true";
      const shown = `${describe(drawn)}${root.dataset.source === "static" ? ", from the build" : ""}`;
      say(`${describe(settings)}: computing live once Python is ready; until then the graph shows ${shown}.`);
    }
  }

  for (const { input } of sliders) input.addEventListener("input", onMove);
  for (const slider of sliders) slider.echo();
  mark(state.settings, "static"); // the widget has drawn the build's result already
  followPython(bridge, (now) => {
    const was = python;
    python = now;
    if (now === "failed") {
      for (const { name, input } of sliders) Object.assign(input, { value: String(state.settings[name]), disabled: true });
      onMove();
    } else if (now === "ready" && was !== "ready") onMove(); // the current setting, from live Python
    else if (!root.dataset.busy) say(LIVE_NOTES[now] ?? LIVE_NOTES.static);
  });
}
