"""Where the repository keeps its boundary sets and its embedded store."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
GEO_DIR = Path(os.environ.get("HEATMAP_GEO", REPO_ROOT / "geo"))
DATA_DIR = REPO_ROOT / "data"
DEFAULT_DB = DATA_DIR / "demo.duckdb"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the store path: the explicit argument, else ``HEATMAP_DB``, else ``data/demo.duckdb``."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("HEATMAP_DB")
    return Path(env) if env else DEFAULT_DB
