"""pagebuild.render: the lesson's Markdown becomes one escaped HTML fragment with MathML, run cells and widgets."""

import json
import re
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pagebuild import render
from lesson.tasks import TASKS, starter
from pagebuild.render import LessonError, render_lesson, source_hash, toc_html

WIDGETS = ("forward-steps", "compute-graph", "grad-accumulation", "neuron-training", "explore", "nn-backprop",
           "broadcast", "playground", "task-progress")


class Element:
    """One parsed element: its tag, attributes and text content (descendants' text included)."""

    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.text, self.children = tag, dict(attrs), "", []

    def find(self, tag=None, **attrs):
        """Descendant elements with this tag and these attribute values (class_ matches one class)."""
        found = []
        for child in self.children:
            classes = child.attrs.get("class", "").split()
            if (tag is None or child.tag == tag) and all(
                (value in classes) if name == "class_" else child.attrs.get(name.replace("_", "-")) == value
                for name, value in attrs.items()
            ):
                found.append(child)
            found.extend(child.find(tag, **attrs))
        return found


class _TreeBuilder(HTMLParser):
    VOID = {"br", "hr", "img", "input", "meta", "link", "mspace"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, attrs))

    def handle_endtag(self, tag):
        while len(self.stack) > 1:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element.text += data


def parse(fragment):
    """The fragment as a tree of Elements."""
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    return builder.root


def write_lesson(folder, *files, torch_outputs=None):
    """A lesson folder with files 01.md, 02.md, ... holding the given (dedented) Markdown."""
    for number, text in enumerate(files, start=1):
        (folder / f"{number:02d}.md").write_text(textwrap.dedent(text), encoding="utf-8")
    if torch_outputs is not None:
        (folder / render.TORCH_OUTPUTS).write_text(json.dumps(torch_outputs), encoding="utf-8")
    return folder


def cell(tree, cell_id):
    """The figure of one cell."""
    [figure] = tree.find("figure", data_cell=cell_id)
    return figure


def fence(kind, cell_id, source, extra=""):
    """A code cell fence as an author writes it."""
    return f"```python {kind} id={cell_id}{extra}\n{source}\n```\n"


# ---- headings, ids, table of contents ----


def test_headings_get_stable_unique_ids_and_a_toc(tmp_path):
    write_lesson(tmp_path, """\
        # The Title

        ## Forward & backward
        ### Step one
        #### Too deep for the contents
        ## Forward & backward
        """)
    lesson = render_lesson(tmp_path, numpy_live=False)
    assert lesson.title == "The Title"
    assert lesson.toc == [(2, "forward-backward", "Forward & backward"), (3, "step-one", "Step one"),
                          (2, "forward-backward-2", "Forward & backward")]
    ids = [element.attrs.get("id") for element in parse(lesson.body_html).find() if element.tag[0] == "h"]
    assert ids == ["the-title", "forward-backward", "step-one", "too-deep-for-the-contents", "forward-backward-2"]
    assert render_lesson(tmp_path, numpy_live=False) == lesson  # the same input gives the same ids


def test_a_lesson_needs_exactly_one_title(tmp_path):
    write_lesson(tmp_path, "# One\n", "# Two\n")
    with pytest.raises(LessonError, match="exactly one '# title'"):
        render_lesson(tmp_path, numpy_live=False)


def test_toc_html_nests_subsections_under_their_section():
    nav = parse(toc_html([(3, "early", "Early"), (2, "a", "A <b>"), (3, "a1", "A1"), (2, "b", "B")]))
    [top] = nav.find("nav", class_="toc")[0].find("ol")[:1]
    assert [li.find("a")[0].attrs["href"] for li in top.children] == ["#early", "#a", "#b"]
    assert [a.attrs["href"] for a in top.children[1].find("ol")[0].find("a")] == ["#a1"]
    assert top.children[1].find("a")[0].text == "A <b>"  # escaped, shown as text


# ---- math ----


def test_inline_and_display_math_become_mathml(tmp_path):
    write_lesson(tmp_path, r"""
        # M

        Inline $\frac{\partial c}{\partial b} = a + 2b$ here, and a price of $5.

        $$
        \frac{\partial L}{\partial A} = \frac{\partial L}{\partial C} B^{\top}
        $$
        """)
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    inline, display = tree.find("math")
    assert inline.attrs["display"] == "inline" and inline.find("mfrac")
    assert display.attrs["display"] == "block"
    assert display.find("msup") and "\u22a4" in display.text  # the transpose sign
    assert "price of $5" in tree.text  # a lone dollar is text
    assert "\\frac" not in tree.text


@pytest.mark.parametrize("latex, problem", [(r"\foo{x}", r"unknown LaTeX command \\foo"), (r"\frac{1}{2", "unbalanced")])
def test_bad_math_fails_the_build_naming_the_formula(tmp_path, latex, problem):
    write_lesson(tmp_path, f"# M\n\nSee ${latex}$.\n")
    with pytest.raises(LessonError, match=problem):
        render_lesson(tmp_path, numpy_live=False)


def test_inline_math_and_the_punctuation_touching_it_share_a_no_wrap_span(tmp_path):
    write_lesson(tmp_path, r"""
        # M

        ## Where $x$, then

        Here $a = 2$, $b = 7$; and ($c$) then $d$ alone.
        """)
    lesson = render_lesson(tmp_path, numpy_live=False)
    [paragraph] = parse(lesson.body_html).find("p")
    spans = paragraph.find("span", class_="math-nowrap")
    assert [span.text[-1] for span in spans] == [",", ";", ")"]
    assert [len(span.find("math")) for span in spans] == [1, 1, 1]
    assert spans[2].text.startswith("(")  # an opening bracket joins too
    assert paragraph.text.endswith(" then d alone.") and len(paragraph.find("math")) == 4
    assert lesson.toc == [(2, "where-x-then", "Where x, then")]  # the span is no part of the heading's text


