"""Chart builders (plotly): a town's trend and top problems, the 每月一题 small multiples, the
预警 backtest, the supervision Gantt chart, the category treemap.

The figures a page rebuilds on every run are built as plain specifications (``*_spec``: the dict
``go.Figure`` would hold) and handed over with :func:`prebuilt`: plotly validates every property of a figure when it is made
(~25–40 ms for the 每月一题 grid), and a page pays that on each run. A specification built once (or
cached) goes to Streamlit as it is; ``tests/output/test_charts.py`` holds each specification equal
to what ``go.Figure`` makes of it, so nothing skips a check the tests do not make.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from heatmap.i18n import count, percent, signed_percent, t
from heatmap.output.maps import FONT


class _Prebuilt(go.Figure):
    """A figure specification already checked (see the module docstring), in the type Streamlit's
    ``st.plotly_chart`` takes as validated: it only calls ``to_dict`` on it."""

    def __init__(self, spec: dict[str, Any]) -> None:  # no plotly constructor: no re-validation
        object.__setattr__(self, "_spec", spec)

    def to_dict(self) -> dict[str, Any]:
        return self._spec  # type: ignore[no-any-return]


def prebuilt(spec: dict[str, Any]) -> go.Figure:
    """``spec`` (a ``*_spec`` builder's or a cached ``go.Figure.to_dict()``) for ``st.plotly_chart``
    without plotly building and validating the figure again. Only for ``st.plotly_chart``."""
    return _Prebuilt(spec)


@functools.cache
def _template() -> dict[str, Any]:
    """The default template, as ``go.Figure`` writes it into every figure's layout."""
    return go.Figure().to_dict()["layout"]["template"]  # type: ignore[no-any-return]


def _style_layout(title: str) -> dict[str, Any]:
    """:func:`_style`'s layout entries, for a specification."""
    return {
        "title": {"text": title, "x": 0.01},
        "font": {"family": FONT, "size": 13},
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "height": 340,
        "legend": {"orientation": "h", "y": -0.2},
    }


def trend_spec(trend: pd.DataFrame, *, town: str, lang: str) -> dict[str, Any]:
    """Bars of monthly volume with the city rank as a line on a reversed second axis."""
    months = trend["month"].tolist()
    layout = copy.deepcopy(_secondary_y_layout())
    layout["xaxis"]["type"] = "category"
    # counts and ranks are whole numbers: integer ticks (",d"), never 8.8 or 45.3
    layout["yaxis"].update(
        title={"text": t("kpi_volume", lang)}, rangemode="tozero", tickformat=",d"
    )
    layout["yaxis2"].update(
        title={"text": t("rank_axis", lang)}, autorange="reversed", tickformat="d",
        tickmode="auto", nticks=6, rangemode="tozero",
    )  # fmt: skip
    layout.update(_style_layout(t("trend_title", lang, town=town)))
    bar = {
        "type": "bar", "x": months, "y": trend["volume"].tolist(), "name": t("kpi_volume", lang),
        "marker": {"color": "#f03b20"}, "hovertemplate": "%{x}：%{y:,d}<extra></extra>",
    }  # fmt: skip
    line = {
        "type": "scatter", "x": months, "y": trend["rank"].tolist(), "name": t("rank_axis", lang),
        "mode": "lines+markers", "line": {"color": "#253494"}, "xaxis": "x", "yaxis": "y2",
        "hovertemplate": "%{x}：" + t("rank_axis", lang) + " %{y:d}<extra></extra>",
    }  # fmt: skip
    return {"data": [bar, line], "layout": layout}


@functools.cache
def _secondary_y_layout() -> dict[str, Any]:
    """The layout ``make_subplots`` writes for one plot with a secondary y axis (and the template)."""
    return make_subplots(specs=[[{"secondary_y": True}]]).to_dict()["layout"]  # type: ignore[no-any-return]


def problems_spec(
    problems: pd.DataFrame,
    *,
    town: str,
    label: str,
    lang: str,
    english: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Horizontal bars of a town's top problems, largest on top: each bar says its count (the
    quantity of the axis); its share of the town's requests is in the hover text."""
    names = problems["problem"].tolist()
    if lang == "en" and english:
        names = [english.get(p, p) for p in names]
    bar = {
        "type": "bar", "x": problems["volume"].tolist()[::-1], "y": names[::-1],
        "orientation": "h", "marker": {"color": "#fd8d3c"},
        "text": [count(v) for v in problems["volume"].tolist()[::-1]], "textposition": "auto",
        "customdata": [percent(s) for s in problems["share"].tolist()[::-1]],
        "hovertemplate": "%{y}：%{text}（" + t("share_of_town", lang) + " %{customdata}）<extra></extra>",
    }  # fmt: skip
    layout = {
        "xaxis": {"title": {"text": t("kpi_volume", lang)}, "tickformat": ",d"},
        **_style_layout(t("problems_title", lang, town=town, label=label)),
        "template": _template(),
    }
    return {"data": [bar], "layout": layout}


def backtest_figure(backtest: pd.DataFrame, *, lang: str) -> go.Figure:
    """New entrants to the top ten foreseen by each method over the backtest, out of all of them.

    The figure that separates the methods: every method names ten towns a month, so its share of
    the actual top ten (precision = recall) differs little between methods, while the towns that
    enter the top ten are what a warning is for (persistence, by construction, foresees none).
    """
    sums = backtest.groupby("method", sort=False)[["new_hits", "n_new"]].sum()
    names = [t(f"warn_method_{m}", lang) for m in sums.index]
    caught = sums["new_hits"].astype("int64").tolist()
    total = int(sums["n_new"].max()) if len(sums) else 0
    colours = {"persistence": "#969696", "rank_ma": "#41b6c4", "model": "#e6550d"}
    fig = go.Figure(
        go.Bar(
            x=caught, y=names, orientation="h",
            marker_color=[colours.get(str(m), "#777777") for m in sums.index],
            text=[f"{count(c)} / {count(total)}（{percent(c / total if total else None)}）" for c in caught],
            textposition="auto", hovertemplate="%{y}：%{text}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_xaxes(
        title_text=t("warn_axis_new_caught", lang), tickformat=",d", range=[0, max(total, 1)]
    )
    fig = _style(fig, t("warn_backtest_chart", lang, n=count(total)))
    fig.update_layout(height=260, showlegend=False, yaxis={"autorange": "reversed"})
    return fig


def _style(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(**_style_layout(title))
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


# 每月一题 and 类别分析 (issue 6) ----------------------------------------------------------------

FELL_COLOR, ROSE_COLOR, FLAT_COLOR = "#1a9850", "#d73027", "#636363"


def _change_color(value: float | None) -> str:
    if value is None or pd.isna(value) or value == 0:
        return FLAT_COLOR
    return FELL_COLOR if value < 0 else ROSE_COLOR


def topic_grid_spec(
    trend: pd.DataFrame,
    table: pd.DataFrame,
    *,
    month: str,
    measure_label: str,
    lang: str,
    english: dict[str, str] | None = None,
    cols: int = 5,
) -> dict[str, Any]:
    """Small multiples: one panel per listed problem with its monthly volume; the last point (the
    month) is green when it fell month-on-month and red when it rose, and the panel title carries
    the 环比. Each panel has its own y scale (volumes differ tenfold between problems).

    The panels' axes and titles are laid out here as plain layout entries (what ``make_subplots``
    would write) and the figure is built in one go: plotly's per-call validation of 30 panels'
    ``add_scatter`` and ``update_*`` cost ~250 ms, building the figure from this ~20 ms, and
    this specification alone (for :func:`prebuilt`) a few."""
    problems = table["problem"].tolist()
    rows = max(1, -(-len(problems) // cols))
    mom = dict(zip(table["problem"], table["mom_change"], strict=True))
    months = sorted(trend["month"].unique())
    ticks = [months[0], months[-1]] if months else []
    wide = (
        trend[trend["problem"].isin(problems)]
        .pivot_table(index="month", columns="problem", values="volume", aggfunc="sum")
        .reindex(index=months, columns=problems)
        .fillna(0)
        .astype("int64")
    )
    layout: dict[str, Any] = {"annotations": []}
    traces: list[dict[str, Any]] = []
    for i, (x0, x1, y0, y1) in enumerate(_grid_domains(rows, cols, len(problems))):
        p = problems[i]
        suffix = "" if i == 0 else str(i + 1)
        axis = {"tickfont": {"size": 10}}
        layout[f"xaxis{suffix}"] = {
            **axis, "domain": [x0, x1], "anchor": f"y{suffix}", "type": "category",
            "tickvals": ticks, "showgrid": False,
        }  # fmt: skip
        layout[f"yaxis{suffix}"] = {
            **axis, "domain": [y0, y1], "anchor": f"x{suffix}", "rangemode": "tozero", "nticks": 4,
        }  # fmt: skip
        name = english.get(p, p) if lang == "en" and english else p
        color = _change_color(mom.get(p))
        layout["annotations"].append(
            {
                "text": f"{name}  <span style='color:{color}'><b>{signed_percent(mom.get(p))}</b></span>",
                "x": (x0 + x1) / 2, "y": y1, "xref": "paper", "yref": "paper", "xanchor": "center",
                "yanchor": "bottom", "showarrow": False, "font": {"size": 12},
            }
        )  # fmt: skip
        volume = wide[p].to_numpy()
        refs = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "showlegend": False}
        traces.append(
            {
                "type": "scatter", "x": months, "y": volume.tolist(), "mode": "lines",
                "line": {"color": "#6b6b6b", "width": 1.6},
                "hovertemplate": "%{x}: %{y:,}<extra></extra>", **refs,
            }
        )  # fmt: skip
        if month in months:
            traces.append(
                {
                    "type": "scatter", "x": [month], "y": [int(volume[months.index(month)])],
                    "mode": "markers",
                    "marker": {"color": color, "size": 9, "line": {"color": "white", "width": 1}},
                    "hovertemplate": f"{month}: %{{y:,}} ({signed_percent(mom.get(p))})<extra></extra>",
                    **refs,
                }
            )  # fmt: skip
    layout.update(
        _style_layout(t("grid_title", lang, n=len(months), measure=measure_label)),
        height=150 + 170 * rows,
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        template=_template(),
    )
    return {"data": traces, "layout": layout}


def _grid_domains(
    rows: int, cols: int, n: int, *, h_space: float = 0.035, v_space: float | None = None
) -> list[tuple[float, float, float, float]]:
    """Paper domains (x0, x1, y0, y1) of the first ``n`` cells of a ``rows`` × ``cols`` grid, row
    by row from the top, with make_subplots' spacing (vertical ``0.5 / rows + 0.03``)."""
    v = 0.5 / rows + 0.03 if v_space is None else v_space
    width = (1 - h_space * (cols - 1)) / cols
    height = (1 - v * (rows - 1)) / rows
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        x0 = c * (width + h_space)
        y1 = 1 - r * (height + v)
        out.append((x0, min(x0 + width, 1.0), max(y1 - height, 0.0), y1))  # float noise at 0 and 1
    return out


def category_tree_figure(
    table: pd.DataFrame,
    *,
    measure_label: str,
    lang: str,
    english: dict[str, str] | None = None,
) -> go.Figure:
    """Treemap theme → problem: area = volume, colour = 环比 (green fell, red rose, clipped at ±20 %).

    Clicking a theme drills down to its problems (plotly's own zoom)."""
    fig = go.Figure()
    title = t("cat_tree", lang, measure=measure_label)
    frame = table[table["volume"] > 0]
    if frame.empty:
        return _style(fig, title)

    def name(v: str) -> str:
        return english.get(v, v) if lang == "en" and english else v

    themes = frame.groupby("theme", sort=False)[["volume", "previous_volume"]].sum()
    theme_mom = (themes["volume"] - themes["previous_volume"]) / themes["previous_volume"].where(
        themes["previous_volume"] > 0
    )
    root = t("cat_root", lang)
    total, previous = frame["volume"].sum(), frame["previous_volume"].sum()
    ids = ["root", *[f"t:{th}" for th in themes.index], *[f"p:{p}" for p in frame["problem"]]]
    labels = [root, *[name(th) for th in themes.index], *[name(p) for p in frame["problem"]]]
    parents = ["", *["root"] * len(themes), *[f"t:{th}" for th in frame["theme"]]]
    values = [total, *themes["volume"], *frame["volume"]]
    moms = [
        (total - previous) / previous if previous else float("nan"),
        *theme_mom,
        *frame["mom_change"],
    ]
    fig.add_trace(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            customdata=[signed_percent(m) for m in moms],
            marker={
                "colors": [0.0 if pd.isna(m) else max(-0.2, min(0.2, m)) for m in moms],
                "colorscale": [[0, FELL_COLOR], [0.5, "#f7f7f7"], [1, ROSE_COLOR]],
                "cmid": 0,
                "cmin": -0.2,
                "cmax": 0.2,
                "showscale": True,
                "colorbar": {"title": {"text": t("tt_mom", lang)}, "tickformat": ".0%"},
            },
            texttemplate="%{label}<br>%{value:,}<br>%{customdata}",
            hovertemplate="%{label}<br>%{value:,}（%{percentRoot:.1%}）<br>"
            + t("tt_mom", lang)
            + " %{customdata}<extra></extra>",
            maxdepth=3,
            root={"color": "#ffffff"},
            tiling={"pad": 2},
        )  # fmt: skip
    )
    fig = _style(fig, title)
    fig.update_layout(height=560, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def matrix_figure(
    pivot: pd.DataFrame,
    *,
    title: str,
    share: bool,
    lang: str,
    english: dict[str, str] | None = None,
) -> go.Figure:
    """A heat table: categories (rows) × districts or towns (columns), the value in every cell."""
    fig = go.Figure()
    if pivot.empty:
        return _style(fig, title)
    rows = [english.get(r, r) if lang == "en" and english else r for r in pivot.index]
    values = pivot.to_numpy(dtype="float64")
    text = [[percent(v) if share else f"{v:,.0f}" for v in row] for row in values]
    fig.add_trace(
        go.Heatmap(
            z=values,
            x=list(pivot.columns),
            y=rows,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 11},
            colorscale="YlOrRd",
            xgap=1,
            ygap=1,
            hovertemplate="%{y} × %{x}: %{text}<extra></extra>",
            colorbar={"tickformat": ".0%" if share else ",d"},
        )  # fmt: skip
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(side="top", type="category", tickangle=0 if len(pivot.columns) <= 16 else -45)
    fig = _style(fig, title)
    fig.update_layout(
        height=max(320, 30 * len(rows) + 160), margin={"l": 10, "r": 10, "t": 100, "b": 10}
    )
    return fig
