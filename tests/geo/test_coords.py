"""Tests for heatmap.geo.coords: WGS84 <-> GCJ-02 <-> BD-09."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatmap.errors import CoordinateSystemError
from heatmap.geo.coords import (
    CRS_NAMES,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

ALL_TRANSFORMS = [
    wgs84_to_gcj02,
    gcj02_to_wgs84,
    gcj02_to_bd09,
    bd09_to_gcj02,
    wgs84_to_bd09,
    bd09_to_wgs84,
]

# Published test vectors of googollee/eviltransform (python/test.py), as (lon, lat) pairs:
# WGS84 -> GCJ-02 for Shanghai, Shenzhen and Beijing.
EVILTRANSFORM_PAIRS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]

# Central Beijing (Tiananmen), the city's corners and a suburb, in WGS84.
BEIJING_POINTS = [
    (116.397128, 39.916527),
    (115.4, 39.4),
    (117.6, 41.1),
    (115.4, 41.1),
    (117.6, 39.4),
    (116.65, 40.13),
]

# Paris, New York, Tokyo (lon 139.69 > 137.8347), Sydney: outside China's box.
OUTSIDE_CHINA = ([2.3522, -74.006, 139.6917, 151.2093], [48.8566, 40.7128, 35.6895, -33.8688])


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres on a sphere of radius 6,371,008.8 m."""
    p = np.pi / 180.0
    h = (
        np.sin((lat2 - lat1) * p / 2) ** 2
        + np.cos(lat1 * p) * np.cos(lat2 * p) * np.sin((lon2 - lon1) * p / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


@pytest.fixture(scope="module")
def beijing_grid():
    """10,000 WGS84 points on a 100 x 100 grid over Beijing."""
    lon, lat = np.meshgrid(np.linspace(115.4, 117.6, 100), np.linspace(39.4, 41.1, 100))
    return lon.ravel(), lat.ravel()


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_PAIRS)
def test_wgs84_to_gcj02_matches_published_vectors(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-9)
    assert lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_PAIRS)
def test_gcj02_to_wgs84_inverts_published_vectors(wgs, gcj):
    lon, lat = gcj02_to_wgs84(*gcj)
    assert lon == pytest.approx(wgs[0], abs=1e-9)
    assert lat == pytest.approx(wgs[1], abs=1e-9)


def test_gcj02_to_bd09_matches_formula_worked_by_hand():
    # Baidu's published formula, evaluated with the math module for one point.
    x, y = 116.404, 39.915
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(x * x + y * y) + 0.00002 * math.sin(y * x_pi)
    theta = math.atan2(y, x) + 0.000003 * math.cos(x * x_pi)
    expected = (z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006)
    lon, lat = gcj02_to_bd09(x, y)
    assert (float(lon), float(lat)) == pytest.approx(expected, abs=1e-12)
    # the BD-09 shift in Beijing is about 0.0064 deg east and 0.0063 deg north
    assert float(lon) - x == pytest.approx(0.0064, abs=0.0002)
    assert float(lat) - y == pytest.approx(0.0063, abs=0.0002)


@pytest.mark.parametrize(("lon", "lat"), BEIJING_POINTS)
def test_gcj02_offset_in_beijing_is_300_to_700_m(lon, lat):
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert 300.0 < haversine_m(lon, lat, glon, glat) < 700.0
    # GCJ-02 shifts Beijing east and north
    assert glon > lon
    assert glat > lat


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        (wgs84_to_gcj02, gcj02_to_wgs84),
        (wgs84_to_bd09, bd09_to_wgs84),
        (gcj02_to_bd09, bd09_to_gcj02),
    ],
)
def test_round_trip_on_beijing_grid_is_below_1_m(beijing_grid, forward, inverse):
    lon, lat = beijing_grid
    back_lon, back_lat = inverse(*forward(lon, lat))
    assert haversine_m(lon, lat, back_lon, back_lat).max() < 1.0
    assert np.abs(back_lon - lon).max() < 1e-8
    assert np.abs(back_lat - lat).max() < 1e-8


