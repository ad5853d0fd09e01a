// Code cells: live cells are editable and run, one at a time, in the notebook lesson.api keeps for them.
//
// The page side of the notebook. Runs are queued, so Python sees cells in the order they were asked for.
// Running a cell first runs the live cells above it that have not run yet (the lesson's cells build on
// each other, as the page's build-time outputs do; an engine cell needs only the engine cells above it,
// which the build checks). A NumPy cell waits for NumPy, which loads after Python is ready. After Python
// restarts (Stop, or the time limit) each cell's last successful code runs again, in the order the cells
// last ran, under the same time limit; but not the code that made Python stop answering (say
// `js.onmessage = None`), which would break the new Python too: that cell says so. Reset puts back a cell's code and output and starts Python's
// notebook afresh (a fresh engine copy too).

import { EDITOR_HINT, makeEditor } from "./cell-editor.js";
import { keepScrollingBoxesReachable } from "./views/scroll-region.js";

export const TIME_LIMIT_MS = 10000;
// Code that needs NumPy: a NumPy cell, or any cell whose code names numpy or our Tensor (a learner's edit).
const NEEDS_NUMPY = /\b(numpy|Tensor)\b/;
const BUSY_NOTE_DELAY_MS = 300; // a quick cell should not flash the page-level note

/**
 * Make every live `figure.cell` under `root` editable and runnable through `bridge`; say why the others
 * are not. Code and tables too wide for their box scroll from the keyboard.
 * Returns the notebook, whose queue other runs of learners' code share (`runAlone`).
 */
export function mountCells({ bridge, root = document }) {
  const notebook = new Notebook(bridge);
  for (const figure of root.querySelectorAll("figure.cell")) {
    if (figure.dataset.live === "true") notebook.cells.push(new LiveCell(figure, notebook));
    // The renderer says why a cell is static (PyTorch, NumPy not bundled); this covers any other case.
    else if (!figure.querySelector(".cell-note")) addNote(figure, "This cell's output was computed when the page was built.");
  }
  keepScrollingBoxesReachable(root);
  return notebook;
}

function addNote(figure, text) {
  const note = document.createElement("figcaption");
  note.className = "cell-note";
  note.textContent = text;
  figure.append(note);
}

/** What the page knows of Python's notebook, and the one queue every cell run goes through. */
class Notebook {
  constructor(bridge) {
    this.bridge = bridge;
    this.note = busyNote(() => this.stop());
    this.cells = []; // LiveCell, in page order
    this.succeeded = new Map(); // cell id -> its last successful source; Map order = the order they last ran
    this.attempted = new Set(); // ids of cells run in this notebook (so "run the cells above" skips them)
    this.broke = new Map(); // cell id -> the code of that cell that made Python stop answering (never run for another cell)
    this.restarts = 0;
    this.replayDue = false; // Python restarted: restore the cells before anything else runs
    this.running = null; // the LiveCell whose code Python is running
    this.queue = Promise.resolve();
    this.pending = 0;
    bridge.addEventListener("restart", ({ detail: { unresponsive, brokenBy } }) => {
      this.restarts++;
      // A cell's code ended Python, or Python stopped taking calls up after it ran: it is not replayed.
      const culprit = brokenBy?.name === "run_cell" && this.cells.find((cell) => cell.id === brokenBy.args.cell_id);
      if (culprit) {
        this.succeeded.delete(culprit.id);
        this.broke.set(culprit.id, brokenBy.args.source);
        culprit.showBrokePython(unresponsive ? "stopped Python from answering" : "ended Python");
      }
      this.replayDue = true;
      this.enqueue(() => {}); // so that the cells are restored even when no other run is waiting
    });
  }

  /** Run `task` after everything queued before it (and a replay, if Python restarted); the page-level note shows meanwhile. */
  enqueue(task) {
    if (this.pending++ === 0) this.note.busy();
    const done = this.queue.then(async () => {
      await this.restoreAfterRestart();
      return task();
    });
    this.queue = done.catch((error) => console.error("code cells:", error)).finally(() => {
      if (--this.pending === 0) this.note.idle();
    });
    return done;
  }

  /** Run `cell`'s code, after the live cells above it that have not run in this notebook (an engine cell: the engine cells). */
  run(cell) {
    cell.showQueued();
    return this.enqueue(async () => {
      for (const earlier of this.cells.slice(0, this.cells.indexOf(cell))) {
        if (this.attempted.has(earlier.id) || (cell.kind === "engine" && earlier.kind !== "engine")) continue;
        if (this.broke.get(earlier.id) === earlier.source()) continue; // it would break Python again; it says so
        const outcome = await this.execute(earlier, earlier.source(), "above");
        if (outcome === "stopped" || outcome === "failed") {
          cell.showNotRun(`Not run: cell ${earlier.id} above it did not finish.`);
          return outcome;
        }
      }
      return this.execute(cell, cell.source(), "run");
    });
  }

