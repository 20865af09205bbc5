"""Turn export-shaped rows into canonical records: coordinates to WGS84, towns assigned, cells set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from heatmap.errors import CoordinateSystemError
from heatmap.geo.assign import TownIndex
from heatmap.geo.cells import points_to_cells
from heatmap.geo.coords import CRS_NAMES, to_wgs84
from heatmap.geo.names import Gazetteer, Resolution, district_codes, in_district
from heatmap.intake.parse import by_value
from heatmap.intake.store import column_names

#: Columns an export-shaped frame brings (town_code, lon, lat, src_crs may be null per row).
RAW_COLUMNS = (
    "record_id", "received_at", "channel", "request_type", "theme", "problem", "text",
    "town_code", "address", "lon", "lat", "src_crs",
    "dispatched", "responded", "evaluated", "resolved", "satisfied",
)  # fmt: skip
#: Optional columns: the town and district as named in the export (any common form), kept in the
#: store so that an alias added later can attribute unmatched records without a re-import.
NAME_COLUMNS = ("town_raw", "district_raw", "category_path", "community")
#: Columns read for the town only, not stored: the handling units (一级 / 二级承办单位).
CLUE_COLUMNS = ("unit", "unit2")

#: Columns that make a record's content; a re-import with the same id and hash adds nothing.
CONTENT_COLUMNS = (
    "received_at", "channel", "request_type", "theme", "problem", "text", "town_code", "address",
    "lon", "lat", "src_crs", "dispatched", "responded", "evaluated", "resolved", "satisfied",
)  # fmt: skip


def canonicalize(
    raw: pd.DataFrame,
    *,
    towns: pd.DataFrame,
    index: TownIndex,
    source: str,
    h3_resolution: int,
    gazetteer: Gazetteer | None = None,
    outside: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return canonical records (the store's columns) for ``raw`` export-shaped rows.

    Town assignment runs in order and the method is kept per record (see :func:`assign_towns`):
    a known town code, the town name in any common form (or an administrator's alias), the town
    parsed from the address, the point after conversion to WGS84. Where a record's town and its
    point disagree, the point's town is kept in ``point_town_code`` (flagged, not silently
    resolved). ``outside`` marks rows whose point lies outside Beijing: kept, without a cell.
    """
    frame, lon, lat = _located(raw, towns, index, gazetteer, outside)
    return _finished(frame, lon, lat, source=source, h3_resolution=h3_resolution)


def canonical_blocks(
    raw: pd.DataFrame,
    *,
    towns: pd.DataFrame,
    index: TownIndex,
    source: str,
    h3_resolution: int,
    rows: int,
    gazetteer: Gazetteer | None = None,
    outside: np.ndarray | None = None,
) -> Iterator[pd.DataFrame]:
    """:func:`canonicalize` of ``raw`` in blocks of ``rows`` records (the same records, in order).

    The towns are assigned for all rows at once; cells and hashes are made block by block, as
    the blocks are asked for.
    """
    frame, lon, lat = _located(raw, towns, index, gazetteer, outside)
    for at in range(0, len(frame), rows):
        block = slice(at, at + rows)
        yield _finished(
            frame.iloc[block].reset_index(drop=True), lon[block], lat[block],
            source=source, h3_resolution=h3_resolution,
        )  # fmt: skip


