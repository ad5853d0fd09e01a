// The computational graph view: draws a trace from the engine (and optionally one step of it) by
// depth, left to right, or top to bottom where its column is too narrow for that (a phone). It draws
// what it is given and never computes a value or a gradient.
//
//   const view = createGraphView({ label: "c = (a + b) * b" });
//   parent.append(view.element);
//   view.update(trace);          // every value and final gradient
//   view.update(trace, step);    // one snapshot from lesson.steps: revealed values, running gradients
//   view.update(trace, null, paths); // every value and gradient, with lesson.steps.accumulation(trace):
//                                    // the paths into a node used several times labelled, and their sum
//
// Each node is <g data-node=ID data-value data-grad> with the exact numbers as text (JSON for
// arrays, "" where not shown or not defined), so tests and tools can read the page.
//
// Text never shrinks below MIN_SCALE of its size: a graph wider than its column at that scale is
// drawn top to bottom (<svg data-direction="down">) if that is narrower, and what is still too wide
// keeps its size and scrolls sideways inside the view (focusable, so arrow keys scroll it), with a hint
// saying so; stepping scrolls the step's nodes into view.

import { create, select } from "d3";
import { changed, differs, setText } from "./changed.js";
import { attributeText, formatLines } from "./format.js";
import { edgeGeometry, edgeKey, layoutGraph, placeLabels } from "./graph-layout.js";
import { markScrollRegion } from "./scroll-region.js";

const CHAR = { name: 8, text: 7.3 }; // px per character, for sizing boxes before they are drawn
const MIN_SCALE = 0.85; // 12 px text drawn at 10 px at the least: below that a graph scrolls instead
const BADGE_GAP = 14; // px between a node's centred name and its op badge (was 9 in compact boxes: "f tanh" read as one)
const LABEL_BASELINE = 4; // px from an edge label's centre down to its baseline (12 px text)
const REVEAL_MARGIN = 12; // px kept between a scrolled-to node and the scroller's edge
const MARK_OUTSIDE = 2; // px the update badge's centre sits outside its box (within the drawing's 9 px margin)
const COMPACT_FROM = 15; // nodes: a graph this big gets tighter boxes and gaps
// Box and spacing metrics: roomy for the lesson's small graphs, compact for big playground ones.
// gapAlong is the room between layers, per direction: between two columns an edge label needs its
// width (48 px holds a backward step's "+0.25" clear of both boxes), between two rows only its height.
const METRICS = {
  roomy: { line: 15, pad: { x: 10, y: 8 }, minWidth: 84, gapAcross: 26, gapAlong: { right: 48, down: 40 } },
  compact: { line: 14, pad: { x: 6, y: 4 }, minWidth: 52, gapAcross: 12, gapAlong: { right: 30, down: 30 } },
};
const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
let views = 0;

/** The gradient a node shows: the step's running one when stepping, else the trace's final one. */
function shownGrad(node, step) {
  if (node.kind === "const") return null;
  if (!step) return node.grad;
  return Object.hasOwn(step.grads, node.id) ? step.grads[node.id] : null;
}

/** Whether a node's value is shown: always without a step, else once the step has revealed it. */
const valueShown = (node, step) => !step || step.values.includes(node.id);

/** Whether a node has no value (log(0), 1/0, overflow: the engine gave none, with the reason in `note`). */
const isUndefined = (node) => node.data === null;

/** Whether a node is where the graph stops being defined: the one the others' `cause` names. */
const isCause = (node) => node.cause === node.id;

/**
 * The text lines of a node: its name (and a tensor's shape), then its value, then its gradient (a row per matrix row),
 * then, where several paths' shares add up to it, their `sum` ("= 3 + 3"). A compact graph leaves out a constant's
 * "no gradient" line: its dashed box already says so.
 */
