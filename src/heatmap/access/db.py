"""The access file beside a store: SQLite in WAL mode, holding accounts, the audit trail and policy."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from heatmap.paths import private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    districts TEXT NOT NULL DEFAULT '',
    towns TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT 'ok',
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL DEFAULT '',
    hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
%TRIGGERS%CREATE TABLE IF NOT EXISTS unknown_names (
    name TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS policy (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    updated_by TEXT NOT NULL
);
"""
_NO_UPDATE = """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;"""
_NO_DELETE = """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;"""
SCHEMA = SCHEMA.replace("%TRIGGERS%", f"{_NO_UPDATE}\n{_NO_DELETE}\n")

#: The audit columns a row's hash covers, in order (with the previous row's hash before them).
HASHED = ("id", "at", "user", "role", "action", "target", "scope", "outcome", "detail")


def row_hash(prev_hash: str, row: Sequence[Any]) -> str:
    """SHA-256 of the previous row's hash and this row's :data:`HASHED` values (hex).

    Each audit row stores it (``hash``) and the previous row's (``prev_hash``): a row deleted,
    altered or inserted afterwards breaks the chain (``python -m heatmap audit verify``).
    """
    values = [prev_hash, *[repr(float(v)) if isinstance(v, float) else v for v in row]]
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def access_path(store: str | os.PathLike[str]) -> Path:
    """The access file of a store: ``data/real.duckdb`` -> ``data/real.access.sqlite``."""
    return Path(store).with_suffix(".access.sqlite")


@contextmanager
def connect(store: str | os.PathLike[str], *, read: bool = False) -> Iterator[sqlite3.Connection]:
    """A short-lived connection to the store's access file (created on first use), committed on exit.

    WAL mode and a busy timeout let several server processes and the command line write at once.
    ``read=True`` for a transaction that only reads (the policy, read on every page run): it takes
    no write lock, so it neither waits for a writer nor makes one wait (with several server
    processes under load, every run queueing on the write lock timed out: "database is locked").
    """
    path = private_file(access_path(store))  # 0600: password hashes and the audit trail
    con = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA busy_timeout=10000")
        con.executescript(SCHEMA)
        con.execute("BEGIN" if read else "BEGIN IMMEDIATE")
        try:
            _chain_old_rows(con)
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


def _chain_old_rows(con: sqlite3.Connection) -> None:
    """Migration of an access file from before the hash chain: add the columns and chain the
    rows it holds, once, inside the caller's transaction (the triggers are lifted for it)."""
    columns = {row[1] for row in con.execute("PRAGMA table_info(audit)")}
    if "hash" in columns:
        last = con.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        if last is None or last[0]:
            return  # chained (checked on the last row only: every connection runs this)
    if "hash" not in columns:
        con.execute("ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''")
        con.execute("ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT ''")
    con.execute("DROP TRIGGER IF EXISTS audit_no_update")
    prev = ""
    rows = con.execute(f"SELECT {', '.join(HASHED)}, hash FROM audit ORDER BY id").fetchall()
    for row in rows:
        if row[-1]:  # chained already (a file migrated before a later unchained write)
            prev = row[-1]
            continue
        digest = row_hash(prev, row[:-1])
        con.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [prev, digest, row[0]])
        prev = digest
    con.execute(_NO_UPDATE)
