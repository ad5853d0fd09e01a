// Code cells: live cells become editable and runnable in the lesson's shared Python namespace.

const TIME_LIMIT_MS = 10000;

/** Make every live `figure.cell` under `root` editable and runnable through `bridge`; say why the others are not. */
export function mountCells({ bridge, root = document }) {
  const succeeded = []; // {cellId, source} of every successful run, in order: replayed after a restart
  bridge.addEventListener("restart", () => {
    for (const run of succeeded) bridge.call("run_cell", { source: run.source, cell_id: run.cellId }).catch(() => {});
  });
  for (const figure of root.querySelectorAll("figure.cell")) {
    if (figure.dataset.live === "true") makeLive(figure, bridge, succeeded);
    // The renderer says why a cell is static (PyTorch, NumPy not bundled); this covers any other case.
    else if (!figure.querySelector(".cell-note")) addNote(figure, "This cell's output was computed when the page was built.");
  }
}

function addNote(figure, text) {
  const note = document.createElement("figcaption");
  note.className = "cell-note";
  note.textContent = text;
  figure.append(note);
}

function button(label, className, title) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = label;
  element.title = title;
  return element;
}

function makeLive(figure, bridge, succeeded) {
  const cellId = figure.dataset.cell;
  const code = figure.querySelector(".cell-source code");
  const output = figure.querySelector(".cell-output") ?? figure.appendChild(Object.assign(document.createElement("pre"), { className: "cell-output" }));
  const original = code.cloneNode(true);
  code.contentEditable = "plaintext-only";
  code.spellcheck = false;
  code.setAttribute("role", "textbox");
  code.setAttribute("aria-multiline", "true");
  code.setAttribute("aria-label", `Python code of cell ${cellId}`);

  const run = button("Run", "cell-run", "Run this cell (Ctrl+Enter)");
  const stop = button("Stop", "cell-stop", "Stop the running cell (restarts Python and restores earlier cells)");
  const reset = button("Reset", "cell-reset", "Put back the cell's original code");
  const state = document.createElement("span");
  state.className = "cell-state";
  state.setAttribute("aria-live", "polite");
  stop.disabled = true;
  const toolbar = document.createElement("div");
  toolbar.className = "cell-toolbar";
  toolbar.append(run, stop, reset, state);
  figure.insertBefore(toolbar, output);

  const execute = async () => {
    const source = code.textContent;
    run.disabled = true;
    stop.disabled = false;
    figure.dataset.state = "running";
    state.textContent = bridge.state === "ready" ? "running\u2026" : "waiting for Python to start\u2026";
    try {
      const result = await bridge.call("run_cell", { source, cell_id: cellId }, { timeoutMs: TIME_LIMIT_MS });
      output.textContent = result.text;
      figure.dataset.state = result.error ? "error" : "done";
      state.textContent = result.error ? `${result.error.type}` : "done";
      if (!result.error) succeeded.push({ cellId, source });
    } catch (error) {
      figure.dataset.state = "error";
      output.textContent = error.type === "Stopped"
        ? `Stopped (${error.message.replace(/^stopped: /, "")}). Python was restarted; the cells that had run before were run again, so their names are back.`
        : `Could not run: ${error.message}`;
      state.textContent = error.type === "Stopped" ? "stopped" : "not run";
    } finally {
      run.disabled = false;
      stop.disabled = true;
    }
  };
  run.addEventListener("click", execute);
  stop.addEventListener("click", () => bridge.restart("stopped by you"));
  reset.addEventListener("click", () => code.replaceChildren(...original.cloneNode(true).childNodes));
  code.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      execute();
    }
  });
}
