#!/usr/bin/env bash
# Creates interop/.venv (ignored by git) with the pinned Python references.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q -r requirements.txt
