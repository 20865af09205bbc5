"""Read an export file (CSV / XLSX / Parquet) into text cells, with each row's line in the file.

A CSV file is split by Arrow's reader. Its bytes are looked at first (quotes, newlines, blank
lines), so that every record's line is known without reading row by row; the few rows with
another number of fields than the header are read again by Python's ``csv`` module, and a file
whose quoting the two readers could split differently is read by the ``csv`` module throughout
(:func:`read_rows`, which is also what the fast path must equal).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from heatmap.errors import HeatmapError
from heatmap.intake import privacy
from heatmap.intake.archives import WORKBOOK_LIMITS, Limits, check_workbook
from heatmap.intake.parse import _PERSONAL_KEYS, _key

_BOM = b"\xef\xbb\xbf"
_CELLS = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' "str"
_TEXT = pa.large_string()
#: Arrow's default allocator (mimalloc) is several times slower on the first gigabyte a fresh
#: process takes (page faults); the cells of a file are taken from the system allocator.
_POOL = pa.system_memory_pool()
#: What ``str.strip`` (and Arrow's trim) removes: ASCII whitespace, and these code points, whose
#: UTF-8 forms start with 0xC2 (two bytes) or 0xE1–0xE3 (three bytes).
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
WIDE_SPACES = frozenset([0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])  # fmt: skip
_WIDE = np.array(sorted(WIDE_SPACES), dtype=np.int64)


def read_table(
    path: str | os.PathLike[str],
    *,
    workbook_limits: Limits = WORKBOOK_LIMITS,
    workbook_rows: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The file as text cells, each row's line number in the file, and the rows that are broken.

    Broken rows (more fields than the header) are returned with their line and reason, never dropped.
    A workbook is checked from its zip directory first (:func:`heatmap.intake.archives.check_workbook`
    with ``workbook_limits``): a zip bomb or another zip renamed ``.xlsx`` is refused unread;
    ``workbook_rows`` stops reading a workbook after that many rows (the caller refuses a table
    that reaches it).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    none = _quarantine_frame([], path.name)
    try:
        if suffix in (".xlsx", ".xlsm"):
            check_workbook(path, limits=workbook_limits)
            frame = _read_workbook(path, workbook_rows)
            return _strip(frame), np.arange(len(frame)) + 2, none
        if suffix == ".parquet":
            frame = pd.read_parquet(path).astype("string").fillna("").astype(object)
            return _strip(frame), np.arange(len(frame)) + 1, none
        if suffix in (".csv", ".txt", ".tsv"):
            return _read_csv(path)
    except csv.Error as exc:  # a field over the csv module's limit, or a stray NUL
        limit = csv.field_size_limit() // 1024
        raise HeatmapError(
            f"{path.name} 中有字段超过 {limit} KB 的上限或含空字符，无法按 CSV 读取；"
            "请检查引号是否成对（一个未闭合的引号会把其后的全部内容读成一个字段） "
            f"(a field over {limit} KB, or a NUL byte: {exc})"
        ) from exc
    except (OSError, ValueError, ImportError) as exc:
        raise HeatmapError(f"无法读取文件 {path.name}：{exc} (cannot read the file)") from exc
    raise HeatmapError(f"不支持的文件类型 {suffix!r}（{path.name}）；支持 CSV、XLSX、Parquet")


def _read_workbook(path: Path, rows: int | None) -> pd.DataFrame:
    try:  # openpyxl reads row by row: with ``nrows`` it stops there
        return pd.read_excel(path, dtype=str, keep_default_na=False, nrows=rows)
    except (OSError, ValueError, ImportError):
        raise  # said by read_table
    except Exception as exc:  # noqa: BLE001 - any parser failure on an uploaded workbook (a part
        # it names missing: KeyError; malformed XML: ParseError, a SyntaxError) is a damaged file
        raise HeatmapError(
            f"{path.name} 工作簿已损坏或不完整（{exc!r}）；请在 Excel/WPS 中打开后另存为 .xlsx 再上传 "
            "(a damaged workbook)"
        ) from exc


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """UTF-8 (with or without a byte-order mark), else GB18030 (a superset of GBK).

    Arrow checks the UTF-8 of every cell it reads; the header and the rows it skips are decoded
    here, so a file is read as UTF-8 exactly when Python's strict decoder accepts it whole.
    """
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    data = path.read_bytes()
    try:
        return _read_text(data, len(_BOM) if data.startswith(_BOM) else 0, delimiter, path.name)
    except UnicodeDecodeError:
        pass
    try:
        body = data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise HeatmapError(
            f"{path.name} 既不是 UTF-8 也不是 GBK/GB18030 编码 (unknown text encoding)"
        ) from None
    return _read_text(body, 0, delimiter, path.name)


def _read_text(
    body: bytes, start: int, delimiter: str, name: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Read UTF-8 ``body`` from ``start``; UnicodeDecodeError when it is not UTF-8."""
    read = _read_arrow(body, start, delimiter, name)
    if read is not None:
        return read
    # quoting that Arrow and the csv module might split differently (or bytes Arrow refuses as
    # UTF-8): read row by row
    return read_rows(body[start:].decode("utf-8"), delimiter, name)


