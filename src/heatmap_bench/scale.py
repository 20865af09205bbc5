"""Scale-out: a whole history re-attributed after a boundary change, DuckDB + TownIndex against Dask.

Both paths start from copies of the same store, switch it to the same changed boundary set (the
demo set with every town of one district split in two: codes retired, records handed to
successors, points flagged) with every month re-attributed, and are compared: every record's
town, method and flag, and every row of the aggregate tables (``identical``).

Run alone on an existing store: ``python -m heatmap_bench.scale --db STORE --json OUT``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import shapely

from heatmap.analysis.activation import activate
from heatmap.geo.geography import BoundarySet, _write_geojson, _write_json, load_boundary_set
from heatmap.intake import store
from heatmap_bench.common import BOUNDARY_SET, DISTRICT, max_rss_bytes, peak_rss, stderr_log

CHANGED_SET = "bench_split_haidian"
#: Peak memory of the single-machine activation per record re-attributed, now that it works one
#: month at a time (measured: 11.6 GB at 72 M, most of it DuckDB's transaction; it was 480 bytes
#: a record when the whole history was read at once); beyond ~80 % of the machine's memory only
#: Dask runs.
SINGLE_BYTES_PER_RECORD = 170
_COMPARED = ("record_id", "town_code", "assign_method", "point_town_code", "town_name",
             "district_code", "district_name")  # fmt: skip
_TABLES = ("agg_town_month", "agg_cell_month", "agg_town_day")


def write_changed_set(
    geo_dir: Path, *, base: BoundarySet | None = None, district: str = DISTRICT,
    name: str = CHANGED_SET,
) -> str:  # fmt: skip
    """Write ``base`` with every town of ``district`` split at its centroid's longitude.

    The halves get new codes (``…7NN`` west, ``…8NN`` east), so the old codes retire: records
    placed by code go to the larger half (the lineage), points are flagged where they disagree.
    """
    base = base or load_boundary_set(BOUNDARY_SET)
    frame = base.frame
    inside = frame["district_code"] == district
    rows, geoms = [], []
    for i, (_, town) in enumerate(frame[inside].iterrows(), start=1):
        minx, miny, maxx, maxy = shapely.bounds(town.geometry)
        cx = shapely.centroid(town.geometry).x
        for digit, side, box in (("7", "西", (minx - 1, miny - 1, cx, maxy + 1)),
                                 ("8", "东", (cx, miny - 1, maxx + 1, maxy + 1))):  # fmt: skip
            part = _polygonal(shapely.intersection(town.geometry, shapely.box(*box)))
            if part is not None:
                rows.append({**town.drop("geometry").to_dict(),
                             "code9": f"{district}{digit}{i:02d}", "name": f"{town['name']}{side}"})  # fmt: skip
                geoms.append(part)
    split = gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)
    kept = frame[~inside]
    out = gpd.GeoDataFrame(
        [*kept.drop(columns="geometry").to_dict("records"), *split.drop(columns="geometry")
         .to_dict("records")],
        geometry=[*kept.geometry.values, *split.geometry.values], crs=4326,
    ).sort_values("code9", ignore_index=True)  # fmt: skip
    folder = Path(geo_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    _write_geojson(out, folder / "townships.geojson")
    _write_json({**base.meta, "name": name, "valid_from": "2019-01", "towns": len(out),
                 "source": f"{base.name}, {district} split in two (benchmark)"},
                folder / "metadata.json")  # fmt: skip
    return name


def run_scale_stage(
    db: Path, *, work_dir: Path, workers: int = 2, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """The benchmark's stage: both paths when the single-machine one fits in memory, else Dask alone.

    Skipped (and said so) when the ``scale`` extra is not installed.
    """
    from heatmap.errors import ScaleError
    from heatmap.scale.job import require_dask

    try:
        require_dask()
    except ScaleError:
        return {"skipped": "dask is not installed: pip install '.[scale]'"}
    con = store.connect(db, read_only=True)
    try:
        records = store.record_count(con)
    finally:
        con.close()
    fits = records * SINGLE_BYTES_PER_RECORD < 0.8 * _memory_bytes()
    return bench_scale(db, work_dir=work_dir, workers=workers, log=log,
                       paths=("single", "dask") if fits else ("dask",))  # fmt: skip


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def scale_lines(scale: dict[str, Any] | None) -> list[str]:
    """The stage's summary lines (none when it did not run)."""
    if not scale or "skipped" in scale:
        return [f"scale   skipped: {scale['skipped']}"] if scale else []
    dask = f"Dask {scale['dask_s']} s ({scale['workers']} workers; " + ", ".join(
        f"{k} {v}" for k, v in scale["dask"]["phases_s"].items()
    ) + ")"
    if scale.get("single_s") is None:
        return [f"scale   {scale['records']:,} records re-attributed: {dask}; single-machine "
                "path not run (it would not fit in memory)"]  # fmt: skip
    return [
        f"scale   {scale['records']:,} records re-attributed: DuckDB+TownIndex "
        f"{scale['single_s']} s vs {dask} = {scale['ratio_dask_over_single']}x; "
        f"identical={scale['identical']}"
    ]


