// Mounts the widgets as the page arrives: `widgetMounter({bridge, grid, cells})` returns a mounter whose
// `take(root)` finds the widgets parsed so far (build.py calls it after each widget's figure, through
// lesson.mountWidgets) with their states (<script type="application/json" data-widget-state=NAME>, written
// before the call), and `close()` says the body is complete. Each widget paints from the build's data and
// turns live when Python is ready. Mounting is spread out so the first paint is not held up: widgets on
// screen (or the one a link points at) mount at once, the others as they near the viewport or when the
// browser is idle, before Python's worker starts or after its boot and NumPy's load.

import { whenPrinting } from "../print.js";
import { fragmentId } from "../runtime/hold-fragment.js";
import { idle } from "../runtime/idle.js";
import { mountBroadcast } from "./broadcast.js";
import { mountComputeGraph } from "./compute-graph.js";
import { element } from "./controls.js";
import { mountExercise } from "./exercise.js";
import { mountExplore } from "./explore.js";
import { mountForwardSteps } from "./forward-steps.js";
import { mountGradAccumulation } from "./grad-accumulation.js";
import { mountNeuronTraining } from "./neuron-training.js";
import { mountNnBackprop } from "./nn-backprop.js";
import { mountPlayground } from "./playground/playground.js";
import { mountTask } from "./tasks/task.js";
import { mountTaskProgress } from "./tasks/task-progress.js";

const WIDGETS = {
  "forward-steps": mountForwardSteps,
  "compute-graph": mountComputeGraph,
  "grad-accumulation": mountGradAccumulation,
  "neuron-training": mountNeuronTraining,
  explore: mountExplore,
  "nn-backprop": mountNnBackprop,
  broadcast: mountBroadcast,
  playground: mountPlayground,
  task: mountTask,
  "task-progress": mountTaskProgress,
  exercise: mountExercise,
};
const NEAR = 600; // px above or below the viewport within which a widget counts as near it
const OFFSCREEN_MOUNT_WAIT_MS = 3000; // off-screen widgets wait this long at most for Python's boot and NumPy

/**
 * A mounter of the `[data-widget]` elements that name a known widget (WIDGETS). A widget that fails
 * says so in place; the rest still mount. `grid` is the explore widget's grid of every setting (an
 * object or a Promise of one; see lesson.widgets.explore_grid). `cells` is a Promise of the code cells'
 * notebook, whose queue the tasks' checks join.
 * Returns {take(root): mount what has arrived under `root` (again is no harm), close(): no more widgets
 * will come, mounted: [{name, element, widget}] as they mount, all: a Promise resolved once every one is,
 * after close()}. Each mounted root gets `data-mounted`; the performance mark "widgets-all-mounted" is
 * set at the end. Performance measures, for the benchmark: "widget-mount NAME" per widget.
 */