def read_rows(
    text: str, delimiter: str, name: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """:func:`read_table` of CSV text with the ``csv`` module, row by row (any quoting)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise HeatmapError(f"{name} 是空文件 (empty file)")
    width = len(header)
    personal = _personal_columns(header)
    rows: list[list[str]] = []
    lines: list[int] = []
    broken: list[tuple[int, str, str]] = []
    start = reader.line_num + 1
    for row in reader:
        if not any(cell.strip() for cell in row):
            start = reader.line_num + 1
            continue
        if len(row) > width:
            broken.append(_broken(row, start, width, personal))
        else:
            rows.append(row + [""] * (width - len(row)))
            lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=[str(h) for h in header], dtype=object)
    return _strip(frame), np.asarray(lines, dtype="int64"), _quarantine_frame(broken, name)


def _personal_columns(header: list[str]) -> set[int]:
    return {i for i, h in enumerate(header) if _key(h) in _PERSONAL_KEYS}


def _broken(row: list[str], line: int, width: int, personal: set[int]) -> tuple[int, str, str]:
    kept = ["" if i in personal else cell for i, cell in enumerate(row)]
    return line, f"字段数 {len(row)} 多于表头 {width}", ",".join(kept)


@dataclass
class _Records:
    """Each record's first line; the byte ranges of the records (of the header alone when not
    ``split``: a file without quotes whose records are its lines)."""

    starts: np.ndarray
    ends: np.ndarray  # exclusive, before the record's newline
    lines: np.ndarray
    multiline: bool = False  # a quoted value holds a newline
    split: bool = False


def _read_arrow(
    body: bytes, start: int, delimiter: str, name: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame] | None:
    """:func:`read_rows` through Arrow's reader; None when the file needs the row-by-row reader.

    Arrow splits the records; their lines come from the bytes (a record's line is one plus the
    newlines before it). Arrow skips rows with another number of fields than the header; they
    are read again by the ``csv`` module, one by one, and checked to be such rows.
    """
    raw = np.frombuffer(body, dtype=np.uint8)[start:]
    if b"\x00" in body or _bare_carriage_return(raw, body.find(b"\r", start) >= 0):
        return None  # the csv module refuses a bare carriage return; Arrow ends a line there
    quoted = body.find(b'"', start) >= 0
    records = _split(raw, start, delimiter) if quoted else _lines(body, raw, start)
    if records is None:
        return None
    header = _parse_record(body, records.starts[:1], records.ends[:1], delimiter)
    if not header:
        raise HeatmapError(f"{name} 是空文件 (empty file)")  # no text, or a blank first line
    names = [f"c{i}" for i in range(len(header))]
    begin = int(records.ends[0]) + 1
    invalid: list[int] = []
    table = _arrow_table(body, begin, names, delimiter, records.multiline, invalid, threads=True)
    if table is not None and (invalid or table.num_rows != len(records.lines) - 1):
        # blank lines (left out by Arrow) or odd rows, whose numbers Arrow gives unthreaded only
        split = records if records.split else _split(raw, start, delimiter)
        if split is None:
            return None
        records = split
        if invalid:
            invalid.clear()
            table = _arrow_table(
                body, begin, names, delimiter, records.multiline, invalid, threads=False
            )
    if table is None or table.num_rows + len(invalid) != len(records.lines) - 1:
        return None
    return _assemble(body, records, table, invalid, header, delimiter, name)


def _bare_carriage_return(raw: np.ndarray, any_cr: bool) -> bool:
    if not any_cr:
        return False
    at = np.flatnonzero(raw == 13) + 1
    return bool(at[-1] >= len(raw) or (raw[at[at < len(raw)]] != 10).any())


def _lines(body: bytes, raw: np.ndarray, start: int) -> _Records:
    """The records of a body without quotes, as if each line were one (checked by the caller)."""
    at = body.find(b"\n", start)
    count = body.count(b"\n", start) + (0 if body.endswith(b"\n") else 1)
    return _Records(
        np.array([start], "int64"),
        np.array([at if at >= 0 else len(body)], "int64"),
        np.arange(1, count + 1, dtype="int64"),
    )


def _split(raw: np.ndarray, start: int, delimiter: str) -> _Records | None:
    """Every record's byte range and first line, from the newlines outside quotes.

    Blank lines are left out (the first stays: a blank header). None when a quote stands where
    RFC 4180 puts none (inside an unquoted value, or text after a closing quote): there the two
    readers may differ, so the file is read row by row.
    """
    newlines = np.flatnonzero(raw == 10)
    quotes = np.flatnonzero(raw == 34)
    if len(quotes):
        if len(quotes) % 2 or not _conforming(raw, quotes, ord(delimiter)):
            return None
        inside = (np.searchsorted(quotes, newlines) % 2).astype(bool)
    else:
        inside = np.zeros(len(newlines), dtype=bool)
    ending = np.flatnonzero(~inside)  # each record-ending newline, counted among all newlines
    ends = newlines[ending]
    starts = np.r_[0, ends + 1]
    stops = np.r_[ends, len(raw)]
    lines = np.r_[1, ending + 2]
    if starts[-1] == len(raw):  # nothing after the last newline
        starts, stops, lines = starts[:-1], stops[:-1], lines[:-1]
    length = stops - starts
    first = raw[np.minimum(starts, max(len(raw) - 1, 0))] if len(raw) else np.zeros(0)
    blank = (length == 0) | ((length == 1) & (first == 13))
    if len(blank) and blank[0]:
        blank[0], stops[0] = False, starts[0]
    keep = ~blank
    return _Records(
        starts[keep] + start, stops[keep] + start, lines[keep], bool(inside.any()), split=True
    )


def _conforming(raw: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """Each opening quote starts a value and each closing quote ends one (or doubles a quote)."""
    opening, closing = quotes[0::2], quotes[1::2]
    before = raw[np.maximum(opening - 1, 0)]
    ok_open = (opening == 0) | np.isin(before, [delimiter, 10, 34])
    after = raw[np.minimum(closing + 1, len(raw) - 1)]
    ok_close = (closing + 1 == len(raw)) | np.isin(after, [delimiter, 13, 10, 34])
    return bool(ok_open.all() and ok_close.all())


def _parse_record(body: bytes, starts: np.ndarray, ends: np.ndarray, delimiter: str) -> list[str]:
    """The first record of the ranges, as the ``csv`` module reads it ([] when there is none)."""
    if not len(starts):
        return []
    text = body[int(starts[0]) : int(ends[0])].decode("utf-8")
    return next(csv.reader(io.StringIO(text + "\n"), delimiter=delimiter), [])


def _arrow_table(
    body: bytes,
    begin: int,
    names: list[str],
    delimiter: str,
    multiline: bool,
    invalid: list[int],
    *,
    threads: bool,
) -> pa.Table | None:
    """The records after the header as text columns; odd rows' numbers (1 = first) to ``invalid``."""
    if begin >= len(body):
        return pa.table({n: pa.array([], _TEXT) for n in names})

    def odd(row: Any) -> str:
        invalid.append(-1 if row.number is None else int(row.number))
        return "skip"

    try:
        return pacsv.read_csv(
            pa.py_buffer(body)[begin:],
            read_options=pacsv.ReadOptions(use_threads=threads, column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=multiline, invalid_row_handler=odd
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, _TEXT), strings_can_be_null=False
            ),
            memory_pool=_POOL,
        )
    except (pa.ArrowException, ValueError):
        return None


