"""H3 density cells: points to cells and cells to display polygons."""

from __future__ import annotations

from itertools import repeat

import h3
import h3.api.basic_int as h3_int
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
    # one H3 call per distinct point (records repeat addresses); lon + i*lat keeps both exactly
    where, points = pd.factorize(lon[ok] + 1j * lat[ok])
    cells = np.fromiter(
        map(h3_int.latlng_to_cell, points.imag.tolist(), points.real.tolist(), repeat(resolution)),
        dtype="uint64",
        count=len(points),
    )
    out[ok] = cells[where]
    return out


def coarsen(cells: pd.Series, resolution: int) -> pd.Series:
    """Parent cells at a coarser ``resolution`` (uint64 in, uint64 out)."""
    unique = pd.unique(cells.to_numpy())
    parents = {c: h3_int.cell_to_parent(int(c), resolution) for c in unique}
    return cells.map(parents).astype("uint64")


def parent_sql(column: str, resolution: int) -> str:
    """SQL (DuckDB, UBIGINT) for the parent cell of ``column`` at ``resolution``, done in the
    query: the parent is the cell with its resolution field (bits 52–55) set to ``resolution``
    and the digits of the finer resolutions (3 bits each, at the bottom) set to 7 (unused). A cell
    already at or above ``resolution`` is kept. Equal to :func:`coarsen` (tests/geo/test_cells.py).
    """
    if not 0 <= int(resolution) <= 15:
        raise ValueError(f"H3 resolution must be 0–15, got {resolution!r}")
    r = int(resolution)
    unused = (1 << (3 * (15 - r))) - 1
    parent = (
        f"(({column} & ~(15::UBIGINT << 52) & ~({unused}::UBIGINT)) "
        f"| ({r}::UBIGINT << 52) | {unused}::UBIGINT)"
    )
    return f"CASE WHEN (({column} >> 52) & 15) > {r} THEN {parent} ELSE {column} END"


def cell_hex(cells: pd.Series) -> pd.Series:
    """Hex string form of uint64 cells (what deck.gl's H3HexagonLayer reads)."""
    return cells.map(lambda c: h3.int_to_str(int(c)))
