// The decoding worker, beside the Python worker: it takes the wasm's, the snapshot's and NumPy's wheel's
// data blocks as the page parses them, unpacks and gunzips them as they come, and sends the Python
// worker (over a MessagePort, moved, not copied) the wasm's bytes as they come, the snapshot rebuilt
// whole (see memory.js) and the wheel's files. Its code is a few kB, so it starts at once and has the
// snapshot done about when the Python worker has loaded Pyodide's megabyte of JavaScript; and that
// worker's thread, busy with Pyodide's start, is left nothing to decode. (A compiled WebAssembly.Module cannot be sent: the
// two data: URL workers are of different origins, so the Python worker compiles the wasm.)

import { dataBlocks } from "./assembly.js";
import { dataSegment, streamSnapshot } from "./memory.js";
import { sha256Hex, unzip } from "./wheel.js";

const WASM = "pyodide.asm.wasm";
const SNAPSHOT = "snapshot.bin";
const blocks = dataBlocks();
let port = null; // to the Python worker
let wheels = 0; // how many wheel blocks the page has begun

/**
 * Send `port` the wasm's bytes as they are decoded ({type: "bytes", chunk}, then {type: "end"}: they are
 * compiled as they stream in), and, `withSnapshot`, the snapshot's length as soon as it is known
 * ({type: "snapshot-length", length}: Pyodide sizes its memory by it) and the snapshot once it is whole
 * ({type: "snapshot", bytes}).
 */
function decode(withSnapshot) {
  // Each reader asks for its block before the block's first part arrives.
  const wasm = blocks.receive(WASM);
  const wasmBytes = withSnapshot ? wasm.bytes() : null; // the wasm's stream is then teed
  relayWasm(wasm.stream(), withSnapshot).catch(failed);
  if (!withSnapshot) return;
  const snapshot = blocks.receive(SNAPSHOT).stream().then((stream) => {
    const { length, done } = streamSnapshot(stream, wasmBytes.then(dataSegment));
    length.then((size) => port.postMessage({ type: "snapshot-length", length: size }), () => {});
    return done;
  });
  snapshot.then((bytes) => port.postMessage({ type: "snapshot", bytes }, [bytes.buffer]), failed);
}

/** Send `port` the wasm's bytes as they come, moved (copied if `kept`: the stream is teed). */
async function relayWasm(stream, kept) {
  for (const reader = (await stream).getReader(); ;) {
    const { value, done } = await reader.read();
    if (done) break;
    const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
    const chunk = kept || !whole ? value.slice() : value;
    port.postMessage({ type: "bytes", chunk }, [chunk.buffer]);
  }
  port.postMessage({ type: "end" });
}

/** Tell `port` that the wasm or the snapshot could not be decoded, and why. */
function failed(error) {
  port.postMessage({ type: "failed", name: "", message: `the page's Python could not be decoded: ${error.message}` });
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
    decode(data.withSnapshot);
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
