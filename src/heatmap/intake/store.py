"""The embedded DuckDB store: canonical complaint records, monthly aggregates, and metadata."""

from __future__ import annotations

import json
import os
import queue
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from heatmap.errors import StoreError

SCHEMA_VERSION = 5

#: Canonical record layout: (column, DuckDB type, meaning). The README's data model is this table.
RECORD_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("record_id", "VARCHAR NOT NULL", "工单编号, unique key"),
    ("received_at", "TIMESTAMP NOT NULL", "受理时间 (Beijing local time)"),
    ("month", "DATE NOT NULL", "first day of the received month"),
    ("channel", "VARCHAR", "来电渠道 (phone, web, WeChat, app …)"),
    ("request_type", "VARCHAR", "诉求类型: 咨询/求助/投诉/举报/建议"),
    ("theme", "VARCHAR", "主题 (taxonomy theme)"),
    ("problem", "VARCHAR", "问题 (taxonomy problem; 其他 when unclassified)"),
    ("text", "VARCHAR", "诉求内容 (free text, personal data removed)"),
    ("district_code", "VARCHAR", "所属区 6-digit code"),
    ("district_name", "VARCHAR", "所属区 name"),
    ("town_code", "VARCHAR", "街乡镇 9-digit code (NULL when unassigned)"),
    ("town_name", "VARCHAR", "街乡镇 official name"),
    ("address", "VARCHAR", "详细地址"),
    ("lon", "DOUBLE", "longitude, WGS84 (converted)"),
    ("lat", "DOUBLE", "latitude, WGS84 (converted)"),
    ("src_crs", "VARCHAR", "coordinate system of the source: wgs84 / gcj02 / bd09 / NULL"),
    ("dispatched", "BOOLEAN NOT NULL", "派单: handed to a unit"),
    ("responded", "BOOLEAN NOT NULL", "响应: unit responded in time"),
    ("evaluated", "BOOLEAN NOT NULL", "回访: caller reached in the callback survey"),
    ("resolved", "BOOLEAN NOT NULL", "解决 (of evaluated)"),
    ("satisfied", "BOOLEAN NOT NULL", "满意 (of evaluated)"),
    (
        "assign_method",
        "VARCHAR NOT NULL",
        "how the town was assigned: code / name / alias / address / text / unit / point /"
        " ambiguous / none",
    ),
    (
        "assign_note",
        "VARCHAR",
        "why a record has no town, or what was decided (ambiguous, outside …)",
    ),
    ("town_raw", "VARCHAR", "街乡镇 as written in the export (for aliases added later)"),
    ("district_raw", "VARCHAR", "所属区 as written in the export"),
    (
        "point_town_code",
        "VARCHAR",
        "town of the point where it disagrees with the assigned town (flag)",
    ),
    ("h3", "UBIGINT", "H3 cell of the point at the store's density resolution"),
    ("content_hash", "UBIGINT NOT NULL", "hash of the record's content: a re-import adds nothing"),
    ("source", "VARCHAR NOT NULL", "file or generator the record came from"),
    (
        "category_path",
        "VARCHAR",
        "the platform's category path as exported (一级>二级>三级 or 问题分类), personal data masked",
    ),
    ("community", "VARCHAR", "社区/村 as written in the export (所在村社区), personal data masked"),
)

#: Columns a producer of records may leave out (NULL): only the import knows raw names.
OPTIONAL_COLUMNS = ("assign_note", "town_raw", "district_raw", "category_path", "community")

_COUNTS = ("accepted", "dispatched", "responded", "evaluated", "resolved", "satisfied")

#: Requests per town and day (the 监测预警 page's month-end nowcast reads days, not records).
_AGG_TOWN_DAY = """CREATE TABLE IF NOT EXISTS agg_town_day (
        month DATE, day DATE, district_code VARCHAR, town_code VARCHAR,
        accepted BIGINT, dispatched BIGINT)"""
