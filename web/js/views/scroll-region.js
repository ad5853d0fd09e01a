// A box that scrolls sideways is reachable from the keyboard only while it scrolls.

/**
 * While `scrolls`, make `node` a focusable region named `label`, so Tab reaches it and the arrow keys
 * scroll it; once it fits, an ordinary element again, which Tab skips.
 */
export function markScrollRegion(node, scrolls, label) {
  if (scrolls) {
    node.tabIndex = 0;
    node.setAttribute("role", "region");
    node.setAttribute("aria-label", label);
  } else {
    for (const name of ["tabindex", "role", "aria-label"]) node.removeAttribute(name);
  }
}
