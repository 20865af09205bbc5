"""每月一题: the listed problems' monthly volume and change, carriers, spikes, and task progress.

Pure functions work on frames; query functions take the connection and a
:class:`~heatmap.filters.View` and read through :func:`heatmap.analysis.queries.sums`. The 每月一题 list of a year is the
problems of the taxonomy whose ``lists`` contain that year, so "N of K problems" counts that file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from heatmap.analysis import queries
from heatmap.errors import FilterError, HeatmapError
from heatmap.filters import View
from heatmap.i18n import t
from heatmap.measures import change
from heatmap.taxonomy import Taxonomy, load_taxonomy

#: "降幅超过 10%": a problem counts in the second figure when its 环比 is below minus this fraction.
FELL_BY = 0.10
#: Rising problems: the relative ranking only considers problems with at least this previous volume.
RISING_MIN_BASE = 20
LEVEL_KEYS = queries.LEVEL_KEYS


@dataclass(frozen=True)
class SpikeRule:
    """A town × problem is a spike when its volume ≥ max(min_volume, factor × median of the
    previous ``window`` months); months without records count as 0."""

    min_volume: int = 10
    factor: float = 3.0
    window: int = 6

    def __post_init__(self) -> None:
        if self.min_volume < 1 or self.factor <= 0 or not 1 <= self.window <= 24:
            raise HeatmapError(
                f"预警规则参数无效：min_volume={self.min_volume}（应 ≥ 1）、factor={self.factor}"
                f"（应 > 0）、window={self.window}（应在 1–24 之间）(invalid spike rule)"
            )

    def describe(self, lang: str = "zh") -> str:
        return t(
            "spike_rule", lang, min=self.min_volume, factor=f"{self.factor:g}", window=self.window
        )


# ---------------------------------------------------------------------------------------------
# The list of a year


def list_years(taxonomy: Taxonomy) -> list[int]:
    """Years that have a 每月一题 list in the taxonomy, ascending."""
    return sorted({y for p in taxonomy.problems for y in p.lists})


def list_year_for(taxonomy: Taxonomy, month: str, year: int | None = None) -> int:
    """The list year for ``month``: ``year`` if given, else the month's year, else the latest list
    year before it, else (a month before the first list) the first list year."""
    years = list_years(taxonomy)
    if not years:
        raise HeatmapError(
            f"分类表 {taxonomy.source} 中没有任何问题属于每月一题清单 (no problem has `lists`); "
            "add e.g. lists = [2021] to the listed problems."
        )
    if year is not None:
        if year not in years:
            raise HeatmapError(
                f"{year} 年没有每月一题清单；分类表中的清单年份：{years} (no list for that year)"
            )
        return year
    earlier = [y for y in years if y <= int(month[:4])]
    return max(earlier) if earlier else years[0]


def listed_problems(taxonomy: Taxonomy, year: int) -> pd.DataFrame:
    """The problems of the ``year`` list in taxonomy order: theme, problem, problem_en, lead."""
    rows = [
        {"theme": p.theme, "problem": p.name, "problem_en": p.name_en, "lead": p.lead}
        for p in taxonomy.problems
        if year in p.lists
    ]
    return pd.DataFrame(rows, columns=["theme", "problem", "problem_en", "lead"])


def window_months(month: str, n: int) -> list[str]:
    """The ``n`` months ending with ``month``, ascending."""
    end = pd.Period(month, freq="M")
    return [str(end - i) for i in range(n - 1, -1, -1)]


def shift_month(month: str, k: int) -> str:
    return str(pd.Period(month, freq="M") + k)


# ---------------------------------------------------------------------------------------------
# Queries


def volumes(
    con: duckdb.DuckDBPyConnection,
    view: View,
    *,
    months: Sequence[str],
    problems: Sequence[str] | None = None,
    level: str = "city",
) -> pd.DataFrame:
    """Monthly volume per problem (city, district or town) in the view's districts and towns.

    Rows only where the volume is above 0: month ('YYYY-MM'), the level's keys (district_code;
    district_code and town_code), theme, problem, volume. ``problems`` limits the problems (None =
    all); the view's theme/problem filter does not apply (the list decides).
    """
    if level not in LEVEL_KEYS:
        raise FilterError(f"level 应为 city、district 或 town，收到 {level!r}")
    keys = ["month", *LEVEL_KEYS[level], "theme", "problem"]
    frame = queries.sums(
        con, view, by=keys, months=months, problems=problems, topic=False, positive=True
    )
    return frame[[*keys, "volume"]]


def month_report(
    con: duckdb.DuckDBPyConnection,
    month: str,
    *,
    year: int | None = None,
    view: View | None = None,
    taxonomy: Taxonomy | None = None,
    threshold: float = FELL_BY,
) -> dict[str, Any]:
    """Everything the CLI prints for a month: the list's table and the "N of K" summary.

    ``view`` contributes its districts, towns, volume basis and scope (default: the whole city).
    ``previous_in_store`` is False when the store has no previous month (环比 cannot be stated).
    """
    taxonomy = taxonomy or load_taxonomy()
    available = queries.require_month(con, month)
    year = list_year_for(taxonomy, month, year)
    listed = listed_problems(taxonomy, year)
    view = replace(view or View(month, month), month_from=month, month_to=month)
    months = [shift_month(month, -12), shift_month(month, -1), month]
    city = volumes(con, view, months=months, problems=listed["problem"].tolist())
    table = month_table(city, listed, month)
    return {
        "month": month,
        "year": year,
        "measure": view.measure,
        "previous_in_store": months[1] in available,
        "table": table,
        **fell_summary(table, threshold=threshold),
    }


def carriers(
    con: duckdb.DuckDBPyConnection,
    view: View,
    *,
    problems: Sequence[str],
    level: str = "town",
    n: int = 5,
) -> pd.DataFrame:
    """The towns (or districts) carrying most of each problem in the view's months, with names.

    Columns: problem, rank, the level's code and name columns, volume, share (of the problem's
    volume in the view).
    """
    if level not in ("town", "district"):
        raise FilterError(f"level 应为 town 或 district，收到 {level!r}")
    key = "town_code" if level == "town" else "district_code"
    summed = queries.sums(
        con, view, by=["problem", key], problems=problems, topic=False, positive=True
    )[["problem", key, "volume"]]  # the view's months summed in the store
    top = top_carriers(summed, key, n=n)
    return top.merge(queries.names(con, level), on=key, how="left")


def spike_alerts(
    con: duckdb.DuckDBPyConnection,
    view: View,
    *,
    month: str,
    rule: SpikeRule | None = None,
    problems: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Spikes of ``month`` (see :class:`SpikeRule`) in the view, with town and district names.

    Empty when the store has fewer than ``rule.window`` months before ``month``.
    """
    rule = rule or SpikeRule()
    months = window_months(month, rule.window + 1)
    if not queries.has_months(con, months):
        return find_spikes(pd.DataFrame(columns=_SPIKE_INPUT), month, rule=rule)
    spikes = _flag(_month_baselines(con, view, month, months, problems), rule)
    return spikes.merge(queries.names(con, "town"), on=["town_code"], how="left")


