"""Run `npm ci` when node_modules is missing or does not match package-lock.json."""

import json
import subprocess
from pathlib import Path


def npm_packages_stale(root: Path) -> list[str]:
    """Packages whose installed version differs from package-lock.json (all of them if nothing is installed)."""
    wanted = json.loads((root / "package-lock.json").read_text())["packages"]
    installed_lock = root / "node_modules" / ".package-lock.json"  # npm's record of what it installed
    installed = json.loads(installed_lock.read_text())["packages"] if installed_lock.is_file() else {}
    # Optional packages for other platforms (esbuild's other binaries) are rightly never installed.
    return sorted(path for path, entry in wanted.items()
                  if path and installed.get(path, {}).get("version") != entry.get("version")
                  and not (entry.get("optional") and path not in installed))


def ensure_node_modules(root: Path) -> str:
    """Run `npm ci` if needed; return what was done, for the build log."""
    stale = npm_packages_stale(root)
    if not stale:
        return "node_modules matches package-lock.json"
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
    return f"npm ci ({len(stale)} packages were missing or stale, e.g. {stale[0]})"
