// Widget "task-progress": the build-your-own-Value track's tasks, each linked and marked once passed, and a
// way to start over (after a confirmation, since it clears the code in every task).

import { button, element } from "../controls.js";
import { taskProgress } from "./progress-store.js";

/** Mount the track's progress from lesson.tasks.initial_state()["task-progress"]: {tasks: [name, ...]}. */
export function mountTaskProgress(root, { state }) {
  const progress = taskProgress();
  root.replaceChildren();
  root.classList.add("widget", "task-progress");
  const summary = element(root, "p", "task-progress-summary");
  summary.setAttribute("aria-live", "polite");
  const list = element(root, "ol", "task-progress-list");
  const items = state.tasks.map((name) => {
    const item = element(list, "li");
    item.dataset.progress = name;
    const link = element(item, "a", null, titleOf(name));
    link.href = `#task-${name}`;
    const mark = element(item, "span", "task-progress-mark");
    return { name, item, mark };
  });

  const controls = element(root, "div", "task-progress-controls");
  const startOver = button(controls, "Start over", "task-start-over");
  const confirm = element(controls, "div", "task-progress-confirm");
  confirm.setAttribute("role", "group");
  confirm.setAttribute("aria-label", "Start over?");
  element(confirm, "span", null, "Clear your code and progress in all five tasks?");
  const clear = button(confirm, "Clear everything", "task-clear");
  const keep = button(confirm, "Keep them", "task-keep");
  const note = element(root, "p", "widget-note");
  note.setAttribute("role", "status");

  function draw() {
    let done = 0;
    for (const { name, item, mark } of items) {
      const passed = progress.isDone(name);
      done += passed;
      if (passed) item.dataset.done = "true";
      else delete item.dataset.done;
      mark.textContent = passed ? " \u2713 done" : "";
    }
    summary.textContent = `${done} of ${items.length} tasks done.` + (progress.kept ? "" : " This browser does not keep them.");
  }

  function asking(yes) {
    confirm.hidden = !yes;
    startOver.hidden = yes;
    (yes ? keep : startOver).focus();
  }

  startOver.addEventListener("click", () => { note.textContent = ""; asking(true); });
  keep.addEventListener("click", () => asking(false));
  clear.addEventListener("click", () => {
    progress.startOver();
    asking(false);
    note.textContent = "Cleared: every task is back at its starting code.";
  });
  progress.addEventListener("change", draw);
  confirm.hidden = true;
  draw();
  return { element: root };
}

/** The task's title, from its heading in the page ("Task 1: add and multiply"). */
function titleOf(name) {
  return document.getElementById(`task-${name}`)?.querySelector("h2, h3")?.textContent ?? name;
}

