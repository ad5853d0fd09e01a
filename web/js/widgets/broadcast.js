// Widget "broadcast": y = x + b for two shapes the learner picks, on the Tensor engine
// (lesson.broadcasting.broadcast). Forward, each input lines up with y's shape from the right and is
// stretched along the axes where it has size 1 or none; backward, ∂L/∂y is summed back over those
// axes, one _unbroadcast stage at a time, to each input's shape. Following one entry shows where its
// copies went and which upstream gradients add up to its gradient. Until NumPy is ready the pairs
// offered show the build's numbers; other shapes wait for it, saying so.

import { setText } from "../views/changed.js";
import { createArrayView } from "../views/array-view.js";
import { element, inputField, radioGroup, rangeField } from "./controls.js";
import { liveCall } from "./live.js";

const FROM_BUILD = "The pairs of shapes offered show numbers the engine computed when the page was built";
const NOTES = {
  static: `${FROM_BUILD}; shapes of your own run once NumPy is ready in the page.`,
  booting: `Python is starting in the page. ${FROM_BUILD}; shapes of your own run once NumPy is ready.`,
  loading: `NumPy is loading in the page (the Tensor engine needs it). ${FROM_BUILD}; shapes of your own run once it is ready.`,
  ready: "Every number here comes from the Tensor engine, running in Python with NumPy in your browser.",
  failed: `Python could not start here. ${FROM_BUILD}; other shapes cannot be computed.`,
  "numpy-failed": `NumPy could not load here. ${FROM_BUILD}; other shapes cannot be computed.`,
  off: `This copy of the lesson has no NumPy, which the Tensor engine needs. ${FROM_BUILD}; other shapes cannot be computed.`,
};
const INPUTS = ["x", "b"];

/** The key of a setting in the build's table, as lesson.broadcasting.build_key writes it. */
const buildKey = ({ x_shape: x, b_shape: b, upstream }) => `${x}|${b}|${upstream}`;

/** A nested list of numbers as one flat list, in row-major order (a number alone as a list of one). */
const flat = (nested) => [nested].flat(Infinity);