def _month_baselines(
    con: duckdb.DuckDBPyConnection,
    view: View,
    month: str,
    months: Sequence[str],
    problems: Sequence[str] | None,
) -> pd.DataFrame:
    """Each town × problem with volume in ``month``: its volume and the median of the months
    before it in ``months`` (missing months as 0), computed in the store, as :func:`find_spikes`
    does in pandas (tests/analysis/test_topics.py holds them equal)."""
    where, params = queries.where_clause(view, months=months, topic=False)
    if problems is not None:
        where += " AND problem IN (" + (", ".join("?" for _ in problems) or "NULL") + ")"
        params += list(problems)
    measure = view.measure
    return con.execute(
        f"""WITH v AS (
            SELECT month, town_code, district_code, theme, problem,
                   sum({measure}) AS volume
            FROM agg_town_month {where} AND town_code IS NOT NULL AND problem IS NOT NULL
                 AND district_code IS NOT NULL AND theme IS NOT NULL
            GROUP BY ALL HAVING sum({measure}) > 0),
        now AS (SELECT town_code, problem, district_code, theme, sum(volume)::BIGINT AS volume
                FROM v WHERE month = CAST(? AS DATE) GROUP BY ALL),
        past AS (SELECT town_code, problem, sum(volume) AS volume
                 FROM v WHERE month <> CAST(? AS DATE) GROUP BY town_code, problem, month),
        base AS (SELECT town_code, problem,
                        list_median(list_resize(list(volume), ?, 0)) AS baseline
                 FROM past GROUP BY ALL)
        SELECT n.town_code, n.district_code, n.theme, n.problem, n.volume,
               coalesce(b.baseline, 0)::DOUBLE AS baseline
        FROM now n LEFT JOIN base b USING (town_code, problem)""",
        [*params, f"{month}-01", f"{month}-01", len(months) - 1],
    ).df()


