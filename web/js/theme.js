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

/** Wire the toggle (<button id="theme-toggle">): pressed means dark. Fires "themechange" on document. */
export function initTheme(button = document.getElementById("theme-toggle")) {
  applyStoredTheme();
  const announce = () => {
    const theme = currentTheme();
    button?.setAttribute("aria-pressed", String(theme === "dark"));
    document.dispatchEvent(new CustomEvent("themechange", { detail: { theme } }));
  };
  if (button && !button.textContent.trim()) button.textContent = "Dark theme";
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
