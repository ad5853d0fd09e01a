// The Python worker: boots Pyodide from the assets the page hands over (the wasm compiled, the snapshot
// and NumPy decoded by its own decoding worker, see decoder.js), answers calls to lesson.api, and
// once Python is ready loads NumPy (when the page carries it) without holding up those calls.
// Bundled (with Pyodide's loader) into one ES module that a data: URL worker imports from a blob: URL.
// Pyodide fetches three files, served from memory: its lock file, the standard library and its wasm.

import { dataBlocks } from "./assembly.js";
import { bootPyodide, instantiateFrom } from "./pyodide-internals.js";
import { afterRestore, importLesson, installInSitePackages, unpackFiles, writeSources } from "./python.js";

// A made-up origin: Pyodide fetches its files from here and `serveAssets` answers from memory.
const ASSET_BASE = "https://lesson-assets.invalid/";
const WASM = "pyodide.asm.wasm";
const NUMPY = "numpy.bin"; // NumPy's files and their .pyc files (py/pagebuild/snapshot.mjs)

// Boot milestones, [name, ms since the epoch]: sent (and emptied) with "ready" and NumPy's "ready" for
// the page's performance timeline, where bench/bench_page.py reads where a boot spends its time.
const milestones = [];
const milestone = (name) => milestones.push([name, performance.timeOrigin + performance.now()]);
milestone("code-loaded");

let api = null; // lesson.api, once Python is up
// Kept from the start: a cell that runs `js.postMessage = None` must not cut Python's answers off.
const postMessage = self.postMessage.bind(self);
const blocks = dataBlocks((name) => milestone(`got ${name}`)); // the data blocks this worker reads itself

/** The bytes of the page's data block `name`, once all its parts have arrived (and are gunzipped). */
function assetBytes(name) {
  return blocks.receive(name).bytes();
}

async function assetJson(name) {
  return JSON.parse(new TextDecoder().decode(await assetBytes(name)));
}

const progress = (stage) => postMessage({ type: "progress", stage });

/** Answer Pyodide's requests under ASSET_BASE from `files` (name -> promise of bytes); pass others on. */
function serveAssets(files) {
  const networkFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(ASSET_BASE)) return networkFetch(input, init);
    const name = url.slice(ASSET_BASE.length).split(/[?#]/)[0];
    if (!(name in files)) return new Response(`${name} is not embedded in this page`, { status: 404 });
    return new Response(await files[name]);
  };
}

// The snapshot's length, which the page tells as soon as it has parsed the snapshot block's first part.
const snapshotLength = Promise.withResolvers();

/**
 * What the decoding worker sends (see decoder.js), as this worker's first code (bridge.js's workerStub)
 * kept it: `wasm`, a promise of the module it compiled; the snapshot's `length`, as soon as the page
 * has said it, and its `bytes` once it is whole; and `numpy()`, which asks for NumPy's block and
 * returns a promise of its bytes. Each promise fails with the decoder's reason if it could not make its part.
 */
function fromDecoder() {
  const promises = [Promise.withResolvers(), Promise.withResolvers(), Promise.withResolvers(), Promise.withResolvers()];
  const [wasm, length, bytes, numpy] = promises;
  for (const { promise } of promises) promise.catch(() => {}); // whoever awaits one sees its error
  let said = null;
  const fail = (message) => [wasm, length, bytes].forEach(({ reject }) => reject(new Error(message)));
  snapshotLength.promise.then((value) => {
    if (Number.isSafeInteger(value) && value > 0) length.resolve((said = value));
    else fail("the page's snapshot block does not say how long the snapshot is");
  });
  const decoded = ({ data }) => {
    if (data.type === "wasm") wasm.resolve(data.module);
    else if (data.type === "snapshot" && data.bytes.length !== said) {
      fail(`the page's snapshot holds ${data.bytes.length} bytes, not the ${said} its block says`);
    } else if (data.type === "snapshot") {
      milestone("snapshot-decoded");
      bytes.resolve(data.bytes);
    } else if (data.type === "numpy") numpy.resolve(data.bytes);
    else if (data.type === "failed" && data.name === NUMPY) numpy.reject(new Error(data.message));
    else if (data.type === "failed") fail(data.message);
  };
  const decoder = globalThis.decoder;
  for (const data of globalThis.decoderMessages.splice(0)) decoded({ data });
  decoder.onmessage = decoded;
  const askForNumpy = () => {
    decoder.postMessage({ type: "numpy" });
    return numpy.promise;
  };
  return { wasm: wasm.promise, snapshot: { length: length.promise, bytes: bytes.promise }, numpy: askForNumpy };
}

const never = () => new Promise(() => {});

