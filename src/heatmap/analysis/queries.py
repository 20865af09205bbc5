"""The one read side: every read over the monthly aggregates goes through this module.

Pages, the briefing, 每月一题, categories, the CLI and the benchmark read the store here, never
the raw records. A read takes the connection and a :class:`~heatmap.filters.View` (the months,
districts, towns, theme, problem, volume basis and the user's scope), so access rules hold on the
server: :func:`sums` applies the view's scope to every query it writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import duckdb
import pandas as pd

from heatmap.errors import FilterError, ScopeError
from heatmap.filters import Choices, Filters, View, check_basis, where_clause
from heatmap.geo.cells import parent_sql
from heatmap.measures import (
    COUNT_COLUMNS,
    RATES,
    add_rates,
    change,
    composite_score,
    per_10k,
    rank_by,
)

_SUMS = ", ".join(f"sum({c}) AS {c}" for c in COUNT_COLUMNS)
_COUNT_COLUMNS = list(COUNT_COLUMNS)
#: The columns a level groups by (None = the whole view).
LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "city": (),
    "district": ("district_code",),
    "town": ("district_code", "town_code"),
}


def available_months(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Months that have data, ascending 'YYYY-MM'."""
    rows = con.execute(
        "SELECT strftime(month, '%Y-%m') FROM (SELECT DISTINCT month FROM agg_town_month) ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def require_month(con: duckdb.DuckDBPyConnection, month: str) -> list[str]:
    """The store's months, after checking that ``month`` is one of them (a clear error if not)."""
    Filters(month, month)  # checks the YYYY-MM form
    months = available_months(con)
    if not months:
        raise FilterError("数据库中没有数据 (empty store); build the demo or import exports first")
    if month not in months:
        raise FilterError(
            f"月份 {month} 不在数据中；可用 {months[0]} 至 {months[-1]} (month not in store)"
        )
    return months


def has_months(con: duckdb.DuckDBPyConnection, months: Sequence[str]) -> bool:
    """Whether the store holds every one of ``months``."""
    available = set(available_months(con))
    return all(m in available for m in months)


def sums(
    con: duckdb.DuckDBPyConnection,
    view: View,
    *,
    by: Sequence[str] = (),
    months: Sequence[str] | None = None,
    problems: Sequence[str] | None = None,
    geography: bool = True,
    topic: bool = True,
    scoped: bool = True,
    positive: bool = False,
) -> pd.DataFrame:
    """The aggregate counts of the view grouped ``by`` columns, plus ``volume`` (the view's basis).

    ``by`` may name month (returned as 'YYYY-MM'), district_code, town_code, theme, problem; rows
    with no value in a key column (records without a town, without a problem) are left out of a
    grouping by that column. ``months`` overrides the view's months, ``problems`` limits the
    problems, ``geography``/``topic``/``scoped`` leave out the view's district and town filters,
    its theme and problem, or its scope (see :func:`~heatmap.filters.where_clause`), and
    ``positive`` keeps only groups with a volume above 0.
    """
    unknown = [
        c for c in by if c not in ("month", "district_code", "town_code", "theme", "problem")
    ]
    if unknown:
        raise FilterError(f"无法按 {unknown} 汇总 (cannot group by {unknown})")
    where, params = where_clause(
        view, months=months, geography=geography, topic=topic, scoped=scoped
    )
    if problems is not None:
        where += " AND problem IN (" + (", ".join("?" for _ in problems) or "NULL") + ")"
        params += list(problems)
    where += "".join(f" AND {c} IS NOT NULL" for c in by if c != "month")
    keys = ["strftime(month, '%Y-%m') AS month" if c == "month" else c for c in by]
    having = f" HAVING sum({view.measure}) > 0" if positive else ""
    group = f" GROUP BY ALL{having} ORDER BY ALL" if by else having
    frame = con.execute(
        f"SELECT {', '.join([*keys, _SUMS])} FROM agg_town_month {where}{group}", params
    ).df()
    frame[_COUNT_COLUMNS] = frame[_COUNT_COLUMNS].fillna(0).astype("int64")
    frame["volume"] = frame[view.measure]
    return frame


def names(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    """Codes and names of the towns (with their district name) or of the districts."""
    if level == "town":
        return con.execute("SELECT town_code, town_name, district_name FROM towns").df()
    if level == "district":
        return con.execute("SELECT DISTINCT district_code, district_name FROM towns").df()
    raise FilterError(f"level 应为 town 或 district，收到 {level!r}")


def towns(
    con: duckdb.DuckDBPyConnection,
    *,
    scope: Sequence[str] | None = None,
    scope_towns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The town reference table (within ``scope`` and ``scope_towns``), ordered by district and code."""
    clauses: list[str] = []
    params: list[str] = []
    for column, codes in (("district_code", scope), ("town_code", scope_towns)):
        if codes is not None:
            marks = ", ".join("?" for _ in codes)
            clauses.append(f"{column} IN ({marks})" if codes else "false")
            params += list(codes)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return con.execute(f"SELECT * FROM towns{where} ORDER BY district_code, town_code", params).df()


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


def choices(
    con: duckdb.DuckDBPyConnection,
    *,
    scope: Sequence[str] | None = None,
    scope_towns: Sequence[str] | None = None,
) -> Choices:
    """What a URL may select, for :func:`heatmap.filters.from_query_params`."""
    ref = towns(con, scope=scope, scope_towns=scope_towns)
    pairs = topics(con)
    return Choices(
        months=available_months(con),
        districts=list(dict.fromkeys(ref["district_code"])),
        towns=dict(zip(ref["town_code"], ref["district_code"], strict=True)),
        themes=list(dict.fromkeys(pairs["theme"])),
        problems=dict(zip(pairs["problem"], pairs["theme"], strict=True)),
    )


def town_measures(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    """One row per town of the view: volume, previous-window volume, 环比, rates, city-wide rank.

    The rank is among all towns of the city (a district official sees where their towns stand among
    all), computed on the theme/problem filter; rows are then limited to the view and its scope.
    """
    # one query: the view's window and the one before summed side by side, on the town table
    previous = view.previous()
    where, params = where_clause(
        view, months=[*previous.months, *view.months], geography=False, scoped=False
    )
    now = "month >= CAST(? AS DATE)"
    counts = ", ".join(
        f"coalesce(sum({c}) FILTER (WHERE {now}), 0)::BIGINT AS {c}" for c in COUNT_COLUMNS
    )
    frame = con.execute(
        f"""WITH a AS (
            SELECT town_code, {counts},
                   coalesce(sum({view.measure}) FILTER (WHERE NOT {now}), 0)::BIGINT AS previous_volume
            FROM agg_town_month {where} AND town_code IS NOT NULL GROUP BY town_code)
        SELECT t.*, {", ".join(f"coalesce(a.{c}, 0) AS {c}" for c in COUNT_COLUMNS)},
               coalesce(a.{view.measure}, 0) AS volume,
               coalesce(a.previous_volume, 0) AS previous_volume
        FROM towns t LEFT JOIN a USING (town_code) ORDER BY t.district_code, t.town_code""",
        [*([f"{view.month_from}-01"] * (len(COUNT_COLUMNS) + 1)), *params],
    ).df()
    frame["mom"] = change(frame["volume"], frame["previous_volume"])
    frame["rank"] = rank_by(frame["volume"])
    frame["previous_rank"] = rank_by(frame["previous_volume"])
    frame["per_10k"] = per_10k(frame["volume"], frame["population"])
    frame = add_rates(frame)
    return view.select(frame).sort_values(["rank", "town_code"]).reset_index(drop=True)


def summary(con: duckdb.DuckDBPyConnection, view: View) -> dict[str, float | int | None]:
    """Totals of the view: volume, previous volume, 环比, the rates, records without town."""
    out: dict[str, float | int | None] = {}
    for key, window in (("", view), ("previous_", view.previous())):
        rated = add_rates(sums(con, window)).iloc[0]
        out[f"{key}volume"] = int(rated["volume"])
        for rate in RATES:
            out[f"{key}{rate}"] = None if pd.isna(rated[rate]) else float(rated[rate])
    prev = out["previous_volume"] or 0
    out["mom"] = (int(out["volume"] or 0) - prev) / prev if prev else None
    where, params = where_clause(view)
    missing = con.execute(
        f"SELECT sum({view.measure}) FROM agg_town_month {where} AND town_code IS NULL", params
    ).fetchall()[0]
    out["unassigned"] = int(missing[0] or 0) if missing else 0
    return out


def density(
    con: duckdb.DuckDBPyConnection, view: View, *, resolution: int | None = None
) -> pd.DataFrame:
    """Volume per H3 cell of the view (hex id string, volume); cells coarsened to ``resolution``.

    ``town_code`` is the town with the most of the cell's requests (ties: the larger code), so a
    click on a hexagon selects a town as a click on the town would.
    """
    where, params = where_clause(view)
    measure = view.measure
    cell = "h3" if resolution is None else parent_sql("h3", resolution)
    # coarsened and written as hex strings (H3's string form) in the query: no Python per cell
    return con.execute(
        f"""SELECT lower(hex(cell)) AS hex, volume, town_code FROM (
            SELECT cell, sum(v)::BIGINT AS volume, arg_max(town_code, (v, town_code)) AS town_code
            FROM (
                SELECT {cell} AS cell, town_code, sum({measure}) AS v
                FROM agg_cell_month {where} GROUP BY cell, town_code)
            GROUP BY cell HAVING sum(v) > 0)
        ORDER BY volume DESC, hex""",
        params,
    ).df()


def town_trend(
    con: duckdb.DuckDBPyConnection, view: View, town_code: str, *, months: int = 12
) -> pd.DataFrame:
    """A town's last ``months`` months up to the view's end month: volume, rank, rates."""
    _check_town_in_scope(con, town_code, view)
    end = pd.Period(view.month_to, freq="M")
    window = [str(end - i) for i in range(months - 1, -1, -1)]
    frame = sums(con, view, by=["month", "town_code"], months=window, geography=False, scoped=False)
    frame["rank"] = frame.groupby("month")["volume"].rank(method="min", ascending=False)
    mine = frame[frame["town_code"] == town_code].set_index("month").reindex(window)
    mine[_COUNT_COLUMNS + ["volume"]] = mine[_COUNT_COLUMNS + ["volume"]].fillna(0).astype("int64")
    return add_rates(mine.drop(columns="town_code").rename_axis("month").reset_index())


def town_problems(
    con: duckdb.DuckDBPyConnection, view: View, town_code: str, *, limit: int = 5
) -> pd.DataFrame:
    """A town's top problems in the view's months: theme, problem, volume, share."""
    _check_town_in_scope(con, town_code, view)
    mine = replace(view, districts=(), towns=(town_code,))
    frame = sums(con, mine, by=["theme", "problem"], topic=False, positive=True)
    total = int(sums(con, mine, topic=False)["volume"].iloc[0])
    frame = frame.sort_values(["volume", "problem"], ascending=[False, True]).head(limit)
    frame["share"] = frame["volume"] / (total or 1)
    return frame[["theme", "problem", "volume", "share"]].reset_index(drop=True)


def _check_town_in_scope(con: duckdb.DuckDBPyConnection, town_code: str, view: View) -> None:
    rows = con.execute(
        "SELECT district_code FROM towns WHERE town_code = ?", [town_code]
    ).fetchall()
    row = rows[0] if rows else None
    if row is None:
        raise FilterError(f"未知街乡镇编码 {town_code!r} (unknown town code)")
    outside_towns = view.scope_towns is not None and town_code not in view.scope_towns
    if (view.scope is not None and row[0] not in view.scope) or outside_towns:
        raise ScopeError(
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
    check_basis(measure)
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
