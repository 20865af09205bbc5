"""The Dask job: every month file re-attributed and aggregated on a worker, the tallies combined.

One task per Parquet file of a month partition. The aggregates are monthly, so a month needs no
data from any other: no shuffle, and a task's memory is one month's records. A task runs the
single-machine path's own steps on its month: :func:`heatmap.analysis.activation.reassign`
(the :class:`~heatmap.geo.assign.TownIndex` lookup, the district-name rule, the lineage), the
town join of ``update_records``, and :func:`heatmap.intake.store.refresh_aggregates` in a
scratch in-memory DuckDB. So the towns and aggregates are those of the single-machine path by
construction, and the tests compare them row for row.

``dask-geopandas`` is not used: its ``sjoin`` is a geopandas ``sjoin`` per partition, about
twenty times slower than the index (``bench/RESULTS.md``) and not the same rule on shared edges.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from heatmap.analysis.activation import Attribution, combine, reassign, tally
from heatmap.errors import ScaleError
from heatmap.intake import store
from heatmap.scale.parquet import month_files, month_of

__all__ = ["AGGREGATES", "attribute_file", "client_for", "combine", "reattribute", "require_dask"]

#: The aggregate tables the job rebuilds: (table, grouping columns, summed columns).
AGGREGATES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("agg_town_month", ("month", "district_code", "town_code", "theme", "problem"),
     ("accepted", "dispatched", "responded", "evaluated", "resolved", "satisfied")),
    ("agg_cell_month", ("month", "district_code", "town_code", "theme", "problem", "h3"),
     ("accepted", "dispatched")),
    ("agg_town_day", ("month", "day", "district_code", "town_code"), ("accepted", "dispatched")),
)  # fmt: skip
RECORDS_OUT = "records"  # the per-record result: record_id, town_code, assign_method, flag
_REASSIGN_COLUMNS = "record_id, town_code, assign_method, lon, lat, district_raw"


def require_dask() -> Any:
    """``dask.distributed``, or a :class:`ScaleError` saying how to install the extra."""
    try:
        import dask.distributed as distributed
    except ImportError as exc:
        raise ScaleError(
            "未安装 Dask：分布式重新归属需要可选依赖 scale，请运行 pip install '.[scale]' "
            f"(the scale-out path needs the 'scale' extra: dask[distributed]; {exc})"
        ) from exc
    return distributed


@contextmanager
def client_for(
    *, workers: int = 2, scheduler: str | None = None, processes: bool = True
) -> Iterator[Any]:
    """A Dask client: of the scheduler at ``scheduler``, else of a ``LocalCluster`` of ``workers``.

    The local cluster runs one thread per worker (the tasks are CPU-bound), its dashboard on a
    free port.
    """
    distributed = require_dask()
    if scheduler:
        with distributed.Client(scheduler) as client:
            yield client
        return
    if workers < 1:
        raise ScaleError(f"工作进程数须 ≥ 1 (workers must be at least 1), got {workers}")
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=processes,
            dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        yield client


def reattribute(
    parquet_dir: str | Path, att: Attribution, client: Any, *, out_dir: str | Path
) -> dict[str, Any]:
    """Re-attribute every record under ``parquet_dir`` to ``att`` and aggregate, on ``client``.

    Writes ``out_dir/records/month=…/`` (record_id, town_code, assign_method, point_town_code)
    and ``out_dir/<aggregate table>/month=…/``; returns the combined tally (see :func:`combine`).
    The workers must see ``parquet_dir`` and ``out_dir`` at the same paths (a local cluster, or
    a shared file system).
    """
    files = month_files(parquet_dir)
    if not files:
        raise ScaleError(f"Parquet 目录中没有月份分区文件 (no month=YYYY-MM/*.parquet in {parquet_dir})")
    out = Path(out_dir)
    for name in (RECORDS_OUT, *(table for table, _, _ in AGGREGATES)):
        shutil.rmtree(out / name, ignore_errors=True)
    shipped = client.scatter(att, broadcast=True)  # the index is built once and sent once
    futures = client.map(
        attribute_file, [str(f) for f in files], att=shipped, out_dir=str(out), pure=False
    )
    return combine(client.gather(futures))


def attribute_file(path: str, att: Attribution, out_dir: str) -> dict[str, Any]:
    """One task: the records of one month file re-attributed, aggregated and written out.

    Returns the file's tally: records, by_point, to_successor, the (before, after) town pairs
    of records changing town, the towns of records losing theirs, and records gaining one.
    """
    month = month_of(path)
    con = duckdb.connect(config={"threads": 1})
    try:
        con.execute(
            "CREATE TABLE src AS SELECT * FROM read_parquet(?, hive_partitioning = false)", [path]
        )
        before = con.execute(f"SELECT {_REASSIGN_COLUMNS} FROM src").df()
        after, moved = reassign(before.copy(), att)
        _attributed_records(con, after, att.towns, month)
        store.init_schema(con)  # the aggregate tables, as in the store (records exists already)
        store.refresh_aggregates(con)
        _write_outputs(con, Path(out_dir), month, Path(path).stem)
    finally:
        con.close()
    return tally(before, after, moved)


def _attributed_records(
    con: duckdb.DuckDBPyConnection, after: pd.DataFrame, towns: pd.DataFrame, month: str
) -> None:
    """Table ``records`` of the scratch database: the month's records as the store holds them
    after ``update_records`` (town, method, flag; the town's name and district joined)."""
    con.register("_after", after[["record_id", "town_code", "assign_method", "point_town_code"]])
    con.register("_towns", towns[["town_code", "town_name", "district_code", "district_name"]])
    con.execute(
        """CREATE TABLE records AS
        WITH a AS (SELECT CAST(record_id AS VARCHAR) AS record_id,
                          CAST(town_code AS VARCHAR) AS town_code,
                          CAST(assign_method AS VARCHAR) AS assign_method,
                          CAST(point_town_code AS VARCHAR) AS point_town_code FROM _after)
        SELECT s.* EXCLUDE (town_code, assign_method), a.town_code, a.assign_method,
               a.point_town_code, t.town_name, t.district_code, t.district_name,
               CAST(? AS DATE) AS month
        FROM src s JOIN a ON a.record_id = s.record_id
        LEFT JOIN _towns t ON t.town_code = a.town_code""",
        [f"{month}-01"],
    )
    con.unregister("_after")
    con.unregister("_towns")


def _write_outputs(con: duckdb.DuckDBPyConnection, out: Path, month: str, stem: str) -> None:
    queries = {
        RECORDS_OUT: "SELECT record_id, town_code, assign_method, point_town_code FROM records",
        **{table: f"SELECT * FROM {table}" for table, _, _ in AGGREGATES},
    }
    for name, query in queries.items():
        target = out / name / f"month={month}"
        target.mkdir(parents=True, exist_ok=True)
        literal = str(target / f"{stem}.parquet").replace("'", "''")
        con.execute(f"COPY ({query}) TO '{literal}' (FORMAT parquet, COMPRESSION zstd)")


