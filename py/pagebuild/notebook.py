"""The lesson as a Jupyter notebook (nbformat 4): its prose as Markdown cells (math kept as $...$), every
code cell in page order with the output the page shows, and first the cells that write the engine.

The notebook runs top to bottom in a plain Jupyter kernel with NumPy. Its first code cells write the
packages the lesson's cells import (`autodiff`) into a folder beside the notebook and put it on the
path. PyTorch cells start with `%%pytorch ID`, a cell magic those first cells define: it runs the cell
in a fresh namespace, as its output was recorded, or says why it skipped it where PyTorch is missing.
The page's widgets appear as their captions, its callouts as quotes, engine listings as code blocks,
a task as its statement with its starter code (checked in the page), an exercise as its question and
its worked explanation.
"""

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from lesson.tasks import starter
from pagebuild.page import python_sources
from pagebuild.render import (CALLOUTS, LESSON_DIR, REPO, _load_recorded, _markdown, _name_headings, _parse_cell,
                              engine_listing, lesson_files)

ENGINE_FOLDER = "autograd-engine"  # beside the notebook: where its first cells write the engine
PACKAGES = ("autodiff", "lesson")  # the project's packages a cell may import
TRACEBACK = "Traceback (most recent call last):\n"
LINK_TARGET = re.compile(r"\]\(#([a-z0-9-]+)\)")
# An exercise and its explanation hold prose and code cells: in the notebook they are opened up.
OPENED_UP = ("container_exercise_open", "container_explanation_open")
OPENED_UP_CLOSE = ("container_exercise_close", "container_explanation_close")

INTRODUCTION = """\
## Before you start: the engine

This notebook is the lesson's web page as code and text: the same code cells in the same order, each
with the output the page showed. The page's interactive figures appear here as their captions.

The next cells write the engine the lesson runs ({packages}) into the folder `{folder}` beside this
notebook and put it on Python's path, so that `from autodiff import Value` works as it does in the
page. Run them first (*Run All* runs everything in order). The lesson's cells need Python 3.11 or
newer and NumPy; the PyTorch cells, marked `%%pytorch`, run where PyTorch is installed and say that
they were skipped where it is not."""

MAKE_FOLDERS = """\
# The engine's files go in a folder beside this notebook; the (collapsed) cells below write them.
from pathlib import Path

for package in {packages!r}:
    Path({folder!r}, package).mkdir(parents=True, exist_ok=True)"""

SETUP = '''\
# Import the engine from its folder, and define %%pytorch, the magic that runs a PyTorch cell.
import ast
import sys

from IPython.core.magic import register_cell_magic

sys.path.insert(0, str(Path({folder!r}).resolve()))


@register_cell_magic
def pytorch(line, cell):
    """Run a PyTorch cell on its own, in a fresh namespace (as the page recorded it); its last
    expression is the cell's result. Without PyTorch, say so and skip it."""
    try:
        import torch  # noqa: F401
    except ImportError as error:
        print(f"Skipped: this cell needs PyTorch, which this Python cannot import ({{error}}). "
              "Install it (pip install torch) and run the cell again; the web page shows the output "
              "PyTorch {torch_version} printed.")
        return None
    namespace = {{"__name__": "__main__"}}
    filename = f"<cell {{line.strip()}}>"
    tree = ast.parse(cell, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), filename, "eval"), namespace)'''