def has_history(con: duckdb.DuckDBPyConnection, month: str, window: int) -> bool:
    """Whether the store holds the ``window`` months before ``month`` (needed for spike alerts)."""
    return queries.has_months(con, window_months(month, window + 1))


# ---------------------------------------------------------------------------------------------
# Pure measures


def month_table(city: pd.DataFrame, listed: pd.DataFrame, month: str) -> pd.DataFrame:
    """One row per listed problem: volume, previous_volume, mom_change, year_ago_volume, yoy_change.

    ``city`` is :func:`volumes` at city level (it must hold ``month``, the month before and the
    month a year before; missing rows count as 0). ``mom_change`` is a fraction, NaN when the
    previous month had 0.
    """
    per = city.groupby(["month", "problem"])["volume"].sum().to_dict()
    out = listed[["theme", "problem"]].copy()
    for column, m in (
        ("volume", month),
        ("previous_volume", shift_month(month, -1)),
        ("year_ago_volume", shift_month(month, -12)),
    ):
        out[column] = np.array([per.get((m, p), 0) for p in out["problem"]], dtype="int64")
    out["change"] = out["volume"] - out["previous_volume"]
    out["mom_change"] = change(out["volume"], out["previous_volume"])
    out["yoy_change"] = change(out["volume"], out["year_ago_volume"])
    if "lead" in listed.columns:
        out["lead"] = listed["lead"].to_numpy()
    return out.reset_index(drop=True)


def fell_summary(table: pd.DataFrame, *, threshold: float = FELL_BY) -> dict[str, int | float]:
    """ "N of K problems fell month-on-month, M by more than ``threshold``" from :func:`month_table`.

    A problem fell when its volume is below the previous month's; it fell by more than 10 % when
    its 环比 is below −10 % (strictly). ``rose`` counts volumes above the previous month's.
    """
    fell = table["volume"] < table["previous_volume"]
    over = fell & (table["mom_change"] < -threshold)
    return {
        "total": len(table),
        "fell": int(fell.sum()),
        "fell_over_10pct": int(over.sum()),
        "rose": int((table["volume"] > table["previous_volume"]).sum()),
        "threshold": threshold,
    }


def summary_sentence(
    summary: dict[str, Any], month: str, lang: str = "zh", *, area: str = ""
) -> str:
    """「截至 2021-05，15 个问题中 9 个环比下降，其中 3 个降幅超过 10%」 (or the English)."""
    return t(
        "topics_sentence",
        lang,
        month=month,
        area=area,
        total=summary["total"],
        fell=summary["fell"],
        over=summary["fell_over_10pct"],
        pct=f"{summary['threshold'] * 100:g}",
    )


