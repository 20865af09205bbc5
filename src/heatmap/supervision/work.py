"""Entries of the 督导工作台 and their changes: add, update with a version check, delete, list, sum up.

A supervised town's spell (the month it entered supervision, ``entry_month`` of the governance
ledger, here ``spell_start``) gathers its talks (约谈), its item list (事项清单), its project list
(项目清单), follow-up visits (回访) and, after exit, support notes (帮扶). Every entry carries a
version: a change names the version it was read at and is refused with :class:`ConflictError` when
someone else changed the entry since (optimistic concurrency, never a silent overwrite). Every
change, deletion included, appends a row to ``entry_history`` with who, when and the fields before
and after; the database refuses to alter that history or to remove an entry.

Each function takes an open :class:`heatmap.supervision.db.Connection` (one transaction, from
:func:`heatmap.supervision.db.transaction`), so a page can group several changes and an import can
write all its rows or none.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pandas as pd

from heatmap.errors import ConflictError, ScopeError, WorkError
from heatmap.supervision.db import Connection
from heatmap.taxonomy import Taxonomy, load_taxonomy

#: kind -> its Chinese name (the 类别 column of a sheet)
KINDS: dict[str, str] = {
    "talk": "约谈",
    "item": "事项",
    "project": "项目",
    "visit": "回访",
    "support": "帮扶",
}
STATUSES: tuple[str, ...] = ("未开始", "推进中", "已完成", "延期")
DONE = "已完成"
#: kinds on the lists: a status is required and a due month counts
LISTED: tuple[str, ...] = ("item", "project")
#: kinds that happen on a day: the date is required
DATED: tuple[str, ...] = ("talk", "visit")
#: the fields a change may touch; town, spell and kind are the entry's identity
EDITABLE: tuple[str, ...] = (
    "title", "problem", "owner_unit", "due_month", "status", "held_on", "participants", "note",
    "evidence",
)  # fmt: skip
_OPTIONAL = ("problem", "due_month", "status", "held_on")  # NULL when empty
_MAX_TITLE = 500
_MAX_TEXT = 10_000
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_BEIJING = timezone(timedelta(hours=8))  # China has kept UTC+8 without summer time since 1991


@dataclass(frozen=True)
class Entry:
    """One talk, list item, project, visit or support note of a town's spell, at one version."""

    id: int
    town_code: str
    spell_start: str
    kind: str
    title: str
    problem: str | None
    owner_unit: str
    due_month: str | None
    status: str | None
    held_on: str | None
    participants: str
    note: str
    evidence: str
    version: int
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float
    deleted: bool


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Entry))


@dataclass(frozen=True)
class Change:
    """One row of an entry's history: who made version ``version`` when, and what it changed."""

    entry_id: int
    version: int
    changed_at: float
    changed_by: str
    action: str
    old: dict[str, Any]
    new: dict[str, Any]


def add_entry(
    con: Connection,
    *,
    town_code: str,
    spell_start: str,
    kind: str,
    title: str,
    by: str,
    problem: str | None = None,
    owner_unit: str = "",
    due_month: str | None = None,
    status: str | None = None,
    held_on: str | None = None,
    participants: str = "",
    note: str = "",
    evidence: str = "",
    scope: Collection[str] | None = None,
    taxonomy: Taxonomy | None = None,
    now: float | None = None,
) -> Entry:
    """Create an entry at version 1 and its ``create`` history row.

    Parameters
    ----------
    con
        An open write transaction.
    town_code, spell_start, kind
        The entry's identity: the town, the month its spell of supervision began (``YYYY-MM``) and
        one of :data:`KINDS`.
    title
        事项名称 / 项目名称, or the subject of a talk, visit or support note.
    by
        Who creates it (account name).
    problem
        A problem name of the taxonomy, or None.
    owner_unit, due_month, status
        责任单位, 计划完成月份 (``YYYY-MM``) and one of :data:`STATUSES`; a listed item or project
        without a status starts as 未开始.
    held_on, participants, note, evidence
        The day (``YYYY-MM-DD``, required for talks and visits), who took part, conclusions or
        notes, and the evidence (a note or a file name).
    scope
        Towns the person may write to (None: all).
    taxonomy
        The problem taxonomy (default: :func:`heatmap.taxonomy.load_taxonomy`).
    now
        Epoch seconds of the change (default: the clock).

    Returns
    -------
    Entry
    """
    _check_who(by)
    if kind in LISTED and not status:
        status = STATUSES[0]
    record = _checked(
        {"town_code": town_code, "spell_start": spell_start, "kind": kind, "title": title,
         "problem": problem, "owner_unit": owner_unit, "due_month": due_month, "status": status,
         "held_on": held_on, "participants": participants, "note": note, "evidence": evidence},
        taxonomy,
    )  # fmt: skip
    _check_scope(record["town_code"], scope)
    at = time.time() if now is None else now
    names = [*record, "version", "created_by", "created_at", "updated_by", "updated_at", "deleted"]
    values = [*record.values(), 1, by, at, by, at, 0]
    (entry_id,) = con.execute(
        f"INSERT INTO entries ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        " RETURNING id",
        values,
    ).fetchone()
    _log(con, entry_id, 1, at, by, "create", {}, record)
    return get_entry(con, entry_id)


