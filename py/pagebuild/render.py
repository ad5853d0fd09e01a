"""Render the lesson's Markdown into one HTML fragment: MathML, highlighted code, run cells, widgets.

The lesson is the `*.md` files of a folder, read in name order. Beyond CommonMark and tables:

    $...$  $$...$$                  math, turned into MathML here (the browser needs no math library)
    ::: tip [title]  / ::: note     a callout, closed by :::
    ::: widget NAME                 where a widget mounts; the text inside is its caption
    ::: task NAME                   a task of lesson.tasks: the text inside states it, its starter code follows
    :::: exercise NAME              an exercise of lesson.exercises: the question, then its answer box, then
    ::: explanation                 the worked explanation (shown once the learner has answered),
    :::                             closed by ':::' and the exercise by '::::'
    ::::
    ```python engine id=ID          a code cell: kind engine, numpy or torch; add raises=TypeName
                                    for a cell meant to fail (its traceback is then its output)
    ```source autodiff.value.Value.__mul__
                                    the engine's own source of that function, read at build time

Engine and NumPy cells run here on CPython, in one namespace in page order; PyTorch cells show the
output recorded by `python -m pagebuild.record_torch`. Raw HTML in the Markdown comes out as text.
"""

import argparse
import hashlib
import html
import importlib
import inspect
import json
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer, TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from lesson.cells import Notebook, as_text

REPO = Path(__file__).resolve().parents[2]
LESSON_DIR = REPO / "web" / "lesson"
TORCH_OUTPUTS = "torch_outputs.json"
RECORD_COMMAND = "python -m pagebuild.record_torch"
# The note (HTML) on a NumPy cell of a page built without NumPy: what the learner sees, and why.
NUMPY_NOT_LIVE = "This copy of the lesson has no NumPy, so this cell shows what it printed when the page was built."
CELL_KINDS = ("engine", "numpy", "torch")
CALLOUTS = {"tip": "Tip", "note": "Note"}
NAME = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
# Punctuation that must stay on the line of the inline formula it touches: opening before, closing after.
OPENING = re.compile(r"[(\[\u2018\u201c]+\Z")
CLOSING = re.compile(r"[,.;:!?)\]\u2019\u201d]+")
# Browsers draw MathML Core, which ignores mathvariant (but "normal"): bold is written with Unicode's
# mathematical bold letters and digits instead, as latex2mathml already does for \mathbf{x}.
BOLD = str.maketrans({**{chr(65 + i): chr(0x1D400 + i) for i in range(26)},
                      **{chr(97 + i): chr(0x1D41A + i) for i in range(26)},
                      **{chr(48 + i): chr(0x1D7CE + i) for i in range(10)}})


class LessonError(Exception):
    """The lesson cannot be rendered; the message names the place and what to do."""


@dataclass(frozen=True)
class RenderedLesson:
    """The lesson as HTML: its title, the body fragment, the table of contents [(level, id, text)] and
    each code cell's output as its output area shows it ({cell id: text})."""

    title: str
    body_html: str
    toc: list
    outputs: dict


@dataclass(frozen=True)
class Cell:
    """One code cell as written in the lesson."""

    id: str
    kind: str
    source: str
    raises: str | None
    where: str


def render_lesson(lesson_dir=LESSON_DIR, *, numpy_live):
    """Render every `*.md` file of `lesson_dir` in name order into one RenderedLesson."""
    lesson_dir = Path(lesson_dir)
    state = _State(lesson_dir, numpy_live)
    md = _markdown()
    parts = []
    for path in lesson_files(lesson_dir):
        env = {"state": state, "file": _display_path(path)}
        tokens = md.parse(path.read_text(encoding="utf-8"), env)
        _refuse_lists_inside_paragraphs(tokens, env)
        _name_headings(tokens, env)
        parts.append(md.renderer.render(tokens, md.options, env))
    if len(state.titles) != 1:
        raise LessonError(f"the lesson needs exactly one '# title' heading, found {len(state.titles)}")
    return RenderedLesson(state.titles[0], "".join(parts), state.toc, state.outputs)


def lesson_cells(lesson_dir=LESSON_DIR):
    """Every code cell of the lesson in page order, without running any."""
    md = _markdown()
    cells = []
    for path in lesson_files(Path(lesson_dir)):
        for token in md.parse(path.read_text(encoding="utf-8"), {}):
            if token.type == "fence" and _is_cell(token.info):
                cells.append(_parse_cell(token, _display_path(path)))
    return cells


