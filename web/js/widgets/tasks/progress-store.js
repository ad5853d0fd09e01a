// What the build-your-own-Value track keeps in this browser (localStorage): the tasks passed and the code
// in each editor, so that neither is lost on a reload. One store per page, shared by the tasks and the
// progress list; it says "change" when a task is passed (in this tab or another) and "start-over".

const KEY = "autograd-lesson/build-your-own-value";

class TaskProgress extends EventTarget {
  constructor() {
    super();
    this.kept = true; // false once the browser refused to store (private mode, storage full, disabled)
    this.state = this.read();
    window.addEventListener("storage", (event) => {
      if (event.key !== KEY && event.key !== null) return;
      this.state = this.read();
      this.dispatchEvent(new Event("change"));
    });
  }

  /** {done: {name: true}, drafts: {name: code}} as stored; empty when nothing is, or what is cannot be read. */
  read() {
    try {
      const stored = JSON.parse(localStorage.getItem(KEY) ?? "{}");
      return { done: { ...stored.done }, drafts: { ...stored.drafts } };
    } catch (error) {
      console.warn(`The tasks' saved progress could not be read, so it starts afresh: ${error.message}`);
      return { done: {}, drafts: {} };
    }
  }

  write() {
    try {
      localStorage.setItem(KEY, JSON.stringify(this.state));
    } catch (error) {
      if (this.kept) console.warn(`The tasks' progress cannot be kept in this browser: ${error.message}`);
      this.kept = false;
    }
  }

  isDone(name) {
    return this.state.done[name] === true;
  }

  markDone(name) {
    if (this.isDone(name)) return;
    this.state.done[name] = true;
    this.write();
    this.dispatchEvent(new Event("change"));
  }

  /** The learner's code for task `name`, or null if they have not changed the starter (or what is stored is not code). */
  draft(name) {
    const code = Object.hasOwn(this.state.drafts, name) ? this.state.drafts[name] : null;
    return typeof code === "string" ? code : null;
  }

  saveDraft(name, code, starter) {
    if (code === starter) delete this.state.drafts[name];
    else this.state.drafts[name] = code;
    this.write();
  }

  /** Forget every pass and every draft: each task is back at its starter. */
  startOver() {
    this.state = { done: {}, drafts: {} };
    this.write();
    this.dispatchEvent(new Event("start-over"));
    this.dispatchEvent(new Event("change"));
  }
}

let store = null;

/** The page's one store of the track's progress. */
export function taskProgress() {
  store ??= new TaskProgress();
  return store;
}