def update_entry(
    con: Connection,
    entry_id: int,
    *,
    expected_version: int,
    changes: Mapping[str, Any],
    by: str,
    scope: Collection[str] | None = None,
    taxonomy: Taxonomy | None = None,
    now: float | None = None,
) -> Entry:
    """Change fields of an entry read at ``expected_version``; refuse if it moved since.

    A change that leaves every field as it is writes nothing and keeps the version.

    Parameters
    ----------
    con
        An open write transaction.
    entry_id
        The entry.
    expected_version
        The version the person saw.
    changes
        Field -> new value, fields among :data:`EDITABLE`.
    by
        Who changes it.
    scope, taxonomy, now
        As in :func:`add_entry`.

    Returns
    -------
    Entry
        The entry at its new version (or unchanged).

    Raises
    ------
    ConflictError
        The entry is no longer at ``expected_version``; the message names who changed it and when.
    WorkError
        Unknown entry or field, an identity field, an invalid value, or a deleted entry.
    """
    _check_who(by)
    _check_fields(changes)
    current = _current(con, entry_id, expected_version, scope)
    if current.deleted:
        raise WorkError(f"条目 {entry_id} 已删除，不能修改；如需恢复请重新添加")
    merged = _checked({**_identity(current), **_editable(current), **changes}, taxonomy,
                      known_problem=current.problem)  # fmt: skip
    diff = {k: v for k, v in merged.items() if k in EDITABLE and v != getattr(current, k)}
    if not diff:
        return current
    at = time.time() if now is None else now
    _write(con, current, diff, by, at)
    _log(con, entry_id, current.version + 1, at, by, "update",
         {k: getattr(current, k) for k in diff}, diff)  # fmt: skip
    return get_entry(con, entry_id)


def delete_entry(
    con: Connection,
    entry_id: int,
    *,
    expected_version: int,
    by: str,
    scope: Collection[str] | None = None,
    now: float | None = None,
) -> Entry:
    """Mark an entry deleted (a new version; the row and its history stay).

    Raises
    ------
    ConflictError
        The entry moved since ``expected_version`` (or was deleted by someone else).
    WorkError
        Unknown entry.
    """
    _check_who(by)
    current = _current(con, entry_id, expected_version, scope)
    if current.deleted:
        return current
    at = time.time() if now is None else now
    _write(con, current, {"deleted": 1}, by, at)
    _log(con, entry_id, current.version + 1, at, by, "delete", {"deleted": 0}, {"deleted": 1})
    return get_entry(con, entry_id)


def get_entry(con: Connection, entry_id: int) -> Entry:
    """The entry as stored now (deleted ones too); WorkError when there is none."""
    row = con.execute(f"SELECT {', '.join(COLUMNS)} FROM entries WHERE id = ?", [entry_id])
    found = row.fetchone()
    if found is None:
        raise WorkError(f"条目 {entry_id} 不存在；请刷新列表后再操作")
    return _entry(found)


