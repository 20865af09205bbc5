"""A small, fast XLSX writer for the product's tables (Office Open XML, SpreadsheetML).

Every download button of a page is built on every run of the page, so the workbook is on the
path a user waits for: pandas' ``to_excel`` through openpyxl took ~90 ms for the 331 × 35 table of
the 预警 page (one Python object per cell). This writer builds each sheet's XML column by column
and zips it: the same workbook in a few milliseconds (``tests/output/test_xlsx.py`` reads it back
with openpyxl and pandas; ``bench`` quotes the time).

What it writes: one sheet per table, a bold header row frozen at the top, column widths from the
header and the first rows (a CJK character counts two), text as inline strings (never formulas:
neutralising formula-like text is :mod:`heatmap.output.safe`'s job, done before), numbers,
booleans, dates and times as Excel serial numbers with a date format, blanks for missing values
(``inf`` as the text ``inf``, as pandas writes it). Text longer than Excel's 32 767 characters is
cut there; characters XML 1.0 cannot hold are dropped.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from heatmap.errors import HeatmapError

#: Excel's limits: rows per sheet, characters per cell.
MAX_ROWS = 1_048_576
MAX_TEXT = 32_767
#: Style indexes in styles.xml: 0 default, 1 date-time, 2 date, 3 header (bold).
_DATETIME, _DATE, _HEADER = 1, 2, 3
_EPOCH = np.datetime64("1899-12-30T00:00:00", "ns")
_DAY_NS = 86_400 * 10**9
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


class XlsxError(HeatmapError):
    """A table Excel cannot hold (more rows than a sheet has)."""


def workbook(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """The XLSX file of ``sheets`` (sheet name -> table; names already valid and unique).

    Raises
    ------
    XlsxError
        When a table has more rows than an Excel sheet (1 048 575 below the header).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        names = list(sheets)
        package.writestr("[Content_Types].xml", _content_types(len(names)))
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _workbook(names))
        package.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(names)))
        package.writestr("xl/styles.xml", _STYLES)
        for number, (name, table) in enumerate(sheets.items(), start=1):
            if len(table) + 1 > MAX_ROWS:
                raise XlsxError(
                    f"表「{name}」有 {len(table):,} 行，超过 Excel 单表上限 {MAX_ROWS - 1:,} 行，"
                    f"请缩小筛选范围或下载 CSV (too many rows for one Excel sheet)"
                )
            package.writestr(f"xl/worksheets/sheet{number}.xml", _sheet(table))
    return buffer.getvalue()


def _sheet(table: pd.DataFrame) -> str:
    letters = [_column_letter(j) for j in range(table.shape[1])]
    rows = np.arange(2, len(table) + 2).astype(str).tolist()
    header = "".join(
        _text_cell(f"{letter}1", str(name), _HEADER)
        for letter, name in zip(letters, table.columns, strict=True)
    )
    columns = [_column_cells(table.iloc[:, j], letters[j], rows) for j in range(table.shape[1])]
    body = (
        "".join(
            f'<row r="{r}">{"".join(cells)}</row>' for r, *cells in zip(rows, *columns, strict=True)
        )
        if columns
        else "".join(f'<row r="{r}"/>' for r in rows)
    )
    widths = "".join(
        f'<col min="{j}" max="{j}" width="{w:.1f}" customWidth="1"/>'
        for j, w in enumerate(_widths(table), start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        f"{f'<cols>{widths}</cols>' if widths else ''}"
        f'<sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>'
    )


def _column_cells(column: pd.Series, letter: str, rows: Sequence[str]) -> list[str]:
    """The ``<c>`` elements of one column, '' for a blank cell."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        values = column.to_numpy(dtype=object)
        return [
            "" if v is pd.NA or v is None else f'<c r="{letter}{r}" t="b"><v>{int(bool(v))}</v></c>'
            for r, v in zip(rows, values, strict=True)
        ]
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        if pd.api.types.is_integer_dtype(dtype) and not column.hasnans:
            texts = column.to_numpy().astype(str).tolist()
            return [f'<c r="{letter}{r}"><v>{v}</v></c>' for r, v in zip(rows, texts, strict=True)]
        floats = column.to_numpy(dtype="float64", na_value=np.nan)
        return [_number_cell(f"{letter}{r}", v) for r, v in zip(rows, floats.tolist(), strict=True)]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        serials = _serials(column)
        return [
            "" if math.isnan(v) else f'<c r="{letter}{r}" s="{_DATETIME}"><v>{v!r}</v></c>'
            for r, v in zip(rows, serials.tolist(), strict=True)
        ]
    return [_any_cell(f"{letter}{r}", v) for r, v in zip(rows, column.tolist(), strict=True)]


def _any_cell(ref: str, value: Any) -> str:
    """One cell of an object column: by the value's own type."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return _text_cell(ref, value)
    if isinstance(value, bool | np.bool_):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, float | np.floating):
        return _number_cell(ref, float(value))
    if isinstance(value, dt.datetime | np.datetime64):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)  # the wall time shown where it was recorded
        serial = (stamp.to_datetime64() - _EPOCH) / np.timedelta64(_DAY_NS, "ns")
        return f'<c r="{ref}" s="{_DATETIME}"><v>{float(serial)!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(value - dt.date(1899, 12, 30)).days}</v></c>'
    return _text_cell(ref, str(value))


def _number_cell(ref: str, value: float) -> str:
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return _text_cell(ref, "inf" if value > 0 else "-inf")
    return f'<c r="{ref}"><v>{value!r}</v></c>'


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("", text)
    text = text[:MAX_TEXT].translate(_ESCAPES)
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _serials(column: pd.Series) -> np.ndarray:
    """Excel serial days of a datetime column (NaN where missing; wall time of a zoned column)."""
    values = column.dt.tz_localize(None) if column.dt.tz is not None else column
    nanos = values.to_numpy(dtype="datetime64[ns]")
    out = (nanos - _EPOCH).astype("int64") / _DAY_NS
    out[np.isnat(nanos)] = np.nan
    return out


def _widths(table: pd.DataFrame, *, sample: int = 200) -> list[float]:
    """A column width from the header and the first ``sample`` values: 2 per CJK character."""
    head = table.head(sample)
    out = []
    for j in range(table.shape[1]):
        texts = [str(table.columns[j]), *(_shown(v) for v in head.iloc[:, j].tolist())]
        longest = max(len(s) + len(_WIDE.findall(s)) for s in texts)
        out.append(float(min(max(longest + 2, 8), 60)))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, float) and not math.isnan(value) and not math.isinf(value):
        return f"{value:.6g}"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return "2021-12-31 23:59:59"
    return "" if value is None or value is pd.NA or value is pd.NaT else str(value)


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape_attribute(text: str) -> str:
    return text.translate(_ESCAPES).replace('"', "&quot;")


def _workbook(names: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_escape_attribute(name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(n: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{sheets}<Relationship Id="rId{n + 1}" Target="styles.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
        "</Relationships>"
    )


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)

_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
