"""The tables and charts: top ten, governance with the exit checklist, rates, problems, movers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from heatmap.analysis import governance
from heatmap.analysis.governance import CONDITIONS, SUPERVISED, Governance
from heatmap.geo.geography import load_districts
from heatmap.i18n import percent, signed_percent, t
from heatmap.output.briefing.data import BriefData, movers, top_rows
from heatmap.output.briefing.frame import (
    CONTENT,
    Slide,
    blank_axes,
    content_axes,
    new_slide,
    text_width,
    weights_text,
    wrap_text,
)
from heatmap.output.briefing.map_slide import as_records, map_slide
from heatmap.output.briefing.style import (
    DOWN,
    GREY,
    INK,
    MOVERS,
    RATE_LINES,
    RULE,
    STATUS_FILL,
    SUPERVISED_EDGE,
    TOP_PROBLEMS,
    UP,
)
from heatmap.output.reports import status_label


def top_ten_slide(data: BriefData) -> Slide:
    """The top-ten table: rank, town, district, volume, 环比, previous rank, governance status."""
    lang = data.lang
    key = "brief_top_title" if data.district_code is None else "brief_top_title_district"
    slide = new_slide(
        data, "top_ten", t(key, lang, month=data.month, scope=data.scope), boundary_notice=True
    )
    rows = top_rows(data)
    header = [
        t("col_rank", lang), t("col_town", lang), t("col_district", lang),
        t("measure_" + data.measure, lang), t("col_mom", lang), t("brief_previous_rank", lang),
        t("brief_entry_month", lang), t("col_status", lang),
    ]  # fmt: skip
    entry = _current_entry(data.gov, data.month)
    records = as_records(rows)
    cells = [
        [
            str(int(r["rank"])), str(r["town_name"]), str(r["district_name"]),
            f"{int(r['volume']):,}", signed_percent(r["mom"]),
            "—" if pd.isna(r["previous_rank"]) else str(int(r["previous_rank"])),
            entry.get(r["town_code"], "—"), status_label(r["status"], lang) or "—",
        ]
        for r in records
    ]  # fmt: skip
    fills = [STATUS_FILL.get(r["status"], "white") if isinstance(r["status"], str) else "white"
             for r in records]  # fmt: skip
    moms = list(rows["mom"])
    _table(
        slide.figure, header, cells, widths=(0.07, 0.22, 0.12, 0.11, 0.11, 0.11, 0.12, 0.2),
        align="cccccccc", fills=fills, colour_column=4, colour_values=moms,
    )  # fmt: skip
    if not cells:
        slide.figure.text(0.5, 0.5, t("no_data", lang), fontsize=22, ha="center", color=GREY)
    return slide


def _current_entry(gov: Governance, month: str) -> dict[str, str]:
    """Entry month of each town's spell that is open in ``month`` (or ends in it)."""
    ledger = governance.as_of(gov, month)
    open_ = ledger[ledger["exit_month"].isna() | (ledger["exit_month"] == month)]
    return dict(zip(open_["town_code"], open_["entry_month"], strict=True))


