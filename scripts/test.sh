#!/usr/bin/env bash
# Run the whole test suite: lint (ruff), types (mypy), unit tests, one AppTest per page, and the
# headless-Chromium test of the running app. Installs what it needs: the pinned dev requirements
# into .venv and, when missing, Debian's chromium and a CJK font (apt, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements-dev.txt
ensure_browser
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
