// Rebuild the memory snapshot from the form the page carries it in (see py/pagebuild/memory.py):
// non-zero 4 KiB pages only, XOR-ed with the wasm's initial memory image.

const PAGE = 4096;

function uleb(bytes, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = bytes[at.i++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return value;
}

function sleb(bytes, at) {
  const start = at.i;
  const value = uleb(bytes, at);
  const bits = 7 * (at.i - start);
  return value >= 2 ** (bits - 1) ? value - 2 ** bits : value;
}

/** The active data segments of `wasm` as [{offset, start, end}] (start/end index into `wasm`). */
function dataSegments(wasm) {
  const at = { i: 8 };
  const segments = [];
  while (at.i < wasm.length) {
    const section = wasm[at.i++];
    const size = uleb(wasm, at);
    const next = at.i + size;
    if (section === 11) {
      for (let count = uleb(wasm, at); count > 0; count--) {
        if (uleb(wasm, at) !== 0 || wasm[at.i++] !== 0x41) throw new Error("a data segment is not at a constant offset");
        const offset = sleb(wasm, at);
        at.i++; // the `end` opcode of the offset expression
        const length = uleb(wasm, at);
        segments.push({ offset, start: at.i, end: at.i + length });
        at.i += length;
      }
    }
    at.i = next;
  }
  return segments;
}

/** XOR, in place, the memory part of `snapshot` with the initial memory image of `wasm` (its own inverse). */
function xorInitialMemory(snapshot, wasm) {
  const header = new DataView(snapshot.buffer, snapshot.byteOffset).getUint32(4, true);
  const memory = snapshot.subarray(header);
  for (const { offset, start, end } of dataSegments(wasm)) {
    for (let i = start, j = offset; i < end && j < memory.length; i++, j++) memory[j] ^= wasm[i];
  }
  return snapshot;
}

/** The Pyodide snapshot that `packed` (pagebuild.memory.pack_snapshot's output) stands for. */
export function unpackSnapshot(packed, wasm) {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const length = view.getUint32(0, true);
  const header = view.getUint32(4, true);
  const pages = Math.ceil((length - header) / PAGE);
  const bitmap = packed.subarray(8, 8 + Math.ceil(pages / 8));
  let at = 8 + bitmap.length;
  const snapshot = new Uint8Array(length); // zero pages need no copying
  snapshot.set(packed.subarray(at, at + header));
  at += header;
  for (let n = 0; n < pages; n++) {
    if (!(bitmap[n >> 3] & (1 << (n & 7)))) continue;
    const start = header + n * PAGE;
    const size = Math.min(PAGE, length - start);
    snapshot.set(packed.subarray(at, at + size), start);
    at += size;
  }
  if (at !== packed.length) throw new Error("the packed snapshot's pages do not add up to its length");
  return xorInitialMemory(snapshot, wasm);
}
