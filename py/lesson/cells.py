"""Run the lesson's code cells like a notebook: one shared namespace, capped output, short tracebacks.

The same code runs at build time on CPython and in the browser inside Pyodide, so the output a
learner sees before Python boots is the output the live page prints. It uses no threads or
signals: a cell that runs too long is stopped from JavaScript by terminating the worker.

Isolation. Cells and the widgets share one Python, and the lesson invites experiments such as
replacing `Value.backward` with a version that assigns instead of adding. Such an experiment must
change what the learner's cells compute and nothing else. So each Notebook has its own registry of
the project's packages (`autodiff` and `lesson`): while a cell runs, those entries of `sys.modules`
are swapped for the notebook's, and swapped back when it ends. A cell's `import autodiff`,
`from autodiff import Value`, `import lesson.api` or `sys.modules["autodiff.value"]` therefore
reaches modules loaded from the same source files for this notebook alone, on its first import;
patching them leaves `lesson.widgets` and `lesson.api` (what the page calls) untouched. The namespace
starts empty, so it holds no handle on the page's modules either. A new Notebook (the page's reset)
starts with no copies: its first import loads a fresh engine.
A cell's changes to the modules of the standard library and NumPy (`math.tanh = ...`, a tracer) are
kept in the notebook too (see lesson.patches): they hold while its cells run and are taken out when
each ends. Not isolated, because one Python cannot hold two of them: the insides of shared objects
(a stdlib class's methods) and whatever a cell reaches on purpose through frames or the garbage
collector. Those are not experiments the lesson suggests.

Limits, so that no cell can flood the page: output beyond MAX_OUTPUT_LINES lines or
MAX_OUTPUT_CHARS characters is dropped (and counted in a note), tracebacks collapse repeated frames
as Python does and keep at most MAX_TRACEBACK_FRAMES entries, and `input()` raises a clear error
(a worker has no way to ask the learner).
"""

import ast
import contextlib
import io
import linecache
import sys
import traceback
# Printing from a cell runs this module's code while the cell's patches hold (see Notebook.running): the
# builtins it calls then are bound here, as they were at import, so a cell's `builtins.max = ...` changes
# what that cell computes, not how its output is kept.
from builtins import BaseException, RuntimeError, TypeError, eval, exec, isinstance, len, max, range, repr, super, type

from lesson import patches

CELL_FILENAME = "<cell {}>"
PRIVATE_PACKAGES = ("autodiff", "lesson")
MAX_OUTPUT_LINES = 1000
MAX_OUTPUT_CHARS = 100_000
MAX_TRACEBACK_FRAMES = 20
MAX_MESSAGE_CHARS = 2000
REPEATS_SHOWN = 3  # as Python's traceback module: the 4th identical frame in a row becomes a count
NO_INPUT = "input() is not available in the lesson's cells: set the value in the code"


class Notebook:
    """A namespace that cells run in, one after another, so later cells see what earlier ones defined."""

    def __init__(self):
        self.namespace = {"__name__": "__main__"}
        self._modules = {}  # this notebook's own copies of the project's packages, by module name
        self._patches = {}  # what its cells changed in shared modules (math.tanh = ...), kept out of the widgets' way
        self._runs = 0

    def run(self, source, cell_id=None):
        """Run `source`; return {"stdout", "result", "error"} (an error in the cell is reported, not raised).

        `stdout` holds everything printed (stderr included, capped with a note), `result` the repr of
        a trailing expression as a REPL shows it (None when there is none or it is None), `error`
        None or {"type", "message", "traceback"} where the traceback lists only frames inside cells.
        """
        self._runs += 1
        filename = CELL_FILENAME.format(cell_id if cell_id is not None else self._runs)
        # Tracebacks read source lines through linecache; an mtime of None keeps the entry.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        output = CappedText()
        result, failure = None, None
        # Compiled, and an error described, outside `running`: only the cell's own code meets its patches.
        try:
            body, last = _compile(source, filename)
        except BaseException as exc:
            failure = exc
        if failure is None:
            with self.running(output):
                try:
                    exec(body, self.namespace)
                    if last is not None:
                        value = eval(last, self.namespace)
                        result = None if value is None else shorten(repr(value))
                except BaseException as exc:  # a notebook reports KeyboardInterrupt and SystemExit too
                    failure = exc
        return {"stdout": output.getvalue(), "result": result, "error": None if failure is None else describe(failure)}

    @contextlib.contextmanager
    def running(self, output, own_patches=True):
        """Run the code inside as this notebook's cells run: its own engine copy and patches, no input(), printing to
        `output`. A caller running many short calls inside one `own_patches()` passes own_patches=False (noting
        the shared modules costs about a millisecond each time)."""
        patched = self.own_patches() if own_patches else contextlib.nullcontext()
        with patched, self._own_modules(), _no_input(), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            yield

    @contextlib.contextmanager
    def own_patches(self):
        """Give the shared modules this notebook's patches while its code runs, and take them back after (outermost:
        what `running` itself swaps, such as sys.stdout, is back in place before the patches are collected)."""
        noted = patches.SharedState()
        patches.apply(self._patches)
        try:
            yield
        finally:
            imported = {key[1]: module for key, module in self._patches.items() if key[0] == "import"}
            self._patches = noted.changes(imported)
            noted.restore(self._patches)

    def patched(self):
        """What this notebook's code replaced or deleted in the modules shared with the page (['math.tanh'])."""
        return patches.changed_names(self._patches)

    @contextlib.contextmanager
    def _own_modules(self):
        """Swap the project's packages in sys.modules for this notebook's copies while a cell runs."""
        shared = _take_private_modules()
        sys.modules.update(self._modules)
        try:
            yield
        finally:
            self._modules = _take_private_modules()
            sys.modules.update(shared)


