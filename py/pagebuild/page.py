"""Assemble the one self-contained `lesson.html`: ASCII text and JSON, then the packed binary data blocks."""

import gzip
import hashlib
import html
import json
import re
from pathlib import Path
from string import Template

from pagebuild.blocks import pack
from pagebuild.cache import read_cached, write_cached
from pagebuild.csp import content_security_policy
from pagebuild.runs import grouped_in_runs


def python_sources(py_dir: Path, packages=("autodiff", "lesson")) -> dict[str, str]:
    """The `.py` files of the packages shipped to the browser, as {"autodiff/value.py": text}."""
    return {path.relative_to(py_dir).as_posix(): path.read_text(encoding="utf-8")
            for package in packages for path in sorted((Path(py_dir) / package).rglob("*.py"))}


def ascii_html(text: str) -> str:
    """HTML text with every non-ASCII character as a numeric reference, so a windows-1252 page reads it right."""
    return re.sub(r"[^\x00-\x7f]", lambda m: f"&#x{ord(m.group()):x};", text)


def ascii_css(text: str) -> str:
    """CSS with every non-ASCII character as a CSS escape (valid in strings and identifiers alike)."""
    return re.sub(r"[^\x00-\x7f]", lambda m: f"\\{ord(m.group()):06x}", text)


def json_text(value) -> str:
    """`value` as ASCII JSON for a `<script type="application/json">` block; '<' is escaped so no text can
    close the element early."""
    return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")


def gzipped(data: bytes, cache_dir: Path | None = None) -> bytes:
    """`data` gzipped at the highest level with no timestamp (reproducible); cached by content in `cache_dir`."""
    cached = Path(cache_dir, f"gzip-{hashlib.sha256(data).hexdigest()[:32]}.gz") if cache_dir else None
    compressed = read_cached(cached) if cached else None
    if compressed is None:
        compressed = gzip.compress(data, compresslevel=9, mtime=0)
        if cached:
            write_cached(cached, compressed)
    return compressed


