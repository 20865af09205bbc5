"""Import the 12345 platform's complaint exports (CSV / XLSX / Parquet) with nothing lost and nothing doubled.

A file is read as text (:mod:`heatmap.intake.reading`), its headers are matched to the canonical
fields (Chinese or English, or an explicit mapping), values are parsed in their real forms, personal
fields are dropped and personal data in every free-text cell masked (:mod:`heatmap.intake.privacy`,
counted per kind in the report), rows that cannot be used go to the quarantine with their line and
reason (:mod:`heatmap.intake.parse`), towns are assigned (code → name → address → text → handling
unit → point, :func:`heatmap.intake.records.assign_towns`), and everything
is written in one transaction: a failure leaves the store as it was.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
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
    load_category_map,
    load_mapping,
    map_category,
    match_headers,
    parse_rows,
)
from heatmap.intake.privacy import KINDS as PRIVACY_KINDS
from heatmap.intake.reading import read_table
from heatmap.intake.records import canonical_blocks, check_systems
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
    personal_masked: Counter[str] = field(default_factory=Counter)
    unmapped_categories: Counter[str] = field(default_factory=Counter)
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
                for k in ("code", "name", "alias", "address", "text", "unit", "point")
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
            "personal_masked": {k: int(self.personal_masked.get(k, 0)) for k in PRIVACY_KINDS},
            "unmapped_categories": dict(self.unmapped_categories.most_common(50)),
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
    if options.category_map is None:  # read (and checked against the taxonomy) once
        options = replace(options, category_map=load_category_map(taxonomy=taxonomy))
    gazetteer = gazetteer or Gazetteer(towns, former=load_former_towns())
    epsg = _declared_epsg(options.crs)
    report = ImportReport()
    say = progress or (lambda _f, _m: None)
    ready: list[_Ready] = []
    quarantine: list[pd.DataFrame] = []
    for i, path in enumerate(files):
        name = Path(path).name
        say(i / max(len(files), 1) * 0.6, f"读取 {name}")
        raw, lines, broken = read_table(path)
        report.personal_masked.update(broken.attrs.get("personal_masked", {}))
        report.files.append(name)
        report.rows_read += len(raw) + len(broken)
        quarantine.append(broken)
        fields = match_headers(list(raw.columns), options.mapping, source=name)
        report.personal_fields_dropped += [f for f in PERSONAL if f in fields.values()]
        good, bad = parse_rows(
            raw, lines, fields, options, taxonomy, source=name, masked=report.personal_masked
        )
        del raw
        report.unmapped_categories.update(
            _unmapped(good["category_path"], taxonomy, options.category_map or {})
        )
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
        check_systems(good["src_crs"])  # before the transaction: an unknown system changes nothing
        ready.append(_Ready(name, good, outside))
        quarantine.append(bad)
    say(0.6, "写入数据库")
    bad_rows = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()

    def canonical(part: _Ready) -> Iterator[pd.DataFrame]:
        return canonical_blocks(
            part.rows, towns=towns, index=index, source=part.name, h3_resolution=h3_resolution,
            rows=store.BLOCK_ROWS, gazetteer=gazetteer, outside=part.outside,
        )  # fmt: skip

    _write(con, ready, bad_rows, report, canonical=canonical, say=say)
    say(1.0, "完成")
    return report


def _unmapped(paths: pd.Series, taxonomy: Taxonomy, mapping: dict[str, str]) -> dict[str, int]:
    """Category paths that name no problem (by the taxonomy or the mapping), with their counts."""
    counts = paths.dropna().value_counts()
    names = {p.name for p in taxonomy.problems}
    return {
        str(path): int(n)
        for path, n in counts.items()
        if map_category(path, names, mapping) is None
    }


@dataclass
class _Ready:
    """A file's usable rows, parsed and checked, before canonicalisation."""

    name: str
    rows: pd.DataFrame
    outside: np.ndarray


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
    con: duckdb.DuckDBPyConnection,
    ready: list[_Ready],
    bad: pd.DataFrame,
    report: ImportReport,
    *,
    canonical: Callable[[_Ready], Iterator[pd.DataFrame]],
    say: Callable[[float, str], None],
) -> None:
    """One transaction: new records inserted, changed ones replaced, quarantine kept, aggregates refreshed.

    The rows are canonicalised block by block, and DuckDB writes each block while the next is
    made (:func:`heatmap.intake.store.append_blocks`). Which rows are written is decided per
    block: the last row of each id within the files; for an id already in the store, only a
    changed record, whose stored version is deleted once the blocks are written.
    """
    report.quarantined = len(bad)
    report.quarantine_reasons.update(bad["reason"].tolist() if len(bad) else [])
    if not any(len(r.rows) for r in ready) and bad.empty:
        return
    ready = _last_of_each_id(con, ready)
    total = max(sum(len(r.rows) for r in ready), 1)
    con.execute("BEGIN TRANSACTION")
    try:
        writer = _Writer(_stored_ids(con))

        def written() -> Iterator[pd.DataFrame]:
            done = 0
            for part in ready:
                for block in canonical(part):
                    yield writer.keep(block)
                    done += len(block)
                    say(0.6 + 0.35 * done / total, "写入数据库")

        store.append_blocks(con, written())
        if writer.changed:  # the stored versions of the changed records
            con.register("_changed", writer.changed_rows())
            con.execute(
                """DELETE FROM records r USING _changed c
                WHERE r.record_id = c.record_id AND r.content_hash = c.content_hash"""
            )
            con.unregister("_changed")
        if len(bad):  # a row quarantined by an earlier import of the same file is kept once
            con.register("_bad", bad.assign(loaded_at=pd.Timestamp.now())[list(_QUARANTINE)])
            con.execute(
                """INSERT INTO quarantine SELECT * FROM _bad b WHERE NOT EXISTS (
                SELECT 1 FROM quarantine q WHERE q.source = b.source AND q.line = b.line
                AND q.reason = b.reason AND q.raw = b.raw)"""
            )
            con.unregister("_bad")
        months = sorted(writer.months)
        store.refresh_aggregates(con, months)
        writer.fill(report)
        report.duplicates = report.rows_read - report.quarantined - report.imported - report.updated
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