def test_bold_math_is_written_with_unicode_bold_characters(tmp_path):
    write_lesson(tmp_path, r"# M" + "\n\nOnes $\\mathbf{1}\\,B$ and $\\mathbf{x}$.\n")
    [ones, x] = parse(render_lesson(tmp_path, numpy_live=False).body_html).find("math")
    assert ones.find("mn")[0].text == "\U0001D7CF" and "mathvariant" not in ones.find("mn")[0].attrs
    assert x.find("mi")[0].text == "\U0001D431"


def test_a_mathvariant_browsers_ignore_fails_the_build(tmp_path):
    write_lesson(tmp_path, "# M\n\nSee $\\boldsymbol{\\alpha}$.\n")
    with pytest.raises(LessonError, match=r"mathvariant 'bold-italic' in \$\\boldsymbol"):
        render_lesson(tmp_path, numpy_live=False)


def test_a_function_name_is_an_identifier_so_it_gets_no_operator_spacing(tmp_path):
    write_lesson(tmp_path, "# M\n\n$\\max(0, a)$ and $$\\max_x f$$\n")
    inline, display = parse(render_lesson(tmp_path, numpy_live=False).body_html).find("math")
    assert [mi.text for mi in inline.find("mi")] == ["max", "a"] and "max" not in [mo.text for mo in inline.find("mo")]
    assert display.find("msub")[0].find("mo")[0].text == "max"  # a script's base keeps its operator limits


# ---- lists ----


@pytest.mark.parametrize("text, line", [
    ("Axes where it had size\n1. Here it is.\n", 4),
    ("Some text\n- 3 is negative here.\n", 4),
    ("> quoted text\n> 1. more\n", 4),
])
def test_a_list_marker_starting_a_wrapped_line_fails_the_build(tmp_path, text, line):
    write_lesson(tmp_path, "# L\n\n" + text)
    with pytest.raises(LessonError, match=f"01\\.md:{line}: this line starts with a list marker"):
        render_lesson(tmp_path, numpy_live=False)


def test_lists_after_a_blank_line_and_nested_lists_are_fine(tmp_path):
    write_lesson(tmp_path, "# L\n\nSteps:\n\n1. **First** one\n   - a detail\n2. Second\n")
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    [ordered] = tree.find("ol")
    assert [li.text.split()[0] for li in ordered.children] == ["First", "Second"]
    assert ordered.find("ul")[0].text.strip() == "a detail"


# ---- code cells ----


def test_cells_run_in_one_namespace_in_page_order_across_files(tmp_path):
    write_lesson(tmp_path, "# C\n\n" + fence("engine", "first", "x = 6\nprint('x is', x)"),
                 fence("engine", "second", "x * 7"))
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    assert cell(tree, "first").find("pre", class_="cell-output")[0].text == "x is 6\n"
    assert cell(tree, "second").find("pre", class_="cell-output")[0].text == "42\n"


def test_cell_markup_carries_kind_live_flag_and_the_exact_source(tmp_path):
    source = "import numpy as np\n\n\nvalues = np.arange(3)  # three\nprint(values.sum())"
    write_lesson(tmp_path, "# C\n\n" + fence("engine", "scalar", "  print(1 < 2)".strip()) + fence("numpy", "arrays", source))
    for numpy_live in (False, True):
        tree = parse(render_lesson(tmp_path, numpy_live=numpy_live).body_html)
        scalar, arrays = cell(tree, "scalar"), cell(tree, "arrays")
        assert (scalar.attrs["id"], scalar.attrs["data-kind"], scalar.attrs["data-live"]) == ("cell-scalar", "engine", "true")
        assert (arrays.attrs["data-kind"], arrays.attrs["data-live"]) == ("numpy", str(numpy_live).lower())
        [code] = arrays.find("pre", class_="cell-source")[0].find("code", class_="language-python")
        assert code.text == source
        assert code.find("span", class_="tok-kn")  # highlighted at build time
        assert arrays.find("pre", class_="cell-output")[0].text == "3\n"
        assert bool(arrays.find("figcaption")) is not numpy_live  # says why it is not live
        for note in arrays.find("figcaption"):  # what, and why, in a learner's words: no build command
            assert note.text == "This copy of the lesson has no NumPy, so this cell shows what it printed when the page was built."


def test_a_cell_that_raises_fails_the_build_with_its_id_and_traceback(tmp_path):
    write_lesson(tmp_path, "# C\n\n" + fence("engine", "broken", "x = 1\ny = x / 0"))
    with pytest.raises(LessonError, match=r"(?s)cell broken \(.*01\.md:3\) raised.*line 2.*ZeroDivisionError"):
        render_lesson(tmp_path, numpy_live=False)


def test_a_cell_marked_raises_shows_its_traceback(tmp_path):
    write_lesson(tmp_path, "# C\n\n" + fence("engine", "pitfall", "print('before')\n{}['key']", " raises=KeyError"))
    figure = cell(parse(render_lesson(tmp_path, numpy_live=False).body_html), "pitfall")
    assert figure.attrs["data-raises"] == "KeyError"
    assert figure.find("pre", class_="cell-output")[0].text == (
        "before\nTraceback (most recent call last):\n"
        '  File "<cell pitfall>", line 2, in <module>\n'
        "    {}['key']\nKeyError: 'key'\n")


@pytest.mark.parametrize("source, problem", [("x = 1", "ran without error"), ("1 / 0", "raised ZeroDivisionError")])
def test_a_raises_mark_must_match_what_happens(tmp_path, source, problem):
    write_lesson(tmp_path, "# C\n\n" + fence("engine", "wrong", source, " raises=KeyError"))
    with pytest.raises(LessonError, match=f"cell wrong .*{problem}"):
        render_lesson(tmp_path, numpy_live=False)


def test_an_engine_cell_may_not_depend_on_a_numpy_cell(tmp_path):
    write_lesson(tmp_path, "# C\n\n" + fence("numpy", "setup", "import numpy as np") + fence("engine", "uses", "print(np.pi)"))
    with pytest.raises(LessonError, match="cell uses .*depends on a NumPy cell"):
        render_lesson(tmp_path, numpy_live=False)


