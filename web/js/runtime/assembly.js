// The page's data blocks reassembled in a worker from their parts as the page parses them (bridge.js
// posts each part as soon as the parser reaches it).

import { unpack } from "./blocks.js";

/**
 * Data blocks by name. `receive(name)` is the assembly of one block: its parts arrive one by one, in
 * order ({text, gzip, part, parts}), and each is unpacked and written at once to one stream (through
 * gunzip if the block is gzipped), so decoding the first parts overlaps with the page still parsing
 * the next ones. Its reader asks before the first part arrives: `stream()` for the decoded bytes as
 * they come, `bytes()` for all of them once complete, or both; a block nobody asked for by then is
 * collected for a later `bytes()`. `endAll()`: the page is parsed, so an incomplete block fails, and
 * so does one asked for later that never came.
 * `onComplete(name)` is told when a block's bytes are all collected.
 */
export function dataBlocks(onComplete = () => {}) {
  const incoming = new Map();
  let ended = false;

  function receive(name) {
    if (incoming.has(name)) return incoming.get(name);
    let writer = null;
    let collect = false;
    let streamed = null; // the stream() reader's promise, if asked
    const collected = Promise.withResolvers();
    collected.promise.then(() => onComplete(name), () => {}); // an unused error is none
    const start = (gzip) => {
      const { readable, writable } = gzip ? new DecompressionStream("gzip") : new TransformStream();
      writer = writable.getWriter();
      const [forBytes, forStream] = !streamed ? [readable] : collect ? readable.tee() : [null, readable];
      if (forBytes) new Response(forBytes).arrayBuffer().then((buffer) => collected.resolve(new Uint8Array(buffer)), collected.reject);
      else collected.reject(new Error(`the ${name} data block was read as a stream`));
      streamed?.resolve(forStream);
    };
    const assembly = {
      complete: false,
      bytes() {
        if (!writer) collect = true;
        return collected.promise;
      },
      stream() {
        if (writer) return Promise.reject(new Error(`the ${name} data block is already being read`));
        streamed ??= Promise.withResolvers();
        return streamed.promise;
      },
      add({ text, gzip, part, parts }) {
        if (!writer) start(gzip);
        // Errors in gzipped data surface on the readable side, so the writer's own promises are not awaited.
        writer.write(unpack(text)).catch(() => {});
        if (part < parts - 1) return;
        assembly.complete = true;
        writer.close().catch(() => {});
      },
      fail(error) {
        collected.reject(error);
        streamed?.reject(error);
        writer?.abort(error).catch(() => {}); // a reader of the stream sees the error too
      },
    };
    incoming.set(name, assembly);
    if (ended) assembly.fail(missing(name));
    return assembly;
  }

  const missing = (name) => new Error(`the page's ${name} data block is missing or incomplete`);

  function endAll() {
    ended = true;
    for (const [name, assembly] of incoming) {
      if (!assembly.complete) assembly.fail(missing(name));
    }
  }

  return { receive, endAll };
}
