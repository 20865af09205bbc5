"""Cells and text safe to hand to a spreadsheet, HTML, Markdown or a slide.

Spreadsheets: a text cell whose first character is ``= + - @``, a tab, a carriage return or a NUL
(OWASP "CSV Injection", ASVS 1.2.10) is prefixed with a single quote, so Excel, WPS and LibreOffice
show it as text instead of running it as a formula (``=HYPERLINK(...)``, ``=cmd|'/c calc'!A1``).
The same holds after leading whitespace (LibreOffice's CSV import can trim it) and for the
full-width forms ``＝ ＋ － ＠`` (a Chinese input method types them; whether a given Excel or WPS build
converts them on import cannot be checked here, and a quote in front of such a rare text costs
nothing). A text that is a whole number (``-12.5``, ``+3.2%``, ``-1,234``) is left alone: it holds
no name, reference or call, so as a formula it can only evaluate to itself, and the ranking's
signed percentages stay readable. Numbers (int, float) are never touched.

HTML: :func:`escape_html` for ``unsafe_allow_html`` Markdown and :func:`escape_frame_html` for the
fields a pydeck tooltip interpolates: deck.gl puts ``{field}`` of a ``tooltip={"html": ...}``
template into the page as raw HTML (``{"text": ...}`` would not), so a town name sent to a tooltip
must be escaped before it goes into the layer's data.

Markdown: :func:`escape_markdown` for data inside ``st.markdown`` text (Streamlit's emoji, icon and
colour shortcodes included). Slides: python-pptx escapes ``< & >`` itself but writes control
characters as ``_x0001_`` and refuses surrogates; :func:`pptx_text` removes them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, overload

import numpy as np
import pandas as pd

from heatmap.formulas import FORMULA as _FORMULA
from heatmap.formulas import NUMBER as _NUMBER
from heatmap.formulas import is_formula
from heatmap.output import xlsx

T = TypeVar("T")

_QUOTE = "'"


#: Characters XML 1.0 forbids in a cell: removed from XLSX text.
_XLSX_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
#: What python-pptx would write as ``_x0001_`` or refuse: C0/C1 controls except tab and line
#: feed, DEL, lone surrogates, and the non-characters U+FFFE / U+FFFF.
_PPTX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029")
_WORD_JOINER = "\u2060"
_LINK_START = re.compile(r"[:@]|(?<![0-9A-Za-z_])www(?=\\\.)", re.IGNORECASE)


@overload
def neutralise_cell(value: str) -> str: ...
@overload
def neutralise_cell(value: T) -> T: ...
def neutralise_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is a text a spreadsheet would run as a formula.

    Parameters
    ----------
    value
        Any cell value; only ``str`` is ever changed.

    Returns
    -------
    The value, or ``"'" + value`` for a formula-like text (``"=1+1"`` -> ``"'=1+1"``).
    """
    if isinstance(value, str) and is_formula(value):
        return _QUOTE + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column headers are neutralised.

    Each text column (object, string or categorical) is checked with one vectorised regular
    expression; numeric, boolean and date columns are copied as they are.

    Parameters
    ----------
    frame
        The table to export; it is not modified.

    Returns
    -------
    pandas.DataFrame
        The same shape, index and dtypes (a categorical column with a formula-like category
        becomes an object column).
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        fixed = _neutralise_series(column)
        if fixed is not None:
            out.isetitem(position, fixed.array)
    out.columns = pd.Index([neutralise_cell(c) for c in out.columns])
    return out


