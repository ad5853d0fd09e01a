"""The lesson as a Jupyter notebook (pagebuild.notebook): it validates, holds the lesson's prose and every
code cell in order with the output the page shows, and runs top to bottom in a plain Jupyter kernel
(nbclient + ipykernel), every engine and NumPy cell printing exactly what the page shows; the PyTorch
cells run where PyTorch is installed and say why they were skipped where it is not."""

import copy
import importlib.util

import nbformat
import pytest

from pagebuild.notebook import ENGINE_FOLDER, lesson_notebook, notebook_bytes
from pagebuild.render import LESSON_DIR, _load_recorded, lesson_cells, render_lesson

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]  # runs the lesson in a Jupyter kernel


@pytest.fixture(scope="module")
def rendered():
    """The lesson rendered as the build renders it: its cells run on CPython, their outputs recorded."""
    return render_lesson(numpy_live=False)


@pytest.fixture(scope="module")
def notebook(rendered):
    return lesson_notebook(rendered.title, rendered.outputs)


def lesson_code(notebook):
    """The notebook's code cells that are the lesson's own (not its setup cells), in order."""
    return [cell for cell in notebook.cells if cell.cell_type == "code" and "lesson" in cell.metadata]


def shown_text(outputs):
    """Notebook outputs as the page's output area shows them: what was printed, then a result on a line of
    its own, then the error's last line ("TypeError: message"; Jupyter's traceback lists other frames)."""
    text = "".join(output.text for output in outputs if output.output_type == "stream")
    for output in outputs:
        if output.output_type == "execute_result":
            text += ("\n" if text and not text.endswith("\n") else "") + output.data["text/plain"] + "\n"
        elif output.output_type == "error":
            text += ("\n" if text and not text.endswith("\n") else "") + f"{output.ename}: {output.evalue}\n"
    return text


def page_text(shown, raises):
    """The page's output for a cell with its traceback cut to the error's last line, as shown_text gives it."""
    if not raises:
        return shown
    printed, _, traceback = shown.rpartition("Traceback (most recent call last):\n")
    return printed + traceback.rstrip("\n").splitlines()[-1] + "\n"


