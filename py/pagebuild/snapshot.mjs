// Make the page's Pyodide memory snapshot in Node: boot with the trimmed stdlib, import the lesson, save memory.
// Usage: node snapshot.mjs PYODIDE_DIR STDLIB_ZIP SOURCES_JSON OUT_FILE   (prints {bytes, failures} as JSON)
// The same wasm runs in the browser, so a snapshot made here restores there (the build id is checked).

import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { importLesson, writeSources } from "../../web/js/runtime/python.js";

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
const snapshot = pyodide.makeMemorySnapshot();
writeFileSync(outFile, snapshot);
console.log(JSON.stringify({ bytes: snapshot.length, failures }));
