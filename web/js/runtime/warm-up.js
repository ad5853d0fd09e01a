// Warm Python up once it is ready: V8 optimizes Pyodide's WebAssembly only after it has run for a
// while, so a fresh page's first few hundred calls take about twice as long (py/lesson/warm_up.py).
// The calls here run one at a time in the browser's idle periods, each a few milliseconds at most in
// the worker, so a reader's own slider move waits behind one of them at the most.

import { whenIdle } from "./idle.js";

// About as many as it takes, measured in the page: 300 explore calls took 887 us each, the next 300
// 488 us; nn_backprop, after those, 5.3 ms each over its first 50 calls and 2.0 ms from the 200th on.
const WARM_UP_CALLS = 300;
const TENSOR_WARM_UP_CALLS = 250;

/**
 * Each time Python becomes ready (at boot, and after a restart's fresh worker), once NumPy's load has
 * ended (at once in a page without it), call lesson.warm_up `calls` times in idle periods, then, if
 * NumPy is ready, `tensorCalls` times for the Tensor widgets; the performance mark "python-warm" says
 * when done. NumPy's load runs in the same worker: warm-up calls begun at ready held it up (bench, two
 * runs of 9 loads: data-numpy=ready 1501 -> 1418 ms and 1516 -> 1475 ms).
 */
export function warmUpPython(bridge, { calls = WARM_UP_CALLS, tensorCalls = TENSOR_WARM_UP_CALLS } = {}) {
  let run = 0; // a new run (after a restart) ends the one before
  const warm = async (mine) => {
    const current = () => mine === run && bridge.state === "ready";
    const steps = async (count, tensor) => {
      for (let step = 0; step < count; step++) {
        await whenIdle();
        if (!current()) return false;
        await bridge.call("warm_up", { step, tensor }).catch(() => {}); // a failed warm-up costs nothing but speed
      }
      return true;
    };
    const withNumpy = await bridge.whenNumpy().then(() => true, () => false);
    if (!(await steps(calls, false))) return;
    if (withNumpy && !(await steps(tensorCalls, true))) return;
    if (current()) performance.mark("python-warm");
  };
  const start = () => warm(++run);
  if (bridge.state === "ready") start();
  bridge.addEventListener("state", ({ detail }) => { if (detail === "ready") start(); });
}