@pytest.mark.parametrize("info, problem", [
    ("python engine", "needs id=NAME"), ("python engine id=Bad_Id", "needs id=NAME"),
    ("python jax id=x", "kind 'jax'"), ("python engine id=x colour=red", "unknown cell option"),
])
def test_malformed_cell_fences_are_refused(tmp_path, info, problem):
    write_lesson(tmp_path, f"# C\n\n```{info}\nprint(1)\n```\n")
    with pytest.raises(LessonError, match=problem):
        render_lesson(tmp_path, numpy_live=False)


def test_cell_ids_are_unique(tmp_path):
    write_lesson(tmp_path, "# C\n\n" + fence("engine", "same", "1") + fence("engine", "same", "2"))
    with pytest.raises(LessonError, match="'same' is used twice"):
        render_lesson(tmp_path, numpy_live=False)


# ---- PyTorch cells: recorded outputs ----

TORCH_SOURCE = "import torch\nprint(torch.ones(2))"


def recorded(source=TORCH_SOURCE, output="tensor([1., 1.])\n", error=None):
    return {"torch_version": "2.13.0+cpu",
            "cells": {"ones": {"sha256": source_hash(source), "error": error, "output": output}}}


def test_torch_cells_show_their_recorded_output_and_say_so(tmp_path):
    write_lesson(tmp_path, "# T\n\n" + fence("torch", "ones", TORCH_SOURCE), torch_outputs=recorded())
    figure = cell(parse(render_lesson(tmp_path, numpy_live=True).body_html), "ones")
    assert (figure.attrs["data-kind"], figure.attrs["data-live"]) == ("torch", "false")
    assert figure.find("pre", class_="cell-output")[0].text == "tensor([1., 1.])\n"
    assert figure.find("figcaption")[0].text == (
        "PyTorch cannot run in the browser; output recorded from PyTorch 2.13.0")


def test_a_changed_torch_cell_fails_the_build_naming_the_cell_and_the_command(tmp_path):
    write_lesson(tmp_path, "# T\n\n" + fence("torch", "ones", TORCH_SOURCE + "  # edited"), torch_outputs=recorded())
    with pytest.raises(LessonError, match=r"PyTorch cell ones \(.*01\.md:3\) changed since .*pagebuild\.record_torch"):
        render_lesson(tmp_path, numpy_live=False)


def test_an_unrecorded_torch_cell_fails_the_build(tmp_path):
    write_lesson(tmp_path, "# T\n\n" + fence("torch", "ones", TORCH_SOURCE))
    with pytest.raises(LessonError, match="PyTorch cell ones .*has no recorded output.*record_torch"):
        render_lesson(tmp_path, numpy_live=False)


def test_a_recorded_error_must_match_the_raises_mark(tmp_path):
    write_lesson(tmp_path, "# T\n\n" + fence("torch", "ones", TORCH_SOURCE, " raises=RuntimeError"),
                 torch_outputs=recorded())
    with pytest.raises(LessonError, match="ran without error"):
        render_lesson(tmp_path, numpy_live=False)


def test_record_torch_runs_each_cell_alone_and_the_build_accepts_the_record(tmp_path):
    torch = pytest.importorskip("torch", reason="recording needs PyTorch (pip install -r requirements/torch.txt)")
    from pagebuild.record_torch import record
    write_lesson(tmp_path, "# T\n\n" + fence("torch", "ones", TORCH_SOURCE)
                 + fence("torch", "alone", "x", " raises=NameError"))  # `x` is not shared between torch cells
    saved = json.loads(record(tmp_path).read_text(encoding="utf-8"))
    assert saved["torch_version"] == torch.__version__
    assert saved["cells"]["ones"] == {"sha256": source_hash(TORCH_SOURCE), "error": None, "output": "tensor([1., 1.])\n"}
    assert saved["cells"]["alone"]["error"] == "NameError"
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    assert cell(tree, "ones").find("pre", class_="cell-output")[0].text == "tensor([1., 1.])\n"


# ---- escaping ----


def test_markup_in_headings_text_and_cells_comes_out_as_text(tmp_path):
    write_lesson(tmp_path, "# Title <script>alert(1)</script>\n\n"
                 "## A <img src=x onerror=alert(2)> heading\n\n"
                 "<div onclick=x()>raw html</div>\n\n"
                 + fence("engine", "tags", "print('</pre><script>alert(3)</script>')\n'<b>'"))
    lesson = render_lesson(tmp_path, numpy_live=False)
    tree = parse(lesson.body_html)
    assert not tree.find("script") and not tree.find("img") and not tree.find("div", onclick="x()")
    assert lesson.title == "Title <script>alert(1)</script>"  # plain text, for the page to escape
    assert tree.find("h1")[0].text == "Title <script>alert(1)</script>"
    assert "<div onclick=x()>raw html</div>" in tree.text
    figure = cell(tree, "tags")
    assert figure.find("pre", class_="cell-output")[0].text == "</pre><script>alert(3)</script>\n'<b>'\n"
    assert figure.find("code")[0].text == "print('</pre><script>alert(3)</script>')\n'<b>'"


# ---- widgets, callouts, engine source ----


def test_widget_directive_makes_a_captioned_mount_point(tmp_path):
    write_lesson(tmp_path, "# W\n\n::: widget explore\nDrag **a** and **b**.\n:::\n")
    [figure] = parse(render_lesson(tmp_path, numpy_live=False).body_html).find("figure", class_="widget-figure")
    [mount] = figure.find("div", class_="widget")
    assert mount.attrs["data-widget"] == "explore" and mount.text == "" and not mount.children
    assert figure.find("figcaption")[0].find("strong")[0].text == "a"


def test_widget_directive_needs_a_name(tmp_path):
    write_lesson(tmp_path, "# W\n\n::: widget\ncaption\n:::\n")
    with pytest.raises(LessonError, match="::: widget NAME"):
        render_lesson(tmp_path, numpy_live=False)


def test_task_directive_makes_a_section_with_the_statement_then_the_starter_code(tmp_path):
    write_lesson(tmp_path, "# T\n\n::: task add-mul\n### Task 1\nFill in **both**.\n:::\n")
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    [section] = tree.find("section", class_="task")
    assert (section.attrs["id"], section.attrs["data-task"]) == ("task-add-mul", "add-mul")
    assert section.find("div", class_="task-statement")[0].find("strong")[0].text == "both"
    assert section.find("div", class_="task-source")[0].find("code")[0].text == starter("add-mul")
    [mount] = section.find("div", class_="task-controls")
    assert mount.attrs["data-widget"] == "task" and not mount.children


