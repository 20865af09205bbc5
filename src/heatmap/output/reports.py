"""Tables for people: the ranking and the governance ledger with Chinese headers, as CSV and XLSX."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from heatmap.analysis import governance
from heatmap.i18n import percent, signed_percent

_STATUS = {key: (zh, en) for key, zh, en in governance.STATUSES}

LEDGER_HEADERS = {
    "town_code": ("街乡镇代码", "Town code"),
    "town_name": ("街乡镇", "Town"),
    "district_name": ("所属区", "District"),
    "spell": ("第几次纳入", "Spell"),
    "entry_month": ("纳入月份", "Entry month"),
    "exit_month": ("摘帽月份", "Exit month"),
    "months_supervised": ("督导月数", "Months supervised"),
    "best_rank": ("最好排名", "Best rank"),
    "worst_rank": ("最差排名", "Worst rank"),
    "entry_volume": ("纳入时接诉量", "Entry volume"),
    "latest_volume": ("最新接诉量", "Latest volume"),
    "entry_score": ("纳入时综合得分", "Entry score"),
    "latest_score": ("最新综合得分", "Latest score"),
}

RANK_HEADERS = {
    "rank": ("排名", "Rank"),
    "previous_rank": ("上月排名", "Previous rank"),
    "town_name": ("街乡镇", "Town"),
    "district_name": ("区", "District"),
    "volume": ("接诉量", "Volume"),
    "mom": ("环比", "MoM"),
    "yoy": ("同比", "YoY"),
    "per_10k": ("万人诉求比", "Per 10,000"),
    "response_rate": ("响应率", "Response"),
    "resolution_rate": ("解决率", "Resolution"),
    "satisfaction_rate": ("满意率", "Satisfaction"),
    "score": ("综合得分", "Score"),
    "score_rank": ("得分排名", "Score rank"),
}


def status_label(status: Any, lang: str = "zh") -> str:
    """Chinese (or English) label of a status key; empty for none."""
    if not isinstance(status, str) or status not in _STATUS:
        return ""
    zh, en = _STATUS[status]
    return en if lang == "en" else zh


def ledger_table(ledger: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The ledger with readable headers and formatted scores (督导中 for an ongoing spell)."""
    out = ledger.reindex(columns=list(LEDGER_HEADERS)).copy()
    ongoing = "督导中" if lang == "zh" else "ongoing"
    out["exit_month"] = out["exit_month"].map(lambda m: m if isinstance(m, str) else ongoing)
    for col in ("entry_score", "latest_score"):
        out[col] = out[col].map(percent)
    return out.rename(columns={k: v[1 if lang == "en" else 0] for k, v in LEDGER_HEADERS.items()})


def rank_table(panel_month: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """One month of the panel as a ranking table (percentages formatted)."""
    cols = [c for c in RANK_HEADERS if c in panel_month.columns]
    out = panel_month.sort_values(
        ["rank", *[c for c in ("town_code", "district_code") if c in panel_month]]
    )
    out = out[cols].copy()
    for col in ("mom", "yoy"):
        if col in out:
            out[col] = out[col].map(signed_percent)
    for col in ("response_rate", "resolution_rate", "satisfaction_rate", "score"):
        if col in out:
            out[col] = out[col].map(percent)
    if "per_10k" in out:
        out["per_10k"] = out["per_10k"].map(lambda v: "—" if pd.isna(v) else f"{v:.1f}")
    return out.rename(columns={k: v[1 if lang == "en" else 0] for k, v in RANK_HEADERS.items()})


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel on Chinese Windows opens it with the right characters."""
    return table.to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per table (sheet names cut to Excel's 31 characters)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, table in sheets.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()
