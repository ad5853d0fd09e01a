// Where a trace's nodes go: layers by depth from the inputs, each layer ordered to keep edges short.
// Geometry only: it reads the trace's ids and edges, never its numbers.

const SWEEPS = 4; // barycentre passes, alternating direction; enough for the ~50-node graphs we draw

/** Each node's inputs and consumers (with repeats: a*a lists a twice), from the trace's edges. */
export function adjacency(trace) {
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
export function depths(trace) {
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
 * Centres for boxes of the given sizes (id -> {width, height}), left to right: each layer is a column,
 * inputs on the left. An edge that spans several layers gets a waypoint in each layer between,
 * placed like a thin node, so it runs between boxes instead of through them.
 * Returns {positions: Map(id -> {x, y}), bends: Map(edge key -> [{x, y}]), width, height}.
 */
export function layoutGraph(trace, sizes, { gapAlong = 40, gapAcross = 26, margin = 9 } = {}) {
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
  const columnWidth = layers.map((layer) => Math.max(...layer.map((id) => size.get(id).width)));
  const columnHeight = layers.map((layer) => layer.reduce((sum, id) => sum + size.get(id).height, 0) + gapAcross * (layer.length - 1));
  const tallest = Math.max(...columnHeight);
  const positions = new Map();
  let left = margin;
  layers.forEach((layer, d) => {
    const x = left + columnWidth[d] / 2;
    let top = margin + (tallest - columnHeight[d]) / 2; // each column centred on the tallest
    for (const id of layer) {
      positions.set(id, { x, y: top + size.get(id).height / 2 });
      top += size.get(id).height + gapAcross;
    }
    left += columnWidth[d] + gapAlong;
  });
  const bends = new Map([...waypoints].map(([key, ids]) => [key, ids.map((id) => positions.get(id))]));
  return { positions, bends, width: left - gapAlong + margin, height: tallest + 2 * margin };
}
