// Shows Python's state to the reader: <html data-python=...> and the boot progress indicator.

const STAGES = ["booting", "decode", "compile", "restore", "ready"];
const MESSAGES = {
  booting: "Starting Python\u2026 (the page already works with the numbers computed at build time)",
  decode: "Starting Python: unpacking\u2026",
  compile: "Starting Python: compiling\u2026",
  restore: "Starting Python: restoring the lesson\u2026",
  // Not "every cell": PyTorch cells (and NumPy ones, unless the build bundled NumPy) stay as built.
  ready: "Python is live: sliders and engine cells now run in your browser.",
  failed: "Python could not start in this browser, so the page stays static: the numbers shown were computed when it was built.",
};

/** Keep `<html data-python>` and the indicator `element` in step with `bridge`'s state and boot progress. */
export function showPythonStatus(bridge, element, root = document.documentElement) {
  const bar = element.querySelector("progress");
  const text = element.querySelector(".python-status-text");
  const show = (stage) => {
    if (stage in MESSAGES) text.textContent = MESSAGES[stage];
    bar.value = Math.max(0, STAGES.indexOf(stage));
    element.dataset.stage = stage;
  };
  const showState = (state) => {
    root.dataset.python = state;
    show(state);
  };
  bridge.addEventListener("state", ({ detail: state }) => showState(state));
  bridge.addEventListener("progress", ({ detail: stage }) => show(stage));
  showState(bridge.state); // Python may have started booting before this ran
}
