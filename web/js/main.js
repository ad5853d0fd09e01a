// The page's entry, run in <head>. `lesson.mount()`, called right after the lesson's body, paints the
// widgets from the numbers the build computed. The data blocks follow: Python's worker starts as soon
// as its own code block is parsed (started earlier, it slowed the first paint more than it sped boot).

import { mountCells } from "./cells.js";
import { offerNotebook } from "./notebook-link.js";
import { Bridge } from "./runtime/bridge.js";
import { holdFragmentTarget } from "./runtime/hold-fragment.js";
import { showPythonStatus } from "./runtime/status.js";
import { warmUpPython } from "./runtime/warm-up.js";
import { initTheme } from "./theme.js";
import { followToc } from "./toc.js";
import { mountWidgets } from "./widgets/index.js";

// build.py writes whether this page carries NumPy: <html data-numpy="loading"> if it does, "off" if not.
const bridge = new Bridge({ withNumpy: document.documentElement.dataset.numpy !== "off" });

/** Draw the lesson: widgets from the state the engine computed on CPython at build time, live cells. */
function mount() {
  initTheme();
  followToc(document.querySelector("nav.toc"));
  showPythonStatus(bridge, document.getElementById("python-status"));
  const initialState = JSON.parse(document.getElementById("initial-state").textContent);
  const lessonRoot = document.getElementById("lesson");
  // The explore widget's grid of every setting has its own data block, read after the first paint;
  // without one (an older page carries it in initialState), explore waits for Python instead.
  const grid = bridge.assetJson("explore-grid.json").catch((error) => { console.warn(error.message); return null; });
  // The tasks run their checks in the code cells' queue, made once the widgets have painted.
  const cells = Promise.withResolvers();
  mountWidgets({ bridge, initialState, root: lessonRoot, grid, cells: cells.promise });
  performance.mark("widgets-mounted"); // for the benchmark: the first paint has the build's numbers from here
  cells.resolve(mountCells({ bridge, root: lessonRoot }));
  holdFragmentTarget(lessonRoot);
  warmUpPython(bridge);
  offerNotebook(bridge);
}

// `lesson.bridge` is also for the console, tools and tests: lesson.bridge.call("explore", {a: 1, b: 2}).
globalThis.lesson = { bridge, mount };
document.addEventListener("DOMContentLoaded", () => bridge.fedAll(), { once: true });
