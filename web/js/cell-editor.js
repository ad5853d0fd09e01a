// A code cell's editor: the highlighted <code> made editable as plain text, with the keys of a code editor.
// Tab indents and Shift+Tab dedents (so Tab stays in the editor); Escape then Tab leaves it, as the hint says.

const INDENT = "    ";

/** The editor's keys, for an editor whose Ctrl+Enter does `action` ("runs the cell"). */
export const editorHint = (action) =>
  `Tab indents and Shift+Tab dedents. To leave the editor, press Escape, then Tab. Ctrl+Enter (\u2318+Enter on a Mac) ${action}.`;

export const EDITOR_HINT = editorHint("runs the cell");

/** Make `code` editable; `onRun` is called on Ctrl/Cmd+Enter. `hint` is the element that explains the keys. */
export function makeEditor(code, { label, hint, onRun }) {
  code.contentEditable = "plaintext-only";
  code.spellcheck = false;
  code.setAttribute("role", "textbox");
  code.setAttribute("aria-multiline", "true");
  code.setAttribute("aria-label", label);
  code.setAttribute("aria-describedby", hint.id);
  let leaving = false; // Escape was pressed: the next Tab moves focus on, as everywhere else on the page
  code.addEventListener("blur", () => { leaving = false; });
  // The build's highlighting would colour typed text like the span it lands in: edited code is shown plain.
  code.addEventListener("input", (event) => {
    if (!code.firstElementChild || event.isComposing) return; // rewriting the text mid-composition would cancel it
    const [start, end] = selectionOffsets(code);
    code.textContent = code.textContent;
    setSelection(code, start, end);
  });
  code.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onRun();
    } else if (event.key === "Escape") {
      leaving = true;
    } else if (event.key === "Tab" && !leaving && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      if (event.shiftKey) dedent(code);
      else indent(code);
    } else if (!["Shift", "Control", "Alt", "Meta"].includes(event.key)) {
      leaving = false;
    }
  });
}

/** Tab: with a caret, spaces up to the next indentation stop; with a selection, indent every line it touches. */
function indent(code) {
  const [start, end] = selectionOffsets(code);
  const text = code.textContent;
  if (start === end) {
    const column = start - lineStart(text, start);
    insertText(code, start, end, " ".repeat(INDENT.length - (column % INDENT.length)));
    return;
  }
  const [from, to] = touchedLines(text, start, end);
  const lines = text.slice(from, to).split("\n").map((line) => (line ? INDENT + line : line));
  replaceLines(code, from, to, lines.join("\n"));
}

/** Shift+Tab: remove up to one indentation level from every line the caret or selection touches. */
function dedent(code) {
  const [start, end] = selectionOffsets(code);
  const text = code.textContent;
  const [from, to] = touchedLines(text, start, end);
  const lines = text.slice(from, to).split("\n");
  const removed = lines.map((line) => line.match(/^ {0,4}/)[0].length);
  const block = lines.map((line, i) => line.slice(removed[i])).join("\n");
  if (block === text.slice(from, to)) return;
  if (start === end) {
    insertText(code, from, to, block);
    const caret = Math.max(from, start - removed[0]);
    setSelection(code, caret, caret);
  } else {
    replaceLines(code, from, to, block);
  }
}

/** Replace text[from:to] by `block` and select the new lines, so Tab and Shift+Tab can be pressed again. */
function replaceLines(code, from, to, block) {
  insertText(code, from, to, block);
  setSelection(code, from, from + block.length);
}

/** Replace text[from:to] by `text` as typing would (the browser's undo history keeps it). */
function insertText(code, from, to, text) {
  setSelection(code, from, to);
  document.execCommand("insertText", false, text);
}

function lineStart(text, offset) {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** [start of the first line, end of the last line] touched by text[start:end]; a selection ending at a line's start leaves that line out. */
function touchedLines(text, start, end) {
  const last = end > start && text[end - 1] === "\n" ? end - 1 : end;
  const stop = text.indexOf("\n", last);
  return [lineStart(text, start), stop === -1 ? text.length : stop];
}

/** The current selection inside `code` as [start, end] offsets into its text. */
function selectionOffsets(code) {
  const selection = getSelection();
  if (!selection.rangeCount) return [0, 0];
  const range = selection.getRangeAt(0);
  const offset = (node, at) => {
    const before = document.createRange();
    before.selectNodeContents(code);
    before.setEnd(node, at);
    return before.toString().length;
  };
  return [offset(range.startContainer, range.startOffset), offset(range.endContainer, range.endOffset)];
}

/** Select text[start:end] of `code` (it holds text nodes, possibly inside highlighting spans). */
function setSelection(code, start, end) {
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  range.setStart(code, 0);
  range.setEnd(code, 0);
  let seen = 0;
  let startSet = false;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const length = node.data.length;
    if (!startSet && start <= seen + length) {
      range.setStart(node, start - seen);
      startSet = true;
    }
    if (startSet && end <= seen + length) {
      range.setEnd(node, end - seen);
      break;
    }
    seen += length;
  }
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}
