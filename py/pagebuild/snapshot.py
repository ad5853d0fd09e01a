"""Make the Pyodide memory snapshot (in Node, with the lesson imported), cached by the hash of its inputs."""

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

from pagebuild.cache import read_cached, write_cached

MAKER = Path(__file__).with_name("snapshot.mjs")
SHARED_JS = Path(__file__).parents[2] / "web" / "js" / "runtime" / "python.js"


def snapshot_key(pyodide_dir: Path, stdlib: bytes, sources: dict) -> str:
    """A hash of everything the snapshot depends on: Pyodide's wasm and loader, the stdlib, our code, the maker."""
    digest = hashlib.sha256()
    for part in (Path(pyodide_dir, "pyodide.asm.wasm").read_bytes(), Path(pyodide_dir, "pyodide.asm.mjs").read_bytes(),
                 stdlib, json.dumps(sources, sort_keys=True).encode(), MAKER.read_bytes(), SHARED_JS.read_bytes()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:32]


def make_snapshot(pyodide_dir: Path, stdlib: bytes, sources: dict) -> tuple[bytes, dict]:
    """Boot Pyodide in Node with `stdlib`, import the lesson from `sources`; return (snapshot, import failures)."""
    with tempfile.TemporaryDirectory() as tmp:
        stdlib_path, sources_path, out = Path(tmp, "stdlib.zip"), Path(tmp, "sources.json"), Path(tmp, "snapshot.bin")
        stdlib_path.write_bytes(stdlib)
        sources_path.write_text(json.dumps(sources))
        done = subprocess.run(["node", "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", str(MAKER), str(Path(pyodide_dir).resolve()), str(stdlib_path), str(sources_path), str(out)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"making the Pyodide snapshot in Node failed:\n{done.stderr[-3000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        return out.read_bytes(), report["failures"]


def cached_snapshot(cache_dir: Path, pyodide_dir: Path, stdlib: bytes, sources: dict) -> tuple[bytes, dict, bool]:
    """The snapshot for these inputs from `cache_dir`, made (and cached) if absent: (snapshot, failures, was_cached)."""
    entry = Path(cache_dir) / f"snapshot-{snapshot_key(pyodide_dir, stdlib, sources)}"
    snapshot, failures = read_cached(entry.with_suffix(".bin")), read_cached(entry.with_suffix(".json"))
    if snapshot is not None and failures is not None:
        return snapshot, json.loads(failures), True
    snapshot, failures = make_snapshot(pyodide_dir, stdlib, sources)
    write_cached(entry.with_suffix(".bin"), snapshot)
    write_cached(entry.with_suffix(".json"), json.dumps(failures).encode())
    return snapshot, failures, False
