#!/usr/bin/env bash
# Refresh the pinned Python dependencies (exact versions with sha256 hashes) from pyproject.toml:
#   bash requirements/lock.sh            (needs uv: pip install uv)
# build.txt: what `python build.py` needs; dev.txt: that plus the tests and benchmarks, at the same versions;
# torch.txt: the optional PyTorch reference (its CPU wheel for CPython 3.11, found in $TORCH_WHEELS).
set -euo pipefail
cd "$(dirname "$0")/.."
compile() { uv pip compile --quiet --generate-hashes --universal --no-header "$@"; }
compile pyproject.toml --extra build -o requirements/build.txt
compile pyproject.toml --extra build --extra test --extra bench -c requirements/build.txt -o requirements/dev.txt
echo "torch==2.13.0" | uv pip compile --quiet --generate-hashes --no-header --python-version 3.11 \
  --find-links "${TORCH_WHEELS:-/opt/wheels}" -c requirements/dev.txt - -o requirements/torch.txt
