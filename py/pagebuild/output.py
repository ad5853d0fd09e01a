"""Replace dist/ as a whole: the build writes a sibling folder, then swaps it in with one rename.

Several people build and run browser tests in one checkout at once: a reader must never see a
half-written page, nor a moment without one. Linux swaps two folders atomically (renameat2 with
RENAME_EXCHANGE); elsewhere two renames leave a gap of microseconds, never a half-written file.
"""

import ctypes
import errno
import os
import shutil
import tempfile
from pathlib import Path

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def staging_folder(dist: Path, beside: Path) -> Path:
    """A new empty folder in `beside` (on dist's file system, so it can be renamed into place)."""
    Path(beside).mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f"{Path(dist).name}-staging-", dir=beside))
    staged.chmod(0o755)  # mkdtemp's folder is private; dist/ is for anyone to read and serve
    return staged


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap the paths `a` and `b` (both must exist); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    done = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if done != 0:
        error = ctypes.get_errno()
        if error in (errno.EINVAL, errno.ENOSYS):  # a file system or kernel without the flag
            return False
        raise OSError(error, os.strerror(error), str(a))
    return True


def swap_in(staged: Path, dist: Path) -> None:
    """Make the folder `staged` be `dist`, then delete what `dist` held before."""
    staged, dist = Path(staged), Path(dist)
    if not dist.exists():
        staged.rename(dist)
        return
    if not exchange(staged, dist):  # no atomic swap here: move the old one aside, then the new one in
        aside = staged.with_name(staged.name + "-old")
        dist.rename(aside)
        staged.rename(dist)
        staged = aside
    shutil.rmtree(staged, ignore_errors=True)  # the old dist/, now under the staging name
