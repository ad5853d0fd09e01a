"""Run the lesson's code cells like a notebook: one shared namespace, captured output, short tracebacks.

The same code runs at build time on CPython and in the browser inside Pyodide, so the output a
learner sees before Python boots is the output the live page prints. It uses no threads or
signals: a cell that runs too long is stopped from JavaScript by terminating the worker.
"""

import ast
import contextlib
import io
import linecache
import traceback

CELL_FILENAME = "<cell {}>"


class Notebook:
    """A namespace that cells run in, one after another, so later cells see what earlier ones defined."""

    def __init__(self):
        self.namespace = {"__name__": "__main__"}
        self._runs = 0

    def run(self, source, cell_id=None):
        """Run `source`; return {"stdout", "result", "error"} (an error in the cell is reported, not raised).

        `stdout` holds everything printed (stderr included), `result` the repr of a trailing
        expression as a REPL shows it (None when there is none or it is None), `error` None or
        {"type", "message", "traceback"} where the traceback lists only frames inside cells.
        """
        self._runs += 1
        filename = CELL_FILENAME.format(cell_id if cell_id is not None else self._runs)
        # Tracebacks read source lines through linecache; an mtime of None keeps the entry.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        output = io.StringIO()
        result, error = None, None
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            try:
                body, last = _compile(source, filename)
                exec(body, self.namespace)
                if last is not None:
                    value = eval(last, self.namespace)
                    result = None if value is None else repr(value)
            except BaseException as exc:  # a notebook reports KeyboardInterrupt and SystemExit too
                error = _describe(exc)
        return {"stdout": output.getvalue(), "result": result, "error": error}


def as_text(run):
    """The text a cell's output area shows for one `Notebook.run` result: prints, result, traceback."""
    parts = [run["stdout"]]
    if run["result"] is not None:
        parts.append(run["result"] + "\n")
    if run["error"] is not None:
        parts.append(run["error"]["traceback"])
    return "".join(parts)


def _compile(source, filename):
    """Compile a cell into (statements, trailing expression or None), keeping the cell's line numbers."""
    tree = ast.parse(source, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval", dont_inherit=True)
    return compile(tree, filename, "exec", dont_inherit=True), last


def _describe(exc):
    """Summarise an exception with a traceback made only of frames inside cells."""
    lines = ["Traceback (most recent call last):\n"]
    for frame in traceback.extract_tb(exc.__traceback__):
        if _is_cell(frame.filename):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n')
            if frame.line:
                lines.append(f"    {frame.line.strip()}\n")
    if len(lines) == 1:
        lines = []  # a SyntaxError has no frames: its own lines below say where it is
    lines.extend(traceback.format_exception_only(type(exc), exc))
    message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    if isinstance(exc, SyntaxError) and exc.lineno is not None:
        message = f"{message} (line {exc.lineno})"
    return {"type": type(exc).__name__, "message": message, "traceback": "".join(lines)}


def _is_cell(filename):
    """Whether a traceback frame belongs to a cell (rather than to this module or a library)."""
    prefix, suffix = CELL_FILENAME.split("{}")
    return filename.startswith(prefix) and filename.endswith(suffix)