def _take_private_modules():
    """Remove the project's packages (`autodiff`, `lesson` and their submodules) from sys.modules; return them."""
    names = [name for name in sys.modules if name.partition(".")[0] in PRIVATE_PACKAGES]
    return {name: sys.modules.pop(name) for name in names}


class CappedText(io.TextIOBase):
    """A text stream keeping its first MAX_OUTPUT_LINES lines / MAX_OUTPUT_CHARS characters and counting the rest."""

    def __init__(self):
        super().__init__()
        self._kept = []
        self._kept_chars = 0
        self._kept_lines = 0
        self._dropped_chars = 0
        self._dropped_lines = 0
        self._dropped_ends_line = True

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        keep = text[:max(0, MAX_OUTPUT_CHARS - self._kept_chars)]
        lines_left = MAX_OUTPUT_LINES - self._kept_lines
        if keep.count("\n") >= lines_left:
            end = -1
            for _ in range(lines_left):
                end = keep.index("\n", end + 1)
            keep = keep[:end + 1]
        if keep:
            self._kept.append(keep)
        self._kept_chars += len(keep)
        self._kept_lines += keep.count("\n")
        dropped = text[len(keep):]
        if dropped:
            self._dropped_chars += len(dropped)
            self._dropped_lines += dropped.count("\n")
            self._dropped_ends_line = dropped.endswith("\n")
        return len(text)

    def getvalue(self):
        """What was kept, then a note on what was dropped (if anything was)."""
        kept = "".join(self._kept)
        if not self._dropped_chars:
            return kept
        lines = self._dropped_lines + (not self._dropped_ends_line)
        return (kept + ("" if kept.endswith("\n") or not kept else "\n")
                + f"[output truncated: {lines:,} more line{'s' if lines != 1 else ''}"
                + f" ({self._dropped_chars:,} characters) not shown; a cell shows at most"
                + f" {MAX_OUTPUT_LINES:,} lines or {MAX_OUTPUT_CHARS:,} characters]\n")


def shorten(text):
    """`text` cut to the output limits, with the same note as printed output."""
    capped = CappedText()
    capped.write(text)
    return capped.getvalue()


class NoInput(io.TextIOBase):
    """Standard input for cells: reading it raises a clear error, since a worker cannot ask the learner."""

    def readable(self):
        return True

    def read(self, size=-1):
        raise RuntimeError(NO_INPUT)

    def readline(self, size=-1):
        raise RuntimeError(NO_INPUT)


@contextlib.contextmanager
def _no_input():
    """Replace sys.stdin while a cell runs (Pyodide's own would call the missing `prompt` and fail obscurely)."""
    saved, sys.stdin = sys.stdin, NoInput()
    try:
        yield
    finally:
        sys.stdin = saved


def as_text(run):
    """The text a cell's output area shows for one `Notebook.run` result: prints, result, traceback.

    Each starts on a line of its own (after `input("prompt")` or `print(..., end="")` too).
    """
    text = run["stdout"]
    for part in (run["result"] and run["result"] + "\n", run["error"] and run["error"]["traceback"]):
        if part:
            text += ("\n" if text and not text.endswith("\n") else "") + part
    return text


def _compile(source, filename):
    """Compile a cell into (statements, trailing expression or None), keeping the cell's line numbers."""
    tree = ast.parse(source, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval", dont_inherit=True)
    return compile(tree, filename, "exec", dont_inherit=True), last


def describe(exc):
    """Summarise an exception with a short traceback made only of frames inside cells."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if _is_cell(frame.filename)]
    lines = ["Traceback (most recent call last):\n", *_frame_lines(frames)] if frames else []
    # A SyntaxError has no frames: its own lines below say where it is.
    exception_lines = traceback.format_exception_only(type(exc), exc)
    lines.append(shorten("".join(exception_lines)))
    if isinstance(exc, SyntaxError):
        message = f"{exc.msg} (line {exc.lineno})" if exc.lineno is not None else str(exc.msg)
    else:
        # The first line, not str(exc): that may itself raise (format_exception_only guards it).
        message = exception_lines[0].rstrip("\n").partition(": ")[2]
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + "\u2026"
    return {"type": type(exc).__name__, "message": message, "traceback": "".join(lines)}


def _frame_lines(frames):
    """The lines of Python's traceback for `frames`, repeats collapsed as Python does, at most MAX_TRACEBACK_FRAMES entries."""
    entries, previous, count = [], None, 0
    for frame in frames:
        key = (frame.filename, frame.lineno, frame.name)
        if key != previous:
            entries.extend(_repeated(count))
            previous, count = key, 0
        count += 1
        if count <= REPEATS_SHOWN:
            source = f"    {frame.line.strip()}\n" if frame.line else ""
            entries.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n{source}')
    entries.extend(_repeated(count))
    if len(entries) > MAX_TRACEBACK_FRAMES:
        half = MAX_TRACEBACK_FRAMES // 2
        hidden = len(entries) - 2 * half
        entries[half:-half] = [f"  [... {hidden:,} more traceback entries not shown ...]\n"]
    return entries


def _repeated(count):
    """Python's note for a frame seen `count` times in a row: the repeats beyond those shown."""
    more = count - REPEATS_SHOWN
    return [f"  [Previous line repeated {more} more time{'s' if more > 1 else ''}]\n"] if more > 0 else []


def _is_cell(filename):
    """Whether a traceback frame belongs to a cell (rather than to this module or a library)."""
    prefix, suffix = CELL_FILENAME.split("{}")
    return filename.startswith(prefix) and filename.endswith(suffix)
