"""每月一题: the listed problems' monthly volume and change, carriers, spikes, and task progress.

Pure functions work on frames; query functions take the connection first and an optional ``scope``
(district codes the user may see), like :mod:`heatmap.analysis.queries`. The 每月一题 list of a year is the
problems of the taxonomy whose ``lists`` contain that year, so "N of K problems" counts that file.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from heatmap.errors import FilterError, HeatmapError
from heatmap.filters import Filters, where_clause
from heatmap.i18n import t
from heatmap.measures import change
from heatmap.taxonomy import Taxonomy, load_taxonomy

#: "降幅超过 10%": a problem counts in the second figure when its 环比 is below minus this fraction.
FELL_BY = 0.10
#: Rising problems: the relative ranking only considers problems with at least this previous volume.
RISING_MIN_BASE = 20
LEVEL_KEYS = {"city": [], "district": ["district_code"], "town": ["district_code", "town_code"]}


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
    filters: Filters,
    *,
    months: Sequence[str],
    problems: Sequence[str] | None = None,
    level: str = "city",
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Monthly volume per problem (city, district or town) in the view's districts and towns.

    Rows only where the volume is above 0: month ('YYYY-MM'), the level's keys (district_code;
    district_code and town_code), theme, problem, volume. ``problems`` limits the problems (None =
    all); the view's theme/problem filter does not apply (the list decides).
    """
    _check(level=level, measure=measure)
    keys = LEVEL_KEYS[level]
    where, params = where_clause(filters, months=list(months), scope=scope, topic=False)
    if problems is not None:
        where += " AND problem IN (" + (", ".join("?" for _ in problems) or "NULL") + ")"
        params += list(problems)
    if level == "town":
        where += " AND town_code IS NOT NULL"
    cols = ", ".join(["strftime(month, '%Y-%m') AS month", *keys, "theme", "problem"])
    frame = con.execute(
        f"""SELECT {cols}, sum({measure}) AS volume FROM agg_town_month {where}
        GROUP BY ALL HAVING sum({measure}) > 0 ORDER BY ALL""",
        params,
    ).df()
    frame["volume"] = frame["volume"].astype("int64")
    return frame


def month_report(
    con: duckdb.DuckDBPyConnection,
    month: str,
    *,
    year: int | None = None,
    filters: Filters | None = None,
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
    taxonomy: Taxonomy | None = None,
    threshold: float = FELL_BY,
) -> dict[str, Any]:
    """Everything the CLI prints for a month: the list's table and the "N of K" summary.

    ``filters`` contributes its districts and towns (default: the whole city within ``scope``).
    ``previous_in_store`` is False when the store has no previous month (环比 cannot be stated).
    """
    taxonomy = taxonomy or load_taxonomy()
    _check_month_in_store(con, month)
    year = list_year_for(taxonomy, month, year)
    listed = listed_problems(taxonomy, year)
    view = replace(filters or Filters(month, month), month_from=month, month_to=month)
    months = [shift_month(month, -12), shift_month(month, -1), month]
    city = volumes(
        con, view, months=months, problems=listed["problem"].tolist(), measure=measure, scope=scope
    )
    table = month_table(city, listed, month)
    return {
        "month": month,
        "year": year,
        "measure": measure,
        "previous_in_store": months[1] in _available_months(con),
        "table": table,
        **fell_summary(table, threshold=threshold),
    }


def carriers(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    *,
    problems: Sequence[str],
    level: str = "town",
    n: int = 5,
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The towns (or districts) carrying most of each problem in the view's months, with names.

    Columns: problem, rank, the level's code and name columns, volume, share (of the problem's
    volume in the view).
    """
    if level not in ("town", "district"):
        raise FilterError(f"level 应为 town 或 district，收到 {level!r}")
    frame = volumes(
        con, filters, months=filters.months, problems=problems, level=level, measure=measure,
        scope=scope,
    )  # fmt: skip
    key = "town_code" if level == "town" else "district_code"
    summed = frame.groupby(["problem", key], as_index=False).agg(volume=("volume", "sum"))
    top = top_carriers(summed, key, n=n)
    return top.merge(_names(con, level), on=key, how="left")


def spike_alerts(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    *,
    month: str,
    rule: SpikeRule | None = None,
    problems: Sequence[str] | None = None,
    measure: str = "dispatched",
    scope: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Spikes of ``month`` (see :class:`SpikeRule`) in the view, with town and district names.

    Empty when the store has fewer than ``rule.window`` months before ``month``.
    """
    rule = rule or SpikeRule()
    months = window_months(month, rule.window + 1)
    available = _available_months(con)
    if any(m not in available for m in months):
        return find_spikes(pd.DataFrame(columns=_SPIKE_INPUT), month, rule=rule)
    frame = volumes(
        con, filters, months=months, problems=problems, level="town", measure=measure, scope=scope
    )
    spikes = find_spikes(frame, month, rule=rule)
    return spikes.merge(_names(con, "town"), on=["town_code"], how="left")


