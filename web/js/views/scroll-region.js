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

/**
 * Keep every code block and table under `root` (a `<pre>` but a cell's output or a check's details, which
 * wrap; a task's code before its editor is made; a `.table-scroll`) reachable from the keyboard while it
 * scrolls sideways, each region named after what it holds. A box the browser has not laid out yet
 * (content-visibility skips blocks far from the viewport) cannot be measured: it counts as scrolling until
 * it is, so Tab never misses one; a change of the lesson's width puts the unmeasured ones back so.
 * A check's details are left out by name: the tasks may mount before this runs, their details closed
 * (not laid out), and would count as scrolling.
 * Each box is measured again as it comes on screen: a skipped block rendered again at the size it had
 * gets no ResizeObserver callback, and would keep a Tab stop it no longer needs.
 * A box holding an editor is left alone: the editor is its focusable content.
 */
export function keepScrollingBoxesReachable(root) {
  const wraps = ".cell-output, .task-details pre, .task-printed pre";
  const boxes = [...root.querySelectorAll(`pre:not(${wraps}), .table-scroll, .task-source`)];
  const labels = regionLabels(boxes);
  const laidOut = (box) => (box.firstElementChild ?? box).checkVisibility({ contentVisibilityAuto: true });
  const update = (box, measure) => {
    if (box.querySelector("[contenteditable]")) markScrollRegion(box, false);
    else if (!laidOut(box)) markScrollRegion(box, true, labels.get(box));
    else if (measure) markScrollRegion(box, box.scrollWidth > box.clientWidth + 1, labels.get(box));
  };
  const observer = new ResizeObserver((entries) => {
    for (const { target } of entries) update(target, true);
  });
  // On screen, a box's block is rendered: measurable now, or (rendered in this very frame) by the next one.
  const onScreen = new IntersectionObserver((entries) => {
    for (const { target, isIntersecting } of entries) {
      if (!isIntersecting) continue;
      if (laidOut(target)) update(target, true);
      else requestAnimationFrame(() => update(target, true));
    }
  });
  for (const box of boxes) {
    update(box, false);
    observer.observe(box);
    onScreen.observe(box);
  }
  let width = root.clientWidth;
  new ResizeObserver(() => {
    if (root.clientWidth === width) return;
    width = root.clientWidth;
    for (const box of boxes) update(box, false);
  }).observe(root);
}

/** A distinct name for each box's region: the cell, the engine function or the table it holds. */
function regionLabels(boxes) {
  const labels = new Map();
  const seen = new Map();
  for (const box of boxes) {
    let label = regionLabel(box);
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    if (count > 1) label += ` (${count})`;
    labels.set(box, label);
  }
  return labels;
}

function regionLabel(box) {
  const cell = box.closest("figure.cell")?.dataset.cell;
  if (cell) return `Code of cell ${cell}, scrolls sideways`;
  const source = box.closest("figure.engine-source")?.querySelector("figcaption code")?.textContent;
  if (source) return `Source of ${source}, scrolls sideways`;
  const task = box.closest("[data-task]")?.querySelector("h2, h3")?.textContent;
  if (task) return `Code of ${task}, scrolls sideways`;
  if (box.matches(".table-scroll")) return `Table of ${box.querySelector("th")?.textContent.trim() || "values"}, scrolls sideways`;
  return "Code, scrolls sideways";
}
