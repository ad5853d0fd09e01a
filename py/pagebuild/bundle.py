"""Bundle the page's and the worker's JavaScript with esbuild (the pinned one in node_modules)."""

import subprocess
from pathlib import Path

COMMON = ["--bundle", "--minify", "--charset=ascii", "--legal-comments=none", "--log-level=warning"]


def esbuild(root: Path, entry: Path, *options: str) -> str:
    """Run node_modules' esbuild on `entry`; return the bundle's text."""
    binary = root / "node_modules" / ".bin" / "esbuild"
    done = subprocess.run([str(binary), str(entry), *COMMON, *options],
                          cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def page_bundle(root: Path, entry: Path) -> str:
    """The page script: an IIFE run as a classic inline script (d3 comes from node_modules)."""
    return esbuild(root, entry, "--format=iife", "--target=es2022")


def worker_bundle(root: Path, entry: Path) -> str:
    """The worker: one ES module text with Pyodide's loader; Node-only imports stay as never-taken branches."""
    return esbuild(root, entry, "--format=esm", "--target=es2022", "--platform=browser",
                   "--external:node:*", "--external:ws")