function nodeLines(node, step, compact, sum) {
  const named = node.label || (node.kind === "const" ? "constant" : node.symbol);
  const name = node.shape?.length ? `${named} (${node.shape.join("×")})` : named; // a tensor says its shape
  const shown = valueShown(node, step);
  const value = formatLines(node.data);
  const valueLines = value.map((text, i) => ({ cls: "value", text: shown ? (i ? "  " : "= ") + text : i ? "" : "= ?" }));
  let gradLines;
  if (node.kind === "const") {
    gradLines = compact ? [] : [{ cls: "grad none", text: "no gradient" }];
  } else if (!step && node.note && !isUndefined(node) && node.grad === null) {
    // A value without a gradient, for a reason (its derivative is infinite there): say so on the box.
    gradLines = [{ cls: "grad undefined", text: "grad undefined" }];
  } else {
    const grad = shownGrad(node, step);
    const rows = Array.isArray(node.data) ? value.length : 1;
    const text = grad === null || grad === undefined ? [] : formatLines(grad);
    gradLines = Array.from({ length: rows }, (_, i) => ({
      cls: "grad", text: text[i] === undefined ? "" : (i ? "       " : "grad ") + text[i] }));
  }
  const sumLines = sum ? [{ cls: "grad sum", text: sum }] : [];
  return [{ cls: "name", text: name }, ...valueLines, ...gradLines, ...sumLines];
}

/** A box just big enough for the node's lines (sized from character counts so layout is stable). */
function boxSize(node, lines, metrics) {
  const { pad } = metrics;
  const [name, ...rest] = lines.map((line) => line.text.length * (line.cls === "name" ? CHAR.name : CHAR.text));
  // The name is centred and the op badge sits in the top-right corner, pad.x / 2 from the border: room
  // for the badge and a gap on each side of the name (compact boxes, padded less, had the badge touch it).
  const badge = node.label && node.op ? node.symbol.length * CHAR.text + pad.x / 2 + BADGE_GAP : pad.x;
  const width = Math.max(metrics.minWidth, name + 2 * badge, ...rest.map((text) => text + 2 * pad.x));
  return { width, height: lines.length * metrics.line + 2 * pad.y };
}

/** Left to right, unless that would not fit `room` at MIN_SCALE and top to bottom would scroll less (or not at all). */
function bestDirection(widths, room) {
  const overflow = (width) => Math.max(0, width * MIN_SCALE - room);
  if (!room || overflow(widths.right) <= 1) return "right";
  return overflow(widths.down) < overflow(widths.right) ? "down" : "right";
}

/** The shape of a graph: its nodes and edges, whatever their numbers. */
const structureOf = (trace) => `${trace.order}|${trace.edges.map(edgeKey)}`;

/**
 * Create a graph view: {element, update(trace, step?, paths?)}. A stepped graph's `paths` is {sums}: every
 * sum its steps will show, so each box is sized for it from the start. `label` names the picture for screen readers;
 * `gapAlong` is the room between layers in a roomy graph, if not METRICS' (more for a tiny graph whose
 * edges are the point).
 */
