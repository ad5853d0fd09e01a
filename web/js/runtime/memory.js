// The memory snapshot as the page carries it: packed in Node at build time (py/pagebuild/snapshot.mjs),
// unpacked in the page's decoding worker once its bytes are in.
//
// 1. The wasm's data segment (4.6 MB, 98% of it unchanged when the snapshot is taken) is XOR-ed out of
//    the snapshot's memory, which turns those bytes into zeros: 1.5 MB less in the page after gzip.
// 2. Only the memory's 4 KiB pages that hold something once XOR-ed are kept (about 2,300 of 5,100):
//    the decoding worker then inflates 9.6 MB, not 21 MB, and a new buffer is zeros already.
//
// Packed form: u32 snapshot length, u32 header length, u32 where the data segment lies in memory, a
// bitmap of the memory's kept pages (bit n & 7 of byte n >> 3 for page n), the snapshot's header, then
// the kept pages in order.

const PREAMBLE = 12; // the three u32 before the page bitmap
const PAGE = 4096; // bytes a bit of the bitmap stands for

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

/** How many pages the memory of a snapshot of `length` bytes with a `header` of that many has, and its bitmap's length. */
function pageCount(length, header) {
  const pages = Math.ceil((length - header) / PAGE);
  return { pages, bitmapLength: Math.ceil(pages / 8) };
}

/** The packed form of `snapshot` (a `header` of that many bytes, then memory), whose wasm writes `segment` at `base`. */
export function packSnapshot(snapshot, segment, header, base) {
  const mixed = xorSegment(snapshot.slice(), segment, header, base);
  const { pages, bitmapLength } = pageCount(mixed.length, header);
  const bitmap = new Uint8Array(bitmapLength);
  const kept = [mixed.subarray(0, header)];
  for (let n = 0; n < pages; n++) {
    const page = mixed.subarray(header + n * PAGE, header + (n + 1) * PAGE);
    if (page.some((byte) => byte !== 0)) {
      bitmap[n >> 3] |= 1 << (n & 7);
      kept.push(page);
    }
  }
  const out = new Uint8Array(PREAMBLE + bitmapLength + kept.reduce((sum, part) => sum + part.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, snapshot.length, true);
  view.setUint32(4, header, true);
  view.setUint32(8, base, true);
  out.set(bitmap, PREAMBLE);
  kept.reduce((at, part) => (out.set(part, at), at + part.length), PREAMBLE + bitmapLength);
  return out;
}

/** The snapshot packed in `stream`, once all of it has come (see unpackSnapshot; `segment` may be a promise). */
export async function streamSnapshot(stream, segment) {
  const chunks = [];
  for (const reader = stream.getReader(); ;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  const packed = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  chunks.reduce((at, chunk) => (packed.set(chunk, at), at + chunk.length), 0);
  return unpackSnapshot(packed, await segment);
}

/** The Pyodide snapshot that `packed` stands for (its pages of zeros put back), whose wasm's data is `segment`. */
export function unpackSnapshot(packed, segment) {
  if (packed.length < PREAMBLE) throw new Error("the packed snapshot ends in its preamble");
  const view = new DataView(packed.buffer, packed.byteOffset, PREAMBLE);
  const [length, header, base] = [0, 4, 8].map((at) => view.getUint32(at, true));
  if (!(header >= 16 && header <= length && base < length)) throw new Error("the packed snapshot's preamble is not a snapshot's");
  const { pages, bitmapLength } = pageCount(length, header);
  const bitmap = packed.subarray(PREAMBLE, PREAMBLE + bitmapLength);
  const snapshot = new Uint8Array(length); // zeros: the pages left out need no writing
  let at = PREAMBLE + bitmapLength;
  const copy = (start, end) => {
    if (at + end - start > packed.length) throw new Error("the packed snapshot ends before its last page");
    snapshot.set(packed.subarray(at, at + end - start), start);
    at += end - start;
  };
  copy(0, header);
  for (let n = 0; n < pages; n++) {
    if (bitmap[n >> 3] & (1 << (n & 7))) copy(header + n * PAGE, Math.min(header + (n + 1) * PAGE, length));
  }
  if (at !== packed.length) throw new Error("the packed snapshot holds more than its pages");
  return xorSegment(snapshot, segment, header, base);
}
