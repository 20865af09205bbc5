"""The access file: a read takes no write lock, so page runs do not queue behind a writer."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from heatmap.access import accounts, policy
from heatmap.access.db import access_path, connect


def test_reads_go_on_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    accounts.add_user(db, "chaoyang", "correct-horse-9", role="district", districts=("110105",))
    writer = sqlite3.connect(access_path(db), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # e.g. a sign-in verifying a password hash
    try:
        started = time.perf_counter()
        assert policy.load(db, env={})["auth"]  # every page run reads the policy
        assert accounts.has_users(db)
        with connect(db, read=True) as con:
            assert con.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
        assert time.perf_counter() - started < 5  # not the 10 s busy timeout
    finally:
        writer.execute("ROLLBACK")
        writer.close()
