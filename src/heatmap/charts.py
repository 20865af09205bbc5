"""Chart builders (plotly): a town's 12-month trend and its top problems."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from heatmap.i18n import t
from heatmap.maps import FONT


def trend_figure(trend: pd.DataFrame, *, town: str, lang: str) -> go.Figure:
    """Bars of monthly volume with the city rank as a line on a reversed second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(
        x=trend["month"], y=trend["volume"], name=t("kpi_volume", lang), marker_color="#f03b20"
    )
    fig.add_scatter(
        x=trend["month"], y=trend["rank"], name=t("rank_axis", lang), mode="lines+markers",
        line={"color": "#253494"}, secondary_y=True,
    )  # fmt: skip
    fig.update_yaxes(title_text=t("kpi_volume", lang), secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text=t("rank_axis", lang), secondary_y=True, autorange="reversed")
    fig.update_xaxes(type="category")
    return _style(fig, t("trend_title", lang, town=town))


def problems_figure(
    problems: pd.DataFrame,
    *,
    town: str,
    label: str,
    lang: str,
    english: dict[str, str] | None = None,
) -> go.Figure:
    """Horizontal bars of a town's top problems, largest on top."""
    names = problems["problem"]
    if lang == "en" and english:
        names = names.map(lambda p: english.get(p, p))
    fig = go.Figure(
        go.Bar(
            x=problems["volume"][::-1],
            y=names[::-1],
            orientation="h",
            marker_color="#fd8d3c",
            text=[f"{s:.0%}" for s in problems["share"][::-1]],
            textposition="auto",
        )  # fmt: skip
    )
    fig.update_xaxes(title_text=t("kpi_volume", lang))
    return _style(fig, t("problems_title", lang, town=town, label=label))


def _style(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=340,
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def gantt_figure(ledger: pd.DataFrame, *, month: str, lang: str) -> go.Figure:
    """One bar per supervision spell from entry to exit (or to ``month`` while ongoing)."""
    fig = go.Figure()
    if ledger.empty:
        return _style(fig, t("gantt_title", lang, month=month))
    frame = ledger.copy()
    frame["label"] = frame["town_name"] + "（" + frame["district_name"] + "）"
    order = frame.sort_values(["entry_month", "town_code"])["label"].drop_duplicates().tolist()
    for exited, color, key in (
        (False, "#c0392b", "gantt_ongoing"),
        (True, "#27ae60", "gantt_exited"),
    ):
        part = frame[frame["exit_month"].notna() == exited]
        if part.empty:
            continue
        start = pd.to_datetime(part["entry_month"])
        end = pd.to_datetime(
            part["exit_month"].where(part["exit_month"].notna(), month)
        ) + pd.offsets.MonthEnd(0)
        fig.add_bar(
            y=part["label"], x=(end - start).dt.days * 86_400_000, base=start, orientation="h",
            marker_color=color, name=t(key, lang),
            hovertext=[f"{e} → {x if isinstance(x, str) else '…'}" for e, x in zip(part["entry_month"], part["exit_month"], strict=True)],
        )  # fmt: skip
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], tickfont={"size": 11})
    fig.update_xaxes(type="date", dtick="M3", tickformat="%Y-%m")
    fig = _style(fig, t("gantt_title", lang, month=month))
    fig.update_layout(height=max(360, 22 * len(order) + 120), barmode="overlay")
    return fig
