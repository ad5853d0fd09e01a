// Printing: window.print(), a save as PDF, and headless Chromium's --print-to-pdf or Playwright's
// page.pdf() alike (Chromium dispatches beforeprint and afterprint around each). Before the page is
// laid out for paper every widget is drawn and each stepped graph shows its last step; afterwards the
// reader's own step is back. web/css/print.css does the rest.

let printing = false;
const preparations = new Set();

addEventListener("beforeprint", () => {
  printing = true;
  for (const { before } of [...preparations]) before();
});
addEventListener("afterprint", () => {
  printing = false;
  for (const { after } of [...preparations]) after();
});

/**
 * Run `before()` each time the page is about to print (at once if it is printing now: a widget mounted
 * by another preparation is drawn for paper too) and `after()` once it has printed.
 */
export function whenPrinting({ before, after = () => {} }) {
  preparations.add({ before, after });
  if (printing) before();
}