def _table(
    fig: Figure,
    header: list[str],
    cells: list[list[str]],
    *,
    widths: Sequence[float],
    align: str,
    fills: Sequence[str] = (),
    colour_column: int | None = None,
    colour_values: Sequence[Any] = (),
    left: float = 0.06,
    width: float = 0.88,
    font: float = 20,
) -> None:
    """A plain table drawn with text and rectangles (matplotlib's table has no row heights we need)."""
    ax = blank_axes(fig, left, width)
    rows = len(cells) + 1
    height = min(1.0 / max(rows, 1), 0.09)
    edges = np.concatenate([[0], np.cumsum(widths) / sum(widths)])
    for r in range(rows):
        y = 1 - (r + 1) * height
        fill = "#3a3a3a" if r == 0 else (fills[r - 1] if r - 1 < len(fills) else "white")
        ax.add_patch(Rectangle((0, y), 1, height, fc=fill, ec="white", lw=0))
        ax.add_line(Line2D([0, 1], [y, y], color="#dddddd", lw=0.8))
        values = header if r == 0 else cells[r - 1]
        for c, text in enumerate(values):
            a = align[c]
            x = {
                "l": edges[c] + 0.01,
                "c": (edges[c] + edges[c + 1]) / 2,
                "r": edges[c + 1] - 0.01,
            }[a]
            colour = "white" if r == 0 else INK
            if r and c == colour_column and r - 1 < len(colour_values):
                value = colour_values[r - 1]
                if isinstance(value, float) and not np.isnan(value):
                    colour = UP if value > 0 else DOWN if value < 0 else INK
            ax.text(
                x, y + height / 2, text, fontsize=font if r else font - 1, color=colour,
                ha={"l": "left", "c": "center", "r": "right"}[a], va="center",
            )  # fmt: skip


LIST_X = 0.43  # left edge of the governance slide's right column (figure fraction)


def governance_slide(data: BriefData) -> Slide:
    """Entered, exited and still supervised this month; the reports' figures; what towns still lack."""
    lang, month = data.lang, data.month
    rules = data.gov.rules
    described = rules.describe(lang)
    labels = {k: t(f"cond_{k}", lang) for k in CONDITIONS}
    rule_text = t(
        "brief_rules",
        lang,
        rules="；".join(f"{labels[k]}={described[k]}" for k in CONDITIONS),
    )
    weights = weights_text(data.settings, lang)
    slide = new_slide(
        data, "governance", t("brief_gov_title", lang, month=month, scope=data.scope),
        boundary_notice=True, notes=[t("brief_weights", lang, w=weights)],
    )  # fmt: skip
    fig = slide.figure
    statuses = data.in_scope(data.month_rows)
    groups = {
        "brief_entered": statuses[statuses["status"].isin(["new", "re_entered"])],
        "brief_exited_now": statuses[statuses["status"] == "exited"],
        "brief_still": statuses[statuses["status"].isin(SUPERVISED)],
    }
    ax = blank_axes(fig, 0.035, 0.365)
    names_x = 0.09 / 0.365  # the names start 0.09 of the page right of the big numbers
    sep = t("list_sep", lang)
    y = 0.98
    for key, rows in groups.items():
        colour = {"brief_exited_now": DOWN, "brief_entered": UP}.get(key, SUPERVISED_EDGE)
        ax.text(0, y, t(key, lang), fontsize=19, color=GREY, va="top")
        ax.text(0, y - 0.065, f"{len(rows)}", fontsize=46, color=colour, va="top")
        names = sep.join(rows.sort_values("rank")["town_name"]) or t("brief_none", lang)
        wrapped = wrap_text(names, text_width(0.27, 14), max_lines=3, lang=lang, sep=sep)
        ax.text(names_x, y - 0.075, wrapped, fontsize=14, color=INK, va="top", linespacing=1.35)
        y -= 0.33
    figures = governance.summary(data.gov, month)
    sentence = t(
        "brief_report_figures", lang, month=month, ever=figures["ever_supervised"],
        districts=figures["districts"], exited=figures["exited"], now=figures["supervised_now"],
        out12=figures["out_of_top_12_months"],
    )  # fmt: skip
    fig.text(
        LIST_X, CONTENT[1] - 0.005, wrap_text(sentence, text_width(0.5, 16), lang=lang),
        fontsize=16, color=INK, va="top", linespacing=1.4,
        bbox={"boxstyle": "round,pad=0.5", "fc": "#f4f6f8", "ec": "#d0d7de"},
    )  # fmt: skip
    _checklist(fig, data, labels)
    fig.text(
        LIST_X, CONTENT[0] + 0.005, wrap_text(rule_text, text_width(0.52, 12.5), lang=lang),
        fontsize=12.5, color=GREY, va="bottom", linespacing=1.4,
    )  # fmt: skip
    return slide


