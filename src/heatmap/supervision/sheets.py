"""The workbench's lists as spreadsheets: a table with Chinese headers out, an XLSX or CSV file in.

:func:`export_frame` lays out a kind's entries as a town office keeps them (序号, 街乡镇代码, 街乡镇,
督办起始月, 类别, 事项名称, 问题分类, 责任单位, 计划完成月份, 状态, 佐证材料, ...). It returns a
DataFrame: the caller writes it with ``heatmap.output.safe.csv_bytes`` / ``xlsx_bytes``, which
neutralise formula cells (this package sits in a lower layer than ``heatmap.output``).

:func:`import_sheet` reads such a file back with the complaint import's rules: everything in the
caller's one transaction, so an error that stops the import leaves the workbench as it was; a row
that cannot be used (unknown status or problem, bad month, a town outside the person's scope, a
version moved since the export) is kept aside with its line as the spreadsheet shows it (the header
is line 1) and the reason, never dropped; the good rows are written. A row without 序号 is a new
entry; a row with 序号 and 版本 changes that entry if it is still at that version. Exporting and
importing an unchanged file changes nothing.
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from heatmap.errors import ConflictError, HeatmapError, ScopeError, WorkError
from heatmap.formulas import is_formula
from heatmap.intake.archives import SHEET_LIMITS
from heatmap.intake.reading import read_table
from heatmap.supervision.db import Connection
from heatmap.supervision.work import (
    EDITABLE,
    KINDS,
    LISTED,
    Entry,
    add_entry,
    format_time,
    get_entry,
    update_entry,
)
from heatmap.taxonomy import Taxonomy, load_taxonomy

MAX_ROWS = 20_000
SUFFIXES = (".xlsx", ".csv")

#: field -> header of each kind's sheet where it differs from :data:`HEADERS`
_TITLE = {"item": "事项名称", "project": "项目名称", "talk": "约谈主题", "visit": "回访主题",
          "support": "帮扶内容"}  # fmt: skip
_NOTE = {"item": "备注", "project": "备注", "talk": "约谈结论", "visit": "回访情况",
         "support": "帮扶情况"}  # fmt: skip
_DAY = {"talk": "约谈日期", "visit": "回访日期", "support": "日期"}

#: field -> its header on a sheet
HEADERS: dict[str, str] = {
    "id": "序号",
    "town_code": "街乡镇代码",
    "town_name": "街乡镇",
    "spell_start": "督办起始月",
    "kind": "类别",
    "held_on": "日期",
    "title": "名称",
    "problem": "问题分类",
    "owner_unit": "责任单位",
    "due_month": "计划完成月份",
    "status": "状态",
    "participants": "参加人员",
    "note": "备注",
    "evidence": "佐证材料",
    "version": "版本",
    "updated_by": "最后修改人",
    "updated_at": "最后修改时间",
}

#: fields of each kind's sheet, in order
_LAYOUT: dict[str, tuple[str, ...]] = {
    "list": ("id", "town_code", "town_name", "spell_start", "kind", "title", "problem",
             "owner_unit", "due_month", "status", "evidence", "note", "version", "updated_by",
             "updated_at"),
    "event": ("id", "town_code", "town_name", "spell_start", "kind", "held_on", "title",
              "participants", "note", "problem", "evidence", "version", "updated_by",
              "updated_at"),
    "support": ("id", "town_code", "town_name", "spell_start", "kind", "held_on", "title",
                "owner_unit", "due_month", "note", "problem", "evidence", "version",
                "updated_by", "updated_at"),
}  # fmt: skip

#: header variants a town office writes -> field (compared after :func:`_header_key`)
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("序号", "编号", "条目编号", "ID"),
    "town_code": ("街乡镇代码", "街乡镇编码", "街道代码", "乡镇代码", "街道乡镇代码", "代码"),
    "town_name": ("街乡镇", "街乡镇名称", "街道", "乡镇", "街道乡镇", "街道(乡镇)"),
    "spell_start": ("督办起始月", "督办起始月份", "督办开始月份", "纳入督办月份", "进入月份"),
    "kind": ("类别", "类型"),
    "held_on": ("日期", "约谈日期", "回访日期", "帮扶日期"),
    "title": ("名称", "事项名称", "项目名称", "事项", "项目", "标题", "主题", "约谈主题",
              "回访主题", "帮扶内容"),
    "problem": ("问题分类", "问题", "问题类型"),
    "owner_unit": ("责任单位", "牵头单位", "责任部门"),
    "due_month": ("计划完成月份", "计划完成时间", "完成时限", "完成月份"),
    "status": ("状态", "进展状态", "推进状态"),
    "participants": ("参加人员", "参会人员", "参与人员"),
    "note": ("备注", "结论", "约谈结论", "会议结论", "回访情况", "帮扶情况", "情况说明"),
    "evidence": ("佐证材料", "佐证"),
    "version": ("版本", "版本号"),
    "updated_by": ("最后修改人",),
    "updated_at": ("最后修改时间",),
}  # fmt: skip
_INFORMATIONAL = ("updated_by", "updated_at")  # written on export, never read back
_KIND_NAMES = {**{v: k for k, v in KINDS.items()}, **{k: k for k in KINDS},
               **{f"{v}清单": k for k, v in KINDS.items()}}  # fmt: skip


@dataclass(frozen=True)
class Rejected:
    """A row kept aside: its line in the sheet (header = 1), the reason, and its cells."""

    line: int
    reason: str
    raw: str


@dataclass
class ImportReport:
    """What an import did. ``rows_read`` = created + updated + unchanged + rejected + blank."""

    source: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    blank: int = 0
    conflicts: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "blank": self.blank,
            "conflicts": self.conflicts,
            "rejected": [r.__dict__ for r in self.rejected],
            "ignored_columns": self.ignored_columns,
        }

    def rejected_frame(self) -> pd.DataFrame:
        """The rows kept aside as a table with Chinese headers (行号, 原因, 内容)."""
        return pd.DataFrame(
            [(r.line, r.reason, r.raw) for r in self.rejected], columns=["行号", "原因", "内容"]
        )


def headers(kind: str) -> list[str]:
    """The column headers of a kind's sheet (an empty sheet of them is the template to fill)."""
    return [_header(name, kind) for name in _layout(kind)]