def test_exercise_directive_puts_the_answer_box_before_the_hidden_explanation(tmp_path):
    write_lesson(tmp_path, "# E\n\n:::: exercise cube\nWhat is it?\n\n::: explanation\nIt is *12*.\n:::\n::::\n")
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    [section] = tree.find("section", class_="exercise")
    assert (section.attrs["id"], section.attrs["data-exercise"]) == ("exercise-cube", "cube")
    question, mount, explanation = section.children
    assert question.text == "What is it?" and mount.attrs["data-widget"] == "exercise"
    assert "hidden" in explanation.attrs and explanation.find("em")[0].text == "12"


@pytest.mark.parametrize("text, message", [
    ("::: task nope\nx\n:::\n", "write '::: task NAME' with NAME one of add-mul, more-ops, backward, accumulate, train"),
    ("::: task add-mul\nx\n:::\n\n::: task add-mul\ny\n:::\n", "the id 'task-add-mul' is used twice"),
    (":::: exercise cube\nWhat?\n::::\n", "exercise 'cube' needs a '::: explanation' inside it"),
    ("::: explanation\nx\n:::\n", "'::: explanation' belongs inside an exercise, once"),
])
def test_task_and_exercise_directives_refuse_what_they_cannot_render(tmp_path, text, message):
    write_lesson(tmp_path, "# D\n\n" + text)
    with pytest.raises(LessonError, match=re.escape(message)):
        render_lesson(tmp_path, numpy_live=False)


def test_callouts(tmp_path):
    write_lesson(tmp_path, "# C\n\n::: tip Remember\nGradients *add*.\n:::\n\n::: note\nPlain.\n:::\n")
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    tip, note = tree.find("aside")
    assert tip.attrs["class"] == "callout callout-tip" and tip.find("p")[0].text == "Tip: Remember"
    assert note.find("p", class_="callout-title")[0].text == "Note"
    # notes to the text, not complementary landmarks (several unnamed ones in <main> failed axe's landmark rules)
    assert tip.attrs["role"] == note.attrs["role"] == "note"


def test_a_formula_alone_in_a_table_header_is_named_by_its_characters(tmp_path):
    write_lesson(tmp_path, "# T\n\n| $c$ | $\\partial c / \\partial a$ |\n|---|---|\n| $a + b$ | $1$ |\n")
    tree = parse(render_lesson(tmp_path, numpy_live=False).body_html)
    assert [th.find("math")[0].attrs.get("aria-label") for th in tree.find("th")] == ["c", "\u2202c/\u2202a"]
    assert [td.find("math")[0].attrs.get("aria-label") for td in tree.find("td")] == [None, None]  # body cells read as MathML


def test_source_directive_includes_a_functions_real_source(tmp_path):
    import inspect
    write_lesson(tmp_path, "# S\n\n```source pagebuild.render.source_hash\n```\n")
    [figure] = parse(render_lesson(tmp_path, numpy_live=False).body_html).find("figure", class_="engine-source")
    lines, first = inspect.getsourcelines(render.source_hash)
    assert figure.find("code")[-1].text == "".join(lines).rstrip("\n")
    assert figure.find("figcaption")[0].text == (
        f"source_hash in py/pagebuild/render.py, lines {first}\u2013{first + len(lines) - 1}")


def test_source_directive_refuses_what_is_not_a_function(tmp_path):
    write_lesson(tmp_path, "# S\n\n```source pagebuild.render.NoSuchThing\n```\n")
    with pytest.raises(LessonError, match="NoSuchThing` does not name a function"):
        render_lesson(tmp_path, numpy_live=False)


# ---- the real lesson ----

# Every section of the seed lesson, by the id of our heading for it.
SEED_SECTIONS = [
    "introduction", "what-you-ll-learn", "intuition-the-computational-graph", "forward-and-backward-step-by-step",
    "the-math", "the-chain-rule", "local-gradients-of-common-operations", "matrix-multiplication-gradients",
    "gradient-accumulation", "code-walkthrough-a-scalar-engine", "testing-value", "checking-gradients-numerically",
    "the-chain-rule-in-action", "training-a-neuron", "scalar-to-tensor", "why-scalars-don-t-scale",
    "the-tensor-class", "undoing-broadcasting", "tensor-arithmetic-with-gradients", "matrix-multiplication",
    "the-backward-pass-for-tensors", "activation-functions", "reductions", "putting-it-together-a-tiny-network-learns-xor",
    "pytorch-s-autograd", "xor-in-pytorch", "the-key-insight", "pytorch-with-scalars", "pytorch-with-vectors",
    "pytorch-with-matrices", "interactive-exploration", "try-this", "your-own-expressions", "exercises",
    "exercise-1-the-gradient-of-x3", "exercise-2-the-gradient-of-softmax", "exercise-3-relu-against-tanh",
    "backpropagation-in-a-network", "detaching-tensors-and-stopping-gradients", "using-detach", "using-no-grad",
    "when-to-stop-gradients", "memory-implications", "why-autograd-uses-memory", "memory-grows-with-depth",
    "gradient-checkpointing", "common-pitfalls", "1-forgetting-to-zero-gradients", "2-in-place-operations",
    "3-losing-requires-grad", "4-backward-through-a-non-scalar", "summary", "what-s-next",
]

# Each PyTorch demonstration of an autograd behaviour and the cell showing it live on our engine.
TWINS = {"torch-detach": "engine-detach", "torch-no-grad": "engine-no-grad", "torch-accumulate": "engine-accumulate",
         "torch-nonscalar": "engine-nonscalar", "torch-nonscalar-gradient": "engine-nonscalar-gradient",
         "torch-inplace": "engine-inplace", "torch-numpy": "engine-numpy"}


@pytest.fixture(scope="module")
def lesson():
    pytest.importorskip("autodiff.tensor", reason="the lesson's NumPy cells need the Tensor engine")
    return render_lesson(render.LESSON_DIR, numpy_live=False)


