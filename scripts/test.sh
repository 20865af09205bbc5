#!/usr/bin/env bash
# Run the whole test suite: lint (ruff), types (mypy), unit tests, one AppTest per page, and the
# headless-Chromium tests of the running app. Installs what it needs: the pinned dev requirements
# into .venv and, when missing, Debian's chromium, a CJK font and the PostgreSQL server binaries
# (apt, as root); the PostgreSQL tests start their own server on loopback and stop it, and
# haproxy for tests/test_serve.py (two workers behind the proxy on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
source scripts/_postgres.sh
source scripts/_haproxy.sh
ensure_venv requirements-dev.txt
ensure_browser
ensure_postgres  # server binaries; tests/supervision starts and stops its own server on loopback
ensure_haproxy  # the proxy of scripts/serve.sh; tests/test_serve.py starts two workers behind it
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -q "$@"
