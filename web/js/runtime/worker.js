// The worker: boots Pyodide from the assets the page hands over, then answers calls to lesson.api.
// Bundled (with Pyodide's loader) into one ES module that a data: URL worker imports from a blob: URL.

import { loadPyodide } from "pyodide";
import createPyodideModule from "pyodide/pyodide.asm.mjs";
import { unpack } from "./blocks.js";
import { initialMemory, streamSnapshot } from "./memory.js";
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
  return receive(name).bytes();
}

async function assetJson(name) {
  return JSON.parse(new TextDecoder().decode(await assetBytes(name)));
}

/**
 * The assembly of data block `name`: its parts arrive one by one, in order ({text, gzip, part, parts}),
 * and each is unpacked and written at once to one stream (through gunzip if the block is gzipped), so
 * decoding the first parts overlaps with the page still parsing the next ones. Its reader asks before
 * the first part arrives: `stream()` for the decoded bytes as they come, `bytes()` for all of them
 * once complete, or both; a block nobody asked for by then is collected for a later `bytes()`.
 */
function receive(name) {
  if (incoming.has(name)) return incoming.get(name);
  let writer = null;
  let collect = false;
  let streamed = null; // the stream() reader's promise, if asked
  const collected = Promise.withResolvers();
  collected.promise.then(() => milestone(`got ${name}`), () => {}); // an unused error is none
  const start = (gzip) => {
    const { readable, writable } = gzip ? new DecompressionStream("gzip") : new TransformStream();
    writer = writable.getWriter();
    const [forBytes, forStream] = !streamed ? [readable] : collect ? readable.tee() : [null, readable];
    if (forBytes) new Response(forBytes).arrayBuffer().then((buffer) => collected.resolve(new Uint8Array(buffer)), collected.reject);
    else collected.reject(new Error(`the ${name} data block was read as a stream`));
    streamed?.resolve(forStream);
  };
  const assembly = {
    complete: false,
    bytes() {
      if (!writer) collect = true;
      return collected.promise;
    },
    stream() {
      if (writer) return Promise.reject(new Error(`the ${name} data block is already being read`));
      streamed ??= Promise.withResolvers();
      return streamed.promise;
    },
    add({ text, gzip, part, parts }) {
      if (!writer) start(gzip);
      // Errors in gzipped data surface on the readable side, so the writer's own promises are not awaited.
      writer.write(unpack(text)).catch(() => {});
      if (part < parts - 1) return;
      assembly.complete = true;
      writer.close().catch(() => {});
    },
    fail(error) {
      collected.reject(error);
      streamed?.reject(error);
      writer?.abort(error).catch(() => {}); // a reader of the stream sees the error too
    },
  };
  incoming.set(name, assembly);
  return assembly;
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
 * Compile the wasm as it is decoded (V8 compiles a stream as it arrives, while the page still parses
 * the rest), and hand the module to Pyodide's one instantiateStreaming call. Returns the wasm's bytes,
 * whose data segments the snapshot is XOR-ed with.
 */
function compileEarly() {
  const wasm = receive(WASM);
  const bytes = wasm.bytes();
  const compiled = (wasmCompiled = wasm.stream().then((stream) =>
    WebAssembly.compileStreaming(new Response(stream, { headers: { "Content-Type": "application/wasm" } }))));
  compiled.then(() => { milestone("wasm-compiled"); progress("restore"); }, () => {});
  const instantiateStreaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    WebAssembly.instantiateStreaming = instantiateStreaming; // one call only: Pyodide's, for this wasm
    const module = await compiled;
    const instance = await WebAssembly.instantiate(module, imports);
    milestone("instantiated");
    return { module, instance };
  };
  return bytes;
}

/**
 * The snapshot, rebuilt as its packed pages stream in (see memory.js): `buffer` as soon as its header
 * is read (a Pyodide snapshot's, or an error saying it is not one), `done` once every page is in.
 */
function readSnapshot(wasm) {
  const image = wasm.then(initialMemory); // made while the snapshot still streams in
  const unpacking = receive("snapshot.bin").stream().then((stream) => streamSnapshot(stream, image));
  const buffer = unpacking.then(({ buffer }) => buffer).then((snapshot) => {
    if (new DataView(snapshot.buffer).getUint32(0, true) !== SNAPSHOT_MAGIC) {
      throw new Error("the embedded memory snapshot is not a Pyodide snapshot");
    }
    return snapshot;
  });
  const done = Promise.all([buffer, unpacking.then(({ done }) => done)]).then(([snapshot]) => {
    milestone("snapshot-unpacked");
    return snapshot;
  });
  buffer.catch(() => {});
  done.catch(() => {}); // a bad snapshot is reported by the boot, which awaits both
  return { buffer, done };
}

const never = () => new Promise(() => {});

async function boot({ useSnapshot }) {
  const started = performance.now();
  progress("decode");
  const wasm = compileEarly();
  const snapshot = useSnapshot ? readSnapshot(wasm) : null;
  const lock = await assetJson("pyodide-lock.json");
  const stdlib = assetBytes("python_stdlib.zip");
  // Pyodide creates and instantiates its module once it has the snapshot's buffer, while the pages
  // still stream in, and copies the snapshot into memory after it has the stdlib: so the stdlib is
  // handed over only once the snapshot is complete (never if it is bad: the boot fails below).
  const files = { [WASM]: wasm, "python_stdlib.zip": snapshot ? snapshot.done.then(() => stdlib, never) : stdlib };
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
      _loadSnapshot: snapshot?.buffer,
      stdout: (line) => console.log(line),
      stderr: (line) => console.warn(line),
    }),
    // Pyodide only logs a failed instantiation and then waits forever: fail the boot instead.
    wasmCompiled.then(never),
    // A snapshot that turns out bad after its header: Pyodide would wait for the stdlib forever.
    ...(snapshot ? [snapshot.done.then(never)] : []),
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