def lesson_files(lesson_dir):
    """The lesson's Markdown files in reading order (their names start with a number)."""
    files = sorted(Path(lesson_dir).glob("*.md"))
    if not files:
        raise LessonError(f"no *.md files in {lesson_dir}")
    return files


def source_hash(source):
    """sha256 of a cell's source: what ties a recorded PyTorch output to the code that made it."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def check_outcome(cell, error_type, traceback_text):
    """Fail unless the cell raised exactly when (and what) its `raises=` mark says it should."""
    if cell.raises is None and error_type is not None:
        raise LessonError(f"cell {cell.id} ({cell.where}) raised an exception:\n{traceback_text}")
    if cell.raises is not None and error_type is None:
        raise LessonError(f"cell {cell.id} ({cell.where}) is marked raises={cell.raises} but ran without error")
    if cell.raises is not None and error_type != cell.raises:
        raise LessonError(
            f"cell {cell.id} ({cell.where}) is marked raises={cell.raises} but raised {error_type}:\n{traceback_text}"
        )


def toc_html(toc):
    """A collapsible list of links to the `toc` headings; each level-3 heading nests under the level 2 before it."""
    sections = []  # [(link, [sub-links])]
    for level, anchor, text in toc:
        link = f'<a href="#{anchor}">{html.escape(text)}</a>'
        if level == 2 or not sections:
            sections.append((link, []))
        else:
            sections[-1][1].append(link)
    items = "".join(
        f"<li>{link}" + (f'<ol>{"".join(f"<li>{sub}</li>" for sub in subs)}</ol>' if subs else "") + "</li>"
        for link, subs in sections
    )
    return f'<nav class="toc" aria-label="Contents"><details><summary>Contents</summary><ol>{items}</ol></details></nav>'


class _State:
    """What rendering carries from one file to the next: ids used, the notebooks, recorded outputs."""

    def __init__(self, lesson_dir, numpy_live):
        self.numpy_live = numpy_live
        self.notebook = Notebook()  # every engine and NumPy cell, in page order
        self.engine_only = Notebook()  # engine cells alone: what the page runs without NumPy
        self.torch = _load_recorded(lesson_dir)
        self.outputs = {}  # cell id -> the text its output area shows
        self.ids = set()
        self.cell_ids = set()
        self.titles = []
        self.toc = []


def _markdown():
    """The Markdown parser with the lesson's directives; raw HTML is off, so it comes out as text."""
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.disable("image")  # the page loads nothing from outside itself
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False)
    for name in CALLOUTS:
        md.use(container_plugin, name=name, render=_render_callout)
    md.use(container_plugin, name="widget", render=_render_widget)
    md.use(container_plugin, name="task", render=_render_task)
    md.use(container_plugin, name="exercise", render=_render_exercise)
    md.use(container_plugin, name="explanation", render=_render_explanation)
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule("math_inline", lambda self, tokens, idx, options, env: _math(tokens[idx].content, False, env,
                                                                                     named=tokens[idx].meta.get("header", False)))
    md.add_render_rule("math_block", lambda self, tokens, idx, options, env: _math(tokens[idx].content, True, env))
    md.core.ruler.push("math_punctuation", _keep_punctuation_with_math)
    md.core.ruler.push("math_in_headers", _mark_math_in_headers)
    md.add_render_rule("table_open", lambda *args: '<div class="table-scroll"><table>\n')
    md.add_render_rule("table_close", lambda *args: "</table></div>\n")
    return md


def _refuse_lists_inside_paragraphs(tokens, env):
    """Fail on a list that starts on the line right after a paragraph's text (outside a list item).

    In wrapped prose a line that happens to start with "1." or "- " silently becomes a list and
    takes the number with it ("had size / 1. Here" loses the "size 1"); a real list has a blank
    line before it.
    """
    paragraph, previous, containers = None, None, []  # containers: the open tokens enclosing this one
    for token in tokens:
        starts_list = token.type in ("ordered_list_open", "bullet_list_open")
        if starts_list and previous is not None and previous.type == "paragraph_close":
            nested = bool(containers) and containers[-1] == "list_item_open"
            if paragraph.map[1] == token.map[0] and not nested:
                raise LessonError(
                    f"{env['file']}:{token.map[0] + 1}: this line starts with a list marker right after a paragraph "
                    "line, so it becomes a list and takes the marker with it; rewrap the paragraph so that no line "
                    "starts with '1.' or '- ', or put a blank line before the list if one is meant")
        if token.type == "paragraph_open":
            paragraph = token
        if token.nesting == 1:
            containers.append(token.type)
        elif token.nesting == -1:
            containers.pop()
        previous = token