async function boot({ useSnapshot }) {
  const started = performance.now();
  progress("decode");
  const decoded = fromDecoder();
  decoded.wasm.then(() => milestone("wasm-compiled"), () => {});
  instantiateFrom(decoded.wasm, () => milestone("wasm-instantiated"));
  const lock = await assetJson("pyodide-lock.json");
  const files = {
    "pyodide-lock.json": assetBytes("pyodide-lock.json"),
    [WASM]: new Uint8Array(0), // fetched by Pyodide, but instantiated from the module compiled as it came
    "python_stdlib.zip": assetBytes("python_stdlib.zip"),
  };
  const sources = assetJson("sources.json");
  sources.catch(() => {}); // awaited later, where its error is reported
  if (useSnapshot) decoded.snapshot.bytes.then(() => progress("restore"), () => {});
  progress("compile");
  serveAssets(files);
  const pyodide = await Promise.race([
    bootPyodide({
      indexURL: ASSET_BASE,
      snapshot: useSnapshot ? decoded.snapshot : undefined,
      stdout: (line) => console.log(line),
      stderr: (line) => console.warn(line),
    }),
    // A wasm that could not be decoded or compiled: Pyodide would log its failed instantiation and wait
    // forever. A snapshot that turns out bad fails the boot at once, whatever Pyodide is doing.
    decoded.wasm.then(never),
    decoded.snapshot.bytes.then(never),
  ]);
  milestone("pyodide-loaded");
  // A snapshot has the lesson imported already (build.py makes none where a module fails to import);
  // without one, it is imported from the source files.
  if (!useSnapshot) writeSources(pyodide, await sources);
  const failures = useSnapshot ? {} : importLesson(pyodide);
  if (useSnapshot) afterRestore(pyodide);
  api = pyodide.pyimport("lesson.api");
  milestone("lesson-imported");
  // Tracebacks and inspect read the sources from files, which no call needs before Python is ready:
  // written right after "ready" is posted, before any call is read. NumPy loads after that.
  const afterReady = async () => {
    // NumPy's block is decoded (by the decoding worker) while the sources are written here.
    const numpyFiles = lock.packages.numpy ? decoded.numpy() : null;
    // Without them Python still answers: a damaged block costs tracebacks their source lines, not Python.
    if (useSnapshot) {
      try {
        writeSources(pyodide, await sources);
      } catch (error) {
        postMessage({ type: "warning", message: `tracebacks will show no source lines: ${describe(error).message}` });
      }
    }
    if (numpyFiles) await loadNumpy(pyodide, numpyFiles);
    else postMessage({ type: "numpy", state: "off" });
  };
  return { ready: { snapshot: useSnapshot, failures, ms: performance.now() - started, milestones: milestones.splice(0) }, afterReady };
}

/**
 * Install NumPy and import it, telling the page {type: "numpy", state: loading|ready|failed}; `files`:
 * the decoding worker's answer (a promise) for NumPy's block, the files of NumPy's wheel, which the
 * build refused unless it was the one Pyodide's lock names, and the .pyc files of the modules `import
 * numpy` runs. They are installed as Pyodide's loadPackage would install the wheel (NumPy's compiled
 * modules load when the import asks for them). Calls to lesson.api run between its steps (the import
 * itself is one step: a call made meanwhile waits for it).
 */
async function loadNumpy(pyodide, files) {
  postMessage({ type: "numpy", state: "loading", stage: "install" });
  try {
    installInSitePackages(pyodide, unpackFiles(await files));
    milestone("numpy-installed");
    postMessage({ type: "numpy", state: "loading", stage: "import" });
    await new Promise((resolve) => setTimeout(resolve)); // let the page show the stage, and calls waiting run
    pyodide.pyimport("numpy");
    milestone("numpy-imported");
    postMessage({ type: "numpy", state: "ready", milestones: milestones.splice(0) });
  } catch (error) {
    postMessage({ type: "numpy", state: "failed", message: describe(error).message });
  }
}

// Why Python ended, once a call ended it: the calls queued behind that one are refused without touching
// it (a dead Pyodide used again reports a second fatal error on the console, and its memory may be wiped).
let ended = null;

function call({ id, name, args }) {
  postMessage({ type: "taken-up", id }); // the page's deadline for this call starts (bridge.js)
  if (ended) {
    postMessage({ type: "result", id, error: { type: "Ended", message: `Python has ended (${ended}) and no longer answers`, traceback: "" } });
    return;
  }
  try {
    postMessage({ type: "result", id, json: api.call(name, JSON.stringify(args ?? {})) });
  } catch (error) {
    // A fatal error: the call ended Python itself (os._exit, os.abort, a stray write through ctypes); see bridge.js.
    const described = { ...describe(error), fatal: error?.pyodide_fatal_error === true };
    if (described.fatal) ended = described.message;
    postMessage({ type: "result", id, error: described });
  }
}

/** A Python (or JS) exception as {type, message, traceback}: the message is its last line, as Python prints it. */
function describe(error) {
  const traceback = String(error?.message ?? error);
  const lines = traceback.trim().split("\n");
  return { type: error?.type ?? error?.name ?? "Error", message: lines[lines.length - 1], traceback };
}

async function onMessage({ data }) {
  if (data.type === "call") call(data);
  else if (data.type === "snapshot-length") snapshotLength.resolve(data.length);
  else if (data.type === "asset") blocks.receive(data.asset.name).add(data.asset);
  else if (data.type === "all-assets") blocks.endAll();
  else if (data.type === "boot") {
    let booted;
    try {
      booted = await boot(data);
    } catch (error) {
      postMessage({ type: "failed", snapshot: data.useSnapshot, error: describe(error) });
      return;
    }
    postMessage({ type: "ready", ...booted.ready });
    await booted.afterReady();
  }
}

// Take over from the data: URL stub (bridge.js), first reading what it queued while this module loaded.
for (const data of globalThis.queuedMessages ?? []) onMessage({ data });
self.onmessage = onMessage;