def list_entries(
    con: Connection,
    *,
    town_code: str | None = None,
    towns: Collection[str] | None = None,
    kind: str | None = None,
    status: str | None = None,
    spell_start: str | None = None,
    include_deleted: bool = False,
) -> list[Entry]:
    """Entries by town, spell start and kind (talks, items, projects, visits, support), then id.

    Parameters
    ----------
    con
        An open transaction.
    town_code
        One town.
    towns
        The person's scope: only these towns (None: all; empty: none).
    kind, status, spell_start
        Filters (None: any).
    include_deleted
        Also entries marked deleted.

    Returns
    -------
    list of Entry
    """
    where, params = _where(town_code=town_code, towns=towns, kind=kind, status=status,
                           spell_start=spell_start, include_deleted=include_deleted)  # fmt: skip
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM entries WHERE {where}"
        f" ORDER BY town_code, spell_start, {_KIND_ORDER}, id",
        params,
    ).fetchall()
    return [_entry(r) for r in rows]


def history(con: Connection, entry_id: int) -> list[Change]:
    """Every version of an entry, oldest first: who, when, create/update/delete, fields before/after."""
    rows = con.execute(
        "SELECT entry_id, version, changed_at, changed_by, action, old_values, new_values"
        " FROM entry_history WHERE entry_id = ? ORDER BY version",
        [entry_id],
    ).fetchall()
    return [Change(int(r[0]), int(r[1]), float(r[2]), r[3], r[4], json.loads(r[5]), json.loads(r[6]))
            for r in rows]  # fmt: skip


