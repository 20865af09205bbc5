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


#: Files beside a SQLite database that hold its data too (write-ahead log, shared memory).
_SQLITE_SIDES = ("-wal", "-shm", "-journal")


def private_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` readable and writable by its owner alone (0600), or make it so.

    For the access file (password hashes, the audit trail) and the workbench's SQLite file:
    created with mode 0600 before SQLite opens it (SQLite gives its ``-wal`` and ``-shm`` files
    the database's mode), and an existing file, or its ``-wal``/``-shm``, with any group or
    other permission is narrowed to 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for file in (path, *(Path(f"{path}{side}") for side in _SQLITE_SIDES)):
        try:
            if file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)
        except FileNotFoundError:
            continue
    return path
