"""Run a learner's task code and call into it, keeping the page safe from it.

The code runs as a code cell does (lesson.cells): in a fresh Notebook, so with an empty namespace and
its own copy of `autodiff` and `lesson` (a patch of the engine stays there), `input()` refused and
output captured. Every later call into the learner's objects goes through `Learner.call`, which runs
it the same way and turns whatever it raises into a Mistake naming the line of the learner's code.

What one Python cannot give a notebook a copy of (builtins, the standard library, NumPy) the notebook
watches instead (lesson.patches): what the code replaced or deleted there (math.tanh, builtins.print,
sys.modules['json'], ...) holds only while the learner's code runs, and `Learner.patched()` names it.
Endless loops are not caught here: the page stops a check that runs too long by restarting Python.
"""

import traceback

from lesson.cells import CappedText, Notebook, describe
from lesson.tasks.probes import Mistake


class Learner:
    """The learner's code for one task, run once in a fresh notebook; `call` runs more of it."""

    def __init__(self, source, task):
        self.notebook = Notebook()
        self.output = CappedText()  # what the code prints while it is checked (after the run's own output)
        self.filename = f"<cell {task}>"
        run = self.notebook.run(source, cell_id=task)
        self.printed = run["stdout"]
        self.error = run["error"]
        self.namespace = self.notebook.namespace

    def checking(self):
        """The context the checks run in: the learner's patches in place for all of its calls, noted once."""
        return self.notebook.own_patches()

    def patched(self):
        """What the learner's code replaced or deleted in modules shared with the page (['math.tanh'])."""
        return self.notebook.patched()

    def printed_text(self):
        """Everything the learner's code printed: when it ran, then while it was checked."""
        return self.printed + self.output.getvalue()

    def call(self, what, function, *args):
        """`function(*args)` run as the learner's code runs (inside `checking()`); what it raises becomes a Mistake
        saying `what` raised it."""
        with self.notebook.running(self.output, own_patches=False):
            try:
                return function(*args)
            except Mistake:
                raise
            except BaseException as error:  # SystemExit and KeyboardInterrupt from the learner's code too
                raise self.raised(what, error) from None

    def raised(self, what, error):
        """The Mistake for `what` raising `error`: its message, the line of the learner's code, a short traceback."""
        described = describe(error)
        line = self.line_of(error)
        where = f" (line {line} of your code)" if line else ""
        message = f"{what} raised {described['type']}: {described['message']}{where}"
        if isinstance(error, TypeError) and "unsupported operand" in described["message"]:
            message += ("; Python looks for the method of Value that does this (__rmul__ for 3 * a, __radd__ "
                        "for 3 + a), so define the one that is missing")
        return Mistake(message, details=described["traceback"])

    def line_of(self, error):
        """The line of the learner's code where `error` was raised (its innermost frame there), or None."""
        lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == self.filename]
        return lines[-1] if lines else None
