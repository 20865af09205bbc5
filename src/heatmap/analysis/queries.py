"""Read-only queries the pages use: they read the monthly aggregates, never the raw records.

Every function takes the connection first and an optional ``scope`` (district codes the user may
see), so access rules can be enforced on the server.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from heatmap.errors import FilterError
from heatmap.filters import Choices, Filters, where_clause
from heatmap.geo.cells import cell_hex, coarsen
from heatmap.measures import add_rates, change, composite_score, per_10k, rank_by

_SUMS = (
    "sum(accepted) AS accepted, sum(dispatched) AS dispatched, sum(responded) AS responded, "
    "sum(evaluated) AS evaluated, sum(resolved) AS resolved, sum(satisfied) AS satisfied"
)
_COUNT_COLUMNS = ["accepted", "dispatched", "responded", "evaluated", "resolved", "satisfied"]


def available_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Months that have data, ascending 'YYYY-MM'."""
    rows = con.execute(
        "SELECT DISTINCT strftime(month, '%Y-%m') FROM agg_town_month ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def towns(con: duckdb.DuckDBPyConnection, *, scope: Sequence[str] | None = None) -> pd.DataFrame:
    """The town reference table (within ``scope``), ordered by district and code."""
    sql = "SELECT * FROM towns"
    params: list[str] = []
    if scope is not None:
        sql += (
            " WHERE district_code IN (" + ", ".join("?" for _ in scope) + ")"
            if scope
            else " WHERE false"
        )
        params = list(scope)
    return con.execute(sql + " ORDER BY district_code, town_code", params).df()


def districts(
    con: duckdb.DuckDBPyConnection, *, scope: Sequence[str] | None = None
) -> pd.DataFrame:
    """District codes and names (within ``scope``)."""
    frame = towns(con, scope=scope)
    return frame[["district_code", "district_name"]].drop_duplicates().reset_index(drop=True)


def topics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Theme and problem pairs present in the store."""
    return con.execute(
        "SELECT DISTINCT theme, problem FROM agg_town_month WHERE problem IS NOT NULL ORDER BY 1, 2"
    ).df()


def choices(con: duckdb.DuckDBPyConnection, *, scope: Sequence[str] | None = None) -> Choices:
    """What a URL may select, for :func:`heatmap.filters.from_query_params`."""
    ref = towns(con, scope=scope)
    pairs = topics(con)
    return Choices(
        months=available_months(con),
        districts=list(dict.fromkeys(ref["district_code"])),
        towns=dict(zip(ref["town_code"], ref["district_code"], strict=True)),
        themes=list(dict.fromkeys(pairs["theme"])),
        problems=dict(zip(pairs["problem"], pairs["theme"], strict=True)),
    )


def town_measures(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    *,
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per town of the view: volume, previous-window volume, 环比, rates, city-wide rank.

    The rank is among all towns of the city (a district official sees where their towns stand among
    all), computed on the theme/problem filter; rows are then limited to the view and ``scope``.
    """
    _check_measure(measure)
    ref = towns(con)
    now = _town_sums(con, filters)
    before = _town_sums(con, filters.previous())
    frame = ref.merge(now, on="town_code", how="left")
    frame[_COUNT_COLUMNS] = frame[_COUNT_COLUMNS].fillna(0).astype("int64")
    frame["volume"] = frame[measure]
    frame["previous_volume"] = (
        frame["town_code"].map(before.set_index("town_code")[measure]).fillna(0).astype("int64")
    )
    frame["mom"] = change(frame["volume"], frame["previous_volume"])
    frame["rank"] = rank_by(frame["volume"])
    frame["previous_rank"] = rank_by(frame["previous_volume"])
    frame["per_10k"] = per_10k(frame["volume"], frame["population"])
    frame = add_rates(frame)
    keep = _in_view(frame, filters, scope)
    return frame[keep].sort_values(["rank", "town_code"]).reset_index(drop=True)


def _town_sums(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    where, params = where_clause(filters, geography=False)
    return con.execute(
        f"SELECT town_code, {_SUMS} FROM agg_town_month {where} AND town_code IS NOT NULL GROUP BY town_code",
        params,
    ).df()


def _in_view(frame: pd.DataFrame, filters: Filters, scope: Sequence[str] | None) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    if scope is not None:
        keep &= frame["district_code"].isin(scope)
    if filters.districts:
        keep &= frame["district_code"].isin(filters.districts)
    if filters.towns:
        keep &= frame["town_code"].isin(filters.towns)
    return keep


def summary(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    *,
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
) -> dict[str, float | int | None]:
    """Totals of the view: volume, previous volume, 环比, the three rates, records without town."""
    _check_measure(measure)
    out: dict[str, float | int | None] = {}
    for key, window in (("", filters), ("previous_", filters.previous())):
        where, params = where_clause(window, scope=scope)
        row = con.execute(f"SELECT {_SUMS} FROM agg_town_month {where}", params).df().fillna(0)
        rated = add_rates(row.astype("int64")).iloc[0]
        out[f"{key}volume"] = int(rated[measure])
        for rate in ("response_rate", "resolution_rate", "satisfaction_rate"):
            out[f"{key}{rate}"] = None if pd.isna(rated[rate]) else float(rated[rate])
    prev = out["previous_volume"] or 0
    out["mom"] = (int(out["volume"] or 0) - prev) / prev if prev else None
    where, params = where_clause(filters, scope=scope)
    missing = con.execute(
        f"SELECT sum({measure}) FROM agg_town_month {where} AND town_code IS NULL", params
    ).fetchall()[0]
    out["unassigned"] = int(missing[0] or 0) if missing else 0
    return out


def density(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    *,
    measure: str = "dispatched",
    resolution: int | None = None,
    scope: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Volume per H3 cell of the view (hex id string, volume); cells coarsened to ``resolution``."""
    _check_measure(measure)
    where, params = where_clause(filters, scope=scope)
    frame = con.execute(
        f"SELECT h3, sum({measure}) AS volume FROM agg_cell_month {where} GROUP BY h3 HAVING sum({measure}) > 0",
        params,
    ).df()
    if frame.empty:
        return pd.DataFrame({"hex": pd.Series(dtype="object"), "volume": pd.Series(dtype="int64")})
    if resolution is not None:
        frame["h3"] = coarsen(frame["h3"], resolution)
        frame = frame.groupby("h3", as_index=False).agg(volume=("volume", "sum"))
    frame["hex"] = cell_hex(frame["h3"])
    return frame[["hex", "volume"]].sort_values("volume", ascending=False).reset_index(drop=True)


def town_trend(
    con: duckdb.DuckDBPyConnection,
    town_code: str,
    filters: Filters,
    *,
    months: int = 12,
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A town's last ``months`` months up to the view's end month: volume, rank, rates."""
    _check_measure(measure)
    _check_town_in_scope(con, town_code, scope)
    end = pd.Period(filters.month_to, freq="M")
    window = [str(end - i) for i in range(months - 1, -1, -1)]
    where, params = where_clause(filters, months=window, geography=False)
    frame = con.execute(
        f"""SELECT strftime(month, '%Y-%m') AS month, town_code, {_SUMS}
        FROM agg_town_month {where} AND town_code IS NOT NULL GROUP BY ALL""",
        params,
    ).df()
    frame["volume"] = frame[measure]
    frame["rank"] = frame.groupby("month")["volume"].rank(method="min", ascending=False)
    mine = frame[frame["town_code"] == town_code].set_index("month").reindex(window)
    mine[_COUNT_COLUMNS + ["volume"]] = mine[_COUNT_COLUMNS + ["volume"]].fillna(0).astype("int64")
    return add_rates(mine.drop(columns="town_code").rename_axis("month").reset_index())


def town_problems(
    con: duckdb.DuckDBPyConnection,
    town_code: str,
    filters: Filters,
    *,
    limit: int = 5,
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A town's top problems in the view's months: theme, problem, volume, share."""
    _check_measure(measure)
    _check_town_in_scope(con, town_code, scope)
    where, params = where_clause(filters, geography=False, topic=False)
    frame = con.execute(
        f"""SELECT theme, problem, sum({measure}) AS volume FROM agg_town_month
        {where} AND town_code = ? GROUP BY ALL HAVING sum({measure}) > 0
        ORDER BY volume DESC, problem LIMIT ?""",
        [*params, town_code, limit],
    ).df()
    total = con.execute(
        f"SELECT sum({measure}) FROM agg_town_month {where} AND town_code = ?", [*params, town_code]
    ).fetchall()[0]
    frame["share"] = frame["volume"] / (total[0] if total and total[0] else 1)
    return frame


def _check_measure(measure: str) -> None:
    if measure not in ("dispatched", "accepted"):
        raise FilterError(f"接诉量口径应为 dispatched 或 accepted，收到 {measure!r}")


def _check_town_in_scope(
    con: duckdb.DuckDBPyConnection, town_code: str, scope: Sequence[str] | None
) -> None:
    rows = con.execute(
        "SELECT district_code FROM towns WHERE town_code = ?", [town_code]
    ).fetchall()
    row = rows[0] if rows else None
    if row is None:
        raise FilterError(f"未知街乡镇编码 {town_code!r} (unknown town code)")
    if scope is not None and row[0] not in scope:
        raise FilterError(
            f"无权查看街乡镇 {town_code}（不在授权区范围内）(town outside your scope)"
        )


def monthly_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    measure: str = "dispatched",
    weights: tuple[float, float, float] = (0.10, 0.45, 0.45),
    level: str = "town",
) -> pd.DataFrame:
    """Every town (or district) × every month: volume, city-wide rank, 环比, 同比, rates and score.

    Zero-filled, so a town with no records in a month has volume 0 (and unknown rates). The volume
    rank is 1 for the highest (ties share the best rank); ``score_rank`` is 1 for the best composite
    score; ``city_score`` is the city's composite score that month. This is what rankings and the
    governance rule read; it is always city-wide (a scope only limits the rows a page shows).
    """
    _check_measure(measure)
    key = {"town": "town_code", "district": "district_code"}.get(level)
    if key is None:
        raise FilterError(f"level 应为 town 或 district，收到 {level!r}")
    months = available_months(con)
    ref = towns(con)
    if level == "district":
        ref = ref.groupby(["district_code", "district_name"], as_index=False).agg(
            population=("population", "sum")
        )
    sums = con.execute(
        f"""SELECT strftime(month, '%Y-%m') AS month, {key}, {_SUMS} FROM agg_town_month
        WHERE {key} IS NOT NULL GROUP BY ALL"""
    ).df()
    grid = pd.MultiIndex.from_product([months, ref[key]], names=["month", key]).to_frame(
        index=False
    )
    frame = grid.merge(ref, on=key, how="left").merge(sums, on=["month", key], how="left")
    frame[_COUNT_COLUMNS] = frame[_COUNT_COLUMNS].fillna(0).astype("int64")
    frame["volume"] = frame[measure]
    frame = add_rates(frame)
    frame["score"] = composite_score(frame, weights)
    frame = frame.sort_values([key, "month"]).reset_index(drop=True)
    by_unit = frame.groupby(key)["volume"]
    frame["previous_volume"] = by_unit.shift(1)
    frame["mom"] = change(frame["volume"], frame["previous_volume"])
    frame["yoy"] = change(frame["volume"], by_unit.shift(12))
    by_month = frame.groupby("month")
    frame["rank"] = by_month["volume"].rank(method="min", ascending=False).astype("int64")
    frame["previous_rank"] = frame.groupby(key)["rank"].shift(1).astype("Int64")
    frame["score_rank"] = by_month["score"].rank(method="min", ascending=False).astype("Int64")
    frame["n_towns"] = by_month["volume"].transform("size")
    frame["per_10k"] = per_10k(frame["volume"], frame["population"])
    city = add_rates(frame.groupby("month", as_index=False)[_COUNT_COLUMNS].sum())
    city["city_score"] = composite_score(city, weights)
    return frame.merge(city[["month", "city_score"]], on="month", how="left")
