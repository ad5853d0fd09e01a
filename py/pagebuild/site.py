"""The page's content from the other parts of the project: the rendered lesson and the widgets' first-paint state."""

from dataclasses import dataclass

from pagebuild.csp import source_hash


@dataclass
class LessonContent:
    """What the page template needs from the lesson: its title, table of contents, body, the widgets'
    state for the first paint ({widget name: state}), data widgets read from the page's own blocks, each
    placed right after its widget ({widget name: {file name: JSON value}}), and each code cell's output as
    the page shows it ({cell id: text}, for the notebook)."""

    title: str
    toc: str
    body: str
    states: dict
    widget_assets: dict
    outputs: dict


def lesson_content(numpy_live: bool) -> LessonContent:
    """Render the lesson (running its cells on CPython) and compute the widgets' state for the first paint."""
    from lesson import exercises, tasks
    from lesson.widgets import explore_grid, initial_state
    from pagebuild.noscript import with_static_figures
    from pagebuild.render import render_lesson, toc_html

    rendered = render_lesson(numpy_live=numpy_live)
    # The tasks' hints and solutions and the track's order ("task", "task-progress"), the exercises' answer parts.
    state = {**initial_state(), **tasks.initial_state(), "exercise": exercises.initial_state()}
    # The explore grid (every slider setting) is most of the widgets' data and not needed to paint:
    # it has its own block, right after the explore widget, read once it has painted.
    assets = {"explore": {"explore-grid.json": explore_grid()}}
    body = with_static_figures(rendered.body_html, state)  # what a reader with JavaScript off sees in each figure
    return LessonContent(rendered.title, toc_html(rendered.toc), body, state, assets, rendered.outputs)


def index_page(target: str) -> bytes:
    """A page that forwards to `target`, keeping the URL's #fragment (a link too, for when scripts are off)."""
    script = f"location.replace({target!r} + location.hash);"
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src {source_hash(script)}\">\n"
        f"<title>Module 02: Autograd</title><script>{script}</script></head>\n"
        f"<body><p><a href=\"{target}\">Open the lesson</a></p></body></html>\n"
    ).encode("ascii")
