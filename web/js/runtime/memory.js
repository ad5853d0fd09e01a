// The memory snapshot as the page carries it: smaller to store, quicker to decompress. Packed in Node
// at build time (py/pagebuild/snapshot.mjs), unpacked in the page's workers as its bytes stream in.
//
// 1. The wasm's data segment (4.6 MB, 98% of it unchanged when the snapshot is taken) is XOR-ed out of
//    the snapshot's memory, which turns those bytes into zeros: 1.5 MB less in the page after gzip.
// 2. Only the non-zero 4 KiB pages are kept: more than half the memory is zero pages, which the page
//    then need not inflate at all (a new buffer is zeros already).
//
// Packed form: u32 snapshot length, u32 header length, u32 where the data segment lies in memory, a
// bitmap of the memory's non-zero 4 KiB pages (once XOR-ed), the snapshot's header, then those pages.

const PAGE = 4096;
const PREAMBLE = 12; // the three u32 before the bitmap

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
  const mixed = xorSegment(snapshot.slice(), segment, header, base);
  const pages = Math.ceil((mixed.length - header) / PAGE);
  const bitmap = new Uint8Array(Math.ceil(pages / 8));
  const kept = [];
  for (let n = 0; n < pages; n++) {
    const page = mixed.subarray(header + n * PAGE, Math.min(header + (n + 1) * PAGE, mixed.length));
    if (page.some((byte) => byte !== 0)) {
      bitmap[n >> 3] |= 1 << (n & 7);
      kept.push(page);
    }
  }
  const out = new Uint8Array(PREAMBLE + bitmap.length + header + kept.reduce((sum, page) => sum + page.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, snapshot.length, true);
  view.setUint32(4, header, true);
  view.setUint32(8, base, true);
  out.set(bitmap, PREAMBLE);
  out.set(mixed.subarray(0, header), PREAMBLE + bitmap.length);
  let at = PREAMBLE + bitmap.length + header;
  for (const page of kept) {
    out.set(page, at);
    at += page.length;
  }
  return out;
}

/**
 * Rebuild the Pyodide snapshot from its packed form as the packed bytes stream in: `buffer` resolves
 * with the snapshot's full-length buffer as soon as the preamble is read (its pages are written into it
 * as they arrive); `done` resolves with it once every page is in and the wasm's data `segment` (or a
 * promise of it) is XOR-ed back.
 */
export function streamSnapshot(packedStream, segment) {
  const reader = packedStream.getReader();
  let snapshot = null;
  let header = 0; // the snapshot's header length: its memory follows
  let base = 0; // where in memory the data segment lies
  let places = null; // where each byte run of the packed form goes: [start, end) pairs in `snapshot`
  let place = 0; // the run being written
  let at = 0; // the next byte's position in `snapshot`
  let preamble = new Uint8Array(0); // the packed form's start, until its bitmap is complete

  /** Read the preamble once enough of it is here: allocate the snapshot, list where pages go. */
  function readPreamble() {
    if (preamble.length < PREAMBLE) return false;
    const view = new DataView(preamble.buffer, preamble.byteOffset);
    const length = view.getUint32(0, true);
    header = view.getUint32(4, true);
    base = view.getUint32(8, true);
    if (!(header >= 16 && header <= length && base < length)) throw new Error("the packed snapshot's preamble is not a snapshot's");
    const pages = Math.ceil((length - header) / PAGE);
    const bitmapEnd = PREAMBLE + Math.ceil(pages / 8);
    if (preamble.length < bitmapEnd) return false;
    const runs = [0, header];
    for (let n = 0; n < pages; n++) {
      if (!(preamble[PREAMBLE + (n >> 3)] & (1 << (n & 7)))) continue;
      const start = header + n * PAGE;
      if (runs[runs.length - 1] === start) runs[runs.length - 1] = Math.min(start + PAGE, length); // adjacent: one run
      else runs.push(start, Math.min(start + PAGE, length));
    }
    snapshot = new Uint8Array(length); // zero pages need no writing
    places = runs;
    at = places[0];
    write(preamble.subarray(bitmapEnd));
    return true;
  }

  /** Write the next bytes of the packed form into their places in the snapshot. */
  function write(bytes) {
    for (let i = 0; i < bytes.length;) {
      if (place >= places.length) throw new Error("the packed snapshot holds more than its pages");
      const count = Math.min(bytes.length - i, places[place + 1] - at);
      snapshot.set(bytes.subarray(i, i + count), at);
      i += count;
      at += count;
      if (at === places[place + 1]) {
        place += 2;
        at = places[place];
      }
    }
  }

  const buffer = (async () => {
    while (!snapshot) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the packed snapshot ends in its preamble");
      const joined = new Uint8Array(preamble.length + value.length);
      joined.set(preamble);
      joined.set(value, preamble.length);
      preamble = joined;
      readPreamble();
    }
    return snapshot;
  })();
  const done = buffer.then(async () => {
    for (let next; !(next = await reader.read()).done;) write(next.value);
    if (place < places.length) throw new Error("the packed snapshot's pages do not add up to its length");
    return xorSegment(snapshot, await segment, header, base);
  });
  return { buffer, done };
}

/** The Pyodide snapshot that `packed` stands for, all at once (see streamSnapshot). */
export function unpackSnapshot(packed, wasm) {
  return streamSnapshot(new Blob([packed]).stream(), dataSegment(wasm)).done;
}
