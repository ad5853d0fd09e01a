// The decoding worker, beside the Python worker: it takes the wasm's, the snapshot's and NumPy's data
// blocks as the page parses them, unpacks and gunzips them, and sends the Python worker (over a
// MessagePort, moved, not copied) the wasm's bytes as they come, the snapshot rebuilt whole (see
// memory.js) and, once Python is ready, NumPy's files. Its code is a few kB, so it starts at once and
// has the snapshot done about when the Python worker has loaded Pyodide's megabyte of JavaScript; and
// that worker's thread, busy with Pyodide's start, is left nothing to decode. (A compiled
// WebAssembly.Module cannot be sent: the two data: URL workers are of different origins, so the
// Python worker compiles the wasm.)

import { dataBlocks } from "./assembly.js";
import { unpack } from "./blocks.js";
import { dataSegment, streamSnapshot } from "./memory.js";

const WASM = "pyodide.asm.wasm";
const SNAPSHOT = "snapshot.bin";
const NUMPY = "numpy.bin"; // NumPy's files and their .pyc files (py/pagebuild/snapshot.mjs), gzipped
const blocks = dataBlocks();
let port = null; // to the Python worker

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

/**
 * NumPy is needed only once Python is ready: its block's parts are kept as they come, and unpacked and
 * gunzipped when the Python worker asks ({type: "numpy"} on the port), so that a boot has the machine
 * to itself (decoded meanwhile, it held Python's ready up by a fifth). Then `port` gets the block's
 * bytes, moved ({type: "numpy", bytes}), or why not ({type: "failed", name: "numpy.bin", message}).
 */
const numpy = { texts: [], parts: 0, gzip: false, asked: false, ended: false };

function keepNumpyPart({ part, parts, gzip, text }) {
  Object.assign(numpy, { parts, gzip });
  numpy.texts[part] = text;
  decodeNumpyIfAsked();
}

async function decodeNumpyIfAsked() {
  const complete = numpy.parts > 0 && numpy.texts.filter((text) => text !== undefined).length === numpy.parts;
  if (!numpy.asked || (!complete && !numpy.ended)) return;
  numpy.asked = false;
  try {
    if (!complete) throw new Error(`this copy of the lesson is missing part of NumPy (its ${NUMPY} block)`);
    const packed = new Blob(numpy.texts.map(unpack));
    numpy.texts = [];
    const stream = numpy.gzip ? packed.stream().pipeThrough(new DecompressionStream("gzip")) : packed.stream();
    let bytes;
    try {
      bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (error) {
      throw new Error(`this copy of the lesson has a damaged NumPy (its ${NUMPY} block: ${error.message})`);
    }
    port.postMessage({ type: "numpy", bytes }, [bytes.buffer]);
  } catch (error) {
    port.postMessage({ type: "failed", name: NUMPY, message: error.message });
  }
}

onmessage = ({ data }) => {
  if (data.type === "connect") {
    port = data.port;
    port.onmessage = ({ data: asked }) => {
      numpy.asked = asked.type === "numpy";
      decodeNumpyIfAsked();
    };
    decode(data.withSnapshot);
  } else if (data.type === "asset" && data.asset.name === NUMPY) keepNumpyPart(data.asset);
  else if (data.type === "asset") blocks.receive(data.asset.name).add(data.asset);
  else if (data.type === "all-assets") {
    blocks.endAll();
    numpy.ended = true;
    decodeNumpyIfAsked();
  }
};
