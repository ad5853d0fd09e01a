// Light and dark themes. The page follows the system setting until the learner presses the
// toggle; the choice is then pinned on <html data-theme> and remembered for the next visit.

const STORAGE_KEY = "autograd-lesson-theme";
const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

// Storage can be unavailable (privacy settings, some file:// setups): then the choice lasts one visit.
function storedTheme() {
  try {
    const theme = localStorage.getItem(STORAGE_KEY);
    return theme === "light" || theme === "dark" ? theme : null;
  } catch {
    return null;
  }
}

function storeTheme(theme) {
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // nothing to do: the theme still applies to this visit
  }
}

/** The theme in effect: the pinned one, else the system's. */
export function currentTheme() {
  return document.documentElement.dataset.theme ?? (systemDark.matches ? "dark" : "light");
}

/** Apply a remembered choice; call it as early as possible to avoid a flash of the other theme. */
export function applyStoredTheme() {
  const theme = storedTheme();
  if (theme) document.documentElement.dataset.theme = theme;
}

/**
 * The toggle's content: the name "Dark theme" and a visible on/off mark. Screen readers hear the
 * state from aria-pressed, so the mark is hidden from them and the name never changes.
 */
function toggleContent(button) {
  const name = document.createElement("span");
  name.className = "theme-toggle-name";
  name.textContent = "Dark theme";
  const mark = document.createElement("span");
  mark.className = "theme-toggle-state";
  mark.setAttribute("aria-hidden", "true");
  button.replaceChildren(name, mark);
  return mark;
}

/** Wire the toggle (<button id="theme-toggle">): pressed means dark. Fires "themechange" on document. */
export function initTheme(button = document.getElementById("theme-toggle")) {
  applyStoredTheme();
  const mark = button && toggleContent(button);
  const announce = () => {
    const theme = currentTheme();
    button?.setAttribute("aria-pressed", String(theme === "dark"));
    if (mark) mark.textContent = theme === "dark" ? "on" : "off";
    document.dispatchEvent(new CustomEvent("themechange", { detail: { theme } }));
  };
  button?.addEventListener("click", () => {
    const theme = currentTheme() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = theme;
    storeTheme(theme);
    announce();
  });
  // While nothing is pinned, follow the system when it switches.
  systemDark.addEventListener("change", () => {
    if (!document.documentElement.dataset.theme) announce();
  });
  announce();
}
