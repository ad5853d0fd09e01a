// Every use of Pyodide's internals, for the one version they were written against (checked by the
// build's snapshot maker in Node and by the page's worker at boot). The rest of the runtime uses
// only loadPyodide's documented options and the public API.
//
// The internals used:
// - pyodide.asm.js as the build edits it (py/pagebuild/pyodide_edits.py: the main module's GOT made on
//   demand; no Python compiled to restore a snapshot), which package.json maps "#pyodide.asm.js" to;
//   importing it defines `globalThis._createPyodideModule`, so that loadPyodide does not import() it
//   from indexURL (a made-up origin, which the page's CSP refuses);
// - the memory snapshot options `_makeSnapshot` / `_loadSnapshot` (of which loadPyodide reads only the
//   length before restoring) and `makeMemorySnapshot()`; that loadPyodide restores, with
//   `API.restoreSnapshot`, right after the module `_createPyodideModule` made has run;
// - the snapshot's layout (a header whose length is its second word, then the wasm's whole memory);
// - of the Emscripten module, where its data segment lies in memory (`___memory_base`), and
//   `_emscripten_builtin_malloc`, `_emscripten_builtin_free` and `HEAPU8`, to zero the C heap's free memory;
// - Pyodide's one `WebAssembly.instantiateStreaming` call, for pyodide.asm.wasm.

import "#pyodide.asm.js";
import { loadPyodide, version } from "pyodide";

export const PYODIDE_VERSION = "0.27.7";

/** Fail unless the Pyodide this code was bundled or run with is the version its internals were read in, edited by the build. */
export function checkPyodideVersion() {
  if (version !== PYODIDE_VERSION) {
    throw new Error(`this runtime uses Pyodide ${PYODIDE_VERSION}'s internals, but Pyodide ${version} is installed`);
  }
  if (globalThis._createPyodideModule?.editedFor !== PYODIDE_VERSION) {
    throw new Error(`this runtime needs Pyodide ${PYODIDE_VERSION}'s pyodide.asm.js as the build edits it (py/pagebuild/pyodide_edits.py)`);
  }
}

/**
 * loadPyodide with the internal snapshot options: `makeSnapshot` to allow makeSnapshot() later, or
 * `snapshot` ({length, bytes}, promises of the snapshot's length and of the snapshot) to restore
 * memory from. Pyodide sizes its memory by the length, then sets its module up, installs the stdlib
 * and runs the module's start-up while the snapshot may still be decoded: only then does it wait for
 * the bytes, which it restores from as they came (not a copy).
 */
export function bootPyodide({ snapshot, makeSnapshot = false, ...options }) {
  checkPyodideVersion();
  if (!snapshot) return loadPyodide({ ...options, _makeSnapshot: makeSnapshot });
  restoreOnceRun(snapshot.bytes);
  // loadPyodide reads only the snapshot's length before it restores: it is given zeros of that length
  const placeholder = snapshot.length.then((length) => new Uint8Array(length));
  return loadPyodide({ ...options, _loadSnapshot: placeholder, _makeSnapshot: makeSnapshot });
}

/**
 * Make the next module loadPyodide creates wait, once it has run (`_createPyodideModule` resolves
 * then), for the snapshot's `bytes` (a promise), and restore from them: loadPyodide restores with
 * `API.restoreSnapshot(placeholder)` right after. Pyodide waits for the snapshot only there.
 */
function restoreOnceRun(bytes) {
  const create = globalThis._createPyodideModule;
  globalThis._createPyodideModule = async (settings) => {
    globalThis._createPyodideModule = create; // this boot's call only
    const module = await create(settings);
    const snapshot = await bytes;
    const restore = module.API.restoreSnapshot;
    module.API.restoreSnapshot = () => restore(snapshot);
    return module;
  };
}


/**
 * Zero the C heap's free memory (it holds whatever freed objects left there): allocate every free
 * chunk with memory growth forbidden, fill it with zeros and free it again. The snapshot's pages then
 * compress smaller, and the page carries, parses and inflates that much less.
 */
function zeroFreeMemory(module) {
  const size = module.HEAPU8.length;
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = () => { throw new RangeError("the heap may not grow while it is zeroed"); };
  const taken = [];
  try {
    for (let chunk = 1 << 24; chunk >= 16; chunk >>= 1) {
      for (let at; (at = module._emscripten_builtin_malloc(chunk)); taken.push(at)) module.HEAPU8.fill(0, at, at + chunk);
    }
  } finally {
    WebAssembly.Memory.prototype.grow = grow;
    for (const at of taken) module._emscripten_builtin_free(at);
  }
  if (module.HEAPU8.length !== size) throw new Error("the heap grew while its free memory was zeroed");
}

/**
 * The memory snapshot of a Pyodide booted with `makeSnapshot`, its C heap's free memory zeroed first:
 * {bytes, headerLength (its memory follows), memoryBase (where the wasm's data segment lies in it)}.
 */
export function takeSnapshot(pyodide) {
  pyodide.runPython("import gc; gc.collect()"); // free what importing left unreachable, then zero it
  zeroFreeMemory(pyodide._module);
  const bytes = pyodide.makeMemorySnapshot();
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
  return { bytes, headerLength, memoryBase: pyodide._module.___memory_base.value };
}

/**
 * Hand Pyodide's one instantiateStreaming call (for pyodide.asm.wasm) the module `compiled` (a promise),
 * compiled by the decoding worker from the wasm's bytes as they arrived; `onInstantiated()` is called
 * once its instance exists (Pyodide then links it).
 */
export function instantiateFrom(compiled, onInstantiated = () => {}) {
  const instantiateStreaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    WebAssembly.instantiateStreaming = instantiateStreaming; // one call only: Pyodide's, for its wasm
    const module = await compiled;
    const instance = await WebAssembly.instantiate(module, imports);
    onInstantiated();
    return { module, instance };
  };
}
