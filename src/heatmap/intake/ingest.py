"""Import the 12345 platform's complaint exports (CSV / XLSX / Parquet) with nothing lost and nothing doubled.

A file is read as text (:mod:`heatmap.intake.reading`), its headers are matched to the canonical
fields (Chinese or English, or an explicit mapping), values are parsed in their real forms, personal
fields are dropped, rows that cannot be used go to the quarantine with their line and reason
(:mod:`heatmap.intake.parse`), towns are assigned (code → name → point → address), and everything
is written in one transaction: a failure leaves the store as it was.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from heatmap.errors import HeatmapError
from heatmap.geo.assign import TownIndex
from heatmap.geo.coords import CRS_NAMES, to_wgs84
from heatmap.geo.geography import load_former_towns
from heatmap.geo.locate import check_coordinates, parse_epsg
from heatmap.geo.names import Gazetteer
from heatmap.intake import store
from heatmap.intake.parse import (
    HEADERS,
    PERSONAL,
    ImportOptions,
    load_mapping,
    match_headers,
    parse_rows,
)
from heatmap.intake.reading import read_table
from heatmap.intake.records import canonicalize
from heatmap.taxonomy import Taxonomy, load_taxonomy

# ImportOptions and the header helpers are imported from here by the CLI and the pages
__all__ = [
    "HEADERS",
    "ImportOptions",
    "ImportReport",
    "ingest_files",
    "load_mapping",
    "match_headers",
    "parse_rows",
    "read_table",
]

_QUARANTINE = ("source", "line", "reason", "raw", "loaded_at")
_CRS_SAMPLE = 20_000  # named points compared per system to decide --crs auto


@dataclass
class ImportReport:
    """What an import did; ``as_dict`` is the JSON report."""

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    matched_by: Counter[str] = field(default_factory=Counter)
    unmatched: int = 0
    conflicts: int = 0
    crs: dict[str, str] = field(default_factory=dict)
    crs_evidence: dict[str, dict[str, float]] = field(default_factory=dict)
    coordinates_by_file: dict[str, dict[str, Any]] = field(default_factory=dict)
    outside_examples: list[dict[str, Any]] = field(default_factory=list)
    crs_notes: dict[str, str] = field(default_factory=dict)
    ambiguous: int = 0
    unmatched_notes: Counter[str] = field(default_factory=Counter)
    personal_fields_dropped: list[str] = field(default_factory=list)
    months: list[str] = field(default_factory=list)

    @property
    def coordinates(self) -> dict[str, int]:
        """located / inside_beijing / outside_beijing / swapped_fixed / zero_or_null, all files."""
        keys = ("located", "inside_beijing", "outside_beijing", "swapped_fixed", "zero_or_null")
        return {k: sum(int(f[k]) for f in self.coordinates_by_file.values()) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "matched_by": {
                k: int(self.matched_by.get(k, 0))
                for k in ("code", "name", "alias", "address", "point")
            },
            "unmatched": self.unmatched,
            "ambiguous": self.ambiguous,
            "unmatched_reasons": dict(self.unmatched_notes.most_common(20)),
            "coordinates": self.coordinates,
            "coordinates_by_file": self.coordinates_by_file,
            "outside_examples": self.outside_examples,
            "crs_notes": self.crs_notes,
            "conflicts": self.conflicts,
            "crs": self.crs,
            "crs_evidence": self.crs_evidence,
            "personal_fields_dropped": sorted(set(self.personal_fields_dropped)),
            "months": self.months,
        }


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str | os.PathLike[str]],
    *,
    towns: pd.DataFrame,
    index: TownIndex,
    options: ImportOptions | None = None,
    taxonomy: Taxonomy | None = None,
    h3_resolution: int = 8,
    progress: Callable[[float, str], None] | None = None,
    gazetteer: Gazetteer | None = None,
) -> ImportReport:
    """Import ``files`` into the store in one transaction and return the report.

    Raises :class:`HeatmapError` (store unchanged) when a file cannot be read or its layout is unknown.
    """
    options = options or ImportOptions()
    taxonomy = taxonomy or load_taxonomy()
    gazetteer = gazetteer or Gazetteer(towns, former=load_former_towns())
    epsg = _declared_epsg(options.crs)
    report = ImportReport()
    say = progress or (lambda _f, _m: None)
    prepared: list[pd.DataFrame] = []
    quarantine: list[pd.DataFrame] = []
    for i, path in enumerate(files):
        name = Path(path).name
        say(i / max(len(files), 1) * 0.6, f"读取 {name}")
        raw, lines, broken = read_table(path)
        report.files.append(name)
        report.rows_read += len(raw) + len(broken)
        quarantine.append(broken)
        fields = match_headers(list(raw.columns), options.mapping, source=name)
        report.personal_fields_dropped += [f for f in PERSONAL if f in fields.values()]
        good, bad = parse_rows(raw, lines, fields, options, taxonomy, source=name)
        lon, lat, outside, coords = check_coordinates(
            good["lon"], good["lat"], lines=good["line"], epsg=epsg,
            allow_outside=options.allow_outside, source=name,
        )  # fmt: skip
        good["lon"], good["lat"] = lon, lat
        report.coordinates_by_file[name] = coords.as_dict()
        report.outside_examples += [{"file": name, **e} for e in coords.outside_examples]
        if coords.crs_note:
            report.crs_notes[name] = coords.crs_note
        crs_option = "wgs84" if epsg is not None else options.crs
        good, crs, evidence = _decide_crs(good, crs_option, gazetteer, index, outside)
        report.crs[name], report.crs_evidence[name] = crs, evidence
        prepared.append(
            canonicalize(
                good, towns=towns, index=index, source=name, h3_resolution=h3_resolution,
                gazetteer=gazetteer, outside=outside,
            )
        )  # fmt: skip
        quarantine.append(bad)
    say(0.7, "写入数据库")
    records = pd.concat(prepared, ignore_index=True) if prepared else pd.DataFrame()
    bad_rows = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()
    _write(con, records, bad_rows, report)
    say(1.0, "完成")
    return report


def _declared_epsg(crs: str) -> int | None:
    """The EPSG number of ``--crs EPSG:NNNN``; None for auto / wgs84 / gcj02 / bd09."""
    if crs in ("auto", *CRS_NAMES):
        return None
    epsg = parse_epsg(crs)
    if epsg is None:
        raise HeatmapError(
            f"--crs 应为 auto / wgs84 / gcj02 / bd09 或 EPSG:NNNN（如 EPSG:4527、EPSG:3857），"
            f"收到 {crs!r} (unknown coordinate system)"
        )
    return epsg


def _decide_crs(
    rows: pd.DataFrame,
    requested: str,
    gazetteer: Gazetteer,
    index: TownIndex,
    outside: np.ndarray,
) -> tuple[pd.DataFrame, str, dict[str, float]]:
    """Fill the coordinate system: per-row column, else ``requested``, else (auto) the system that puts
    the most named points inside their named town (the evidence: agreement share per system)."""
    has_point = np.isfinite(rows["lon"].to_numpy("float64")) & ~outside
    unset = rows["src_crs"].isna() & has_point
    if requested != "auto":
        rows.loc[unset, "src_crs"] = requested
        return rows, requested, {}
    if not unset.any():
        given = sorted(rows["src_crs"].dropna().unique())
        return rows, "per-row" if len(given) > 1 else (given[0] if given else "none"), {}
    located = np.flatnonzero(has_point)[: _CRS_SAMPLE * 3]  # names are read for a sample only
    named = _named_towns(rows.iloc[located], gazetteer).to_numpy()
    keep = pd.notna(named)
    sample, named = located[keep][:_CRS_SAMPLE], named[keep][:_CRS_SAMPLE]
    evidence: dict[str, float] = {}
    if len(sample):
        lon = rows["lon"].to_numpy("float64")[sample]
        lat = rows["lat"].to_numpy("float64")[sample]
        for crs in CRS_NAMES:
            x, y = (lon, lat) if crs == "wgs84" else to_wgs84(lon, lat, crs)
            evidence[crs] = round(float(np.mean(index.lookup(x, y) == named)), 4)
    best = max(evidence, key=lambda k: evidence[k]) if evidence else "wgs84"  # ties: WGS84 first
    rows.loc[unset, "src_crs"] = best
    return rows, best, evidence


def _named_towns(rows: pd.DataFrame, gazetteer: Gazetteer) -> pd.Series:
    """The town each row names by code or name alone (None where absent or not one town)."""
    out = pd.Series([None] * len(rows), index=rows.index, dtype="object")
    keys = rows[["town_code", "town_raw", "district_raw"]].astype("object")
    cache: dict[tuple[Any, Any, Any], str | None] = {}
    for i, (code, town, district) in zip(rows.index, keys.itertuples(index=False), strict=True):
        key = (code, town, district)
        if key not in cache:
            where = district if isinstance(district, str) else None
            found = gazetteer.resolve(code, district=where) if isinstance(code, str) else None
            if (found is None or not found.ok) and isinstance(town, str):
                found = gazetteer.resolve(town, district=where)
            cache[key] = found.code if found is not None else None
        out[i] = cache[key]
    return out


def _write(
    con: duckdb.DuckDBPyConnection, records: pd.DataFrame, bad: pd.DataFrame, report: ImportReport
) -> None:
    """One transaction: new records inserted, changed ones replaced, quarantine kept, aggregates refreshed."""
    report.quarantined = len(bad)
    report.quarantine_reasons.update(bad["reason"].tolist() if len(bad) else [])
    if records.empty and bad.empty:
        return
    records = _last_of_each_id(con, records)
    con.execute("BEGIN TRANSACTION")
    try:
        existing = con.execute(
            """SELECT i.record_id, r.content_hash = i.content_hash AS same, strftime(r.month, '%Y-%m') AS month
            FROM _incoming_ids i JOIN records r USING (record_id)"""
        ).df()
        con.unregister("_incoming_ids")
        same = set(existing.loc[existing["same"], "record_id"])
        changed = existing.loc[~existing["same"]]
        fresh = records[~records["record_id"].isin(same)] if same else records
        if len(changed):
            con.register("_changed", changed[["record_id"]])
            con.execute("DELETE FROM records WHERE record_id IN (SELECT record_id FROM _changed)")
            con.unregister("_changed")
        store.append_records(con, fresh)
        if len(bad):  # a row quarantined by an earlier import of the same file is kept once
            con.register("_bad", bad.assign(loaded_at=pd.Timestamp.now())[list(_QUARANTINE)])
            con.execute(
                """INSERT INTO quarantine SELECT * FROM _bad b WHERE NOT EXISTS (
                SELECT 1 FROM quarantine q WHERE q.source = b.source AND q.line = b.line
                AND q.reason = b.reason AND q.raw = b.raw)"""
            )
            con.unregister("_bad")
        months = sorted(
            set(fresh["month"].drop_duplicates().dt.strftime("%Y-%m")) | set(changed["month"])
        )
        store.refresh_aggregates(con, months)
        report.updated = len(changed)
        report.imported = len(fresh) - len(changed)
        report.duplicates = report.rows_read - report.quarantined - report.imported - report.updated
        report.matched_by.update(_tally(fresh["assign_method"]))
        report.unmatched = int(fresh["assign_method"].isin(["none", "ambiguous"]).sum())
        report.ambiguous = int((fresh["assign_method"] == "ambiguous").sum())
        notes = fresh.loc[fresh["town_code"].isna(), "assign_note"]
        report.unmatched_notes.update(_tally(notes.fillna("无街乡镇、地址或坐标信息")))
        report.conflicts = int(fresh["point_town_code"].notna().sum())
        report.months = months
        con.execute(
            "INSERT INTO imports VALUES (?, ?, ?)",
            [
                pd.Timestamp.now(),
                json.dumps(report.files, ensure_ascii=False),
                json.dumps(report.as_dict(), ensure_ascii=False),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _tally(values: pd.Series) -> dict[Any, int]:
    """How often each value occurs, in the order values first occur (as ``Counter.update`` of
    the list would add them: ties in ``most_common`` keep that order)."""
    counts = values.value_counts(dropna=False)
    return {value: int(counts[value]) for value in pd.unique(values)}


def _last_of_each_id(con: duckdb.DuckDBPyConnection, records: pd.DataFrame) -> pd.DataFrame:
    """Within the files the last row of an id wins (identical repeats are duplicates); the ids and
    hashes left are registered as ``_incoming_ids`` (DuckDB counts the distinct ids, in parallel)."""

    def register(frame: pd.DataFrame) -> None:
        ids = pa.Table.from_pandas(frame[["record_id", "content_hash"]], preserve_index=False)
        con.register("_incoming_ids", ids)

    register(records)
    query = "SELECT count(DISTINCT record_id) FROM _incoming_ids"
    if con.execute(query).fetchall()[0][0] < len(records):
        records = records[~records["record_id"].duplicated(keep="last").to_numpy()]
        register(records)
    return records.reset_index(drop=True)
