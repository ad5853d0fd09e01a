"""Record what the lesson's PyTorch cells print, with real PyTorch: `python -m pagebuild.record_torch`.

PyTorch cannot run in the browser and the build does not need it installed: the page shows the
outputs recorded here (in the lesson folder's torch_outputs.json), each tied to a hash of its
cell's source, and the build refuses a PyTorch cell whose source changed since it was recorded.
Each PyTorch cell runs on its own, in a fresh namespace, so its record depends only on its source.
"""

import argparse
import json
from pathlib import Path

from lesson.cells import Notebook, as_text
from pagebuild.render import LESSON_DIR, TORCH_OUTPUTS, LessonError, check_outcome, lesson_cells, source_hash


def record(lesson_dir=LESSON_DIR):
    """Run every PyTorch cell of the lesson and write their outputs; return the file written."""
    try:
        import torch
    except ImportError:
        raise SystemExit("PyTorch is not installed here: pip install -r requirements/torch.txt, then run this again") from None
    cells = {}
    for cell in lesson_cells(lesson_dir):
        if cell.kind != "torch":
            continue
        if cell.id in cells:
            raise LessonError(f"{cell.where}: cell id {cell.id!r} is used twice")
        run = Notebook().run(cell.source, cell_id=cell.id)
        error_type = run["error"]["type"] if run["error"] else None
        check_outcome(cell, error_type, as_text(run))
        cells[cell.id] = {"sha256": source_hash(cell.source), "error": error_type, "output": as_text(run)}
    path = Path(lesson_dir) / TORCH_OUTPUTS
    recorded = {"torch_version": torch.__version__, "cells": cells}
    path.write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv=None):
    """Record the PyTorch cells' outputs of the lesson in --lesson (default: web/lesson)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--lesson", type=Path, default=LESSON_DIR, help="the lesson's Markdown folder")
    args = parser.parse_args(argv)
    path = record(args.lesson)
    print(f"recorded {len(json.loads(path.read_text(encoding='utf-8'))['cells'])} PyTorch cells in {path}")


if __name__ == "__main__":
    main()
