// The page's own data blocks (marked data-page by build.py): data the page reads itself, after its
// first paint (the explore widget's grid of every slider setting), never sent to Python's worker.

import { unpack } from "./blocks.js";

/** The value of a block's parts (their texts, in order): unpacked, gunzipped if `gzip`, parsed as JSON. */
function decodeJson(texts, gzip) {
  const bytes = new Blob(texts.map(unpack));
  return new Response(gzip ? bytes.stream().pipeThrough(new DecompressionStream("gzip")) : bytes).json();
}

export class PageAssets {
  constructor() {
    this.texts = new Map(); // name -> texts of the parts parsed so far
    this.promises = new Map(); // name -> {promise, resolve, reject}: what json(name) handed out
    this.complete = new Set(); // names whose every part has been parsed
    this.ended = false;
  }

  /** A `<script data-page data-asset=... data-part=... data-parts=...>` block the parser has reached (again is no harm). */
  take(block) {
    const { asset: name, part, parts } = block.dataset;
    const texts = this.texts.get(name) ?? [];
    this.texts.set(name, texts);
    if (texts[Number(part)] !== undefined) return;
    texts[Number(part)] = block.textContent;
    if (texts.filter((text) => text !== undefined).length < Number(parts)) return;
    this.complete.add(name);
    this.entry(name).resolve(decodeJson(texts, block.hasAttribute("data-gzip")));
  }

  /** Resolves with the JSON in block `name` once the parser has reached all of it; rejects if the page has none. */
  json(name) {
    const entry = this.entry(name);
    if (this.ended && !this.complete.has(name)) entry.reject(new Error(`this page carries no complete ${name} data block`));
    return entry.promise;
  }

  /** The page is parsed: whatever is still awaited will not come. */
  end() {
    this.ended = true;
    for (const name of this.promises.keys()) this.json(name);
  }

  entry(name) {
    if (!this.promises.has(name)) {
      let resolve, reject;
      const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
      this.promises.set(name, { promise, resolve, reject });
    }
    return this.promises.get(name);
  }
}
