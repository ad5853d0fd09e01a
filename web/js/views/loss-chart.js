// A line chart of training losses, one point per step, on a linear or a log scale. Draws the engine's
// numbers as given.
//
//   const chart = createLossChart({ title: "Loss during training" });
//   parent.append(chart.element);
//   chart.update(history);   // [{step, loss}, ...] from lesson.widgets.neuron_training
//   chart.setScale("log");   // or "linear"
//   chart.setTitle("Loss decreasing during training");
//
// Each point is <circle data-step data-loss> with the exact loss as text.

import { axisBottom, axisLeft, create, extent, line, max, range, scaleLinear, scaleLog } from "d3";
import { attributeText, formatNumber, numberFormat } from "./format.js";

const HEIGHT = 260;
const MARGIN = { top: 16, right: 18, bottom: 44, left: 64 };
const MIN_WIDTH = 280;
const LOG_FLOOR = 1e-300; // a loss of exactly 0 has no place on a log axis: drawn at the bottom edge

/** Integer steps to tick: every step when few, else about one per `room` px, always including 0. */
function stepTicks(last, width) {
  const every = Math.max(1, Math.ceil(last / Math.max(1, Math.floor(width / 60))));
  return range(0, last + 1, every);
}

/** Ticks for the y axis: about 5 on a linear scale; powers of ten on a log one, at most 6 of them. */
function lossTicks(kind, y) {
  if (kind !== "log") return y.ticks(5);
  const [low, high] = y.domain().map(Math.log10);
  const every = Math.max(1, Math.ceil((high - low) / 5));
  return range(Math.ceil(low), Math.floor(high) + 1, every).map((power) => 10 ** power);
}

/** The y scale: linear from 0, or log between the smallest and largest positive losses (a decade at least). */
function lossScale(kind, losses) {
  const bottom = HEIGHT - MARGIN.bottom;
  if (kind === "log") {
    const [low, high] = extent(losses.filter((loss) => loss > 0));
    const top = high ?? 1;
    return scaleLog([Math.min(low ?? top, top / 10), top], [bottom, MARGIN.top]).nice().clamp(true);
  }
  return scaleLinear([0, (max(losses) || 1) * 1.1], [bottom, MARGIN.top]).nice();
}

/** Create a loss chart: {element, update(history), setScale(kind), setTitle(text)}; it redraws at its container's width. */
export function createLossChart({ title = "Loss during training", label = "Loss per training step" } = {}) {
  const figure = create("figure").attr("class", "loss-chart");
  const caption = figure.append("figcaption").attr("class", "loss-chart-title").text(title);
  const svg = figure.append("svg").attr("role", "img").attr("aria-label", label);
  const grid = svg.append("g").attr("class", "grid");
  const xAxis = svg.append("g").attr("class", "axis axis-x");
  const yAxis = svg.append("g").attr("class", "axis axis-y");
  const xTitle = svg.append("text").attr("class", "axis-title").text("Training step");
  const yTitle = svg.append("text").attr("class", "axis-title");
  const path = svg.append("path").attr("class", "loss-line");
  const points = svg.append("g").attr("class", "points");
  let current = null;
  let scale = "linear";
  // The container's width as the ResizeObserver last reported it (0 until laid out: drawn 600 px wide
  // meanwhile). Reading clientWidth in update() instead forced a layout of the page on every redraw.
  let measured = 0;

  function update(history) {
    current = history;
    const width = Math.max(MIN_WIDTH, measured || 600);
    const last = Math.max(0, history.length - 1);
    const x = scaleLinear([0, Math.max(1, last)], [MARGIN.left, width - MARGIN.right]);
    const y = lossScale(scale, history.map((d) => d.loss));
    const yTicks = lossTicks(scale, y);

    svg.attr("viewBox", `0 0 ${width} ${HEIGHT}`).attr("data-scale", scale);
    // Horizontal grid lines behind the data, then the axes and their titles.
    grid.attr("transform", `translate(${MARGIN.left},0)`)
        .call(axisLeft(y).tickValues(yTicks).tickSize(-(width - MARGIN.left - MARGIN.right)).tickFormat(""))
        .call((g) => g.select(".domain").remove());
    xAxis.attr("transform", `translate(0,${HEIGHT - MARGIN.bottom})`)
        .call(axisBottom(x).tickValues(stepTicks(last, width)).tickFormat(numberFormat("d")));
    yAxis.attr("transform", `translate(${MARGIN.left},0)`)
        .call(axisLeft(y).tickValues(yTicks).tickFormat(numberFormat(scale === "log" ? ".0e" : ".2~g")));
    xTitle.attr("x", (MARGIN.left + width - MARGIN.right) / 2).attr("y", HEIGHT - 8);
    yTitle.text(scale === "log" ? "Loss (log scale)" : "Loss")
        .attr("transform", `translate(16,${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)`);

    // The losses as a line with a dot per step; each dot's title gives the step and its loss.
    const yOf = (d) => y(scale === "log" ? Math.max(d.loss, LOG_FLOOR) : d.loss);
    path.datum(history).attr("d", line((d) => x(d.step), yOf));
    points.selectAll("circle")
      .data(history, (d) => d.step)
      .join((enter) => enter.append("circle").attr("r", 3.5).call((c) => c.append("title")))
        .attr("cx", (d) => x(d.step))
        .attr("cy", yOf)
        .attr("data-step", (d) => d.step)
        .attr("data-loss", (d) => attributeText(d.loss))
        .call((c) => c.select("title").text((d) => `step ${d.step}: loss ${formatNumber(d.loss)}`));
  }

  function setScale(kind) {
    scale = kind;
    if (current) update(current);
  }

  const setTitle = (text) => caption.text(text);

  // Redraw at the width the container is laid out at, and again whenever it changes. Reported after
  // layout and before paint, so the first frame shows the chart at its real width.
  new ResizeObserver(([entry]) => {
    const width = entry.contentRect.width;
    if (width === measured) return;
    measured = width;
    if (current) update(current);
  }).observe(figure.node());
  return { element: figure.node(), update, setScale, setTitle };
}