def bench_scale(
    db: Path,
    *,
    work_dir: Path,
    workers: int = 2,
    paths: tuple[str, ...] = ("single", "dask"),
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Single-machine activation against the Dask job, on copies of ``db``; seconds and ratio.

    ``paths`` names the paths to run (both by default: then ``identical`` compares them).
    """
    say = log or stderr_log
    work = Path(work_dir) / "scale"
    shutil.rmtree(work, ignore_errors=True)
    geo = work / "geo"
    name = write_changed_set(geo)
    copies = {path: work / f"{path}.duckdb" for path in paths}
    phases: dict[str, int | None] = {}
    result: dict[str, Any] = {"workers": workers, "boundary_change": name, "paths": list(paths)}
    for path, copy in copies.items():
        say(f"scale: copying the store for the {path} path")
        shutil.copyfile(db, copy)
    if "single" in copies:
        result["single"] = _single(copies["single"], name, geo, phases, say)
    if "dask" in copies:
        result["dask"] = _dask(copies["dask"], name, geo, work, workers, phases, say)
    first = result.get("single") or result["dask"]
    result.update(records=first["records_considered"], months=result.get("dask", {}).get("months"),
                  records_changing_town=first["records_changing_town"],
                  records_to_successor=first["records_to_successor"],
                  single_s=result.get("single", {}).get("seconds"),
                  dask_s=result.get("dask", {}).get("seconds"))  # fmt: skip
    if len(copies) == 2:
        say("scale: comparing records and aggregates")
        mismatches = compare_stores(copies["single"], copies["dask"])
        result.update(
            ratio_dask_over_single=round(result["dask_s"] / result["single_s"], 2),
            plans_agree=_plans_agree(result["single"], result["dask"]),
            identical=not any(mismatches.values()), mismatches=mismatches,
        )  # fmt: skip
    result["peak_rss_bytes"] = phases
    for side in ("single", "dask"):  # the plans' long lists stay out of the JSON
        for key in ("changes", "losing_by_town", "top_ten_before", "top_ten_after", "ledger_changes"):
            result.get(side, {}).pop(key, None)
    shutil.rmtree(work, ignore_errors=True)
    return result


def _single(
    db: Path, name: str, geo: Path, phases: dict[str, int | None], say: Callable[[str], None]
) -> dict[str, Any]:
    con = store.connect(db)
    say(f"scale: single-machine path, {store.record_count(con):,} records")
    try:
        with peak_rss(phases, "single"):
            started = time.perf_counter()
            plan = activate(con, name, geo_dir=geo, reattribute_history=True, force=True)
            plan["seconds"] = round(time.perf_counter() - started, 2)
    finally:
        con.close()
    return plan


def _dask(
    db: Path, name: str, geo: Path, work: Path, workers: int, phases: dict[str, int | None],
    say: Callable[[str], None],
) -> dict[str, Any]:  # fmt: skip
    from heatmap.scale.job import client_for
    from heatmap.scale.switch import scale_out

    say(f"scale: Dask path, LocalCluster of {workers} workers")
    con = store.connect(db)
    try:
        with peak_rss(phases, "dask_client"):
            started = time.perf_counter()
            with client_for(workers=workers) as client:  # its start is part of the path
                start_s = round(time.perf_counter() - started, 2)
                report = scale_out(con, name, work_dir=work / "dask_work", geo_dir=geo,
                                   force=True, client=client)  # fmt: skip
                workers_rss = client.run(max_rss_bytes)
            report["phases_s"] = {"cluster_start": start_s, **report.pop("seconds")}
            report["seconds"] = round(time.perf_counter() - started, 2)
    finally:
        con.close()
    phases["dask_workers_max"] = max(workers_rss.values())
    return report


def compare_stores(a: Path, b: Path) -> dict[str, int]:
    """Rows of each compared table present in one store and not the other (0 everywhere: equal)."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS a (READ_ONLY)", [str(a)])
        con.execute("ATTACH ? AS b (READ_ONLY)", [str(b)])
        queries = {"records": f"SELECT {', '.join(_COMPARED)} FROM {{}}.records",
                   **{t: f"SELECT * FROM {{}}.{t}" for t in (*_TABLES, "towns", "lineage")}}  # fmt: skip
        present = {(d, t) for d, t in con.execute(
            "SELECT database_name, table_name FROM duckdb_tables()").fetchall()}  # fmt: skip
        out = {}
        for table, query in queries.items():
            if table == "lineage" and not {("a", table), ("b", table)} & present:
                continue  # no activation has run in either store
            left, right = query.format("a"), query.format("b")
            out[table] = int(
                con.execute(
                    f"SELECT (SELECT count(*) FROM ({left} EXCEPT ALL {right}))"
                    f" + (SELECT count(*) FROM ({right} EXCEPT ALL {left}))"
                ).fetchall()[0][0]
            )
        return out
    finally:
        con.close()


def _plans_agree(plan: dict[str, Any], report: dict[str, Any]) -> bool:
    keys = ("records_considered", "records_changing_town", "records_losing_town",
            "records_gaining_town", "records_by_point", "records_to_successor")  # fmt: skip
    return all(plan[k] == report[k] for k in keys)


def _polygonal(geom: Any) -> Any:
    """The (Multi)Polygon part of an intersection, None when it has no area."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def main(argv: list[str] | None = None) -> int:
    """``python -m heatmap_bench.scale --db STORE --json OUT [--workers N] [--work DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m heatmap_bench.scale", description=__doc__)
    parser.add_argument("--db", required=True, help="an existing store (it is copied, not changed)")
    parser.add_argument("--json", required=True, metavar="OUT")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", default=None, help="where the copies go (default: beside OUT)")
    parser.add_argument(
        "--paths", nargs="+", choices=["single", "dask"], default=["single", "dask"],
        help="the paths to run (both: compared, identical true/false)",
    )  # fmt: skip
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    out = Path(args.json)
    result = {
        "command": "python -m heatmap_bench.scale " + " ".join(argv),
        "scale": bench_scale(Path(args.db), work_dir=Path(args.work or out.parent),
                             workers=args.workers, paths=tuple(args.paths)),  # fmt: skip
    }
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(json.dumps(result["scale"], ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
