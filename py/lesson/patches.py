"""Keep what a notebook's code changes in the modules it shares with the page inside that notebook.

One Python cannot give each notebook its own standard library or NumPy, so a cell that replaces
`math.tanh`, `builtins.print` or `sys.modules["json"]`, or sets a tracer, would change what the
widgets compute. Instead, `SharedState` notes what those modules hold before a cell runs; afterwards
`changes()` says what the cell changed and `restore()` puts it all back. The notebook keeps the changes
and re-applies them (`apply`) before its next cell, so its cells see their own patches and nothing
else does; a new notebook (the page's Reset) starts with none.

Watched: every loaded module of the standard library and NumPy (builtins among them), attribute by
attribute, their `sys.modules` entries, the tracer and profiler, the recursion limit, and the settings a
call changes rather than a rebinding (see `settings`: `sys.path.clear()`, `gc.disable()`,
`warnings.filterwarnings("ignore")`, `np.set_printoptions(precision=1)`, `os.chdir("/")`, `random.seed(0)`,
which would otherwise outlive the page's Reset and change what the page's Python imports, shows and fails
on). A standard-library module of Python code that a cell imports first is the notebook's whole (an
"import" change): between its cells it is out of `sys.modules`, so a patch to it never reaches the page,
which imports its own copy. Not so a compiled one or NumPy's (a second copy of NumPy cannot be imported
into the same process; the page imports NumPy itself as it loads): those stay, as shared modules.
Not watched: the insides of other objects (a class's methods, a list's items) and other packages (a test
runner's, say, may rebind its own globals at any time); the project's own packages are isolated whole by
lesson.cells.
"""

import gc
import importlib.machinery
import os
import sys
import types
import warnings

SHARED_PACKAGES = frozenset(sys.stdlib_module_names) | {"numpy"}
# sys attributes Python itself sets while handling an error; not something a learner's code replaced.
_SYS_BOOKKEEPING = {"last_exc", "last_type", "last_value", "last_traceback"}
_ABSENT = object()  # what a deleted attribute or module "holds"
TRACING = ("tracing",)
RECURSION_LIMIT = ("recursion limit",)


def settings():
    """{key: (get, set)} of the global settings a cell changes by a call rather than by rebinding a name: the
    import system's lists, the int digits limit, the garbage collector's switch and thresholds, the warnings
    filters, the working directory, the random module's state once it is imported, and NumPy's print options
    and error handling once NumPy is imported."""
    found = {("setting", f"sys.{name}"): _sys_list(name) for name in ("path", "meta_path", "path_hooks")}
    found[("setting", "sys.set_int_max_str_digits")] = (sys.get_int_max_str_digits, sys.set_int_max_str_digits)
    found[("setting", "gc.disable")] = (gc.isenabled, lambda enabled: gc.enable() if enabled else gc.disable())
    found[("setting", "gc.set_threshold")] = (gc.get_threshold, lambda thresholds: gc.set_threshold(*thresholds))
    found[("setting", "warnings.filterwarnings")] = (lambda: list(warnings.filters), _set_warning_filters)
    found[("setting", "os.chdir")] = (_working_directory, _go_to)
    random = sys.modules.get("random")
    if random is not None:  # a seed or a draw in a cell moves the stream the page's code draws from
        found[("setting", "random.seed")] = (random.getstate, random.setstate)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        found[("setting", "numpy.set_printoptions")] = (numpy.get_printoptions, lambda options: numpy.set_printoptions(**options))
        found[("setting", "numpy.seterr")] = (numpy.geterr, lambda handling: numpy.seterr(**handling))
    return found


def _sys_list(name):
    """(get, set) of what the list sys.`name` holds, put back in place (the import system keeps that list)."""
    def put(items):
        getattr(sys, name)[:] = items
    return (lambda: list(getattr(sys, name)), put)


