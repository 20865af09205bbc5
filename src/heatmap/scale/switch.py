"""The scale-out path end to end: the export, the Dask job, the result written back in one transaction.

:func:`scale_out` is :func:`heatmap.analysis.activation.activate` with ``reattribute_history``
whose re-attribution and aggregation run as a Dask job: the same set (an overlay when partial),
the same refusal when records would lose their town, the same store afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from heatmap.analysis.activation import (
    Attribution,
    attribution,
    overlay_report,
    plan_of,
    record_switch,
    refusal,
    save_overlay,
    town_names,
    update_records,
)
from heatmap.errors import ScaleError
from heatmap.intake import store
from heatmap.paths import GEO_DIR
from heatmap.scale.job import AGGREGATES, RECORDS_OUT, client_for, reattribute, require_dask
from heatmap.scale.parquet import export_parquet

__all__ = ["load_back", "scale_out"]

EXPORT_DIR = "records_by_month"
RESULT_DIR = "result"


def scale_out(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    work_dir: str | Path,
    workers: int = 2,
    scheduler: str | None = None,
    processes: bool = True,
    force: bool = False,
    geo_dir: Path = GEO_DIR,
    client: Any = None,
) -> dict[str, Any]:
    """Make boundary set ``name`` active, every month re-attributed and aggregated by Dask.

    The records are exported to ``work_dir/records_by_month/month=YYYY-MM/`` and the job's
    result written to ``work_dir/result/``; ``client`` (else a cluster of ``workers`` local
    processes, or the scheduler at ``scheduler``) runs the job; :func:`load_back` writes the
    towns, records, aggregates, lineage and metadata in one transaction.

    Returns
    -------
    dict
        The keys of :func:`~heatmap.analysis.activation.activate`'s plan that do not need the
        whole history in memory (``records_considered``, ``records_changing_town``,
        ``changes``, ``records_losing_town``, ``losing_by_town``, ``records_gaining_town``,
        ``records_by_point``, ``records_to_successor``, ``boundary_set`` …), plus ``months``,
        ``files``, ``aggregate_rows`` and ``seconds`` per phase (export, job, load_back).

    Raises
    ------
    BoundaryError
        When records would lose their town and ``force`` is False (nothing is written).
    ScaleError
        When dask is not installed (the ``scale`` extra).
    """
    if client is None:
        require_dask()  # before the export: say what is missing at once
    att = attribution(con, name, geo_dir=geo_dir)
    seconds: dict[str, float] = {}
    work = Path(work_dir)
    with _timed(seconds, "export"):
        files = export_parquet(con, work / EXPORT_DIR)
    if not files:
        raise ScaleError("数据库中没有工单，无需重新归属 (the store holds no records)")
    with _timed(seconds, "job"):
        if client is not None:
            tally = reattribute(work / EXPORT_DIR, att, client, out_dir=work / RESULT_DIR)
        else:
            with client_for(workers=workers, scheduler=scheduler, processes=processes) as own:
                tally = reattribute(work / EXPORT_DIR, att, own, out_dir=work / RESULT_DIR)
    plan = plan_of(tally, town_names(con, att.towns))
    if plan["records_losing_town"] and not force:
        raise refusal(att.target.name, plan)
    with _timed(seconds, "load_back"):
        rows = load_back(con, att, work / RESULT_DIR, geo_dir=geo_dir)
    plan.update(
        boundary_set=att.target.name, previous=att.previous_name, towns=len(att.towns),
        applied=True, valid_from=att.target.meta.get("valid_from"), reattribute_history=True,
        overlay=overlay_report(att), records_by_point=tally["by_point"],
        records_to_successor=tally["to_successor"], lineage_links=len(att.links),
        months=len({f.parent.name for f in files}), files=tally["files"], aggregate_rows=rows,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )  # fmt: skip
    return plan


def load_back(
    con: duckdb.DuckDBPyConnection,
    att: Attribution,
    result_dir: str | Path,
    *,
    geo_dir: Path = GEO_DIR,
) -> dict[str, int]:
    """Write the job's result in ``result_dir`` into the store, in one transaction.

    The town table becomes ``att``'s, every record takes its town, method and flag from
    ``result_dir/records``, the aggregate tables are replaced by the job's (partial sums of
    several files of one month are summed), the lineage and the active set are recorded.
    Returns the rows of each aggregate table.
    """
    result = Path(result_dir)
    parts = {name: _files(result / name) for name in (RECORDS_OUT, *(t for t, _, _ in AGGREGATES))}
    con.execute("BEGIN TRANSACTION")
    try:
        store.replace_towns(con, att.towns)
        _view(con, "_scaled_records", parts[RECORDS_OUT])
        update_records(con, "_scaled_records")
        rows = {table: _replace_aggregate(con, table, keys, sums, parts[table])
                for table, keys, sums in AGGREGATES}  # fmt: skip
        record_switch(con, att, reattribute_history=True)
        save_overlay(att, geo_dir)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in ("_scaled_records", "_scaled_part"):
            con.execute(f"DROP VIEW IF EXISTS {name}")
    return rows


def _replace_aggregate(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: tuple[str, ...],
    sums: tuple[str, ...],
    files: list[str],
) -> int:
    con.execute(f"DELETE FROM {table}")
    _view(con, "_scaled_part", files)
    columns = ", ".join([*keys, *sums])
    totals = ", ".join([*keys, *(f"sum({c})" for c in sums)])
    con.execute(f"INSERT INTO {table} ({columns}) SELECT {totals} FROM _scaled_part GROUP BY ALL")
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _view(con: duckdb.DuckDBPyConnection, name: str, files: list[str]) -> None:
    con.read_parquet(files, hive_partitioning=False).create_view(name, replace=True)


def _files(folder: Path) -> list[str]:
    found = sorted(str(p) for p in folder.glob("month=*/*.parquet"))
    if not found:
        raise ScaleError(
            f"作业结果不完整 (the job's result is incomplete): no month=YYYY-MM/*.parquet in "
            f"{folder}; run heatmap.scale.job.reattribute first"
        )
    return found


@contextmanager
def _timed(seconds: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] = time.perf_counter() - started
