"""Pyodide's pyodide.asm.js with the build's edits, written where package.json maps "#pyodide.asm.js".

The page's worker (bundled by esbuild) and the snapshot maker (Node) both import that copy, so the snapshot is
made by the code that restores it. Each edit must find its text exactly once in Pyodide 0.27.7's file, or the
build stops, naming it: a new Pyodide needs them read again (as web/js/runtime/pyodide-internals.js says).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from pagebuild.cache import read_cached, write_cached

PYODIDE_VERSION = "0.27.7"
# Where package.json's "imports" field points "#pyodide.asm.js" (web/js/runtime/pyodide-internals.js imports it).
EDITED = Path(__file__).parents[2] / "build-cache" / "pyodide" / "pyodide.asm.js"


@dataclass(frozen=True)
class Edit:
    """Replace `find` (found exactly once) by `replace` in pyodide.asm.js."""

    name: str
    find: str
    replace: str


EDITS = [
    # Emscripten links the main module by giving each of its 9,800 exports a GOT entry (a WebAssembly.Global)
    # and the functions among them a table slot (about 5,100 `addFunction` calls), then checks every entry
    # (reportUndefinedSymbols): 50-80 ms of the Python worker's thread (profiled) before a boot can restore.
    # Only the 172 entries the main module imports itself are needed then; an entry a side module (NumPy's)
    # imports later is made when it asks, as Emscripten does for any symbol (GOTHandler, then
    # reportUndefinedSymbols). Table slots then differ from an unedited Pyodide's: the snapshot, which holds
    # them, is made with this same edit.
    Edit("a GOT entry for each export",
         'var updateGOT=(exports,replace)=>{for(var symName in exports){if(isInternalSym(symName)){continue}'
         'var value=exports[symName];GOT[symName]||=new WebAssembly.Global({"value":"i32","mutable":true});',
         'var linkingMainModule=false;var updateGOT=(exports,replace)=>{for(var symName in exports){if(isInternalSym(symName)){continue}'
         'var value=exports[symName];if(!GOT[symName]){if(linkingMainModule)continue;'
         'GOT[symName]=new WebAssembly.Global({"value":"i32","mutable":true})}'),
    Edit("linking the main module",  # tells the edit above when it links the main module
         "function receiveInstance(instance,module){wasmExports=instance.exports;wasmExports=relocateExports(wasmExports,1024);",
         "function receiveInstance(instance,module){wasmExports=instance.exports;linkingMainModule=true;"
         "wasmExports=relocateExports(wasmExports,1024);linkingMainModule=false;"),
    # Restoring a snapshot, Pyodide's finalizeBootstrap compiles four lines of Python to reach modules the
    # snapshot has imported already ("import _pyodide_core", "{}", "import importlib; importlib", ...). The
    # first compile after a restore runs the parser and compiler cold: 20-30 ms before the page's Python is
    # ready. From a snapshot the same objects are reached by calls instead (_pyodide._base imports builtins
    # and importlib.import_module); a boot without a snapshot runs Pyodide's lines unchanged.
    Edit("compiling on restore",
         'let[r,n]=API.rawRun("import _pyodide_core");r&&API.fatal_loading_error(`Failed to import _pyodide_core\\n`,n),'
         'API.runPythonInternal_dict=API._pyodide._base.eval_code("{}"),API.importlib=API.runPythonInternal("import importlib; importlib");'
         'let o=API.importlib.import_module;API.sys=o("sys"),API.os=o("os");'
         'let a=API.runPythonInternal("import __main__; __main__.__dict__"),s=API.runPythonInternal("import builtins; builtins.__dict__");',
         'let o,a,s;if(t){let b=API._pyodide._base,B=b.builtins;API.runPythonInternal_dict=B.dict();'
         'API.importlib=b.import_module("importlib");o=API.importlib.import_module;API.sys=o("sys"),API.os=o("os");'
         'let M=o("__main__"),N=o("builtins");a=M.__dict__,s=N.__dict__;for(let p of[b,B,M,N])p.destroy()}else{'
         'let[r,n]=API.rawRun("import _pyodide_core");r&&API.fatal_loading_error(`Failed to import _pyodide_core\\n`,n),'
         'API.runPythonInternal_dict=API._pyodide._base.eval_code("{}"),API.importlib=API.runPythonInternal("import importlib; importlib");'
         'o=API.importlib.import_module;API.sys=o("sys"),API.os=o("os");'
         'a=API.runPythonInternal("import __main__; __main__.__dict__"),s=API.runPythonInternal("import builtins; builtins.__dict__")}'),
    Edit("the edited copy's mark",  # the worker and the snapshot maker check at boot that they run this copy
         "globalThis._createPyodideModule = _createPyodideModule;",
         f'globalThis._createPyodideModule = _createPyodideModule;\n_createPyodideModule.editedFor = "{PYODIDE_VERSION}";'),
]


class EditError(Exception):
    """The installed Pyodide is not the one the edits were written for."""


def edited_module(pyodide_dir: Path) -> str:
    """pyodide.asm.js from `pyodide_dir` with EDITS made; EditError unless it is 0.27.7's and each edit's text is there once."""
    version = json.loads((pyodide_dir / "package.json").read_text())["version"]
    if version != PYODIDE_VERSION:
        raise EditError(f"the build edits Pyodide {PYODIDE_VERSION}'s pyodide.asm.js, but {pyodide_dir} holds Pyodide {version}")
    source = pyodide_dir / "pyodide.asm.js"
    text = source.read_text(encoding="utf-8")
    for edit in EDITS:
        found = text.count(edit.find)
        if found != 1:
            raise EditError(f"{source}: the text of the edit '{edit.name}' is there {found} times, not once")
        text = text.replace(edit.find, edit.replace)
    return text


def write_edited_module(pyodide_dir: Path, out: Path = EDITED) -> Path:
    """Write the edited pyodide.asm.js to `out`, atomically (builds side by side read it), unless it holds it
    already, with a package.json beside it that keeps Pyodide's own "browser" field: esbuild then leaves out
    the Node modules that its Node-only branches require, as it does for Pyodide's copy."""
    browser = json.loads((pyodide_dir / "package.json").read_text())["browser"]
    for path, data in [(out, edited_module(pyodide_dir).encode("utf-8")),
                       (out.with_name("package.json"), json.dumps({"private": True, "browser": browser}, indent=2).encode())]:
        if read_cached(path) != data:
            write_cached(path, data)
    return out
