// The worker: boots Pyodide from the assets the page hands over, then answers calls to lesson.api.
// Bundled (with Pyodide's loader) into one ES module that a data: URL worker imports from a blob: URL.

import { loadPyodide } from "pyodide";
import createPyodideModule from "pyodide/pyodide.asm.mjs";
import { gunzip, gunzipStream, unpack } from "./blocks.js";
import { xorInitialMemory } from "./memory.js";
import { afterRestore, importLesson, writeSources } from "./python.js";

// A made-up origin: Pyodide fetches its files from here and `serveAssets` answers from memory.
const ASSET_BASE = "https://lesson-assets.invalid/";
const CONTENT_TYPES = { wasm: "application/wasm", zip: "application/zip", whl: "application/zip", json: "application/json" };
const SNAPSHOT_MAGIC = 1886286592; // the first word of every Pyodide memory snapshot
const WASM = "pyodide.asm.wasm";

let api = null; // lesson.api, once Python is up

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
 * Compile the wasm while it decompresses, and hand the compiled module to Pyodide's one
 * instantiateStreaming call, so compiling overlaps with decompressing the snapshot.
 * Returns the wasm's bytes (the snapshot decoder needs its data segments).
 */
function compileEarly(asset) {
  const [forCompiler, forBytes] = gunzipStream(unpack(asset.text)).tee();
  const compiled = WebAssembly.compileStreaming(new Response(forCompiler, { headers: { "Content-Type": CONTENT_TYPES.wasm } }));
  compiled.then(() => progress("restore"), () => {});
  const instantiateStreaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    WebAssembly.instantiateStreaming = instantiateStreaming; // one call only: Pyodide's, for this wasm
    const module = await compiled;
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  };
  return new Response(forBytes).arrayBuffer().then((buffer) => new Uint8Array(buffer));
}

/** An asset's bytes: unpacked from the page's text, gunzipped if it was stored gzipped. */
async function assetBytes({ text, gzip: gzipped }) {
  return gzipped ? gunzip(unpack(text)) : unpack(text);
}

async function assetJson(asset) {
  return JSON.parse(new TextDecoder().decode(await assetBytes(asset)));
}

/** The snapshot's bytes (the build XOR-ed them with the wasm's initial memory), or why they cannot be one. */
async function readSnapshot(asset, wasm) {
  const bytes = await assetBytes(asset);
  if (bytes.length < 8 || new DataView(bytes.buffer).getUint32(0, true) !== SNAPSHOT_MAGIC) {
    throw new Error("the embedded memory snapshot is not a Pyodide snapshot");
  }
  return xorInitialMemory(bytes, await wasm);
}

async function boot({ assets, useSnapshot }) {
  const started = performance.now();
  progress("decode");
  const { [WASM]: wasmAsset, "snapshot.bin": snapshotAsset, "sources.json": sourcesAsset,
          "pyodide-lock.json": lockAsset, ...others } = assets;
  const wasm = compileEarly(wasmAsset);
  const files = { [WASM]: wasm };
  for (const [name, asset] of Object.entries(others)) files[name] = assetBytes(asset);
  const snapshot = useSnapshot ? readSnapshot(snapshotAsset, wasm) : undefined;
  snapshot?.catch(() => {}); // a bad snapshot is reported by loadPyodide, which awaits it below
  const [sources, lock] = await Promise.all([assetJson(sourcesAsset), assetJson(lockAsset)]);
  progress("compile");
  serveAssets(files);
  const pyodide = await loadPyodide({
    indexURL: ASSET_BASE,
    packageBaseUrl: ASSET_BASE,
    lockFileContents: lock,
    createPyodideModule,
    _loadSnapshot: snapshot,
    stdout: (line) => console.log(line),
    stderr: (line) => console.warn(line),
  });
  writeSources(pyodide, sources); // after a restore too: tracebacks read source lines from these files
  const failures = importLesson(pyodide);
  if (snapshot) afterRestore(pyodide);
  if (lock.packages.numpy) await pyodide.loadPackage("numpy"); // bundled only when the build was given it
  api = pyodide.pyimport("lesson.api");
  return { snapshot: Boolean(snapshot), failures, ms: performance.now() - started };
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

self.onmessage = async ({ data }) => {
  if (data.type === "call") return call(data);
  if (data.type !== "boot") return;
  try {
    postMessage({ type: "ready", ...(await boot(data)) });
  } catch (error) {
    postMessage({ type: "failed", snapshot: data.useSnapshot, error: describe(error) });
  }
};
postMessage({ type: "loaded" });
