// Where a trace's nodes and edges go: layers by depth from the inputs, each layer ordered to keep
// edges short, laid out left to right ("right") or top to bottom ("down").
// Geometry only: it reads the trace's ids and edges, never its numbers.

import { curveMonotoneX, curveMonotoneY, line } from "d3";

const SWEEPS = 4; // barycentre passes, alternating direction; enough for the ~50-node graphs we draw

/** Each node's inputs and consumers (with repeats: a*a lists a twice), from the trace's edges. */
function adjacency(trace) {
  const inputs = new Map(trace.order.map((id) => [id, []]));
  const consumers = new Map(trace.order.map((id) => [id, []]));
  for (const edge of trace.edges) {
    inputs.get(edge.target).push(edge.source);
    consumers.get(edge.source).push(edge.target);
  }
  return { inputs, consumers };
}

/**
 * A layer per node: an op sits one layer after its deepest input; an input sits just before its
 * first consumer, so a constant appears beside the op that uses it instead of far to the left.
 */
function depths(trace) {
  const { inputs, consumers } = adjacency(trace);
  const depth = new Map();
  for (const id of trace.order) {
    const from = inputs.get(id);
    depth.set(id, from.length ? 1 + Math.max(...from.map((i) => depth.get(i))) : 0);
  }
  for (const id of trace.order) {
    const to = consumers.get(id);
    if (inputs.get(id).length === 0 && to.length) depth.set(id, Math.min(...to.map((c) => depth.get(c))) - 1);
  }
  return depth;
}

/** The key of an edge, unique even when a*a joins the same two nodes twice. */
export const edgeKey = (edge) => `${edge.source}>${edge.target}#${edge.slot}`;

const WAYPOINT = { width: 10, height: 10 }; // the room a long edge takes in each layer it crosses

/** The layers, each sorted by the mean position of its neighbours (a few barycentre sweeps). */
function orderedLayers(order, depth, neighbours) {
  const layers = [];
  for (const id of order) (layers[depth.get(id)] ??= []).push(id);
  const position = new Map();
  const place = (layer) => layer.forEach((id, i) => position.set(id, i - (layer.length - 1) / 2));
  layers.forEach(place);
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (const layer of sweep % 2 ? [...layers].reverse() : layers) {
      const key = new Map(layer.map((id) => {
        const near = neighbours.get(id);
        return [id, near.length ? near.reduce((sum, n) => sum + position.get(n), 0) / near.length : position.get(id)];
      }));
      layer.sort((a, b) => key.get(a) - key.get(b));
      place(layer);
    }
  }
  return layers;
}

/**
 * The axes of a direction: layers follow each other `along` one axis (x going right, y going down)
 * and a layer's nodes sit side by side `across` the other; `length` and `breadth` are the box sides
 * on those axes.
 */
function axes(direction) {
  return direction === "down"
    ? { along: "y", across: "x", length: "height", breadth: "width", curve: curveMonotoneY }
    : { along: "x", across: "y", length: "width", breadth: "height", curve: curveMonotoneX };
}

/**
 * Centres for boxes of the given sizes (id -> {width, height}): each layer is a column, inputs on the
 * left (direction "right"), or a row, inputs on top ("down"). An edge that spans several layers gets a
 * waypoint in each layer between, placed like a thin node, so it runs between boxes instead of through them.
 * Returns {direction, positions: Map(id -> {x, y}), bends: Map(edge key -> [{x, y}]), width, height}.
 */
