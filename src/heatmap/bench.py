"""Benchmark at Beijing scale: spatial assignment, monthly import, page queries, payload, memory.

Every figure is measured against a baseline measured in the same run and printed as a ratio
beside the absolute figures. The data are built here with the demo generator at stated sizes
(never read from ``data/demo.duckdb``). Nothing here asserts a speed: ``bench/RESULTS.md``
records the figures and the targets of issue 7.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from heatmap.analysis import governance, queries
from heatmap.errors import HeatmapError, StoreError
from heatmap.filters import Filters
from heatmap.geo.assign import TownIndex
from heatmap.geo.coords import CRS_NAMES, to_wgs84
from heatmap.geo.geography import BoundarySet, load_boundary_set, load_districts
from heatmap.intake import records, store
from heatmap.intake.demo import DEFAULT_SEED, FIRST_MONTH, DemoModel, monthly_totals, town_table
from heatmap.intake.ingest import ingest_files
from heatmap.output import maps
from heatmap.taxonomy import load_taxonomy

BOUNDARY_SET = "demo_townships_2023"
H3_RESOLUTION = 8
DISTRICT = "110108"  # 海淀区: the district scope measured beside the city
UNIFORM_SHARE = 0.1  # share of spatial-bench points drawn uniformly over the boundaries' bbox

#: Issue 7's targets for the full-scale store (72 M records) on a 2-core machine.
TARGETS = {
    "spatial_ratio": 20.0,  # TownIndex points/s over geopandas sjoin points/s, exact
    "import_seconds": 60.0,  # one 2 M-record month, CSV to store with aggregates refreshed
    "page_p95_ms": 300.0,  # every page's data functions
    "payload_bytes": 5_000_000,  # map JSON sent to the browser
    "app_rss_bytes": 3 * 1024**3,  # peak memory of the app process
}


@dataclass(frozen=True)
class Sizes:
    """What the benchmark builds: spatial points, import records, store months × records/month."""

    spatial: tuple[int, ...] = (1_000_000, 10_000_000)
    import_records: int = 2_000_000
    months: int = 36
    per_month: int = 2_000_000
    repeats: int = 20

    def label(self) -> str:
        """The ``--sizes`` text that reproduces these sizes."""
        spatial = ",".join(str(n) for n in self.spatial)
        return (
            f"spatial={spatial} import={self.import_records} months={self.months}"
            f" per_month={self.per_month} repeats={self.repeats}"
        )


FULL = Sizes()
QUICK = Sizes(spatial=(100_000,), import_records=50_000, months=13, per_month=50_000, repeats=10)
_SIZE_KEYS = {"spatial", "import", "months", "per_month", "repeats"}


# --------------------------------------------------------------------------- command line


def run_bench_command(args: argparse.Namespace) -> int:
    """Run the benchmark the ``bench`` command describes and write its JSON."""
    sizes = parse_sizes(args.sizes, quick=args.quick)
    command = "python -m heatmap bench" + (" --quick" if args.quick else "")
    if args.sizes:
        command += " --sizes " + " ".join(args.sizes)
    if args.work:
        command += f" --work {args.work}"
    command += f" --json {args.json}"
    run_bench(
        sizes,
        json_out=Path(args.json),
        work_dir=Path(args.work) if args.work else None,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        command=command,
    )
    return 0


def parse_sizes(items: Sequence[str] | None, *, quick: bool = False) -> Sizes:
    """Sizes of the variant (full or quick) with ``KEY=N`` overrides (N like 500k, 2M, 1e6)."""
    sizes = QUICK if quick else FULL
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or key not in _SIZE_KEYS:
            raise HeatmapError(
                f"--sizes 项 {item!r} 无效 (bad size); expected KEY=N with KEY one of "
                f"{sorted(_SIZE_KEYS)}, e.g. per_month=500k"
            )
        if key == "spatial":
            sizes = replace(sizes, spatial=tuple(_count(v, item) for v in value.split(",")))
        elif key == "import":
            sizes = replace(sizes, import_records=_count(value, item))
        elif key == "months":
            sizes = replace(sizes, months=_count(value, item))
        elif key == "per_month":
            sizes = replace(sizes, per_month=_count(value, item))
        else:
            sizes = replace(sizes, repeats=_count(value, item))
    if sizes.months < 1 or sizes.repeats < 1:
        raise HeatmapError(f"months 与 repeats 须 ≥ 1 (got {sizes.label()})")
    return sizes


def _count(text: str, item: str) -> int:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise HeatmapError(
            f"--sizes 项 {item!r} 的数量无效 (bad count {text!r}); use 500k, 2M or 1e6"
        )
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    value = int(round(float(match.group(1)) * factor))
    if value < 1:
        raise HeatmapError(f"--sizes 项 {item!r} 须为正数 (count must be positive)")
    return value


# --------------------------------------------------------------------------- the run


@dataclass
class Setup:
    """What every stage shares: boundaries, the town table, the demo model and the town index."""

    boundaries: BoundarySet
    towns: pd.DataFrame
    model: DemoModel
    index: TownIndex
    index_build_s: float
    seed: int

    @classmethod
    def create(cls, *, seed: int = DEFAULT_SEED, boundary_set: str = BOUNDARY_SET) -> Setup:
        boundaries = load_boundary_set(boundary_set)
        model = DemoModel.create(boundaries, load_taxonomy(), seed=seed)
        started = time.perf_counter()
        index = TownIndex.from_frame(boundaries.frame, code_field="code9")
        build_s = time.perf_counter() - started
        return cls(boundaries, town_table(boundaries), model, index, build_s, seed)


def run_bench(
    sizes: Sizes,
    *,
    json_out: Path | None = None,
    work_dir: Path | None = None,
    seed: int = DEFAULT_SEED,
    isolate: bool = True,
    command: str = "",
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every measurement, print a summary, write ``json_out`` and return the results.

    ``isolate`` runs the page queries and map payloads in a fresh process, so that its peak
    memory is that of an app process (store open, every page's data functions, decks built).
    """
    say = log or _stderr
    result: dict[str, Any] = {"machine": machine_info(), "command": command}
    result["sizes"] = asdict(sizes)
    started = time.perf_counter()
    setup = Setup.create(seed=seed)
    with tempfile.TemporaryDirectory(prefix="heatmap-bench-") as tmp:
        work = Path(work_dir) if work_dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        phases: dict[str, int | None] = {}
        with _peak_rss(phases, "spatial"):
            result["spatial"] = [bench_spatial(n, setup=setup, log=say) for n in sizes.spatial]
        db = work / f"bench_{sizes.months}x{sizes.per_month}_{seed}.duckdb"
        with _peak_rss(phases, "store_build"):
            result["store"] = build_bench_store(
                db, setup=setup, months=sizes.months, per_month=sizes.per_month, log=say
            )
        say("queries and payload (app-like process)")
        app = _run_app_stage(db, repeats=sizes.repeats, isolate=isolate)
        say("baselines from the raw records")
        result["queries"], result["payload"] = add_raw_baselines(
            db, app["queries"], app["payload"], repeats=max(2, sizes.repeats // 5)
        )
        with _peak_rss(phases, "import"):
            result["import"] = bench_import(
                sizes.import_records, setup=setup, db=db, work_dir=work, month_index=sizes.months,
                log=say,
            )  # fmt: skip
    result["memory"] = {
        "app_peak_rss_bytes": app["peak_rss_bytes"],
        "app_isolated": isolate,
        "bench_peak_rss_bytes": _max_rss_bytes(),
        "bench_phase_peak_rss_bytes": phases,
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_average_end"] = list(os.getloadavg())
    result["targets"] = check_targets(result, full_scale=sizes == FULL)
    for line in summary_lines(result):
        print(line)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return result


def _stderr(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and library versions, and the load when the run starts."""
    import duckdb
    import h3
    import pyarrow
    import shapely

    cpu = platform.processor() or platform.machine()
    memory = None
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
        cpu = found.group(1).strip() if found else cpu
        meminfo = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory = int(meminfo.group(1)) * 1024 if meminfo else None
    except OSError:
        pass
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "cpu": cpu,
        "cores": len(affinity(0)) if affinity else os.cpu_count(),
        "memory_bytes": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "duckdb": duckdb.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "geopandas": gpd.__version__,
            "shapely": shapely.__version__,
            "h3": h3.__version__,
            "pyarrow": pyarrow.__version__,
        },  # fmt: skip
        "load_average_start": list(os.getloadavg()),
    }


# --------------------------------------------------------------------------- spatial assignment


def sample_points(model: DemoModel, n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` WGS84 points: 90 % where demo records fall (by town weight), 10 % uniform in the bbox.

    The uniform share puts points outside every town and near every edge, which record points
    (kept ~1 m inside their town) never are.
    """
    rng = np.random.default_rng([seed, 7])
    n_uniform = int(round(n * UNIFORM_SHARE))
    town = rng.choice(len(model.base), size=n - n_uniform, p=model.base)
    pool_lon, pool_lat = np.stack(model.pool_lon), np.stack(model.pool_lat)
    pick = rng.integers(0, pool_lon.shape[1], len(town))
    lo_x, hi_x = float(pool_lon.min()), float(pool_lon.max())
    lo_y, hi_y = float(pool_lat.min()), float(pool_lat.max())
    lon = np.concatenate([pool_lon[town, pick], rng.uniform(lo_x - 0.05, hi_x + 0.05, n_uniform)])
    lat = np.concatenate([pool_lat[town, pick], rng.uniform(lo_y - 0.05, hi_y + 0.05, n_uniform)])
    order = rng.permutation(n)
    return lon[order].round(6), lat[order].round(6)


def bench_spatial(
    points: int, *, setup: Setup, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """TownIndex.lookup vs geopandas ``sjoin(predicate="within")`` on the same ``points``.

    ``ours_per_s`` times a lookup on an index built beforehand whose fine cells the points reach
    are classified (a first call does that: ``ours_first_call_s``). ``sjoin_per_s`` times the
    join alone (points already a GeoDataFrame, the polygons' spatial index built beforehand);
    ``sjoin_with_points_per_s`` adds building the points.
    """
    (log or _stderr)(f"spatial assignment, {points:,} points")
    lon, lat = sample_points(setup.model, points, seed=setup.seed)
    index = TownIndex.from_frame(setup.boundaries.frame, code_field="code9")
    started = time.perf_counter()
    index.lookup(lon, lat)  # the first call also classifies the fine cells its points reach
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = index.lookup(lon, lat)
    ours_s = time.perf_counter() - started
    polys = setup.boundaries.frame[["code9", "geometry"]]
    _ = polys.sindex
    started = time.perf_counter()
    left = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=polys.crs)
    points_s = time.perf_counter() - started
    started = time.perf_counter()
    joined = gpd.sjoin(left, polys, how="left", predicate="within")
    sjoin_s = time.perf_counter() - started
    theirs = _first_code(joined, points)
    del left, joined
    mismatches = int((pd.Series(ours).fillna("") != pd.Series(theirs).fillna("")).sum())
    return {
        "points": points,
        "ours_s": round(ours_s, 4),
        "ours_per_s": round(points / ours_s),
        "sjoin_s": round(sjoin_s, 4),
        "sjoin_per_s": round(points / sjoin_s),
        "ratio": round(sjoin_s / ours_s, 1),
        "points_from_xy_s": round(points_s, 4),
        "sjoin_with_points_per_s": round(points / (sjoin_s + points_s)),
        "ratio_with_points": round((sjoin_s + points_s) / ours_s, 1),
        "ours_first_call_s": round(first_s, 4),
        "ratio_first_call": round(sjoin_s / first_s, 1),
        "index_build_s": round(setup.index_build_s, 3),
        "identical": mismatches == 0,
        "mismatches": mismatches,
        "outside": int(pd.isna(pd.Series(ours)).sum()),
    }


def _first_code(joined: gpd.GeoDataFrame, n: int) -> np.ndarray:
    """The joined code per left row (lowest polygon index where several match), None if none."""
    hits = joined.dropna(subset=["index_right"]).sort_values("index_right", kind="stable")
    hits = hits[~hits.index.duplicated(keep="first")]
    out = np.full(n, None, dtype=object)
    out[hits.index.to_numpy()] = hits["code9"].to_numpy(dtype=object)
    return out


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
    say = log or _stderr
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
    say = log or _stderr
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
    with _timed(stages, "read_csv"):
        raw = read_export_csv(csv)
    with _timed(stages, "canonicalize"):
        canon = records.canonicalize(
            raw, towns=setup.towns, index=setup.index, source=csv.name, h3_resolution=H3_RESOLUTION
        )
    del raw
    with _timed(stages, "append"):
        store.append_records(con, canon)
    del canon
    with _timed(stages, "refresh_aggregates"):
        store.refresh_aggregates(con, [month])
    with _timed(stages, "checkpoint"):
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
    writing = next((t for f, t in marks if f >= 0.7), written)
    stages = {
        "read_parse_canonicalize": writing - started,
        "write_transaction": written - writing,
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
    with _timed(stages, "read_csv"):
        raw = read_export_csv(csv, engine="c")
    with _timed(stages, "to_wgs84"):
        lon = raw["lon"].to_numpy(dtype="float64", na_value=np.nan).copy()
        lat = raw["lat"].to_numpy(dtype="float64", na_value=np.nan).copy()
        crs = raw["src_crs"].fillna("wgs84").to_numpy()
        for name in CRS_NAMES:
            rows = crs == name
            if name != "wgs84" and rows.any():
                lon[rows], lat[rows] = to_wgs84(lon[rows], lat[rows], name)
    polys = setup.boundaries.frame[["code9", "geometry"]]
    with _timed(stages, "sjoin"):
        left = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=polys.crs)
        at_point = _first_code(gpd.sjoin(left, polys, how="left", predicate="within"), len(raw))
    with _timed(stages, "towns"):
        given = raw["town_code"].astype("object")
        known = given.isin(set(setup.towns["town_code"])).to_numpy()
        codes = np.where(known, given.to_numpy(dtype=object), at_point)
    towns = pd.Series(codes, index=raw["record_id"].astype(object), name="town_code", dtype=object)
    return stages, towns.rename_axis("record_id").sort_index()


def _drop_month(con: Any, month: str) -> None:
    con.execute("DELETE FROM records WHERE month = CAST(? AS DATE)", [f"{month}-01"])
    store.refresh_aggregates(con, [month])


# --------------------------------------------------------------------------- pages


def _run_app_stage(db: Path, *, repeats: int, isolate: bool) -> dict[str, Any]:
    if not isolate:
        return app_stage(str(db), repeats)
    code = (
        "import json, sys; from heatmap.bench import app_stage; "
        "print(json.dumps(app_stage(sys.argv[1], int(sys.argv[2]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db), str(repeats)],
        stdout=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise HeatmapError(
            f"基准的应用进程失败 (app stage exited with {done.returncode}); see above"
        )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def app_stage(db: str, repeats: int) -> dict[str, Any]:
    """What an app process does, measured: open the store, run every page's data, build the maps.

    Returns the query latencies, the map payloads and this process's peak RSS (VmHWM: unlike
    ru_maxrss it does not count the parent's pages at fork).
    """
    con = store.connect(db, read_only=True)
    try:
        out = {
            "queries": bench_queries(con, repeats=repeats),
            "payload": bench_payload(con),
        }
    finally:
        con.close()
    return {**out, "peak_rss_bytes": _vm_hwm_bytes() or _max_rss_bytes()}


def add_raw_baselines(
    db: Path, found: dict[str, Any], payload: dict[str, Any], *, repeats: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add the raw-records baselines (queries and payload) and the ratios to the app's figures.

    Measured in the bench process after the app stage, so they do not count in its memory.
    """
    con = store.connect(db, read_only=True)
    try:
        baseline = _raw_baseline(con, found["months_rotated"], repeats=repeats)
        points = _raw_points_bytes(con, payload["month"])
    finally:
        con.close()
    ratios = {
        page: round(baseline[page]["city"]["p50_ms"] / found["pages"][page]["city"]["p50_ms"], 1)
        for page in baseline
    }
    found = {**found, "baseline_raw_records": baseline, "ratio_vs_raw": ratios}
    ratio = round(points["bytes"] / payload["city"]["with_density_r8_bytes"], 1)
    payload = {**payload, "baseline_raw_points": points, "ratio_vs_raw_points": ratio}
    return found, payload


def bench_queries(con: Any, *, repeats: int, district: str = DISTRICT) -> dict[str, Any]:
    """p50 / p95 latency of each page's data functions, city and district scope.

    Calls rotate over the store's last twelve months; nothing is cached (a Streamlit cache hit
    costs nothing, so these are the figures of a new filter combination).
    """
    months = queries.available_months(con)
    recent = months[-12:]
    problem = _top_problem(con)
    timings: dict[str, dict[str, list[float]]] = {}
    pages: dict[str, dict[str, list[float]]] = {}
    for scope_name, scope in (("city", None), ("district", (district,))):
        towns = _top_town(con, Filters(months[-1], months[-1], districts=scope or ()), scope)
        for i in range(repeats):
            month = recent[i % len(recent)]
            f = Filters(month, month, districts=scope or ())
            calls = _page_calls(
                con, f, scope, town=towns, problem=problem, first=recent[0], available=months
            )
            for page, functions in calls.items():
                total = 0.0
                for name, call in functions:
                    started = time.perf_counter()
                    call()
                    elapsed = (time.perf_counter() - started) * 1000
                    total += elapsed
                    timings.setdefault(f"{page}.{name}", {}).setdefault(scope_name, []).append(
                        elapsed
                    )
                pages.setdefault(page, {}).setdefault(scope_name, []).append(total)
    return {
        "repeats": repeats,
        "months_rotated": recent,
        "district": district,
        "pages": {page: _percentiles(v) for page, v in pages.items()},
        "functions": {name: _percentiles(v) for name, v in timings.items()},
    }


def _page_calls(
    con: Any,
    f: Filters,
    scope: tuple[str, ...] | None,
    *,
    town: str,
    problem: str | None,
    first: str,
    available: Sequence[str],
) -> dict[str, list[tuple[str, Callable[[], Any]]]]:
    """The data functions each page calls for ``f`` (in the page's order)."""
    range_f = replace(f, month_from=first)
    districts = set(scope) if scope else None

    def ranking() -> pd.DataFrame:
        panel = queries.monthly_panel(con)
        now = panel[panel["month"] == f.month_to]
        return now[now["district_code"].isin(districts)] if districts else now

    def gov() -> governance.Governance:
        return governance.evaluate(queries.monthly_panel(con))

    return {
        "heatmap": [
            ("town_measures", lambda: queries.town_measures(con, f, scope=scope)),
            ("density", lambda: queries.density(con, f, resolution=8, scope=scope)),
            ("summary", lambda: queries.summary(con, f, scope=scope)),
        ],
        "heatmap_12_months": [
            ("town_measures", lambda: queries.town_measures(con, range_f, scope=scope)),
            ("density", lambda: queries.density(con, range_f, resolution=8, scope=scope)),
            ("summary", lambda: queries.summary(con, range_f, scope=scope)),
        ],
        "heatmap_town": [
            ("town_trend", lambda: queries.town_trend(con, town, f, scope=scope)),
            ("town_problems", lambda: queries.town_problems(con, town, f, scope=scope)),
        ],
        "ranking": [("monthly_panel", ranking)],
        "ranking_district_level": [
            ("monthly_panel", lambda: queries.monthly_panel(con, level="district"))
        ],
        "governance": [("monthly_panel+evaluate", gov)],
        "topic": _topic_calls(con, f, scope, problem=problem, available=available),
    }


def _topic_calls(
    con: Any,
    f: Filters,
    scope: tuple[str, ...] | None,
    *,
    problem: str | None,
    available: Sequence[str],
) -> list[tuple[str, Callable[[], Any]]]:
    """每月一题: the data functions of ``pages/topics.py`` in its order (the month's report, the
    list's 13-month trend, the chosen problem's towns and carriers, spike alerts); where
    :mod:`heatmap.analysis.topics` is absent, the heat map's functions filtered to one problem."""
    one = replace(f, problem=problem)
    try:
        from heatmap.analysis import topics

        taxonomy = load_taxonomy()
        year = topics.list_year_for(taxonomy, f.month_to)
    except (ImportError, HeatmapError):
        return [
            ("town_measures", lambda: queries.town_measures(con, one, scope=scope)),
            ("density", lambda: queries.density(con, one, resolution=8, scope=scope)),
        ]
    month = f.month_to
    listed = tuple(topics.listed_problems(taxonomy, year)["problem"])
    window = [m for m in topics.window_months(month, 13) if m in set(available)]
    one = replace(f, problem=listed[0] if listed else problem)
    chosen = [str(one.problem)]
    return [
        (
            "month_report",
            lambda: topics.month_report(con, month, year=year, filters=f, scope=scope),
        ),
        ("volumes", lambda: topics.volumes(con, f, months=window, problems=listed, scope=scope)),
        ("town_measures", lambda: queries.town_measures(con, one, scope=scope)),
        ("carriers_town", lambda: topics.carriers(con, one, problems=chosen, n=10, scope=scope)),
        (
            "carriers_district",
            lambda: topics.carriers(con, one, problems=chosen, level="district", scope=scope),
        ),
        ("spike_alerts", lambda: topics.spike_alerts(con, f, month=month, scope=scope)),
    ]


def _top_town(con: Any, f: Filters, scope: tuple[str, ...] | None) -> str:
    measures = queries.town_measures(con, f, scope=scope)
    return str(measures["town_code"].iloc[0])


def _top_problem(con: Any) -> str | None:
    rows = con.execute(
        "SELECT problem FROM agg_town_month WHERE problem IS NOT NULL "
        "GROUP BY problem ORDER BY sum(dispatched) DESC, problem LIMIT 1"
    ).fetchall()
    return str(rows[0][0]) if rows else None


_RAW_SUMS = (
    "count(*) AS accepted, count(*) FILTER (WHERE dispatched) AS dispatched, "
    "count(*) FILTER (WHERE responded) AS responded, count(*) FILTER (WHERE evaluated) AS evaluated, "
    "count(*) FILTER (WHERE resolved) AS resolved, count(*) FILTER (WHERE satisfied) AS satisfied"
)


def _raw_baseline(con: Any, recent: list[str], *, repeats: int) -> dict[str, Any]:
    """The heat map's and ranking's numbers straight from ``records`` (what aggregates avoid).

    City scope only; the heat map's three functions for a month, the ranking's whole panel.
    """
    where = "WHERE month = CAST(? AS DATE)"

    def heatmap(month: str) -> None:
        before = str(pd.Period(month, freq="M") - 1)
        for m in (month, before):  # town volumes now and before, city totals now and before
            con.execute(
                f"SELECT town_code, {_RAW_SUMS} FROM records {where} GROUP BY town_code",
                [f"{m}-01"],
            ).df()
            con.execute(f"SELECT {_RAW_SUMS} FROM records {where}", [f"{m}-01"]).df()
        con.execute(
            f"SELECT h3, count(*) AS volume FROM records {where} AND dispatched AND h3 IS NOT NULL "
            "GROUP BY h3",
            [f"{month}-01"],
        ).df()

    def ranking(_month: str) -> None:
        con.execute(
            f"SELECT month, town_code, {_RAW_SUMS} FROM records WHERE town_code IS NOT NULL "
            "GROUP BY ALL"
        ).df()

    out: dict[str, Any] = {}
    for page, call in (("heatmap", heatmap), ("ranking", ranking)):
        times = []
        for i in range(repeats):
            started = time.perf_counter()
            call(recent[i % len(recent)])
            times.append((time.perf_counter() - started) * 1000)
        out[page] = {"city": _percentiles({"city": times})["city"]}
    return out


def _percentiles(values: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        scope: {
            "p50_ms": round(float(np.percentile(v, 50)), 1),
            "p95_ms": round(float(np.percentile(v, 95)), 1),
            "max_ms": round(float(np.max(v)), 1),
            "n": len(v),
        }
        for scope, v in values.items()
    }


def bench_payload(con: Any, *, district: str = DISTRICT) -> dict[str, Any]:
    """Bytes of the heat map's deck JSON as the page builds it, with and without density."""
    meta = store.get_meta(con)
    geoms = maps.display_geometry(load_boundary_set(meta.get("boundary_set", BOUNDARY_SET)).frame)
    districts = load_districts(display=True)
    month = queries.available_months(con)[-1]
    out: dict[str, Any] = {"month": month}
    for scope_name, scope in (("city", None), ("district", (district,))):
        f = Filters(month, month, districts=scope or ())
        measures = queries.town_measures(con, f, scope=scope)
        rows, _ = maps.town_rows(geoms, measures, metric="volume", lang="zh")
        top = top_labels(geoms, measures)
        shown = geoms[geoms["code9"].isin(measures["town_code"])]
        view = maps.view_for(shown.total_bounds) if scope else None
        entry: dict[str, Any] = {"towns": len(measures)}
        started = time.perf_counter()
        plain = maps.build_deck(rows, districts, top_labels=top, view=view).to_json()
        entry["without_density_bytes"] = len(plain.encode("utf-8"))
        entry["without_density_build_ms"] = round((time.perf_counter() - started) * 1000, 1)
        for resolution in (8, 7):
            started = time.perf_counter()
            cells = queries.density(con, f, resolution=resolution, scope=scope)
            dens = maps.density_rows(cells, "zh")
            deck = maps.build_deck(rows, districts, density=dens, top_labels=top, view=view)
            entry[f"with_density_r{resolution}_bytes"] = len(deck.to_json().encode("utf-8"))
            entry[f"with_density_r{resolution}_build_ms"] = round(
                (time.perf_counter() - started) * 1000, 1
            )
            entry[f"hexagons_r{resolution}"] = len(dens)
        out[scope_name] = entry
    return out


def _raw_points_bytes(con: Any, month: str) -> dict[str, int]:
    """The month's dispatched points as ``[lon, lat]`` pairs (5 decimals): the least a map of raw
    points would send."""
    points = con.execute(
        "SELECT round(lon, 5) AS lon, round(lat, 5) AS lat FROM records "
        "WHERE month = CAST(? AS DATE) AND dispatched AND lon IS NOT NULL",
        [f"{month}-01"],
    ).fetchnumpy()
    raw = json.dumps(
        np.column_stack([points["lon"], points["lat"]]).tolist(), separators=(",", ":")
    )
    return {"points": len(points["lon"]), "bytes": len(raw)}


def top_labels(geoms: gpd.GeoDataFrame, measures: pd.DataFrame, n: int = 10) -> list[dict]:
    """The heat map's labels of the view's top ``n`` towns (as ``ui.views.top_labels`` draws them)."""
    top = measures.nsmallest(n, "rank")
    top = top[top["volume"].gt(0) & top["town_code"].isin(geoms["code9"])]
    points = geoms.set_index("code9").geometry.representative_point()
    return [
        {
            "name": f"{r['rank']} {r['town_name']}",
            "position": [round(points[r["town_code"]].x, 5), round(points[r["town_code"]].y, 5)],
            "size": 12,
        }
        for r in top.to_dict("records")
    ]


# --------------------------------------------------------------------------- memory and timing


@contextmanager
def _timed(stages: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - started


@contextmanager
def _peak_rss(phases: dict[str, int | None], name: str) -> Iterator[None]:
    """Peak RSS of this process during the block (Linux: VmHWM after resetting it), else None."""
    reset = True
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        reset = False
    try:
        yield
    finally:
        phases[name] = _vm_hwm_bytes() if reset else None


def _vm_hwm_bytes() -> int | None:
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return int(found.group(1)) * 1024 if found else None


def _max_rss_bytes() -> int:
    """Peak RSS of this process since it started (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


# --------------------------------------------------------------------------- report


def check_targets(result: dict[str, Any], *, full_scale: bool) -> dict[str, Any]:
    """Each target of issue 7 with the measured value and whether it is met at these sizes."""
    spatial = result.get("spatial") or []
    pages = result.get("queries", {}).get("pages", {})
    worst_page = max(
        ((p, s, v["p95_ms"]) for p, scopes in pages.items() for s, v in scopes.items()),
        key=lambda x: x[2],
        default=("", "", 0.0),
    )
    payload = result.get("payload", {})
    payload_max = max(
        (v for s in ("city", "district") for k, v in payload.get(s, {}).items()
         if k.endswith("_bytes")),
        default=0,
    )  # fmt: skip
    imp = result.get("import", {})
    app_rss = result.get("memory", {}).get("app_peak_rss_bytes") or 0
    out: dict[str, Any] = {
        "full_scale": full_scale,
        "spatial_ratio": _target(
            min((s["ratio"] for s in spatial), default=0.0), TARGETS["spatial_ratio"], higher=True
        ),
        "spatial_identical": all(s["identical"] for s in spatial),
        "import_seconds": _target(imp.get("seconds", 0.0), TARGETS["import_seconds"]),
        "page_p95_ms": {
            **_target(worst_page[2], TARGETS["page_p95_ms"]),
            "worst": f"{worst_page[0]} ({worst_page[1]})",
        },
        "payload_bytes": _target(payload_max, TARGETS["payload_bytes"]),
        "app_rss_bytes": _target(app_rss, TARGETS["app_rss_bytes"]),
    }
    out["import_seconds"]["records"] = imp.get("records")
    return out


def _target(value: float, target: float, *, higher: bool = False) -> dict[str, Any]:
    met = value >= target if higher else value <= target
    return {"value": value, "target": target, "met": bool(met)}


def summary_lines(result: dict[str, Any]) -> list[str]:
    """Human-readable lines: ratios beside the absolute figures."""
    m = result["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, {_size(m['memory_bytes'])} RAM, {m['os']}"]
    for s in result.get("spatial", []):
        lines.append(
            f"spatial {s['points']:>12,} points: ours {s['ours_per_s'] / 1e6:.2f} M/s vs sjoin "
            f"{s['sjoin_per_s'] / 1e6:.2f} M/s = {s['ratio']}x (first call {s['ratio_first_call']}x,"
            f" with building the points {s['ratio_with_points']}x); identical={s['identical']}"
        )
    st = result.get("store", {})
    if st:
        built = "reused" if st["reused"] else f"built in {st['build_s']} s"
        lines.append(
            f"store   {st['months']} months x {st['per_month']:,} = {st['records']:,} records, "
            f"{_size(st['file_bytes'])}, {built}; aggregates {st['agg_town_month_rows']:,} town "
            f"rows, {st['agg_cell_month_rows']:,} cell rows"
        )
    imp = result.get("import", {})
    if imp:
        for path in ("ingest", "core"):
            e = imp[path]
            stages = ", ".join(f"{k} {v}" for k, v in e["stages_s"].items())
            lines.append(
                f"import  {imp['records']:>12,} records, {path:<6}: {e['seconds']} s "
                f"({e['rows_per_s']:,} rows/s) [{stages}]"
            )
        b = imp["baseline"]
        lines.append(
            f"import  baseline read_csv+sjoin: {b['seconds']} s ({b['rows_per_s']:,} rows/s): "
            f"ingest {imp['ratio']}x, core {imp['core']['ratio']}x; identical towns="
            f"{imp['identical_towns']}, identical aggregates={imp['identical_aggregates']}"
        )
    q = result.get("queries", {})
    for page, scopes in q.get("pages", {}).items():
        text = "; ".join(
            f"{s} p50 {v['p50_ms']} ms p95 {v['p95_ms']} ms" for s, v in scopes.items()
        )
        ratio = q.get("ratio_vs_raw", {}).get(page)
        lines.append(
            f"page    {page:<24} {text}" + (f"; {ratio}x faster than raw records" if ratio else "")
        )
    p = result.get("payload", {})
    for scope in ("city", "district"):
        if scope in p:
            e = p[scope]
            lines.append(
                f"payload heatmap {scope:<8} {_size(e['without_density_bytes'])} without density, "
                f"{_size(e['with_density_r8_bytes'])} with r8 ({e['hexagons_r8']:,} hexagons), "
                f"{_size(e['with_density_r7_bytes'])} with r7"
            )
    if "baseline_raw_points" in p:
        b = p["baseline_raw_points"]
        lines.append(
            f"payload raw points of the month: {b['points']:,} points = {_size(b['bytes'])} "
            f"({p['ratio_vs_raw_points']}x the heat map with density)"
        )
    mem = result.get("memory", {})
    if mem:
        lines.append(
            f"memory  app process peak {_size(mem['app_peak_rss_bytes'])}; bench process peak "
            f"{_size(mem['bench_peak_rss_bytes'])}"
        )
    targets = result.get("targets", {})
    if targets and not targets.get("full_scale"):
        lines.append("target  (not the full sizes: the targets below are for information only)")
    for key, t in targets.items():
        if isinstance(t, dict):
            lines.append(
                f"target  {key}: {t['value']} vs {t['target']} -> {'met' if t['met'] else 'MISSED'}"
            )
    lines.append(f"total   {result.get('seconds')} s")
    return lines


def _size(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
