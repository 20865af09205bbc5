"""Tests of heatmap.intake.versions: a write published at once while others read the old version."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from heatmap.intake import versions


def _store(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(?)", [rows])
    con.close()


def _count(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
    finally:
        con.close()


def _append(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO t SELECT range FROM range(?)", [rows])
    con.close()


def test_readers_keep_the_old_version_and_new_readers_see_the_new(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store(db, 3)
    reader = duckdb.connect(str(db), read_only=True)  # open through the whole write
    before = versions.version(db)
    with versions.publishing(db) as draft:
        assert draft != db and draft.exists()
        _append(draft, 2)
        assert _count(db) == 3  # nothing visible before the block ends
    assert reader.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
    reader.close()
    assert _count(db) == 5
    assert versions.version(db) != before
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[:2] == ["s.duckdb", "s.duckdb.publish.lock"] and len(names) == 3
    assert db.is_symlink() and names[2].startswith("s.duckdb.v")  # the version file it names


def test_a_process_that_had_the_old_version_open_gets_the_new_one(tmp_path: Path) -> None:
    """DuckDB keeps one database per file in a process: connecting to the path again must not
    hand back the old version while a connection to it is still open (the server's case)."""
    db = tmp_path / "s.duckdb"
    _store(db, 3)
    old = duckdb.connect(str(db), read_only=True)
    for rows in (2, 4):  # twice: from a plain file, then from a published version
        with versions.publishing(db) as draft:
            _append(draft, rows)
        new = duckdb.connect(str(db), read_only=True)
        assert new.execute("SELECT count(*) FROM t").fetchall() == [(3 + 2 + (rows == 4) * 4,)]
        new.close()
    assert old.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
    old.close()
    assert len(list(tmp_path.glob("s.duckdb.v*"))) == 1  # the first published version is gone


def test_a_failed_write_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store(db, 3)
    before = versions.version(db)
    with pytest.raises(RuntimeError, match="half way"), versions.publishing(db) as draft:
        _append(draft, 2)
        raise RuntimeError("half way")
    assert _count(db) == 3 and versions.version(db) == before
    assert not list(tmp_path.glob("*.draft-*"))


def test_a_dry_run_publishes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store(db, 3)
    before = versions.version(db)
    with versions.publishing(db, publish=False) as draft:
        _append(draft, 2)
    assert _count(db) == 3 and versions.version(db) == before


def test_a_new_store_is_published_when_the_writer_created_it(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    assert versions.version(db) is None
    with versions.publishing(db) as draft:
        assert not draft.exists()
        _store(draft, 4)
    assert _count(db) == 4


def test_two_writers_take_turns_and_neither_write_is_lost(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    _store(db, 0)

    def write() -> None:
        with versions.publishing(db) as draft:
            _append(draft, 1)
            time.sleep(0.2)  # the other writer waits here, or its copy would miss this row

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert _count(db) == 2


def test_a_write_while_another_process_holds_the_store_open(tmp_path: Path) -> None:
    """The case of several server processes: another one keeps a read-only connection open."""
    db = tmp_path / "s.duckdb"
    _store(db, 3)
    holder = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c",
         "import duckdb, sys, time\n"
         f"con = duckdb.connect({str(db)!r}, read_only=True)\n"
         "print(con.execute('SELECT count(*) FROM t').fetchall()[0][0], flush=True)\n"
         "sys.stdin.readline()\n"
         "print(con.execute('SELECT count(*) FROM t').fetchall()[0][0], flush=True)\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "3"
        with pytest.raises(duckdb.IOException):  # why: writing in place is refused meanwhile
            duckdb.connect(str(db))
        with versions.publishing(db) as draft:
            _append(draft, 2)
        assert _count(db) == 5
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "3"  # its run finishes on the old version
    finally:
        holder.kill()
        holder.wait(timeout=10)
