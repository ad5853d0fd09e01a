// The one module that talks to Python: `await bridge.call(name, args)` runs lesson.api.call in the worker.

import { unpack } from "./blocks.js";
import { PageAssets } from "./page-assets.js";

/**
 * The Python worker's first code, started from a data: URL (the only kind of worker that starts from
 * file://) as `(${workerStub})()`, so it refers to nothing outside itself. First it starts the decoding
 * worker (see decoder.js) as its own nested worker, from the code and with the page's port the boot
 * order hands it: only a worker's own nested worker can send it a compiled WebAssembly.Module (two
 * workers of the page cannot, and the page, busy parsing, would pass it on late). Then it receives the
 * gzipped worker bundle (a Blob), makes its own blob: URL and imports it; the bundle then takes over
 * `onmessage`. Messages that arrive meanwhile wait in `queuedMessages`, and the decoder's in
 * `decoderMessages`, for the bundle to read. An error in the decoding worker fails the boot.
 */
function workerStub() {
  const queued = (globalThis.queuedMessages = []);
  const decoded = (globalThis.decoderMessages = []);
  onmessage = async ({ data }) => {
    if (data.type === "decoder") {
      const decoder = (globalThis.decoder = new Worker(`data:text/javascript,${encodeURIComponent(data.code)}`, { type: "module" }));
      decoder.onmessage = ({ data: message }) => decoded.push(message);
      decoder.onerror = (event) => {
        event.preventDefault();
        postMessage({ type: "failed", error: { message: `the decoding worker failed: ${event.message}` } });
      };
      decoder.postMessage({ type: "connect", page: data.page, withSnapshot: data.withSnapshot }, [data.page]);
    } else if (data.type === "code") {
      try {
        const code = await new Response(data.bundle.stream().pipeThrough(new DecompressionStream("gzip"))).text();
        await import(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
      } catch (error) {
        postMessage({ type: "failed", error: { message: "the Python worker's code did not load: " + error.message } });
      }
    } else queued.push(data);
  };
}
const WORKER_STUB = `(${workerStub})()`;
const BOOT_TIMEOUT_MS = 60000; // a wasm that fails to instantiate makes Pyodide wait forever
// Every call sent to the worker has a deadline, so that a worker that no longer answers (a cell ran
// `js.onmessage = None` or `js.close()`, or the worker died) is replaced instead of leaving calls
// waiting forever. The worker answers calls one at a time, in order, and says when it takes one up:
// - TAKE_UP_MS: how long the oldest call may wait to be taken up once nothing runs ahead of it. A
//   worker that listens reads a message within milliseconds, even on a loaded machine. While NumPy
//   loads, its install and import keep the worker busy for seconds and calls wait for them: then only
//   a worker dead for as long as a boot may take (BOOT_TIMEOUT_MS) is replaced. It is the bridge's
//   `takeUpMs`, which the fault tests shorten rather than wait 5 s for each worker they make deaf.
// - ANSWER_MS: how long a call that sets no time limit of its own may run once taken up. The page's
//   own calls (widgets, exercises, Reset) take milliseconds; the learner's code (cells, task checks)
//   runs under its own limit (TIME_LIMIT_MS in cells.js), given as `timeoutMs`.
// - A deadline's timer that fires over LATE_MS late means the page itself was held up (a long task, a
//   throttled background tab, a laptop asleep), and the worker's answer may be queued behind it: the
//   clocks start afresh instead.
const TAKE_UP_MS = 5000;
const ANSWER_MS = 10000;
const LATE_MS = 1000;

const WORKER_CODE = "worker.js"; // the data block holding the Python worker's own (gzipped) bundle
const DECODER_CODE = "decoder.js"; // the data block holding the decoding worker's code (a small ES module)
const DECODED = new Set(["pyodide.asm.wasm", "snapshot.bin", "numpy.bin"]); // the blocks the decoding worker takes
const SNAPSHOT = "snapshot.bin";
const SOURCES = "sources.json";
// Python's blocks, in page order. It cannot start without those NEEDED, nor without both the snapshot
// and the sources (without the snapshot it imports the lesson from its sources, slower; with it, a lack
// of sources costs tracebacks their source lines).
const PYTHON_BLOCKS = [DECODER_CODE, WORKER_CODE, "pyodide-lock.json", "pyodide.asm.wasm", SNAPSHOT, "python_stdlib.zip", SOURCES];
const NEEDED = PYTHON_BLOCKS.filter((name) => name !== SNAPSHOT && name !== SOURCES);

/**
 * Python in a worker, with a decoding worker of its own that unpacks and gunzips the wasm and the
 * snapshot for it and compiles the wasm (see decoder.js). Events: "state" (detail:
 * static|booting|ready|failed), "progress" (detail: a boot stage), "restart" (detail: {reason, unresponsive, brokenBy}, see `restart`), "numpy" (detail: loading|ready|failed|off, see `numpy`).
 * Calls made before Python is ready (static or booting) wait for it.
 *
 * NumPy loads after Python is ready, without holding up calls: `numpy` is "off" in a page built
 * without it, else "loading" until it is "ready" (or "failed"), and "loading" again after a restart.
 * A call to a function that needs NumPy should wait for `whenNumpy()`.
 */
export class Bridge extends EventTarget {
  /** `withNumpy`: whether this page carries NumPy (build.py says so in `<html data-numpy>`). */
  constructor({ withNumpy = false } = {}) {
    super();
    this.state = "static";
    this.numpy = withNumpy ? "loading" : "off";
    this.numpyProblem = null; // why NumPy failed, once it has
    this.problem = null; // why Python cannot start, in a reader's words, where the page knows it
    this.calls = new Map(); // id -> {name, args, resolve, reject, timeoutMs, sent, sentAt, takenUp (when)}, in the order made
    this.deadline = null; // the timer of the one deadline running (see TAKE_UP_MS)
    this.takeUpMs = TAKE_UP_MS;
    this.quietSince = 0; // when the worker last finished something (a call, or NumPy's loading): performance.now()
    this.lastCodeRun = null; // {name, args} of the last call with a time limit of its own (learner's code) the worker took up
    this.nextId = 0;
    this.worker = null;
    this.decoder = null; // the port to the decoding worker, which takes the blocks it decodes
    this.useSnapshot = true;
    this.assets = new Map(); // "name#part" -> {name, part, parts, text, gzip, length}, in page order
    this.pageAssets = new PageAssets(); // the blocks the page reads itself (data-page), not Python
    this.allFed = false;
    this.snapshotUsable = true;
  }

  /**
   * Take the packed data blocks the HTML parser has reached. build.py puts a call to this after each
   * block. The workers start on the decoding worker's code, the first block (inside the lesson, see
   * py/pagebuild/page.py's boot_position), so that both are up before the wasm's first part comes; the
   * Python worker gets its bundle once that block is in, and each asset while the rest still loads
   * (posted at once: the page's own message queue waits for the parser, the workers' do not).
   */
  feed(root = document) {
    for (const block of root.querySelectorAll("script[data-asset]:not([data-page])")) {
      const { asset: name, part, parts } = block.dataset;
      const key = `${name}#${part}`;
      if (this.assets.has(key)) continue;
      const asset = { name, part: Number(part), parts: Number(parts), text: block.textContent, gzip: block.hasAttribute("data-gzip"),
                      length: Number(block.dataset.length) };
      this.assets.set(key, asset);
      if (name === DECODER_CODE && asset.part === asset.parts - 1) this.start();
      else if (name === WORKER_CODE && asset.part === asset.parts - 1) this.postWorkerCode();
      else if (name !== WORKER_CODE && name !== DECODER_CODE) this.post(asset);
    }
    for (const block of root.querySelectorAll("script[data-asset][data-page]")) this.pageAssets.take(block);
  }

  /** The JSON in the page's own data block `name` (e.g. "explore-grid.json"): resolves once it is parsed. */
  assetJson(name) {
    return this.pageAssets.json(name);
  }

  /**
   * The page is parsed: take any block not fed yet, and tell the workers no more will come. A copy
   * cut short or missing a block Python needs fails at once, naming the blocks (rather than waiting
   * for a boot that cannot end).
   */
  fedAll(root = document) {
    this.feed(root);
    this.allFed = true;
    this.pageAssets.end();
    const incomplete = this.incompleteBlocks();
    const fatal = incomplete.some((name) => NEEDED.includes(name)) || (incomplete.includes(SNAPSHOT) && incomplete.includes(SOURCES));
    if (fatal) return this.cannotStart(incomplete);
    for (const worker of [this.worker, this.decoder]) worker?.postMessage({ type: "all-assets" });
  }

  /** The names of Python's blocks (NumPy's too, if this page carries it) that are missing or lack parts. */
  incompleteBlocks() {
    const names = [...PYTHON_BLOCKS, ...(this.numpy === "off" ? [] : ["numpy.bin"])];
    return names.filter((name) => !this.isWhole(name));
  }

  /** Whether every part of data block `name` has been fed. */
  isWhole(name) {
    const parts = [...this.assets.values()].filter((asset) => asset.name === name);
    return parts.length > 0 && parts.length >= parts[0].parts;
  }

  /** This copy lacks blocks Python needs (`names`): fail now, saying which. */
  cannotStart(names) {
    const list = names.length === 1 ? `block ${names[0]} is` : `blocks ${names.slice(0, -1).join(", ")} and ${names.at(-1)} are`;
    this.problem = `This copy of the lesson is incomplete: the data ${list} missing or cut short (the file may have been truncated when it was saved or mailed).`;
    this.stop();
    console.warn(`Python cannot start: ${this.problem}`);
    this.setState("failed");
    if (this.numpy !== "off") this.setNumpy("failed", "Python could not start");
    this.rejectAll(this.bootError());
  }

  /** Why a call cannot be answered when Python could not start: the cause, where the page knows it. */
  bootError(message = this.problem) {
    return Object.assign(new Error(message ? `Python could not start: ${message}` : "Python could not start"), { type: "BootError" });
  }

  /** The unpacked parts of code block `name` (empty if the page has none). */
  code(name) {
    return [...this.assets.values()].filter((asset) => asset.name === name).map((asset) => unpack(asset.text));
  }

  /**
   * Hand a data block's part to the worker that reads it (none wants the snapshot once it failed). The
   * snapshot's first part says how long the snapshot is, which the Python worker is told at once:
   * Pyodide sizes its memory by it and sets its module up meanwhile, while the snapshot is decoded.
   */
  post(asset) {
    if (asset.name === SNAPSHOT && !this.useSnapshot) return;
    if (asset.name === SNAPSHOT && asset.part === 0) this.worker?.postMessage({ type: "snapshot-length", length: asset.length });
    (DECODED.has(asset.name) ? this.decoder : this.worker)?.postMessage({ type: "asset", asset });
  }

  /** Start the two workers and boot Python: from the snapshot, or without it if that failed before. */
  start() {
    this.setState("booting");
    const useSnapshot = (this.useSnapshot = this.snapshotUsable);
    const worker = (this.worker = new Worker(`data:text/javascript,${encodeURIComponent(WORKER_STUB)}`, { type: "module" }));
    const text = new TextDecoder();
    const decoderCode = this.code(DECODER_CODE).map((part) => text.decode(part, { stream: true })).join("") + text.decode();
    const channel = new MessageChannel(); // the page's blocks go straight to the decoding worker
    this.decoder = channel.port1;
    const timer = setTimeout(() => this.bootFailed(worker, useSnapshot, `Python did not start within ${BOOT_TIMEOUT_MS / 1000} s`), BOOT_TIMEOUT_MS);
    // Once Python is ready, an error in a worker leaves a Python that may still answer: the deadlines
    // replace the worker if it does not.
    const onError = (what) => (event) => {
      if (worker !== this.worker) return;
      if (this.state !== "ready") return this.bootFailed(worker, useSnapshot, `${what}: ${event.message}`);
      event.preventDefault(); // reported here, as a warning
      console.warn(`Python: ${what}: ${event.message}`);
    };
    worker.onerror = onError("the Python worker failed");
    worker.onmessage = ({ data }) => {
      if (worker !== this.worker) return;
      if (data.type === "progress") this.emit("progress", data.stage);
      else if (data.type === "taken-up") this.takenUp(data);
      else if (data.type === "result") this.settle(data);
      else if (data.type === "warning") console.warn(`Python: ${data.message}`);
      else if (data.type === "ready") { clearTimeout(timer); this.booted(data); }
      else if (data.type === "numpy") this.numpyLoaded(data);
      else if (data.type === "failed") { clearTimeout(timer); this.bootFailed(worker, useSnapshot, data.error.message); }
    };
    worker.postMessage({ type: "decoder", code: decoderCode, page: channel.port2, withSnapshot: useSnapshot }, [channel.port2]);
    worker.postMessage({ type: "boot", useSnapshot }); // kept by the worker's first code until its bundle is in
    this.postWorkerCode();
    // Boot with every asset fed so far; feed() posts the rest as the parser reaches them.
    for (const asset of this.assets.values()) if (asset.name !== WORKER_CODE && asset.name !== DECODER_CODE) this.post(asset);
    if (this.allFed) for (const each of [worker, this.decoder]) each.postMessage({ type: "all-assets" });
  }

  /** Send the Python worker its bundle, once the worker exists and every part of the bundle's block is in. */
  postWorkerCode() {
    if (this.worker && this.isWhole(WORKER_CODE)) this.worker.postMessage({ type: "code", bundle: new Blob(this.code(WORKER_CODE)) });
  }

  booted({ snapshot, failures, ms, milestones }) {
    for (const [name, at] of milestones) performance.mark(`python:${name}`, { startTime: at - performance.timeOrigin });
    console.info(`Python ready ${snapshot ? "from its memory snapshot" : "without a snapshot"} in ${Math.round(ms)} ms`);
    for (const [name, error] of Object.entries(failures)) console.warn(`Python: ${name} is unavailable: ${error}`);
    this.setState("ready");
    for (const [id, call] of this.calls) if (!call.sent) this.send(id, call);
  }

  bootFailed(worker, usedSnapshot, message) {
    if (worker !== this.worker) return; // a restart already replaced this worker
    this.stop();
    if (usedSnapshot) {
      console.warn(`Python: the memory snapshot could not be used (${message}); booting without it, which is slower.`);
      this.snapshotUsable = false;
      this.start();
      return;
    }
    console.warn(`Python could not start: ${message}`);
    this.setState("failed");
    if (this.numpy !== "off") this.setNumpy("failed", "Python could not start");
    this.rejectAll(this.bootError(message));
  }

  /**
   * Call lesson.api function `name` with keyword `args`; resolves with its JSON result. `timeoutMs`: the
   * time limit of a call running the learner's code; past it (or past ANSWER_MS without one), or if the
   * worker stops taking calls up, Python restarts.
   */
  call(name, args = {}, { timeoutMs } = {}) {
    if (this.state === "failed") return Promise.reject(this.bootError());
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const call = { name, args, resolve, reject, timeoutMs, sent: false, sentAt: 0, takenUp: 0 };
      this.calls.set(id, call);
      if (this.state === "ready") this.send(id, call);
    });
  }

  send(id, call) {
    call.sent = true;
    call.sentAt = performance.now();
    this.worker.postMessage({ type: "call", id, name: call.name, args: call.args });
    this.watch();
  }

  /** The worker has begun call `id`: its own deadline runs from now. */
  takenUp({ id }) {
    const call = this.calls.get(id);
    if (!call) return;
    call.takenUp = performance.now();
    if (call.timeoutMs) this.lastCodeRun = { name: call.name, args: call.args };
    this.watch();
  }

  settle({ id, json, error }) {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    this.quietSince = performance.now();
    this.watch();
    if (error?.fatal) {
      // Python ended: Pyodide may not answer again, and the code unwound past its cleanup (a cell's patches
      // stay in the page's modules). A fresh Python takes over, blaming the learner's code run last (this
      // call, or one that broke memory before it); with none run in this Python, the page's own call ended
      // it, and would end a fresh one too: no restart then.
      const brokenBy = this.lastCodeRun;
      call.reject(Object.assign(new Error(`${error.message}: this code ended Python${brokenBy ? ", so it was restarted" : ""}`), { type: "Ended" }));
      if (brokenBy) this.restart("Python ended", { brokenBy });
    } else if (error) call.reject(Object.assign(new Error(error.message), error));
    else call.resolve(JSON.parse(json));
  }

  /**
   * Keep the one deadline that applies (see TAKE_UP_MS): the running call's time limit, counted from
   * when it was taken up; or else the oldest call's time to be taken up, counted from when it was sent
   * or the worker last finished something, whichever is later.
   */
  watch() {
    clearTimeout(this.deadline);
    this.deadline = null;
    const sent = [...this.calls.values()].filter((call) => call.sent);
    if (!sent.length) return;
    const running = sent.find((call) => call.takenUp);
    const [since, limit, missed] = running
      ? [running.takenUp, running.timeoutMs ?? ANSWER_MS, () => this.restart(`${running.name} ran longer than ${(running.timeoutMs ?? ANSWER_MS) / 1000} s`)]
      : [Math.max(sent[0].sentAt, this.quietSince), this.numpy === "loading" ? BOOT_TIMEOUT_MS : this.takeUpMs, () => this.unresponsive()];
    const due = since + limit;
    this.deadline = setTimeout(() => {
      if (performance.now() - due <= LATE_MS) return missed();
      for (const call of sent) call.takenUp &&= performance.now(); // held up: every clock starts afresh
      this.quietSince = performance.now();
      this.watch();
    }, due - performance.now());
  }

  /** The worker took no call up in time: its message loop is broken, or it died. Replace it. */
  unresponsive() {
    const reason = "Python stopped answering";
    console.warn(`${reason}: replacing it with a fresh Python`);
    this.restart(reason, { unresponsive: true, brokenBy: this.lastCodeRun });
  }

  /**
   * Stop whatever Python is doing by replacing the worker; calls in flight reject, saying `reason`.
   * Listeners of the "restart" event get {reason, unresponsive, brokenBy}: whether the worker had
   * stopped answering, and the learner's code ({name, args}) that broke Python, if any: the last it ran
   * before it stopped answering, or the call that ended it.
   */
  restart(reason, { unresponsive = false, brokenBy = null } = {}) {
    this.stop();
    this.rejectAll(unresponsive
      ? Object.assign(new Error(`${reason}, so it was restarted: this call was not answered`), { type: "Unresponsive" })
      : Object.assign(new Error(`stopped: ${reason}`), { type: "Stopped" }));
    if (this.numpy !== "off") this.setNumpy("loading");
    this.start();
    this.emit("restart", { reason, unresponsive, brokenBy }); // listeners may queue calls to restore state: they run first once ready
  }

  /** Resolves when Python is ready (at once if it is), rejects if it cannot start. */
  whenReady() {
    if (this.state === "ready") return Promise.resolve();
    if (this.state === "failed") return Promise.reject(new Error("Python could not start"));
    return new Promise((resolve, reject) => {
      const onState = ({ detail }) => {
        if (detail === "ready") resolve();
        else if (detail === "failed") reject(new Error("Python could not start"));
        else return;
        this.removeEventListener("state", onState);
      };
      this.addEventListener("state", onState);
    });
  }

  /** The worker's news of NumPy: {state: loading|ready|failed|off, stage, message, milestones}. */
  numpyLoaded({ state, stage, message, milestones = [] }) {
    for (const [name, at] of milestones) performance.mark(`python:${name}`, { startTime: at - performance.timeOrigin });
    if (state === "failed") console.warn(`NumPy could not load: ${message}`);
    if (state === "loading") this.emit("numpy-progress", stage);
    if (state === this.numpy) return;
    this.setNumpy(state, message);
    if (state === "loading") return;
    this.quietSince = performance.now(); // calls waiting behind NumPy's loading get their deadline from now
    this.watch();
  }

  /** Resolves once NumPy is ready (at once if it is); rejects, saying why, if it failed or this page has none. */
  whenNumpy() {
    return new Promise((resolve, reject) => {
      const settle = () => {
        if (this.numpy === "loading") return false;
        if (this.numpy === "ready") resolve();
        else reject(Object.assign(new Error(this.numpy === "off" ? "this copy of the lesson has no NumPy"
          : `NumPy could not load: ${this.numpyProblem}`), { type: "NoNumpy" }));
        return true;
      };
      if (settle()) return;
      const onNumpy = () => { if (settle()) this.removeEventListener("numpy", onNumpy); };
      this.addEventListener("numpy", onNumpy);
    });
  }

  setNumpy(state, problem = null) {
    this.numpy = state;
    this.numpyProblem = problem;
    performance.mark(`numpy-${state}`); // for tools and the benchmark, as python-* marks
    this.emit("numpy", state);
  }

  stop() {
    this.worker?.terminate(); // and its decoding worker with it
    this.decoder?.close();
    this.worker = this.decoder = null;
    this.lastCodeRun = null;
  }

  rejectAll(error) {
    clearTimeout(this.deadline);
    this.deadline = null;
    for (const { reject } of this.calls.values()) reject(error);
    this.calls.clear();
  }

  setState(state) {
    this.state = state;
    performance.mark(`python-${state}`); // for tools and the benchmark: when each state was reached
    this.emit("state", state);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
