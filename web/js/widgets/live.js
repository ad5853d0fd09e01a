// How a widget runs the engine live, one helper for every widget that does: the state of the engine it
// needs (Python, and NumPy for the Tensor widgets), one call to its Python function in flight with the
// newest request sent next, the build's numbers until Python answers, a busy flag and one status text.

import { setText } from "../views/changed.js";

const COMING = ["static", "booting", "loading"]; // engine states that end in "ready": a request can wait for it

/** Call `onState(state)` now and whenever the bridge's Python changes state (static|booting|ready|failed). */
export function followPython(bridge, onState) {
  onState(bridge.state ?? "static");
  bridge.addEventListener?.("state", ({ detail }) => onState(detail));
}

/**
 * Call `onState(state, was)` now and whenever the state of the engine a widget `needs` changes. For
 * "python" it is Python's (static|booting|ready|failed); for "numpy" it is Python's until Python is
 * ready, then NumPy's as the bridge tells it (`bridge.numpy` and its "numpy" event, which keep
 * <html data-numpy>): loading|ready|numpy-failed|off.
 */
export function followEngine(bridge, needs, onState) {
  let python = "static";
  let numpy = bridge.numpy ?? "off";
  let state = null;
  const report = () => {
    const now = needs !== "numpy" || python !== "ready" ? python : numpy === "failed" ? "numpy-failed" : numpy;
    if (now === state) return;
    const was = state;
    state = now;
    onState(now, was);
  };
  if (needs === "numpy") bridge.addEventListener?.("numpy", ({ detail }) => { numpy = detail; report(); });
  followPython(bridge, (now) => { python = now; report(); });
}

/**
 * The message of an error from Python without its class name: "ValueError: lr must be ..." and
 * "lesson.expr.ExprError: ..." read "lr must be ...". Python's traceback stays in the console.
 */
export function pythonMessage(error) {
  const text = String(error?.message ?? error);
  const prefix = /^([A-Za-z_][\w.]*): /.exec(text);
  if (!prefix) return text;
  const name = prefix[1].split(".").pop();
  return name === error?.type || /(Error|Exception)$/.test(name) ? text.slice(prefix[0].length) : text;
}

/**
 * A widget's calls to its Python function `name` (lesson.api) through `bridge`, the same for every live widget.
 *
 * `request(args)` asks for the numbers at a new setting. One call is in flight at a time; requests made
 * meanwhile are sent together, as the newest, when it returns (a fast drag sends the newest values, not
 * every one), and an answer is drawn unless something newer has been drawn already. Until the engine it
 * `needs` ("python", or "numpy" for the Tensor engine) is ready, and while a code cell keeps Python busy
 * (<html data-cells>), `fromBuild(args)` (the build's result for `args`, or undefined) is drawn at once;
 * a setting the build lacks waits for the engine, saying so, and is sent once it is ready, as is the
 * newest setting then (its live numbers replace the build's; with `refresh: false` the build's stand until
 * the widget asks for more).
 *
 * `draw(result, {source, args, superseded})` draws a result (`superseded`: a newer request is waiting).
 * `root` gets `data-source` (static: the build's numbers; python: live) and `data-busy` while a setting
 * waits for an answer. `status` (made a role=status region) says where the numbers come from:
 * `notes[engine state]`, or which setting waits, or that Python did not answer. `describe(args)` names a
 * setting in those texts ("x = 1, w = 0.5"), `shows` what shows it ("the graph shows"). `refused(message, args)`,
 * if given, takes Python's errors instead of the status text (a form whose input Python checks).
 * `onEngine(state, was)` runs first on each change of the engine's state (see followEngine).
 *
 * Returns {start(args): draw the first setting and follow the engine (call it once the widget is built:
 * the hooks run from then on), request(args): a Promise resolved once that setting, or a newer one, is
 * drawn (or cannot be), retry(): request the newest setting again, ready: whether the engine is}.
 */
