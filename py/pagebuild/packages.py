"""Optional Pyodide packages (NumPy) taken from a local folder, verified against `pyodide-lock.json`."""

import hashlib
from pathlib import Path


class PackageError(Exception):
    """A package the build was asked to bundle is missing or is not the file the lock file names."""


def lock_entry(lock: dict, name: str) -> dict:
    """The lock file's record of package `name`."""
    try:
        return lock["packages"][name]
    except KeyError:
        raise PackageError(f"pyodide-lock.json has no package named {name!r}") from None


def verified_wheel(folder: Path, lock: dict, name: str) -> tuple[str, bytes]:
    """Read package `name`'s wheel from `folder`; refuse it unless its sha256 is the lock file's."""
    entry = lock_entry(lock, name)
    path = Path(folder) / entry["file_name"]
    if not path.is_file():
        raise PackageError(f"{path} not found: --pyodide-packages must hold {entry['file_name']} "
                           f"(Pyodide's full distribution of the same version)")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"]:
        raise PackageError(f"{path} has sha256 {digest}, but pyodide-lock.json expects "
                           f"{entry['sha256']}: refusing a wheel that is not the one Pyodide was built with")
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
