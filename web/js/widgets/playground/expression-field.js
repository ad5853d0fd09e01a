// The playground's Expression field: what the learner types, the alert that points at what is wrong with
// it, and the line saying how Python read it. What is typed goes to Python once typing pauses (or at once
// on Enter or on leaving the field): half a word that happens to parse ("tan" on the way to "tanh(",
// "foo" before "(x)") would otherwise get a slider of its own. A message that fires on every keystroke is
// noise to a screen reader, so a refusal, too, is announced once typing pauses.

import { element, inputField } from "../controls.js";

const CONTEXT = 24; // characters of the expression shown either side of an error
const TYPING_PAUSE_MS = 350; // the pause in typing after which the text goes to Python
const ALERT_DELAY_MS = 400; // the further pause after which a refusal is announced

/** Text with each character outside printable ASCII written as its code point (⟨U+202E⟩), so that an
 * invisible or direction-changing character can neither hide nor reorder what the alert points at. */
function visible(text) {
  return text.replace(/[^\x20-\x7e]/gu, (ch) => (
    "\t\n\r".includes(ch) ? " " : `⟨U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`));
}

/** The expression with the span [start, end) (code points, as Python counts) cut out for highlighting. */
function spanParts(text, start, end) {
  const chars = Array.from(text);
  const from = Math.max(0, start - CONTEXT);
  const shown = Math.min(end, start + 2 * CONTEXT); // a long span (a 100 kB input) is cut too
  const join = (a, b) => visible(chars.slice(a, b).join(""));
  return {
    before: (from > 0 ? "…" : "") + join(from, start),
    marked: join(start, shown) || " ", // an empty span (at the end) still shows where
    after: join(shown, shown + CONTEXT) + (shown + CONTEXT < chars.length ? "…" : ""),
  };
}

/**
 * The Expression field, its alert and its "Read as" line, appended to `root` (which gets
 * `data-typing` while an edit waits for a pause in typing, and `data-alert-pending` while a refusal
 * does). `onEdit()` runs once typing pauses, on Enter and on leaving the field with an edit not yet
 * sent, and returns a Promise resolved once Python's answer is drawn.
 * Returns {text (the field's value, read and written), refuse(error, text, {now, superseded}),
 * accept(normalized), flush(), linkRefused(message)}.
 */
export function createExpressionField(root, { value, onEdit }) {
  // No maxlength: a long paste is refused by the parser, saying how long it is, instead of being cut
  // without a word.
  const form = element(root, "form", "widget-controls");
  const { input: field } = inputField(form, {
    label: "Expression", className: "expression-field", type: "text", value,
    size: 36, spellcheck: "false", autocomplete: "off", autocapitalize: "off",
  });
  const alert = element(root, "div", "widget-error playground-alert");
  alert.id = `${field.id}-error`;
  alert.setAttribute("role", "alert");
  const normalized = element(root, "p", "widget-note playground-normalized");
  let read = null; // the last expression Python could read, as it wrote it back
  let pendingAlert = null; // {error, text, timer}: a refusal not yet announced
  let typing = null; // the timer that sends the text once typing pauses

  /** Announce Python's refusal `error` of `text` once typing pauses, or at once with `now`; not at all when
   * it is `superseded` (newer edits are already on their way to Python: their answer decides). */
  function refuse(error, text, { now = false, superseded = false } = {}) {
    cancelAlert();
    if (now) {
      renderError(error, text);
    } else if (!superseded) {
      pendingAlert = { error, text, timer: setTimeout(flush, ALERT_DELAY_MS) };
      root.dataset.alertPending = "true";
    }
  }

  /** Forget a refusal not yet announced: typing went on, or the input is good now. */
  function cancelAlert() {
    clearTimeout(pendingAlert?.timer);
    pendingAlert = null;
    delete root.dataset.alertPending;
  }

  /** Announce the refusal waiting for a pause in typing, if there is one, now. */
  function flush() {
    if (!pendingAlert) return;
    const { error, text } = pendingAlert;
    cancelAlert();
    renderError(error, text);
  }

  /** Put a refusal in the alert: its message and the snippet with the offending span marked; mark the field. */
  function renderError({ message, start, end }, text) {
    const { before, marked, after } = spanParts(text, start, end);
    alert.replaceChildren();
    element(alert, "div", null, message);
    // Isolated left to right: the snippet is the learner's own text, whatever direction it would take.
    const code = element(element(alert, "div"), "bdi", "playground-source");
    code.dir = "ltr";
    code.append(before);
    element(code, "mark", null, marked);
    code.append(after);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", alert.id);
    if (read !== null) normalized.textContent = `The graph below is still the last expression that could be read: ${read}`;
  }

  /** Python read the expression as `text`: clear any refusal and say so. */
  function accept(text) {
    cancelAlert();
    alert.replaceChildren();
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
    read = text;
    normalized.textContent = `Read as: ${text}`;
  }

  /** Say why a shared link was refused, and take the reader there: the link brought them to the playground. */
  function linkRefused(message) {
    alert.replaceChildren();
    element(alert, "div", null, `This link could not be opened: ${message}`);
    alert.tabIndex = -1; // focusable from script only, so Tab order is unchanged
    alert.focus({ preventScroll: true });
    root.scrollIntoView({ block: "start" });
  }

  /** Send the text to Python now (typing paused, Enter); resolves once its answer is drawn. */
  function send() {
    clearTimeout(typing);
    typing = null;
    delete root.dataset.typing;
    return onEdit();
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); send().then(flush); });
  // A keystroke restarts the wait for a pause: neither a text already typed over nor its refusal reaches the page.
  field.addEventListener("input", () => {
    cancelAlert();
    clearTimeout(typing);
    typing = setTimeout(send, TYPING_PAUSE_MS);
    root.dataset.typing = "true";
  });
  field.addEventListener("blur", () => (typing === null ? flush() : send().then(flush)));

  return {
    get text() { return field.value; },
    set text(text) { field.value = text; },
    refuse, accept, flush, linkRefused,
  };
}
