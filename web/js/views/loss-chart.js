// A line chart of training losses, one point per step. Draws the engine's numbers as given.
//
//   const chart = createLossChart({ label: "Loss per training step" });
//   parent.append(chart.element);
//   chart.update(history);   // [{step, loss}, ...] from lesson.widgets.neuron_training
//
// Each point is <circle data-step data-loss> with the exact loss as text.

import { axisBottom, axisLeft, create, format, line, max, scaleLinear } from "d3";
import { attributeText, formatNumber } from "./format.js";

const HEIGHT = 260;
const MARGIN = { top: 16, right: 18, bottom: 44, left: 64 };
const MIN_WIDTH = 280;

/** Create a loss chart: {element, update(history)}; it redraws at its container's width. */
export function createLossChart({ label = "Loss per training step" } = {}) {
  const figure = create("figure").attr("class", "loss-chart");
  const svg = figure.append("svg").attr("role", "img").attr("aria-label", label);
  const grid = svg.append("g").attr("class", "grid");
  const xAxis = svg.append("g").attr("class", "axis axis-x");
  const yAxis = svg.append("g").attr("class", "axis axis-y");
  const xTitle = svg.append("text").attr("class", "axis-title").text("Training step");
  const yTitle = svg.append("text").attr("class", "axis-title").text("Loss");
  const path = svg.append("path").attr("class", "loss-line");
  const points = svg.append("g").attr("class", "points");
  let current = null;

  function update(history) {
    current = history;
    const width = Math.max(MIN_WIDTH, figure.node().clientWidth || 600);
    const x = scaleLinear([0, Math.max(1, history.length - 1)], [MARGIN.left, width - MARGIN.right]);
    const y = scaleLinear([0, (max(history, (d) => d.loss) || 1) * 1.1], [HEIGHT - MARGIN.bottom, MARGIN.top]).nice();
    const xTicks = Math.min(history.length - 1, Math.floor(width / 60));

    svg.attr("viewBox", `0 0 ${width} ${HEIGHT}`);
    // Horizontal grid lines behind the data, then the axes and their titles.
    grid.attr("transform", `translate(${MARGIN.left},0)`)
        .call(axisLeft(y).ticks(5).tickSize(-(width - MARGIN.left - MARGIN.right)).tickFormat(""))
        .call((g) => g.select(".domain").remove());
    xAxis.attr("transform", `translate(0,${HEIGHT - MARGIN.bottom})`)
        .call(axisBottom(x).ticks(xTicks).tickFormat(format("d")));
    yAxis.attr("transform", `translate(${MARGIN.left},0)`)
        .call(axisLeft(y).ticks(5).tickFormat(format(".2~g")));
    xTitle.attr("x", (MARGIN.left + width - MARGIN.right) / 2).attr("y", HEIGHT - 8);
    yTitle.attr("transform", `translate(16,${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)`);

    // The losses as a line with a dot per step; each dot's title gives the step and its loss.
    path.datum(history).attr("d", line((d) => x(d.step), (d) => y(d.loss)));
    points.selectAll("circle")
      .data(history, (d) => d.step)
      .join((enter) => enter.append("circle").attr("r", 3.5).call((c) => c.append("title")))
        .attr("cx", (d) => x(d.step))
        .attr("cy", (d) => y(d.loss))
        .attr("data-step", (d) => d.step)
        .attr("data-loss", (d) => attributeText(d.loss))
        .call((c) => c.select("title").text((d) => `step ${d.step}: loss ${formatNumber(d.loss)}`));
  }

  new ResizeObserver(() => current && update(current)).observe(figure.node());
  return { element: figure.node(), update };
}
