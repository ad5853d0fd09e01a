// A table with a row per node: its value, its gradient and how the backward pass built that gradient.
// The rows (and their explanations, in pieces with the formulas marked) come from
// lesson.steps.gradient_table; the view only lays them out.

import { create } from "d3";
import { changed } from "./changed.js";
import { formatNumber } from "./format.js";

const COLUMNS = ["Node", "Value", "Gradient", "How the gradient is built"];

/** Create a gradient table: {element, update(rows)}. */
export function createGradientTable({ caption = "Each gradient, from the backward pass" } = {}) {
  const wrapper = create("div").attr("class", "gradient-table");
  const table = wrapper.append("table");
  table.append("caption").text(caption);
  const head = table.append("thead").append("tr");
  head.selectAll("th").data(COLUMNS).join("th").attr("scope", "col").text((c) => c);
  const body = table.append("tbody");

  function update(rows) {
    body.selectAll("tr")
      .data(rows, (r) => r.node)
      .join((enter) => {
        const tr = enter.append("tr");
        tr.append("th").attr("scope", "row").append("code");
        // data-label names each cell when a narrow screen stacks the row (widgets.css).
        tr.append("td").attr("class", "value").attr("data-label", COLUMNS[1]);
        tr.append("td").attr("class", "grad").attr("data-label", COLUMNS[2]);
        tr.append("td").attr("class", "how").attr("data-label", COLUMNS[3]);
        return tr;
      })
        .attr("data-row", (r) => r.node)
        // Each cell is written only when its text changes: a slider move changes a few of them.
        .call((tr) => tr.select("th code").filter(changed((r) => r.name)).text((r) => r.name))
        .call((tr) => tr.select("td.value").filter(changed((r) => r.value)).text((r) => formatNumber(r.value)))
        .call((tr) => tr.select("td.grad").filter(changed((r) => r.grad)).text((r) => formatNumber(r.grad)))
        .call((tr) => tr.select("td.how").selectAll("span")
          // Each formula in its own unbreakable span, so a narrow column wraps between pieces, never inside one.
          .data((r) => r.parts)
          .join("span")
          .filter(changed((part) => part))
            .attr("class", (part) => (part.formula === undefined ? null : "formula"))
            .text((part) => part.formula ?? part.text));
  }

  return { element: wrapper.node(), update };
}
