"""H3 density cells: points to cells and cells to display polygons."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd


def points_to_cells(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell (uint64) of each WGS84 point; 0 where the point is missing.

    Parameters
    ----------
    lon, lat
        WGS84 degrees; NaN marks a record without coordinates.
    resolution
        H3 resolution (0–15).
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    out = np.zeros(len(lon), dtype="uint64")
    ok = np.isfinite(lon) & np.isfinite(lat)
    to_int = h3.str_to_int
    cell = h3.latlng_to_cell
    out[ok] = [to_int(cell(y, x, resolution)) for x, y in zip(lon[ok], lat[ok], strict=True)]
    return out


def coarsen(cells: pd.Series, resolution: int) -> pd.Series:
    """Parent cells at a coarser ``resolution`` (uint64 in, uint64 out)."""
    unique = pd.unique(cells.to_numpy())
    parents = {
        c: h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), resolution)) for c in unique
    }
    return cells.map(parents).astype("uint64")


def cell_hex(cells: pd.Series) -> pd.Series:
    """Hex string form of uint64 cells (what deck.gl's H3HexagonLayer reads)."""
    return cells.map(lambda c: h3.int_to_str(int(c)))
