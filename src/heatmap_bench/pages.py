"""Page data, map payloads and app memory, measured through the read functions the pages call."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from heatmap.analysis import governance, queries
from heatmap.errors import HeatmapError
from heatmap.filters import View
from heatmap.geo.geography import load_boundary_set, load_districts
from heatmap.intake import store
from heatmap.output import maps
from heatmap.settings import make_settings, score_weights
from heatmap.taxonomy import load_taxonomy
from heatmap_bench.common import BOUNDARY_SET, DISTRICT, max_rss_bytes, vm_hwm_bytes

# --------------------------------------------------------------------------- pages


def run_app_stage(db: Path, *, repeats: int, isolate: bool) -> dict[str, Any]:
    if not isolate:
        return app_stage(str(db), repeats)
    code = (
        "import json, sys; from heatmap_bench.pages import app_stage; "
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
            "queries": bench_queries(con, db, repeats=repeats),
            "payload": bench_payload(con),
        }
    finally:
        con.close()
        from ui.frame import release_connection

        release_connection(db)  # the pages' read-only connection, opened by their functions
    return {**out, "peak_rss_bytes": vm_hwm_bytes() or max_rss_bytes()}


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


def bench_queries(con: Any, db: str, *, repeats: int, district: str = DISTRICT) -> dict[str, Any]:
    """p50 / p95 latency of each page's data functions, city and district scope.

    The functions are the pages' own (``ui.views``, ``ui.topic_views``) without their Streamlit
    cache, called with the view a page builds. Calls rotate over the store's last twelve months
    (a Streamlit cache hit costs nothing, so these are the figures of a new filter combination).
    """
    months = queries.available_months(con)
    recent = months[-12:]
    timings: dict[str, dict[str, list[float]]] = {}
    pages: dict[str, dict[str, list[float]]] = {}
    for scope_name, scope in (("city", None), ("district", (district,))):
        last = View(months[-1], months[-1], scope or (), scope=scope)
        town = str(queries.town_measures(con, last)["town_code"].iloc[0])
        for i in range(repeats):
            month = recent[i % len(recent)]
            view = View(month, month, scope or (), scope=scope)
            calls = page_calls(db, view, town=town, first=recent[0], available=months)
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


def page_calls(
    db: str, view: View, *, town: str, first: str, available: Sequence[str]
) -> dict[str, list[tuple[str, Callable[[], Any]]]]:
    """The read functions each page calls for ``view``, in the page's order: the pages' own
    functions of ``ui.views`` and ``ui.topic_views`` (``__wrapped__``: without the cache)."""
    from ui import topic_views, views

    weights = score_weights(make_settings({}))
    range_view = replace(view, month_from=first)
    m = view.measure
    return {
        "heatmap": [
            ("town_measures", lambda: _uncached(views.town_measures)(db, view)),
            ("density", lambda: _uncached(views.density)(db, view, 8)),
            ("summary", lambda: _uncached(views.summary)(db, view)),
        ],
        "heatmap_12_months": [
            ("town_measures", lambda: _uncached(views.town_measures)(db, range_view)),
            ("density", lambda: _uncached(views.density)(db, range_view, 8)),
            ("summary", lambda: _uncached(views.summary)(db, range_view)),
        ],
        "heatmap_town": [
            ("town_trend", lambda: _uncached(views.town_trend)(db, view, town)),
            ("town_problems", lambda: _uncached(views.town_problems)(db, view, town)),
        ],
        "ranking": [("panel", lambda: _uncached(views.panel)(db, m, weights))],
        "ranking_district_level": [
            ("panel", lambda: _uncached(views.panel)(db, m, weights, "district"))
        ],
        "governance": [
            (
                "panel+governance_result",
                lambda: governance.evaluate(
                    _uncached(views.panel)(db, m, weights), governance.ExitRules()
                ),
            )
        ],
        "topic": _topic_calls(db, view, available=available, topic_views=topic_views, views=views),
    }


def _uncached(cached: Any) -> Callable[..., Any]:
    """The page's function under its ``st.cache_data`` wrapper (the body every rerun may run)."""
    return cast(Callable[..., Any], cached.__wrapped__)


def _topic_calls(
    db: str, view: View, *, available: Sequence[str], topic_views: Any, views: Any
) -> list[tuple[str, Callable[[], Any]]]:
    """每月一题: the read functions of ``pages/topics.py`` in its order (the month's report, the
    list's 13-month trend, the first listed problem's towns and carriers, spike alerts)."""
    from heatmap.analysis import topics

    taxonomy = load_taxonomy()
    month = view.month_to
    year = topics.list_year_for(taxonomy, month)
    listed = tuple(topics.listed_problems(taxonomy, year)["problem"])
    window = tuple(m for m in topics.window_months(month, 13) if m in set(available))
    one = replace(view, theme=None, problem=listed[0] if listed else None)
    chosen = str(one.problem)
    rule = topics.SpikeRule()
    return [
        ("month_report", lambda: _uncached(topic_views.month_report)(db, view, month, year)),
        ("volumes", lambda: _uncached(topic_views.trend)(db, view, window, listed)),
        ("town_measures", lambda: _uncached(views.town_measures)(db, one)),
        ("carriers_town", lambda: _uncached(topic_views.carriers)(db, one, chosen, "town")),
        (
            "carriers_district",
            lambda: _uncached(topic_views.carriers)(db, one, chosen, "district"),
        ),
        (
            "spike_alerts",
            lambda: _uncached(topic_views.spikes)(db, view, month, rule, listed),
        ),
    ]


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
    from ui.views import top_labels

    meta = store.get_meta(con)
    geoms = maps.display_geometry(load_boundary_set(meta.get("boundary_set", BOUNDARY_SET)).frame)
    districts = load_districts(display=True)
    month = queries.available_months(con)[-1]
    out: dict[str, Any] = {"month": month}
    for scope_name, scope in (("city", None), ("district", (district,))):
        wanted = View(month, month, scope or (), scope=scope)
        measures = queries.town_measures(con, wanted)
        rows, _ = maps.town_rows(geoms, measures, metric="volume", lang="zh")
        top = top_labels(meta.get("boundary_set", BOUNDARY_SET), measures)
        shown = geoms[geoms["code9"].isin(measures["town_code"])]
        view = maps.view_for(shown.total_bounds) if scope else None
        entry: dict[str, Any] = {"towns": len(measures)}
        started = time.perf_counter()
        plain = maps.build_deck(rows, districts, top_labels=top, view=view).to_json()
        entry["without_density_bytes"] = len(plain.encode("utf-8"))
        entry["without_density_build_ms"] = round((time.perf_counter() - started) * 1000, 1)
        for resolution in (8, 7):
            started = time.perf_counter()
            cells = queries.density(con, wanted, resolution=resolution)
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