def execute(notebook, folder):
    """Run `notebook` top to bottom in a fresh ipykernel with `folder` as its working directory."""
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -r requirements/dev.txt)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -r requirements/dev.txt)")
    ran = copy.deepcopy(notebook)
    nbclient.NotebookClient(ran, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return ran


def test_the_notebook_validates_and_its_file_reads_back_the_same(notebook):
    nbformat.validate(notebook)
    again = nbformat.reads(notebook_bytes(notebook).decode("utf-8"), as_version=4)
    assert again == notebook
    assert notebook.nbformat == 4 and notebook.metadata.kernelspec.name == "python3"


def test_every_code_cell_is_there_in_page_order_with_the_output_the_page_shows(notebook, rendered):
    cells = lesson_code(notebook)
    assert [cell.id for cell in cells] == [cell.id for cell in lesson_cells()]
    for cell, written in zip(cells, lesson_cells()):
        assert cell.source == (f"%%pytorch {written.id}\n" if written.kind == "torch" else "") + written.source
        assert cell.metadata.lesson.kind == written.kind
        assert ("raises-exception" in cell.metadata.get("tags", [])) == bool(written.raises)
        assert shown_text(cell.outputs) == page_text(rendered.outputs[cell.id], written.raises), cell.id
        if written.raises:  # the full traceback the page shows is kept too
            assert "\n".join(cell.outputs[-1].traceback) + "\n" in rendered.outputs[cell.id]


def test_the_prose_is_markdown_with_its_math_and_the_widgets_as_captions(notebook):
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert markdown.startswith("# Module 02: Autograd")
    assert r"$$" in markdown and r"\dfrac{\partial c}{\partial x}" in markdown  # math as the lesson writes it
    assert "::: " not in markdown and ":::\n" not in markdown  # every directive was turned into Markdown
    assert markdown.count("**Interactive figure** (in the lesson's web page):") == 9  # broadcasting's among them
    # A task is its statement and its starter code; an exercise its question, then its worked explanation.
    assert markdown.count("> **Task** (in the lesson's web page, where **Check** runs your code against the engine):") == 5
    assert "> ### Task 1: add and multiply" in markdown and "> ```python\n> import math" in markdown
    question = markdown.index("What is $\\dfrac{dy}{dx}$ for $y = x^3$ at $x = 2$?")
    assert markdown.index("**The worked explanation**", question) < markdown.index("The power rule gives", question)
    assert "> **Tip: Accumulation has a second face**" in markdown
    # An engine listing is the engine's own source, as on the page.
    assert "`Value.__mul__` in `py/autodiff/value.py`" in markdown and "def __mul__(self, other):" in markdown
    # A link to a section lands on it: the heading carries the page's anchor.
    assert '<a id="common-pitfalls"></a>\n\n## Common pitfalls' in markdown
    assert "](#common-pitfalls)" in markdown


def test_the_first_cells_write_the_engine_the_cells_import(notebook):
    writes = [cell.source.partition("\n") for cell in notebook.cells if cell.source.startswith("%%writefile")]
    files = {line.removeprefix(f"%%writefile {ENGINE_FOLDER}/"): text for line, _, text in writes}
    assert "autodiff/value.py" in files and "autodiff/tensor.py" in files
    assert all(name.startswith("autodiff/") for name in files), "the lesson's cells import autodiff alone"
    first_lesson_cell = notebook.cells.index(lesson_code(notebook)[0])
    assert all(notebook.cells.index(cell) < first_lesson_cell for cell in notebook.cells if cell.source.startswith("%%writefile"))


@pytest.fixture(scope="module")
def executed(notebook, tmp_path_factory):
    """The notebook run top to bottom by nbclient in a plain ipykernel, in an empty folder."""
    folder = tmp_path_factory.mktemp("notebook")
    return execute(notebook, folder), folder


def test_the_notebook_runs_top_to_bottom_printing_what_the_page_shows(executed, rendered):
    ran, folder = executed
    assert (folder / ENGINE_FOLDER / "autodiff" / "value.py").is_file()
    checked = 0
    for cell, written in zip(lesson_code(ran), lesson_cells()):
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert bool(errors) == bool(written.raises), f"{cell.id}: {errors}"
        if written.kind == "torch":
            continue
        assert shown_text(cell.outputs) == page_text(rendered.outputs[cell.id], written.raises), cell.id
        checked += 1
    assert checked == sum(cell.kind != "torch" for cell in lesson_cells()) > 25


def test_pytorch_cells_print_the_recorded_output_where_that_pytorch_is_installed(executed, rendered):
    recorded = _load_recorded(LESSON_DIR)["version"]
    torch = importlib.util.find_spec("torch")
    if torch is None:
        pytest.skip("PyTorch is not installed here: the PyTorch cells' skip is tested without it below")
    import torch
    if torch.__version__.split("+")[0] != recorded:
        pytest.skip(f"PyTorch {torch.__version__} is installed; the outputs were recorded with {recorded}")
    ran, _ = executed
    for cell, written in zip(lesson_code(ran), lesson_cells()):
        if written.kind == "torch":
            assert shown_text(cell.outputs) == page_text(rendered.outputs[cell.id], written.raises), cell.id


def test_without_pytorch_its_cells_say_why_they_were_skipped(notebook, tmp_path):
    setup = [cell for cell in notebook.cells if cell.cell_type == "code" and "lesson" not in cell.metadata]
    torch_cells = [cell for cell in lesson_code(notebook) if cell.metadata.lesson.kind == "torch"]
    assert torch_cells
    without = copy.deepcopy(notebook)
    # A kernel where `import torch` fails, as where PyTorch is not installed.
    without.cells = [nbformat.v4.new_code_cell("import sys\nsys.modules['torch'] = None"), *setup, *torch_cells]
    ran = execute(without, tmp_path)
    for cell in ran.cells[len(setup) + 1:]:
        assert {output.output_type for output in cell.outputs} == {"stream"}, cell.id
        assert shown_text(cell.outputs).startswith("Skipped: this cell needs PyTorch, which this Python cannot import"), cell.id
        assert "pip install torch" in shown_text(cell.outputs)
