"""Cached wrappers and small renderers for the 每月一题 and 类别分析 pages."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from heatmap.analysis import categories, queries, topics
from heatmap.filters import View
from heatmap.i18n import percent, signed_percent, t
from ui.frame import Context, _connection

Scope = tuple[str, ...] | None

#: An example task list (the template offered for download).
TASK_TEMPLATE = (
    "problem,task,due_month,done_month\n"
    "不动产登记历史遗留,梳理历史遗留项目清单,2021-03,2021-03\n"
    "不动产登记历史遗留,分批办理不动产登记,2021-09,\n"
    "停车难,新增居住区有偿错时共享车位,2021-06,2021-05\n"
)


@st.cache_data(show_spinner=False, max_entries=64)
def month_report(db: str, view: View, month: str, year: int) -> dict[str, Any]:
    return topics.month_report(_connection(db).cursor(), month, year=year, view=view)


@st.cache_data(show_spinner=False, max_entries=64)
def trend(db: str, view: View, months: tuple[str, ...], problems: tuple[str, ...]) -> pd.DataFrame:
    return topics.volumes(_connection(db).cursor(), view, months=months, problems=problems)


@st.cache_data(show_spinner=False, max_entries=64)
def carriers(db: str, view: View, problem: str, level: str) -> pd.DataFrame:
    return topics.carriers(_connection(db).cursor(), view, problems=[problem], level=level, n=10)


@st.cache_data(show_spinner=False, max_entries=64)
def spikes(
    db: str, view: View, month: str, rule: topics.SpikeRule, problems: tuple[str, ...] | None
) -> pd.DataFrame:
    return topics.spike_alerts(
        _connection(db).cursor(), view, month=month, rule=rule, problems=problems
    )


@st.cache_data(show_spinner=False, max_entries=16)
def available_months(db: str) -> list[str]:
    return queries.available_months(_connection(db).cursor())


@st.cache_data(show_spinner=False, max_entries=64)
def category_table(db: str, view: View) -> pd.DataFrame:
    return categories.category_table(_connection(db).cursor(), view)


@st.cache_data(show_spinner=False, max_entries=64)
def category_matrix(db: str, view: View, by: str) -> pd.DataFrame:
    return categories.category_matrix(_connection(db).cursor(), view, by=by)


def english(ctx: Context) -> dict[str, str]:
    """English names of themes and problems (for charts and tables in English mode)."""
    names = {p.name: p.name_en for p in ctx.taxonomy.problems}
    names.update(dict(ctx.taxonomy.theme_en))
    return names


def label(ctx: Context, name: str) -> str:
    """A theme or problem name in the page's language."""
    return ctx.taxonomy.display(name, ctx.lang)


def area(ctx: Context, towns: pd.DataFrame) -> str:
    """The view's geography in words ('' for the whole city), for the summary sentence: the chosen
    towns, else the chosen districts, else the districts this server is limited to."""
    f = ctx.filters
    if f.towns:
        names = towns.set_index("town_code")["town_name"]
        shown = [str(names.get(c, c)) for c in f.towns]
    elif f.districts or ctx.scope:
        names = towns.drop_duplicates("district_code").set_index("district_code")["district_name"]
        shown = [str(names.get(c, c)) for c in (f.districts or ctx.scope or ())]
    else:
        return ""
    joined = "、".join(shown[:3]) + (" …" if len(shown) > 3 else "")
    return t("topics_area", ctx.lang, area=joined)


def change_table(frame: pd.DataFrame, ctx: Context, *, window: bool = False) -> pd.DataFrame:
    """Theme, problem, volume, previous, 环比, 同比 with headers in the page's language."""
    lang = ctx.lang
    out = pd.DataFrame(
        {
            t("col_theme", lang): frame["theme"].map(lambda v: label(ctx, v)),
            t("col_problem", lang): frame["problem"].map(lambda v: label(ctx, v)),
            t("col_volume", lang): frame["volume"],
            t("col_previous_window" if window else "col_previous", lang): frame["previous_volume"],
            t("col_mom", lang): frame["mom_change"].map(signed_percent),
            t("col_year_ago", lang): frame["year_ago_volume"],
            t("col_yoy", lang): frame["yoy_change"].map(signed_percent),
        }
    )
    if "lead" in frame.columns:
        out.insert(2, t("col_lead", lang), frame["lead"])
    return out


