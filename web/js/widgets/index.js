// Mounts every widget found on the page: `mountWidgets({bridge, initialState, root, grid})`.
// Each widget paints from the build's data (initialState[name]) and turns live when Python is ready.
// Mounting is spread out so the first paint is not held up: widgets on screen (or the one a link
// points at) mount at once, the others as they near the viewport or when the browser is idle.

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
const OFFSCREEN_MOUNT_WAIT_MS = 3000; // off-screen widgets wait this long at most for Python's boot

/**
 * Mount each `[data-widget]` element under `root` that names a known widget (WIDGETS). A widget that
 * fails says so in place; the rest still mount. `grid` is the explore widget's grid of every setting (an
 * object or a Promise of one; see lesson.widgets.explore_grid). `cells` is a Promise of the code cells'
 * notebook, whose queue the tasks' checks join.
 * Returns {mounted: [{name, element, widget}] as they mount, all: a Promise resolved once every one is}.
 * Each mounted root gets `data-mounted`; the performance mark "widgets-all-mounted" is set at the end.
 * Performance measures, for the benchmark: "widget-mount NAME" per widget, "widgets-mount-now" for
 * the work done before this returns (what holds up the first paint).
 */
export function mountWidgets({ bridge, initialState, root = document, grid, cells }) {
  const started = performance.now();
  const mounted = [];
  const waiting = new Set([...root.querySelectorAll("[data-widget]")].filter((node) => Object.hasOwn(WIDGETS, node.dataset.widget)));
  const playground = [...waiting].find((node) => node.dataset.widget === "playground");
  if (playground && !document.getElementById("playground")) playground.id = "playground"; // lesson.html#playground lands here

  let finish;
  const all = new Promise((resolve) => { finish = resolve; });
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) if (entry.isIntersecting) mount(entry.target);
  }, { rootMargin: `${NEAR}px 0px` });

  function mount(node) {
    if (!waiting.delete(node)) return;
    observer.unobserve(node);
    const name = node.dataset.widget;
    const start = performance.now();
    try {
      if (!initialState?.[name]) throw new Error(`the page carries no data for the "${name}" widget`);
      const widget = WIDGETS[name](node, { state: initialState[name], bridge, grid, cells });
      mounted.push({ name, element: node, widget });
    } catch (error) {
      console.error(`widget ${name}:`, error);
      node.replaceChildren();
      element(node, "p", "widget-error", `This widget could not be drawn: ${error.message}`).setAttribute("role", "alert");
    }
    node.dataset.mounted = "";
    performance.measure(`widget-mount ${name}`, { start });
    if (waiting.size === 0) {
      observer.disconnect();
      performance.mark("widgets-all-mounted");
      finish(mounted);
    }
  }

  /** Mount the rest one idle slice at a time, so a slow phone keeps scrolling smoothly meanwhile. */
  function mountWhenIdle(deadline) {
    for (const node of waiting) {
      mount(node);
      if (deadline.timeRemaining() < 1 && !deadline.didTimeout) break;
    }
    if (waiting.size) idle(mountWhenIdle);
  }

  for (const node of [...waiting].filter(isTarget)) {
    mount(node);
    // Be there at once, without the page's smooth scrolling: a smooth scroll aims at where the widget
    // is now, and the widgets above it, still mounting, would move it; scroll anchoring keeps it in place.
    (document.getElementById(fragmentId(location.hash)) ?? node).scrollIntoView({ block: "start", behavior: "instant" });
  }
  for (const node of waiting) observer.observe(node);
  whenPrinting({ before: () => { for (const node of [...waiting]) mount(node); } }); // paper shows every widget
  // Off-screen widgets wait for Python's boot (mounting them at once competes with it for the cores),
  // but not for ever: a page whose Python is slow or blocked still mounts them all.
  const booted = Promise.race([bridge.whenReady().catch(() => {}), new Promise((done) => setTimeout(done, OFFSCREEN_MOUNT_WAIT_MS))]);
  if (waiting.size) booted.then(() => idle(mountWhenIdle));
  else finish(mounted);
  performance.measure("widgets-mount-now", { start: started });
  return { mounted, all };
}

/** Whether the URL fragment points at this widget, or is a playground link and this is the playground. */
function isTarget(node) {
  const hash = location.hash.slice(1); // as written: a playground link's %-escapes are Python's to check
  if (!hash) return false;
  if (node.dataset.widget === "playground" && hash.startsWith("playground")) return true;
  const target = document.getElementById(fragmentId(location.hash));
  return target !== null && (target.contains(node) || node.contains(target));
}