@pytest.fixture(scope="module")
def page(lesson):
    return parse(lesson.body_html)


def output(page, cell_id):
    return cell(page, cell_id).find("pre", class_="cell-output")[0].text


def test_every_section_of_the_seed_lesson_is_there(lesson):
    ids = [anchor for _, anchor, _ in lesson.toc]
    assert [section for section in SEED_SECTIONS if section not in ids] == []
    assert lesson.title == "Module 02: Autograd"


def test_every_widget_placeholder_is_there_exactly_once(page):
    mounts = [element.attrs["data-widget"] for element in page.find("div", class_="widget")]
    assert sorted(mounts) == sorted(WIDGETS)


def test_every_block_holding_a_widget_is_of_a_kind_the_page_always_renders(page):
    """runtime.css skips the layout of off-screen blocks but for the kinds it names: a widget mounted in a
    skipped block could not measure its column."""
    css = (render.REPO / "web" / "css" / "runtime.css").read_text()
    [kinds] = re.findall(r"main\.lesson > :not\(([^)]*)\) \{\s*content-visibility: auto;", css)
    rendered = {kind.strip().removeprefix(".") for kind in kinds.split(",")}
    holding = [block for block in page.children
               if "data-widget" in block.attrs or any("data-widget" in e.attrs for e in block.find())]
    kinds_holding = [rendered & set(block.attrs.get("class", "").split()) for block in holding]
    assert [block.attrs for block, kind in zip(holding, kinds_holding) if not kind] == []
    assert set().union(*kinds_holding) == rendered  # and the CSS names no kind that holds none


def test_internal_links_point_at_headings_that_exist(page):
    ids = {element.attrs["id"] for element in page.find() if "id" in element.attrs}
    links = [a.attrs["href"] for a in page.find("a") if a.attrs.get("href", "").startswith("#")]
    assert links and [link for link in links if link[1:] not in ids] == []
    assert not [a for a in page.find("a") if not a.attrs.get("href", "").startswith("#")]  # no external links


def test_the_lesson_holds_the_five_tasks_in_order_and_the_three_exercises(page, lesson):
    assert [section.attrs["data-task"] for section in page.find("section", class_="task")] == list(TASKS)
    assert [section.attrs["data-exercise"] for section in page.find("section", class_="exercise")] == [
        "cube", "softmax", "relu-tanh"]
    ids = [anchor for _, anchor, _ in lesson.toc]
    assert ids.index("code-walkthrough-a-scalar-engine") < ids.index("build-your-own-value") < ids.index("scalar-to-tensor")
    for section in page.find("section", class_="exercise"):  # the answers wait behind the learner's own
        assert "hidden" in section.find("div", class_="exercise-explanation")[0].attrs


def test_the_lesson_prints_its_own_numbers(page):
    assert "dc/db = 14.0, dc/da = 14.0, dc/dx = 42.0" in output(page, "chain-42")
    assert output(page, "loss-graph").startswith("loss = 0.0900\ndL/dw = 1.2000, dL/dx = 0.3000, dL/db = 0.6000\n")
    assert output(page, "accumulate-square") == "c = 9.0, dc/da = 6.0\n"
    assert "dc/da = 3.0" in output(page, "chain-rule-two-paths") and "dc/db = 8.0" in output(page, "chain-rule-two-paths")
    assert "dy/dx = 12.0" in output(page, "exercise-cube")
    assert "dy/dx = 0.1966  (y(1 - y) = 0.1966)" in output(page, "exercise-softmax")
    assert "x =   2.0: relu grad = 1.000, tanh grad = 0.071" in output(page, "exercise-relu-tanh")
    assert "dL/dA =\n[[11. 15.]\n [11. 15.]]\ndL/dB =\n[[4. 4.]\n [6. 6.]]" in output(page, "matmul-2x2")
    assert "[[0.16666667 0.16666667 0.16666667]" in output(page, "mean-gradient")
    assert "values [3. 3. 3. 3.]" in output(page, "unbroadcast-bias")
    assert output(page, "scalar-dot").endswith("graph nodes: 3999\n")
    assert output(page, "tensor-dot").endswith("graph nodes: 3\n")
    assert "dL/dx = 42.0, dL/dw = 28.0, dL/db = 14.0" in output(page, "engine-scalars")


def test_training_cells_converge(page):
    neuron = output(page, "train-neuron").splitlines()
    losses = [float(re.search(r"loss = (\S+)", line).group(1)) for line in neuron[:-1]]
    assert len(losses) == 20 and losses == sorted(losses, reverse=True) and losses[-1] < 1e-12
    assert neuron[-1] == "final output 0.8000 for a target of 0.8"
    assert output(page, "xor-engine") == (
        "step   0: loss = 1.083525\nstep  50: loss = 0.080734\nstep 100: loss = 0.002476\nstep 150: loss = 0.000021\n"
        "predictions after training:\n  [0. 0.] -> 0.000\n  [0. 1.] -> 0.999\n  [1. 0.] -> 1.000\n  [1. 1.] -> 0.000\n")


def test_recorded_pytorch_outputs_are_pinned(page):
    assert "dL/dx = 42.0  (2y * w)\ndL/dw = 28.0  (2y * x)\ndL/db = 14.0  (2y)" in output(page, "torch-scalars")
    assert output(page, "torch-accumulate").splitlines()[1] == "after two backwards: x.grad = 8.0  (8, not 4)"
    assert output(page, "torch-nonscalar").endswith("RuntimeError: grad can be implicitly created only for scalar outputs\n")
    assert output(page, "torch-xor").endswith("[1.0, 1.0] -> 0.000\n")
    assert output(page, "torch-checkpoint") == "same output:   True\nsame gradient: True\n"