def _neutralise_series(column: pd.Series) -> pd.Series | None:
    """The column with formula-like texts quoted, or None when nothing needs changing."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        if not any(isinstance(c, str) and is_formula(c) for c in column.cat.categories):
            return None
        column = column.astype(object)
    elif not _is_text(column):
        return None
    where = np.flatnonzero(_matches(column, _FORMULA, full=False))
    if not len(where):
        return None
    where = where[~_matches(column.iloc[where], _NUMBER, full=True)]
    if not len(where):
        return None
    out = column.copy()
    out.iloc[where] = (_QUOTE + column.iloc[where].astype(str)).to_numpy()
    return out


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def _matches(column: pd.Series, pattern: str, *, full: bool) -> np.ndarray:
    """Which cells are texts matching ``pattern`` (at the start, or whole when ``full``).

    A page's table (up to :data:`_SMALL` cells) is checked cell by cell with Python's ``re``:
    pandas' ``.str`` methods re-parse the pattern on every call (~1 ms a column, most of an
    export's time); a longer column goes through pandas (Arrow's RE2 for string columns).
    """
    if len(column) <= _SMALL:
        regex = re.compile(pattern)
        test = regex.fullmatch if full else regex.search
        return np.fromiter(
            (isinstance(v, str) and test(v) is not None for v in column.tolist()),
            dtype=bool,
            count=len(column),
        )
    try:
        text = column.str
    except AttributeError:  # an object column without a single text
        return np.zeros(len(column), dtype=bool)
    found = text.fullmatch(pattern, na=False) if full else text.contains(pattern, na=False)
    return found.to_numpy(dtype=bool, na_value=False)


#: Up to this many cells a column is matched in Python (see :func:`_matches`).
_SMALL = 20_000


def csv_bytes(frame: pd.DataFrame, *, bom: bool = True) -> bytes:
    """The table as UTF-8 CSV, formulas neutralised, without the index.

    Parameters
    ----------
    frame
        The table.
    bom
        Start with a byte-order mark, so Excel on Chinese Windows reads UTF-8 (default).

    Returns
    -------
    bytes
    """
    # RFC 4180 line ends: a CR inside a cell is then quoted too (with "\n" it would end the row)
    text = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig" if bom else "utf-8", errors="replace")


def xlsx_bytes(
    tables: pd.DataFrame | Mapping[str, pd.DataFrame], *, sheet: str = "Sheet1"
) -> bytes:
    """An XLSX workbook of one table (sheet ``sheet``) or one sheet per table, formulas neutralised.

    Written by :mod:`heatmap.output.xlsx` (text as text, never a formula); the cells are still
    neutralised, as in CSV, so a copy pasted on elsewhere stays inert, after the characters XML
    cannot hold (C0 controls other than tab, line feed and carriage return) are removed. Sheet
    names lose ``[ ] : * ? / \\``, are cut to Excel's 31 characters and made unique.

    Parameters
    ----------
    tables
        A table, or sheet name -> table.
    sheet
        The sheet name when ``tables`` is a single table.

    Returns
    -------
    bytes
    """
    sheets = {sheet: tables} if isinstance(tables, pd.DataFrame) else dict(tables)
    # cleaned first: without its control character, '\x01=1+1' would be a formula again
    return xlsx.workbook(
        {
            name: neutralise_frame(_xlsx_clean(table.copy()))
            for name, table in zip(_sheet_names(sheets), sheets.values(), strict=True)
        }
    )


def _xlsx_clean(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (changed in place) without the characters openpyxl refuses in cells and headers."""
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if _is_text(column) and _matches(column, _XLSX_ILLEGAL, full=False).any():
            cleaned = column.map(
                lambda v: re.sub(_XLSX_ILLEGAL, "", v) if isinstance(v, str) else v
            )
            frame.isetitem(position, cleaned.array)
    frame.columns = pd.Index(
        [re.sub(_XLSX_ILLEGAL, "", c) if isinstance(c, str) else c for c in frame.columns]
    )
    return frame


def _sheet_names(sheets: Mapping[str, pd.DataFrame]) -> list[str]:
    names: list[str] = []
    for raw in sheets:
        base = _SHEET_FORBIDDEN.sub("_", re.sub(_XLSX_ILLEGAL, "", str(raw))).strip("'")[:31]
        base = base or "Sheet"
        name, n = base, 1
        while name.lower() in (x.lower() for x in names):
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
        names.append(name)
    return names


def escape_markdown(text: object) -> str:
    """``text`` as literal characters inside Streamlit Markdown (``st.markdown``, labels, captions).

    Every ASCII punctuation character gets a backslash (CommonMark lets any be escaped), so no
    emphasis, link, heading, list, table, HTML, ``$`` math or ``:red[...]`` directive can start
    from the data. Some replacements run on the text after the escapes are read: Streamlit's
    ``:smile:``, ``:material/icon:`` and ``:streamlit:``, and GFM's bare links (``www.x.com``,
    ``https://``, ``a@b.com``); an invisible word joiner (U+2060) after every ``:`` and ``@`` and
    after a ``www`` breaks them. Line breaks become spaces: the text stays inline (no block can
    start on a new line). Left as they are: Streamlit's `` -> `` and `` -- `` shown as arrows and
    dashes (cosmetic).

    Parameters
    ----------
    text
        A value from the data; ``None`` gives ``""``.

    Returns
    -------
    str
    """
    if text is None:
        return ""
    flat = _LINE_BREAK.sub(" ", str(text))
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
    return _LINK_START.sub(lambda m: m.group(0) + _WORD_JOINER, escaped)


def escape_html(text: object) -> str:
    """``text`` as HTML text or attribute value: ``& < > " '`` escaped; ``None`` gives ``""``."""
    if text is None:
        return ""
    return html.escape(str(text), quote=True)


def escape_frame_html(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with the text cells of ``columns`` HTML-escaped (pydeck tooltips).

    Parameters
    ----------
    frame
        The layer's data.
    columns
        The fields a tooltip template interpolates; default every text column.

    Returns
    -------
    pandas.DataFrame
        Numbers and missing values unchanged.

    Raises
    ------
    KeyError
        A named column is not in the frame.
    """
    out = frame.copy()
    if columns is None:
        names = [c for c in out.columns if _is_text(out[c])]
    else:
        names = list(columns)
        missing = [c for c in names if c not in out.columns]
        if missing:
            raise KeyError(
                f"escape_frame_html: no column {missing} in the frame; columns: {list(out.columns)}"
            )
    for name in names:
        out[name] = out[name].map(lambda v: html.escape(v, quote=True) if isinstance(v, str) else v)
    return out


def pptx_text(text: object) -> str:
    """``text`` without what a slide cannot hold: control characters (tab and line feed kept,
    carriage return dropped), DEL and C1 controls, lone surrogates, U+FFFE / U+FFFF.

    python-pptx escapes ``< & >`` itself; ``None`` gives ``""``.
    """
    if text is None:
        return ""
    return _PPTX_ILLEGAL.sub("", str(text))
