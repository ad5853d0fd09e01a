// The page's entry. It runs in <head>: Python's worker starts as soon as its code (the next block in
// <head>) is parsed, while the lesson's body is still being read. `lesson.mount()`, called right after
// the body, paints the widgets from the numbers the build computed; the other assets follow.

import { mountCells } from "./cells.js";
import { Bridge } from "./runtime/bridge.js";
import { showPythonStatus } from "./runtime/status.js";
import { initTheme } from "./theme.js";
import { mountWidgets } from "./widgets/index.js";

const bridge = new Bridge();

/** Draw the lesson: widgets from the state the engine computed on CPython at build time, live cells. */
function mount() {
  initTheme();
  showPythonStatus(bridge, document.getElementById("python-status"));
  const initialState = JSON.parse(document.getElementById("initial-state").textContent);
  const lessonRoot = document.getElementById("lesson");
  mountWidgets({ bridge, initialState, root: lessonRoot });
  performance.mark("widgets-mounted"); // for the benchmark: the first paint has the build's numbers from here
  mountCells({ bridge, root: lessonRoot });
}

// `lesson.bridge` is also for the console, tools and tests: lesson.bridge.call("explore", {a: 1, b: 2}).
globalThis.lesson = { bridge, mount };
document.addEventListener("DOMContentLoaded", () => bridge.fedAll(), { once: true });
