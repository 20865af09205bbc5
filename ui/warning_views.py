"""Cached reads of the 监测预警 page: the outlook (risk and backtest), the nowcast, close to exit."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import streamlit as st

from heatmap.analysis import governance, nowcast, warning
from heatmap.i18n import count, percent, t
from heatmap.output import charts
from ui import views
from ui.frame import _connection


@st.cache_data(show_spinner=False, max_entries=16)
def outlook(
    db: str,
    month: str,
    method: str,
    measure: str,
    weights: tuple[float, float, float],
    rules: governance.ExitRules,
    lang: str,
) -> warning.Outlook:
    return warning.outlook(
        _connection(db).cursor(), month, method=method, measure=measure, rules=rules,
        panel=views.panel(db, measure, weights), lang=lang,
        history=history(db, measure, weights, rules),
    )  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=8)
def history(
    db: str, measure: str, weights: tuple[float, float, float], rules: governance.ExitRules
) -> warning.History:
    """The backtest and the grid of the whole history: built once, not on every change of month."""
    return warning.build_history(
        _connection(db).cursor(),
        measure=measure,
        rules=rules,
        panel=views.panel(db, measure, weights),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def month_nowcast(
    db: str, month: str, day: int, measure: str, scope: tuple[str, ...] | None
) -> pd.DataFrame:
    return nowcast.nowcast(_connection(db).cursor(), month, day, scope=scope, measure=measure)


def backtest_section(
    db: str,
    method: str,
    measure: str,
    weights: tuple[float, float, float],
    rules: governance.ExitRules,
    lang: str,
) -> None:
    """The backtest of the methods over the store: verdict, mean scores, chart, months, calibration.

    None of it depends on the month shown, so it is prepared once per store, rules, method and
    language (:func:`_backtest_parts`) and a change of month only draws it."""
    parts = _backtest_parts(db, method, measure, weights, rules, lang)
    if parts is None:
        st.info(t("warn_backtest_none", lang))
        return
    st.markdown(parts["verdict"])
    st.caption(t("warn_measure_note", lang))
    left, right = st.columns([2, 3])
    left.dataframe(parts["means"], hide_index=True, width="stretch")
    right.plotly_chart(charts.prebuilt(parts["chart"]), width="stretch")
    with st.expander(t("warn_backtest_months", lang)):
        st.dataframe(parts["months"], width="stretch")
    with st.expander(t("warn_calibration", lang)):
        st.dataframe(parts["calibration"], hide_index=True, width="stretch")


@st.cache_data(show_spinner=False, max_entries=16)
def _backtest_parts(
    db: str,
    method: str,
    measure: str,
    weights: tuple[float, float, float],
    rules: governance.ExitRules,
    lang: str,
) -> dict[str, Any] | None:
    """The backtest section's tables (texts in ``lang``) and its chart as a checked specification."""
    past = history(db, measure, weights, rules)
    if past.backtest.empty:
        return None
    found = warning.Outlook("", method, pd.DataFrame(), past.backtest, past.predictions)
    means = found.mean_scores()
    first, last = found.backtest["month"].min(), found.backtest["month"].max()
    verdict = "warn_beats" if found.beats_persistence() else "warn_not_beats"
    sums = found.backtest.groupby("method")[["new_hits", "n_new"]].sum().astype("int64")
    caught = sums["new_hits"].to_dict()
    n_new = int(sums["n_new"].max()) if len(sums) else 0
    months = found.backtest.pivot_table(
        index="month", columns="method", values=["precision", "new_entrant_recall"]
    )
    score_keys = {"precision": "warn_col_hit_rate", "new_entrant_recall": "warn_col_new_recall"}
    months.columns = [
        f"{t(score_keys[score], lang)}·{t(f'warn_method_{m}', lang)}" for score, m in cast("list[tuple[str, str]]", months.columns.to_list())
    ]
    calib = warning.calibration(found.predictions[found.predictions["method"] == method], bins=5)
    return {
        "verdict": t(
            verdict,
            lang,
            method=t(f"warn_method_{method}", lang),
            first=first,
            last=last,
            n_new=count(n_new), hits=count(caught.get(method, 0)),
            ours=percent(caught.get(method, 0) / n_new if n_new else None),
            base_hits=count(caught.get("persistence", 0)),
        ),  # fmt: skip
        "means": pd.DataFrame(
            {
                t("warn_col_method", lang): [t(f"warn_method_{m}", lang) for m in means.index],
                t("warn_col_hit_rate", lang): means["precision"].map(percent).to_list(),
                t("warn_col_new_caught", lang): [
                    f"{count(caught.get(m, 0))} / {count(n_new)}" for m in means.index
                ],
            }
        ),
        "chart": charts.backtest_figure(found.backtest, lang=lang).to_dict(),
        "months": months.map(percent),
        "calibration": pd.DataFrame(
            {
                t("warn_col_bin", lang): [
                    f"{percent(a, 0)}–{percent(b, 0)}"
                    for a, b in zip(calib["p_low"], calib["p_high"], strict=True)
                ],
                t("warn_col_n", lang): calib["n"].map(count),
                t("warn_col_mean_p", lang): calib["mean_p"].map(percent),
                t("warn_col_observed", lang): calib["observed"].map(percent),
            }
        ),
    }
