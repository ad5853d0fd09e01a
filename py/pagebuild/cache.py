"""The build's cache (build-cache/, git-ignored): files named by a hash of their inputs, pruned when unused."""

import os
import time
from pathlib import Path


def read_cached(path: Path) -> bytes | None:
    """The cached file's bytes, marking it as used by this build; None if it is not cached."""
    if not Path(path).is_file():
        return None
    os.utime(path)  # a file read now survives prune()
    return Path(path).read_bytes()


def write_cached(path: Path, data: bytes) -> None:
    """Store `data` in the cache under `path`, atomically (another build may be reading the cache)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    partial = Path(path).with_name(f".{Path(path).name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(path)


def prune(cache_dir: Path, since: float) -> int:
    """Delete cache files neither read nor written since `since` (a time.time()); return how many."""
    stale = [f for f in Path(cache_dir).glob("*") if f.is_file() and f.stat().st_mtime < since] if Path(cache_dir).is_dir() else []
    for file in stale:
        file.unlink()
    return len(stale)


def now() -> float:
    """The current time, comparable with file modification times; a second early, for coarse file systems."""
    return time.time() - 1
