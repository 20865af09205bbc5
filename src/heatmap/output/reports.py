"""Tables for people: the ranking and the governance ledger with Chinese headers, as CSV and XLSX."""

from __future__ import annotations

from typing import Any

import pandas as pd

from heatmap.analysis import governance
from heatmap.i18n import measure_value, percent, signed_percent, t
from heatmap.measures import MEASURES
from heatmap.output import safe

#: The ledger's columns, in order (headers: ``ledger_<column>`` in the catalogue).
LEDGER_COLUMNS = (
    "town_code", "town_name", "district_name", "spell", "entry_month", "exit_month",
    "months_supervised", "best_rank", "worst_rank", "entry_volume", "latest_volume",
    "entry_score", "latest_score",
)  # fmt: skip
#: The ranking's columns, in order (headers: ``col_<column>``); the measures follow the volume.
RANK_COLUMNS = (
    "rank", "previous_rank", "town_name", "district_name", "volume", "mom", "yoy",
    *[m for m in MEASURES if m != "volume"], "score", "score_rank",
)  # fmt: skip


def status_label(status: Any, lang: str = "zh") -> str:
    """Chinese (or English) label of a status key; empty for none."""
    if not isinstance(status, str) or status not in governance.STATUSES:
        return ""
    return t(f"status_{status}", lang)


def ledger_table(ledger: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The ledger with readable headers and formatted scores (督导中 for an ongoing spell)."""
    out = ledger.reindex(columns=list(LEDGER_COLUMNS)).copy()
    ongoing = t("ledger_ongoing", lang)
    out["exit_month"] = out["exit_month"].map(lambda m: m if isinstance(m, str) else ongoing)
    for col in ("entry_score", "latest_score"):
        out[col] = out[col].map(percent)
    return out.rename(columns={k: t(f"ledger_{k}", lang) for k in LEDGER_COLUMNS})


def rank_table(panel_month: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """One month of the panel as a ranking table (percentages formatted)."""
    cols = [c for c in RANK_COLUMNS if c in panel_month.columns]
    out = panel_month.sort_values(
        ["rank", *[c for c in ("town_code", "district_code") if c in panel_month]]
    )
    out = out[cols].copy()
    for col in ("mom", "yoy"):
        if col in out:
            out[col] = out[col].map(signed_percent)
    for col in (m for m in MEASURES if m != "volume"):
        if col in out:
            out[col] = out[col].map(lambda v, col=col: measure_value(col, v))
    if "score" in out:
        out["score"] = out["score"].map(percent)
    return out.rename(columns={k: t(f"col_{k}", lang) for k in RANK_COLUMNS})


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel on Chinese Windows reads it right); formula-like cells neutralised."""
    return safe.csv_bytes(table)


def to_xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per table; formula-like cells stored as text."""
    return safe.xlsx_bytes(sheets)


_NOT_IN_FILE_NAMES = str.maketrans({c: "_" for c in '/\\:*?"<>|\n\r\t'})


def file_stem(title: str) -> str:
    """A file name from a view's label, safe on Windows and in a zip.

    '考核排名 · 海淀区 学院路街道 · 2021-05' → '考核排名_海淀区_学院路街道_2021-05'.
    """
    stem = title.replace(" · ", "_").replace(" ", "_").translate(_NOT_IN_FILE_NAMES)
    while "__" in stem:
        stem = stem.replace("__", "_")
    return stem.strip("_.")[:120] or "export"
