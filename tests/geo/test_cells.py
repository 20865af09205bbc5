"""Tests for heatmap.geo.cells: points to H3 cells (one H3 call per distinct point) and coarsening."""

from __future__ import annotations

import duckdb
import h3
import numpy as np
import pandas as pd
import pytest

from heatmap.geo.cells import cell_hex, coarsen, parent_sql, points_to_cells

# Tiananmen (116.40 E, 39.91 N) at resolution 8, its parent at 7, and Sydney (151.21 E, 33.86 S).
TIANANMEN_R8 = "8831aa4281fffff"
TIANANMEN_R7 = "8731aa428ffffff"
SYDNEY_R8 = "88be0e35c1fffff"


def _reference(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """One h3 call per point, the way cells were computed before the per-distinct-point path."""
    out = np.zeros(len(lon), dtype="uint64")
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        if np.isfinite(x) and np.isfinite(y):
            out[i] = h3.str_to_int(h3.latlng_to_cell(y, x, resolution))
    return out


def test_hand_points_and_missing_coordinates():
    lon = np.array([116.40, np.nan, 151.21, 116.40, 116.40])
    lat = np.array([39.91, 39.91, -33.86, np.nan, 39.91])
    cells = points_to_cells(lon, lat, 8)
    assert cells.dtype == np.uint64
    assert [h3.int_to_str(int(c)) if c else None for c in cells] == [
        TIANANMEN_R8, None, SYDNEY_R8, None, TIANANMEN_R8,
    ]  # fmt: skip


@pytest.mark.parametrize("resolution", [0, 5, 8, 15])
def test_matches_one_call_per_point(resolution):
    rng = np.random.default_rng(3)
    pool_lon, pool_lat = rng.uniform(-180, 180, 500), rng.uniform(-90, 90, 500)
    pick = rng.integers(0, 500, 3000)  # repeated points, as records repeat addresses
    lon, lat = pool_lon[pick], pool_lat[pick]
    lon[::7] = np.nan
    lat[::11] = np.inf
    lon = np.concatenate([lon, [0.0, -0.0, 180.0, -180.0, 116.4]])
    lat = np.concatenate([lat, [0.0, 0.0, 90.0, -90.0, 39.91]])
    assert (points_to_cells(lon, lat, resolution) == _reference(lon, lat, resolution)).all()


def test_same_point_in_another_coordinate_order_is_not_merged():
    # (lon, lat) = (40, 116) is not (116, 40): the complex key keeps both parts
    cells = points_to_cells(np.array([116.0, 40.0]), np.array([40.0, 66.0]), 8)
    assert cells[0] != cells[1]


def test_empty_input():
    assert points_to_cells(np.array([]), np.array([]), 8).tolist() == []


def test_coarsen_and_hex():
    cells = pd.Series(np.array([h3.str_to_int(TIANANMEN_R8)] * 2, dtype="uint64"))
    parents = coarsen(cells, 7)
    assert parents.dtype == np.uint64
    assert cell_hex(parents).tolist() == [TIANANMEN_R7, TIANANMEN_R7]
    assert cell_hex(coarsen(cells, 8)).tolist() == [TIANANMEN_R8, TIANANMEN_R8]


def test_parent_sql_equals_h3_parent_at_every_coarser_resolution() -> None:
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(115.4, 117.5, 300), rng.uniform(39.4, 41.1, 300)
    con = duckdb.connect()
    for stored in (8, 9):
        cells = pd.Series(points_to_cells(lon, lat, stored), dtype="uint64")
        con.register("c", pd.DataFrame({"h3": cells}))
        for resolution in range(0, stored + 2):  # finer than stored: the cell is kept
            got = con.execute(f"SELECT {parent_sql('h3', resolution)} AS p FROM c").df()["p"]
            expected = coarsen(cells, resolution) if resolution <= stored else cells
            assert got.astype("uint64").tolist() == expected.tolist()
        hexes = con.execute("SELECT lower(hex(h3)) AS x FROM c").df()["x"].tolist()
        assert hexes == cell_hex(cells).tolist()
        con.unregister("c")


def test_parent_sql_refuses_a_resolution_outside_h3() -> None:
    with pytest.raises(ValueError, match="0–15"):
        parent_sql("h3", 16)
