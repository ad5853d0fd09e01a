// Make the page's Pyodide memory snapshot in Node: boot with the trimmed stdlib, import the lesson, save memory.
// Usage: node snapshot.mjs PYODIDE_DIR STDLIB_ZIP SOURCES_JSON OUT_DIR [NUMPY_WHEEL]
// Writes OUT_DIR/snapshot.bin (packed as the page carries it, see web/js/runtime/memory.js) and, given
// NumPy's wheel, OUT_DIR/numpy.bin (its files and their .pyc files, packed); prints a JSON report.
// The same wasm runs in the browser, so a snapshot made here restores there (Pyodide checks its build id).
//
// With NumPy: NumPy itself cannot be in the snapshot (its compiled modules are not restored with the
// memory), so the snapshot has the standard library modules that importing it needs already imported;
// then, after the snapshot is taken, NumPy is installed from the wheel as the page installs it,
// imported, and its modules compiled to .pyc files by this same Python: the page carries the wheel's
// files (less BUILD_ONLY's) and those .pyc files as one block, which installs with one gunzip (the wheel's 338 entries each
// inflated took it longer).

import { readFileSync, writeFileSync } from "node:fs";
import { dataSegment, packSnapshot } from "../../web/js/runtime/memory.js";
import { bootPyodide, takeSnapshot } from "../../web/js/runtime/pyodide-internals.js";
import { importLesson, installInSitePackages, packFiles, writeSources } from "../../web/js/runtime/python.js";
import { unzip } from "./unzip.mjs";

// Files of NumPy's wheel that Python never reads when it runs NumPy: type stubs, and the C headers,
// static libraries, Cython declarations and C sources for building against NumPy, which a page cannot.
// Left out of the page's block (0.3 MB of it), as of the install here, which shows NumPy imports without them.
const BUILD_ONLY = /\.(pyi|h|a|pxd|c)$/;

// Imported by `import numpy` on Pyodide 0.27.7 (measured: the stdlib modules in sys.modules after it,
// less those before); the report lists any it missed.
const NUMPY_STDLIB = ["__future__", "datetime", "pickle", "ctypes", "platform"];

const [pyodideDir, stdlibZip, sourcesJson, outDir, numpyWheel] = process.argv.slice(2);
const pyodide = await bootPyodide({
  indexURL: `${pyodideDir}/`,
  stdLibURL: stdlibZip, // the page ships this exact zip: the snapshot remembers offsets into it
  makeSnapshot: true,
  stdout: (line) => console.error(line),
});
writeSources(pyodide, JSON.parse(readFileSync(sourcesJson, "utf8")));
const failures = importLesson(pyodide);
if (numpyWheel) for (const name of NUMPY_STDLIB) pyodide.pyimport(name);
const stdlibBefore = new Set(stdlibModules());
const snapshot = takeSnapshot(pyodide);
const wasm = new Uint8Array(readFileSync(`${pyodideDir}/pyodide.asm.wasm`));
const packed = packSnapshot(snapshot.bytes, dataSegment(wasm), snapshot.headerLength, snapshot.memoryBase);
writeFileSync(`${outDir}/snapshot.bin`, packed);
const report = { bytes: snapshot.bytes.length, packed: packed.length, failures };
if (numpyWheel) Object.assign(report, await compileNumpy(new Uint8Array(readFileSync(numpyWheel))));
console.log(JSON.stringify(report));

/** The standard library's top-level modules in sys.modules. */
function stdlibModules() {
  return JSON.parse(pyodide.runPython(`
import json, sys
stdlib = next(path for path in sys.path if path.endswith(".zip")) + "/"
json.dumps(sorted({name.partition(".")[0] for name, module in list(sys.modules.items())
                   if (getattr(module, "__file__", None) or "").startswith(stdlib)}))
`));
}

/**
 * Install NumPy from its wheel, import it and compile every module that import ran to an unchecked-hash
 * .pyc (Python then reads it without comparing the .py's date, which the page's install sets anew):
 * the wheel's files and the .pyc files, as site-packages-relative paths, go to OUT_DIR/numpy.bin.
 * Fails unless NumPy imports.
 */
async function compileNumpy(wheel) {
  const wheelFiles = (await unzip(wheel)).filter(({ path }) => !BUILD_ONLY.test(path));
  installInSitePackages(pyodide, wheelFiles);
  pyodide.pyimport("numpy");
  const missed = stdlibModules().filter((name) => !stdlibBefore.has(name));
  const compiled = JSON.parse(pyodide.runPython(`
import importlib.util, json, py_compile, site, sys
site_packages = site.getsitepackages()[0] + "/"
done = []
for name, module in sorted(sys.modules.items()):
    source = getattr(module, "__file__", None) or ""
    if name.partition(".")[0] == "numpy" and source.endswith(".py"):
        cached = importlib.util.cache_from_source(source)
        py_compile.compile(source, cached, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        done.append(cached[len(site_packages):])
json.dumps({"site_packages": site_packages, "pyc": done})
`));
  const pyc = compiled.pyc.map((path) => ({ path, bytes: pyodide.FS.readFile(compiled.site_packages + path) }));
  writeFileSync(`${outDir}/numpy.bin`, packFiles([...wheelFiles, ...pyc]));
  return { numpy: { files: wheelFiles.length, pyc: pyc.length, stdlibNotInSnapshot: missed } };
}