@pytest.mark.parametrize(
    ("forward", "inverse"), [(wgs84_to_gcj02, gcj02_to_wgs84), (gcj02_to_bd09, bd09_to_gcj02)]
)
def test_inverse_solves_forward_to_1e9_degrees(beijing_grid, forward, inverse):
    lon, lat = beijing_grid  # read as coordinates in the target system
    again_lon, again_lat = forward(*inverse(lon, lat))
    assert np.abs(again_lon - lon).max() < 1e-9
    assert np.abs(again_lat - lat).max() < 1e-9


@pytest.mark.parametrize("transform", ALL_TRANSFORMS)
def test_points_outside_china_are_unchanged(transform):
    lon, lat = transform(*OUTSIDE_CHINA)
    np.testing.assert_array_equal(lon, OUTSIDE_CHINA[0])
    np.testing.assert_array_equal(lat, OUTSIDE_CHINA[1])


@pytest.mark.parametrize("transform", ALL_TRANSFORMS)
def test_nan_passes_through_and_leaves_neighbours_alone(transform):
    lon, lat = transform([np.nan, 116.4, 116.4], [39.9, np.nan, 39.9])
    assert np.isnan(lon[0]) and np.isnan(lat[1])
    expected_lon, expected_lat = transform(116.4, 39.9)
    assert lon[2] == expected_lon and lat[2] == expected_lat


@pytest.mark.parametrize("transform", ALL_TRANSFORMS)
def test_scalars_give_zero_d_float64_arrays(transform):
    lon, lat = transform(116, 40)  # ints are accepted
    assert isinstance(lon, np.ndarray) and lon.shape == () and lon.dtype == np.float64
    assert isinstance(lat, np.ndarray) and lat.shape == () and lat.dtype == np.float64


@pytest.mark.parametrize("transform", ALL_TRANSFORMS)
def test_arrays_keep_shape_and_match_elementwise_scalars(transform):
    lon = np.array([[116.3, 116.4], [116.5, 116.6]])
    lat = np.array([[39.8, 39.9], [40.0, 40.1]])
    out_lon, out_lat = transform(lon, lat)
    assert out_lon.shape == (2, 2) and out_lat.shape == (2, 2)
    for i, j in np.ndindex(2, 2):
        one_lon, one_lat = transform(lon[i, j], lat[i, j])
        assert out_lon[i, j] == one_lon
        assert out_lat[i, j] == one_lat


def test_lat_broadcasts_against_lon():
    lon, lat = wgs84_to_gcj02([116.3, 116.4, 116.5], 39.9)
    assert lon.shape == lat.shape == (3,)


@pytest.mark.parametrize(
    ("crs", "to", "back"),
    [("gcj02", gcj02_to_wgs84, wgs84_to_gcj02), ("bd09", bd09_to_wgs84, wgs84_to_bd09)],
)
def test_to_and_from_wgs84_dispatch_by_name(crs, to, back):
    lon, lat = np.array([116.3, 116.5]), np.array([39.9, 40.1])
    np.testing.assert_array_equal(to_wgs84(lon, lat, crs), to(lon, lat))
    np.testing.assert_array_equal(from_wgs84(lon, lat, crs), back(lon, lat))


@pytest.mark.parametrize("convert", [to_wgs84, from_wgs84])
def test_wgs84_is_identity_copy(convert):
    lon = np.array([116.3, 116.5], dtype=np.float32)
    out_lon, out_lat = convert(lon, [39.9, 40.1], "wgs84")
    assert out_lon.dtype == np.float64
    np.testing.assert_array_equal(out_lon, lon.astype(np.float64))
    np.testing.assert_array_equal(out_lat, [39.9, 40.1])
    out_lon[0] = 0.0
    assert lon[0] == np.float32(116.3)


def test_crs_names():
    assert CRS_NAMES == ("wgs84", "gcj02", "bd09")


@pytest.mark.parametrize("convert", [to_wgs84, from_wgs84])
@pytest.mark.parametrize("crs", ["xyz", "WGS84", "epsg:4326", ""])
def test_unknown_crs_raises_naming_value_and_choices(convert, crs):
    with pytest.raises(
        CoordinateSystemError, match=rf"未知坐标系 '{crs}'，应为 wgs84 / gcj02 / bd09"
    ):
        convert(116.4, 39.9, crs)


def test_unknown_crs_error_is_a_value_error():
    with pytest.raises(ValueError, match="expected one of wgs84 / gcj02 / bd09"):
        to_wgs84(116.4, 39.9, "mars")
