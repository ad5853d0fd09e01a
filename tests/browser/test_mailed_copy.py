"""lesson.html on its own, as someone who was mailed it saves it: a folder of its own, another name
(with a space), nothing beside it. Python still gets ready, a slider runs the engine live, NumPy loads
and a tensor cell runs on it, and the page asks for nothing outside its own file."""

import shutil

import pytest

from harness import TEST_CHROMIUM_ARGS, Guard, launch, python_call, wait_for_numpy, wait_for_python, wait_until
from lesson.widgets import explore
from test_widgets_in_page import drawn_nodes

pytestmark = pytest.mark.timeout(180)


def test_the_lesson_file_alone_works_from_another_folder(playwright, dist, tmp_path):
    saved = tmp_path / "Downloads" / "autograd lesson.html"
    saved.parent.mkdir()
    shutil.copyfile(dist / "lesson.html", saved)
    guard = Guard([saved.as_uri()])  # not even its own folder: only the file itself
    with launch(playwright, TEST_CHROMIUM_ARGS) as context:
        guard.watch(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(saved.as_uri())
        wait_for_python(page)
        widget = page.locator('[data-widget="explore"]')
        widget.scroll_into_view_if_needed()
        widget.get_by_role("slider", name="a", exact=True).fill("-2.5")
        wait_until(page, "(w) => w.dataset.source === 'python' && w.dataset.a === '-2.5' && !w.dataset.busy",
                   widget.element_handle())
        expected = {node["id"]: (node["data"], node["grad"]) for node in explore(a=-2.5, b=3.0)["trace"]["nodes"]}
        assert drawn_nodes(widget) == expected
        wait_for_numpy(page)
        source = "A = Tensor([[1., 2.], [3., 4.]], requires_grad=True)\n(A @ A).sum().backward()\nA.grad.tolist()"
        assert python_call(page, "run_cell", {"source": "from autodiff import Tensor\n" + source})["result"] == \
            "[[7.0, 11.0], [9.0, 13.0]]"
    guard.check()
