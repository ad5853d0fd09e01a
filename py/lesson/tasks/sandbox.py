"""Run a learner's task code and call into it, keeping the page safe from it.

The code runs as a code cell does (lesson.cells): in a fresh Notebook, so with an empty namespace and
its own copy of `autodiff` and `lesson` (a patch of the engine stays there), `input()` refused and
output captured. Every later call into the learner's objects goes through `Learner.call`, which runs
it the same way and turns whatever it raises into a Mistake naming the line of the learner's code.

What one Python cannot give a notebook a copy of (builtins, the standard library, NumPy) is watched
instead: `SharedState` notes those modules' attributes before the learner's code runs, and afterwards
puts back what the code replaced or deleted (math.tanh, builtins.print, sys.modules['json'], ...) and
says so. Other packages are left alone: a test runner's, say, may rebind its own globals at any time.
Endless loops are not caught here: the page stops a check that runs too long by restarting Python.
"""

import contextlib
import sys
import traceback
import types

from lesson.cells import CappedText, Notebook, describe
from lesson.tasks.probes import Mistake

SHARED_PACKAGES = frozenset(sys.stdlib_module_names) | {"numpy"}
# sys attributes Python itself sets while handling an error; not something a learner's code replaced.
_SYS_BOOKKEEPING = {"last_exc", "last_type", "last_value", "last_traceback"}


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

    def printed_text(self):
        """Everything the learner's code printed: when it ran, then while it was checked."""
        return self.printed + self.output.getvalue()

    def call(self, what, function, *args):
        """`function(*args)` run as the learner's code runs; what it raises becomes a Mistake saying `what` raised it."""
        with self.notebook.running(self.output):
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


class SharedState:
    """What every module shared with the page holds, noted now; `restore()` puts back what changed."""

    def __init__(self):
        self.modules = _shared_modules()
        self.attributes = {name: dict(vars(module)) for name, module in self.modules.items()}
        self.recursion_limit = sys.getrecursionlimit()
        self.tracing = (sys.gettrace(), sys.getprofile())

    def restore(self):
        """Put back every module, module attribute, tracer and the recursion limit as noted; return the names of
        what had been replaced or deleted (['math.tanh', "sys.modules['json']"]), in a stable order."""
        changed = []
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                changed.append(f"sys.modules[{name!r}]")
                sys.modules[name] = module
        for name, noted in self.attributes.items():
            now = vars(self.modules[name])
            for attribute, value in noted.items():
                if attribute in now and now[attribute] is value:
                    continue
                if not (name == "sys" and attribute in _SYS_BOOKKEEPING):
                    changed.append(f"{name}.{attribute}")
                now[attribute] = value
        if (sys.gettrace(), sys.getprofile()) != self.tracing:
            changed.append("sys.settrace / sys.setprofile")
            sys.settrace(self.tracing[0])
            sys.setprofile(self.tracing[1])
        sys.setrecursionlimit(self.recursion_limit)  # raised or lowered, it is the page's to set: not a mistake
        return sorted(set(changed))


def _shared_modules():
    """{name: module} of the loaded modules the learner's code shares with the page and the engine: the
    standard library's (builtins among them) and NumPy's (the project's own have a copy per notebook)."""
    return {name: module for name, module in list(sys.modules.items())
            if isinstance(module, types.ModuleType) and name.partition(".")[0] in SHARED_PACKAGES}


@contextlib.contextmanager
def watching_shared_state(report):
    """Note the shared state, run the body, then restore it; `report(changed)` is called when anything changed."""
    noted = SharedState()
    try:
        yield
    finally:
        changed = noted.restore()
        if changed:
            report(changed)