export function layoutGraph(trace, sizes, { direction = "right", gapAlong = 40, gapAcross = 26, margin = 9 } = {}) {
  const { along, across, length, breadth } = axes(direction);
  const depth = depths(trace);
  const order = [...trace.order];
  const size = new Map(sizes);
  const neighbours = new Map(order.map((id) => [id, []]));
  const waypoints = new Map();
  for (const edge of trace.edges) {
    const chain = [edge.source];
    for (let d = depth.get(edge.source) + 1; d < depth.get(edge.target); d++) {
      const id = `${edgeKey(edge)}@${d}`;
      depth.set(id, d);
      size.set(id, WAYPOINT);
      neighbours.set(id, []);
      order.push(id);
      chain.push(id);
    }
    chain.push(edge.target);
    waypoints.set(edgeKey(edge), chain.slice(1, -1));
    for (let i = 0; i + 1 < chain.length; i++) {
      neighbours.get(chain[i]).push(chain[i + 1]);
      neighbours.get(chain[i + 1]).push(chain[i]);
    }
  }
  const layers = orderedLayers(order, depth, neighbours);
  const layerLength = layers.map((layer) => Math.max(...layer.map((id) => size.get(id)[length])));
  const layerBreadth = layers.map((layer) => layer.reduce((sum, id) => sum + size.get(id)[breadth], 0) + gapAcross * (layer.length - 1));
  const broadest = Math.max(...layerBreadth);
  const positions = new Map();
  let start = margin;
  layers.forEach((layer, d) => {
    const centre = start + layerLength[d] / 2;
    let side = margin + (broadest - layerBreadth[d]) / 2; // each layer centred on the broadest
    for (const id of layer) {
      positions.set(id, { [along]: centre, [across]: side + size.get(id)[breadth] / 2 });
      side += size.get(id)[breadth] + gapAcross;
    }
    start += layerLength[d] + gapAlong;
  });
  const bends = new Map([...waypoints].map(([key, ids]) => [key, ids.map((id) => positions.get(id))]));
  const extent = { [length]: start - gapAlong + margin, [breadth]: broadest + 2 * margin };
  return { direction, positions, bends, width: extent.width, height: extent.height };
}

const PORT_SPREAD = 14; // px between the ports where a box's incoming edges end
const TWIN_APART = 10; // px between the starts of a repeated pair's edges (a*a)
const TWIN_BOW = 34; // how far a repeated pair's curves bow apart
const LABEL_SPOTS = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]; // where along an edge its label may go, best first

/**
 * Each edge's path `d`: it leaves the input's box on its far side (right, or bottom going down) and
 * enters the op's box on its near side at a port per slot; a repeated pair (a*a) bows apart; a long
 * edge curves through its waypoints. `points` are the path's own, [x, y] each: a cubic's four
 * (`cubic`), or its ends with the waypoints between; placeLabels finds its label's spots on them.
 */
export function edgeGeometry(trace, layout, sizes) {
  const { along, across, length, breadth, curve } = axes(layout.direction);
  const point = (a, c) => (along === "x" ? [a, c] : [c, a]); // [x, y] from coordinates along and across the layers
  // Where an edge comes from, across the layers: its last waypoint, or its source.
  const approach = (edge) => (layout.bends.get(edgeKey(edge)).at(-1) ?? layout.positions.get(edge.source))[across];
  const incoming = new Map(); // target -> its edges
  const pairs = new Map(); // "source>target" -> the slots joining them
  const add = (map, key, item) => (map.get(key) ?? map.set(key, []).get(key)).push(item);
  for (const edge of trace.edges) {
    add(incoming, edge.target, edge);
    add(pairs, `${edge.source}>${edge.target}`, edge.slot);
  }
  // Ports in the order the edges arrive from, so edges do not cross at the box they enter.
  for (const edges of incoming.values()) edges.sort((e, f) => approach(e) - approach(f) || e.slot - f.slot);
  return trace.edges.map((edge) => {
    const key = edgeKey(edge);
    const s = layout.positions.get(edge.source);
    const t = layout.positions.get(edge.target);
    const arriving = incoming.get(edge.target);
    const spread = Math.min(PORT_SPREAD, sizes.get(edge.target)[breadth] / (arriving.length + 1));
    const port = (arriving.indexOf(edge) - (arriving.length - 1) / 2) * spread;
    const twins = pairs.get(`${edge.source}>${edge.target}`);
    const twin = twins.length > 1 ? twins.indexOf(edge.slot) - (twins.length - 1) / 2 : 0;
    // Both ends as [along, across]; the arrowhead stops 2 px short of the box.
    const from = [s[along] + sizes.get(edge.source)[length] / 2, s[across] + twin * TWIN_APART];
    const to = [t[along] - sizes.get(edge.target)[length] / 2 - 2, t[across] + port];
    const [start, end] = [point(...from), point(...to)];
    const bends = layout.bends.get(key).map(({ x, y }) => [x, y]);
    if (bends.length) {
      const points = [start, ...bends, end];
      return { ...edge, key, d: line().curve(curve)(points), points, cubic: false };
    }
    const middle = (from[0] + to[0]) / 2;
    const bow = twin * TWIN_BOW;
    const curvePoints = [start, point(middle, from[1] + bow), point(middle, to[1] + bow), end];
    const [, c1, c2] = curvePoints;
    return { ...edge, key, d: `M${start}C${c1} ${c2} ${end}`, points: curvePoints, cubic: true };
  });
}