def test_each_pytorch_demo_has_a_twin_on_our_engine(page):
    for torch_id, engine_id in TWINS.items():
        torch_cell, engine_cell = cell(page, torch_id), cell(page, engine_id)
        assert torch_cell.attrs["data-kind"] == "torch" and engine_cell.attrs["data-kind"] in ("engine", "numpy")
        assert torch_cell.attrs.get("data-raises") == engine_cell.attrs.get("data-raises")
    assert output(page, "engine-accumulate") == output(page, "torch-accumulate")
    assert output(page, "engine-detach").splitlines()[0] == output(page, "torch-detach").splitlines()[0]
    assert "x.grad = [2.0, 2.0, 2.0]" in output(page, "engine-detach")
    engine_no_grad, torch_no_grad = output(page, "engine-no-grad").splitlines(), output(page, "torch-no-grad").splitlines()
    assert engine_no_grad[0] == torch_no_grad[0] and engine_no_grad[-1] == torch_no_grad[-1]
    assert engine_no_grad[1:3] == ["inside no_grad: z.requires_grad = False", "z has no history: True"]
    assert output(page, "engine-backward-gradient") == "x.grad = 6.0  (0.5 * 3x^2)\n"
    assert "x.grad = [2. 4. 6.]" in output(page, "engine-nonscalar-gradient")
    assert "modified by an inplace operation" in output(page, "engine-inplace")
    assert output(page, "engine-numpy").endswith(output(page, "torch-numpy").splitlines()[-1] + "\n")


def test_the_pytorch_ideas_that_need_no_tensors_run_live_without_numpy(page):
    # detach, no_grad, accumulation and backward's seed need no tensors: their twins are Value cells, live without NumPy.
    for engine_id in ("engine-scalars", "engine-detach", "engine-no-grad", "engine-accumulate", "engine-backward-gradient"):
        assert (cell(page, engine_id).attrs["data-kind"], cell(page, engine_id).attrs["data-live"]) == ("engine", "true")


def test_the_text_before_each_numpy_twin_says_it_is_a_numpy_cell(page):
    blocks = page.children
    for i, block in enumerate(blocks):
        if block.attrs.get("data-cell") in TWINS.values() and block.attrs["data-kind"] == "numpy":
            before = next(b for b in reversed(blocks[:i]) if b.tag == "p" or b.attrs.get("data-kind") == "numpy")
            if before.tag == "p":  # a NumPy cell right after another shares that one's sentence
                assert "NumPy" in before.text, block.attrs["data-cell"]
    [intro] = [p for p in page.find("p") if "PyTorch cannot run inside a browser" in p.text]
    assert "run live" in intro.text and "once NumPy has loaded" in intro.text


def test_the_xor_tip_says_what_lr_0_5_does_on_every_machine_and_how_to_watch_it(page):
    [tip] = [aside for aside in page.find("aside") if "Why the learning rate is 0.2" in aside.text]
    text = " ".join(tip.text.split())  # what test_tensor's lr 0.5 tests assert, in words
    assert "falls for about 70 steps, then jumps back up" in text and "Two machines can tell two different stories" in text
    assert "set learning_rate to 0.5" in text and "(step % 10 for step % 50)" in text  # what the cell shows it with


def test_whats_next_names_module_03_as_plain_text(lesson):
    tail = lesson.body_html[lesson.body_html.index('id="what-s-next"'):]
    assert "Module 03, Tokenization" in tail and "<a " not in tail


def test_the_walkthrough_shows_the_engines_own_source(page):
    import inspect

    from autodiff.value import Value
    shown = {figure.find("figcaption")[0].find("code")[0].text: figure.find("pre")[0].text
             for figure in page.find("figure", class_="engine-source")}
    every_value_op = {f"Value.{name}" for name in ("__init__", "__add__", "__sub__", "__mul__", "__truediv__", "__pow__",
                                                   "__neg__", "tanh", "relu", "exp", "log", "backward")}
    assert every_value_op | {"topo_order", "Tensor.__matmul__", "_unbroadcast"} <= set(shown)
    # The Tensor class as the seed shows it: its fields (grad None, _prev, _op, _backward), shape and zero_grad.
    assert {"Tensor.__init__", "Tensor.shape", "Tensor.zero_grad"} <= set(shown)
    assert all(field in shown["Tensor.__init__"] for field in ("self.grad = None", "self._prev = ()", "self._op",
                                                                "self._backward"))
    assert "self.grad = None" in shown["Tensor.zero_grad"] and "return self.data.shape" in shown["Tensor.shape"]
    assert shown["Value.__mul__"] == textwrap.dedent(inspect.getsource(Value.__mul__)).rstrip("\n")


# The deep-graph bookkeeping (graph.py), the in-place bookkeeping and the node makers: none is part of the lesson.
INTERNALS = ("_reach", "FREE_DEPTH", "LoopFreed", "_serial", "_versions", "_saved", "_record", "node_makers")


def test_the_walkthrough_shows_no_engineering_internals_and_needs_no_note_excusing_them(page):
    shown = {figure.find("figcaption")[0].find("code")[0].text: figure.find("pre")[0].text
             for figure in page.find("figure", class_="engine-source")}
    found = {name: re.findall(r"\b(?:" + "|".join(INTERNALS) + r")\b", code) for name, code in shown.items()}
    assert {name: words for name, words in found.items() if words} == {}
    walkthrough = [aside.text for aside in page.find("aside") if "engineer" in aside.text.lower()]
    assert walkthrough == []


def test_every_engine_listing_fits_79_columns(page):
    # What fits the lesson's column at 1280 px without scrolling (tests/browser checks the pixels).
    wide = {figure.find("figcaption")[0].find("code")[0].text: max(len(line) for line in figure.find("pre")[0].text.split("\n"))
            for figure in page.find("figure", class_="engine-source")}
    assert {name: width for name, width in wide.items() if width > 79} == {}


def test_the_lessons_formulas_use_only_what_browsers_draw(lesson):
    assert re.findall(r'mathvariant="(?!normal")[^"]*"', lesson.body_html) == []
    assert "\U0001D7CF" in lesson.body_html  # the matrix of ones, in bold
    assert "<mo>max</mo>" not in lesson.body_html


def test_cells_say_whether_they_run_live(lesson):
    tree = parse(render_lesson(render.LESSON_DIR, numpy_live=True).body_html)
    for figure in tree.find("figure", class_="cell"):
        expected = {"engine": "true", "numpy": "true", "torch": "false"}[figure.attrs["data-kind"]]
        assert figure.attrs["data-live"] == expected
    static = parse(lesson.body_html).find("figure", class_="cell")
    assert {f.attrs["data-live"] for f in static if f.attrs["data-kind"] == "numpy"} == {"false"}
    assert {f.attrs["data-live"] for f in static if f.attrs["data-kind"] == "engine"} == {"true"}