def trend_frame(city: pd.DataFrame, listed: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """The listed problems × ``months`` (zero-filled): month, theme, problem, volume, mom_change."""
    per = city.groupby(["problem", "month"])["volume"].sum().to_dict()
    names, themes, k = listed["problem"].tolist(), listed["theme"].tolist(), len(months)
    volume = np.array([per.get((p, m), 0) for p in names for m in months], dtype="int64")
    before = np.r_[np.nan, volume[:-1]].astype("float64")[: len(volume)]
    before[np.arange(len(volume)) % max(k, 1) == 0] = np.nan  # each problem's first month
    return pd.DataFrame(
        {
            "month": list(months) * len(names),
            "theme": np.repeat(themes, k).tolist(),
            "problem": np.repeat(names, k).tolist(),
            "volume": volume,
            "mom_change": change(pd.Series(volume), pd.Series(before)),
        }
    )


def top_carriers(frame: pd.DataFrame, key: str, *, n: int = 5) -> pd.DataFrame:
    """Per problem, the ``n`` units (``key``) with the highest volume and their share of it.

    ``frame`` has problem, ``key``, volume. Ties share the best rank and are ordered by code.
    """
    if frame.empty:
        return pd.DataFrame(columns=["problem", "rank", key, "volume", "share"])
    out = frame[frame["volume"] > 0].copy()
    totals = out.groupby("problem")["volume"].transform("sum")
    out["share"] = out["volume"] / totals
    out["rank"] = out.groupby("problem")["volume"].rank(method="min", ascending=False).astype(int)
    out = out.sort_values(["problem", "rank", key])
    out = out.groupby("problem", sort=False).head(n)
    return out[["problem", "rank", key, "volume", "share"]].reset_index(drop=True)


def rising(
    table: pd.DataFrame,
    *,
    by: str = "absolute",
    n: int = 5,
    min_base: int = RISING_MIN_BASE,
) -> pd.DataFrame:
    """The problems that grew most month-on-month: by ``change`` (absolute) or ``mom_change``
    (relative, only problems whose previous volume ≥ ``min_base``, so 1 → 3 is not +200 % news).

    ``table`` has problem, volume, previous_volume (e.g. :func:`month_table`); only growth > 0.
    """
    if by not in ("absolute", "relative"):
        raise HeatmapError(f"by 应为 absolute 或 relative，收到 {by!r}")
    out = table.copy()
    out["change"] = out["volume"] - out["previous_volume"]
    out["mom_change"] = change(out["volume"], out["previous_volume"])
    out = out[out["change"] > 0]
    if by == "relative":
        out = out[out["previous_volume"] >= min_base]
        order = ["mom_change", "change"]
    else:
        order = ["change", "mom_change"]
    out = out.sort_values([*order, "problem"], ascending=[False, False, True])
    return out.head(n).reset_index(drop=True)


_SPIKE_INPUT = ["month", "district_code", "town_code", "theme", "problem", "volume"]
_SPIKE_COLUMNS = [
    "town_code", "district_code", "theme", "problem", "volume", "baseline", "threshold", "ratio",
]  # fmt: skip


def find_spikes(frame: pd.DataFrame, month: str, *, rule: SpikeRule | None = None) -> pd.DataFrame:
    """Town × problem pairs of ``month`` at or above ``max(min_volume, factor × median)`` of the
    previous ``window`` months (missing months count as 0).

    ``frame`` is :func:`volumes` at town level covering those months. Result columns: town_code,
    district_code, theme, problem, volume, baseline (the median), threshold, ratio (volume /
    baseline, NaN when the baseline is 0), largest excess first.
    """
    rule = rule or SpikeRule()
    history = window_months(shift_month(month, -1), rule.window)
    now = frame[frame["month"] == month]
    if now.empty:
        return pd.DataFrame(columns=_SPIKE_COLUMNS)
    keys = ["town_code", "problem"]
    past = frame[frame["month"].isin(history)].pivot_table(
        index=keys, columns="month", values="volume", aggfunc="sum"
    )
    past = past.reindex(columns=history).fillna(0)
    out = now.groupby([*keys, "district_code", "theme"], as_index=False).agg(
        volume=("volume", "sum")
    )
    idx = pd.MultiIndex.from_frame(out[keys])
    out["baseline"] = past.median(axis=1).reindex(idx).fillna(0).to_numpy()
    return _flag(out, rule)


def _flag(out: pd.DataFrame, rule: SpikeRule) -> pd.DataFrame:
    """The rows at or above their threshold, with threshold and ratio, largest excess first."""
    if out.empty:
        return pd.DataFrame(columns=_SPIKE_COLUMNS)
    out = out.copy()
    out["threshold"] = np.maximum(rule.min_volume, rule.factor * out["baseline"])
    out["ratio"] = out["volume"] / out["baseline"].where(out["baseline"] > 0)
    out = out[out["volume"] >= out["threshold"]].copy()
    out["excess"] = out["volume"] - out["threshold"]
    out = out.sort_values(["excess", "town_code", "problem"], ascending=[False, True, True])
    return out[_SPIKE_COLUMNS].reset_index(drop=True)