def _assemble(
    body: bytes,
    records: _Records,
    table: pa.Table,
    invalid: list[int],
    header: list[str],
    delimiter: str,
    name: str,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame] | None:
    """The frame, lines and broken rows of :func:`read_rows` from Arrow's table and odd rows."""
    width, lines = len(header), records.lines[1:]
    short: list[tuple[int, list[str]]] = []
    broken: list[tuple[int, str, str]] = []
    for number in invalid:
        if not 1 <= number <= len(lines):
            return None
        row = _parse_record(
            body, records.starts[number:], records.ends[number:], delimiter
        )  # fmt: skip
        if len(row) == width:
            return None  # Arrow and the csv module disagree on this row: read row by row
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width:
            broken.append(_broken(row, int(lines[number - 1]), width, _personal_columns(header)))
        else:
            short.append((number - 1, row + [""] * (width - len(row))))
    regular = np.ones(len(lines), dtype=bool)
    regular[np.asarray(invalid, dtype="int64") - 1] = False
    order = np.flatnonzero(regular)
    if short:
        order = np.r_[order, [k for k, _ in short]]
    # one chunk a column (Arrow's reader leaves one a megabyte: each later take, and DuckDB's
    # insert of the records, are slower over hundreds of chunks), then trimmed where needed
    columns = [
        _trimmed(_one_chunk([*table.column(i).chunks, pa.array([r[i] for _, r in short], _TEXT)]))
        for i in range(width)
    ]
    keep = _not_blank(columns)
    if short:
        keep = keep[np.argsort(order[keep], kind="stable")]
    if short or len(keep) < len(order):
        columns = [pc.take(c, pa.array(keep), memory_pool=_POOL) for c in columns]
    if not len(keep):
        frame = pd.DataFrame([], columns=[str(h) for h in header], dtype=object)
        return _strip(frame), np.zeros(0, dtype="int64"), _quarantine_frame(broken, name)
    frame = pd.DataFrame({i: pd.array(c, dtype=_CELLS) for i, c in enumerate(columns)})
    frame.columns = [str(h).strip().lstrip("\ufeff") for h in header]
    return frame, lines[order[keep]].astype("int64"), _quarantine_frame(sorted(broken), name)


