"""Make the Pyodide memory snapshot (in Node, with the lesson imported) and NumPy's block (its wheel's files and
their .pyc files), cached by their inputs' hash."""

import hashlib
import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pagebuild.cache import read_cached, write_cached
from pagebuild.pyodide_edits import EDITED

MAKER = Path(__file__).with_name("snapshot.mjs")
RUNTIME_JS = Path(__file__).parents[2] / "web" / "js" / "runtime"
SHARED_JS = [*(RUNTIME_JS / name for name in ("python.js", "pyodide-internals.js", "memory.js")), MAKER.with_name("unzip.mjs")]


@dataclass
class Snapshot:
    """What the maker made: the snapshot packed as the page carries it, its unpacked size, the lesson's
    import failures ({api name: error}), NumPy's files and .pyc files packed (None without NumPy), and
    the maker's report on NumPy."""

    packed: bytes
    size: int
    failures: dict
    numpy_files: bytes | None
    numpy: dict | None
    cached: bool


def snapshot_key(pyodide_dir: Path, stdlib: bytes, sources: dict, wheel: bytes | None) -> str:
    """A hash of everything the snapshot depends on: Pyodide's wasm and loader (as the build edits it), the stdlib,
    our code, NumPy, the maker."""
    digest = hashlib.sha256()
    for part in (Path(pyodide_dir, "pyodide.asm.wasm").read_bytes(), EDITED.read_bytes(),
                 stdlib, json.dumps(sources, sort_keys=True).encode(), wheel or b"no numpy", MAKER.read_bytes(),
                 *(path.read_bytes() for path in SHARED_JS)):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:32]


def make_snapshot(pyodide_dir: Path, stdlib: bytes, sources: dict, wheel: tuple[str, bytes] | None) -> tuple[bytes, dict, bytes | None]:
    """Boot Pyodide in Node with `stdlib`, import the lesson from `sources` and take the snapshot; then, given
    NumPy's `wheel` (name, bytes), install and import NumPy and compile its .pyc files: (snapshot, report, NumPy's files)."""
    with tempfile.TemporaryDirectory() as tmp:
        stdlib_path, sources_path = Path(tmp, "stdlib.zip"), Path(tmp, "sources.json")
        stdlib_path.write_bytes(stdlib)
        sources_path.write_text(json.dumps(sources))
        wheel_args = []
        if wheel:
            Path(tmp, "wheels").mkdir()
            Path(tmp, "wheels", wheel[0]).write_bytes(wheel[1])
            wheel_args = [str(Path(tmp, "wheels", wheel[0]))]
        done = subprocess.run(["node", "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", str(MAKER), str(Path(pyodide_dir).resolve()),
                               str(stdlib_path), str(sources_path), tmp, *wheel_args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"making the Pyodide snapshot in Node failed:\n{done.stderr[-3000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        numpy = Path(tmp, "numpy.bin").read_bytes() if wheel else None
        return Path(tmp, "snapshot.bin").read_bytes(), report, numpy


def cached_snapshot(cache_dir: Path, pyodide_dir: Path, stdlib: bytes, sources: dict, wheel: tuple[str, bytes] | None) -> Snapshot:
    """The snapshot (and NumPy's block) for these inputs from `cache_dir`, made and cached if absent."""
    entry = Path(cache_dir) / f"snapshot-{snapshot_key(pyodide_dir, stdlib, sources, wheel and wheel[1])}"
    paths = {"snapshot": entry.with_suffix(".bin"), "report": entry.with_suffix(".json"), "numpy": entry.with_suffix(".numpy.bin")}
    cached = {name: read_cached(path) for name, path in paths.items()}
    was_cached = cached["snapshot"] is not None and cached["report"] is not None and (cached["numpy"] is not None or not wheel)
    if was_cached:
        snapshot, report, numpy = cached["snapshot"], json.loads(cached["report"]), cached["numpy"]
    else:
        snapshot, report, numpy = make_snapshot(pyodide_dir, stdlib, sources, wheel)
        write_cached(paths["snapshot"], snapshot)
        write_cached(paths["report"], json.dumps(report).encode())
        if numpy is not None:
            write_cached(paths["numpy"], numpy)
    return Snapshot(snapshot, report["bytes"], report["failures"], numpy if wheel else None, report.get("numpy"), was_cached)
