// The Python worker: boots Pyodide from the assets the page hands over (the wasm's and the snapshot's
// bytes come decoded from the decoding worker, see decoder.js), answers calls to lesson.api, and
// once Python is ready loads NumPy (when the page carries it) without holding up those calls.
// Bundled (with Pyodide's loader) into one ES module that a data: URL worker imports from a blob: URL.
// Pyodide fetches three files, served from memory: its lock file, the standard library and its wasm.

import { dataBlocks } from "./assembly.js";
import { streamSnapshot } from "./memory.js";
import { bootPyodide } from "./pyodide-internals.js";
import { afterRestore, importLesson, installInSitePackages, unpackFiles, writeSources } from "./python.js";

// A made-up origin: Pyodide fetches its files from here and `serveAssets` answers from memory.
const ASSET_BASE = "https://lesson-assets.invalid/";
const CONTENT_TYPES = { wasm: "application/wasm", zip: "application/zip", json: "application/json" };
const WASM = "pyodide.asm.wasm";
const SNAPSHOT = "snapshot.bin";
const NUMPY_PYC = "numpy-pyc.bin"; // NumPy's modules compiled at build time (py/pagebuild/snapshot.mjs)

// Boot milestones, [name, ms since the epoch]: sent (and emptied) with "ready" and NumPy's "ready" for
// the page's performance timeline, where bench/bench_page.py reads where a boot spends its time.
const milestones = [];
const milestone = (name) => milestones.push([name, performance.timeOrigin + performance.now()]);
milestone("code-loaded");

let api = null; // lesson.api, once Python is up
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
    const bytes = await files[name];
    const type = CONTENT_TYPES[name.split(".").pop()] ?? "application/octet-stream";
    // Without Content-Type application/wasm, instantiateStreaming fails and Pyodide waits forever.
    return new Response(bytes, { headers: { "Content-Type": type } });
  };
}

/**
 * What the decoding worker sends over `port` (see decoder.js): streams of the wasm's and of the packed
 * snapshot's bytes as they are decoded, a promise of the wasm's data segment, and a promise of the
 * wheel's sha256 and files once it is unzipped.
 */
function fromDecoder(port) {
  const [segment, wheel] = [Promise.withResolvers(), Promise.withResolvers()];
  for (const { promise } of [segment, wheel]) promise.catch(() => {}); // whoever awaits one sees its error
  const sinks = {};
  const stream = (name) => new ReadableStream({ start(controller) { sinks[name] = controller; } });
  const decoded = { wasm: stream(WASM), snapshot: stream(SNAPSHOT), segment: segment.promise, wheel: wheel.promise };
  port.onmessage = ({ data }) => {
    if (data.type === "bytes") sinks[data.name].enqueue(data.chunk);
    else if (data.type === "end") sinks[data.name].close();
    else if (data.type === "segment") segment.resolve(data.segment);
    else if (data.type === "wheel") wheel.resolve(data);
    else if (data.type === "failed") {
      const error = new Error(data.message);
      if (data.name.endsWith(".whl")) wheel.reject(error);
      else sinks[data.name].error(error);
      if (data.name === WASM) segment.reject(error);
    }
  };
  return decoded;
}

/**
 * The snapshot, rebuilt as its packed bytes stream in (see memory.js): `buffer` as soon as its preamble
 * is read, `done` once all of it is in.
 */
function readSnapshot(stream, segment) {
  const { buffer, done: whole } = streamSnapshot(stream, segment);
  const done = whole.then((snapshot) => {
    milestone("snapshot-unpacked");
    progress("restore");
    return snapshot;
  });
  buffer.catch(() => {});
  done.catch(() => {}); // a bad snapshot is reported by the boot, which awaits both
  return { buffer, done };
}

const never = () => new Promise(() => {});