def _working_directory():
    """The working directory, or None if a cell removed it (the directory to go back to is still noted)."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        return None


def _go_to(directory):
    """Make `directory` the working directory; if it is gone (a cell removed it) or was (None), the root."""
    try:
        os.chdir(directory or "/")
    except OSError:
        os.chdir("/")


def _set_warning_filters(filters):
    """Make `filters` the warnings filters (reset first: that tells Python's warning registries the filters changed)."""
    warnings.resetwarnings()
    warnings.filters[:] = filters


def shared_modules():
    """{name: module} of the loaded modules shared with the page: the standard library's and NumPy's."""
    return {name: module for name, module in list(sys.modules.items())
            if isinstance(module, types.ModuleType) and name.partition(".")[0] in SHARED_PACKAGES}


class SharedState:
    """What the shared modules, their sys.modules entries, the tracers and the recursion limit hold, noted now."""

    def __init__(self):
        self.modules = shared_modules()
        self.attributes = {name: dict(vars(module)) for name, module in self.modules.items()}
        self.tracing = (sys.gettrace(), sys.getprofile())
        self.recursion_limit = sys.getrecursionlimit()
        self.setting_functions = settings()  # as they are now: a cell may replace numpy.get_printoptions too
        self.settings = {key: get() for key, (get, _) in self.setting_functions.items()}

    def changes(self, imported=None):
        """What differs from the noted state now: {("module", name) | ("import", name) | ("attribute", name,
        attribute) | TRACING | RECURSION_LIMIT | ("setting", name): the value now}, a deleted module or attribute
        as _ABSENT. `imported` ({name: module}) holds the modules the notebook imported before: one of them in
        sys.modules in place of the page's own copy is still the notebook's import, not a patch."""
        imported = imported or {}
        changed = {("import", name): module for name, module in shared_modules().items()
                   if name not in self.modules and _importable_again(name, module)}
        for name, module in self.modules.items():
            entry = sys.modules.get(name, _ABSENT)
            if entry is not module:
                own_import = name in imported and imported[name] is entry
                changed[("import" if own_import else "module", name)] = entry
            noted, now = self.attributes[name], vars(module)
            for attribute, value in now.items():
                if noted.get(attribute, _ABSENT) is not value and not _bookkeeping(name, attribute, value):
                    changed[("attribute", name, attribute)] = value
            changed.update({("attribute", name, attribute): _ABSENT for attribute in noted if attribute not in now})
        if (sys.gettrace(), sys.getprofile()) != self.tracing:
            changed[TRACING] = (sys.gettrace(), sys.getprofile())
        if sys.getrecursionlimit() != self.recursion_limit:
            changed[RECURSION_LIMIT] = sys.getrecursionlimit()
        for key, (get, _) in self.setting_functions.items():
            if get() != self.settings[key]:
                changed[key] = get()
        return changed

    def restore(self, changes):
        """Put back what `changes` (this state's `changes()`) changed."""
        for key in changes:
            if key[0] in ("module", "import"):
                _set(("module", key[1]), self.modules.get(key[1], _ABSENT))
            elif key[0] == "attribute":
                _set(key, self.attributes[key[1]].get(key[2], _ABSENT), module=self.modules[key[1]])
        if TRACING in changes:  # only then: setting a profiler back from Python fails for C-level ones (cProfile)
            sys.settrace(self.tracing[0])
            sys.setprofile(self.tracing[1])
        if RECURSION_LIMIT in changes:
            sys.setrecursionlimit(self.recursion_limit)
        for key, (_, put) in self.setting_functions.items():
            if key in changes:
                put(self.settings[key])


def apply(changes):
    """Make the changes a notebook's earlier code made (what `SharedState.changes()` returned) again."""
    setters = {key: put for key, (_, put) in settings().items()}
    for key, value in changes.items():
        if key == TRACING:
            sys.settrace(value[0])
            sys.setprofile(value[1])
        elif key == RECURSION_LIMIT:
            sys.setrecursionlimit(value)
        elif key[0] == "setting":
            setters[key](value)
        else:
            _set(("module", key[1]) if key[0] == "import" else key, value)


def changed_names(changes):
    """What `changes` replaced or deleted, as a learner wrote it (['math.tanh', "sys.modules['json']"]); a
    changed recursion limit or setting (sys.path, a warnings filter, NumPy's print options) is the learner's
    to set, and an import the learner's to make, not a patch, so they are left out."""
    names = {"sys.settrace / sys.setprofile" if key == TRACING else
             f"sys.modules[{key[1]!r}]" if key[0] == "module" else f"{key[1]}.{key[2]}"
             for key in changes if key != RECURSION_LIMIT and key[0] not in ("setting", "import")}
    return sorted(names)


def _importable_again(name, module):
    """Whether a second copy of module `name` can be imported beside this one: a standard-library module of
    Python code can; a compiled (extension or built-in) module, or any of NumPy's, may refuse or share state."""
    loader = getattr(getattr(module, "__spec__", None), "loader", None)
    compiled = isinstance(loader, importlib.machinery.ExtensionFileLoader) or loader is importlib.machinery.BuiltinImporter
    return name.partition(".")[0] in sys.stdlib_module_names and not compiled


def _bookkeeping(name, attribute, value):
    """Whether a changed attribute is Python's own doing: an import setting a submodule on its package
    (`import xml.dom` sets `xml.dom`), or sys noting the last error."""
    imported = isinstance(value, types.ModuleType) and sys.modules.get(f"{name}.{attribute}") is value
    return imported or (name == "sys" and attribute in _SYS_BOOKKEEPING)


def _set(key, value, module=None):
    """Set the module entry or module attribute `key` names to `value` (removing it for _ABSENT)."""
    if key[0] == "module":
        namespace, name = sys.modules, key[1]
    else:
        module = module or sys.modules.get(key[1])
        if module is None:  # the module a patch was made in is gone: nothing to patch
            return
        namespace, name = vars(module), key[2]
    if value is _ABSENT:
        namespace.pop(name, None)
    else:
        namespace[name] = value
