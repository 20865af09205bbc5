#!/usr/bin/env bash
# Run the dashboard on the embedded demo store.
# Creates .venv and installs the pinned requirements on first use; the app builds the demo store
# (data/demo.duckdb, ~15 s) on its first run, with a progress bar. Then open http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements.txt
exec .venv/bin/streamlit run app.py --server.port "${PORT:-8501}" "$@"
