// The worker: boots Pyodide from the assets the page hands over, then answers calls to lesson.api.
// Bundled (with Pyodide's loader) into one ES module that a data: URL worker imports from a blob: URL.

import { loadPyodide } from "pyodide";
import createPyodideModule from "pyodide/pyodide.asm.mjs";
import { unpack } from "./blocks.js";
import { unpackSnapshot } from "./memory.js";
import { afterRestore, importLesson, writeSources } from "./python.js";

// A made-up origin: Pyodide fetches its files from here and `serveAssets` answers from memory.
const ASSET_BASE = "https://lesson-assets.invalid/";
const CONTENT_TYPES = { wasm: "application/wasm", zip: "application/zip", whl: "application/zip", json: "application/json" };
const SNAPSHOT_MAGIC = 1886286592; // the first word of every Pyodide memory snapshot
const WASM = "pyodide.asm.wasm";

// Boot milestones, [name, ms since the epoch]: sent with "ready" for the page's performance timeline,
// where bench/bench_page.py reads where a boot spends its time.
const milestones = [];
const milestone = (name) => milestones.push([name, performance.timeOrigin + performance.now()]);
milestone("code-loaded");

let api = null; // lesson.api, once Python is up
let wasmCompiled = null; // the wasm's compilation, once started
const incoming = new Map(); // data block name -> its assembly (see `receive`), as the page parses the parts

/** The bytes of the page's data block `name`, once all its parts have arrived (and are gunzipped). */
function assetBytes(name) {
  return receive(name).bytes;
}

async function assetJson(name) {
  return JSON.parse(new TextDecoder().decode(await assetBytes(name)));
}

/**
 * The assembly of data block `name`: its parts arrive one by one, in order ({text, gzip, part, parts});
 * a gzipped block's parts are unpacked and fed to one gunzip stream at once, so decompressing the
 * first parts overlaps with the page still parsing the next ones.
 */
function receive(name) {
  if (incoming.has(name)) return incoming.get(name);
  let resolve, reject, writer;
  const chunks = [];
  const bytes = new Promise((res, rej) => { resolve = res; reject = rej; });
  bytes.then(() => milestone(`got ${name}`), () => {}); // whoever awaits it sees an error; an unused one is none
  const add = ({ text, gzip, part, parts }) => {
    if (gzip && !writer) {
      const stream = new DecompressionStream("gzip");
      writer = stream.writable.getWriter();
      new Response(stream.readable).arrayBuffer().then((buffer) => resolve(new Uint8Array(buffer)), reject);
    }
    // Errors in gzipped data surface on the readable side, so the writer's own promises are not awaited.
    if (gzip) writer.write(unpack(text)).catch(() => {});
    else chunks.push(unpack(text));
    if (part < parts - 1) return;
    assembly.complete = true;
    if (gzip) writer.close().catch(() => {});
    else resolve(concat(chunks));
  };
  const assembly = { bytes, add, fail: reject, complete: false };
  incoming.set(name, assembly);
  return assembly;
}

/** `chunks` (Uint8Arrays) joined into one. */
function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) { out.set(chunk, at); at += chunk.length; }
  return out;
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
    const type = CONTENT_TYPES[name.split(".").pop()] ?? "application/octet-stream";
    // Without Content-Type application/wasm, instantiateStreaming fails and Pyodide waits forever.
    return new Response(await files[name], { headers: { "Content-Type": type } });
  };
}

/**
 * Start compiling the wasm as soon as it is unpacked, while the snapshot decompresses, and hand the
 * module to Pyodide's one instantiateStreaming call. (Compiling from the gunzip stream instead was
 * measured slower here: the stream then runs at the compiler's pace, and the snapshot waits for the
 * wasm's bytes, whose data segments it is XOR-ed with.) Returns the wasm's bytes.
 */
function compileEarly() {
  const bytes = assetBytes(WASM);
  const compiled = (wasmCompiled = bytes.then((wasm) => WebAssembly.compile(wasm)));
  compiled.then(() => { milestone("wasm-compiled"); progress("restore"); }, () => {});
  const instantiateStreaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    WebAssembly.instantiateStreaming = instantiateStreaming; // one call only: Pyodide's, for this wasm
    const module = await compiled;
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  };
  return bytes;
}

/** The snapshot, rebuilt from its packed form (see memory.js), or an error saying why it cannot be one. */
async function readSnapshot(wasm) {
  const snapshot = unpackSnapshot(await assetBytes("snapshot.bin"), await wasm);
  if (new DataView(snapshot.buffer).getUint32(0, true) !== SNAPSHOT_MAGIC) {
    throw new Error("the embedded memory snapshot is not a Pyodide snapshot");
  }
  milestone("snapshot-unpacked");
  return snapshot;
}

async function boot({ useSnapshot }) {
  const started = performance.now();
  progress("decode");
  const wasm = compileEarly();
  const snapshot = useSnapshot ? readSnapshot(wasm) : undefined;
  snapshot?.catch(() => {}); // a bad snapshot is reported by loadPyodide, which awaits it below
  const lock = await assetJson("pyodide-lock.json");
  const files = { [WASM]: wasm, "python_stdlib.zip": assetBytes("python_stdlib.zip") };
  for (const { file_name } of Object.values(lock.packages)) files[file_name] = assetBytes(file_name);
  const sources = assetJson("sources.json");
  progress("compile");
  serveAssets(files);
  const pyodide = await Promise.race([
    loadPyodide({
      indexURL: ASSET_BASE,
      packageBaseUrl: ASSET_BASE,
      lockFileContents: lock,
      createPyodideModule,
      _loadSnapshot: snapshot,
      stdout: (line) => console.log(line),
      stderr: (line) => console.warn(line),
    }),
    // Pyodide only logs a failed instantiation and then waits forever: fail the boot instead.
    wasmCompiled.then(() => new Promise(() => {})),
  ]);
  milestone("pyodide-loaded");
  writeSources(pyodide, await sources); // after a restore too: tracebacks read source lines from these files
  const failures = importLesson(pyodide);
  if (snapshot) afterRestore(pyodide);
  if (lock.packages.numpy) await pyodide.loadPackage("numpy"); // bundled only when the build was given it
  api = pyodide.pyimport("lesson.api");
  milestone("lesson-imported");
  return { snapshot: Boolean(snapshot), failures, ms: performance.now() - started, milestones };
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
  else if (data.type === "asset") receive(data.asset.name).add(data.asset);
  else if (data.type === "all-assets") {
    for (const [name, { fail, complete }] of incoming) {
      if (!complete) fail(new Error(`the page's ${name} data block is missing or incomplete`));
    }
  } else if (data.type === "boot") {
    try {
      postMessage({ type: "ready", ...(await boot(data)) });
    } catch (error) {
      postMessage({ type: "failed", snapshot: data.useSnapshot, error: describe(error) });
    }
  }
}

// Take over from the data: URL stub (bridge.js), first reading what it queued while this module loaded.
for (const data of globalThis.queuedMessages ?? []) onMessage({ data });
self.onmessage = onMessage;
