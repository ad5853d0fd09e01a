// Work that waits for the browser to be idle, so it never holds up a frame or a reader's input.

const IDLE_DEADLINE_MS = 800; // an idle callback runs by then even on a busy page

/** requestIdleCallback with a deadline, or a short timeout where the browser has none (Safari). */
export function idle(callback) {
  if (window.requestIdleCallback) requestIdleCallback(callback, { timeout: IDLE_DEADLINE_MS });
  else setTimeout(() => callback({ didTimeout: true, timeRemaining: () => 0 }), 50);
}

/** A promise of the next idle period. */
export const whenIdle = () => new Promise((resolve) => idle(resolve));