# The same engine (and NumPy) cells, run by Pyodide's Python (3.12) in Node with the standard library
# trimmed as the page ships it: what the live page prints. Given NumPy's wheel, it is installed first,
# as the page installs it.
PYODIDE_RUNNER = """
import { loadPyodide } from "%(pyodide)s";
import { installInSitePackages } from "%(runtime)s/python.js";
import { unzip } from "%(pagebuild)s/unzip.mjs";
import fs from "fs";
const [cellsFile, pyDir, stdLibURL, wheel] = process.argv.slice(2);
const py = await loadPyodide({ stdLibURL });
if (wheel) installInSitePackages(py, await unzip(new Uint8Array(fs.readFileSync(wheel))));
for (const pkg of ["autodiff", "lesson"]) {
  py.FS.mkdirTree(`/home/pyodide/${pkg}`);
  for (const file of fs.readdirSync(`${pyDir}/${pkg}`).filter((name) => name.endsWith(".py"))) {
    py.FS.writeFile(`/home/pyodide/${pkg}/${file}`, fs.readFileSync(`${pyDir}/${pkg}/${file}`));
  }
}
py.globals.set("cells_json", fs.readFileSync(cellsFile, "utf8"));
console.log(py.runPython(`
import json, sys
sys.path.insert(0, "/home/pyodide")
from lesson.cells import Notebook, as_text
notebook = Notebook()
json.dumps({"version": sys.version_info[:2], "numpy": "numpy" in sys.modules,
            "outputs": {c["id"]: as_text(notebook.run(c["source"], cell_id=c["id"])) for c in json.loads(cells_json)}})
`));
"""


def run_cells_in_pyodide(cells, tmp_path, wheel=None):
    """Run `cells` ([{id, source}]) in one notebook in Pyodide in Node (with NumPy from `wheel`): the JSON report."""
    import shutil
    import subprocess
    pyodide = render.REPO / "node_modules" / "pyodide" / "pyodide.mjs"
    if shutil.which("node") is None or not pyodide.exists():
        pytest.skip("needs node and node_modules/pyodide (npm ci)")
    from pagebuild.stdlib import trim_stdlib
    (tmp_path / "cells.json").write_text(json.dumps(cells), encoding="utf-8")
    runtime = (render.REPO / "web" / "js" / "runtime").as_uri()
    (tmp_path / "run.mjs").write_text(PYODIDE_RUNNER % {"pyodide": pyodide.as_uri(), "runtime": runtime,
                                                        "pagebuild": (render.REPO / "py" / "pagebuild").as_uri()}, encoding="utf-8")
    (tmp_path / "stdlib.zip").write_bytes(trim_stdlib((pyodide.parent / "python_stdlib.zip").read_bytes()))
    done = subprocess.run(["node", tmp_path / "run.mjs", tmp_path / "cells.json", render.REPO / "py", tmp_path / "stdlib.zip",
                           *([wheel] if wheel else [])],
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_engine_cells_print_the_same_in_pyodide_as_at_build_time(page, tmp_path):
    cells = [{"id": c.id, "source": c.source} for c in render.lesson_cells() if c.kind == "engine"]
    live = run_cells_in_pyodide(cells, tmp_path)
    assert live["version"][0] == 3 and live["version"] != [3, 11] and not live["numpy"]  # really Pyodide, no NumPy
    assert len(cells) >= 10
    assert {cell_id: text for cell_id, text in live["outputs"].items() if text != output(page, cell_id)} == {}


@pytest.mark.slow
def test_numpy_cells_print_the_same_in_pyodide_as_at_build_time(page, tmp_path, numpy_wheel):
    """Engine and NumPy cells in page order on Pyodide's NumPy (no BLAS), as the live page runs them, against CPython's."""
    cells = [{"id": c.id, "source": c.source} for c in render.lesson_cells() if c.kind != "torch"]
    live = run_cells_in_pyodide(cells, tmp_path, wheel=numpy_wheel)
    assert live["version"] == [3, 12] and sum(c.kind == "numpy" for c in render.lesson_cells()) == 11
    assert {cell_id: text for cell_id, text in live["outputs"].items() if text != output(page, cell_id)} == {}


# ---- the page's styles: contrast, no outside resources, the layout at 375 px, the theme toggle ----

THEME_CSS = render.REPO / "web" / "css" / "theme.css"
# Text colours and the backgrounds each is drawn on (lesson.css, and the widgets for value/grad/const).
TEXT_ON = {"fg": ["bg", "surface", "surface-strong", "tip-bg", "note-bg"], "fg-muted": ["bg", "surface"],
           "link": ["bg", "tip-bg", "note-bg"], "error-fg": ["surface-strong"], "tip-title": ["tip-bg"],
           "note-title": ["note-bg"], "value": ["bg", "surface"], "grad": ["bg", "surface"], "const": ["bg"],
           "highlight": ["bg"], "bg": ["link"],  # the theme toggle's "on" mark
           **{f"code-{kind}": ["surface"] for kind in
                                   ("keyword", "string", "number", "comment", "function", "class", "builtin", "operator")}}


def contrast(first, second):
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def luminance(colour):
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_keep_wcag_aa_contrast_in_both_themes():
    tokens = {name: (light, dark) for name, light, dark in
              re.findall(r"--([\w-]+):\s*light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\)", THEME_CSS.read_text())}
    assert set(TEXT_ON) <= set(tokens)
    low = {(text, background, theme): round(contrast(tokens[text][theme], tokens[background][theme]), 2)
           for text, backgrounds in TEXT_ON.items() for background in backgrounds for theme in (0, 1)}
    assert {pair: ratio for pair, ratio in low.items() if ratio < 4.5} == {}


def test_styles_load_nothing_from_outside_the_page():
    for name in ("theme.css", "lesson.css"):
        css = (render.REPO / "web" / "css" / name).read_text()
        assert "@import" not in css and "url(" not in css and "@font-face" not in css, name


@pytest.fixture(scope="module")
def chromium(lesson, tmp_path_factory, playwright):
    """The preview page (lesson + theme.css + lesson.css + theme.js) and a way to open it in Chromium."""
    from harness import CHROMIUM, TEST_CHROMIUM_ARGS  # the browser tests' Chromium ($LESSON_CHROMIUM) and flags

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set LESSON_CHROMIUM)")
    preview = tmp_path_factory.mktemp("preview") / "preview.html"
    preview.write_text(render._preview_page(lesson), encoding="utf-8")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=TEST_CHROMIUM_ARGS, headless=True)

    def open_page(width, scheme, height=800):
        """A fresh context (its own storage) in the module's Chromium, at this screen and colour scheme."""
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        page = context.new_page()
        page.goto(preview.as_uri())
        return context, page
    yield open_page
    browser.close()


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_at_375_px_only_code_scrolls_sideways(chromium, scheme):
    context, page = chromium(375, scheme)
    try:
        overflow = page.evaluate("""() => ({
          page: document.documentElement.scrollWidth,
          boxes: [...document.querySelectorAll('.math-display, .table-scroll, .toc, .callout, .widget-figure, .lesson > p')]
                 .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.slice(0, 60)),
          code: [...document.querySelectorAll('pre')].filter((e) => e.scrollWidth > e.clientWidth).length,
          tocOpen: document.querySelector('.toc details').open,
        })""")
    finally:
        context.close()
    assert overflow["page"] == 375 and overflow["boxes"] == []
    assert overflow["code"] > 0  # long code lines scroll inside their own block
    assert overflow["tocOpen"] is False  # the contents start collapsed on a phone