export function createGraphView({ label = "Computational graph", gapAlong = null } = {}) {
  const uid = `graph${++views}`;
  const figure = create("figure").attr("class", "graph-view");
  // The scroller holds the drawing; when the graph is wider than the column it scrolls sideways.
  const scroller = figure.append("div").attr("class", "graph-scroll");
  const svg = scroller.append("svg").attr("role", "img").attr("aria-label", label);
  const hint = figure.append("p").attr("class", "graph-hint").attr("hidden", "")
      .text("The graph is wider than the page: scroll it sideways, or focus it and use the arrow keys.");
  const defs = svg.append("defs");
  for (const kind of ["plain", "value", "grad"]) {
    defs.append("marker")
        .attr("id", `${uid}-${kind}`)
        .attr("class", `arrow arrow-${kind}`)
        .attr("viewBox", "0 -5 10 10")
        .attr("refX", 9)
        .attr("markerUnits", "userSpaceOnUse") // the same size on thick (lit) and thin edges
        .attr("markerWidth", 9)
        .attr("markerHeight", 9)
        .attr("orient", "auto-start-reverse")
      .append("path")
        .attr("d", "M0,-5L10,0L0,5Z");
  }
  const edgeLayer = svg.append("g").attr("class", "edges");
  const labelLayer = svg.append("g").attr("class", "edge-labels");
  const nodeLayer = svg.append("g").attr("class", "nodes");
  let size = null; // the drawing's own {width, height}, in px at scale 1
  // The column's width as the ResizeObserver last reported it (0 until laid out: drawn at scale 1).
  // Reading clientWidth in update() instead forced a layout of the page after every slider move.
  let room = 0;
  let previous = null; // the layout drawn last
  // Box sizes only grow while the graph stays the same; `version` counts the times one grew.
  let boxes = { structure: "", sizes: new Map(), version: 0 };
  // The layouts (and, once drawn, their edges' paths) of the shape drawn last at its sizes, per direction.
  let laidOut = { key: "", byDirection: new Map() };
  // Both directions' widths for the graph's shape, measured once when the shape is new: the direction
  // then follows the column's width alone, so a slider drag never turns the graph.
  let shape = { structure: "", widths: null };
  let direction = "right"; // the direction drawn last
  let drawn = null; // {trace, step} drawn last, redrawn when a new column width wants the other direction
  let fitted = { key: "", scale: 1, scrolls: false }; // the size, scale and scrolling fit() last applied
  let revealed = ""; // the step's nodes last scrolled into view

  /**
   * Box sizes that hold still: each fits the node fully revealed (final value, gradient and the sum of
   * its paths, `finalSums`) and as shown now, and never shrinks while the graph keeps its shape, so
   * stepping or dragging a slider back and forth does not shuffle the layout.
   */
  function stableSizes(trace, step, structure, lines, metrics, compact, finalSums) {
    if (structure !== boxes.structure) boxes = { structure, sizes: new Map(), version: boxes.version };
    for (const node of trace.nodes) {
      const now = boxSize(node, lines.get(node.id), metrics);
      // Fully revealed, with the sum a stepped node shows once its last path arrives.
      const full = step ? boxSize(node, nodeLines(node, null, compact, finalSums[node.id]), metrics) : now;
      const before = boxes.sizes.get(node.id);
      const width = Math.max(now.width, full.width, before?.width ?? 0);
      const height = Math.max(now.height, full.height, before?.height ?? 0);
      if (width === before?.width && height === before.height) continue;
      boxes.sizes.set(node.id, { width, height });
      boxes.version++;
    }
    return boxes.sizes;
  }

  /**
   * The layout of the graph's shape in `direction` ({layout, edges}, `edges` null until drawn): made
   * once per `key` (the shape, the box sizes' version, compactness) and direction, the only things it
   * depends on, so a slider move or a step reuses it.
   */
  function layoutFor(trace, key, sizes, spacing, direction) {
    if (key !== laidOut.key) laidOut = { key, byDirection: new Map() };
    if (!laidOut.byDirection.has(direction)) laidOut.byDirection.set(direction, { layout: layoutGraph(trace, sizes, spacing(direction)), edges: null });
    return laidOut.byDirection.get(direction);
  }

  /** The widths of the graph drawn left to right and top to bottom (`width(direction)`), measured once per shape. */
  function directionWidths(structure, width) {
    if (structure !== shape.structure) shape = { structure, widths: { right: width("right"), down: width("down") } };
    return shape.widths;
  }

  /** Scale the drawing to its column, never below MIN_SCALE: wider than that, it scrolls, and says so. */
  function fit() {
    if (!size) return;
    const scale = room ? Math.min(1, Math.max(MIN_SCALE, room / size.width)) : 1;
    const scrolls = room > 0 && size.width * scale > room + 1;
    const key = `${size.width}x${size.height} ${scale} ${scrolls} ${room > 0}`;
    if (key === fitted.key) return;
    fitted = { key, scale, scrolls };
    svg.style("width", `${size.width * scale}px`).style("height", `${size.height * scale}px`);
    figure.attr("data-scale", scale.toFixed(3)).classed("is-scrolling", scrolls);
    // Until the column is measured the drawing may overflow it: reachable from the keyboard meanwhile,
    // as scroll-region.js does for boxes not laid out yet, so no moment has a scroller Tab cannot reach.
    markScrollRegion(scroller.node(), scrolls || !room, `${label} (scrolls sideways)`);
    hint.attr("hidden", scrolls ? null : "");
  }

  /**
   * Scroll the graph's own scroller (never the page) so a new step's nodes are in view: all of them if
   * they fit, else the node the step is at. Only when the step's nodes change, so a learner who
   * scrolled away while dragging a slider is left where they are.
   */
  function reveal(ids, layout, sizes) {
    const key = `${layout.direction} ${ids}`;
    if (key === revealed || !ids.length) return;
    revealed = key;
    if (!fitted.scrolls) return;
    const span = (list) => {
      const ends = list.flatMap((id) => [-1, 1].map((side) => layout.positions.get(id).x + (side * sizes.get(id).width) / 2));
      return [Math.min(...ends) * fitted.scale - REVEAL_MARGIN, Math.max(...ends) * fitted.scale + REVEAL_MARGIN];
    };
    let [left, right] = span(ids);
    if (right - left > room) [left, right] = span(ids.slice(0, 1));
    const now = scroller.node().scrollLeft;
    if (left >= now && right <= now + room) return;
    const to = left < now || right - left > room ? left : right - room;
    scroller.node().scrollTo({ left: Math.max(0, to), behavior: reducedMotion.matches ? "auto" : "smooth" });
  }

  /** Draw `trace` (at `step`, or with every gradient and its `paths`); `glides` lets boxes glide to a new
   * layout (not when a resize turns the graph). */
  function draw(trace, step, paths, glides) {
    const compact = trace.nodes.length >= COMPACT_FROM;
    const metrics = compact ? METRICS.compact : METRICS.roomy;
    const spacing = (d) => ({ direction: d, gapAlong: (!compact && gapAlong) || metrics.gapAlong[d], gapAcross: metrics.gapAcross });
    const structure = structureOf(trace);
    // The sums shown: the step's (a node whose last path it completes), or, without a step, all of them.
    const sums = (step ? step.sums : paths?.sums) ?? {};
    const lines = new Map(trace.nodes.map((node) => [node.id, nodeLines(node, step, compact, sums[node.id])]));
    const sizes = stableSizes(trace, step, structure, lines, metrics, compact, { ...sums, ...paths?.sums });
    const laid = (d) => layoutFor(trace, `${structure}|${boxes.version}|${compact}`, sizes, spacing, d);
    direction = bestDirection(directionWidths(structure, (d) => laid(d).layout.width), room);
    drawn = { trace, step, paths };
    const plan = laid(direction); // measuring the widths laid it out already when the shape is new
    const { layout } = plan;
    const active = new Set(step?.active ?? []);
    const activeEdges = new Set((step?.edges ?? []).map(edgeKey));
    // Python's words beside an edge (lesson.steps): a backward step's share ("+3", "path 2: 3"; none for a
    // matrix, which is on the node itself), or, without a step, each path's share into a node used twice.
    const labelledEdges = step ? (step.phase === "backward" ? step.edges : []) : (paths?.edges ?? []);
    const texts = new Map(labelledEdges.filter((e) => e.label).map((e) => [edgeKey(e), e.label]));
    const backward = step?.phase === "backward";
    const marked = new Set(step?.marked ?? []);
    // Glide only when the layout changed and moved a box (a new graph): a slider drag keeps the layout,
    // and animating nothing would cost the main thread every frame. Attributes land in the DOM at once,
    // and a glide still running is cut short, or it would carry on over them.
    const relaid = layout !== previous;
    const glide = glides && previous !== null && relaid && moves(previous, layout) && !reducedMotion.matches;
    previous = layout;
    const move = (selection) => (glide ? selection.transition().duration(250) : selection.interrupt());

    size = { width: layout.width, height: layout.height };
    svg.filter(changed(() => [layout.width, layout.height, compact, direction]))
        .attr("viewBox", `0 0 ${layout.width} ${layout.height}`)
        .attr("data-direction", direction)
        .classed("is-compact", compact);
    fit();

    // Edges: an arrow per input slot; the step's edges light up, backward ones pointing back to the input.
    const edges = (plan.edges ??= edgeGeometry(trace, layout, sizes));
    const waiting = (e) => step !== null && !step.values.includes(e.target);
    edgeLayer.selectAll("path.edge")
      .data(edges, (e) => e.key)
      .join("path")
      .filter(changed((e) => [e.key, e.d, activeEdges.has(e.key), waiting(e), backward]))
        .attr("class", "edge")
        .attr("data-edge", (e) => e.key)
        .classed("is-active", (e) => activeEdges.has(e.key))
        .classed("is-waiting", waiting)
        .classed("is-backward", (e) => backward && activeEdges.has(e.key))
        .attr("marker-end", (e) => (backward && activeEdges.has(e.key) ? null : `url(#${uid}-${activeEdges.has(e.key) ? "value" : "plain"})`))
        .attr("marker-start", (e) => (backward && activeEdges.has(e.key) ? `url(#${uid}-grad)` : null))
      .call((paths) => move(paths.filter(differs("d", (e) => e.d))).attr("d", (e) => e.d));

    // The labels beside their edges and clear of the boxes.
    const labelled = edges.filter((e) => texts.has(e.key));
    const spots = placeLabels(labelled, (e) => texts.get(e.key).length * CHAR.text, layout, sizes);
    labelLayer.selectAll("text.edge-label")
      .data(labelled, (e) => e.key)
      .join("text")
      .filter(changed((e) => [texts.get(e.key), spots.get(e.key)]))
        .attr("class", "edge-label")
        .attr("data-edge", (e) => e.key)
        .attr("x", (e) => spots.get(e.key).x)
        .attr("y", (e) => spots.get(e.key).y + LABEL_BASELINE)
        .text((e) => texts.get(e.key));

    // Nodes: a box with name, value and gradient; data attributes carry the exact numbers shown.
    nodeLayer.selectAll("g.node")
      .data(trace.nodes, (n) => n.id)
      .join((enter) => {
        const g = enter.append("g").attr("transform", (n) => translate(layout.positions.get(n.id)));
        g.append("title");
        g.append("rect").attr("class", "box").attr("rx", 6);
        g.append("text").attr("class", "op-badge");
        g.append("text").attr("class", "lines");
        const mark = g.append("g").attr("class", "mark");
        mark.append("rect").attr("rx", 7).attr("height", 14).attr("width", 62).attr("x", -31).attr("y", -7);
        mark.append("text").attr("y", 4).text("update");
        return g;
      })
      .call((g) => drawNode(g, lines, sizes, metrics, direction, relaid))
      .filter(changed((n) => [n.id, n.kind, active.has(n.id), valueShown(n, step), marked.has(n.id), n.id === trace.output,
        n.data, shownGrad(n, step), layout.positions.get(n.id), n.cause, n.note, sums[n.id]]))
        // The whole class list at once: a slider move that keeps it leaves nothing to restyle (one class
        // set, then each flag added back, restyled every box whose numbers changed).
        .attr("class", (n) => [`node kind-${n.kind}`, isUndefined(n) && "is-undefined", isCause(n) && "is-cause",
          active.has(n.id) && "is-active", !valueShown(n, step) && "is-waiting", marked.has(n.id) && "is-marked",
          n.id === trace.output && "is-output"].filter(Boolean).join(" "))
        .attr("data-node", (n) => n.id)
        .attr("data-kind", (n) => n.kind)
        .attr("data-value", (n) => (valueShown(n, step) ? attributeText(n.data) : ""))
        .attr("data-grad", (n) => attributeText(shownGrad(n, step)))
        .attr("data-sum", (n) => sums[n.id] ?? null)
        .attr("data-active", (n) => String(active.has(n.id)))
        .attr("data-marked", (n) => String(marked.has(n.id)))
        .call((g) => move(g.filter(differs("transform", (n) => translate(layout.positions.get(n.id)))))
          .attr("transform", (n) => translate(layout.positions.get(n.id))));

    reveal(step?.active ?? [], layout, sizes);
  }

  const update = (trace, step = null, paths = null) => draw(trace, step, paths, true);

  // The column's width is known once laid out, and changes (a rotated phone, a resized window):
  // rescale, and redraw in the other direction only when the new width wants it (at once, no glide:
  // a window being resized reports many widths). Reported after layout and before paint, so no frame
  // shows a stale scale or direction.
  new ResizeObserver(([entry]) => {
    room = entry.contentRect.width;
    if (drawn && bestDirection(shape.widths, room) !== direction) draw(drawn.trace, drawn.step, drawn.paths, false);
    else fit();
  }).observe(scroller.node());
  return { element: figure.node(), update };
}