export function liveCall(root, { bridge, name, needs = "python", status, notes, draw, fromBuild = () => undefined,
  describe = null, shows = "the graph shows", refused = null, onEngine = null, refresh = true }) {
  const engineName = needs === "numpy" ? "NumPy" : "Python";
  let engine = "static";
  let tickets = 0;
  let newest = null; // {args, ticket}: the latest request
  let drawn = { args: null, ticket: 0, source: null }; // the setting drawn last
  let inFlight = false;
  let waiting = false; // the newest request waits for the engine to be ready (the build lacks its setting)
  const pending = []; // {ticket, resolve} of the requests whose numbers are not drawn yet
  status.setAttribute("role", "status");
  const say = (text) => setText(status, text);
  const setBusy = (busy) => {
    if (busy) root.dataset.busy = "true";
    else if ("busy" in root.dataset) {
      delete root.dataset.busy;
      // Reading the widget's animations brings its styles up to date, which ends its busy bar's endless
      // animation. Chromium left the styles of a widget off screen out of date (one answered while the
      // reader was elsewhere) and drew a frame for that animation 60 times a second until the reader
      // scrolled to it: 5% of a core, for good, measured in a page left idle.
      root.getAnimations({ subtree: true });
    }
  };
  const shownText = () => (describe && drawn.args
    ? `${describe(drawn.args)}${drawn.source === "static" ? ", from the build" : ""}` : "the last numbers drawn");
  const waitingText = (args) =>
    `${describe ? `${describe(args)}: c` : "C"}omputing live once ${engineName} is ready; until then ${shows} ${shownText()}.`;

  function show(result, source, asked) {
    drawn = { args: asked.args, ticket: asked.ticket, source };
    root.dataset.source = source;
    draw(result, { source, args: asked.args, superseded: asked.ticket < newest.ticket });
  }

  /** Resolve the requests up to `ticket`: their setting, or a newer one, is drawn, or will not be. */
  function settle(ticket) {
    for (let i = pending.length - 1; i >= 0; i--) if (pending[i].ticket <= ticket) pending.splice(i, 1)[0].resolve();
  }

  function request(args) {
    const asked = (newest = { args, ticket: ++tickets });
    const done = new Promise((resolve) => pending.push({ ticket: asked.ticket, resolve }));
    const built = fromBuild(args);
    const live = engine === "ready";
    waiting = !live && built === undefined && COMING.includes(engine);
    // A code cell running keeps Python's answer waiting, maybe for seconds: the build's numbers show meanwhile.
    if (built !== undefined && (!live || drawn.ticket === 0 || document.documentElement.dataset.cells)) show(built, "static", asked);
    if (live) {
      if (inFlight) setBusy(true);
      else send();
    } else if (waiting) {
      setBusy(true);
      say(waitingText(args));
    } else {
      setBusy(false);
      say(notes[engine] ?? notes.static);
      settle(asked.ticket);
    }
    return done;
  }

  function send() {
    const asked = newest;
    inFlight = true;
    setBusy(true);
    bridge.call(name, asked.args).then(
      (result) => {
        if (asked.ticket < drawn.ticket) return; // the build's numbers for a newer setting are drawn already
        show(result, "python", asked);
        say(notes.ready);
      },
      (error) => notAnswered(pythonMessage(error), asked),
    ).finally(() => {
      inFlight = false;
      settle(asked.ticket);
      if (newest.ticket > asked.ticket && engine === "ready") send();
      else setBusy(waiting); // Python restarted meanwhile: a newer setting may wait for it
    });
  }

  function notAnswered(message, asked) {
    if (asked.ticket !== newest.ticket) return; // a newer request goes next; its answer decides
    if (refused) return refused(message, asked.args);
    const built = fromBuild(asked.args);
    if (built !== undefined) show(built, "static", asked);
    say(`Python did not answer (${message}); ${built !== undefined ? "these numbers come from the build" : `${shows} ${shownText()}`}.`);
  }

  /** Draw `args` (from the build, until the engine is ready) and follow the engine's state from now on. */
  function start(args) {
    followEngine(bridge, needs, (now, was) => {
      engine = now;
      onEngine?.(now, was);
      if (now === "ready" && refresh && newest) return request(newest.args);
      if (waiting && !COMING.includes(now)) { // the engine will not come: nothing is on its way
        waiting = false;
        setBusy(false);
        settle(newest.ticket);
      }
      say(waiting ? waitingText(newest.args) : notes[now] ?? notes.static);
    });
    if (newest) return; // onEngine has asked for something already
    const built = fromBuild(args);
    // With `refresh: false` the build's numbers stand until the widget asks for more, even once the engine is ready.
    if (refresh || engine !== "ready" || built === undefined) request(args);
    else show(built, "static", (newest = { args, ticket: ++tickets }));
  }

  return {
    start,
    request,
    retry: () => newest && request(newest.args),
    get ready() { return engine === "ready"; },
  };
}