def rising_tables(table: pd.DataFrame, ctx: Context, *, min_base: int) -> None:
    """Two small tables: largest absolute and largest relative increase."""
    lang = ctx.lang
    left, right = st.columns(2)
    for col, by, title in (
        (left, "absolute", t("rising_abs", lang)),
        (right, "relative", t("rising_rel", lang, base=min_base)),
    ):
        col.markdown(f"**{title}**")
        top = topics.rising(table, by=by, n=5, min_base=min_base)
        if top.empty:
            col.caption(t("rising_none", lang))
            continue
        col.dataframe(
            pd.DataFrame(
                {
                    t("col_problem", lang): top["problem"].map(lambda v: label(ctx, v)),
                    t("col_volume", lang): top["volume"],
                    t("col_increase", lang): top["change"].map(lambda v: f"+{v:,}"),
                    t("col_mom", lang): top["mom_change"].map(signed_percent),
                }
            ),
            hide_index=True,
            width="stretch",
        )


def carrier_table(frame: pd.DataFrame, level: str, lang: str) -> pd.DataFrame:
    name = "town_name" if level == "town" else "district_name"
    out = pd.DataFrame(
        {
            t("col_rank", lang): frame["rank"],
            t("col_town" if level == "town" else "col_district", lang): frame[name],
            t("col_volume", lang): frame["volume"],
            t("col_share", lang): frame["share"].map(percent),
        }
    )
    if level == "town":
        out.insert(2, t("col_district", lang), frame["district_name"])
    return out


def progress_table(progress: pd.DataFrame, ctx: Context) -> None:
    lang = ctx.lang
    frame = progress.copy()
    frame["problem"] = frame["problem"].map(
        lambda p: t("total_row", lang) if p == "合计" else label(ctx, p)
    )
    columns = {
        "problem": st.column_config.TextColumn(t("col_problem", lang)),
        "tasks": st.column_config.NumberColumn(t("col_tasks", lang), format="%d"),
        "planned": st.column_config.NumberColumn(t("col_planned", lang), format="%d"),
        "done": st.column_config.NumberColumn(t("col_done", lang), format="%d"),
        "overdue": st.column_config.NumberColumn(t("col_overdue", lang), format="%d"),
        "share": st.column_config.ProgressColumn(
            t("col_progress", lang), format="percent", min_value=0.0, max_value=1.0
        ),
        "plan_share": st.column_config.NumberColumn(t("col_plan_share", lang), format="percent"),
    }
    st.dataframe(
        frame[list(columns)], column_config=columns, hide_index=True, width="stretch",
        height=35 * (len(frame) + 1) + 3,
    )  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=16)
def town_ref(db: str, scope: Scope) -> pd.DataFrame:
    return queries.towns(_connection(db).cursor(), scope=scope)


def spike_table(alerts: pd.DataFrame, ctx: Context, *, window: int) -> pd.DataFrame:
    lang = ctx.lang
    return pd.DataFrame(
        {
            t("col_town", lang): alerts["town_name"],
            t("col_district", lang): alerts["district_name"],
            t("col_problem", lang): alerts["problem"].map(lambda v: label(ctx, v)),
            t("col_volume", lang): alerts["volume"],
            t("col_baseline", lang, window=window): alerts["baseline"].map(lambda v: f"{v:g}"),
            t("col_threshold", lang): alerts["threshold"].map(lambda v: f"{v:g}"),
            t("col_ratio", lang): alerts["ratio"].map(lambda v: "—" if pd.isna(v) else f"{v:.1f}×"),
        }
    )


def measure_words(ctx: Context) -> str:
    """The volume measure for use inside a sentence: 派单量 / 'dispatched requests'."""
    return t(f"measure_words_{ctx.measure}", ctx.lang)
