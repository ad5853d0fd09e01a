// "Download as notebook": the lesson as a Jupyter notebook, which build.py writes with nbformat and
// carries in the page's own data block "lesson.ipynb", so the link works from file:// and from a
// mailed copy of lesson.html alike. The link gets a blob: URL (a download, which the page's CSP
// does not restrict) once the block has been parsed; until then it has no href and stays hidden.

import { idle } from "./runtime/idle.js";

const BLOCK = "lesson.ipynb";
const NOTEBOOK_TYPE = "application/x-ipynb+json";

/** "Module 02: Autograd" -> "module-02-autograd": a file name from the page's title. */
const fileName = (title) => (title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "lesson") + ".ipynb";

/** Offer the notebook on `link` (an <a>) once the page's block holding it is parsed. */
export function offerNotebook(bridge, link = document.getElementById("notebook-download")) {
  if (!link) return;
  bridge.assetJson(BLOCK).then(
    (notebook) => idle(() => {
      // Written as nbformat writes it (sorted keys, one-space indent, a final newline): dist/lesson.ipynb's bytes.
      const text = `${JSON.stringify(notebook, null, 1)}\n`;
      link.download = fileName(document.title);
      link.href = URL.createObjectURL(new Blob([text], { type: NOTEBOOK_TYPE }));
    }),
    (error) => console.warn(`Download as notebook: ${error.message}`),
  );
}
