// The table of contents: open beside the lesson on a wide screen, and marking the section being read.

const WIDE = "(min-width: 64rem)"; // lesson.css shows the contents as a sidebar from this width
const READING_LINE = 0.3; // a section is the current one once its heading passes 30% of the viewport's height

/**
 * Keep `nav`'s list open on a wide screen (where it is a sidebar, its summary hidden) and collapsed on
 * a narrow one; mark the link of the section in view with aria-current="location", updated on scroll.
 */
export function followToc(nav) {
  const details = nav.querySelector("details");
  const wide = matchMedia(WIDE);
  const fit = () => { details.open = wide.matches; };
  wide.addEventListener("change", fit);
  fit();

  const links = [...nav.querySelectorAll('a[href^="#"]')];
  const headings = links.map((link) => document.getElementById(decodeURIComponent(link.hash.slice(1))));
  let current = null;
  let pending = false;
  const mark = () => {
    pending = false;
    // At the end of the page the last sections cannot reach the line: the last heading in view is current.
    const atEnd = scrollY + innerHeight >= document.documentElement.scrollHeight - 2;
    const line = atEnd ? innerHeight : innerHeight * READING_LINE;
    let index = -1; // headings are in page order: the last one above the line is the current section
    for (const [i, heading] of headings.entries()) {
      if (heading && heading.getBoundingClientRect().top <= line) index = i;
      else if (heading) break;
    }
    const link = links[index] ?? null;
    if (link === current) return;
    current?.removeAttribute("aria-current");
    link?.setAttribute("aria-current", "location");
    current = link;
    if (link && wide.matches) keepInView(nav, link);
  };
  const schedule = () => {
    if (!pending) requestAnimationFrame(mark);
    pending = true;
  };
  addEventListener("scroll", schedule, { passive: true });
  addEventListener("resize", schedule, { passive: true });
  schedule();
}

/** Scroll the sidebar `nav` (not the page) so that `link` is inside it. */
function keepInView(nav, link) {
  const box = nav.getBoundingClientRect();
  const place = link.getBoundingClientRect();
  if (place.top < box.top) nav.scrollTop -= box.top - place.top + 8;
  else if (place.bottom > box.bottom) nav.scrollTop += place.bottom - box.bottom + 8;
}
