// The playground's sliders: one per variable of the expression, in order of first appearance, each with
// a range the learner can edit. A bound Python would refuse is refused at its own field, and the slider
// keeps its range.

import { formatNumber } from "../../views/format.js";
import { element, inputField, rangeField } from "../controls.js";

const NEW_RANGE = { min: -5, max: 5 }; // a new variable's slider range, which the learner can change
const NOTCHES = 200; // slider positions across a range

/**
 * The sliders, appended to `root`, starting from `values` ({name: value}); `maxValue` is the largest value
 * Python accepts for a variable. `onEdit()` runs when the learner changes a value (by its slider) or a
 * range. A variable's value and range survive its absence from the expression.
 * Returns {sync(variables, stale), values() ({name: value}), ranges() ({name: [min, max]}, the ones set by
 * the learner or a link, for the link), set(values, ranges)}.
 */
export function createVariableSliders(root, { values, maxValue, onEdit }) {
  const sliders = element(root, "div", "playground-sliders");
  const sliderFor = new Map(); // variable name -> {row, field, input, output, low, high, error}
  const kept = new Map(values ? Object.entries(values) : []);
  const ranges = new Map();
  const chosen = new Set(); // variables whose range the learner (or a link) set: the link keeps those

  /** Make the sliders match the result's variables, in order of first appearance; a `stale` result (newer
   * edits are on their way to Python) leaves the values alone, or it would pull a dragged slider back. */
  function sync(variables, stale) {
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
      slider.echo(formatNumber(value));
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
      slider.echo(formatNumber(Number(slider.input.value)));
      onEdit();
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
    chosen.add(name);
    kept.set(name, Math.min(range.max, Math.max(range.min, kept.get(name))));
    onEdit(); // a new value, or at least a new link
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

  return {
    sync,
    values: () => Object.fromEntries(kept),
    ranges: () => Object.fromEntries([...chosen].map((name) => [name, [ranges.get(name).min, ranges.get(name).max]])),
    /** Take a link's values and ranges (both checked by Python's decode_state). */
    set(linked, linkedRanges = {}) {
      for (const [name, value] of Object.entries(linked)) kept.set(name, value);
      for (const [name, [min, max]] of Object.entries(linkedRanges)) {
        chosen.add(name);
        if (sliderFor.has(name)) applyRange(name, { min, max });
        else ranges.set(name, { min, max });
      }
    },
  };
}
