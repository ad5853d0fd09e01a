// The playground's table of gradients: each variable's autograd gradient beside central differences and
// whether the two agree. While predicting, the gradients wait behind the learner's guesses until revealed,
// and Python judges each guess (lesson.exercises.judge_guess, as the exercises' answers are judged); while
// stepping, each row shows only what the backward pass has reached.

import { select } from "d3";
import { changed, setText } from "../../views/changed.js";
import { attributeText, formatNumber } from "../../views/format.js";
import { element } from "../controls.js";
import { pythonMessage } from "../live.js";

// The table's cells after the variable's name: [class, column heading].
const CELLS = [["value", "Value"], ["grad", "Autograd"], ["numerical", "Numerical"], ["difference", "Difference"], ["guess", "Your guess"]];
const COLUMNS = ["Variable", ...CELLS.map(([, heading]) => heading)];

/**
 * The table, then its notes (no variables; why the check differs), appended to `root`. `onReveal()` runs
 * when the learner asks for the gradients held back for predicting (Reveal, or Enter in a guess), so that
 * the graph can show them too. `judge(guess, gradient)` resolves with Python's verdict on a guess.
 * Returns {update(result, mode, step), hides(mode), reset()}.
 */
export function createGradientCheckTable(root, { onReveal, judge }) {
  const { wrapper, table, caption, body, reveal } = frame(root);
  const noInputs = element(root, "p", "widget-note playground-no-inputs",
    "The expression has no variables, so there is no gradient to check: every number in it is a constant.");
  const checkNote = element(root, "p", "widget-note playground-check-note");
  let revealed = false;
  const guesses = new Map(); // variable name -> the text of its guess
  const verdicts = new Map(); // variable name -> {guess, verdict, text}: Python's verdict on that guess
  let judging = 0; // bumped by reset(): a verdict on the guesses of an earlier expression is dropped
  let mode = "all";
  let result = null;
  let step = null;

  /** Whether the gradients are held back for predicting, in mode `inMode`. */
  const hides = (inMode) => inMode === "predict" && !revealed;

  /** Forget the guesses and hide the gradients again: the expression or a value changed. */
  function reset() {
    revealed = false;
    guesses.clear();
    verdicts.clear();
    judging++;
  }

  /** A row as shown: while predicting, nothing of the gradient; while stepping, the gradient so far (`shownGrad`,
   * null before the step reaches it) and the check only once the gradient is `complete`; else all of it. */
  function shownRow(row, hidden, step) {
    if (hidden) return { ...row, shownGrad: null, complete: false };
    if (!step) return { ...row, shownGrad: row.grad, complete: true };
    const shownGrad = Object.hasOwn(step.grads, row.node) ? step.grads[row.node] : null;
    return { ...row, shownGrad, complete: row.step !== null && step.index >= row.step };
  }

  /** The cells' texts for a shown row ("?" for what is not shown yet). */
  function rowTexts(r) {
    const known = r.agrees === true || r.agrees === false;
    return {
      grad: r.shownGrad === null && !r.complete ? "?" : formatNumber(r.shownGrad),
      numerical: !r.complete ? "?" : r.numerical === null ? "—" : formatNumber(r.numerical),
      difference: !r.complete ? "?" : r.difference === null ? (r.reason ?? "—") : formatNumber(r.difference),
      agreement: r.complete && known ? (r.agrees ? " ✓ agree" : " ✗ differ") : "",
      agrees: r.complete && known ? String(r.agrees) : "",
    };
  }

  /** Fill the table from Python's `newResult` in mode `newMode`, at backward step `step` ({index, grads}) or null. */
  function update(newResult, newMode, newStep) {
    result = newResult;
    mode = newMode;
    step = newStep;
    const predicting = mode === "predict";
    const hidden = hides(mode);
    const rows = result.variables.map((r) => shownRow(r, hidden, step));
    wrapper.hidden = rows.length === 0;
    noInputs.hidden = rows.length > 0;
    // Each text and attribute is written only when it changed: an answer changes a few of them.
    caption.filter(changed(() => gradSymbol("v"))).text(`Each input's gradient ${gradSymbol("v")}: autograd beside central differences`);
    table.filter(changed(() => predicting))
        .classed("is-predicting", predicting)
        // display, not `hidden`: the phone layout sets display on every cell, which would win over it.
        .call((t) => t.selectAll("th.guess").style("display", predicting ? null : "none"));
    reveal.hidden = !predicting || revealed;
    setText(checkNote, rows.every((r) => r.complete) ? result.check_note ?? "" : "");
    const texts = new Map(rows.map((r) => [r.name, rowTexts(r)]));
    const text = (key) => (r) => texts.get(r.name)[key];
    const tr = body.selectAll("tr")
      .data(rows, (r) => r.name)
      .join((enter) => {
        const tr = enter.append("tr");
        tr.append("th").attr("scope", "row").append("code");
        // data-label names each cell when a narrow screen stacks the row (widgets.css).
        for (const [cls, label] of CELLS) tr.append("td").attr("class", cls).attr("data-label", label);
        tr.select("td.difference").append("span").attr("class", "difference-number");
        tr.select("td.difference").append("span").attr("class", "agreement");
        const guess = tr.select("td.guess");
        guess.append("input")
            .attr("type", "text")
            .attr("inputmode", "decimal")
            .attr("size", 8)
            .on("input", function (_, r) {
              guesses.set(r.name, this.value);
              if (revealed) judgeGuess(r);
            })
            .on("keydown", (event) => { if (event.key === "Enter") revealGradients(); });
        guess.append("span").attr("class", "guess-result");
        return tr;
      });
    tr.filter(changed((r) => [r.name, r.shownGrad, r.complete, r.numerical, r.difference, text("agrees")(r)]))
        .attr("data-variable", (r) => r.name)
        .attr("data-grad", (r) => attributeText(r.shownGrad))
        .attr("data-numerical", (r) => (r.complete ? attributeText(r.numerical) : ""))
        .attr("data-difference", (r) => (r.complete ? attributeText(r.difference) : ""))
        .attr("data-agrees", text("agrees"));
    tr.select("th code").filter(changed((r) => r.name)).text((r) => r.name);
    tr.select("td.value").filter(changed((r) => r.value)).text((r) => formatNumber(r.value));
    for (const [cell, key] of [["td.grad", "grad"], ["td.numerical", "numerical"], ["td.difference .difference-number", "difference"]]) {
      tr.select(cell).filter(changed(text(key))).text(text(key));
    }
    tr.select("td.difference .agreement")
      .filter(changed((r) => [r.agrees === false, text("agreement")(r)]))
        .classed("is-off", (r) => r.agrees === false)
        .text(text("agreement"));
    tr.select("td.guess").filter(changed(() => predicting)).style("display", predicting ? null : "none");
    // The guess's value always: the learner types into it between draws, so what was drawn last says nothing of it.
    tr.select("td.guess input")
        .property("value", (r) => guesses.get(r.name) ?? "")
      .filter(changed((r) => gradSymbol(r.name)))
        .attr("aria-label", (r) => `Your guess for ${gradSymbol(r.name)}`);
    tr.select("td.guess .guess-result")
      .filter(changed((r) => guessVerdict(r, hidden)))
        .attr("data-verdict", (r) => guessVerdict(r, hidden).verdict)
        .text((r) => guessVerdict(r, hidden).text);
  }

  /** "∂f/∂x", with the output's own name (g when a variable is called f). */
  function gradSymbol(name) {
    return `∂${result?.trace.output ?? "f"}/∂${name}`;
  }

  /** What Python said of the learner's guess beside a revealed gradient, {verdict (right, close, off or
   * unreadable; null while none), text ("close: off by 0.05")}. */
  function guessVerdict(row, hidden) {
    const guess = guesses.get(row.name);
    if (hidden || guess === undefined || guess.trim() === "" || row.grad === null) return { verdict: null, text: "" };
    const judged = verdicts.get(row.name);
    return judged?.guess === guess ? judged : { verdict: null, text: "checking\u2026" };
  }

  /** Ask Python to judge the guess for `row`'s gradient; redraw with its verdict, unless the guess or expression changed meanwhile. */
  function judgeGuess(row) {
    const guess = guesses.get(row.name);
    if (guess === undefined || guess.trim() === "" || row.grad === null) return;
    const round = judging;
    const settle = (verdict, text) => {
      if (round !== judging || guesses.get(row.name) !== guess) return;
      verdicts.set(row.name, { guess, verdict, text });
      update(result, mode, step);
    };
    judge(guess, row.grad).then(
      (judged) => settle(judged.verdict, judged.summary), (error) => settle("unjudged", `not judged: ${pythonMessage(error)}`));
  }

  /** Show the gradients held back for predicting, and have Python judge each guess. */
  function revealGradients() {
    if (mode !== "predict" || revealed) return;
    revealed = true;
    onReveal();
    for (const row of result.variables) judgeGuess(row);
  }

  reveal.addEventListener("click", revealGradients);
  return { update, hides, reset };
}

/** The gradient table's frame: a caption, column heads and the Reveal button for predictions. */
function frame(root) {
  const wrapper = select(root).append("div").attr("class", "gradient-table playground-table");
  const table = wrapper.append("table");
  const caption = table.append("caption");
  table.append("thead").append("tr")
    .selectAll("th")
    .data(COLUMNS)
    .join("th")
      .attr("scope", "col")
      .attr("class", (c) => (c === "Your guess" ? "guess" : null))
      .text((c) => c);
  const body = table.append("tbody");
  const reveal = element(wrapper.node(), "button", "playground-reveal", "Reveal the gradients");
  reveal.type = "button";
  return { wrapper: wrapper.node(), table, caption, body, reveal };
}