_AGG_TOWN_DAY_FILL = """INSERT INTO agg_town_day
        SELECT month, CAST(received_at AS DATE) AS day, district_code, town_code,
               count(*) AS accepted, count(*) FILTER (WHERE dispatched) AS dispatched
        FROM records {where} GROUP BY ALL"""

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS records ("
    + ", ".join(f"{name} {kind}" for name, kind, _ in RECORD_COLUMNS)
    + ")",
    """CREATE TABLE IF NOT EXISTS towns (
        town_code VARCHAR PRIMARY KEY, town_name VARCHAR, district_code VARCHAR,
        district_name VARCHAR, kind VARCHAR, population DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS agg_town_month (
        month DATE, district_code VARCHAR, town_code VARCHAR, theme VARCHAR, problem VARCHAR,
        accepted BIGINT, dispatched BIGINT, responded BIGINT, evaluated BIGINT,
        resolved BIGINT, satisfied BIGINT)""",
    """CREATE TABLE IF NOT EXISTS agg_cell_month (
        month DATE, district_code VARCHAR, town_code VARCHAR, theme VARCHAR, problem VARCHAR,
        h3 UBIGINT, accepted BIGINT, dispatched BIGINT)""",
    _AGG_TOWN_DAY,
    """CREATE TABLE IF NOT EXISTS quarantine (
        source VARCHAR, line BIGINT, reason VARCHAR, raw VARCHAR, loaded_at TIMESTAMP)""",
    "CREATE TABLE IF NOT EXISTS imports (loaded_at TIMESTAMP, files VARCHAR, report VARCHAR)",
    """CREATE TABLE IF NOT EXISTS aliases (
        alias VARCHAR NOT NULL, town_code VARCHAR NOT NULL, district_code VARCHAR,
        added_by VARCHAR, added_at TIMESTAMP)""",
]
#: Statements that bring a store of an earlier schema version to this one (version -> DDL).
_MIGRATIONS: dict[int, list[str]] = {
    2: [
        "ALTER TABLE records ADD COLUMN assign_note VARCHAR",
        "ALTER TABLE records ADD COLUMN town_raw VARCHAR",
        "ALTER TABLE records ADD COLUMN district_raw VARCHAR",
    ],
    3: [_AGG_TOWN_DAY, _AGG_TOWN_DAY_FILL.format(where="")],
    4: [  # issue 23: the real exports' category path and community, kept per record
        "ALTER TABLE records ADD COLUMN category_path VARCHAR",
        "ALTER TABLE records ADD COLUMN community VARCHAR",
    ],
}


def connect(path: str | os.PathLike[str], *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and when writable, initialise) the store at ``path``."""
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(
            f"数据库文件不存在: {path} (store not found). Build the demo with "
            f"`python -m heatmap demo --db {path}` or set HEATMAP_DB."
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _quiet(duckdb.connect(str(path), read_only=read_only))
    try:
        if not read_only:
            _migrate(con)
            init_schema(con)
        elif _version(con) in _MIGRATIONS:  # an older store: migrate it once, then read it
            con.close()
            migrate(path)
            con = _quiet(duckdb.connect(str(path), read_only=True))
        _check_version(con, path)
    except BaseException:
        con.close()
        raise
    return con


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bar on the console for long statements (a migration, a large import)."""
    con.execute("SET enable_progress_bar = false")
    return con


