"""Tests of heatmap.intake.store: schema, version check, appending records, monthly aggregates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import D1, T1, T2, T3, T4, T5, TOWNS, canonical_records

from heatmap.errors import StoreError
from heatmap.intake import store

TABLES = {
    "meta", "records", "towns", "agg_town_month", "agg_cell_month", "agg_town_day", "quarantine",
    "imports", "aliases",
}  # fmt: skip


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def _month_totals(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, int]:
    rows = con.execute(
        f"SELECT strftime(month, '%Y-%m'), sum(accepted) FROM {table} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {m: int(n) for m, n in rows}


# --------------------------------------------------------------------------- schema and version


def test_connect_creates_schema_and_version(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "sub" / "new.duckdb")
    assert _tables(con) == TABLES
    assert store.get_meta(con) == {"schema_version": store.SCHEMA_VERSION}
    assert [c[0] for c in con.execute("DESCRIBE records").fetchall()] == list(store.column_names())
    con.close()


def test_connect_twice_keeps_one_version_row(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store.connect(path).close()
    con = store.connect(path)
    assert con.execute("SELECT count(*) FROM meta").fetchone() == (1,)
    con.close()


def test_read_only_missing_path_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "absent.duckdb"
    with pytest.raises(StoreError, match=re.escape(f"python -m heatmap demo --db {path}")):
        store.connect(path, read_only=True)
    assert not path.exists()


def test_file_without_meta_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    other = duckdb.connect(str(path))
    other.execute("CREATE TABLE t (x INTEGER)")
    other.close()
    with pytest.raises(StoreError, match="no meta table"):
        store.connect(path, read_only=True)


@pytest.mark.parametrize("version", ["1", "0"])
def test_other_schema_version_is_rejected(tmp_path: Path, version: str) -> None:
    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [version])
    con.close()
    with pytest.raises(StoreError, match=f"结构版本为 {version}.*schema version mismatch"):
        store.connect(path, read_only=True)


def test_version_2_store_is_migrated_with_its_records(tmp_path: Path) -> None:
    """A store of schema 2 (no raw names, no aliases) opens: columns added, records kept."""
    path = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    added_later = ("assign_note", "town_raw", "district_raw", "category_path", "community")
    columns = [(n, k) for n, k, _ in store.RECORD_COLUMNS if n not in added_later]
    con.execute(f"CREATE TABLE records ({', '.join(f'{n} {k}' for n, k in columns)})")
    con.execute(
        "INSERT INTO records (record_id, town_code, received_at, month, dispatched, responded,"
        " evaluated, resolved, satisfied, assign_method, content_hash, source) VALUES ('A1',"
        " '110108001', '2020-03-05 10:00', '2020-03-01', true, false, false, false, false,"
        " 'code', 1, 'v2')"
    )
    con.close()
    reader = store.connect(path, read_only=True)
    assert store.get_meta(reader)["schema_version"] == store.SCHEMA_VERSION
    rows = reader.execute(
        "SELECT record_id, town_code, town_raw, district_raw FROM records"
    ).fetchall()
    assert rows == [("A1", "110108001", None, None)]
    assert "aliases" in _tables(reader)
    days = reader.execute("SELECT day, town_code, accepted, dispatched FROM agg_town_day")
    assert days.fetchall() == [(date(2020, 3, 5), "110108001", 1, 1)]
    reader.close()


def test_version_3_store_gets_its_daily_aggregate(tmp_path: Path) -> None:
    """A store of schema 3 (no agg_town_day) opened read-only: the table is built from records.

    Hand counts (every fixture record is received on the 10th): 2020-03-10 T1 4 accepted / 2
    dispatched, T2 1/1, T3 4/4, T5 3/3, no town 1/1; 2020-02-10 T1 4/4, T2 1/1, T3 2/2.
    """
    path = tmp_path / "v3.duckdb"
    con = store.connect(path)
    store.replace_towns(con, TOWNS)
    store.append_records(con, canonical_records())
    store.refresh_aggregates(con)
    con.execute("DROP TABLE agg_town_day")
    for column in ("category_path", "community"):  # (added in schema 5)
        con.execute(f"ALTER TABLE records DROP COLUMN {column}")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    reader = store.connect(path, read_only=True)
    rows = reader.execute(
        "SELECT day, town_code, accepted, dispatched FROM agg_town_day"
        " WHERE day >= DATE '2020-02-01' ORDER BY day, town_code NULLS LAST"
    ).fetchall()
    feb, march = date(2020, 2, 10), date(2020, 3, 10)
    assert rows == [
        (feb, T1, 4, 4), (feb, T2, 1, 1), (feb, T3, 2, 2),
        (march, T1, 4, 2), (march, T2, 1, 1), (march, T3, 4, 4), (march, T5, 3, 3),
        (march, None, 1, 1),
    ]  # fmt: skip
    reader.close()


def test_meta_round_trip(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "m.duckdb")
    store.set_meta(con, seed=7, synthetic=True, vintage="演示")
    store.set_meta(con, seed=8)
    assert store.get_meta(con) == {
        "schema_version": store.SCHEMA_VERSION,
        "seed": 8,
        "synthetic": True,
        "vintage": "演示",
    }
    con.close()


# --------------------------------------------------------------------------- towns and records


def test_replace_towns_replaces(tiny_store: duckdb.DuckDBPyConnection) -> None:
    store.replace_towns(tiny_store, TOWNS.iloc[:2].drop(columns="population"))
    rows = tiny_store.execute("SELECT town_code, population FROM towns ORDER BY 1").fetchall()
    assert rows == [(T1, None), (T2, None)]


def test_append_records_counts(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = canonical_records()
    store.append_records(tiny_store, frame[frame.columns[::-1]].iloc[:3])  # any column order
    assert store.record_count(tiny_store) == 25


def test_append_records_right_after_connect(tmp_path: Path) -> None:
    # connect() reads the schema version; the connection must be ready for more work after it
    con = store.connect(tmp_path / "fresh.duckdb")
    store.append_records(con, canonical_records())
    assert store.record_count(con) == 22
    con.close()


@pytest.mark.parametrize("drop", [["h3"], ["source", "assign_method"]])
def test_append_records_rejects_missing_columns(
    tiny_store: duckdb.DuckDBPyConnection, drop: list[str]
) -> None:
    frame = canonical_records().drop(columns=drop)
    with pytest.raises(StoreError, match=re.escape(f"{sorted(drop)}") + ".*lack canonical columns"):
        store.append_records(tiny_store, frame)
    assert store.record_count(tiny_store) == 22


# --------------------------------------------------------------------------- aggregates

# 2020-03 by town: accepted, dispatched, responded, evaluated, resolved, satisfied (see conftest)
HAND_COUNTS_2020_03 = {
    T1: (4, 2, 2, 2, 1, 1),
    T2: (1, 1, 0, 0, 0, 0),
    T3: (4, 4, 3, 2, 2, 1),
    T5: (3, 3, 3, 2, 1, 2),
    None: (1, 1, 0, 0, 0, 0),
}


def test_aggregate_counts_equal_hand_counts(tiny_store: duckdb.DuckDBPyConnection) -> None:
    rows = tiny_store.execute(
        """SELECT town_code, sum(accepted), sum(dispatched), sum(responded), sum(evaluated),
                  sum(resolved), sum(satisfied)
           FROM agg_town_month WHERE month = DATE '2020-03-01' GROUP BY town_code"""
    ).fetchall()
    assert {r[0]: tuple(int(v) for v in r[1:]) for r in rows} == HAND_COUNTS_2020_03
    assert T4 not in {r[0] for r in rows}


def test_aggregate_groups_by_problem(tiny_store: duckdb.DuckDBPyConnection) -> None:
    rows = tiny_store.execute(
        """SELECT theme, problem, accepted, dispatched FROM agg_town_month
           WHERE month = DATE '2020-03-01' AND town_code = ? ORDER BY problem""",
        [T3],
    ).fetchall()
    assert rows == [
        ("交通", "停车难", 1, 1),
        ("环境", "噪声扰民", 2, 2),
        ("住房", "物业服务", 1, 1),
    ]


def test_records_without_h3_are_not_in_cell_aggregate(
    tiny_store: duckdb.DuckDBPyConnection,
) -> None:
    # r03, r05, r09, r13 (2020-03) and r17 (2020-02) have no point
    assert _month_totals(tiny_store, "agg_cell_month") == {
        "2019-03": 1,
        "2019-06": 1,
        "2020-02": 6,
        "2020-03": 9,
    }
    assert tiny_store.execute(
        "SELECT count(*) FROM agg_cell_month WHERE h3 IS NULL"
    ).fetchone() == (0,)
    row = tiny_store.execute(
        "SELECT sum(dispatched) FROM agg_cell_month WHERE month = DATE '2020-03-01'"
    ).fetchone()
    assert row == (8,)


def test_refresh_one_month_leaves_the_others(tiny_store: duckdb.DuckDBPyConnection) -> None:
    before = _month_totals(tiny_store, "agg_town_month")
    assert before == {"2019-03": 1, "2019-06": 1, "2020-02": 7, "2020-03": 13}
    tiny_store.execute("DELETE FROM records WHERE month >= DATE '2020-02-01'")

    store.refresh_aggregates(tiny_store, ["2020-02"])

    assert _month_totals(tiny_store, "agg_town_month") == {
        "2019-03": 1,
        "2019-06": 1,
        "2020-03": 13,  # not rebuilt: its records are gone but its aggregate stays
    }
    assert _month_totals(tiny_store, "agg_cell_month") == {"2019-03": 1, "2019-06": 1, "2020-03": 9}


def test_refresh_one_month_picks_up_new_records(tiny_store: duckdb.DuckDBPyConnection) -> None:
    extra = canonical_records([("r90", "2019-06", T2, "停车难", "10000", "P2")])
    store.append_records(tiny_store, extra)
    store.refresh_aggregates(tiny_store, ["2019-06"])
    rows = tiny_store.execute(
        """SELECT town_code, accepted, dispatched FROM agg_town_month
           WHERE month = DATE '2019-06-01' ORDER BY town_code"""
    ).fetchall()
    assert rows == [(T1, 1, 1), (T2, 1, 1)]
    assert _month_totals(tiny_store, "agg_town_month")["2020-03"] == 13


def test_refresh_no_months_changes_nothing(tiny_store: duckdb.DuckDBPyConnection) -> None:
    tiny_store.execute("DELETE FROM records")
    store.refresh_aggregates(tiny_store, [])
    assert sum(_month_totals(tiny_store, "agg_town_month").values()) == 22


def test_refresh_all_months_rebuilds_everything(tiny_store: duckdb.DuckDBPyConnection) -> None:
    tiny_store.execute("DELETE FROM records WHERE town_code = ?", [T1])
    store.refresh_aggregates(tiny_store)
    assert _month_totals(tiny_store, "agg_town_month") == {"2020-02": 3, "2020-03": 9}
    row = tiny_store.execute(
        "SELECT count(*) FROM agg_town_month WHERE district_code = ?", [D1]
    ).fetchone()
    assert row == (2,)  # T2: 停车难 in 2020-03, 物业服务 in 2020-02


def test_version_4_store_gains_category_path_and_community(tmp_path: Path) -> None:
    """A store of schema 4 opens read-only: the two columns added (NULL), every record kept."""
    path = tmp_path / "v4.duckdb"
    con = store.connect(path)
    store.replace_towns(con, TOWNS)
    store.append_records(con, canonical_records())
    count = store.record_count(con)
    for column in ("category_path", "community"):
        con.execute(f"ALTER TABLE records DROP COLUMN {column}")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.close()
    reader = store.connect(path, read_only=True)
    assert store.get_meta(reader)["schema_version"] == store.SCHEMA_VERSION == 5
    assert [c[0] for c in reader.execute("DESCRIBE records").fetchall()] == list(
        store.column_names()
    )
    nulls = reader.execute(
        "SELECT count(*) FROM records WHERE category_path IS NULL AND community IS NULL"
    ).fetchall()
    assert nulls == [(count,)]
    reader.close()