def export_frame(
    entries: Sequence[Entry], *, kind: str, town_names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """A kind's entries as a town office's sheet, Chinese headers, every cell text or a number.

    Parameters
    ----------
    entries
        Entries (those of other kinds are left out: one sheet per list).
    kind
        ``item`` (事项清单), ``project`` (项目清单), ``talk``, ``visit`` or ``support``.
    town_names
        Town code -> name, for the 街乡镇 column (empty when not given).

    Returns
    -------
    pandas.DataFrame
        Hand it to ``heatmap.output.safe.xlsx_bytes`` or ``csv_bytes`` (formula cells neutralised).
    """
    layout = _layout(kind)
    names = town_names or {}
    rows = [_cells(e, names) for e in entries if e.kind == kind]
    out = pd.DataFrame([[r[f] for f in layout] for r in rows], columns=list(layout), dtype=object)
    return out.rename(columns={f: _header(f, kind) for f in layout})


def import_sheet(
    con: Connection,
    data: bytes,
    filename: str,
    *,
    by: str,
    kind: str | None = None,
    town_scope: Collection[str] | None = None,
    towns: Mapping[str, str] | None = None,
    taxonomy: Taxonomy | None = None,
    now: float | None = None,
) -> ImportReport:
    """Create and update entries from an XLSX or CSV sheet inside the caller's transaction.

    Parameters
    ----------
    con
        An open write transaction (:func:`heatmap.supervision.db.transaction`): an exception
        rolls back every row.
    data, filename
        The file's bytes and its name (only its suffix, ``.xlsx`` or ``.csv``, is used). CSV is
        read as UTF-8 (with or without BOM), else GBK/GB18030.
    by
        Who imports (the changes' author).
    kind
        The kind of rows without a 类别 column or cell (e.g. ``item`` for a 事项清单).
    town_scope
        Towns the person may write to (None: all); other rows are kept aside.
    towns
        Town code -> name of the store: a code outside it, or a name that does not match its
        code, is kept aside; rows with only a 街乡镇 name get their code from it.
    taxonomy
        The problem taxonomy (default: :func:`heatmap.taxonomy.load_taxonomy`).
    now
        Epoch seconds of the changes (default: the clock).

    Returns
    -------
    ImportReport

    Raises
    ------
    WorkError
        The file cannot be read, is of another type, lacks a required column, names a column
        twice, or has more than :data:`MAX_ROWS` rows: nothing is written.
    """
    table, lines, broken = _read(data, filename)
    columns, ignored = _columns(list(table.columns), kind=kind, towns=towns)
    report = ImportReport(source=Path(filename).name, rows_read=len(table) + len(broken),
                          ignored_columns=ignored)  # fmt: skip
    report.rejected += [
        Rejected(int(line), str(reason), str(raw))
        for line, reason, raw in zip(broken["line"], broken["reason"], broken["raw"], strict=True)
    ]
    tax = taxonomy or load_taxonomy()
    seen: dict[int, int] = {}
    for line, cells in zip(lines.tolist(), table.itertuples(index=False), strict=True):
        raw = dict(zip(table.columns, cells, strict=True))
        if not any(str(cell).strip() for cell in cells):
            report.blank += 1
            continue
        row = {name: _unquote(str(raw[header])) for name, header in columns.items()}
        try:
            _apply(con, row, line, seen, report, by=by, kind=kind, scope=town_scope, towns=towns,
                   taxonomy=tax, now=now)  # fmt: skip
        except (WorkError, ScopeError, ConflictError) as exc:
            report.conflicts += isinstance(exc, ConflictError)
            report.rejected.append(Rejected(line, str(exc), _json(raw)))
    report.rejected.sort(key=lambda r: r.line)
    return report


# -- one row -------------------------------------------------------------------------------------


def _apply(
    con: Connection,
    row: dict[str, str],
    line: int,
    seen: dict[int, int],
    report: ImportReport,
    *,
    by: str,
    kind: str | None,
    scope: Collection[str] | None,
    towns: Mapping[str, str] | None,
    taxonomy: Taxonomy,
    now: float | None,
) -> None:
    """Create or update the entry of one row (raises WorkError, ScopeError or ConflictError)."""
    values = _values(row, kind=kind, towns=towns)
    if not row.get("id"):
        add_entry(con, **values, by=by, scope=scope, taxonomy=taxonomy, now=now)
        report.created += 1
        return
    entry_id, version = _whole(row["id"], "序号"), _version(row)
    if entry_id in seen:
        raise WorkError(
            f"序号 {entry_id} 在第 {seen[entry_id]} 行已出现；同一条目每次导入只能改一次"
        )
    seen[entry_id] = line
    current = get_entry(con, entry_id)
    if scope is not None and current.town_code not in scope:  # say nothing more about it
        raise ScopeError(
            f"序号 {entry_id} 不在您的权限范围内；请清空序号，或联系管理员调整账号范围"
        )
    _same_identity(current, values)
    if current.deleted and current.version == version:
        raise WorkError(
            f"序号 {entry_id} 已于 {format_time(current.updated_at)} 被 {current.updated_by} 删除；"
            "如需恢复请清空序号作为新条目导入"
        )
    changes = {k: v for k, v in values.items() if k in EDITABLE and k in row}  # columns present
    done = update_entry(con, entry_id, expected_version=version, changes=changes, by=by,
                        scope=scope, taxonomy=taxonomy, now=now)  # fmt: skip
    if done.version == version:
        report.unchanged += 1
    else:
        report.updated += 1


def _values(
    row: Mapping[str, str], *, kind: str | None, towns: Mapping[str, str] | None
) -> dict[str, Any]:
    """The entry fields of a row: kind and town resolved, months and days in ISO form."""
    values: dict[str, Any] = {k: row.get(k, "") for k in ("spell_start", *EDITABLE)}
    values["kind"] = _kind(row.get("kind", ""), kind)
    values["town_code"] = _town(row.get("town_code", ""), row.get("town_name", ""), towns)
    values["spell_start"] = _sheet_month(values["spell_start"])
    values["due_month"] = _sheet_month(values["due_month"])
    values["held_on"] = _sheet_day(values["held_on"])
    return values


def _kind(cell: str, default: str | None) -> str:
    if not cell:
        if default is None:
            raise WorkError("类别为空：请填写 事项、项目、约谈、回访 或 帮扶")
        return default
    found = _KIND_NAMES.get(cell.strip())
    if found is None:
        raise WorkError(f"类别 {cell!r} 无效：应为 {'、'.join(KINDS.values())} 之一")
    return found


def _town(code: str, name: str, towns: Mapping[str, str] | None) -> str:
    code = code.strip()
    if code.endswith(".0") and code[:-2].isdigit():  # a code typed as a number in Excel
        code = code[:-2]
    if towns is None:
        if not code:
            raise WorkError("缺少街乡镇代码（例如 110101001）")
        return code
    if not code:
        codes = [c for c, n in towns.items() if n == name]
        if len(codes) != 1:
            why = "不是已知的街乡镇" if not codes else f"对应多个代码 {', '.join(codes)}"
            raise WorkError(f"街乡镇 {name!r} {why}；请填写街乡镇代码")
        return codes[0]
    if code not in towns:
        raise WorkError(f"街乡镇代码 {code!r} 不是已知的街乡镇（应为 9 位代码，例如 110101001）")
    if name and name != towns[code]:
        raise WorkError(f"街乡镇代码 {code} 对应 {towns[code]}，与表中的 {name!r} 不符")
    return code


def _same_identity(current: Entry, values: Mapping[str, Any]) -> None:
    for name in ("town_code", "spell_start", "kind"):
        if values[name] and values[name] != getattr(current, name):
            raise WorkError(
                f"序号 {current.id} 的{HEADERS[name]}是 {getattr(current, name)!r}，表中为 "
                f"{values[name]!r}：街乡镇、督办起始月和类别不能通过导入改动"
            )


def _version(row: Mapping[str, str]) -> int:
    if not row.get("version"):
        raise WorkError(
            "有序号但缺少版本：修改已有条目时请保留导出时的“版本”列；新增条目请清空序号"
        )
    return _whole(row["version"], "版本")


def _whole(text: str, label: str) -> int:
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number.is_integer() or number < 1:
        raise WorkError(f"{label} {text!r} 不是正整数")
    return int(number)


# -- cells ---------------------------------------------------------------------------------------

_SHEET_MONTH = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:[-/.]\s*0?1\s*日?)?(?:\s+00:00:00)?"
)
_SHEET_DAY = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00:00)?"
)


