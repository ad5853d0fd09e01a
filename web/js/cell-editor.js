// A code cell's editor: the highlighted <code> made editable as plain text, with the keys of a code editor.
// Focus alone does not start editing, so Tab passes through the page's cells without touching them:
// typing (or Enter) starts editing, where Tab indents and Shift+Tab dedents; Escape stops editing, and
// Tab moves on again. CodeMirror 6 follows the same convention; ARCHITECTURE.md says why this is kept instead.

import { markScrollRegion } from "./views/scroll-region.js";

const INDENT = "    ";

/** The editor's keys, for an editor whose Ctrl+Enter does `action` ("runs the cell"). */
export const editorHint = (action) =>
  "Type, or press Enter, to edit. While editing, Tab indents and Shift+Tab dedents; to leave the editor, press Escape, then Tab."
  + ` Ctrl+Enter (\u2318+Enter on a Mac) ${action}.`;

export const EDITOR_HINT = editorHint("runs the cell");

/**
 * Make `code` editable; `onRun` is called on Ctrl/Cmd+Enter. `hint` is the element that explains the keys.
 * `code.dataset.editing` is "true" while the reader is editing (Tab indents), absent otherwise (Tab moves on).
 */
export function makeEditor(code, { label, hint, onRun }) {
  code.contentEditable = "plaintext-only";
  code.tabIndex = 0; // focusable as contenteditable already; said explicitly so checkers see the scrolling box's focusable content
  markScrollRegion(code.parentElement, false); // the editor is its scrolling box's focusable content: one Tab stop, not two
  code.spellcheck = false;
  code.setAttribute("role", "textbox");
  code.setAttribute("aria-multiline", "true");
  code.setAttribute("aria-label", label);
  code.setAttribute("aria-describedby", hint.id);
  const editing = (on) => {
    if (on) code.dataset.editing = "true";
    else delete code.dataset.editing;
  };
  code.addEventListener("blur", () => editing(false));
  // Anything that changes the text (a typed key, paste, cut, Delete) starts editing.
  code.addEventListener("beforeinput", () => editing(true));
  // The build's highlighting would colour typed text like the span it lands in: edited code is shown plain.
  code.addEventListener("input", (event) => {
    if (!code.firstElementChild || event.isComposing) return; // rewriting the text mid-composition would cancel it
    const [start, end] = selectionOffsets(code);
    code.textContent = code.textContent;
    setSelection(code, start, end);
  });
  code.addEventListener("keydown", (event) => {
    const modified = event.ctrlKey || event.metaKey || event.altKey;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onRun();
    } else if (event.key === "Enter" && !modified && !event.shiftKey && !code.dataset.editing) {
      event.preventDefault(); // Enter starts editing; the next Enter types a new line
      editing(true);
    } else if (event.key === "Escape") {
      editing(false);
    } else if (event.key === "Tab" && code.dataset.editing && !modified) {
      event.preventDefault();
      if (event.shiftKey) dedent(code);
      else indent(code);
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
