"""Turn export-shaped rows into canonical records: coordinates to WGS84, towns assigned, cells set."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from heatmap.assign import TownIndex
from heatmap.cells import points_to_cells
from heatmap.coords import CRS_NAMES, to_wgs84
from heatmap.errors import CoordinateSystemError
from heatmap.names import normalize, resolve_town
from heatmap.store import column_names

#: Columns an export-shaped frame brings (town_code, lon, lat, src_crs may be null per row).
RAW_COLUMNS = (
    "record_id", "received_at", "channel", "request_type", "theme", "problem", "text",
    "town_code", "address", "lon", "lat", "src_crs",
    "dispatched", "responded", "evaluated", "resolved", "satisfied",
)  # fmt: skip
#: Optional columns: the town and district as named in the export (any common form).
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
) -> pd.DataFrame:
    """Return canonical records (the store's columns) for ``raw`` export-shaped rows.

    Town assignment runs in order and the method is kept per record: a known town code
    (``code``), else the town name in any common form (``name``), else the point after conversion
    to WGS84 (``point``), else district and town names found in the address (``address``), else
    ``none``. Where a record's code or name and its point disagree, the point's town is kept in
    ``point_town_code`` (flagged, not silently resolved).
    """
    frame = raw.reindex(columns=[*RAW_COLUMNS, *NAME_COLUMNS]).reset_index(drop=True)
    lon, lat = _to_wgs84(frame)
    frame["lon"], frame["lat"] = lon, lat
    at_point = _point_towns(lon, lat, index)
    code, method = assign_towns(frame, at_point, towns)
    frame["town_code"], frame["assign_method"] = code, method
    frame["point_town_code"] = at_point.where(at_point.notna() & code.notna() & (at_point != code))
    frame = _attach_names(frame, towns)
    frame["month"] = frame["received_at"].dt.to_period("M").dt.to_timestamp()
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
    frame: pd.DataFrame, at_point: pd.Series, towns: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Town code and method per row: code → name → point → address → none."""
    n = len(frame)
    code = pd.Series([None] * n, dtype="object")
    method = pd.Series(["none"] * n, dtype="object")
    known = set(towns["town_code"])
    given = frame["town_code"].reset_index(drop=True).astype("object")
    by_code = given.isin(known)
    code[by_code], method[by_code] = given[by_code], "code"
    todo = code.isna()
    names = _names_to_codes(frame, towns, todo)
    hit = todo & names.notna()
    code[hit], method[hit] = names[hit], "name"
    todo = code.isna() & at_point.notna()
    code[todo], method[todo] = at_point[todo], "point"
    todo = code.isna()
    if todo.any():
        found = _address_towns(frame["address"].reset_index(drop=True)[todo], towns)
        hit = found.reindex(code.index).notna()
        code[hit], method[hit] = found[hit[hit].index], "address"
    return code, method


def _names_to_codes(frame: pd.DataFrame, towns: pd.DataFrame, rows: pd.Series) -> pd.Series:
    """Resolve each distinct (district, town name) once."""
    out: list[str | None] = [None] * len(frame)
    town = frame["town_raw"].reset_index(drop=True)
    district = frame["district_raw"].reset_index(drop=True).astype("object").fillna("")
    wanted = rows & town.notna() & (town.astype(str).str.strip() != "")
    cache: dict[tuple[str, str], str | None] = {}
    for i in np.flatnonzero(wanted.to_numpy()):
        key = (str(district[i]).strip(), str(town[i]).strip())
        if key not in cache:
            cache[key] = resolve_town(key[0] + key[1], towns) or resolve_town(key[1], towns)
        out[int(i)] = cache[key]
    return pd.Series(out, dtype="object")


def _address_towns(addresses: pd.Series, towns: pd.DataFrame) -> pd.Series:
    """A town found by name in the address text (longest name first; unique within the district)."""
    core_names = pd.Series([normalize(n) for n in towns["town_name"]], index=towns["town_code"])
    unique = core_names[
        ~core_names.duplicated(keep=False)
    ]  # a core shared by two towns proves nothing
    cores = dict(zip(unique.to_numpy(), unique.index, strict=True))
    full = {str(n): c for c, n in zip(towns["town_code"], towns["town_name"], strict=True)}
    keys = sorted({*full, *[k for k in cores if len(k) >= 2]}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in keys))
    out = {}
    for i, text in addresses.items():
        if not isinstance(text, str):
            continue
        match = pattern.search(text)
        if match:
            out[i] = full.get(match.group(0)) or cores.get(match.group(0))
    return pd.Series(out, dtype="object")


def _attach_names(frame: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    ref = towns.set_index("town_code")
    frame["town_name"] = frame["town_code"].map(ref["town_name"])
    frame["district_code"] = frame["town_code"].map(ref["district_code"])
    frame["district_name"] = frame["town_code"].map(ref["district_name"])
    return frame
