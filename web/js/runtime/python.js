// Python-side setup shared by the page's worker and the build's snapshot maker (py/pagebuild/snapshot.mjs).

/** Where the lesson's packages live in Pyodide's file system (on sys.path). */
export const SOURCE_ROOT = "/lesson";

/** Write the `py/` sources ({"autodiff/value.py": text, ...}) into Pyodide's file system. */
export function writeSources(pyodide, sources) {
  for (const [path, text] of Object.entries(sources)) {
    const file = `${SOURCE_ROOT}/${path}`;
    pyodide.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
    pyodide.FS.writeFile(file, text);
  }
}

/** Put the sources on sys.path and import every module the page may call; returns {name: error} failures. */
export function importLesson(pyodide) {
  const failures = pyodide.runPython(`
import sys
if ${JSON.stringify(SOURCE_ROOT)} not in sys.path:
    sys.path.insert(0, ${JSON.stringify(SOURCE_ROOT)})
import json, lesson.api
json.dumps(lesson.api.import_all())
`);
  return JSON.parse(failures);
}

/**
 * Undo what a memory snapshot froze: `random` would otherwise replay the same numbers on every load.
 * A call, not runPython: compiling Python code is the first use of the compiler after a restore (~40 ms).
 */
export function afterRestore(pyodide) {
  pyodide.pyimport("random").seed();
}
