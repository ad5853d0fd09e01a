// A wheel (a zip file) read in JavaScript, its files inflated by DecompressionStream: the snapshot maker
// installs NumPy's wheel into Pyodide with it (in Node), as the page then installs the same files.

/** The files of the zip `bytes`, in its order: [{path, bytes}] (folders left out; stored or deflated entries only). */
export async function unzip(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22; // the end-of-central-directory record, before a comment of up to 64 kB
  while (end >= Math.max(0, bytes.length - 22 - 0xffff) && view.getUint32(end, true) !== 0x06054b50) end--;
  if (end < 0 || view.getUint32(end, true) !== 0x06054b50) throw new Error("not a zip file");
  const entries = [];
  for (let n = view.getUint16(end + 10, true), at = view.getUint32(end + 16, true); n > 0; n--) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error("a zip entry's header is not where its directory says");
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const local = view.getUint32(at + 42, true);
    const path = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (path.endsWith("/")) continue;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    entries.push({ path, method, data: bytes.subarray(start, start + size) });
  }
  return Promise.all(entries.map(async ({ path, method, data }) => {
    if (method === 0) return { path, bytes: data.slice() };
    if (method !== 8) throw new Error(`${path}: zip compression method ${method} is not deflate`);
    const inflated = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return { path, bytes: new Uint8Array(await new Response(inflated).arrayBuffer()) };
  }));
}