/** Mount the broadcasting widget from lesson.broadcasting.broadcast_start(); live calls go to lesson.broadcasting.broadcast. */
export function mountBroadcast(root, { state, bridge }) {
  root.replaceChildren();
  root.classList.add("widget", "widget-broadcast");

  // The shapes: typed (Enter or Show runs them), or one of the pairs offered.
  const form = element(root, "form", "widget-controls broadcast-shapes");
  form.noValidate = true; // Python checks the shapes: its message says what is wrong
  const fields = Object.fromEntries(INPUTS.map((name) => [name, inputField(form, {
    label: `Shape of ${name}`, className: "shape-field", type: "text", value: state.start[`${name}_shape`],
    size: 9, spellcheck: "false", autocomplete: "off", autocapitalize: "off" }).input]));
  const submit = element(form, "button", null, "Show");
  submit.type = "submit";
  const presets = element(root, "div", "broadcast-presets");
  presets.setAttribute("role", "group");
  presets.setAttribute("aria-label", "Pairs of shapes to try");
  element(presets, "span", "broadcast-presets-label", "Try:").setAttribute("aria-hidden", "true");
  const presetButtons = state.pairs.map((pair) => {
    const button = element(presets, "button", null, `${pair.x} + ${pair.b}`);
    button.type = "button";
    button.addEventListener("click", () => {
      for (const name of INPUTS) fields[name].value = pair[name];
      ask();
    });
    return { button, pair };
  });
  let upstream = state.start.upstream;
  radioGroup(root, {
    legend: "Upstream gradient ∂L/∂y", options: state.upstreams, value: upstream,
    onChange: (value) => { upstream = value; ask(); },
  }).fieldset.classList.add("broadcast-upstream");
  const alert = element(root, "p", "widget-error");
  alert.setAttribute("role", "alert");

  // Follow one entry of x or b through both passes.
  const follow = element(root, "div", "widget-controls broadcast-follow");
  let followed = { input: "b", index: 0 };
  radioGroup(follow, {
    legend: "Follow an entry of", options: INPUTS.map((name) => ({ value: name, label: name })), value: followed.input,
    onChange: (name) => { followed = { input: name, index: 0 }; entry.input.value = "0"; showFollowed(); },
  });
  const entry = rangeField(follow, { label: "Entry", min: 0, max: 0, step: 1, value: 0 });
  entry.input.addEventListener("input", () => { followed = { ...followed, index: Number(entry.input.value) }; showFollowed(); });
  const sum = element(root, "p", "widget-insight broadcast-sum");
  sum.setAttribute("aria-live", "polite");

  // Forward: the inputs, each stretched to y's shape, and y.
  const forward = element(root, "section", "broadcast-pass");
  const forwardTitle = element(forward, "h4", "broadcast-pass-title");
  const forwardRow = element(forward, "div", "array-row");
  const views = {
    x: createArrayView(), b: createArrayView(), "x-stretched": createArrayView(), "b-stretched": createArrayView(), y: createArrayView(),
  };
  for (const view of Object.values(views)) forwardRow.append(view.element);
  const forwardTexts = element(forward, "ul", "broadcast-texts");

  // Backward: per input, ∂L/∂y and each stage of _unbroadcast down to the input's gradient.
  const backward = element(root, "section", "broadcast-pass");
  element(backward, "h4", "broadcast-pass-title", "Backward: ∂L/∂y summed back to each input's shape");
  const paths = Object.fromEntries(INPUTS.map((name) => {
    const path = element(backward, "div", "array-row broadcast-path");
    path.dataset.input = name;
    const upstreamView = createArrayView();
    path.append(upstreamView.element);
    return [name, { path, upstreamView, stages: [], text: element(backward, "p", "broadcast-text") }];
  }));

  let result = null; // the last result drawn that was not refused

  function draw(answer, { args }) {
    Object.assign(root.dataset, { x: args.x_shape, b: args.b_shape, upstream: args.upstream });
    for (const { button, pair } of presetButtons) button.setAttribute("aria-pressed", String(pair.x === args.x_shape && pair.b === args.b_shape));
    if (answer.error) {
      root.dataset.state = "error";
      alert.textContent = answer.error.message;
      for (const name of INPUTS) markField(name, answer.error.field === name || answer.error.field === null);
      return; // the last arrays that worked stay, so a typo does not blank the widget
    }
    root.dataset.state = "ok";
    alert.textContent = "";
    for (const name of INPUTS) markField(name, false);
    result = answer;
    drawArrays(answer);
    showFollowed();
  }

  function markField(name, wrong) {
    if (wrong) fields[name].setAttribute("aria-invalid", "true");
    else fields[name].removeAttribute("aria-invalid");
  }

  function drawArrays(answer) {
    const y = answer.y;
    setText(forwardTitle, `Forward: y = x + b, ${answer.forward_text}`);
    views.y.update({ title: `y = x + b  ${y.shape_text}`, shape: answer.y_shape, values: y.data, node: "y", grad: y.grad, joint: "→" });
    forwardTexts.replaceChildren();
    for (const input of answer.inputs) {
      const { name } = input;
      views[name].update({ title: `${name}  ${input.shape_text}`, shape: input.shape, values: input.data, node: name, grad: input.grad,
        joint: name === "b" ? "+" : "" });
      // An input that already has y's shape is used as it is: no stretched copy to show.
      const stretched = views[`${name}-stretched`];
      stretched.element.hidden = input.stretched_axes.length === 0;
      const afterStretchedX = name === "b" && !views["x-stretched"].element.hidden;
      stretched.update({ title: `${name} stretched to ${y.shape_text}`, shape: answer.y_shape, values: input.stretched,
        kind: "stretched", joint: afterStretchedX ? "+" : "→" });
      element(forwardTexts, "li", null, input.forward_text);

      const path = paths[name];
      // Not stretched: the upstream gradient is the input's gradient as it is.
      const upstreamTitle = input.stages.length ? "∂L/∂y" : `∂L/∂${name} = ∂L/∂y`;
      path.upstreamView.update({ title: `${upstreamTitle}  ${y.shape_text}`, shape: answer.y_shape, values: y.grad, kind: "upstream" });
      for (const view of path.stages) view.element.remove();
      path.stages = input.stages.map((stage, i) => {
        const view = createArrayView();
        const last = i === input.stages.length - 1;
        view.update({ title: last ? `∂L/∂${name}  ${input.shape_text}` : stage.title, shape: stage.shape, values: stage.values, kind: "stage", joint: "→" });
        view.element.dataset.stage = stage.text;
        path.path.append(view.element);
        return view;
      });
      setText(path.text, [input.backward_text, ...input.stages.map((stage) => `Then ${stage.text}.`)].join(" "));
    }
  }

  /** Highlight the followed entry: its copies in the forward pass, the gradients summed into it backward. */
  function showFollowed() {
    if (!result) return;
    const input = result.inputs.find((each) => each.name === followed.input);
    entry.input.max = String(input.positions.length - 1);
    followed.index = Math.min(followed.index, input.positions.length - 1);
    entry.valueText(`${input.name}${input.positions[followed.index]}`);
    root.dataset.follow = `${input.name}${input.positions[followed.index]}`;
    const is = (sources) => { const list = flat(sources); return (i) => list[i] === followed.index; };
    for (const each of result.inputs) {
      const mine = each.name === followed.input;
      const copies = flat(each.original);
      const fromIt = is(each.source);
      views[each.name].mark((i) => (mine && i === followed.index ? "is-followed" : ""));
      views[`${each.name}-stretched`].mark((i) => [copies[i] ? "" : "is-copy", mine && fromIt(i) ? "is-followed" : ""].join(" ").trim());
      const path = paths[each.name];
      path.upstreamView.mark((i) => (mine && fromIt(i) ? "is-followed" : ""));
      path.stages.forEach((view, s) => { const inStage = is(each.stages[s].source); view.mark((i) => (mine && inStage(i) ? "is-followed" : "")); });
    }
    const intoY = is(input.source);
    views.y.mark((i) => (intoY(i) ? "is-followed" : ""));
    setText(sum, input.sums[followed.index]);
  }

  const live = liveCall(root, {
    bridge, name: "broadcast", needs: "numpy", status: element(root, "p", "widget-note"), notes: NOTES, draw,
    shows: "the arrays show", describe: (args) => `${args.x_shape} + ${args.b_shape}`,
    fromBuild: (args) => state.results[buildKey(args)],
  });

  function ask() {
    live.request({ x_shape: fields.x.value, b_shape: fields.b.value, upstream });
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); ask(); });
  for (const field of Object.values(fields)) field.addEventListener("change", ask); // an edit, once the field is left
  live.start({ ...state.start });
  return { element: root };
}