  /**
   * Run `call()`, a call to Python for something other than a cell (a task's Check), in the cells' queue: after
   * what is queued before it, under the page-level note saying `doing`, whose Stop stops it. Resolves with
   * {result} or {error}, never rejects (a rejection would end up in the queue's console error).
   */
  runAlone(doing, call) {
    return this.enqueue(async () => {
      this.running = call;
      this.note.say(doing);
      try {
        return { result: await call() };
      } catch (error) {
        return { error };
      } finally {
        this.running = null;
      }
    });
  }

  /** Put back `cell`'s original code and start Python's notebook afresh: no names, a fresh engine copy. */
  reset(cell) {
    cell.restoreOriginal();
    return this.enqueue(async () => {
      this.succeeded.clear();
      this.attempted.clear();
      await this.bridge.call("reset_cells").catch(() => {}); // a Python that cannot start has nothing to reset
    });
  }

  /** Stop what keeps the cells' queue busy (a cell, a check, Reset): Python is replaced, and the cells that ran are run again. */
  stop() {
    if (this.pending && this.bridge.state === "ready") this.bridge.restart("stopped by you");
  }

  /** Replay the cells once per restart, again if Python restarts during the replay (a replay ran too long). */
  async restoreAfterRestart() {
    while (this.replayDue) {
      this.replayDue = false;
      await this.replay(this.restarts);
    }
  }

  /** After restart number `restart`: run each cell's last successful code again, in the order they last ran. */
  async replay(restart) {
    const runs = [...this.succeeded];
    for (const [index, [id, source]] of runs.entries()) {
      if (restart !== this.restarts) return; // Python restarted again: the next replay starts over
      const cell = this.cells.find((candidate) => candidate.id === id);
      const outcome = await this.execute(cell, source, "replay", `Python restarted: running the cells that had run before again (${index + 1} of ${runs.length})\u2026`);
      if (outcome !== "done") this.succeeded.delete(id); // so a cell that cannot be restored is not retried forever
    }
  }

  /**
   * Run `source` as `cell` (how: "run", "above" or "replay") and show the outcome in the cell; the
   * page-level note says `doing`. Returns "done", "error", "stopped" or "failed" (Python could not start).
   */
  async execute(cell, source, how, doing = "A code cell is running: the widgets update when it finishes.") {
    // A NumPy cell waits for NumPy (and fails without it); a cell whose code names it waits while it loads.
    const waitsForNumpy = cell.kind === "numpy" || (this.bridge.numpy === "loading" && NEEDS_NUMPY.test(source));
    const ready = this.bridge.state === "ready" && (!waitsForNumpy || this.bridge.numpy === "ready");
    this.attempted.add(cell.id);
    this.running = cell;
    this.note.say(ready ? doing : waitsForNumpy ? "A cell that needs NumPy runs once NumPy has loaded." : "A code cell runs once Python has started.");
    cell.showRunning(how, ready, waitsForNumpy);
    try {
      if (waitsForNumpy) {
        await (cell.kind === "numpy" ? this.bridge.whenNumpy() : this.bridge.whenNumpy().catch(() => {}));
        this.note.say(doing);
        cell.showRunning(how, true, waitsForNumpy);
      }
      const result = await this.bridge.call("run_cell", { source, cell_id: cell.id }, { timeoutMs: TIME_LIMIT_MS });
      if (!result.error) {
        this.succeeded.delete(cell.id); // re-inserted: the order is the order cells last ran
        this.succeeded.set(cell.id, source);
      }
      cell.showResult(result, how);
      return result.error ? "error" : "done";
    } catch (error) {
      cell.showFailure(error, how);
      return error.type === "Stopped" ? "stopped" : "failed";
    } finally {
      this.running = null;
    }
  }
}

/** One live cell's editor, buttons and output. */
class LiveCell {
  constructor(figure, notebook) {
    this.figure = figure;
    this.id = figure.dataset.cell;
    this.kind = figure.dataset.kind; // engine or numpy
    this.code = figure.querySelector(".cell-source code");
    this.output = figure.querySelector(".cell-output")
      ?? figure.appendChild(Object.assign(document.createElement("pre"), { className: "cell-output" }));
    this.original = { code: this.code.cloneNode(true), output: this.output.textContent };

    const hint = Object.assign(document.createElement("span"), { className: "cell-hint", id: `cell-hint-${this.id}`, textContent: EDITOR_HINT });
    makeEditor(this.code, { label: `Python code of cell ${this.id}`, hint, onRun: () => this.requestRun(notebook) });
    this.runButton = button("Run", "cell-run", "Run this cell (Ctrl+Enter); cells above it that have not run yet run first");
    this.stopButton = button("Stop", "cell-stop", "Stop the running cell (restarts Python and runs the earlier cells again)");
    this.resetButton = button("Reset", "cell-reset", "Put back this cell's original code, and start Python's cells afresh");
    this.state = Object.assign(document.createElement("span"), { className: "cell-state" });
    this.state.setAttribute("aria-live", "polite");
    this.stopButton.disabled = true;
    this.runButton.addEventListener("click", () => this.requestRun(notebook));
    this.stopButton.addEventListener("click", () => notebook.stop());
    this.resetButton.addEventListener("click", () => notebook.reset(this));
    const toolbar = document.createElement("div");
    toolbar.className = "cell-toolbar";
    toolbar.append(this.runButton, this.stopButton, this.resetButton, this.state, hint);
    figure.insertBefore(toolbar, this.output);
  }

