// The page's entry, run in <head>. build.py calls `lesson.mountWidgets()` after each widget's figure and
// state, so each widget paints from the numbers the build computed (and answers from them) as soon as it
// has arrived, and `lesson.mount()` right after the lesson's body, for the code cells and the rest. The
// data blocks follow: Python's worker starts as soon as its own code block is parsed (started earlier, it
// slowed the first paint more than it sped boot).

import { mountCells } from "./cells.js";
import { offerNotebook } from "./notebook-link.js";
import { Bridge } from "./runtime/bridge.js";
import { holdFragmentTarget } from "./runtime/hold-fragment.js";
import { showPythonStatus } from "./runtime/status.js";
import { warmUpPython } from "./runtime/warm-up.js";
import { initTheme } from "./theme.js";
import { followToc } from "./toc.js";
import { widgetMounter } from "./widgets/index.js";

// build.py writes whether this page carries NumPy: <html data-numpy="loading"> if it does, "off" if not.
const bridge = new Bridge({ withNumpy: document.documentElement.dataset.numpy !== "off" });

let widgets = null; // the widget mounter, made by the first call below
// The tasks run their checks in the code cells' queue, made once the lesson's body is complete.
const cells = Promise.withResolvers();

/** Mount the widgets parsed so far, from the state the engine computed on CPython at build time. */
function mountWidgets() {
  if (!widgets) {
    initTheme();
    showPythonStatus(bridge, document.getElementById("python-status"));
    // The explore widget's grid of every setting has its own data block, right after the widget.
    const grid = bridge.assetJson("explore-grid.json").catch((error) => { console.warn(error.message); return null; });
    widgets = widgetMounter({ bridge, grid, cells: cells.promise });
  }
  widgets.take(document.getElementById("lesson"));
}

/** The lesson's body is complete: the widgets not mounted yet, the live code cells, the notebook link. */
function mount() {
  mountWidgets();
  widgets.close();
  followToc(document.querySelector("nav.toc")); // the headings it follows are all parsed now
  performance.mark("widgets-mounted"); // for the benchmark: the first paint has the build's numbers from here
  const lessonRoot = document.getElementById("lesson");
  cells.resolve(mountCells({ bridge, root: lessonRoot }));
  holdFragmentTarget(lessonRoot);
  warmUpPython(bridge);
  offerNotebook(bridge);
}

// `lesson.bridge` is also for the console, tools and tests: lesson.bridge.call("explore", {a: 1, b: 2}).
globalThis.lesson = { bridge, mountWidgets, mount };
document.addEventListener("DOMContentLoaded", () => bridge.fedAll(), { once: true });