/** Where an edge's label may go, best first: points [x, y, dx, dy] on it, with its heading there. */
const labelSpots = (edge) => (edge.cubic ? LABEL_SPOTS.map((u) => cubicAt(edge.points, u)) : waypointSpots(edge.points));

/** The point and heading [x, y, dx, dy] at `u` (0 to 1) along a cubic Bezier curve given by its four points. */
function cubicAt([p0, p1, p2, p3], u) {
  const v = 1 - u;
  const at = (i) => v * v * v * p0[i] + 3 * v * v * u * p1[i] + 3 * v * u * u * p2[i] + u * u * u * p3[i];
  const heading = (i) => 3 * v * v * (p1[i] - p0[i]) + 6 * v * u * (p2[i] - p1[i]) + 3 * u * u * (p3[i] - p2[i]);
  return [at(0), at(1), heading(0), heading(1)];
}

/** A long edge's label spots: its waypoints (free slots in the layers it crosses), the middle one first. */
function waypointSpots(points) {
  const middle = (points.length - 1) / 2;
  const inner = points.slice(1, -1).map((_, k) => k + 1).sort((i, j) => Math.abs(i - middle) - Math.abs(j - middle));
  return inner.map((i) => [...points[i], points[i + 1][0] - points[i - 1][0], points[i + 1][1] - points[i - 1][1]]);
}

const LABEL = { height: 14, gap: 4, clearance: 4 }; // a label's height, its gap from its edge, its room around boxes (its halo takes 2)

/**
 * Where each edge's label goes (its centre): beside its edge, off it across the edge's heading by half
 * the label plus a gap, above (or right of) it first, at the first spot clear of every box, of the
 * drawing's border and of the labels placed before; failing that, on the edge itself (the label's halo
 * covers the line); failing that, wherever it covers the least. `edges` (from edgeGeometry) are the
 * labelled ones; `width(edge)` is its label's width. Returns Map(edge key -> {x, y}).
 */
export function placeLabels(edges, width, layout, sizes) {
  const taken = [...sizes].map(([id, size]) => around(layout.positions.get(id), size, LABEL.clearance));
  const placed = new Map();
  for (const edge of edges) {
    const size = { width: width(edge), height: LABEL.height };
    const spots = labelSpots(edge);
    const onEdge = spots.map(([x, y]) => ({ x, y }));
    const candidates = [...spots.flatMap((spot) => beside(spot, size)), ...onEdge];
    // What a label there would cover: the boxes and labels it overlaps, and what lies outside the drawing.
    const covered = (centre) => {
      const box = around(centre, size, 0);
      const outside = area(box) - area(intersection(box, { left: 0, top: 0, right: layout.width, bottom: layout.height }));
      return taken.reduce((sum, other) => sum + area(intersection(box, other)), outside);
    };
    const scores = candidates.map(covered);
    const centre = candidates[scores.indexOf(Math.min(...scores))]; // the first clear one, if any is
    placed.set(edge.key, centre);
    taken.push(around(centre, size, 0));
  }
  return placed;
}

/** The two centres for a label of `size` beside an edge at `spot` [x, y, dx, dy]: above (or right of) it, then below (or left). */
function beside([x, y, dx, dy], size) {
  const norm = Math.hypot(dx, dy) || 1;
  let [nx, ny] = [-dy / norm, dx / norm];
  if (ny > 0 || (ny === 0 && nx < 0)) [nx, ny] = [-nx, -ny];
  const reach = (Math.abs(nx) * size.width + Math.abs(ny) * size.height) / 2 + LABEL.gap; // the label's half-extent across the edge
  return [1, -1].map((side) => ({ x: x + side * nx * reach, y: y + side * ny * reach }));
}

/** The rectangle {left, top, right, bottom} of a box of `size` centred at `centre`, grown by `pad` on each side. */
function around(centre, size, pad) {
  return { left: centre.x - size.width / 2 - pad, right: centre.x + size.width / 2 + pad,
    top: centre.y - size.height / 2 - pad, bottom: centre.y + size.height / 2 + pad };
}

/** The rectangle two rectangles share (empty: right < left or bottom < top). */
function intersection(a, b) {
  return { left: Math.max(a.left, b.left), right: Math.min(a.right, b.right), top: Math.max(a.top, b.top), bottom: Math.min(a.bottom, b.bottom) };
}

/** A rectangle's area, 0 when it is empty. */
const area = (r) => Math.max(0, r.right - r.left) * Math.max(0, r.bottom - r.top);