def has_history(con: duckdb.DuckDBPyConnection, month: str, window: int) -> bool:
    """Whether the store holds the ``window`` months before ``month`` (needed for spike alerts)."""
    available = _available_months(con)
    return all(m in available for m in window_months(month, window + 1))


def _available_months(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT DISTINCT strftime(month, '%Y-%m') FROM agg_town_month").fetchall()
    return {r[0] for r in rows}


def _check_month_in_store(con: duckdb.DuckDBPyConnection, month: str) -> None:
    Filters(month, month)  # checks the YYYY-MM form
    available = sorted(_available_months(con))
    if month not in available:
        raise HeatmapError(
            f"月份 {month} 不在数据中；可用 {available[0]} 至 {available[-1]} (month not in store)"
            if available
            else "数据库中没有数据 (empty store)"
        )


def _names(con: duckdb.DuckDBPyConnection, level: str) -> pd.DataFrame:
    if level == "town":
        return con.execute("SELECT town_code, town_name, district_name FROM towns").df()
    return con.execute("SELECT DISTINCT district_code, district_name FROM towns").df()


def _check(*, level: str, measure: str) -> None:
    if level not in LEVEL_KEYS:
        raise FilterError(f"level 应为 city、district 或 town，收到 {level!r}")
    if measure not in ("dispatched", "accepted"):
        raise FilterError(f"接诉量口径应为 dispatched 或 accepted，收到 {measure!r}")


# ---------------------------------------------------------------------------------------------
# Pure measures


def month_table(city: pd.DataFrame, listed: pd.DataFrame, month: str) -> pd.DataFrame:
    """One row per listed problem: volume, previous_volume, mom_change, year_ago_volume, yoy_change.

    ``city`` is :func:`volumes` at city level (it must hold ``month``, the month before and the
    month a year before; missing rows count as 0). ``mom_change`` is a fraction, NaN when the
    previous month had 0.
    """
    per = city.pivot_table(index="problem", columns="month", values="volume", aggfunc="sum")
    out = listed[["theme", "problem"]].copy()
    for column, m in (
        ("volume", month),
        ("previous_volume", shift_month(month, -1)),
        ("year_ago_volume", shift_month(month, -12)),
    ):
        values = per[m] if m in per.columns else pd.Series(dtype="float64")
        out[column] = out["problem"].map(values).fillna(0).astype("int64")
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
    grid = pd.MultiIndex.from_product(
        [listed["problem"], list(months)], names=["problem", "month"]
    ).to_frame(index=False)
    sums = city.groupby(["problem", "month"], as_index=False)["volume"].sum()
    frame = grid.merge(sums, on=["problem", "month"], how="left")
    frame["volume"] = frame["volume"].fillna(0).astype("int64")
    frame["theme"] = frame["problem"].map(listed.set_index("problem")["theme"])
    frame["mom_change"] = change(frame["volume"], frame.groupby("problem")["volume"].shift(1))
    return frame[["month", "theme", "problem", "volume", "mom_change"]]


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
    out["threshold"] = np.maximum(rule.min_volume, rule.factor * out["baseline"])
    out["ratio"] = out["volume"] / out["baseline"].where(out["baseline"] > 0)
    out = out[out["volume"] >= out["threshold"]].copy()
    out["excess"] = out["volume"] - out["threshold"]
    out = out.sort_values(["excess", "town_code", "problem"], ascending=[False, True, True])
    return out[_SPIKE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# 一方案三清单 task progress

TASK_COLUMNS = ("problem", "task", "due_month", "done_month")
#: Chinese headers accepted for the task CSV.
TASK_ALIASES = {
    "问题": "problem",
    "任务": "task",
    "任务名称": "task",
    "计划完成月份": "due_month",
    "计划月份": "due_month",
    "完成月份": "done_month",
    "实际完成月份": "done_month",
}


def read_tasks(data: bytes | str) -> pd.DataFrame:
    """Read a task CSV (UTF-8, UTF-8 with BOM, or GBK) and check it (see :func:`check_tasks`)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise HeatmapError("任务清单无法解码，请保存为 UTF-8 或 GBK 编码的 CSV")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise HeatmapError(f"任务清单不是有效的 CSV：{exc}") from exc
    return check_tasks(frame)


def check_tasks(tasks: pd.DataFrame) -> pd.DataFrame:
    """The task list with canonical columns and months as 'YYYY-MM' (done_month None when open).

    Errors name the missing columns, or the first bad month values with their CSV line numbers
    (the header is line 1).
    """
    frame = tasks.rename(columns=lambda c: TASK_ALIASES.get(str(c).strip(), str(c).strip()))
    missing = [c for c in TASK_COLUMNS if c not in frame.columns]
    if missing:
        raise HeatmapError(
            f"任务清单缺少列：{', '.join(missing)}；需要 {', '.join(TASK_COLUMNS)}"
            f"（或中文表头 问题、任务、计划完成月份、完成月份）。读到的列：{list(tasks.columns)}"
        )
    out = frame[list(TASK_COLUMNS)].copy()
    out["problem"] = out["problem"].astype(str).str.strip()
    out["due_month"] = _months(out["due_month"], "due_month", required=True)
    out["done_month"] = _months(out["done_month"], "done_month", required=False)
    blank = out.index[out["problem"].isin(["", "nan", "None"])]
    if len(blank):
        raise HeatmapError(f"任务清单第 {_lines(blank)} 行的 problem 为空；每项任务须写明所属问题")
    return out.reset_index(drop=True)


def _months(values: pd.Series, column: str, *, required: bool) -> pd.Series:
    text = values.map(lambda v: "" if v is None or v != v else str(v).strip())
    parsed = text.map(_parse_month)
    bad = text.index[(parsed.isna() & (text != "")) | (required & (text == ""))]
    if len(bad):
        shown = "、".join(f"第 {i + 2} 行 {text[i]!r}" for i in bad[:5])
        more = f" 等 {len(bad)} 处" if len(bad) > 5 else ""
        raise HeatmapError(
            f"任务清单 {column} 列的月份无效：{shown}{more}；应为 YYYY-MM（如 2021-05）"
            + ("，且不能为空" if required else "，未完成的任务留空")
        )
    return parsed


_MONTH = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月|[-/.]\s*\d{1,2}\s*日?)?(?:\s+[\d:]+)?$"
)


def _parse_month(value: str) -> str | None:
    """'2021-05', '2021/5', '2021年5月', '2021-05-20' (a date: its month) -> '2021-05'; else None."""
    match = _MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def _lines(index: pd.Index) -> str:
    return "、".join(str(i + 2) for i in index[:5]) + (
        f" 等 {len(index)} 处" if len(index) > 5 else ""
    )


def task_progress(tasks: pd.DataFrame, month: str) -> pd.DataFrame:
    """Completion of the 一方案三清单 tasks as of ``month``, per problem and in total.

    Columns: problem, tasks (all), planned (due by ``month``), done (done by ``month``, early ones
    included), overdue (due but not done), share (done / tasks), plan_share (share of the due tasks
    that are done = (planned − overdue) / planned, NaN when none is due).
    The last row is the total (problem ``合计``), e.g. 570 of 603 tasks = 94.52 %.
    """
    Filters(month, month)  # checks the YYYY-MM form
    frame = check_tasks(tasks)
    done = frame["done_month"].notna() & (frame["done_month"] <= month)
    planned = frame["due_month"] <= month
    parts = pd.DataFrame(
        {
            "problem": frame["problem"],
            "tasks": 1,
            "planned": planned.astype(int),
            "done": done.astype(int),
            "overdue": (planned & ~done).astype(int),
        }
    )
    per = parts.groupby("problem", sort=False, as_index=False).sum()
    total = pd.DataFrame([{"problem": "合计", **per.drop(columns="problem").sum().to_dict()}])
    out = pd.concat([per, total], ignore_index=True)
    out["share"] = out["done"] / out["tasks"]
    out["plan_share"] = (out["planned"] - out["overdue"]) / out["planned"].where(out["planned"] > 0)
    return out


def progress_sentence(progress: pd.DataFrame, month: str, lang: str = "zh") -> str:
    """「截至 2021-05，已完成 275 项，共 603 项（45.61%）；计划应完成 300 项，逾期 25 项」."""
    total = progress.iloc[-1]
    return t(
        "tasks_sentence",
        lang,
        month=month,
        done=int(total["done"]),
        tasks=int(total["tasks"]),
        share=f"{total['share'] * 100:.2f}",
        planned=int(total["planned"]),
        overdue=int(total["overdue"]),
    )


# ---------------------------------------------------------------------------------------------
# Command line


def run_topics_command(args: argparse.Namespace) -> int:
    """Print the month's 每月一题 report as JSON or CSV."""
    from heatmap import paths
    from heatmap.intake import store

    con = store.connect(paths.db_path(args.db), read_only=True)
    try:
        report = month_report(con, args.month, year=args.year, measure=args.measure)
    finally:
        con.close()
    if args.format == "json":
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(report_csv(report))
    return 0


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of :func:`month_report` (fractions, null where the previous value is 0)."""
    rows = [
        {
            "theme": r["theme"],
            "problem": r["problem"],
            "lead": r.get("lead", ""),
            "volume": int(r["volume"]),
            "previous_volume": int(r["previous_volume"]),
            "mom_change": _fraction(r["mom_change"]),
            "year_ago_volume": int(r["year_ago_volume"]),
            "yoy_change": _fraction(r["yoy_change"]),
        }
        for r in report["table"].to_dict("records")
    ]
    keys = (
        "month",
        "year",
        "measure",
        "previous_in_store",
        "total",
        "fell",
        "fell_over_10pct",
        "rose",
    )
    return {**{k: report[k] for k in keys}, "problems": rows}


def report_csv(report: dict[str, Any]) -> str:
    columns = ["theme", "problem", "lead", "volume", "previous_volume", "mom_change",
               "year_ago_volume", "yoy_change"]  # fmt: skip
    table = report["table"].reindex(columns=columns)
    return str(table.to_csv(index=False, float_format="%.4f"))


def _fraction(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)
