// An array drawn entry by entry, laid out as NumPy prints it: a single cell for a number, a row for
// a 1-D array, rows for 2-D, and for 3-D a block of rows per index of the first axis. It draws what
// it is given and computes nothing.
//
//   const view = createArrayView();
//   parent.append(view.element);
//   view.update({ title: "b  (4,)", shape: [4], values: [10, 20, 30, 40], node: "b", joint: "+" });
//   view.mark((index) => (index === 2 ? "is-followed" : ""));   // classes per entry, by flat index
//
// The figure carries data-shape, data-value (JSON) and, when given, data-node and data-grad, so tests
// and tools read the exact numbers.

import { create } from "d3";
import { setText } from "./changed.js";
import { attributeText, formatNumber } from "./format.js";

/** The entries as blocks of rows, each entry {value, index} with its flat (row-major) index. */
function blocksOf(values, shape) {
  const flat = shape.length === 0 ? [values] : values.flat(shape.length - 1);
  const columns = shape.at(-1) ?? 1;
  const rows = shape.length >= 2 ? shape.at(-2) : 1;
  const blocks = shape.length === 3 ? shape[0] : 1;
  return Array.from({ length: blocks }, (_, b) => Array.from({ length: rows }, (_, r) =>
    Array.from({ length: columns }, (_, c) => {
      const index = (b * rows + r) * columns + c;
      return { value: flat[index], index };
    })));
}

/**
 * Create an array view: {element, update({title, shape, values, node?, grad?, kind?, joint?}), mark(classes)}.
 * `joint` is the sign that links it to the array drawn before it ("+", "→"), written before its title.
 */
export function createArrayView() {
  const figure = create("figure").attr("class", "array-view");
  const caption = figure.append("figcaption");
  const joint = caption.append("span").attr("class", "joint").attr("aria-hidden", "true");
  const titleText = caption.append("span");
  const body = figure.append("div").attr("class", "array-blocks");
  let classes = () => "";

  function update({ title, shape, values, node = null, grad = null, kind = "value", joint: sign = "" }) {
    setText(joint.node(), sign);
    setText(titleText.node(), title);
    figure
        .attr("data-node", node)
        .attr("data-shape", JSON.stringify(shape))
        .attr("data-value", attributeText(values))
        .attr("data-grad", grad === null ? null : attributeText(grad))
        .attr("data-kind", kind);
    const blocks = blocksOf(values, shape);
    // A 3-D array names its blocks by their index on the first axis, as NumPy's [0], [1].
    body.selectAll("table")
      .data(blocks)
      .join((enter) => {
        const table = enter.append("table");
        table.append("caption");
        table.append("tbody");
        return table;
      })
        .attr("aria-label", (_, b) => (shape.length === 3 ? `${title}, block [${b}]` : null))
      .call((tables) => tables.select("caption").text((_, b) => (shape.length === 3 ? `[${b}]` : "")))
      .select("tbody").selectAll("tr")
      .data((block) => block)
      .join("tr")
      .selectAll("td")
      .data((row) => row, (cell) => cell.index)
      .join("td")
        .attr("data-index", (cell) => cell.index)
        .text((cell) => formatNumber(cell.value));
    mark(classes);
  }

  /** Give each entry the classes `next(flatIndex)` returns (a followed entry, a stretched copy). */
  function mark(next) {
    classes = next;
    body.selectAll("td").attr("class", (cell) => classes(cell.index) || null);
  }

  return { element: figure.node(), update, mark };
}
