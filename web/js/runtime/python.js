// Python-side setup shared by the page's worker and the build's snapshot maker (py/pagebuild/snapshot.mjs).

/** Where the lesson's packages live in Pyodide's file system (on sys.path). */
export const SOURCE_ROOT = "/lesson";

/** Write the `py/` sources ({"autodiff/value.py": text, ...}) into Pyodide's file system. */
export function writeSources(pyodide, sources) {
  writeFiles(pyodide, SOURCE_ROOT, Object.entries(sources).map(([path, text]) => ({ path, bytes: text })));
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

/**
 * Files as one buffer: a u32 (little-endian) length of a JSON list of [path, size], that list, then
 * the files' bytes in its order. The build's snapshot maker writes it, the page's worker reads it.
 */
export function packFiles(files) {
  const index = new TextEncoder().encode(JSON.stringify(files.map(({ path, bytes }) => [path, bytes.length])));
  const out = new Uint8Array(4 + index.length + files.reduce((sum, { bytes }) => sum + bytes.length, 0));
  new DataView(out.buffer).setUint32(0, index.length, true);
  out.set(index, 4);
  let at = 4 + index.length;
  for (const { bytes } of files) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** The files packFiles packed: [{path, bytes}] (views into `packed`). */
export function unpackFiles(packed) {
  const length = new DataView(packed.buffer, packed.byteOffset).getUint32(0, true);
  let at = 4 + length;
  return JSON.parse(new TextDecoder().decode(packed.subarray(4, at))).map(([path, size]) => {
    const bytes = packed.subarray(at, (at += size));
    if (bytes.length !== size) throw new Error(`the packed files end inside ${path}`);
    return { path, bytes };
  });
}

/** Write files ({path, bytes}, paths relative to `root`) into Pyodide's file system. */
export function writeFiles(pyodide, root, files) {
  for (const { path, bytes } of files) {
    const file = `${root}/${path}`;
    pyodide.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
    pyodide.FS.writeFile(file, bytes);
  }
}

/**
 * Install files ({path, bytes}, paths relative to site-packages: a wheel's, and .pyc files for them)
 * where the next import finds them. Python's finder for site-packages caches the folder's listing,
 * so it is told to read it again (importlib.invalidate_caches would also import importlib.metadata).
 */
export function installInSitePackages(pyodide, files) {
  const site = pyodide.pyimport("site");
  const folders = site.getsitepackages();
  const folder = folders.get(0);
  writeFiles(pyodide, folder, files);
  const sys = pyodide.pyimport("sys");
  const cache = sys.path_importer_cache;
  const finder = cache.get(folder);
  finder?.invalidate_caches();
  for (const proxy of [finder, cache, sys, folders, site]) proxy?.destroy();
}
