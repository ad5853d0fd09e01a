// Undo the build's XOR of the snapshot with the wasm's initial memory image (see py/pagebuild/memory.py).

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
export function xorInitialMemory(snapshot, wasm) {
  const header = new DataView(snapshot.buffer, snapshot.byteOffset).getUint32(4, true);
  const memory = snapshot.subarray(header);
  for (const { offset, start, end } of dataSegments(wasm)) {
    for (let i = start, j = offset; i < end && j < memory.length; i++, j++) memory[j] ^= wasm[i];
  }
  return snapshot;
}