def _name_headings(tokens, env):
    """Give each heading a stable id from its text, unique in the lesson; collect the title and toc."""
    state = env["state"]
    for opening, inline in zip(tokens, tokens[1:]):
        if opening.type != "heading_open":
            continue
        text = "".join(child.content for child in inline.children if child.type not in ("softbreak", "html_inline")).strip()
        level = int(opening.tag[1])
        # NFKC first, so that "x³" gives "x3" rather than losing the exponent.
        anchor = base = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKC", text).lower()).strip("-") or "section"
        suffix = 1
        while anchor in state.ids:
            suffix += 1
            anchor = f"{base}-{suffix}"
        state.ids.add(anchor)
        opening.attrSet("id", anchor)
        if level == 1:
            state.titles.append(text)
        elif level <= 3:
            state.toc.append((level, anchor, text))


def _mark_math_in_headers(state):
    """Mark the formulas in a table's header cells: a header must have text of its own (see `_math`)."""
    in_header = False
    for token in state.tokens:
        if token.type in ("th_open", "th_close"):
            in_header = token.type == "th_open"
        elif in_header and token.type == "inline":
            for child in token.children or []:
                if child.type == "math_inline":
                    child.meta["header"] = True


def _math(latex, display, env, named=False):
    """LaTeX -> MathML; an unknown command or unbalanced brace fails the build instead of showing junk.
    `named`: the formula gets its characters as its name (a table header holding only MathML reads as
    empty to accessibility checkers such as axe, and a short name is what a screen reader repeats per cell)."""
    shown = f"$${latex.strip()}$$" if display else f"${latex}$"
    depth = 0
    for char in re.sub(r"\\[{}]", "", latex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise LessonError(f"{env['file']}: unbalanced braces in {shown}")
    mathml = latex_to_mathml(latex.strip(), display="block" if display else "inline")
    unknown = re.search(r">(\\[A-Za-z]+)<", mathml)
    if unknown:
        raise LessonError(f"{env['file']}: unknown LaTeX command {unknown.group(1)} in {shown}")
    mathml = _as_mathml_core(mathml, shown, env)
    if named:
        name = html.unescape(re.sub(r"<[^>]+>", "", mathml)).strip()
        mathml = mathml.replace("<math ", f'<math aria-label="{html.escape(name)}" ', 1)
    return f'<div class="math-display">{mathml}</div>\n' if display else mathml


def _as_mathml_core(mathml, shown, env):
    """latex2mathml's output in the MathML browsers draw: bold as Unicode bold characters, and a
    function name such as max as an identifier (as an operator it gets operator spacing, a gap before it)."""
    mathml = re.sub(r'<(m[a-z]+)([^>]*?) mathvariant="bold"([^>]*)>([^<]*)</\1>',
                    lambda m: f"<{m[1]}{m[2]}{m[3]}>{m[4].translate(BOLD)}</{m[1]}>", mathml)
    variant = re.search(r'mathvariant="(?!normal")([^"]*)"', mathml)
    if variant:
        raise LessonError(f"{env['file']}: browsers do not draw mathvariant {variant[1]!r} in {shown}; "
                          "write it with Unicode's mathematical characters")
    # Not the base of a script, where an operator's movable limits matter (\max_x in display math).
    return re.sub(r"(?<!<msub>)(?<!<munder>)(?<!<msubsup>)(?<!<munderover>)<mo>([A-Za-z]{2,})</mo>",
                  r"<mi>\1</mi>", mathml)


def _keep_punctuation_with_math(state):
    """Wrap inline math with the punctuation touching it in a no-wrap span, so a line never starts with
    the comma after a formula (a formula is one unit to line breaking, with a break allowed either side)."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = []
        for i, token in enumerate(block.children):
            if token.type != "math_inline":
                children.append(token)
                continue
            before = children[-1] if children and children[-1].type == "text" else None
            after = block.children[i + 1] if i + 1 < len(block.children) else None
            opening = OPENING.search(before.content) if before else None
            closing = CLOSING.match(after.content) if after is not None and after.type == "text" else None
            if not (opening or closing):
                children.append(token)
                continue
            children.append(Token("html_inline", "", 0, content='<span class="math-nowrap">'))
            if opening:
                before.content = before.content[:opening.start()]
                children.append(Token("text", "", 0, content=opening[0]))
            children.append(token)
            if closing:
                after.content = after.content[closing.end():]
                children.append(Token("text", "", 0, content=closing[0]))
            children.append(Token("html_inline", "", 0, content="</span>"))
        block.children = children


def _render_callout(self, tokens, idx, options, env):
    """`::: tip [title]` -> an aside with a heading line; `:::` closes it. An aside in the lesson's text
    is a note to it, not a landmark of the page (landmarks are the page's regions, each named once)."""
    token = tokens[idx]
    if token.nesting == -1:
        return "</aside>\n"
    name, _, title = token.info.strip().partition(" ")
    label = CALLOUTS[name] + (f": {title.strip()}" if title.strip() else "")
    return f'<aside class="callout callout-{name}" role="note"><p class="callout-title">{html.escape(label)}</p>\n'


def _render_widget(self, tokens, idx, options, env):
    """`::: widget NAME` -> a figure: the caption inside, then the element the widget's script fills."""
    token = tokens[idx]
    if token.nesting == -1:
        name = env["widget"]
        return f'</figcaption><div class="widget" data-widget="{name}"></div></figure>\n'
    words = token.info.split()
    if len(words) != 2 or not NAME.match(words[1]):
        raise LessonError(f"{env['file']}:{token.map[0] + 1}: write a widget as '::: widget NAME', got {token.info!r}")
    env["widget"] = words[1]
    return f'<figure class="widget-figure" id="widget-{words[1]}"><figcaption class="widget-caption">\n'


def _render_task(self, tokens, idx, options, env):
    """`::: task NAME` -> a section: the statement inside, then the task's starter code, where the page's
    editor and its Check, Hint and Show solution buttons mount (the task widget)."""
    from lesson.tasks import TASKS, starter

    token = tokens[idx]
    if token.nesting == -1:
        code = _highlight(starter(env["task"]), PythonLexer(stripnl=False, ensurenl=False))
        return (f'</div><div class="task-source"><code class="language-python">{code}</code></div>'
                '<div class="task-controls" data-widget="task"></div></section>\n')
    name = _directive_name(token, "task", TASKS, env)
    env["task"] = name
    return f'<section class="task" id="task-{name}" data-task="{name}"><div class="task-statement">\n'


def _render_exercise(self, tokens, idx, options, env):
    """`:::: exercise NAME` -> a section holding the question and, after it, the explanation."""
    from lesson.exercises import EXERCISES

    token = tokens[idx]
    if token.nesting == -1:
        name = env.pop("exercise")
        if not env.pop("explained", False):
            raise LessonError(f"{env['file']}: exercise {name!r} needs a '::: explanation' inside it")
        return "</section>\n"
    name = _directive_name(token, "exercise", EXERCISES, env)
    env["exercise"] = name
    return f'<section class="exercise" id="exercise-{name}" data-exercise="{name}">\n'


def _render_explanation(self, tokens, idx, options, env):
    """`::: explanation` inside an exercise -> its answer box (the exercise widget), then the explanation, hidden
    until the learner has answered."""
    token = tokens[idx]
    if token.nesting == -1:
        return "</div>\n"
    if "exercise" not in env or env.get("explained"):
        raise LessonError(f"{env['file']}:{token.map[0] + 1}: '::: explanation' belongs inside an exercise, once")
    env["explained"] = True
    return '<div class="exercise-answer" data-widget="exercise"></div><div class="exercise-explanation" hidden>\n'


def _directive_name(token, kind, known, env):
    """The NAME of `::: KIND NAME`, checked: one of `known`, its id free."""
    words = token.info.split()
    where = f"{env['file']}:{token.map[0] + 1}"
    if len(words) != 2 or words[1] not in known:
        raise LessonError(f"{where}: write '::: {kind} NAME' with NAME one of {', '.join(known)}, got {token.info!r}")
    anchor = f"{kind}-{words[1]}"
    if anchor in env["state"].ids:
        raise LessonError(f"{where}: the id {anchor!r} is used twice")
    env["state"].ids.add(anchor)
    return words[1]


def _render_fence(self, tokens, idx, options, env):
    """A fenced block: a code cell, an include of the engine's source, or plain highlighted code."""
    token = tokens[idx]
    words = token.info.split()
    where = f"{env['file']}:{token.map[0] + 1}"
    if words and words[0] == "source":
        return "".join(_engine_source(name, where) for name in words[1:] or [""])
    if _is_cell(token.info):
        return _cell_html(_parse_cell(token, env["file"]), env["state"])
    language = words[0] if words else "text"
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = TextLexer()
    return f'<pre class="code"><code class="language-{html.escape(language)}">{_highlight(token.content, lexer)}</code></pre>\n'


def _is_cell(info):
    """A fence is a code cell when its language is python and a kind follows."""
    words = info.split()
    return len(words) > 1 and words[0] == "python"


def _parse_cell(token, file):
    """Read `python KIND id=ID [raises=Type]` and the source of a cell fence."""
    where = f"{file}:{token.map[0] + 1}"
    kind, *attributes = token.info.split()[1:]
    if kind not in CELL_KINDS:
        raise LessonError(f"{where}: cell kind {kind!r} is not one of {', '.join(CELL_KINDS)}")
    options = dict(attribute.partition("=")[::2] for attribute in attributes)
    unknown = set(options) - {"id", "raises"}
    if unknown:
        raise LessonError(f"{where}: unknown cell option(s) {', '.join(sorted(unknown))}")
    if not NAME.match(options.get("id", "")):
        raise LessonError(f"{where}: a cell needs id=NAME (lowercase letters, digits, '-')")
    return Cell(options["id"], kind, token.content.rstrip("\n"), options.get("raises"), where)


def _cell_html(cell, state):
    """Run (or look up) a cell and return its figure: highlighted source and build-time output."""
    if cell.id in state.cell_ids:
        raise LessonError(f"{cell.where}: cell id {cell.id!r} is used twice")
    state.cell_ids.add(cell.id)
    if cell.kind == "torch":
        output, live = _recorded_output(cell, state.torch), False
        caption = html.escape(f"PyTorch cannot run in the browser; output recorded from PyTorch {state.torch['version']}")
    else:
        output, live = _run(cell, state), cell.kind == "engine" or state.numpy_live
        caption = None if live else NUMPY_NOT_LIVE
    state.outputs[cell.id] = output
    raises = f' data-raises="{html.escape(cell.raises)}"' if cell.raises else ""
    return (
        f'<figure class="cell" id="cell-{cell.id}" data-cell="{cell.id}" data-kind="{cell.kind}"'
        f' data-live="{str(live).lower()}"{raises}>'
        + (f'<figcaption class="cell-note">{caption}</figcaption>' if caption else "")
        + f'<pre class="cell-source"><code class="language-python">{_highlight(cell.source, PythonLexer(stripnl=False, ensurenl=False))}</code></pre>'
        f'<pre class="cell-output">{html.escape(output)}</pre></figure>\n'
    )


def _run(cell, state):
    """Run an engine or NumPy cell in the shared notebook; an engine cell must not need NumPy cells."""
    run = state.notebook.run(cell.source, cell_id=cell.id)
    error = run["error"] or {}
    check_outcome(cell, error.get("type"), error.get("traceback"))
    if cell.kind == "engine":
        alone = state.engine_only.run(cell.source, cell_id=cell.id)
        if as_text(alone) != as_text(run):
            raise LessonError(
                f"cell {cell.id} ({cell.where}) prints something else when only engine cells have run,"
                f" so it depends on a NumPy cell; mark it numpy or make it stand alone:\n{as_text(alone)}"
            )
    return as_text(run)


def _load_recorded(lesson_dir):
    """The recorded PyTorch outputs: {"version": ..., "cells": {id: {"sha256", "error", "output"}}}."""
    path = Path(lesson_dir) / TORCH_OUTPUTS
    if not path.exists():
        return {"version": None, "cells": {}, "path": path}
    recorded = json.loads(path.read_text(encoding="utf-8"))
    return {"version": recorded["torch_version"].split("+")[0], "cells": recorded["cells"], "path": path}


def _recorded_output(cell, recorded):
    """A PyTorch cell's recorded output; a missing or stale record fails the build with the fix."""
    entry = recorded["cells"].get(cell.id)
    if entry is None:
        problem = f"has no recorded output in {_display_path(recorded['path'])}"
    elif entry["sha256"] != source_hash(cell.source):
        problem = "changed since its output was recorded"
    else:
        check_outcome(cell, entry["error"], entry["output"])
        return entry["output"]
    raise LessonError(
        f"PyTorch cell {cell.id} ({cell.where}) {problem}; run `{RECORD_COMMAND}` where PyTorch is installed"
    )


@dataclass(frozen=True)
class EngineListing:
    """An engine function's source as the lesson shows it: its name, file (as the author knows it), lines, code."""

    name: str
    path: str
    first: int
    last: int
    code: str


def engine_listing(dotted, where):
    """The source of the engine function or method `dotted` (`where` names the lesson's line, for errors)."""
    target = _resolve(dotted, where)
    lines, first = inspect.getsourcelines(target)
    path = Path(inspect.getsourcefile(target)).resolve()
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
    return EngineListing(target.__qualname__, str(shown), first, first + len(lines) - 1,
                         textwrap.dedent("".join(lines)).rstrip("\n"))


def _engine_source(dotted, where):
    """The highlighted source of an engine function or method, captioned with its file and lines."""
    listing = engine_listing(dotted, where)
    return (
        f'<figure class="engine-source" id="source-{re.sub(r"[^A-Za-z0-9]+", "-", dotted).strip("-")}">'
        f"<figcaption><code>{html.escape(listing.name)}</code> in <code>{html.escape(listing.path)}</code>,"
        f" lines {listing.first}\u2013{listing.last}</figcaption>"
        f'<pre class="code"><code class="language-python">'
        f"{_highlight(listing.code, PythonLexer(stripnl=False, ensurenl=False))}</code></pre></figure>\n"
    )


def _resolve(dotted, where):
    """Import `package.module.Name.attr` and return the function behind it."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                target = inspect.getattr_static(target, attribute)
        except AttributeError:
            break
        if isinstance(target, (staticmethod, classmethod)):
            target = target.__func__
        if isinstance(target, property):
            target = target.fget
        if inspect.isfunction(target) or inspect.isclass(target):
            return target
        break
    raise LessonError(f"{where}: `source {dotted}` does not name a function, method or class of the engine")


def _highlight(code, lexer):
    """Pygments spans with classes (colours come from theme.css); the text is exactly `code`."""
    spans = highlight(code, lexer, HtmlFormatter(nowrap=True, classprefix="tok-"))
    return spans[:-1] if spans.endswith("\n") and not code.endswith("\n") else spans


def _display_path(path):
    """A path as the author knows it: relative to the repository when inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _preview_page(lesson):
    """A standalone page (lesson + inline CSS + theme toggle) for looking at the lesson before the build."""
    css = "".join((REPO / "web" / "css" / name).read_text(encoding="utf-8") for name in ("theme.css", "lesson.css"))
    theme_js = (REPO / "web" / "js" / "theme.js").read_text(encoding="utf-8")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(lesson.title)}</title><style>{css}</style></head><body>"
        '<header class="site-header"><span class="site-name">Autograd lesson preview</span>'
        '<button id="theme-toggle" type="button" aria-pressed="false">Dark theme</button></header>'
        f'<div class="page">{toc_html(lesson.toc)}<main class="lesson">{lesson.body_html}</main></div>'
        f'<script type="module">{theme_js}\ninitTheme();</script></body></html>'
    )


def main(argv=None):
    """`python -m pagebuild.render --preview out.html`: render the lesson into a standalone preview."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--preview", type=Path, required=True, help="where to write the preview page")
    parser.add_argument("--lesson", type=Path, default=LESSON_DIR, help="the lesson's Markdown folder")
    parser.add_argument("--numpy-live", action="store_true", help="mark NumPy cells as runnable live")
    args = parser.parse_args(argv)
    lesson = render_lesson(args.lesson, numpy_live=args.numpy_live)
    args.preview.write_text(_preview_page(lesson), encoding="utf-8")
    print(f"wrote {args.preview} ({len(lesson.toc)} sections)")


if __name__ == "__main__":
    main()