@pytest.mark.slow
def test_theme_follows_the_system_until_the_toggle_pins_it(chromium):
    state = """() => ({theme: document.documentElement.dataset.theme ?? null,
                      pressed: document.getElementById('theme-toggle').getAttribute('aria-pressed'),
                      background: getComputedStyle(document.body).backgroundColor})"""
    context, page = chromium(1280, "dark")
    try:
        assert page.evaluate(state) == {"theme": None, "pressed": "true", "background": "rgb(13, 17, 23)"}
        page.focus("#theme-toggle")
        page.keyboard.press("Enter")
        assert page.evaluate(state) == {"theme": "light", "pressed": "false", "background": "rgb(255, 255, 255)"}
        page.keyboard.press("Space")
        assert page.evaluate(state)["theme"] == "dark"
        page.keyboard.press("Enter")
        page.reload()
        assert page.evaluate(state)["theme"] == "light"  # remembered
        page.emulate_media(color_scheme="dark")
        assert page.evaluate(state)["pressed"] == "false"  # a pinned choice outlasts a system change
    finally:
        context.close()


@pytest.mark.slow
def test_the_theme_toggle_shows_its_state_in_words_and_looks(chromium):
    look = """() => { const button = document.getElementById('theme-toggle');
                      const mark = button.querySelector('.theme-toggle-state');
                      const style = getComputedStyle(mark);
                      return {mark: mark.textContent, hidden: mark.getAttribute('aria-hidden'),
                              fill: style.backgroundColor, border: getComputedStyle(button).borderColor}; }"""
    context, page = chromium(1280, "light")
    try:
        toggle = page.get_by_role("button", name="Dark theme", exact=True)  # the name stays; aria-pressed carries the state
        off = page.evaluate(look)
        assert toggle.get_attribute("aria-pressed") == "false" and (off["mark"], off["hidden"]) == ("off", "true")
        toggle.click()
        on = page.evaluate(look)
        assert toggle.get_attribute("aria-pressed") == "true" and on["mark"] == "on"
        assert on["fill"] != off["fill"] and on["border"] != off["border"]  # a filled mark and a coloured edge
    finally:
        context.close()


@pytest.mark.slow
def test_the_contents_sidebar_fits_the_screen_below_the_header(chromium):
    boxes = """() => { const toc = document.querySelector('.toc').getBoundingClientRect();
                       const header = document.querySelector('.site-header').getBoundingClientRect();
                       return {top: toc.top, bottom: toc.bottom, header: header.bottom, screen: innerHeight,
                               scrolls: document.querySelector('.toc').scrollHeight > toc.height}; }"""
    context, page = chromium(1280, "light", height=900)
    try:
        for scroll in (0, 3000, 20000):
            page.evaluate(f"window.scrollTo(0, {scroll})")
            box = page.evaluate(boxes)
            assert box["top"] >= box["header"] - 1 and box["bottom"] <= box["screen"], (scroll, box)
        assert box["scrolls"]  # the contents are longer than the screen: they scroll inside the sidebar
        page.click(".toc a[href='#summary']")
        page.evaluate("""() => new Promise((done) => {  // the smooth scroll has come to rest: the same for 2 frames
          let last = null;
          const look = () => { if (scrollY === last && scrollY > 0) return done(); last = scrollY; requestAnimationFrame(() => requestAnimationFrame(look)); };
          look(); })""")
        heading = page.evaluate("document.getElementById('summary').getBoundingClientRect().top")
        assert heading >= box["header"]  # an anchor jump does not hide its heading under the header
    finally:
        context.close()


@pytest.mark.slow
@pytest.mark.parametrize("width", [375, 1280])
def test_no_line_starts_with_the_punctuation_after_a_formula(chromium, width):
    context, page = chromium(width, "light")
    try:
        stranded = page.evaluate("""() => {
          const found = [];
          for (const math of document.querySelectorAll('.lesson p math, .lesson li math, .lesson td math')) {
            const next = math.nextSibling;
            if (!next || next.nodeType !== Node.TEXT_NODE || !/^[,.;:)]/.test(next.data)) continue;
            const range = document.createRange();
            range.setStart(next, 0);
            range.setEnd(next, 1);
            const mark = range.getBoundingClientRect(), formula = math.getBoundingClientRect();
            if (mark.left < formula.right - 1) found.push(math.textContent + next.data.slice(0, 10));
          }
          return found;
        }""")
        checked = page.evaluate("document.querySelectorAll('.math-nowrap').length")
    finally:
        context.close()
    assert checked > 20 and stranded == []