export function widgetMounter({ bridge, grid, cells }) {
  const states = {}; // widget name -> its state, read from its data-widget-state block
  const readStates = new Set(); // the state blocks read
  const taken = new Set(); // the widget elements found so far
  const waiting = new Set(); // those not mounted yet
  const mounted = [];
  let closed = false;
  let bootedOrTired = false; // Python is ready, or off-screen widgets waited long enough for it
  let idling = false; // mountWhenIdle is scheduled
  const all = Promise.withResolvers();
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting) mount(entry.target);
  }, { rootMargin: `${NEAR}px 0px` });

  function mount(node) {
    if (!waiting.delete(node)) return;
    observer.unobserve(node);
    const name = node.dataset.widget;
    const start = performance.now();
    try {
      if (!states[name]) throw new Error(`the page carries no data for the "${name}" widget`);
      const widget = WIDGETS[name](node, { state: states[name], bridge, grid, cells });
      mounted.push({ name, element: node, widget });
    } catch (error) {
      console.error(`widget ${name}:`, error);
      node.replaceChildren();
      element(node, "p", "widget-error", `This widget could not be drawn: ${error.message}`).setAttribute("role", "alert");
    }
    node.dataset.mounted = "";
    performance.measure(`widget-mount ${name}`, { start });
    skipWhileOffScreen(node);
    finishIfDone();
  }

  const skippable = []; // the blocks of the mounted widgets, skipped while off screen
  let laidOutNext = []; // those mounted since the last frame: skipped together, one layout for all of them

  /** Once a mounted widget has been laid out, its block of the lesson may be skipped while off screen like
   * the rest, keeping its height meanwhile (runtime.css says why). */
  function skipWhileOffScreen(node) {
    const block = node.closest("main.lesson > *");
    if (!block) return;
    skippable.push(block);
    if (laidOutNext.push(block) > 1) return; // a frame is asked for already
    requestAnimationFrame(() => {
      skip(laidOutNext);
      laidOutNext = [];
    });
  }

  function skip(blocks) {
    const heights = blocks.map((block) => block.getBoundingClientRect().height); // all read, then all written
    blocks.forEach((block, i) => {
      block.style.containIntrinsicSize = `auto ${heights[i]}px`;
      block.classList.add("is-laid-out");
    });
  }

  // A widget's ResizeObservers do not run while its block is skipped, so a new window width would leave an
  // off-screen widget laid out for the old one (a graph wider than its column, a scroll region without its
  // Tab stop) until shown. So on a resize every widget's block is drawn for two frames (the observers run
  // in the first), then skipped again; a resize still going on puts that off.
  let resizes = 0;
  addEventListener("resize", () => {
    const resize = ++resizes;
    for (const block of skippable) block.classList.remove("is-laid-out");
    requestAnimationFrame(() => requestAnimationFrame(() => resize === resizes && skip(skippable)));
  });

  function finishIfDone() {
    if (!closed || waiting.size) return;
    observer.disconnect();
    performance.mark("widgets-all-mounted");
    all.resolve(mounted);
  }

  // Off-screen widgets mount in idle time while nothing else wants the cores: before Python's worker
  // starts (on a slow link the widgets arrive seconds before its code does), and once Python is ready and
  // NumPy's load has ended, or OFFSCREEN_MOUNT_WAIT_MS have passed (mounting them meanwhile competes with
  // the boot and NumPy's load for the cores: bench, 9 loads side by side, twice: data-numpy=ready 1507 ->
  // 1417 ms, 1758 -> 1597 ms).
  const mayMountOffscreen = () => bootedOrTired || bridge.state === "static";

  /** Mount the rest one idle slice at a time, so a slow phone keeps scrolling smoothly meanwhile. */
  function mountWhenIdle(deadline) {
    for (const node of waiting) {
      if (!mayMountOffscreen()) break;
      mount(node);
      if (deadline.timeRemaining() < 1 && !deadline.didTimeout) break;
    }
    idling = false;
    mountRestWhenIdle();
  }

  function mountRestWhenIdle() {
    if (idling || !waiting.size || !mayMountOffscreen()) return;
    idling = true;
    idle(mountWhenIdle);
  }

  function take(root = document) {
    for (const block of root.querySelectorAll("script[data-widget-state]")) {
      if (readStates.has(block)) continue;
      readStates.add(block);
      states[block.dataset.widgetState] = JSON.parse(block.textContent);
    }
    const found = [...root.querySelectorAll("[data-widget]")].filter((node) => !taken.has(node) && Object.hasOwn(WIDGETS, node.dataset.widget));
    for (const node of found) {
      taken.add(node);
      waiting.add(node);
      if (node.dataset.widget === "playground" && !document.getElementById("playground")) node.id = "playground"; // lesson.html#playground lands here
    }
    for (const node of found.filter(isTarget)) {
      mount(node);
      // Be there at once, without the page's smooth scrolling: a smooth scroll aims at where the widget
      // is now, and the widgets above it, still mounting, would move it; scroll anchoring keeps it in place.
      (document.getElementById(fragmentId(location.hash)) ?? node).scrollIntoView({ block: "start", behavior: "instant" });
    }
    for (const node of found) if (waiting.has(node)) observer.observe(node);
    mountRestWhenIdle();
  }

  whenPrinting({ before: () => { for (const node of [...waiting]) mount(node); } }); // paper shows every widget
  // A page whose Python is slow or blocked still mounts them all.
  Promise.race([bridge.whenReady().then(() => bridge.whenNumpy()).catch(() => {}), new Promise((done) => setTimeout(done, OFFSCREEN_MOUNT_WAIT_MS))]).then(() => {
    bootedOrTired = true;
    mountRestWhenIdle();
  });
  return {
    take, mounted, all: all.promise,
    close() { closed = true; finishIfDone(); },
  };
}

/** Whether the URL fragment points at this widget, or is a playground link and this is the playground. */
function isTarget(node) {
  const hash = location.hash.slice(1); // as written: a playground link's %-escapes are Python's to check
  if (!hash) return false;
  if (node.dataset.widget === "playground" && hash.startsWith("playground")) return true;
  const target = document.getElementById(fragmentId(location.hash));
  return target !== null && (target.contains(node) || node.contains(target));
}
