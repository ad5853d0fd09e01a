// Widget "task": one task of the build-your-own-Value track. The learner's code is edited in the code
// cells' editor; Check runs lesson.tasks.check_task on it in Python, in the cells' queue (so the cells' time
// limit and Stop apply, and a check never runs beside a cell), and shows the verdict Python returns. Hint
// shows the next hint, Show solution swaps the solution into the editor (and back). A pass marks the task
// done (data-done="true"), kept in this browser with the code (progress-store.js).

import { editorHint, makeEditor } from "../../cell-editor.js";
import { TIME_LIMIT_MS } from "../../cells.js";
import { createLossChart } from "../../views/loss-chart.js";
import { button, element } from "../controls.js";
import { followPython, pythonMessage } from "../live.js";
import { taskProgress } from "./progress-store.js";

/** Mount the task whose controls go in `root` (inside its section[data-task]), from lesson.tasks.initial_state(). */
export function mountTask(root, { state, bridge, cells }) {
  const section = root.closest("[data-task]");
  const name = section.dataset.task;
  const { hints, solution } = state[name];
  const title = section.querySelector("h2, h3")?.textContent ?? name;
  const code = section.querySelector(".task-source code");
  const starter = code.textContent;
  const progress = taskProgress();
  root.replaceChildren();
  root.classList.add("widget", "task-widget");

  const toolbar = element(root, "div", "task-toolbar");
  const check = button(toolbar, "Check", "task-check", "Run the checks on your code in Python (Ctrl+Enter in the editor)");
  const stop = button(toolbar, "Stop", "task-stop", "Stop the check (restarts Python; the code cells that had run run again)");
  const hint = button(toolbar, "Hint", "task-hint", "Show the next hint");
  const swap = button(toolbar, "Show solution", "task-solution", "Put a working solution in the editor (your code is kept)");
  const status = element(toolbar, "span", "task-state");
  status.setAttribute("aria-live", "polite");
  const keys = element(toolbar, "span", "cell-hint task-keys", editorHint("checks your code"));
  keys.id = `task-keys-${name}`;
  makeEditor(code, { label: `Your code for ${title}`, hint: keys, onRun: () => run() });

  const verdict = element(root, "p", "task-verdict");
  verdict.dataset.verdict = "";
  verdict.setAttribute("role", "status");
  const details = element(root, "details", "task-details");
  element(details, "summary", null, "What the check compared");
  const detailsText = element(details, "pre");
  const printed = element(root, "details", "task-printed");
  element(printed, "summary", null, "What your code printed");
  const printedText = element(printed, "pre");
  const hintList = element(root, "ol", "task-hints");
  hintList.setAttribute("aria-live", "polite");
  const chart = name === "train" ? createLossChart({ title: "Your neuron's loss at each step", label: "Loss of your neuron at each training step" }) : null;
  if (chart) root.append(chart.element);
  let stashed = solution; // what Show solution puts in the editor; then the learner's code, for Back to your code

  function setCode(text) {
    code.textContent = text;
    progress.saveDraft(name, text, starter);
  }

  function showResult({ verdict: outcome, message, details: more, output, chart: losses }) {
    verdict.dataset.verdict = outcome;
    verdict.textContent = message;
    show(details, detailsText, more);
    show(printed, printedText, output);
    if (chart && losses) {
      chart.update(losses);
      chart.element.hidden = false;
    }
    if (outcome === "pass") progress.markDone(name);
  }

  function showFailure(error) {
    verdict.dataset.verdict = "fail";
    verdict.textContent = error.type === "Stopped"
      ? `Stopped (${error.message.replace(/^stopped: /, "").replace(/^check_task /, "the check ")}): does your code loop ` +
        "forever? Python was restarted; the rest of the page keeps working."
      : error.type === "Ended"
        ? "Your code ended Python (as os._exit() and os.abort() do), so Python was restarted; the rest of the page keeps working."
        : `Your code could not be checked: ${pythonMessage(error)}`;
    show(details, detailsText, "");
    show(printed, printedText, "");
  }

  async function run() {
    if (section.dataset.state) return; // queued or checking already
    const source = code.textContent;
    progress.saveDraft(name, source, starter);
    setState("queued", "waiting for the code cells to finish\u2026");
    const notebook = await cells;
    const { result, error } = await notebook.runAlone(`Checking your code for ${title}\u2026`, () => {
      setState("checking", bridge.state === "ready" ? "checking\u2026" : "waiting for Python to start\u2026");
      return bridge.call("check_task", { name, source }, { timeoutMs: TIME_LIMIT_MS });
    });
    if (error) showFailure(error);
    else showResult(result);
    setState(null, "");
  }

  /** Show `now` (queued, checking; none when null) on the section and the buttons, `text` beside them. */
  function setState(now, text) {
    if (now) section.dataset.state = now;
    else delete section.dataset.state;
    status.textContent = text;
    check.disabled = Boolean(now);
    stop.disabled = now !== "checking"; // a queued check waits for a cell: Stop would stop the cell
    check.textContent = now ? "Checking\u2026" : "Check";
    check.setAttribute("aria-busy", String(Boolean(now)));
  }

  function showNextHint() {
    const shown = hintList.children.length;
    if (shown >= hints.length) return;
    codeText(element(hintList, "li"), hints[shown]);
    updateHintButton();
  }

  function updateHintButton() {
    const shown = hintList.children.length;
    hint.disabled = shown >= hints.length;
    hint.textContent = shown >= hints.length ? "No more hints" : shown ? `Next hint (${shown + 1} of ${hints.length})` : "Hint";
  }

  function swapSolution() {
    const current = code.textContent;
    const showing = swap.dataset.showing === "solution";
    setCode(stashed);
    stashed = current;
    swap.dataset.showing = showing ? "yours" : "solution";
    swap.textContent = showing ? "Show solution" : "Back to your code";
  }

  function markDone() {
    const done = progress.isDone(name);
    if (done) section.dataset.done = "true";
    else delete section.dataset.done;
    if (done && !verdict.dataset.verdict) verdict.textContent = "Done: you passed this task (kept in this browser). Check runs the checks again.";
  }

  function startOver() {
    code.textContent = starter;
    stashed = solution;
    swap.dataset.showing = "yours";
    swap.textContent = "Show solution";
    hintList.replaceChildren();
    updateHintButton();
    verdict.dataset.verdict = "";
    verdict.textContent = "";
    show(details, detailsText, "");
    show(printed, printedText, "");
    if (chart) chart.element.hidden = true;
  }

  check.addEventListener("click", run);
  stop.addEventListener("click", () => cells.then((notebook) => notebook.stop()));
  hint.addEventListener("click", showNextHint);
  swap.addEventListener("click", swapSolution);
  code.addEventListener("input", () => progress.saveDraft(name, code.textContent, starter));
  progress.addEventListener("change", markDone);
  progress.addEventListener("start-over", startOver);
  followPython(bridge, (python) => {
    if (python === "failed") status.textContent = "Python could not start here, so your code cannot be checked.";
  });

  const draft = progress.draft(name);
  if (draft !== null) code.textContent = draft;
  swap.dataset.showing = "yours";
  if (chart) chart.element.hidden = true;
  setState(null, "");
  updateHintButton();
  show(details, detailsText, "");
  show(printed, printedText, "");
  markDone();
  return { element: root, check: run };
}

/** Show `text` in `pre` inside `box` (a <details>), or hide the box when there is none. */
function show(box, pre, text) {
  pre.textContent = text ?? "";
  box.hidden = !text;
}

/** Append `text` to `parent`, its `backquoted` parts as <code> (inserted as text, never as HTML). */
function codeText(parent, text) {
  text.split("`").forEach((part, i) => {
    if (i % 2) element(parent, "code", null, part);
    else if (part) parent.append(part);
  });
}
