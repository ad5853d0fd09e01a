// Widget "exercise": predict, then check. The learner types an answer; Python judges it against the engine
// (lesson.exercises.check_exercise) and the verdict says how close it is. Once an answer has been judged,
// the worked explanation below it opens. The page never computes the answer itself.

import { button, element } from "./controls.js";
import { followPython, pythonMessage } from "./live.js";

/** Mount the answer box of the exercise around `root` (section[data-exercise]), from lesson.exercises.initial_state(). */
export function mountExercise(root, { state, bridge }) {
  const section = root.closest("[data-exercise]");
  const name = section.dataset.exercise;
  const { parts } = state[name];
  const explanation = section.querySelector(".exercise-explanation");
  root.replaceChildren();
  root.classList.add("widget", "exercise-widget");

  const form = element(root, "form", "exercise-form");
  form.noValidate = true;
  const id = `answer-${name}`;
  const label = element(form, "label", null, "Your answer");
  label.htmlFor = id;
  const input = element(form, "input");
  Object.assign(input, { id, type: "text", autocomplete: "off", spellcheck: false });
  input.setAttribute("autocapitalize", "off");
  const check = element(form, "button", null, "Check");
  check.type = "submit";
  const format = element(form, "p", "widget-note exercise-format",
    parts.length > 1
      ? `${parts.length} numbers, separated by commas: ${parts.join(", ")}.`
      : "A number, or numbers combined such as 3*2**2 or 1/4.");
  format.id = `answer-format-${name}`;
  input.setAttribute("aria-describedby", format.id);
  const verdict = element(root, "p", "exercise-verdict");
  verdict.dataset.verdict = "";
  verdict.setAttribute("role", "status");
  const reveal = button(root, "Show the worked explanation", "exercise-reveal");
  reveal.hidden = true; // offered only when Python cannot judge

  function open() {
    explanation.hidden = false;
    reveal.hidden = true;
    section.dataset.answered = "true";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (section.dataset.state === "checking") return;
    section.dataset.state = "checking";
    check.disabled = true;
    verdict.dataset.verdict = "";
    verdict.textContent = bridge.state === "ready" ? "Checking\u2026" : "Checking once Python has started\u2026";
    bridge.call("check_exercise", { name, answer: input.value }).then(
      (result) => {
        verdict.dataset.verdict = result.verdict;
        verdict.textContent = result.message;
        if (result.attempted) open();
      },
      (error) => {
        verdict.dataset.verdict = "fail";
        verdict.textContent = `Your answer could not be checked: ${pythonMessage(error)}.`;
      },
    ).finally(() => {
      delete section.dataset.state;
      check.disabled = false;
    });
  });
  reveal.addEventListener("click", open);
  followPython(bridge, (python) => {
    if (python !== "failed" || !explanation.hidden) return;
    verdict.textContent = "Python could not start here, so answers cannot be checked; the worked explanation is there to read.";
    reveal.hidden = false;
  });
  return { element: root };
}
