"""Aliases a data administrator adds (alias → town code, who, when), applied without a re-import.

An alias is kept in the store's ``aliases`` table and read by every later import (through
:func:`store_gazetteer`). :func:`add_alias` also attributes the store's records that had no
town and whose town column or address the alias now resolves, and rebuilds those months'
aggregates, in one transaction.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from heatmap.errors import HeatmapError
from heatmap.geo.geography import load_former_towns
from heatmap.geo.names import Gazetteer, clean
from heatmap.intake import store
from heatmap.intake.records import assign_towns

__all__ = ["add_alias", "list_aliases", "store_gazetteer", "unresolved_names"]


def store_gazetteer(con: duckdb.DuckDBPyConnection) -> Gazetteer:
    """The store's towns, the former units and the administrator's aliases."""
    towns = con.execute("SELECT town_code, town_name, district_code, kind FROM towns").df()
    return Gazetteer(towns, former=load_former_towns(), aliases=list_aliases(con))


def list_aliases(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every alias with its town, district scope, who added it and when (newest first)."""
    return con.execute(
        """SELECT a.alias, a.town_code, t.town_name, a.district_code, a.added_by, a.added_at
        FROM aliases a LEFT JOIN towns t USING (town_code) ORDER BY a.added_at DESC"""
    ).df()


def unresolved_names(con: duckdb.DuckDBPyConnection, *, limit: int = 200) -> pd.DataFrame:
    """Town names (or addresses) of records without a town, with how many and why."""
    return con.execute(
        """SELECT coalesce(town_raw, address) AS name, district_raw AS district,
               any_value(assign_note) AS reason, count(*) AS records
        FROM records WHERE town_code IS NULL AND coalesce(town_raw, address) IS NOT NULL
        GROUP BY 1, 2 ORDER BY records DESC, name LIMIT ?""",
        [limit],
    ).df()


def add_alias(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    town_code: str,
    *,
    added_by: str,
    district_code: str | None = None,
) -> dict[str, Any]:
    """Add ``alias`` → ``town_code`` and attribute the unmatched records it now resolves.

    Returns ``{"alias", "town_code", "records_attributed", "months"}``.

    Raises
    ------
    HeatmapError
        When the alias is empty, the town is not in the store, or the alias already names
        another town (in the same district scope).
    """
    key = clean(alias)
    _check(con, key, town_code, added_by, district_code)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO aliases VALUES (?, ?, ?, ?, ?)",
            [key, town_code, district_code, added_by.strip(), pd.Timestamp.now()],
        )
        attributed, months = _apply(con, store_gazetteer(con))
        if months:
            store.refresh_aggregates(con, months)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"alias": key, "town_code": town_code, "records_attributed": attributed,
            "months": months}  # fmt: skip


def _check(
    con: duckdb.DuckDBPyConnection, key: str, town_code: str, added_by: str, district: str | None
) -> None:
    if len(key) < 2:
        raise HeatmapError(f"别名 {key!r} 太短：至少两个字 (alias too short)")
    if not added_by.strip():
        raise HeatmapError("请填写添加人（姓名或工号）(who adds the alias)")
    known = con.execute("SELECT 1 FROM towns WHERE town_code = ?", [town_code]).fetchall()
    if not known:
        raise HeatmapError(
            f"街乡镇代码 {town_code!r} 不在当前边界集中；请从列表中选择 (unknown town code)"
        )
    other = con.execute(
        """SELECT town_code FROM aliases WHERE alias = ? AND town_code <> ?
        AND coalesce(district_code, '') = coalesce(?, '')""",
        [key, town_code, district],
    ).fetchall()
    if other:
        raise HeatmapError(
            f"别名 {key} 已指向街乡镇 {other[0][0]}；同一别名不能指向两个街乡镇 (alias taken)"
        )


def _apply(con: duckdb.DuckDBPyConnection, gazetteer: Gazetteer) -> tuple[int, list[str]]:
    """Resolve the store's records without a town again; write those that now resolve."""
    rows = con.execute(
        """SELECT record_id, strftime(month, '%Y-%m') AS month, town_raw, district_raw, address
               FROM records WHERE town_code IS NULL
               AND (town_raw IS NOT NULL OR address IS NOT NULL)"""
    ).df()
    code, method, _ = assign_towns(
        rows.assign(town_code=None),
        pd.Series([None] * len(rows), dtype=object),
        gazetteer.towns,
        gazetteer=gazetteer,
    )  # the import's own rules: name or alias, then address, within the stated district
    hit = code.notna().to_numpy()
    if not hit.any():
        return 0, []
    found = {"record_id": rows["record_id"][hit].astype(str).to_numpy(),
             "town_code": code[hit].to_numpy(), "assign_method": method[hit].to_numpy()}  # fmt: skip
    frame = pd.DataFrame(found)
    con.register("_aliased", frame)
    try:
        con.execute(
            """UPDATE records SET town_code = a.town_code, assign_method = a.assign_method,
            assign_note = NULL, town_name = t.town_name, district_code = t.district_code,
            district_name = t.district_name
            FROM _aliased a JOIN towns t USING (town_code) WHERE records.record_id = a.record_id"""
        )
    finally:
        con.unregister("_aliased")
    months = sorted(set(rows["month"][hit]))
    return len(frame), months
