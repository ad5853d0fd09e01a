// The page's entry: paint at once from the build's numbers, then bring Python up in a worker.

import { mountCells } from "./cells.js";
import { Bridge } from "./runtime/bridge.js";
import { showPythonStatus } from "./runtime/status.js";
import { initTheme } from "./theme.js";
import { mountWidgets } from "./widgets/index.js";

const bridge = new Bridge();
globalThis.lesson = { bridge }; // for the console, tools and tests: lesson.bridge.call("explore", {a: 1, b: 2})
initTheme();
showPythonStatus(bridge, document.getElementById("python-status"));
// First paint: widgets draw the state the engine computed on CPython when the page was built.
const initialState = JSON.parse(document.getElementById("initial-state").textContent);
mountWidgets({ bridge, initialState, root: document.getElementById("lesson") });
performance.mark("widgets-mounted");
mountCells({ bridge, root: document.getElementById("lesson") });

// The packed assets follow this script at the end of <body>, each followed by `lesson.bridge.feed()`:
// Python starts booting while they are still being parsed. Once all are in, the bridge is told so.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => bridge.fedAll(), { once: true });
else bridge.fedAll();
