// Warm Python up once it is ready: V8 optimizes Pyodide's WebAssembly only after it has run for a
// while, so a fresh page's first few hundred calls take about twice as long (py/lesson/warm_up.py).
// The calls here run one at a time in the browser's idle periods, each a millisecond or two in the
// worker, so a reader's own slider move waits behind one of them at the most.

import { whenIdle } from "./idle.js";

const WARM_UP_CALLS = 300; // about as many as it takes, measured: 300 explore calls took 887 us each, the next 300 488 us

/**
 * Each time Python becomes ready (at boot, and after a restart's fresh worker), call
 * lesson.warm_up `calls` times in idle periods; the performance mark "python-warm" says when done.
 */
export function warmUpPython(bridge, calls = WARM_UP_CALLS) {
  let run = 0; // a new run (after a restart) ends the one before
  const warm = async (mine) => {
    for (let step = 0; step < calls; step++) {
      await whenIdle();
      if (mine !== run || bridge.state !== "ready") return;
      await bridge.call("warm_up", { step }).catch(() => {}); // a failed warm-up costs nothing but speed
    }
    performance.mark("python-warm");
  };
  const start = () => warm(++run);
  if (bridge.state === "ready") start();
  bridge.addEventListener("state", ({ detail }) => { if (detail === "ready") start(); });
}
