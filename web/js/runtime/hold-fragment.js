// Keep a link's target in view while the page settles. The browser scrolls to #target once, but
// the page keeps changing above it afterwards: widgets mount as the browser finds time, and blocks
// skipped while off screen (content-visibility) take their real height as they come near. Each
// change would push the target out of view, so it is put back until the reader scrolls themselves.

const HOLD_MS = 5000; // the page settles well within this, even on a slow machine
const READER_EVENTS = ["wheel", "touchstart", "keydown", "pointerdown"];

/** Hold the URL fragment's target in view (now, and after each in-page link the reader follows). */
export function holdFragmentTarget(root = document.getElementById("lesson")) {
  let release = () => {};
  const hold = () => {
    release();
    const id = fragmentId(location.hash);
    const target = id && document.getElementById(id);
    if (!target || !root) return;
    const observer = new ResizeObserver(() => target.scrollIntoView({ behavior: "instant" }));
    observer.observe(root);
    const timer = setTimeout(() => release(), HOLD_MS);
    release = () => {
      observer.disconnect();
      clearTimeout(timer);
      for (const type of READER_EVENTS) removeEventListener(type, release, { capture: true });
      release = () => {};
    };
    for (const type of READER_EVENTS) addEventListener(type, release, { capture: true, passive: true });
  };
  addEventListener("hashchange", hold);
  hold();
}

/** The element id a URL fragment names: percent-decoded, or as written when its escapes are malformed
 * (#%E0%A4%A), which decodeURIComponent refuses by throwing; an id may hold a literal '%'. */
export function fragmentId(hash) {
  const raw = hash.slice(1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