def _sheet_month(text: str) -> str:
    """``2026-12``, ``2026/12``, ``2026年12月`` or a date cell on the 1st -> ``2026-12``."""
    found = _SHEET_MONTH.fullmatch(text.strip())
    return f"{found[1]}-{int(found[2]):02d}" if found else text.strip()


def _sheet_day(text: str) -> str:
    """``2026-12-04``, ``2026/12/4``, ``2026年12月4日`` or a date cell -> ``2026-12-04``."""
    found = _SHEET_DAY.fullmatch(text.strip())
    return f"{found[1]}-{int(found[2]):02d}-{int(found[3]):02d}" if found else text.strip()


def _unquote(text: str) -> str:
    """A cell as typed before export: the quote that neutralised a formula-like text removed
    (the rule :mod:`heatmap.output.safe` quotes by, :func:`heatmap.formulas.is_formula`). Export
    is idempotent (an already quoted text gets no second quote), so a text typed with a quote
    before a formula-like text (``'=x``) comes back without that quote."""
    return text[1:] if text.startswith("'") and is_formula(text[1:]) else text


def _cells(entry: Entry, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        **{k: ("" if v is None else v) for k, v in entry.__dict__.items()},
        "kind": KINDS[entry.kind],
        "town_name": names.get(entry.town_code, ""),
        "updated_at": format_time(entry.updated_at),
    }


