"""Turn export-shaped rows into canonical records: coordinates to WGS84, towns assigned, cells set."""

from __future__ import annotations

import numpy as np
import pandas as pd

from heatmap.assign import TownIndex
from heatmap.cells import points_to_cells
from heatmap.coords import CRS_NAMES, to_wgs84
from heatmap.errors import CoordinateSystemError
from heatmap.store import column_names

#: Columns an export-shaped frame brings (town_code, lon, lat, src_crs may be null per row).
RAW_COLUMNS = (
    "record_id", "received_at", "channel", "request_type", "theme", "problem", "text",
    "town_code", "address", "lon", "lat", "src_crs",
    "dispatched", "responded", "evaluated", "resolved", "satisfied",
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

    Town assignment runs in order: a known town code (``code``), else the point after
    conversion to WGS84 (``point``), else ``none``. The method is kept per record.
    """
    frame = raw.loc[:, list(RAW_COLUMNS)].copy()
    lon, lat = _to_wgs84(frame)
    frame["lon"], frame["lat"] = lon, lat
    frame["town_code"], frame["assign_method"] = _assign(frame["town_code"], lon, lat, towns, index)
    frame = _attach_names(frame, towns)
    frame["month"] = frame["received_at"].dt.to_period("M").dt.to_timestamp()
    cells = points_to_cells(lon, lat, h3_resolution)
    frame["h3"] = pd.arrays.IntegerArray(cells, mask=cells == 0)  # UInt64, null without a point
    frame["source"] = source
    return frame[list(column_names())]


def _to_wgs84(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lon = frame["lon"].to_numpy(dtype="float64", na_value=np.nan).copy()
    lat = frame["lat"].to_numpy(dtype="float64", na_value=np.nan).copy()
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


def _assign(
    codes: pd.Series, lon: np.ndarray, lat: np.ndarray, towns: pd.DataFrame, index: TownIndex
) -> tuple[pd.Series, pd.Series]:
    known = codes.isin(set(towns["town_code"]))
    out = codes.where(known).astype("object")
    method = pd.Series(np.where(known, "code", "none"), index=codes.index, dtype="object")
    todo = ~known.to_numpy() & np.isfinite(lon) & np.isfinite(lat)
    if todo.any():
        found = index.lookup(lon[todo], lat[todo])
        hit = np.array([c is not None for c in found], dtype=bool)
        rows = codes.index[todo][hit]
        out.loc[rows] = found[hit]
        method.loc[rows] = "point"
    return out, method


def _attach_names(frame: pd.DataFrame, towns: pd.DataFrame) -> pd.DataFrame:
    ref = towns.set_index("town_code")
    frame["town_name"] = frame["town_code"].map(ref["town_name"])
    frame["district_code"] = frame["town_code"].map(ref["district_code"])
    frame["district_name"] = frame["town_code"].map(ref["district_name"])
    return frame