class _Writer:
    """Decides which canonical records of a block are written, and counts them for the report.

    ``stored``: the incoming ids already in the store (record_id, content_hash, month). It is
    read with pandas, not DuckDB: the connection is busy with the INSERT while blocks are made.
    """

    def __init__(self, stored: pd.DataFrame) -> None:
        self.stored = stored.drop_duplicates("record_id").reset_index(drop=True)
        self.ids = pd.Index(self.stored["record_id"])
        self.replaced: list[np.ndarray] = []
        self.fresh = self.changed = 0
        self.months: set[str] = set()
        self.matched_by: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.unmatched = self.ambiguous = self.conflicts = 0

    def keep(self, records: pd.DataFrame) -> pd.DataFrame:
        """The block's new and changed records (the unchanged ones left out), counted."""
        if len(self.stored):
            records = self._new_or_changed(records)
        self.fresh += len(records)
        self.months |= set(records["month"].drop_duplicates().dt.strftime("%Y-%m"))
        method = records["assign_method"]
        self.matched_by.update(_tally(method))
        self.unmatched += int(method.isin(["none", "ambiguous"]).sum())
        self.ambiguous += int((method == "ambiguous").sum())
        notes = records.loc[records["town_code"].isna(), "assign_note"]
        self.notes.update(_tally(notes.fillna("无街乡镇、地址或坐标信息")))
        self.conflicts += int(records["point_town_code"].notna().sum())
        return records

    def _new_or_changed(self, records: pd.DataFrame) -> pd.DataFrame:
        at = self.ids.get_indexer(records["record_id"])
        known = at >= 0
        stored_hash = self.stored["content_hash"].to_numpy()[at[known]]
        same = np.zeros(len(records), dtype=bool)
        same[known] = stored_hash == records["content_hash"].to_numpy()[known]
        changed = at[known][stored_hash != records["content_hash"].to_numpy()[known]]
        self.replaced.append(changed)
        self.changed += len(changed)
        self.months |= set(self.stored["month"].to_numpy()[changed])
        return records[~same] if same.any() else records

    def changed_rows(self) -> pd.DataFrame:
        """record_id and stored content_hash of the records replaced."""
        rows = np.concatenate(self.replaced) if self.replaced else np.zeros(0, dtype=np.intp)
        return self.stored.iloc[rows][["record_id", "content_hash"]].reset_index(drop=True)

    def fill(self, report: ImportReport) -> None:
        report.updated = self.changed
        report.imported = self.fresh - self.changed
        report.matched_by.update(self.matched_by)
        report.unmatched, report.ambiguous = self.unmatched, self.ambiguous
        report.unmatched_notes.update(self.notes)
        report.conflicts = self.conflicts


def _stored_ids(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The incoming ids (``_incoming_ids``) already in the store, with their hash and month."""
    try:
        return con.execute(
            """SELECT i.record_id, r.content_hash, strftime(r.month, '%Y-%m') AS month
            FROM _incoming_ids i JOIN records r USING (record_id)"""
        ).df()
    finally:
        con.unregister("_incoming_ids")


def _tally(values: pd.Series) -> dict[Any, int]:
    """How often each value occurs, in the order values first occur (as ``Counter.update`` of
    the list would add them: ties in ``most_common`` keep that order)."""
    counts = values.value_counts(dropna=False)
    return {value: int(counts[value]) for value in pd.unique(values)}


def _last_of_each_id(con: duckdb.DuckDBPyConnection, ready: list[_Ready]) -> list[_Ready]:
    """Within the files the last row of an id wins (identical repeats are duplicates); the ids
    left are registered as ``_incoming_ids`` (DuckDB counts the distinct ids, in parallel)."""
    ids = _ids(ready)
    con.register("_incoming_ids", pa.table({"record_id": ids}))
    query = "SELECT count(DISTINCT record_id) FROM _incoming_ids"
    if con.execute(query).fetchall()[0][0] == len(ids):
        return ready
    keep = ~pd.Series(ids.to_numpy(zero_copy_only=False)).duplicated(keep="last").to_numpy()
    out, at = [], 0
    for r in ready:
        mine = keep[at : at + len(r.rows)]
        out.append(_Ready(r.name, r.rows[mine].reset_index(drop=True), r.outside[mine]))
        at += len(r.rows)
    con.register("_incoming_ids", pa.table({"record_id": _ids(out)}))
    return out


def _ids(ready: list[_Ready]) -> pa.ChunkedArray:
    """The record ids of the files, one after the other."""
    chunks: list[pa.Array] = []
    for r in ready:
        ids = pa.array(r.rows["record_id"].array, pa.large_string(), from_pandas=True)
        chunks += ids.chunks if isinstance(ids, pa.ChunkedArray) else [ids]
    return pa.chunked_array(chunks, pa.large_string())