def migrate(path: str | os.PathLike[str]) -> None:
    """Bring the store at ``path`` to :data:`SCHEMA_VERSION` (columns added, nothing removed)."""
    con = _quiet(duckdb.connect(str(path)))
    try:
        _migrate(con)
        init_schema(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version a store records, None when it has none (or no meta table)."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        return int(rows[0][0]) if rows else None
    except (duckdb.Error, ValueError):
        return None


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    version = _version(con)
    while version in _MIGRATIONS:
        con.execute("BEGIN TRANSACTION")
        for statement in _MIGRATIONS[version]:
            con.execute(statement)
        version += 1
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
        con.execute("COMMIT")


def init_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables when absent and record the schema version."""
    for statement in _DDL:
        con.execute(statement)
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
        [str(SCHEMA_VERSION)],
    )


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        row = rows[0] if rows else None
    except duckdb.CatalogException as exc:
        raise StoreError(
            f"{path} 不是本系统的数据库 (no meta table); rebuild it with `python -m heatmap demo`"
        ) from exc
    if row is None or int(row[0]) != SCHEMA_VERSION:
        raise StoreError(
            f"{path} 的结构版本为 {row[0] if row else '无'}，本程序需要 {SCHEMA_VERSION} "
            "(schema version mismatch); rebuild the store."
        )


def set_meta(con: duckdb.DuckDBPyConnection, **values: Any) -> None:
    """Store key/value metadata (values JSON-encoded)."""
    for key, value in values.items():
        con.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value, ensure_ascii=False)],
        )


def get_meta(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """All metadata as a dict (JSON-decoded where possible)."""
    out: dict[str, Any] = {}
    for key, value in con.execute("SELECT key, value FROM meta").fetchall():
        try:
            out[key] = json.loads(value)
        except (TypeError, json.JSONDecodeError):
            out[key] = value
    return out


def replace_towns(con: duckdb.DuckDBPyConnection, towns: pd.DataFrame) -> None:
    """Replace the town reference table (town_code, town_name, district_code, district_name, kind, population)."""
    frame = towns.reindex(
        columns=["town_code", "town_name", "district_code", "district_name", "kind", "population"]
    )
    con.execute("DELETE FROM towns")
    con.register("_towns", frame)
    try:
        con.execute("INSERT INTO towns SELECT * FROM _towns")
    finally:
        con.unregister("_towns")


def append_records(con: duckdb.DuckDBPyConnection, records: pd.DataFrame) -> None:
    """Append canonical records (columns of :data:`RECORD_COLUMNS`, in any order)."""
    append_blocks(con, [records])


#: DuckDB's row group (rows). The blocks DuckDB reads are whole row groups: it then writes each
#: to the file as it fills; blocks of other sizes stay in memory until the next checkpoint.
ROW_GROUP = 122_880
BLOCK_ROWS = 2 * ROW_GROUP


def append_blocks(con: duckdb.DuckDBPyConnection, blocks: Iterable[pd.DataFrame]) -> None:
    """Append canonical records given block by block, in one INSERT that runs beside the caller.

    ``blocks`` is iterated in the calling thread (a generator makes each block there) while a
    second thread runs the INSERT, which writes the blocks as they come: DuckDB lets go of the
    GIL while it converts and compresses them, so making block k+1 overlaps writing block k. The
    connection must not be used by ``blocks``. An error in either thread is raised here once
    both have stopped; what stays is the caller's transaction's to decide.
    """
    names = list(column_names())
    schema = pa.schema([(name, _ARROW_TYPES[kind.split()[0]]) for name, kind, _ in RECORD_COLUMNS])
    handoff: queue.Queue[pa.Table | None] = queue.Queue(maxsize=1)
    reader = pa.RecordBatchReader.from_batches(
        schema, _whole_row_groups(iter(handoff.get, None), BLOCK_ROWS)
    )
    con.register("_incoming", reader)
    columns = ", ".join(names)  # by name: a migrated store has the newer columns last
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            insert = pool.submit(
                con.execute, f"INSERT INTO records ({columns}) SELECT {columns} FROM _incoming"
            )
            try:
                for frame in blocks:
                    if not _hand_over(handoff, _as_arrow(frame, names, schema), insert):
                        break  # the INSERT failed: its error is raised below
            finally:
                _hand_over(handoff, None, insert)  # the end of the blocks
        insert.result()
    finally:
        con.unregister("_incoming")


_ARROW_TYPES = {
    "VARCHAR": pa.large_string(), "TIMESTAMP": pa.timestamp("us"), "DATE": pa.timestamp("us"),
    "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(), "UBIGINT": pa.uint64(),
}  # fmt: skip


def _as_arrow(records: pd.DataFrame, names: list[str], schema: pa.Schema) -> pa.Table:
    records = records.assign(**{c: None for c in OPTIONAL_COLUMNS if c not in records})
    missing = sorted(set(names) - set(records.columns))
    if missing:
        raise StoreError(
            f"记录缺少字段 {missing} (records lack canonical columns); expected {names}"
        )
    try:
        return pa.Table.from_pandas(records[names], schema=schema, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError):  # e.g. nanoseconds: cut as DuckDB cuts them
        return pa.Table.from_pandas(records[names], preserve_index=False).cast(schema, safe=False)


def _hand_over(
    handoff: queue.Queue[pa.Table | None], item: pa.Table | None, insert: Future[Any]
) -> bool:
    """Put ``item`` for the INSERT to read; False when the INSERT has stopped (it failed)."""
    while not insert.done():
        try:
            handoff.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _whole_row_groups(tables: Iterator[pa.Table], rows: int) -> Iterator[pa.RecordBatch]:
    """The tables' rows as batches of ``rows`` rows (the last one shorter)."""
    pending: list[pa.Table] = []
    held = 0
    for table in tables:
        pending.append(table)
        held += table.num_rows
        while held >= rows:
            joined = pa.concat_tables(pending)
            yield from joined.slice(0, rows).combine_chunks().to_batches(max_chunksize=rows)
            pending, held = [joined.slice(rows)], held - rows
    if held:
        yield from pa.concat_tables(pending).combine_chunks().to_batches(max_chunksize=rows)


def refresh_aggregates(con: duckdb.DuckDBPyConnection, months: Iterable[str] | None = None) -> None:
    """Rebuild the monthly aggregates for ``months`` ('YYYY-MM'), or for every month when None."""
    where, params = _month_filter(months)
    sums = ", ".join(
        ["count(*) AS accepted"] + [f"count(*) FILTER (WHERE {c}) AS {c}" for c in _COUNTS[1:]]
    )
    con.execute(f"DELETE FROM agg_town_month {where}", params)
    con.execute(
        f"""INSERT INTO agg_town_month
        SELECT month, district_code, town_code, theme, problem, {sums}
        FROM records {where} GROUP BY ALL""",
        params,
    )
    con.execute(f"DELETE FROM agg_cell_month {where}", params)
    con.execute(
        f"""INSERT INTO agg_cell_month
        SELECT month, district_code, town_code, theme, problem, h3,
               count(*) AS accepted, count(*) FILTER (WHERE dispatched) AS dispatched
        FROM records {where} {"AND" if where else "WHERE"} h3 IS NOT NULL GROUP BY ALL""",
        params,
    )
    con.execute(f"DELETE FROM agg_town_day {where}", params)
    con.execute(_AGG_TOWN_DAY_FILL.format(where=where), params)


def _month_filter(months: Iterable[str] | None) -> tuple[str, list[Any]]:
    if months is None:
        return "", []
    firsts = sorted({f"{m}-01" for m in months})
    if not firsts:
        return "WHERE false", []
    return "WHERE month IN (" + ", ".join("CAST(? AS DATE)" for _ in firsts) + ")", list(firsts)


def record_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])


def column_names() -> Sequence[str]:
    return [name for name, _, _ in RECORD_COLUMNS]
