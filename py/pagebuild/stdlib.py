"""Trim Pyodide's `python_stdlib.zip` to what boots Python, Pyodide and the lesson, plus modules learners use."""

import io
import zipfile

# Imported while Pyodide 0.27.7 boots and the lesson imports (measured: sys.modules after a plain
# loadPyodide in Node and `import lesson.api`), and what Pyodide's own modules may import later.
NEEDED_TO_BOOT = {
    "_collections_abc", "_compression", "_pyodide", "_sitebuiltins", "_sysconfigdata__emscripten_wasm32-emscripten",
    "_weakrefset", "abc", "ast", "asyncio", "bisect", "bz2", "codecs", "collections", "concurrent", "contextlib",
    "contextvars", "copy", "copyreg", "dataclasses", "dis", "encodings", "enum", "fnmatch", "functools",
    "genericpath", "glob", "heapq", "importlib", "inspect", "io", "ipaddress", "json", "keyword", "linecache",
    "locale", "logging", "ntpath", "numbers", "opcode", "operator", "os", "pathlib", "posixpath", "pyodide",
    "random", "re", "reprlib", "selectors", "shutil", "signal", "site", "socket", "stat", "string", "struct",
    "subprocess", "sysconfig", "tempfile", "textwrap", "threading", "token", "tokenize", "traceback", "types",
    "typing", "urllib", "warnings", "weakref", "zipfile", "zipimport", "site-packages",
}
# Imported by `import numpy` and by numpy.random's seeding (secrets, hmac, base64), measured likewise;
# py_compile makes NumPy's .pyc files at build time.
FOR_NUMPY = {"__future__", "_compat_pickle", "base64", "ctypes", "hmac", "pickle", "platform", "py_compile", "secrets"}
# What a learner editing a cell may reasonably import, and what the lesson's own code uses (tracemalloc: to
# measure what a graph keeps, as the memory section discusses).
FOR_LEARNERS = {
    "calendar", "datetime", "_pydatetime", "_pydecimal", "_pylong", "decimal", "fractions", "pprint", "statistics", "timeit",
    "difflib", "graphlib", "hashlib", "colorsys", "_strptime", "queue", "tracemalloc",
}
# Codecs Python needs to start and to read source files; the other ~120 codecs are dropped.
ENCODINGS = {
    "__init__", "aliases", "utf_8", "utf_8_sig", "ascii", "latin_1", "utf_16", "utf_16_le",
    "utf_16_be", "utf_32", "unicode_escape", "raw_unicode_escape", "cp1252", "idna", "punycode",
}
KEEP = NEEDED_TO_BOOT | FOR_NUMPY | FOR_LEARNERS


def keeps(path: str) -> bool:
    """Whether the stdlib zip entry at `path` is kept: a kept top-level module or package, minus spare codecs."""
    top, _, rest = path.partition("/")
    module = top.removesuffix(".py")
    if module not in KEEP:
        return False
    if module == "encodings" and rest:
        return rest.removesuffix(".py") in ENCODINGS
    return True


def trim_stdlib(zip_bytes: bytes) -> bytes:
    """Return a new zip holding only the kept entries, each deflated (Python inflates only what it imports)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if keeps(info.filename):
                kept = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                kept.external_attr = info.external_attr
                dst.writestr(kept, src.read(info), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()