def lesson_notebook(title, outputs, lesson_dir=LESSON_DIR, py_dir=REPO / "py"):
    """The lesson in `lesson_dir` as a validated notebook; `outputs` is {cell id: the text the page shows}."""
    prose, code = _lesson_cells(Path(lesson_dir), outputs)
    lesson_code = [cell.source for cell in code if cell.metadata["lesson"]["kind"] != "torch"]
    setup = _setup_cells(_needed_packages(lesson_code, py_dir), _load_recorded(lesson_dir)["version"], py_dir)
    notebook = new_notebook(cells=_in_order([*prose, *setup, *code]), metadata={
        "title": title,
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    nbformat.validate(notebook)
    return notebook


def notebook_bytes(notebook):
    """The notebook as its .ipynb file's bytes (nbformat's own JSON layout, UTF-8, ending in a newline)."""
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


def _in_order(cells):
    """The cells sorted by their place in the lesson (setup cells have theirs), ids numbered where unset."""
    ordered = sorted(cells, key=lambda cell: tuple(cell.metadata.pop("place")))
    for n, cell in enumerate(ordered):
        cell.id = cell.id if cell.cell_type == "code" and "lesson" in cell.metadata else f"{cell.cell_type}-{n}"
    return ordered


def _lesson_cells(lesson_dir, outputs):
    """([Markdown cells], [code cells]) of the lesson, each with metadata["place"], its position in it."""
    md = _markdown()
    headings = SimpleNamespace(ids=set(), titles=[], toc=[])  # named as the page names them
    files = lesson_files(lesson_dir)
    targets = {target for path in files for target in LINK_TARGET.findall(path.read_text(encoding="utf-8"))}
    prose, code, place = [], [], 0
    text = []

    def flush():
        nonlocal place
        markdown = "\n".join(text).strip("\n")
        if markdown:
            prose.append(new_markdown_cell(markdown, metadata={"place": (place := place + 1, 0)}))
        text.clear()

    for path in files:
        shown = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
        lines = path.read_text(encoding="utf-8").split("\n")
        tokens = md.parse("\n".join(lines), {})
        _name_headings(tokens, {"state": headings, "file": shown})
        at = 0
        depth = 0  # how many exercise containers (and their explanations) are open: their insides are the lesson's
        for token in tokens:
            if token.type in OPENED_UP_CLOSE and token.level == depth - 1:
                depth -= 1
                continue
            if token.level != depth or token.map is None:
                continue
            start, end = token.map
            if token.type in OPENED_UP:  # its marker lines go; what it holds becomes cells as elsewhere
                text.extend(lines[at:start])
                if token.type == "container_explanation_open":
                    text.extend(["**The worked explanation** (the page opens it once your answer is checked):", ""])
                lines[end] = ""  # its closing marker line, reached as text later
                at = start + 1
                depth += 1
            elif token.type == "heading_open":
                text.extend(lines[at:start])
                flush()
                anchor = token.attrGet("id")
                text.extend([f'<a id="{anchor}"></a>', ""] if anchor in targets else [])
                at = start
            elif token.type == "fence" and token.info.split()[:1] == ["source"]:
                text.extend(lines[at:start])
                text.extend(_listing(name, f"{shown}:{start + 1}") for name in token.info.split()[1:])
                at = end
            elif token.type == "fence" and len(token.info.split()) > 1 and token.info.split()[0] == "python":
                text.extend(lines[at:start])
                flush()
                cell = _parse_cell(token, shown)
                place += 1
                code.append(_code_cell(cell, outputs[cell.id], place))
                at = end
            elif token.type.startswith("container_") and token.type.endswith("_open"):
                text.extend(lines[at:start])
                text.extend(_quoted(token.info.split(), lines[start + 1:end]))
                at = end + 1  # a container's map ends on its closing ':::' line
        text.extend(lines[at:])
    flush()
    return prose, code


def _listing(dotted, where):
    """An engine listing as Markdown: its caption, then its source in a Python code block."""
    listing = engine_listing(dotted, where)
    return (f"`{listing.name}` in `{listing.path}`, lines {listing.first}\u2013{listing.last}:\n\n"
            f"```python\n{listing.code}\n```\n")


def _quoted(words, body):
    """A callout (`::: tip Title`), a widget (`::: widget NAME`) or a task (`::: task NAME`, with its starter
    code) as a Markdown quote with a bold first line."""
    kind, title = words[0], " ".join(words[1:])
    if kind == "widget":
        heading = "**Interactive figure** (in the lesson's web page):"
    elif kind == "task":
        heading = "**Task** (in the lesson's web page, where **Check** runs your code against the engine):"
        body = [*body, "", "```python", *starter(title).rstrip("\n").split("\n"), "```"]
    else:
        heading = f"**{CALLOUTS[kind]}{': ' + title if title else ''}**"
    return [f"> {heading}", ">", *(f"> {line}" if line else ">" for line in body), ""]


def _code_cell(cell, shown, place):
    """A lesson cell as a notebook code cell, with the output the page shows; a cell meant to fail
    is tagged raises-exception, so Run All goes on past it."""
    source = f"%%pytorch {cell.id}\n{cell.source}" if cell.kind == "torch" else cell.source
    metadata = {"lesson": {"kind": cell.kind}, "place": (place, 0)}
    if cell.raises:
        metadata["tags"] = ["raises-exception"]
    notebook_cell = new_code_cell(source, metadata=metadata, outputs=_outputs(shown, cell.raises))
    notebook_cell.id = cell.id
    return notebook_cell


def _outputs(shown, raises):
    """The page's output text as notebook outputs: what was printed, then the error if the cell raised one."""
    cut = max(shown.rfind(TRACEBACK), 0) if raises else len(shown)  # no frames (a SyntaxError): all of it
    printed, error = shown[:cut], shown[cut:]
    outputs = [new_output("stream", name="stdout", text=printed)] if printed else []
    if error:
        message = error.rstrip("\n").rpartition(f"{raises}: ")[2]
        outputs.append(new_output("error", ename=raises, evalue=message, traceback=error.rstrip("\n").split("\n")))
    return outputs


def _setup_cells(packages, torch_version, py_dir):
    """The notebook's first cells: what they do, the engine's folders, one collapsed cell per source file
    (`%%writefile`), then the path and the %%pytorch magic."""
    names = " and ".join(f"the `{name}` package" for name in packages)
    files = python_sources(py_dir, packages)
    hidden = {"jupyter": {"source_hidden": True, "outputs_hidden": True}}
    cells = [
        new_markdown_cell(INTRODUCTION.format(packages=names, folder=ENGINE_FOLDER)),
        new_code_cell(MAKE_FOLDERS.format(packages=list(packages), folder=ENGINE_FOLDER)),
        *(new_code_cell(f"%%writefile {ENGINE_FOLDER}/{name}\n{text}", metadata=dict(hidden)) for name, text in files.items()),
        new_code_cell(SETUP.format(folder=ENGINE_FOLDER, torch_version=torch_version)),
    ]
    for n, cell in enumerate(cells):
        cell.metadata["place"] = (1, n + 1)  # after the title, before the lesson's first section
    return cells


def _needed_packages(sources, py_dir):
    """The project's packages that `sources` import, and those they import in turn, in PACKAGES order."""
    needed, seen = set(), set()
    pending = set().union(*(_imported(source) for source in sources)) & set(PACKAGES)
    while pending:
        package = pending.pop()
        needed.add(package)
        for text in python_sources(py_dir, [package]).values():
            seen |= _imported(text) & set(PACKAGES)
        pending |= seen - needed
    return [package for package in PACKAGES if package in needed]


def _imported(source):
    """The top-level names of the modules `source` imports (relative imports excluded)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names
