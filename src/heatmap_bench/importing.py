"""The bench store (months of demo records through the import path) and the monthly import."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from heatmap.errors import StoreError
from heatmap.geo.coords import CRS_NAMES, to_wgs84
from heatmap.intake import records, store
from heatmap.intake.demo import FIRST_MONTH, monthly_totals
from heatmap.intake.ingest import ingest_files
from heatmap_bench.common import H3_RESOLUTION, Setup, stderr_log, timed
from heatmap_bench.spatial import first_code

# --------------------------------------------------------------------------- stores and import


def month_label(index: int) -> str:
    """'YYYY-MM' of month ``index`` counted from the demo's first month (0 = 2019-01)."""
    return str(pd.Period(FIRST_MONTH, freq="M") + index)


def month_frame(setup: Setup, index: int, n: int) -> pd.DataFrame:
    """``n`` export-shaped demo records of month ``index``, with that month's demo mix.

    Dispatched and COVID-rule shares follow the demo's month (the last demo month's beyond it);
    only the total is set to ``n``.
    """
    totals = monthly_totals(1.0)
    row = totals.iloc[min(index, len(totals) - 1)]
    dispatched = int(round(n * row["dispatched"] / row["accepted"]))
    covid = int(round(n * row["covid"] / row["accepted"]))
    return setup.model.month_records(month_label(index), index, dispatched, n, covid)


