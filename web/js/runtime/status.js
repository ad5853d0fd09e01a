// Shows Python's and NumPy's state to the reader: <html data-python=... data-numpy=...> and the
// progress indicator in the page's header.

const STAGES = ["booting", "decode", "compile", "restore", "ready"];
const NUMPY_STAGES = ["install", "import"];
const MESSAGES = {
  booting: "Starting Python\u2026 (the page already works with the numbers computed at build time)",
  decode: "Starting Python: unpacking\u2026",
  compile: "Starting Python: compiling\u2026",
  restore: "Starting Python: restoring the lesson\u2026",
  failed: "Python could not start in this browser, so the page stays static: the numbers shown were computed when it was built.",
};
const STATIC = "Python cannot start: the numbers shown were computed when the page was built.";
// What is live once Python is, by NumPy's state (PyTorch cells are never live: they show recorded output).
const WITH_NUMPY = {
  loading: "Python is live. Loading NumPy for the tensor cells\u2026",
  ready: "Python and NumPy are live: sliders and code cells run in your browser.",
  failed: "Python is live, but NumPy could not load: tensor cells show what they printed when the page was built.",
  off: "Python is live. This copy of the lesson has no NumPy: tensor cells show what they printed when it was built.",
};

/**
 * Keep `<html data-python>`, `<html data-numpy>` and the indicator `element` in step with `bridge`'s
 * states and progress: Python's boot stages, then NumPy's.
 */
export function showPythonStatus(bridge, element, root = document.documentElement) {
  const bar = element.querySelector("progress");
  const text = element.querySelector(".python-status-text");
  let pythonStage = bridge.state;
  let numpyStage = NUMPY_STAGES[0];
  const show = () => {
    const live = bridge.state === "ready";
    const loadingNumpy = live && bridge.numpy === "loading";
    // Where the page knows why Python cannot start (a copy cut short), it says so rather than blame the browser.
    const failedBecause = pythonStage === "failed" && bridge.problem && `${bridge.problem} ${STATIC}`;
    text.textContent = live ? WITH_NUMPY[bridge.numpy] : failedBecause || (MESSAGES[pythonStage] ?? text.textContent);
    // One bar: Python's boot, then (once Python is live) NumPy's loading; hidden when neither is under way.
    bar.max = loadingNumpy ? NUMPY_STAGES.length : STAGES.length - 1;
    bar.value = loadingNumpy ? NUMPY_STAGES.indexOf(numpyStage) + 1 : Math.max(0, STAGES.indexOf(pythonStage));
    bar.setAttribute("aria-label", loadingNumpy ? "NumPy loading" : "Python start-up");
    element.dataset.stage = loadingNumpy ? `numpy-${numpyStage}` : pythonStage;
  };
  bridge.addEventListener("state", ({ detail: state }) => {
    root.dataset.python = pythonStage = state;
    show();
  });
  bridge.addEventListener("progress", ({ detail: stage }) => {
    pythonStage = stage;
    show();
  });
  bridge.addEventListener("numpy", ({ detail: state }) => {
    root.dataset.numpy = state;
    numpyStage = NUMPY_STAGES[0];
    show();
  });
  bridge.addEventListener("numpy-progress", ({ detail: stage }) => {
    numpyStage = stage;
    show();
  });
  // Python may have started booting before this ran
  root.dataset.python = bridge.state;
  root.dataset.numpy = bridge.numpy;
  show();
}
