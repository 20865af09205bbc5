"""Turn export-shaped rows into canonical records: coordinates to WGS84, towns assigned, cells set."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from heatmap.assign import TownIndex
from heatmap.cells import points_to_cells
from heatmap.coords import CRS_NAMES, to_wgs84
from heatmap.errors import CoordinateSystemError
from heatmap.names import Gazetteer, Resolution
from heatmap.store import column_names

#: Columns an export-shaped frame brings (town_code, lon, lat, src_crs may be null per row).
RAW_COLUMNS = (
    "record_id", "received_at", "channel", "request_type", "theme", "problem", "text",
    "town_code", "address", "lon", "lat", "src_crs",
    "dispatched", "responded", "evaluated", "resolved", "satisfied",
)  # fmt: skip
#: Optional columns: the town and district as named in the export (any common form), kept in the
#: store so that an alias added later can attribute unmatched records without a re-import.
NAME_COLUMNS = ("town_raw", "district_raw")

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
    frame = raw.reindex(columns=[*RAW_COLUMNS, *NAME_COLUMNS]).reset_index(drop=True)
    lon, lat = _to_wgs84(frame)
    frame["lon"], frame["lat"] = lon, lat
    at_point = _point_towns(lon, lat, index)
    code, method, note = assign_towns(frame, at_point, towns, gazetteer=gazetteer)
    frame["town_code"], frame["assign_method"], frame["assign_note"] = code, method, note
    frame["point_town_code"] = at_point.where(at_point.notna() & code.notna() & (at_point != code))
    frame = _attach_names(frame, towns)
    frame["month"] = frame["received_at"].dt.to_period("M").dt.to_timestamp()
    if outside is not None:
        frame.loc[outside, "assign_note"] = frame.loc[outside, "assign_note"].fillna(
            "坐标在北京市外 (point outside Beijing)"
        )
        lon, lat = np.where(outside, np.nan, lon), np.where(outside, np.nan, lat)
    cells = points_to_cells(lon, lat, h3_resolution)
    frame["h3"] = pd.arrays.IntegerArray(cells, mask=cells == 0)  # UInt64, null without a point
    frame["content_hash"] = content_hash(frame)
    frame["source"] = source
    return frame[list(column_names())]


def content_hash(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each record's content (not of where or when it was loaded)."""
    return pd.util.hash_pandas_object(frame[list(CONTENT_COLUMNS)], index=False).to_numpy(
        dtype="uint64"
    )


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
    crs = frame["src_crs"].fillna("wgs84").to_numpy()
    unknown = sorted(set(crs) - set(CRS_NAMES))
    if unknown:
        raise CoordinateSystemError(
            f"未知坐标系 {unknown}；应为 {' / '.join(CRS_NAMES)} (unknown coordinate system)"
        )
    for name in CRS_NAMES:
        rows = crs == name
        if name != "wgs84" and rows.any():
            lon[rows], lat[rows] = to_wgs84(lon[rows], lat[rows], name)
    return lon, lat


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
    """Town code, method and note per row: code → name → address → point, never guessed.

    The row's own district (``district_raw``) bounds every step: a town outside it is never
    chosen. A name that fits several towns is decided by the district, else by the point's
    town, else the row stays unassigned with method ``ambiguous`` and a note naming the
    candidates. Methods: ``code``, ``name``, ``alias``, ``address``, ``point``, ``ambiguous``,
    ``none``.
    """
    gaz = gazetteer or Gazetteer(towns)
    n = len(frame)
    code = pd.Series([None] * n, dtype="object")
    method = pd.Series(["none"] * n, dtype="object")
    note = pd.Series([None] * n, dtype="object")
    at_point = at_point.reset_index(drop=True)
    district = frame["district_raw"].reset_index(drop=True).astype("object")
    stated = _districts(district, gaz)
    known = set(towns["town_code"])
    given = frame["town_code"].reset_index(drop=True).astype("object")
    by_code = given.isin(known) & (stated.isna() | (given.str[:6] == stated))
    code[by_code], method[by_code] = given[by_code], "code"
    for column, parse in (("town_raw", gaz.resolve), ("address", gaz.parse_address)):
        todo = code.isna()
        values = frame[column].reset_index(drop=True)
        todo &= values.notna() & (values.astype(str).str.strip() != "")
        if not todo.any():
            continue
        found = _resolve_distinct(values[todo], district[todo], at_point[todo], parse)
        for i, res in found.items():
            if res.code is not None:
                code[i] = res.code
                method[i] = "alias" if res.how.startswith("alias") else (
                    "address" if column == "address" else "name"
                )
                note[i] = None
            elif res.status == "ambiguous" and method[i] != "ambiguous":
                method[i], note[i] = "ambiguous", _ambiguous_note(res, gaz)
            elif note[i] is None and res.status == "outside_district":
                note[i] = f"{values[i]} 不在所属区 {district[i]} 内 (not in the stated district)"
    todo = code.isna() & at_point.notna() & (method != "ambiguous")
    inside = todo & (stated.isna() | (at_point.str[:6] == stated))
    code[inside], method[inside], note[inside] = at_point[inside], "point", None
    away = todo & ~inside
    note[away] = "坐标所在街乡镇不在所属区内 (the point lies outside the stated district)"
    return code, method, note


def _districts(values: pd.Series, gaz: Gazetteer) -> pd.Series:
    """The district code of each row's district column (None when absent or unreadable)."""
    distinct = {v: gaz.district_code(v) for v in values.dropna().unique()}
    return values.map(lambda v: distinct.get(v) if isinstance(v, str) else None).astype("object")


def _resolve_distinct(
    values: pd.Series,
    district: pd.Series,
    at_point: pd.Series,
    parse: Callable[..., Resolution],
) -> dict[int, Resolution]:
    """Resolve each distinct (value, district) once; the point only where the name is ambiguous."""
    out: dict[int, Resolution] = {}
    cache: dict[tuple[str, str], Resolution] = {}
    with_point: dict[tuple[str, str, str], Resolution] = {}
    for i, value, where, point in zip(
        values.index, values.astype(str), district.fillna("").astype(str),
        at_point.astype("object"), strict=True,
    ):  # fmt: skip
        key = (value, where)
        if key not in cache:
            cache[key] = parse(value, district=where or None)
        res = cache[key]
        if res.status == "ambiguous" and isinstance(point, str):
            pkey = (value, where, point)
            if pkey not in with_point:
                with_point[pkey] = parse(value, district=where or None, point_town=point)
            res = with_point[pkey]
        out[int(i)] = res
    return out


def _ambiguous_note(res: Resolution, gaz: Gazetteer) -> str:
    names = "、".join(gaz.label(c) for c in res.candidates[:5])
    return f"名称对应多个街乡镇：{names}，未猜测 (ambiguous: several towns fit)"


def _attach_names(frame: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    ref = towns.set_index("town_code")
    frame["town_name"] = frame["town_code"].map(ref["town_name"])
    frame["district_code"] = frame["town_code"].map(ref["district_code"])
    frame["district_name"] = frame["town_code"].map(ref["district_name"])
    return frame
