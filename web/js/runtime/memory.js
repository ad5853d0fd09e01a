// The memory snapshot as the page carries it: packed in Node at build time (py/pagebuild/snapshot.mjs),
// unpacked in the page's decoding worker as its bytes stream in.
//
// The wasm's data segment (4.6 MB, 98% of it unchanged when the snapshot is taken) is XOR-ed out of the
// snapshot's memory, which turns those bytes into zeros: 1.5 MB less in the page after gzip.
//
// Packed form: u32 snapshot length, u32 header length, u32 where the data segment lies in memory, then
// the snapshot, its memory XOR-ed with the segment.

const PREAMBLE = 12; // the three u32 before the snapshot

/**
 * The bytes of the wasm's one data segment, which instantiation writes into memory at the memory base
 * (0.27.7's main module is relocatable: its segment's offset is `global.get` of its first import).
 */
export function dataSegment(wasm) {
  let i = 8; // past the magic number and version
  const leb = () => { // an unsigned LEB128 number at `i`
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = wasm[i++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (i < wasm.length) {
    const section = wasm[i++];
    const next = leb() + i;
    if (section === 11) {
      // one segment: active (0), offset `global.get 0` (0x23 0x00), end (0x0b)
      if (leb() !== 1 || leb() !== 0 || wasm[i++] !== 0x23 || leb() !== 0 || wasm[i++] !== 0x0b) {
        throw new Error("the wasm's data is not one segment at the memory base");
      }
      const length = leb();
      return wasm.slice(i, i + length); // a copy: its own buffer, aligned, movable to another worker
    }
    i = next;
  }
  throw new Error("the wasm has no data section");
}

/** XOR, in place, `snapshot`'s memory (after its `header` bytes) from byte `base` on with `segment` (its own inverse). */
function xorSegment(snapshot, segment, header, base) {
  const start = header + base;
  const length = Math.min(segment.length, snapshot.length - start);
  const aligned = (snapshot.byteOffset + start) % 4 === 0 && segment.byteOffset % 4 === 0;
  const whole = aligned ? length >> 2 : 0; // 4 bytes at a time where aligned
  if (aligned) {
    const memory = new Uint32Array(snapshot.buffer, snapshot.byteOffset + start, whole);
    const words = new Uint32Array(segment.buffer, segment.byteOffset, whole);
    for (let n = 0; n < whole; n++) memory[n] ^= words[n];
  }
  for (let n = whole * 4; n < length; n++) snapshot[start + n] ^= segment[n];
  return snapshot;
}

/** The packed form of `snapshot` (a `header` of that many bytes, then memory), whose wasm writes `segment` at `base`. */
export function packSnapshot(snapshot, segment, header, base) {
  const out = new Uint8Array(PREAMBLE + snapshot.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, snapshot.length, true);
  view.setUint32(4, header, true);
  view.setUint32(8, base, true);
  out.set(snapshot, PREAMBLE);
  xorSegment(out.subarray(PREAMBLE), segment, header, base);
  return out;
}

/**
 * The snapshot packed in `stream`, read as its bytes come into a buffer sized by its preamble
 * (see unpackSnapshot; `segment` may be a promise).
 */
export async function streamSnapshot(stream, segment) {
  const reader = stream.getReader();
  let start = new Uint8Array(0);
  while (start.length < PREAMBLE) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the packed snapshot ends in its preamble");
    const joined = new Uint8Array(start.length + value.length);
    joined.set(start);
    joined.set(value, start.length);
    start = joined;
  }
  const packed = new Uint8Array(PREAMBLE + new DataView(start.buffer).getUint32(0, true));
  let at = 0;
  for (let next = { value: start }; !next.done; next = await reader.read()) {
    if (at + next.value.length > packed.length) throw new Error("the packed snapshot holds more than its length");
    packed.set(next.value, at);
    at += next.value.length;
  }
  return unpackSnapshot(packed.subarray(0, at), await segment);
}

/** The Pyodide snapshot that `packed` stands for (a view into it, XOR-ed back in place), whose wasm's data is `segment`. */
export function unpackSnapshot(packed, segment) {
  if (packed.length < PREAMBLE) throw new Error("the packed snapshot ends in its preamble");
  const view = new DataView(packed.buffer, packed.byteOffset, PREAMBLE);
  const [length, header, base] = [0, 4, 8].map((at) => view.getUint32(at, true));
  if (!(header >= 16 && header <= length && base < length)) throw new Error("the packed snapshot's preamble is not a snapshot's");
  if (packed.length - PREAMBLE !== length) throw new Error(`the packed snapshot holds ${packed.length - PREAMBLE} bytes, not its ${length}`);
  return xorSegment(packed.subarray(PREAMBLE), segment, header, base);
}