def _checklist(fig: Figure, data: BriefData, labels: dict[str, str]) -> None:
    """Supervised towns grouped by the exit conditions they still lack, closest to exit first."""
    lang = data.lang
    checks = governance.checklist(data.gov, data.month)
    checks = checks.merge(
        data.month_rows[["town_code", "town_name", "district_code"]], on="town_code"
    )
    checks = data.in_scope(checks)
    met_late = [
        f"{r['town_name']}{t('brief_work_overdue', lang, n=data.overdue(str(r['town_code'])))}"
        for r in as_records(checks[checks["all_met"]].sort_values("rank"))
        if data.overdue(str(r["town_code"]))
    ]
    checks = checks[~checks["all_met"]]
    ax = blank_axes(fig, LIST_X, 0.965 - LIST_X)
    ax.text(0, 0.8, t("brief_checklist_head", lang), fontsize=19, color=INK, va="top")
    if met_late:  # the work beside the numbers: conditions met, lists not done
        said = t("brief_met_but_overdue", lang, towns=t("list_sep", lang).join(met_late))
        ax.text(0, 0.02, wrap_text(said, text_width(0.5, 13), max_lines=2, lang=lang),
                fontsize=13, color=UP, va="bottom")  # fmt: skip
    if checks.empty:
        ax.text(0, 0.7, t("brief_none", lang), fontsize=16, color=GREY, va="top")
        return
    keys = [k for k in CONDITIONS]
    lacking: dict[tuple[str, ...], list[str]] = {}
    for row in as_records(checks.sort_values("rank")):
        missing = tuple(k for k in keys if not row[k])
        late = data.overdue(str(row["town_code"]))
        name = str(row["town_name"]) + (t("brief_work_overdue", lang, n=late) if late else "")
        lacking.setdefault(missing, []).append(name)
    y = 0.7
    sep = t("list_sep", lang)
    for missing in sorted(lacking, key=lambda m: (len(m), [keys.index(k) for k in m])):
        towns = lacking[missing]
        if y < 0.06:
            break
        head = t("brief_lacking", lang, n=len(missing), items=sep.join(labels[k] for k in missing),
                 count=len(towns))  # fmt: skip
        ax.add_patch(Rectangle((0, y - 0.045), 0.008, 0.04, fc=SUPERVISED_EDGE, ec="none"))
        ax.text(0.018, y, head, fontsize=16, color=SUPERVISED_EDGE, va="top")
        names = sep.join(towns)
        lines = max(1, min(3, int(y / 0.06) - 1))
        wrapped = wrap_text(names, text_width(0.5, 14), max_lines=lines, lang=lang, sep=sep)
        ax.text(0.018, y - 0.06, wrapped, fontsize=14, color=INK, va="top", linespacing=1.35)
        y -= 0.06 + 0.052 * (wrapped.count("\n") + 1) + 0.035