const translate = ({ x, y }) => `translate(${x},${y})`;

/** Whether a box of layout `after` sits elsewhere than in `before`, or is new there. */
function moves(before, after) {
  if (after.positions.size !== before.positions.size) return true;
  return [...after.positions].some(([id, p]) => before.positions.get(id)?.x !== p.x || before.positions.get(id).y !== p.y);
}

/**
 * Fill each node group's box, op badge, text lines, title and update mark for its current lines (where
 * they changed). The box and the mark follow the sizes and the direction alone: unless `relaid` (a new
 * layout, the only way either changes) they are left as they are, unread.
 */
function drawNode(g, lines, sizes, metrics, direction, relaid) {
  const { line: step, pad } = metrics;
  if (relaid) {
    g.select("rect.box")
      .filter(changed((n) => sizes.get(n.id)))
        .attr("x", (n) => -sizes.get(n.id).width / 2)
        .attr("y", (n) => -sizes.get(n.id).height / 2)
        .attr("width", (n) => sizes.get(n.id).width)
        .attr("height", (n) => sizes.get(n.id).height);
    // The update badge sits on a side no edge touches: below the box left to right (edges leave and enter
    // at the sides); above it top to bottom, where edges enter, since only a parameter, which has no
    // inputs, is marked for an update. It straddles the border, a little outside, clear of the text.
    const markSide = direction === "down" ? -1 : 1;
    g.select("g.mark")
      .filter(changed((n) => [sizes.get(n.id).height, markSide]))
        .attr("transform", (n) => `translate(0,${markSide * (sizes.get(n.id).height / 2 + MARK_OUTSIDE)})`);
  }
  // The badge is checked on every draw: another op under the same id ("x + y" becoming "x * y") keeps the layout.
  g.select("text.op-badge")
    .filter(changed((n) => [sizes.get(n.id), pad, step, n.label && n.op]))
      .attr("x", (n) => sizes.get(n.id).width / 2 - pad.x / 2)
      .attr("y", (n) => -sizes.get(n.id).height / 2 + pad.y + step / 2 + 1)
      .text((n) => (n.label && n.op ? n.symbol : ""));
  g.select("text.lines").each(function (n) {
    const top = -sizes.get(n.id).height / 2 + pad.y + step / 2 + 4;
    select(this).selectAll("tspan")
      .data(lines.get(n.id).map((line, i) => ({ ...line, y: top + i * step })))
      .join("tspan")
      .filter(changed((line) => line))
        .attr("class", (line) => line.cls)
        .attr("x", 0)
        .attr("y", (line) => line.y)
        .text((line) => line.text);
  });
  g.select("title").each(function (n) {
    const text = lines.get(n.id).map((line) => line.text.trim()).filter(Boolean).join(", ");
    setText(this, n.note ? `${text} (${n.note})` : text);
  });
}