def _located(
    raw: pd.DataFrame,
    towns: pd.DataFrame,
    index: TownIndex,
    gazetteer: Gazetteer | None,
    outside: np.ndarray | None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Export-shaped rows with WGS84 points, towns and names; the points for the cells (NaN
    outside Beijing)."""
    frame = raw.reindex(columns=[*RAW_COLUMNS, *NAME_COLUMNS, *CLUE_COLUMNS]).reset_index(drop=True)
    lon, lat = _to_wgs84(frame)
    frame["lon"], frame["lat"] = lon, lat
    at_point = _point_towns(lon, lat, index)
    code, method, note = assign_towns(frame, at_point, towns, gazetteer=gazetteer)
    frame["town_code"], frame["assign_method"], frame["assign_note"] = code, method, note
    frame["point_town_code"] = at_point.where(at_point.notna() & code.notna() & (at_point != code))
    frame = _attach_names(frame, towns)
    if outside is not None:
        lost = outside & frame["town_code"].isna().to_numpy()  # the point was its only clue
        frame.loc[lost, "assign_note"] = "坐标在北京市外 (point outside Beijing)"
        lon, lat = np.where(outside, np.nan, lon), np.where(outside, np.nan, lat)
    return frame, lon, lat


def _finished(
    frame: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, *, source: str, h3_resolution: int
) -> pd.DataFrame:
    """The store's columns: month, H3 cell, content hash and source added."""
    # the store keeps microseconds; the hash is of what is kept, whatever unit the rows came in
    frame["received_at"] = frame["received_at"].astype("datetime64[us]")
    month = frame["received_at"].to_numpy().astype("datetime64[M]")  # as to_period("M")
    frame["month"] = month.astype("datetime64[us]")  # … .to_timestamp() gives
    cells = points_to_cells(lon, lat, h3_resolution)
    frame["h3"] = pd.arrays.IntegerArray(cells, mask=cells == 0)  # UInt64, null without a point
    frame["content_hash"] = content_hash(frame)
    frame["source"] = source
    return frame[list(column_names())]


def content_hash(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each record's content (not of where or when it was loaded).

    The time is hashed in microseconds, as the store keeps it: the same record read from text
    or from an Excel serial number (other units) has the same hash.
    """
    content = frame[list(CONTENT_COLUMNS)]
    if content["received_at"].dtype != "datetime64[us]":
        content = content.assign(received_at=content["received_at"].astype("datetime64[us]"))
    return pd.util.hash_pandas_object(content, index=False).to_numpy(dtype="uint64")


def _to_wgs84(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lon = (
        pd.to_numeric(frame["lon"], errors="coerce")
        .to_numpy(dtype="float64", na_value=np.nan)
        .copy()
    )
    lat = (
        pd.to_numeric(frame["lat"], errors="coerce")
        .to_numpy(dtype="float64", na_value=np.nan)
        .copy()
    )
    crs, systems = pd.factorize(frame["src_crs"].fillna("wgs84"))
    check_systems(systems)
    for name in CRS_NAMES:
        rows = crs == (list(systems).index(name) if name in systems else -2)
        if name != "wgs84" and rows.any():
            lon[rows], lat[rows] = to_wgs84(lon[rows], lat[rows], name)
    return lon, lat


def check_systems(values: Any) -> None:
    """Raise :class:`CoordinateSystemError` naming the values that are no known coordinate system."""
    unknown = sorted(set(pd.unique(pd.Series(values, dtype="object").dropna())) - set(CRS_NAMES))
    if unknown:
        raise CoordinateSystemError(
            f"未知坐标系 {unknown}；应为 {' / '.join(CRS_NAMES)} (unknown coordinate system)"
        )


def _point_towns(lon: np.ndarray, lat: np.ndarray, index: TownIndex) -> pd.Series:
    out = np.full(len(lon), None, dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any():
        out[ok] = index.lookup(lon[ok], lat[ok])
    return pd.Series(out, dtype="object")


def assign_towns(
    frame: pd.DataFrame,
    at_point: pd.Series,
    towns: pd.DataFrame,
    *,
    gazetteer: Gazetteer | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Town code, method and note per row, never guessed. The clues, in this order:

    1. the town code column (``code``);
    2. the town column, a name in any common form or an administrator's alias (``name`` /
       ``alias``);
    3. the address (``address``);
    4. a town named in the request text (``text``: one town only, see
       :meth:`~heatmap.geo.names.Gazetteer.parse_text`);
    5. the handling unit, 二级 then 一级, when it is a town's office: 街道办事处, 镇政府, 乡政府 …
       (``unit``);
    6. the point (``point``).

    Placeholders (不详, 无, 未知, —, 空, N/A …) were made missing by the parser. The row's own
    district (``district_raw``) bounds every step: a town outside it is never chosen. A clue
    that fits several towns is decided by the district, else by the point's town, else the row
    stays unassigned with method ``ambiguous`` and a note naming the candidates; a later text or
    unit clue may then decide only among those candidates, and the point is not used. Methods:
    ``code``, ``name``, ``alias``, ``address``, ``text``, ``unit``, ``point``, ``ambiguous``,
    ``none``.
    """
    gaz = gazetteer or Gazetteer(towns)
    n = len(frame)
    code = np.full(n, None, dtype=object)  # numpy inside: masked writes to a Series are slow
    method = np.full(n, "none", dtype=object)
    note = np.full(n, None, dtype=object)
    open_ = np.ones(n, dtype=bool)  # no code yet
    quiet = np.ones(n, dtype=bool)  # no note yet
    at_point = at_point.reset_index(drop=True)
    district = frame["district_raw"].reset_index(drop=True).astype("object")
    stated = (
        district_codes(district)
        if district.notna().any()
        else pd.Series(np.nan, index=district.index, dtype="object")  # what it gives for none
    )
    given, known = _given_codes(frame["town_code"].reset_index(drop=True), towns, gaz)
    by_code = known & in_district(given, stated).to_numpy(dtype=bool)
    code[by_code], method[by_code] = given.to_numpy(dtype=object)[by_code], "code"
    open_[by_code] = False
    candidates = np.full(n, None, dtype=object)  # of a clue that fits several towns
    for column, parse, step in _clues(frame, gaz):
        values = frame[column].reset_index(drop=True)
        rows = np.flatnonzero(open_ & values.notna().to_numpy(dtype=bool))
        rows = rows[(values.iloc[rows].astype(str).str.strip() != "").to_numpy(dtype=bool)]
        if not len(rows):
            continue
        found = _resolve_distinct(
            values.iloc[rows], district.iloc[rows], at_point.iloc[rows], parse, gaz,
            address=column == "address", step=step,
        )  # fmt: skip
        if step in ("text", "unit"):  # a later clue decides an ambiguity only among its towns
            _keep_to_candidates(found, candidates[rows])
        hit = found["code"].notna().to_numpy()
        code[rows[hit]] = found["code"].to_numpy(dtype=object)[hit]
        method[rows[hit]] = found["method"].to_numpy(dtype=object)[hit]
        note[rows[hit]] = None
        open_[rows[hit]], quiet[rows[hit]] = False, True
        ambiguous = (found["status"] == "ambiguous").to_numpy() & ~hit
        ambiguous &= method[rows] != "ambiguous"
        method[rows[ambiguous]] = "ambiguous"
        note[rows[ambiguous]] = found["note"].to_numpy(dtype=object)[ambiguous]
        candidates[rows[ambiguous]] = found["candidates"].to_numpy(dtype=object)[ambiguous]
        quiet[rows[ambiguous]] = False  # (a note naming the candidates)
        outside = (found["status"] == "outside_district").to_numpy() & ~hit & quiet[rows]
        note[rows[outside]] = found["note"].to_numpy(dtype=object)[outside]
        quiet[rows[outside]] = False
    located = at_point.notna().to_numpy()
    todo = np.flatnonzero(open_ & located & (method != "ambiguous"))
    inside = in_district(at_point.iloc[todo], stated.iloc[todo]).to_numpy(dtype=bool)
    here, away = todo[inside], todo[~inside]
    code[here], method[here], note[here] = at_point.to_numpy(dtype=object)[here], "point", None
    open_[here], quiet[here] = False, True
    note[away] = "坐标所在街乡镇不在所属区内 (the point lies outside the stated district)"
    quiet[away] = False
    silent = open_ & quiet
    named = frame["town_raw"].reset_index(drop=True).notna().to_numpy(dtype=bool)
    addressed = frame["address"].reset_index(drop=True).notna().to_numpy(dtype=bool)
    note[silent & named] = "街乡镇名称无法识别，可在数据导入页添加别名 (unknown town name)"
    note[silent & ~named & addressed] = "地址中没有可识别的街乡镇 (no town in the address)"
    return (
        pd.Series(code, dtype="object"),
        pd.Series(method, dtype="object"),
        pd.Series(note, dtype="object"),
    )


def _given_codes(
    values: pd.Series, towns: pd.DataFrame, gaz: Gazetteer
) -> tuple[pd.Series, np.ndarray]:
    """The code column read as town codes (12-digit, full-width and former codes put right), and
    where that is a known town's code; each distinct value read once."""
    known = set(towns["town_code"])

    def read(given: pd.Series) -> tuple[pd.Series, pd.Series]:
        given = given.astype("object")
        odd = given.notna() & ~given.isin(known)
        if odd.any():  # 12-digit, full-width or former codes
            given[odd] = _codes(given[odd], gaz)
        return given, given.isin(known)

    given, is_known = by_value(values, read)
    return given, is_known.to_numpy(dtype=bool)


def _codes(values: pd.Series, gaz: Gazetteer) -> pd.Series:
    """The town code each code-column value stands for (None where it is not one town's code)."""
    distinct = {}
    for value in values.dropna().unique():
        res = gaz.resolve(value)
        distinct[value] = res.code if res.how == "code" else None
    return values.map(distinct).astype("object")


def _resolve_distinct(
    values: pd.Series,
    district: pd.Series,
    at_point: pd.Series,
    parse: Callable[..., Resolution],
    gaz: Gazetteer,
    *,
    address: bool,
    step: str | None = None,
) -> pd.DataFrame:
    """code, method, status, note and candidates per row, each distinct (value, district)
    resolved once (``step`` names the method of a text or unit clue).

    The point is consulted only for rows whose name is ambiguous, once per distinct point town.
    """
    text = values.astype(str).to_numpy()
    where = district.fillna("").astype(str).to_numpy()
    keys, uniques = _pairs(text, where)
    solved = [parse(v, district=d or None) for v, d in uniques]
    table = pd.DataFrame(
        [_row(r, v, d, gaz, address, step=step) for r, (v, d) in zip(solved, uniques, strict=True)]
    )
    out = table.iloc[keys].reset_index(drop=True)
    points = at_point.to_numpy(dtype=object)
    retry = np.flatnonzero((out["status"] == "ambiguous").to_numpy() & pd.notna(points))
    cache: dict[tuple[str, str, str], dict[str, Any]] = {}
    decided = []
    for i in retry:
        key = (text[i], where[i], str(points[i]))
        if key not in cache:
            res = parse(key[0], district=key[1] or None, point_town=key[2])
            cache[key] = _row(res, key[0], key[1], gaz, address, step=step)
        decided.append(cache[key])
    if decided:
        out.iloc[retry] = pd.DataFrame(decided, index=out.index[retry])[out.columns]
    return out


def _clues(
    frame: pd.DataFrame, gaz: Gazetteer
) -> list[tuple[str, Callable[..., Resolution], str | None]]:
    """(column, reader, step) of the name clues in their order (see :func:`assign_towns`)."""
    clues: list[tuple[str, Callable[..., Resolution], str | None]] = [
        ("town_raw", gaz.resolve, None),
        ("address", gaz.parse_address, None),
    ]
    if "text" in frame and frame["text"].notna().any():
        clues.append(("text", gaz.parse_text, "text"))
    for unit in ("unit2", "unit"):
        if unit in frame and frame[unit].notna().any():
            clues.append((unit, gaz.resolve_unit, "unit"))
    return clues


def _keep_to_candidates(found: pd.DataFrame, earlier: np.ndarray) -> None:
    """Where an earlier clue was ambiguous, a later clue's town counts only if it is one of the
    earlier candidates; otherwise the row stays ambiguous (``found`` changed in place)."""
    codes = found["code"].to_numpy(dtype=object)
    drop = np.array(
        [
            e is not None and isinstance(c, str) and c not in e
            for e, c in zip(earlier, codes, strict=True)
        ],
        dtype=bool,
    )
    if drop.any():
        found.loc[drop, "code"] = None
        found.loc[drop, "status"] = "unknown"


def _pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each row's position among the distinct (left, right) pairs, and those pairs."""
    left_codes, left_values = pd.factorize(left)
    right_codes, right_values = pd.factorize(right)
    width = max(len(right_values), 1)
    distinct, keys = np.unique(
        left_codes.astype(np.int64) * width + right_codes, return_inverse=True
    )
    pairs = zip(left_values[distinct // width], right_values[distinct % width], strict=True)
    return keys.reshape(-1), [(str(v), str(d)) for v, d in pairs]


def _row(
    res: Resolution,
    value: str,
    district: str,
    gaz: Gazetteer,
    address: bool,
    *,
    step: str | None = None,
) -> dict[str, Any]:
    method = step or ("alias" if "alias" in res.how else ("address" if address else "name"))
    note = None
    if res.status == "ambiguous":
        note = _ambiguous_note(res, gaz)
    elif res.status == "outside_district":
        note = f"{value} 不在所属区 {district} 内 (not in the stated district)"
    return {
        "code": res.code, "method": method, "status": res.status, "note": note,
        "candidates": res.candidates,
    }  # fmt: skip


def _ambiguous_note(res: Resolution, gaz: Gazetteer) -> str:
    names = "、".join(gaz.label(c) for c in res.candidates[:5])
    return f"名称对应多个街乡镇：{names}，未猜测 (ambiguous: several towns fit)"


def _attach_names(frame: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    ref = towns.set_index("town_code")
    frame["town_name"], frame["district_code"], frame["district_name"] = by_value(
        frame["town_code"],
        lambda c: tuple(c.map(ref[k]) for k in ("town_name", "district_code", "district_name")),
    )
    return frame
