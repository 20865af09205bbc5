"""类别分析: what the demand of a view is about — themes and problems, by district, 高频事项."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from heatmap.analysis import queries
from heatmap.errors import FilterError
from heatmap.filters import View
from heatmap.measures import change, rank_by

_TABLE_COLUMNS = [
    "theme", "problem", "volume", "previous_volume", "year_ago_volume", "change", "mom_change",
    "yoy_change", "share", "rank", "previous_rank",
]  # fmt: skip


def category_table(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    """One row per theme × problem of the view (its months, districts, towns, theme, problem).

    Volume over the window, the equally long window before (环比) and a year before (同比), share
    of the view's volume, and the rank by volume now and before. Problems with no volume in any of
    the three windows are left out.
    """
    now, before, year_ago = (
        _problem_volumes(con, window) for window in (view, view.previous(), view.year_before())
    )
    return combine(now, before, year_ago)


def combine(now: pd.DataFrame, before: pd.DataFrame, year_ago: pd.DataFrame) -> pd.DataFrame:
    """Join three (theme, problem, volume) frames into :func:`category_table`'s layout."""
    keys = ["theme", "problem"]
    frame = (
        now.merge(before, on=keys, how="outer", suffixes=("", "_b"))
        .merge(year_ago.rename(columns={"volume": "year_ago_volume"}), on=keys, how="outer")
        .rename(columns={"volume_b": "previous_volume"})
    )
    if frame.empty:
        return pd.DataFrame(columns=_TABLE_COLUMNS)
    for column in ("volume", "previous_volume", "year_ago_volume"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["change"] = frame["volume"] - frame["previous_volume"]
    frame["mom_change"] = change(frame["volume"], frame["previous_volume"])
    frame["yoy_change"] = change(frame["volume"], frame["year_ago_volume"])
    total = frame["volume"].sum()
    frame["share"] = frame["volume"] / total if total else float("nan")
    frame["rank"] = rank_by(frame["volume"])
    frame["previous_rank"] = rank_by(frame["previous_volume"])
    frame = frame.sort_values(["rank", "problem"]).reset_index(drop=True)
    return frame[_TABLE_COLUMNS]


def high_frequency(table: pd.DataFrame, *, n: int = 10) -> pd.DataFrame:
    """高频事项: the ``n`` problems with the highest volume (ties share the rank), with change."""
    top = table[table["volume"] > 0].sort_values(["rank", "problem"])
    return top[top["rank"] <= n].reset_index(drop=True)


def category_matrix(
    con: duckdb.DuckDBPyConnection, view: View, *, by: str = "theme"
) -> pd.DataFrame:
    """Volume per category (theme or problem) × district of the view — or × town when the view
    names towns. Long form: category, unit_code, unit_name, volume (only volumes above 0)."""
    if by not in ("theme", "problem"):
        raise FilterError(f"by 应为 theme 或 problem，收到 {by!r}")
    unit = "town" if view.towns else "district"
    key = f"{unit}_code"
    frame = queries.sums(con, view, by=[by, key], positive=True)
    frame = frame.rename(columns={by: "category", key: "unit_code"})[
        ["category", "unit_code", "volume"]
    ]
    names = queries.names(con, unit)[[key, f"{unit}_name"]]
    names.columns = ["unit_code", "unit_name"]
    frame = frame.merge(names, on="unit_code", how="left")
    frame["unit_name"] = frame["unit_name"].fillna(frame["unit_code"])
    frame["volume"] = frame["volume"].astype("int64")
    return frame.sort_values(["unit_code", "category"]).reset_index(drop=True)


def matrix_pivot(
    long: pd.DataFrame, *, share: bool = False, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """Categories (rows, by total volume or ``order``) × units (columns, by code): volume, or each
    unit's share of its own volume when ``share`` (so big and small districts compare)."""
    if long.empty:
        return pd.DataFrame()
    pivot = long.pivot_table(
        index="category", columns="unit_code", values="volume", aggfunc="sum", fill_value=0
    )
    rows = [c for c in order if c in pivot.index] if order else []
    by_total = pivot.sum(axis=1).sort_values(ascending=False, kind="stable").index
    rows += [c for c in by_total if c not in rows]
    pivot = pivot.loc[rows, sorted(pivot.columns)]
    names = long.drop_duplicates("unit_code").set_index("unit_code")["unit_name"]
    if share:
        pivot = pivot / pivot.sum(axis=0).where(pivot.sum(axis=0) > 0)
    pivot.columns = [names[c] for c in pivot.columns]
    pivot.columns.name = None
    pivot.index.name = None
    return pivot


def _problem_volumes(con: duckdb.DuckDBPyConnection, view: View) -> pd.DataFrame:
    frame = queries.sums(con, view, by=["theme", "problem"], positive=True)
    return frame[["theme", "problem", "volume"]]
