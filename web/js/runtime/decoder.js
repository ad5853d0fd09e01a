// The decoding worker, the Python worker's own nested worker: it takes the wasm's, the snapshot's and
// NumPy's data blocks from the page (over a MessagePort) as the page parses them, unpacks and gunzips
// them, and sends the Python worker (moved, not copied) the wasm compiled as its bytes came, the
// snapshot rebuilt whole (see memory.js) and, once Python is ready, NumPy's files. Its code is a few kB,
// so it starts at once; the Python worker's thread, busy loading Pyodide's megabyte of JavaScript and
// setting its module up, is left nothing to decode or compile. (A compiled WebAssembly.Module can be
// sent only to the worker that started this one, which is why this worker is nested in that one.)

import { dataBlocks } from "./assembly.js";
import { unpack } from "./blocks.js";
import { dataSegment, streamSnapshot } from "./memory.js";

const WASM = "pyodide.asm.wasm";
const SNAPSHOT = "snapshot.bin";
const NUMPY = "numpy.bin"; // NumPy's files and their .pyc files (py/pagebuild/snapshot.mjs), gzipped
const blocks = dataBlocks();

/**
 * Send the Python worker the wasm's module ({type: "wasm", module}), compiled as its bytes are decoded,
 * and, `withSnapshot`, the snapshot once it is whole ({type: "snapshot", bytes}).
 */
function decode(withSnapshot) {
  // Each reader asks for its block before the block's first part arrives.
  const wasm = blocks.receive(WASM);
  const wasmBytes = withSnapshot ? wasm.bytes() : null; // the wasm's stream is then teed
  compileAsItComes(wasm.stream()).catch(failed);
  if (!withSnapshot) return;
  const snapshot = blocks.receive(SNAPSHOT).stream().then((stream) => streamSnapshot(stream, wasmBytes.then(dataSegment)));
  snapshot.then((bytes) => postMessage({ type: "snapshot", bytes }, [bytes.buffer]), failed);
}

/** Compile the wasm from its bytes as they are decoded (`stream`, a promise of them); send the module. */
async function compileAsItComes(stream) {
  const response = new Response(await stream, { headers: { "Content-Type": "application/wasm" } });
  postMessage({ type: "wasm", module: await WebAssembly.compileStreaming(response) });
}

/** Tell the Python worker that the wasm or the snapshot could not be decoded, and why. */
function failed(error) {
  postMessage({ type: "failed", name: "", message: `the page's Python could not be decoded: ${error.message}` });
}

/**
 * NumPy is needed only once Python is ready: its block's parts are kept as they come, and unpacked and
 * gunzipped when the Python worker asks ({type: "numpy"}), so that a boot has the machine to itself
 * (decoded meanwhile, it held Python's ready up by a fifth). Then the Python worker gets the block's
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
    postMessage({ type: "numpy", bytes }, [bytes.buffer]);
  } catch (error) {
    postMessage({ type: "failed", name: NUMPY, message: error.message });
  }
}

/** The page's messages: the parts of the blocks this worker decodes, then "all-assets" once it is parsed. */
function fromThePage({ data }) {
  if (data.type === "asset" && data.asset.name === NUMPY) keepNumpyPart(data.asset);
  else if (data.type === "asset") blocks.receive(data.asset.name).add(data.asset);
  else if (data.type === "all-assets") {
    blocks.endAll();
    numpy.ended = true;
    decodeNumpyIfAsked();
  }
}

// The Python worker's messages: "connect" (the page's port, and whether to decode the snapshot), "numpy".
onmessage = ({ data }) => {
  if (data.type === "connect") {
    data.page.onmessage = fromThePage;
    decode(data.withSnapshot);
  } else if (data.type === "numpy") {
    numpy.asked = true;
    decodeNumpyIfAsked();
  }
};