def _one_chunk(chunks: list[pa.Array]) -> pa.Array:
    return pa.concat_arrays(chunks, memory_pool=_POOL)


def _trimmed(column: pa.Array) -> pa.Array:
    """The cells without leading and trailing whitespace (a column of long texts is looked at
    first: trimming it costs more than finding that no cell needs it)."""
    if column.nbytes < 64 * len(column) or _may_have_space(column):
        return pc.utf8_trim_whitespace(column, memory_pool=_POOL)
    return column


def _may_have_space(chunk: pa.Array) -> bool:
    """Whether a cell of a string chunk starts or ends with a whitespace character."""
    _, offsets, data = chunk.buffers()
    if data is None or not data.size:
        return False
    ends = np.frombuffer(offsets, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
    text = np.frombuffer(data, dtype=np.uint8)
    starts, stops = ends[:-1][ends[:-1] < ends[1:]], ends[1:][ends[:-1] < ends[1:]]
    first, last = text[starts], text[stops - 1]
    if _ASCII_SPACE[first].any() or _ASCII_SPACE[last].any():
        return True

    def at(i: np.ndarray) -> np.ndarray:
        return text[np.clip(i, 0, len(text) - 1)].astype(np.int64)

    two = np.flatnonzero(first == 0xC2)  # a first character of two bytes that may be a space
    if np.isin((at(starts[two] + 1) & 0x3F) | 0x80, _WIDE).any():
        return True
    three = np.flatnonzero((first >= 0xE1) & (first <= 0xE3))
    s3 = starts[three]
    if np.isin(_three(at(s3), at(s3 + 1), at(s3 + 2)), _WIDE).any():
        return True
    two = np.flatnonzero(at(stops - 2) == 0xC2)  # the last character, read both ways
    if np.isin((last[two].astype(np.int64) & 0x3F) | 0x80, _WIDE).any():
        return True
    lead = at(stops - 3)
    three = np.flatnonzero((lead >= 0xE1) & (lead <= 0xE3))
    e3 = stops[three]
    return bool(np.isin(_three(lead[three], at(e3 - 2), at(e3 - 1)), _WIDE).any())


def _three(lead: np.ndarray, second: np.ndarray, third: np.ndarray) -> np.ndarray:
    """The code points of three-byte UTF-8 sequences."""
    return ((lead & 0x0F) << 12) | ((second & 0x3F) << 6) | (third & 0x3F)


def _not_blank(columns: list[pa.Array]) -> np.ndarray:
    """Rows with a cell that is not empty (cells already trimmed)."""
    blank = pc.equal(columns[0], "").to_numpy(zero_copy_only=False)
    if blank.any():
        for column in columns[1:]:
            blank &= pc.equal(column, "").to_numpy(zero_copy_only=False)
    return np.flatnonzero(~blank)


def _quarantine_frame(rows: list[tuple[int, str, str]], source: str) -> pd.DataFrame:
    """The broken lines, personal data masked; the counts per kind in ``attrs["personal_masked"]``."""
    masked, counts = privacy.mask_values([r[2] for r in rows])
    frame = pd.DataFrame(
        {
            "source": pd.Series([source] * len(rows), dtype="object"),
            "line": pd.Series([r[0] for r in rows], dtype="int64"),
            "reason": pd.Series([r[1] for r in rows], dtype="object"),
            "raw": pd.Series(masked, dtype="object"),
        }
    )
    frame.attrs["personal_masked"] = dict(counts)
    return frame


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        return frame
    return frame.apply(lambda col: col.astype(str).str.strip())