def build_bench_store(
    db: Path,
    *,
    setup: Setup,
    months: int,
    per_month: int,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build (or reuse, when its metadata match) a store of ``months`` × ``per_month`` records.

    Each month goes the import path (canonicalize, append, refresh that month's aggregates),
    from export-shaped frames in memory (no CSV: the import stage measures that).
    """
    say = log or stderr_log
    wanted = {"bench_months": months, "bench_per_month": per_month, "seed": setup.seed}
    reused = _matching_store(db, wanted)
    started = time.perf_counter()
    if not reused:
        tmp = db.with_name(db.name + ".tmp")
        tmp.unlink(missing_ok=True)
        con = store.connect(tmp)
        try:
            store.replace_towns(con, setup.towns)
            for i in range(months):
                say(f"store {db.name}: month {i + 1}/{months} ({per_month:,} records)")
                canon = records.canonicalize(
                    month_frame(setup, i, per_month), towns=setup.towns, index=setup.index,
                    source="bench", h3_resolution=H3_RESOLUTION,
                )  # fmt: skip
                store.append_records(con, canon)
                store.refresh_aggregates(con, [month_label(i)])
                del canon
            store.set_meta(
                con, dataset="bench", synthetic=True, boundary_set=setup.boundaries.name,
                boundary_approximate=setup.boundaries.approximate, h3_resolution=H3_RESOLUTION,
                **wanted,
            )  # fmt: skip
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db)
    build_s = time.perf_counter() - started
    con = store.connect(db, read_only=True)
    try:
        counts = {
            table: int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
            for table in ("records", "agg_town_month", "agg_cell_month")
        }
    finally:
        con.close()
    return {
        "months": months,
        "per_month": per_month,
        "records": counts["records"],
        "agg_town_month_rows": counts["agg_town_month"],
        "agg_cell_month_rows": counts["agg_cell_month"],
        "file_bytes": db.stat().st_size,
        "reused": reused,
        "build_s": None if reused else round(build_s, 1),
        "build_rows_per_s": None if reused else round(counts["records"] / build_s),
    }


def _matching_store(db: Path, wanted: dict[str, Any]) -> bool:
    if not db.exists():
        return False
    try:
        con = store.connect(db, read_only=True)
    except (StoreError, OSError):
        return False
    try:
        meta = store.get_meta(con)
    finally:
        con.close()
    return all(meta.get(k) == v for k, v in wanted.items())


_TEXT_COLUMNS = (
    "record_id", "channel", "request_type", "theme", "problem", "text", "town_code", "address",
    "src_crs",
)  # fmt: skip


def read_export_csv(path: Path, *, engine: Literal["c", "pyarrow"] = "pyarrow") -> pd.DataFrame:
    """Read an export-shaped CSV (the columns of :data:`heatmap.intake.records.RAW_COLUMNS`)."""
    frame = pd.read_csv(
        path,
        dtype={c: "str" for c in _TEXT_COLUMNS},
        engine=engine,
    )
    frame["received_at"] = pd.to_datetime(frame["received_at"]).astype("datetime64[us]")
    return frame


def bench_import(
    n: int,
    *,
    setup: Setup,
    db: Path,
    work_dir: Path,
    month_index: int,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Import one month of ``n`` records from CSV into ``db``, three ways, on the same records.

    - ``ingest`` (the headline): :func:`heatmap.intake.ingest.ingest_files` on the month as the platform
      exports it (Chinese headers, 是/否 flags, 问题分类), then a checkpoint, as
      ``python -m heatmap ingest`` runs it: parse, mask, towns, one transaction with duplicate
      checks against the store, aggregates of the month refreshed.
    - ``core``: the canonical path alone on an export-shaped CSV: read (pyarrow), canonicalize,
      append, refresh the month's aggregates, checkpoint.
    - ``baseline``: pandas ``read_csv`` (C engine), the same WGS84 conversion, geopandas ``sjoin``
      for every point, town = known code else the joined town. It computes no H3 cell and writes
      no store, so the ratios understate the difference.

    The month is removed after each import, leaving the store as built.
    """
    say = log or stderr_log
    month = month_label(month_index)
    say(f"import: writing {n:,} records of {month} as CSV (export-shaped and platform-shaped)")
    raw = month_frame(setup, month_index, n)
    core_csv, platform_csv = work_dir / f"core_{month}.csv", work_dir / f"export_{month}.csv"
    raw.to_csv(core_csv, index=False)
    write_platform_export(raw, platform_csv)
    del raw
    con = store.connect(db)
    try:
        _drop_month(con, month)
        before = store.record_count(con)
        say(f"import: core path ({before:,} records in the store)")
        core, core_towns, core_aggs = _core_import(con, core_csv, setup, month)
        say("import: ingest_files (the product's import)")
        ingest, ingest_towns, ingest_aggs = _ingest_import(con, platform_csv, setup, month)
    finally:
        con.close()
    say("import: baseline (pandas read_csv + geopandas sjoin)")
    baseline, baseline_towns = _baseline_import(core_csv, setup)
    sizes = {"core_csv_bytes": core_csv.stat().st_size, "csv_bytes": platform_csv.stat().st_size}
    core_csv.unlink()
    platform_csv.unlink()
    base_s = sum(baseline.values())
    ingest_s, core_s = sum(ingest["stages_s"].values()), sum(core["stages_s"].values())
    return {
        "records": n,
        "month": month,
        **sizes,
        "store_records_before": before,
        "seconds": round(ingest_s, 2),
        "rows_per_s": round(n / ingest_s),
        "ratio": round(base_s / ingest_s, 2),
        "ingest": {**ingest, "seconds": round(ingest_s, 2), "rows_per_s": round(n / ingest_s)},
        "core": {
            **core,
            "seconds": round(core_s, 2),
            "rows_per_s": round(n / core_s),
            "ratio": round(base_s / core_s, 2),
        },  # fmt: skip
        "baseline": {
            "seconds": round(base_s, 2),
            "rows_per_s": round(n / base_s),
            "stages_s": _rounded(baseline),
        },
        "identical_towns": bool(
            core_towns.equals(baseline_towns) and ingest_towns.equals(baseline_towns)
        ),
        "identical_aggregates": bool(core_aggs.equals(ingest_aggs)),
    }


#: Export-shaped column -> the header the platform's export uses (as heatmap.intake.ingest reads it).
PLATFORM_HEADERS = {
    "record_id": "工单编号", "received_at": "受理时间", "channel": "来电渠道",
    "request_type": "诉求类型", "category": "问题分类", "text": "诉求内容",
    "town_code": "街乡镇代码", "address": "详细地址", "lon": "经度", "lat": "纬度",
    "src_crs": "坐标系", "dispatched": "是否派单", "responded": "是否响应", "evaluated": "是否回访",
    "resolved": "是否解决", "satisfied": "是否满意",
}  # fmt: skip
_FLAGS = ("dispatched", "responded", "evaluated", "resolved", "satisfied")


def write_platform_export(raw: pd.DataFrame, path: Path) -> None:
    """Write export-shaped records as the platform exports them (Chinese headers, 是/否, 问题分类)."""
    frame = raw.assign(
        received_at=raw["received_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        category=raw["theme"].astype(str) + ">" + raw["problem"].astype(str),
        **{flag: np.where(raw[flag].to_numpy(dtype=bool), "是", "否") for flag in _FLAGS},
    )
    frame[list(PLATFORM_HEADERS)].rename(columns=PLATFORM_HEADERS).to_csv(path, index=False)


def _core_import(
    con: Any, csv: Path, setup: Setup, month: str
) -> tuple[dict[str, Any], pd.Series, pd.DataFrame]:
    stages: dict[str, float] = {}
    with timed(stages, "read_csv"):
        raw = read_export_csv(csv)
    with timed(stages, "canonicalize"):
        canon = records.canonicalize(
            raw, towns=setup.towns, index=setup.index, source=csv.name, h3_resolution=H3_RESOLUTION
        )
    del raw
    with timed(stages, "append"):
        store.append_records(con, canon)
    del canon
    with timed(stages, "refresh_aggregates"):
        store.refresh_aggregates(con, [month])
    with timed(stages, "checkpoint"):
        con.execute("CHECKPOINT")
    towns, aggs = _month_result(con, month)
    _drop_month(con, month)
    return {"stages_s": _rounded(stages), "records_added": len(towns)}, towns, aggs


def _ingest_import(
    con: Any, csv: Path, setup: Setup, month: str
) -> tuple[dict[str, Any], pd.Series, pd.DataFrame]:
    marks: list[tuple[float, float]] = []
    started = time.perf_counter()
    report = ingest_files(
        con, [csv], towns=setup.towns, index=setup.index, h3_resolution=H3_RESOLUTION,
        progress=lambda fraction, _message: marks.append((fraction, time.perf_counter())),
    )  # fmt: skip
    written = time.perf_counter()
    con.execute("CHECKPOINT")
    done = time.perf_counter()
    writing = next((t for f, t in marks if f >= 0.6), written)
    stages = {  # canonicalisation and the INSERT overlap (one block made while one is written)
        "read_parse": writing - started,
        "canonicalize_write_transaction": written - writing,
        "checkpoint": done - written,
    }
    towns, aggs = _month_result(con, month)
    _drop_month(con, month)
    con.execute("DELETE FROM imports WHERE files LIKE ?", [f"%{csv.name}%"])
    out = {
        "stages_s": _rounded(stages),
        "records_added": len(towns),
        "report": {k: report.as_dict()[k] for k in ("rows_read", "imported", "quarantined")},
    }
    return out, towns, aggs


def _month_result(con: Any, month: str) -> tuple[pd.Series, pd.DataFrame]:
    """Town code per record id, and the month's town aggregates, to compare the import paths."""
    first = [f"{month}-01"]
    towns = con.execute(
        "SELECT record_id, town_code FROM records WHERE month = CAST(? AS DATE) ORDER BY record_id",
        first,
    ).df()
    aggs = con.execute(
        "SELECT * EXCLUDE (month) FROM agg_town_month WHERE month = CAST(? AS DATE) ORDER BY ALL",
        first,
    ).df()
    return towns.set_index("record_id")["town_code"].astype(object), aggs


def _rounded(stages: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in stages.items()}


def _baseline_import(csv: Path, setup: Setup) -> tuple[dict[str, float], pd.Series]:
    stages: dict[str, float] = {}
    with timed(stages, "read_csv"):
        raw = read_export_csv(csv, engine="c")
    with timed(stages, "to_wgs84"):
        lon = raw["lon"].to_numpy(dtype="float64", na_value=np.nan).copy()
        lat = raw["lat"].to_numpy(dtype="float64", na_value=np.nan).copy()
        crs = raw["src_crs"].fillna("wgs84").to_numpy()
        for name in CRS_NAMES:
            rows = crs == name
            if name != "wgs84" and rows.any():
                lon[rows], lat[rows] = to_wgs84(lon[rows], lat[rows], name)
    polys = setup.boundaries.frame[["code9", "geometry"]]
    with timed(stages, "sjoin"):
        left = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=polys.crs)
        at_point = first_code(gpd.sjoin(left, polys, how="left", predicate="within"), len(raw))
    with timed(stages, "towns"):
        given = raw["town_code"].astype("object")
        known = given.isin(set(setup.towns["town_code"])).to_numpy()
        codes = np.where(known, given.to_numpy(dtype=object), at_point)
    towns = pd.Series(codes, index=raw["record_id"].astype(object), name="town_code", dtype=object)
    return stages, towns.rename_axis("record_id").sort_index()


def _drop_month(con: Any, month: str) -> None:
    con.execute("DELETE FROM records WHERE month = CAST(? AS DATE)", [f"{month}-01"])
    store.refresh_aggregates(con, [month])