def data_blocks(file_name: str, payload: bytes, gzip: bool, part_size: int = 1 << 20, page: bool = False,
                length: int | None = None) -> list[bytes]:
    """Packed `<script type="application/octet-stream">` blocks carrying `payload` in parts of at most
    `part_size` bytes (marked if it is gzipped): the browser starts decompressing the first parts
    while it still parses the next ones. `page` marks a block the page reads itself, not Python;
    `length`, the size of what the payload decodes to, is written on each part (data-length)."""
    count = max(1, -(-len(payload) // part_size))
    flags = (" data-gzip" if gzip else "") + (" data-page" if page else "") + (f' data-length="{length}"' if length else "")
    return [f'<script type="application/octet-stream" data-asset="{file_name}" data-part="{n}" data-parts="{count}"{flags}>'
            .encode("ascii") + pack(payload[n * part_size:(n + 1) * part_size]) + b"</script>\n"
            for n in range(count)]


# Follows each data block: hands the blocks parsed so far to the page's bridge (web/js/runtime/bridge.js),
# so Python boots while the rest of the page is still being read.
FEED_SCRIPT = "lesson.bridge.feed()"
# Follows each widget's figure (or section) and its state: mounts the widgets parsed so far (web/js/main.js),
# so each answers as soon as its own markup, state and code have arrived. One text, so one hash in the CSP.
WIDGET_SCRIPT = "lesson.mountWidgets()"
# Follows the lesson's body: mounts the rest (code cells, ...); the page script itself runs in <head>.
MOUNT_SCRIPT = "lesson.mount()"
# A widget's element as lesson/render writes it: a figure's (class "widget", the figure closes after it and
# its <noscript>) or a section's (a task's controls, an exercise's answer box: the section closes later).
WIDGET_ELEMENT = re.compile(r'<div class="([a-z -]+)" data-widget="([a-z-]+)"></div>')


def state_script(name: str, value) -> str:
    """Widget `name`'s first-paint state as a `<script type="application/json" data-widget-state=NAME>` block."""
    return f'<script type="application/json" data-widget-state="{name}">{json_text(value)}</script>'


def with_widget_data(body: str, states: dict, widget_blocks: dict[str, list[bytes]]) -> bytes:
    """`body` (ASCII) with, after the figure or section holding each widget, what it needs to answer: its state
    and its data blocks (where its name first occurs), then WIDGET_SCRIPT, which mounts it."""
    feed = f"<script>{FEED_SCRIPT}</script>\n".encode("ascii")
    pieces, done, placed = [], 0, set()
    for match in WIDGET_ELEMENT.finditer(body):
        css_class, name = match.groups()
        closing = "</figure>" if css_class == "widget" else "</section>"
        end = body.find(closing, match.end())
        if end < 0 or end < done:
            raise ValueError(f"the {name} widget's element is not closed by {closing} before the next widget")
        end += len(closing)
        state = blocks = b""
        if name not in placed:
            placed.add(name)
            state = state_script(name, states[name]).encode("ascii") if name in states else b""
            blocks = b"".join(block + feed for block in widget_blocks.get(name, []))
        # The widget mounts before its data blocks arrive: it paints its start from its state meanwhile.
        pieces += [body[done:end].encode("ascii"), b"\n", state, f"<script>{WIDGET_SCRIPT}</script>\n".encode("ascii"), blocks]
        done = end
    return b"".join(pieces) + body[done:].encode("ascii")


def fill_page(template: str, *, title: str, styles: list[str], toc: str, body: str, page_script: str,
              states: dict, widget_blocks: dict[str, list[bytes]], numpy_live: bool, boot_blocks: list[bytes],
              blocks: list[bytes]) -> bytes:
    """The page (windows-1252 bytes): `template` filled in, a CSP hashing its inline code, the body's blocks
    grouped in runs (see pagebuild.runs), each widget's state and data blocks after it in the body (see
    with_widget_data), `boot_blocks` inside the lesson (see boot_position) and the other data blocks at
    the end of <body>, each followed by FEED_SCRIPT."""
    styles = [ascii_css(style) for style in styles]
    page_script = page_script.replace("</script", "<\\/script")
    values = {
        "title": ascii_html(html.escape(title)),  # the lesson's title is plain text
        "csp": content_security_policy([page_script, FEED_SCRIPT, WIDGET_SCRIPT, MOUNT_SCRIPT], styles),
        "styles": "\n".join(f"<style>{style}</style>" for style in styles),
        "toc": ascii_html(toc),
        "numpy": "loading" if numpy_live else "off",
        "page_script": f"<script>{page_script}</script>",
        "mount_script": f"<script>{MOUNT_SCRIPT}</script>",
    }
    feed = f"<script>{FEED_SCRIPT}</script>\n".encode("ascii")
    head, body_marker, rest = template.partition("$body")
    middle, blocks_marker, tail = rest.partition("$data_blocks")
    if not body_marker or not blocks_marker:
        raise ValueError("the page template needs a $body slot and, after it, a $data_blocks slot")
    lesson = with_widget_data(ascii_html(grouped_in_runs(body)), states, widget_blocks)
    at = boot_position(lesson)
    return (fill(head, values) + lesson[:at] + b"".join(block + feed for block in boot_blocks) + lesson[at:]
            + fill(middle, values) + b"".join(block + feed for block in blocks) + fill(tail, values))


def boot_position(lesson: bytes) -> int:
    """Where the boot blocks go in the lesson's body: before the first section heading past its first third.
    The workers start there (~85 ms into a load): late enough not to slow the parsing of the first
    sections (first paint), early enough for the decoding worker to be up before the wasm's first part."""
    at = lesson.find(b"<h2", len(lesson) // 3)
    return at if at >= 0 else len(lesson)


def fill(template: str, values: dict) -> bytes:
    """`template` with its $names replaced by `values`, as ASCII bytes (a missing name is an error)."""
    return Template(template).substitute(values).encode("ascii")