def spells(con: Connection, *, towns: Collection[str] | None = None) -> list[tuple[str, str]]:
    """(town_code, spell_start) pairs that have entries, by town then spell."""
    where, params = _where(towns=towns)
    rows = con.execute(
        f"SELECT DISTINCT town_code, spell_start FROM entries WHERE {where}"
        " ORDER BY town_code, spell_start",
        params,
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def summary(
    con: Connection,
    *,
    month: str,
    towns: Collection[str] | None = None,
    spell_of: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Per town, its items and projects at the end of ``month``: total, done, due, overdue.

    ``due`` counts those not done whose due month is ``month`` or earlier, ``overdue`` those not
    done whose due month is before ``month`` (so overdue ⊆ due); 延期 is not done. An entry
    without a due month is never due.

    Parameters
    ----------
    con
        An open transaction.
    month
        ``YYYY-MM``.
    towns
        Towns to report (each gets a row, zeros when it has no entries); None: every town with
        entries.
    spell_of
        Town -> the spell start to count (e.g. from the governance ledger); default: the town's
        latest spell started in ``month`` or before.

    Returns
    -------
    pandas.DataFrame
        ``town_code, spell_start, items, projects, total, done, due, overdue``, by town.
    """
    month = _month(month, "统计月份")
    where, params = _where(towns=towns)
    rows = con.execute(
        "SELECT town_code, spell_start, kind, status, due_month FROM entries"
        f" WHERE {where} AND kind IN ('item', 'project') AND spell_start <= ?",
        [*params, month],
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["town_code", "spell_start", "kind", "status", "due_month"])
    latest = frame.groupby("town_code")["spell_start"].max()
    chosen: dict[str, str] = {str(k): str(v) for k, v in latest.items()} | dict(spell_of or {})
    frame = frame[frame["spell_start"] == frame["town_code"].map(chosen)]
    codes = sorted(set(frame["town_code"])) if towns is None else sorted(set(towns))
    open_ = frame["status"] != DONE
    due_month = frame["due_month"]
    flags = pd.DataFrame(
        {
            "town_code": frame["town_code"],
            "items": frame["kind"] == "item",
            "projects": frame["kind"] == "project",
            "total": pd.Series(True, index=frame.index),
            "done": ~open_,
            "due": open_ & due_month.notna() & (due_month.fillna("9999-99") <= month),
            "overdue": open_ & due_month.notna() & (due_month.fillna("9999-99") < month),
        }
    )
    counted = flags.groupby("town_code").sum().reindex(codes, fill_value=0).astype("int64")
    out = counted.rename_axis("town_code").reset_index()
    out.insert(1, "spell_start", pd.Series([chosen.get(c) for c in codes], dtype=object))
    return out


def frame(entries: list[Entry]) -> pd.DataFrame:
    """Entries as a table with the field names as columns (for a page's editor)."""
    return pd.DataFrame([asdict(e) for e in entries], columns=list(COLUMNS))


def format_time(epoch: float) -> str:
    """Epoch seconds as Beijing time ``YYYY-MM-DD HH:MM`` (as the conflict message shows it)."""
    return datetime.fromtimestamp(epoch, _BEIJING).strftime("%Y-%m-%d %H:%M")


def check_problem(problem: str | None, taxonomy: Taxonomy | None = None) -> str | None:
    """``problem`` when it is None, empty (-> None) or a problem name of the taxonomy; else WorkError."""
    if problem is None or not str(problem).strip():
        return None
    tax = taxonomy or load_taxonomy()
    name = str(problem).strip()
    if name not in {p.name for p in tax.problems}:
        raise WorkError(
            f"问题分类 {name!r} 不在分类表中（{tax.source.name}，共 {len(tax.problems)} 个问题）；"
            "请从分类表中选择，或留空"
        )
    return name


# -- checks -------------------------------------------------------------------------------------


def _checked(
    record: Mapping[str, Any], taxonomy: Taxonomy | None, *, known_problem: str | None = None
) -> dict[str, Any]:
    """The record with texts stripped, empty optional fields None, and every field valid.

    ``known_problem`` (the stored one) is kept even if the taxonomy no longer lists it.
    """
    out: dict[str, Any] = {k: ("" if v is None else str(v).strip()) for k, v in record.items()}
    for name in _OPTIONAL:
        out[name] = out[name] or None
    if not out["town_code"]:
        raise WorkError("缺少街乡镇代码；每个条目属于一个街乡镇（例如 110101001）")
    out["spell_start"] = _month(out["spell_start"], "督办起始月")
    kind = out["kind"]
    if kind not in KINDS:
        raise WorkError(
            f"类别 {kind!r} 无效：应为 {'、'.join(KINDS)}（{'、'.join(KINDS.values())}）之一"
        )
    _check_texts(out)
    if out["status"] is not None and out["status"] not in STATUSES:
        raise WorkError(f"状态 {out['status']!r} 无效：应为 {'、'.join(STATUSES)} 之一")
    if kind in LISTED and out["status"] is None:
        raise WorkError(f"{KINDS[kind]}必须有状态：{'、'.join(STATUSES)} 之一")
    if out["due_month"] is not None:
        out["due_month"] = _month(out["due_month"], "计划完成月份")
    if out["held_on"] is not None:
        out["held_on"] = _day(out["held_on"])
    elif kind in DATED:
        raise WorkError(f"{KINDS[kind]}必须有日期（YYYY-MM-DD，例如 2026-12-04）")
    if out["problem"] is None or out["problem"] != known_problem:
        out["problem"] = check_problem(out["problem"], taxonomy)
    return out


def _check_texts(record: dict[str, Any]) -> None:
    if not record["title"]:
        raise WorkError(f"{KINDS[record['kind']]}缺少名称（标题）")
    if len(record["title"]) > _MAX_TITLE:
        raise WorkError(f"名称过长：{len(record['title'])} 个字符，最多 {_MAX_TITLE} 个")
    for name in ("owner_unit", "participants", "note", "evidence"):
        if len(record[name]) > _MAX_TEXT:
            raise WorkError(f"{name} 过长：{len(record[name])} 个字符，最多 {_MAX_TEXT} 个")


def _month(value: Any, label: str) -> str:
    text = "" if value is None else str(value).strip()
    if not _MONTH.fullmatch(text):
        raise WorkError(f"{label} {text!r} 不是 YYYY-MM 格式的月份（例如 2026-12）")
    return text


def _day(value: str) -> str:
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise WorkError(f"日期 {value!r} 无效：应为 YYYY-MM-DD（例如 2026-12-04）") from None


def _check_who(by: str) -> None:
    if not str(by).strip():
        raise WorkError("缺少修改人：每次修改都要记下是谁改的（账号名）")


def _check_fields(changes: Mapping[str, Any]) -> None:
    fixed = sorted(set(changes) & {"town_code", "spell_start", "kind"})
    if fixed:
        raise WorkError(
            f"不能修改 {', '.join(fixed)}：街乡镇、督办起始月和类别是条目的身份；请删除后重新添加"
        )
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise WorkError(f"未知字段 {', '.join(unknown)}；可修改的字段：{', '.join(EDITABLE)}")


def _check_scope(town_code: str, scope: Collection[str] | None) -> None:
    if scope is not None and town_code not in scope:
        raise ScopeError(
            f"街乡镇 {town_code} 不在您的权限范围内（可操作 {len(scope)} 个街乡镇）；"
            "请联系管理员调整账号范围"
        )


# -- reading and writing ------------------------------------------------------------------------


def _current(
    con: Connection, entry_id: int, expected_version: int, scope: Collection[str] | None
) -> Entry:
    """The entry, checked for scope and for being at ``expected_version``."""
    current = get_entry(con, entry_id)
    _check_scope(current.town_code, scope)
    if current.version != expected_version:
        raise _conflict(current)
    return current


def _write(con: Connection, current: Entry, diff: Mapping[str, Any], by: str, at: float) -> None:
    """Compare-and-set: write ``diff`` only if the entry is still at ``current.version``."""
    sets = ", ".join(f"{k} = ?" for k in diff)
    done = con.execute(
        f"UPDATE entries SET {sets}, version = version + 1, updated_by = ?, updated_at = ?"
        " WHERE id = ? AND version = ?",
        [*diff.values(), by, at, current.id, current.version],
    )
    if done.rowcount != 1:  # another writer got in between (PostgreSQL's READ COMMITTED)
        raise _conflict(get_entry(con, current.id))


def _conflict(current: Entry) -> ConflictError:
    verb = "删除" if current.deleted else "修改"
    error = ConflictError(
        f"该条目已被 {current.updated_by} 于 {format_time(current.updated_at)} {verb}"
        f"（版本 {current.version}），请刷新后再改"
    )
    error.entry_id, error.version = current.id, current.version
    error.changed_by, error.changed_at = current.updated_by, current.updated_at
    return error


def _log(
    con: Connection,
    entry_id: int,
    version: int,
    at: float,
    by: str,
    action: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> None:
    con.execute(
        "INSERT INTO entry_history"
        " (entry_id, version, changed_at, changed_by, action, old_values, new_values)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [entry_id, version, at, by, action, _json(old), _json(new)],
    )


def _json(values: Mapping[str, Any]) -> str:
    return json.dumps(dict(values), ensure_ascii=False, sort_keys=True)


def _entry(row: Any) -> Entry:
    values = dict(zip(COLUMNS, row, strict=True))
    values.update(
        id=int(values["id"]), version=int(values["version"]), deleted=bool(values["deleted"]),
        created_at=float(values["created_at"]), updated_at=float(values["updated_at"]),
    )  # fmt: skip
    return Entry(**values)


def _identity(entry: Entry) -> dict[str, Any]:
    return {"town_code": entry.town_code, "spell_start": entry.spell_start, "kind": entry.kind}


def _editable(entry: Entry) -> dict[str, Any]:
    return {k: getattr(entry, k) for k in EDITABLE}


_KIND_ORDER = "CASE kind " + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS)) + " END"


def _where(
    *,
    town_code: str | None = None,
    towns: Collection[str] | None = None,
    kind: str | None = None,
    status: str | None = None,
    spell_start: str | None = None,
    include_deleted: bool = False,
) -> tuple[str, list[Any]]:
    """The WHERE clause of a listing and its bind parameters."""
    clauses = ["1 = 1"] if include_deleted else ["deleted = 0"]
    params: list[Any] = []
    if towns is not None:
        codes = sorted(set(towns))
        clauses.append(f"town_code IN ({', '.join('?' for _ in codes)})" if codes else "1 = 0")
        params += codes
    for column, value in (("town_code", town_code), ("kind", kind), ("status", status),
                          ("spell_start", spell_start)):  # fmt: skip
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params
