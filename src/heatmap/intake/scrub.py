"""Personal data already in a store found, counted per kind, and masked in one transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from heatmap.intake import privacy
from heatmap.intake.parse import FREE_TEXT
from heatmap.intake.records import content_hash
from heatmap.intake.store import column_names

__all__ = ["ScanReport", "scan_store"]

#: (table, column) pairs read: the records' stored free-text columns and the quarantined rows.
PLACES: tuple[tuple[str, str], ...] = (
    *(("records", c) for c in FREE_TEXT if c in column_names()),
    ("quarantine", "raw"),
)


@dataclass
class ScanReport:
    """What a scan found (and, with ``applied``, masked): counts per kind, per table and column."""

    applied: bool = False
    found: Counter[str] = field(default_factory=Counter)
    cells: dict[str, int] = field(default_factory=dict)  # "table.column" -> cells with a find
    by_place: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "found": {k: int(self.found.get(k, 0)) for k in privacy.KINDS},
            "cells": self.cells,
            "by_place": self.by_place,
        }


def scan_store(con: duckdb.DuckDBPyConnection, *, apply: bool = False) -> ScanReport:
    """Count the personal data the masking rules find in a store; with ``apply``, mask them.

    Only the cells the privacy prefilter finds are read (the filter runs in DuckDB). With
    ``apply`` every change is written in one transaction, the records' content hashes
    recomputed (so a re-import of the same export, masked alike, adds nothing); on any error
    the store is left as it was. Masking twice changes nothing, so a second scan finds nothing.
    """
    report = ScanReport(applied=apply)
    changes: list[tuple[str, str, pd.DataFrame]] = []
    for table, column in PLACES:
        frame = _candidates(con, table, column)
        masked, counts = privacy.mask_column(frame[column])
        changed = masked.ne(frame[column]).fillna(False).to_numpy(dtype=bool)
        report.found.update(counts)
        report.cells[f"{table}.{column}"] = int(changed.sum())
        report.by_place[f"{table}.{column}"] = dict(counts)
        if changed.any():
            changes.append((table, column, frame[changed].assign(**{column: masked[changed]})))
    if apply and changes:
        _write(con, changes)
    return report


def _candidates(con: duckdb.DuckDBPyConnection, table: str, column: str) -> pd.DataFrame:
    """The rows of ``table`` whose ``column`` the prefilter finds, with their key (rowid)."""
    sql = f"SELECT rowid AS _row, {column} FROM {table} WHERE regexp_matches({column}, ?)"
    frame = con.execute(sql, [privacy.PREFILTER]).df()
    frame[column] = frame[column].astype("object")
    return frame


def _write(con: duckdb.DuckDBPyConnection, changes: list[tuple[str, str, pd.DataFrame]]) -> None:
    """Every masked cell written back, the changed records' hashes recomputed, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table, column, frame in changes:
            con.register("_masked", frame[["_row", column]])
            con.execute(
                f"UPDATE {table} SET {column} = m.{column} FROM _masked m WHERE {table}.rowid = m._row"
            )
            con.unregister("_masked")
        rows = sorted({int(r) for t, _, f in changes if t == "records" for r in f["_row"]})
        if rows:
            _rehash(con, rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _rehash(con: duckdb.DuckDBPyConnection, rows: list[int]) -> None:
    """The content hash of the given records recomputed from what they now hold."""
    con.register("_rows", pd.DataFrame({"_row": rows}))
    records = con.execute(
        "SELECT rowid AS _row, * FROM records WHERE rowid IN (SELECT _row FROM _rows)"
    ).df()
    con.unregister("_rows")
    fresh = pd.DataFrame({"_row": records["_row"], "hash": content_hash(records)})
    con.register("_hashes", fresh)
    con.execute(
        "UPDATE records SET content_hash = h.hash FROM _hashes h WHERE records.rowid = h._row"
    )
    con.unregister("_hashes")