def rates_slide(data: BriefData) -> Slide:
    """The three rates over the last months (the district's solid and the city's dashed)."""
    lang = data.lang
    rates = data.rates
    start = rates["month"].iloc[0]
    slide = new_slide(
        data, "rates", t("brief_rates_title", lang, scope=data.scope, start=start, month=data.month),
        boundary_notice=False,
    )  # fmt: skip
    ax = content_axes(slide.figure, 0.07, 0.78, bottom=CONTENT[0] + 0.07, top=CONTENT[1] - 0.04)
    x = np.arange(len(rates))
    for rate, key, colour in RATE_LINES:
        values = rates[rate].astype(float) * 100
        ax.plot(x, values, color=colour, lw=3.2, marker="o", ms=5.5, label=t(key, lang))
        if f"city_{rate}" in rates:
            ax.plot(x, rates[f"city_{rate}"].astype(float) * 100, color=colour, lw=1.8, ls="--")
        last = values.iloc[-1]
        if not np.isnan(last):
            ax.annotate(
                f"{t(key, lang)} {last:.1f}%", (x[-1], last), xytext=(12, 0),
                textcoords="offset points", fontsize=17, color=colour, va="center",
            )  # fmt: skip
    _place_end_labels(ax)
    step = int(np.ceil(len(x) / 8))
    ticks = x[::-1][::step][::-1]  # the briefing month always labelled
    ax.set_xticks(ticks, rates["month"].iloc[ticks])
    ax.tick_params(labelsize=15)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.0f}%"))
    low = np.nanmin(rates[[r for r, _, _ in RATE_LINES]].to_numpy(dtype=float)) * 100
    ax.set_ylim(max(0, np.floor(low / 10) * 10 - 5), 101)
    ax.grid(axis="y", color="#e5e5e5")
    ax.spines[["top", "right"]].set_visible(False)
    ax.axvline(x[-1], color=RULE, lw=1, zorder=0)
    if data.district_code:
        styles = [
            Line2D([], [], color=GREY, lw=3.2, label=data.scope),
            Line2D([], [], color=GREY, lw=1.8, ls="--", label=t("brief_scope_city", lang)),
        ]
        ax.legend(handles=styles, loc="lower right", fontsize=16, frameon=False, ncols=2)
    return slide


def _place_end_labels(ax: Axes) -> None:
    """Spread the end-of-line labels vertically so they do not overlap (at least 4 points apart)."""
    labels = sorted(ax.texts, key=lambda a: a.xy[1])  # type: ignore[attr-defined]
    for lower, upper in zip(labels, labels[1:], strict=False):
        low_y, up_y = lower.xy[1], upper.xy[1]  # type: ignore[attr-defined]
        if up_y - low_y < 3.5:
            upper.xy = (upper.xy[0], low_y + 3.5)  # type: ignore[attr-defined]


def problems_slide(data: BriefData) -> Slide:
    """The month's top problems in scope: volume bars with share and 环比."""
    lang = data.lang
    top = data.problems.head(TOP_PROBLEMS)
    slide = new_slide(
        data, "problems",
        t("brief_problems_title", lang, month=data.month, scope=data.scope, n=len(top)),
        boundary_notice=False,
    )  # fmt: skip
    if top.empty:
        slide.figure.text(0.5, 0.5, t("no_data", lang), fontsize=22, ha="center", color=GREY)
        return slide
    ax = content_axes(slide.figure, 0.22, 0.56, bottom=CONTENT[0] + 0.04, top=CONTENT[1] - 0.02)
    y = np.arange(len(top))[::-1]
    ax.barh(y, top["volume"], color="#fd8d3c", height=0.68)
    ax.set_yticks(y, [f"{p}" for p in top["problem"]], fontsize=17)
    ax.set_xlim(0, float(top["volume"].max()) * 1.12)
    for yi, row in zip(y, as_records(top), strict=True):
        volume = float(row["volume"])
        ax.text(volume, yi, f" {volume:,.0f}（{row['share']:.0%}）", va="center", fontsize=15)
        mom = row["mom"]
        colour = GREY if pd.isna(mom) else UP if mom > 0 else DOWN
        slide.figure.text(
            0.83, ax.transData.transform((0, yi))[1] / slide.figure.bbox.height,
            f"{t('col_mom', lang)} {signed_percent(mom)}", fontsize=16, color=colour, va="center",
        )  # fmt: skip
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    measure = t(f"measure_{data.measure}", lang)
    slide.figure.text(0.22, CONTENT[0] + 0.005, t("brief_problems_note", lang, measure=measure),
                      fontsize=13, color=GREY, va="bottom")  # fmt: skip
    return slide


