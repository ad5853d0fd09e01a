// The decoding worker, beside the Python worker: it takes the wasm's and the snapshot's data blocks as
// the page parses them, unpacks and gunzips them, and sends the Python worker (over a MessagePort) their
// bytes as they come and the wasm's data segment (see memory.js). Its code is a few kB, so it starts at once,
// while the Python worker loads Pyodide's megabyte of JavaScript; and the decoding runs on a thread
// of its own. It also unzips NumPy's wheel while Python starts, for the Python worker to install once
// Python is ready. (A compiled WebAssembly.Module cannot be sent: the two data: URL workers are of
// different origins, so the Python worker compiles the wasm from the bytes.)

import { dataBlocks } from "./assembly.js";
import { dataSegment } from "./memory.js";
import { sha256Hex, unzip } from "./wheel.js";

const blocks = dataBlocks();
let port = null; // to the Python worker
let wheels = 0; // how many wheel blocks the page has begun

/**
 * Send `port` block `name`'s decoded bytes as they come: {type: "bytes"|"end"|"failed", name, ...}.
 * Chunks are moved, not copied, unless `shared` (a teed stream's chunks are read by another reader too).
 */
function relay(port, name, stream, shared) {
  return stream.then(async (readable) => {
    for (const reader = readable.getReader(); ;) {
      const { value, done } = await reader.read();
      if (done) break;
      const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
      const chunk = shared || !whole ? value.slice() : value;
      port.postMessage({ type: "bytes", name, chunk }, [chunk.buffer]);
    }
    port.postMessage({ type: "end", name });
  });
}

/** Send `port` the wasm's bytes and, `withSnapshot`, the wasm's data segment and the snapshot's bytes. */
function decode(port, withSnapshot) {
  const failed = (name) => (error) => port.postMessage({ type: "failed", name, message: `the ${name} data block could not be decoded: ${error.message}` });
  const wasm = blocks.receive("pyodide.asm.wasm");
  const bytes = withSnapshot ? wasm.bytes() : null; // asked before the first part, so the stream is teed
  relay(port, "pyodide.asm.wasm", wasm.stream(), withSnapshot).catch(failed("pyodide.asm.wasm"));
  if (!withSnapshot) return;
  bytes.then((wasmBytes) => {
    const segment = dataSegment(wasmBytes);
    port.postMessage({ type: "segment", segment }, [segment.buffer]);
  }).catch(failed("pyodide.asm.wasm"));
  relay(port, "snapshot.bin", blocks.receive("snapshot.bin").stream(), false).catch(failed("snapshot.bin"));
}

/** Send `port` wheel `name`'s sha256 and its files, moved: {type: "wheel", name, sha256, files: [{path, bytes}]}. */
async function unzipWheel(name) {
  try {
    const wheel = await blocks.receive(name).bytes();
    const [sha256, files] = await Promise.all([sha256Hex(wheel), unzip(wheel)]);
    port.postMessage({ type: "wheel", name, sha256, files }, files.map(({ bytes }) => bytes.buffer));
  } catch (error) {
    port.postMessage({ type: "failed", name, message: `the ${name} data block could not be unzipped: ${error.message}` });
  }
}

onmessage = ({ data }) => {
  if (data.type === "connect") {
    port = data.port;
    decode(port, data.withSnapshot);
  } else if (data.type === "asset") {
    const name = data.asset.name;
    if (name.endsWith(".whl") && data.asset.part === 0) {
      wheels++;
      unzipWheel(name);
    }
    blocks.receive(name).add(data.asset);
  } else if (data.type === "all-assets") {
    blocks.endAll();
    if (!wheels) port.postMessage({ type: "failed", name: ".whl", message: "the page carries no wheel" });
  }
};
