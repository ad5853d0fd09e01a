// The widgets' form controls: labelled range sliders and radio groups, all native so the keyboard
// works as it does everywhere (arrows, Home/End, Tab).

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

/** How every stepped view numbers its steps, within their pass: "Backward, step 2 of 4". */
export function stepLabel(phase, index, last) {
  return `${phase === "backward" ? "Backward" : "Forward"}, step ${index} of ${last}`;
}