  source() {
    return this.code.textContent;
  }

  requestRun(notebook) {
    if (this.figure.dataset.state === "running" || this.figure.dataset.state === "queued") return; // already on its way
    notebook.run(this);
  }

  /** Show `state` (running, queued, done, error; none when null) on the figure and its buttons, `text` beside them. */
  setState(state, text) {
    if (state) this.figure.dataset.state = state;
    else delete this.figure.dataset.state;
    this.state.textContent = text;
    const busy = state === "running" || state === "queued";
    this.runButton.disabled = busy;
    this.resetButton.disabled = busy;
    this.runButton.textContent = state === "running" ? "Running\u2026" : state === "queued" ? "Queued\u2026" : "Run";
    this.runButton.setAttribute("aria-busy", String(busy));
    this.stopButton.disabled = state !== "running";
  }

  showQueued() {
    this.setState("queued", "waiting for the cells before it\u2026");
  }

  showRunning(how, pythonReady, waitsForNumpy) {
    if (this.figure.dataset.state !== "running") this.before = { state: this.figure.dataset.state, text: this.state.textContent };
    const doing = how === "replay" ? "running again after the restart\u2026" : how === "above" ? "running (a later cell needs it)\u2026" : "running\u2026";
    const waiting = waitsForNumpy ? "waiting for NumPy to load\u2026" : "waiting for Python to start\u2026";
    this.setState("running", pythonReady ? doing : waiting);
  }

  showResult(result, how) {
    if (how === "replay") {
      if (result.error) this.show("error", "not restored", `After Python restarted, this cell's last successful code was run again and failed:\n${result.text}`);
      else this.setState(this.before.state, this.before.text); // restored: its output still stands
      return;
    }
    this.show(result.error ? "error" : "done", result.error ? result.error.type : "done", result.text);
  }

  showFailure(error, how) {
    if (error.type === "Ended") {
      this.showBrokePython("ended Python");
      return;
    }
    if (error.type === "Unresponsive") {
      this.show("error", "not run", "Not run: Python stopped answering, so it was restarted. Run this cell again.");
      return;
    }
    if (error.type !== "Stopped") {
      this.show("error", "not run", `Could not run: ${error.message}`);
      return;
    }
    const reason = error.message.replace(/^stopped: /, "").replace(/^run_cell /, "the cell ");
    const text = how === "replay"
      ? `Stopped (${reason}) while this cell was run again after a restart, so the names it defines are not back. Run it again to bring them back.`
      : `Stopped (${reason}). Python was restarted; the cells that had run before are run again, so their names come back.`;
    this.show("error", "stopped", text);
  }

  showNotRun(text) {
    this.show("error", "not run", text);
  }

  /** Say that this cell's code `broke` Python ("ended Python"), so that it was restarted without running this cell again. */
  showBrokePython(broke) {
    this.show("error", "not run again", `This cell ${broke}, so Python was restarted, and this cell was not `
      + "run again after the restart: the names it defined are gone. Change its code and run it again.");
  }

  show(state, stateText, outputText) {
    this.output.textContent = outputText;
    this.setState(state, stateText);
  }

  restoreOriginal() {
    this.code.replaceChildren(...this.original.code.cloneNode(true).childNodes);
    this.output.textContent = this.original.output;
    this.setState(null, "reset: Python's cells start afresh");
  }
}

function button(label, className, title) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = label;
  element.title = title;
  return element;
}

/** The page-level note shown while cells keep Python busy (the widgets wait for Python until they are done), with a Stop button. */
function busyNote(stopRunning) {
  const note = document.createElement("div");
  note.className = "cells-busy";
  note.setAttribute("role", "status");
  note.hidden = true;
  const text = document.createElement("span");
  const stop = button("Stop", "cells-busy-stop", "Stop the running cell (restarts Python and runs the earlier cells again)");
  stop.addEventListener("click", stopRunning);
  note.append(text, stop);
  document.body.append(note);
  let timer = null;
  const root = document.documentElement;
  return {
    busy() {
      root.dataset.cells = "running";
      timer = setTimeout(() => { note.hidden = false; }, BUSY_NOTE_DELAY_MS);
    },
    say(message) {
      text.textContent = message;
    },
    idle() {
      clearTimeout(timer);
      note.hidden = true;
      delete root.dataset.cells;
    },
  };
}