def movers_slide(data: BriefData) -> Slide:
    """Towns with the largest month-on-month increase (left) and decrease (right), in requests."""
    lang = data.lang
    slide = new_slide(
        data, "movers", t("brief_movers_title", lang, month=data.month, scope=data.scope),
        boundary_notice=True,
    )  # fmt: skip
    up, down = movers(data)
    if up.empty and down.empty:
        slide.figure.text(0.5, 0.5, t("brief_no_previous", lang), fontsize=22, ha="center",
                          color=GREY)  # fmt: skip
        return slide
    scale = float(max(up["delta"].abs().max() if len(up) else 0,
                      down["delta"].abs().max() if len(down) else 0, 1))  # fmt: skip
    unit = t("brief_unit_requests", lang)
    for rows, left, colour, key in ((up, 0.17, UP, "brief_up"), (down, 0.645, DOWN, "brief_down")):
        ax = content_axes(slide.figure, left, 0.23, top=CONTENT[1] - 0.07)
        slide.figure.text(left - 0.13, CONTENT[1] - 0.015, t(key, lang), fontsize=19, color=colour,
                          va="top")  # fmt: skip
        y = np.arange(MOVERS)[::-1][: len(rows)]
        ax.barh(y, rows["delta"].abs(), color=colour, height=0.66)
        records = as_records(rows)
        names = [str(r["town_name"]) if data.district_code else f"{r['town_name']}（{r['district_name']}）"
                 for r in records]  # fmt: skip
        ax.set_yticks(y, names, fontsize=15)
        ax.set_ylim(-0.6, MOVERS - 0.4)
        ax.set_xlim(0, scale * 1.05)
        for yi, row in zip(y, records, strict=True):
            delta = f"{int(row['delta']):+,}".replace("-", "−")
            ax.text(abs(row["delta"]), yi, f" {delta}{unit}（{signed_percent(row['mom'])}）",
                    va="center", fontsize=14, color=INK)  # fmt: skip
        ax.set_xticks([])
        ax.spines[["top", "right", "bottom"]].set_visible(False)
    return slide


def warning_slide(data: BriefData, n: int = 10) -> Slide:
    """监测预警: the scope's towns most likely to be in next month's top ten, with the reasons, and
    what the backtest says of the method."""
    lang = data.lang
    found = data.outlook
    risk = data.in_scope(found.risk).head(n)
    target = str(found.risk["target_month"].iloc[0]) if len(found.risk) else data.month
    slide = new_slide(
        data, "warning", t("brief_warn_title", lang, target=target, scope=data.scope),
        boundary_notice=False,
    )  # fmt: skip
    header = [
        t("col_town", lang), t("col_district", lang), t("warn_col_p", lang),
        t("warn_col_rank", lang), t("warn_col_projected_rank", lang), t("warn_col_reasons", lang),
    ]  # fmt: skip
    sep = t("list_sep", lang)
    cells = [
        [
            str(r["town_name"]), str(r["district_name"]), percent(r["p_top_ten"]),
            str(int(r["rank"])), str(int(r["projected_rank"])),
            wrap_text(sep.join(list(r["reasons"])[:3]), 22, max_lines=1, lang=lang),
        ]
        for r in as_records(risk)
    ]  # fmt: skip
    _table(
        slide.figure, header, cells, widths=(0.15, 0.1, 0.11, 0.09, 0.09, 0.46),
        align="lccccl", font=17,
    )  # fmt: skip
    if not found.backtest.empty:
        recall = found.mean_scores()["new_entrant_recall"].astype("float64")
        note = t(
            "brief_warn_note", lang, method=t(f"warn_method_{found.method}", lang),
            first=found.backtest["month"].min(), last=found.backtest["month"].max(),
            ours=percent(recall.get(found.method)), base=percent(recall.get("persistence")),
        )  # fmt: skip
        slide.figure.text(0.06, 0.075, note, fontsize=14, color=GREY)
    return slide


def slides(data: BriefData) -> list[Slide]:
    """Every figure of the briefing, in meeting order."""
    towns = data.boundaries.frame
    districts = load_districts(display=True)
    return [
        map_slide(data, towns, districts),
        top_ten_slide(data),
        governance_slide(data),
        rates_slide(data),
        problems_slide(data),
        movers_slide(data),
        warning_slide(data),
    ]
