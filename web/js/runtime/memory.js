// Rebuild the memory snapshot from the form the page carries it in (see py/pagebuild/memory.py):
// non-zero 4 KiB pages only, XOR-ed with the wasm's initial memory image.

const PAGE = 4096;

/**
 * The wasm's linear memory right after instantiation, up to the end of its last data segment: zeros
 * and the active data segments (as pagebuild.memory.initial_memory makes it at build time).
 */
export function initialMemory(wasm) {
  let i = 8; // past the magic number and version
  const leb = () => { // an unsigned LEB128 number at `i`
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = wasm[i++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const segments = []; // offset, start, end of each data segment, flat
  while (i < wasm.length) {
    const section = wasm[i++];
    const size = leb();
    const next = i + size;
    for (let count = section === 11 ? leb() : 0; count > 0; count--) {
      if (leb() !== 0 || wasm[i++] !== 0x41) throw new Error("a data segment is not at a constant offset");
      const first = i;
      let offset = leb(); // signed: i32.const
      if (wasm[i - 1] & 0x40) offset -= 2 ** (7 * (i - first));
      if (wasm[i++] !== 0x0b) throw new Error("a data segment's offset is not a single i32.const");
      const length = leb();
      segments.push(offset, i, i + length);
      i += length;
    }
    i = next;
  }
  let size = 0;
  for (let n = 0; n < segments.length; n += 3) size = Math.max(size, segments[n] + segments[n + 2] - segments[n + 1]);
  const image = new Uint8Array(size);
  for (let n = 0; n < segments.length; n += 3) image.set(wasm.subarray(segments[n + 1], segments[n + 2]), segments[n]);
  return image;
}

/** XOR, in place, the memory part of `snapshot` (after its header) with `image` (its own inverse). */
function xorInitialMemory(snapshot, image) {
  const header = new DataView(snapshot.buffer, snapshot.byteOffset).getUint32(4, true);
  const length = Math.min(image.length, snapshot.length - header);
  const whole = (snapshot.byteOffset + header) % 4 === 0 ? length >> 2 : 0; // 4 bytes at a time where aligned
  const memory = new Uint32Array(snapshot.buffer, snapshot.byteOffset + header, whole);
  const words = new Uint32Array(image.buffer, image.byteOffset, whole);
  for (let n = 0; n < whole; n++) memory[n] ^= words[n];
  for (let n = whole * 4; n < length; n++) snapshot[header + n] ^= image[n];
  return snapshot;
}

/**
 * Rebuild the Pyodide snapshot from its packed form (pagebuild.memory.pack_snapshot's output) as the
 * packed bytes stream in: `buffer` resolves with the snapshot's full-length buffer as soon as the
 * packed header is read (its pages are written into it as they arrive); `done` resolves with it once
 * every page is in and the wasm's initial memory `image` (or a promise of it) is XOR-ed back.
 */
export function streamSnapshot(packedStream, image) {
  const reader = packedStream.getReader();
  let snapshot = null;
  let places = null; // where each byte run of the packed form goes: [start, end) pairs in `snapshot`
  let place = 0; // the run being written
  let at = 0; // the next byte's position in `snapshot`
  let preamble = new Uint8Array(0); // the packed form's start, until its header is complete

  /** Read the packed header once enough of it is here: allocate the snapshot, list where pages go. */
  function readPreamble() {
    if (preamble.length < 8) return false;
    const view = new DataView(preamble.buffer, preamble.byteOffset);
    const length = view.getUint32(0, true);
    const header = view.getUint32(4, true);
    if (!(header >= 16 && header <= length)) throw new Error("the packed snapshot's header is not a snapshot's");
    const pages = Math.ceil((length - header) / PAGE);
    const bitmapEnd = 8 + Math.ceil(pages / 8);
    if (preamble.length < bitmapEnd) return false;
    const runs = [0, header];
    for (let n = 0; n < pages; n++) {
      if (!(preamble[8 + (n >> 3)] & (1 << (n & 7)))) continue;
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
      if (done) throw new Error("the packed snapshot ends in its header");
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
    return xorInitialMemory(snapshot, await image);
  });
  return { buffer, done };
}

/** The Pyodide snapshot that `packed` stands for, all at once (see streamSnapshot). */
export function unpackSnapshot(packed, wasm) {
  return streamSnapshot(new Blob([packed]).stream(), initialMemory(wasm)).done;
}
