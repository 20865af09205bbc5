"""Cached reads of the 监测预警 page: the outlook (risk and backtest), the nowcast, close to exit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from heatmap.analysis import governance, nowcast, warning
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
