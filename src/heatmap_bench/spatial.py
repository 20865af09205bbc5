"""Spatial assignment: our point-in-town index against geopandas `sjoin`, exact."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from heatmap.geo.assign import TownIndex
from heatmap.intake.demo import DemoModel
from heatmap_bench.common import UNIFORM_SHARE, Setup, stderr_log

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
    (log or stderr_log)(f"spatial assignment, {points:,} points")
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
    theirs = first_code(joined, points)
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


def first_code(joined: gpd.GeoDataFrame, n: int) -> np.ndarray:
    """The joined code per left row (lowest polygon index where several match), None if none."""
    hits = joined.dropna(subset=["index_right"]).sort_values("index_right", kind="stable")
    hits = hits[~hits.index.duplicated(keep="first")]
    out = np.full(n, None, dtype=object)
    out[hits.index.to_numpy()] = hits["code9"].to_numpy(dtype=object)
    return out