async function boot({ useSnapshot, decoder }) {
  const started = performance.now();
  progress("decode");
  const decoded = fromDecoder(decoder);
  const snapshot = useSnapshot ? readSnapshot(decoded.snapshot, decoded.segment) : null;
  const lock = await assetJson("pyodide-lock.json");
  const stdlib = assetBytes("python_stdlib.zip");
  // Pyodide creates and instantiates its module once it has the snapshot's buffer, while the rest of
  // it still streams in, and copies the snapshot into memory after it has the stdlib: so the stdlib is
  // handed over only once the snapshot is complete (never if it is bad: the boot fails below).
  const files = {
    "pyodide-lock.json": assetBytes("pyodide-lock.json"),
    [WASM]: decoded.wasm, // a stream: Pyodide compiles the wasm as the decoding worker's bytes arrive
    "python_stdlib.zip": snapshot ? snapshot.done.then(() => stdlib, never) : stdlib,
  };
  const sources = assetJson("sources.json");
  progress("compile");
  serveAssets(files);
  const pyodide = await Promise.race([
    bootPyodide({
      indexURL: ASSET_BASE,
      snapshot: snapshot?.buffer,
      stdout: (line) => console.log(line),
      stderr: (line) => console.warn(line),
    }),
    // A wasm that could not be decoded: Pyodide would log its failed instantiation and wait forever.
    decoded.segment.then(never),
    // A snapshot that turns out bad after its header: Pyodide would wait for the stdlib forever.
    ...(snapshot ? [snapshot.done.then(never)] : []),
  ]);
  milestone("pyodide-loaded");
  // A snapshot has the lesson imported already (build.py makes none where a module fails to import);
  // without one, it is imported from the source files.
  if (!snapshot) writeSources(pyodide, await sources);
  const failures = snapshot ? {} : importLesson(pyodide);
  if (snapshot) afterRestore(pyodide);
  api = pyodide.pyimport("lesson.api");
  milestone("lesson-imported");
  // Tracebacks and inspect read the sources from files, which no call needs before Python is ready:
  // written right after "ready" is posted, before any call is read. NumPy loads after that.
  const afterReady = async () => {
    if (snapshot) writeSources(pyodide, await sources);
    await loadNumpy(pyodide, lock.packages.numpy, decoded.wheel);
  };
  return { ready: { snapshot: Boolean(snapshot), failures, ms: performance.now() - started, milestones: milestones.splice(0) }, afterReady };
}

/**
 * Install NumPy if the page carries it (`numpy`: its entry in Pyodide's lock file; `wheel`: the decoding
 * worker's promise of the wheel's sha256 and files) and import it, telling the page
 * {type: "numpy", state: off|loading|ready|failed}. Calls to lesson.api run between its steps (the
 * import itself is one step: a call made meanwhile waits for it).
 * The wheel is installed as Pyodide's loadPackage would, less what loadPackage adds for packages in
 * general: the files are written from the browser's own unzip (it inflates them while Python starts),
 * and NumPy's compiled modules load when `import numpy` asks for them.
 */
async function loadNumpy(pyodide, numpy, wheel) {
  if (!numpy) {
    postMessage({ type: "numpy", state: "off" });
    return;
  }
  postMessage({ type: "numpy", state: "loading", stage: "install" });
  try {
    const { sha256, files } = await wheel;
    if (sha256 !== numpy.sha256) {
      throw new Error(`the page's ${numpy.file_name} is not the wheel Pyodide's lock names: its sha256 is ${sha256}, not ${numpy.sha256}`);
    }
    installInSitePackages(pyodide, [...files, ...unpackFiles(await assetBytes(NUMPY_PYC))]);
    files.length = 0; // the file system has its own copies: let these 12 MB go (the promise keeps the array)
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

function call({ id, name, args }) {
  try {
    postMessage({ type: "result", id, json: api.call(name, JSON.stringify(args ?? {})) });
  } catch (error) {
    postMessage({ type: "result", id, error: describe(error) });
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
