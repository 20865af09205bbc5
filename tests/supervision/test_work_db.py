"""The workbench database: where it is, the rules the database enforces, and why not DuckDB."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from heatmap.errors import StoreError
from heatmap.supervision import db
from heatmap.supervision import work as w
from heatmap.supervision.db import WorkStore, locate, transaction, work_path

PG = "postgresql://app:secret@db.internal:5432/heatmap"


def test_the_file_sits_beside_the_store_unless_a_url_is_configured(tmp_path):
    store = tmp_path / "real.duckdb"
    assert work_path(store) == tmp_path / "real.work.sqlite"
    assert locate(store, env={}) == WorkStore("sqlite", str(tmp_path / "real.work.sqlite"))
    assert locate(store, env={"HEATMAP_WORK_DB": PG}) == WorkStore("postgresql", PG)
    assert (
        locate(store, url="postgres://h/db", env={"HEATMAP_WORK_DB": PG}).target
        == "postgres://h/db"
    )
    assert (
        locate(store, env={"HEATMAP_WORK_DB": "sqlite:////srv/work.sqlite"}).target
        == "/srv/work.sqlite"
    )
    assert WorkStore("postgresql", PG).describe() == "postgresql://app:***@db.internal:5432/heatmap"


def test_an_unknown_url_scheme_is_refused_with_the_expected_forms(tmp_path):
    with pytest.raises(
        StoreError, match=r"HEATMAP_WORK_DB 的值 'mysql':// 无法识别：应为 postgresql://"
    ):
        locate(tmp_path / "s.duckdb", env={"HEATMAP_WORK_DB": "mysql://root:pw@h/db"})


def test_sqlite_file_is_in_wal_mode(tmp_path):
    where = locate(tmp_path / "real.duckdb", env={})
    with transaction(where) as con:
        w.add_entry(
            con, town_code="110101001", spell_start="2026-09", kind="item", title="x", by="a"
        )
    with sqlite3.connect(where.target) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize(
    ("statement", "rule"),
    [
        ("UPDATE entry_history SET changed_by = 'mallory'", "entry_history is append-only"),
        ("DELETE FROM entry_history", "entry_history is append-only"),
        ("DELETE FROM entries", r"entries are deleted softly \(deleted = 1\), never removed"),
        ("UPDATE entries SET title = 'quiet'", "raises its version by one and keeps its identity"),
        ("UPDATE entries SET version = version + 2", "raises its version by one"),
        ("UPDATE entries SET town_code = '1', version = version + 1", "keeps its identity"),
    ],
)
def test_the_database_refuses_to_rewrite_history_or_remove_an_entry(work, statement, rule):
    with transaction(work) as con:
        e = w.add_entry(
            con, town_code="110101001", spell_start="2026-09", kind="item", title="x", by="a"
        )
    with pytest.raises(Exception, match=rule), transaction(work) as con:  # noqa: B017 (sqlite3 or psycopg)
        con.execute(statement)
    with transaction(work, write=False) as con:
        assert w.get_entry(con, e.id) == e
        assert [(c.version, c.changed_by) for c in w.history(con, e.id)] == [(1, "a")]


def test_postgresql_refuses_truncate_too(work):
    if work.dialect != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    for table in ("entry_history", "entries"):
        with pytest.raises(Exception, match="append-only|never removed"), transaction(work) as con:  # noqa: B017
            con.execute(f"TRUNCATE {table} CASCADE")


def test_a_schema_of_another_version_is_refused(tmp_path, monkeypatch):
    where = locate(tmp_path / "real.duckdb", env={})
    with transaction(where, write=False):
        pass
    with sqlite3.connect(where.target) as raw:
        raw.execute("UPDATE work_meta SET value = '9' WHERE name = 'schema'")
    monkeypatch.setattr(db, "_READY", set())  # as a new server process would
    with pytest.raises(StoreError, match="结构版本为 9，本程序需要 1"), transaction(where):
        pass


def test_a_writer_that_cannot_get_the_lock_in_time_is_told_so(tmp_path, monkeypatch):
    where = locate(tmp_path / "real.duckdb", env={})
    with transaction(where, write=False):
        pass
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(where.target, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match=r"SQLite（real.work.sqlite） 忙：0.2 秒内未能取得写锁.*请稍后再试"), transaction(where):  # fmt: skip
            pass
        with transaction(where, write=False) as con:  # readers are not blocked by a writer (WAL)
            assert w.list_entries(con) == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_an_unreachable_postgresql_is_named_without_its_password():
    pytest.importorskip("psycopg")
    where = WorkStore("postgresql", "postgresql://app:secret@127.0.0.1:1/heatmap")
    expected = r"无法连接督导工作台数据库 PostgreSQL："
    with pytest.raises(StoreError, match=expected) as caught, transaction(where):
        pass
    assert "secret" not in str(caught.value)


def test_duckdb_locks_a_file_against_any_second_process(tmp_path):
    """Why the workbench is not in DuckDB: while one process writes, no other may even read."""
    path = tmp_path / "store.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(path)!r})
            con.execute("CREATE TABLE t (x INTEGER)")
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(duckdb.IOException, match="Could not set lock on file"):
            duckdb.connect(str(path))
        with pytest.raises(duckdb.IOException, match="Could not set lock on file"):
            duckdb.connect(str(path), read_only=True)
    finally:
        holder.communicate("", timeout=30)
    assert Path(path).exists()
