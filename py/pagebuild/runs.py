"""Group the lesson's top-level blocks into runs, so that the page skips off-screen text a run at a time.

The page skips the layout and paint of blocks far from the screen (`content-visibility: auto` in
runtime.css). Skipped one by one, the lesson's ~300 blocks still cost every frame a walk over all of them:
a frame after an explore slider move spent 0.7 ms more in layout and 0.5 ms more in pre-paint and paint
than with the same blocks grouped in runs of 8 and the widgets' blocks skipped too (Chrome trace, 60 moves
one per frame, A/B of alternating loads). A block that holds a widget never joins a run: it is rendered
until its widget has mounted and measured its column (web/js/widgets/index.js then lets it be skipped).
"""

from html.parser import HTMLParser

# The kinds of top-level block that hold a widget (a figure's, a task's or an exercise's section).
WIDGET_BLOCKS = frozenset({"widget-figure", "task", "exercise"})
RUN_LENGTH = 8  # blocks in a run at most: a run near the screen is laid out whole
RUN_OPEN, RUN_CLOSE = '<div class="lesson-run">', "</div>"
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


class TopLevelBlocks(HTMLParser):
    """The top-level elements of an HTML fragment as [(start, end, classes)], offsets into the fragment."""

    def __init__(self, fragment):
        super().__init__(convert_charrefs=False)
        self.fragment = fragment
        self.line_starts = [0]
        for line in fragment.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.blocks, self.depth, self.start, self.classes = [], 0, 0, set()
        self.feed(fragment)
        self.close()
        if self.depth:
            raise ValueError("the lesson's body leaves an element open")

    def position(self):
        """Where the token being handled starts in the fragment."""
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in VOID:  # no end tag follows: at the top, a block on its own
            self.handle_startendtag(tag, attrs)
            return
        if self.depth == 0:
            self.start, self.classes = self.position(), set((dict(attrs).get("class") or "").split())
        self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            self.start, self.classes = self.position(), set((dict(attrs).get("class") or "").split())
            self.blocks.append((self.start, self.start + len(self.get_starttag_text()), self.classes))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        self.depth -= 1
        if self.depth == 0:
            end = self.fragment.index(">", self.position()) + 1
            self.blocks.append((self.start, end, self.classes))

    def handle_data(self, data):
        if self.depth == 0 and data.strip():
            raise ValueError(f"the lesson's body has text outside any block: {data.strip()[:40]!r}")


def grouped_in_runs(body, run_length=RUN_LENGTH):
    """`body` with each stretch of up to `run_length` top-level blocks that hold no widget wrapped in a
    <div class="lesson-run">; a widget's block stays where it is, outside any run."""
    pieces, run, done = [], [], 0

    def close_run():
        if run:
            pieces.extend([RUN_OPEN, body[run[0][0]:run[-1][1]], RUN_CLOSE])
            run.clear()

    for start, end, classes in TopLevelBlocks(body).blocks:
        if classes & WIDGET_BLOCKS or len(run) == run_length:
            close_run()
        if not run:
            pieces.append(body[done:start])  # the whitespace before the block
        if classes & WIDGET_BLOCKS:
            pieces.append(body[start:end])
        else:
            run.append((start, end))
        done = end
    close_run()
    return "".join(pieces) + body[done:]