def _json(raw: Mapping[str, Any]) -> str:
    return json.dumps({str(k): str(v) for k, v in raw.items() if str(v)}, ensure_ascii=False)


# -- the sheet -----------------------------------------------------------------------------------


def _layout(kind: str) -> tuple[str, ...]:
    if kind not in KINDS:
        raise WorkError(f"类别 {kind!r} 无效：应为 {', '.join(KINDS)} 之一")
    if kind in LISTED:
        return _LAYOUT["list"]
    return _LAYOUT["support" if kind == "support" else "event"]


def _header(name: str, kind: str) -> str:
    if name == "title":
        return _TITLE[kind]
    if name == "note":
        return _NOTE[kind]
    if name == "held_on":
        return _DAY.get(kind, HEADERS[name])
    return HEADERS[name]


def _read(data: bytes, filename: str) -> tuple[pd.DataFrame, Any, pd.DataFrame]:
    """The sheet's text cells, each row's line, and the broken rows (via the complaint reader)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise WorkError(f"不支持的文件类型 {suffix or filename!r}：请上传 XLSX 或 CSV 文件")
    with tempfile.TemporaryDirectory(prefix="heatmap-sheet-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            table, lines, broken = read_table(
                path, workbook_limits=SHEET_LIMITS, workbook_rows=MAX_ROWS + 1
            )  # a list past MAX_ROWS is refused below, unread beyond it
        except HeatmapError as exc:
            raise WorkError(str(exc).replace(path.name, Path(filename).name)) from exc
    if len(table) + len(broken) > MAX_ROWS:
        counted = f"有 {len(table) + len(broken)} 行，" if suffix == ".csv" else ""  # XLSX: not read on
        raise WorkError(f"表格{counted}超过上限 {MAX_ROWS} 行；请分批导入")
    return table, lines, broken


def _header_key(text: str) -> str:
    """A header compared loosely: full-width forms folded, spaces and ``*`` and a trailing
    annotation in brackets (``计划完成月份（YYYY-MM）``) removed."""
    key = re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", text))
    return re.sub(r"\([^()]*\)$", "", key).upper() or key.upper()


_BY_KEY = {_header_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def _columns(
    header: list[str], *, kind: str | None, towns: Mapping[str, str] | None
) -> tuple[dict[str, str], list[str]]:
    """Field -> the sheet's header for it, and the headers that name no field (reported)."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    for text in header:
        name = _BY_KEY.get(_header_key(text))
        if name is None:
            ignored.append(text)
        elif name in found:
            raise WorkError(
                f"列 {found[name]!r} 与 {text!r} 都表示“{HEADERS[name]}”；请删去其中一列"
            )
        elif name not in _INFORMATIONAL:
            found[name] = text
    missing = [HEADERS[n] for n in ("spell_start", "title") if n not in found]
    if "town_code" not in found and not ("town_name" in found and towns is not None):
        missing.insert(0, HEADERS["town_code"])
    if "kind" not in found and kind is None:
        missing.append(HEADERS["kind"])
    if missing:
        raise WorkError(
            f"表格缺少必需的列：{'、'.join(missing)}；表头应为（第 1 行）"
            f"{'、'.join(headers(kind or 'item'))}（可先导出一份作为模板）"
        )
    return found, ignored
