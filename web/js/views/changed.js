// Skip DOM writes that would change nothing. A slider move changes a few numbers, but rewriting an
// attribute or a text, even with the same value, makes the browser restyle and lay out that element
// (and its ancestors) again in the next frame; a longer frame delays the answer to the next move.

// What each drawn element was last drawn from, as JSON.
const drawnFrom = new WeakMap();

/** A selection filter: the elements whose `signature(datum, i)` (JSON) differs from what they were last drawn from. */
export function changed(signature) {
  return function (d, i) {
    const now = JSON.stringify(signature(d, i));
    if (drawnFrom.get(this) === now) return false;
    drawnFrom.set(this, now);
    return true;
  };
}

/**
 * A selection filter: the elements whose attribute `name` is not `value(datum)` already (or is mid-glide).
 * An SVG geometry attribute set again to the same value still restyles and relays out its element.
 */
export function differs(name, value) {
  return function (d) {
    return this.getAttribute(name) !== value(d);
  };
}

/** Give `node` the text `text`, unless it has it already (a status region may announce even a rewrite of the same text). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
