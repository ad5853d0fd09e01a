// Make the page's Pyodide memory snapshot in Node: boot with the trimmed stdlib, import the lesson, save memory.
// Usage: node snapshot.mjs PYODIDE_DIR STDLIB_ZIP SOURCES_JSON OUT_FILE   (prints {bytes, failures} as JSON)
// The same wasm runs in the browser, so a snapshot made here restores there (the build id is checked).

import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { importLesson, writeSources } from "../../web/js/runtime/python.js";

/**
 * Zero the C heap's free memory (it holds whatever freed objects left there): allocate every free
 * chunk with memory growth forbidden, fill it with zeros and free it again. The snapshot's pages then
 * compress about a sixth smaller, and the page carries, parses and inflates that much less.
 */
function zeroFreeMemory(module) {
  const size = module.HEAPU8.length;
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = () => { throw new RangeError("the heap may not grow while it is zeroed"); };
  const taken = [];
  try {
    for (let chunk = 1 << 24; chunk >= 16; chunk >>= 1) {
      for (let at; (at = module._malloc(chunk)); taken.push(at)) module.HEAPU8.fill(0, at, at + chunk);
    }
  } finally {
    WebAssembly.Memory.prototype.grow = grow;
    for (const at of taken) module._free(at);
  }
  if (module.HEAPU8.length !== size) throw new Error("the heap grew while its free memory was zeroed");
}

const [pyodideDir, stdlibZip, sourcesJson, outFile] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${pyodideDir}/pyodide.mjs`).href);
const pyodide = await loadPyodide({
  indexURL: `${pyodideDir}/`,
  stdLibURL: stdlibZip, // the page ships this exact zip: the snapshot remembers offsets into it
  _makeSnapshot: true,
  stdout: (line) => console.error(line),
});
writeSources(pyodide, JSON.parse(readFileSync(sourcesJson, "utf8")));
const failures = importLesson(pyodide);
pyodide.runPython("import gc; gc.collect()"); // free what importing left unreachable, then zero it
zeroFreeMemory(pyodide._module);
const snapshot = pyodide.makeMemorySnapshot();
writeFileSync(outFile, snapshot);
console.log(JSON.stringify({ bytes: snapshot.length, failures }));
