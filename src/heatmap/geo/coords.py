"""Vectorized conversions between WGS84, GCJ-02 (国测局, 火星坐标) and BD-09 (百度) lon/lat."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from heatmap.errors import CoordinateSystemError

__all__ = [
    "CRS_NAMES",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

CRS_NAMES = ("wgs84", "gcj02", "bd09")

FloatArray = npt.NDArray[np.float64]
LonLat = tuple[FloatArray, FloatArray]
ArrayLike = npt.ArrayLike

# Krasovsky 1940 ellipsoid, as in the published GCJ-02 ("eviltransform") formulas.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
# Outside this lon/lat box every map uses WGS84: all three systems coincide there.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# Inverses are solved by fixed-point iteration to this residual (degrees; 1e-9 deg ~ 0.1 mm).
_TOL_DEG = 1e-9
_MAX_ITER = 10


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS84 lon/lat to GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitude and latitude in degrees; scalars or broadcastable arrays.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        GCJ-02 coordinates, same shape as the broadcast input. Points outside China's
        bounding box are returned unchanged; NaN stays NaN.
    """
    lon, lat = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert GCJ-02 lon/lat to WGS84, solving the forward transform to 1e-9 degrees.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees; scalars or broadcastable arrays.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS84 coordinates ``w`` with ``wgs84_to_gcj02(w) == input`` to 1e-9 degrees.
        Points outside China's bounding box are returned unchanged; NaN stays NaN.

    Notes
    -----
    Fixed-point iteration ``w <- g - offset(w)``, point by point until converged: the
    offset changes slowly with position, so each step gains about three digits and
    three or four steps reach 1e-12 degrees.
    """
    lon, lat = _as_arrays(lon, lat)
    inside = _in_china(lon, lat)
    wlon, wlat = _solve(_gcj_forward, lon, lat, start=(lon, lat), where=inside)
    return np.where(inside, wlon, lon), np.where(inside, wlat, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert GCJ-02 lon/lat to BD-09.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees; scalars or broadcastable arrays.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        BD-09 coordinates. Points outside China's bounding box are returned unchanged
        (as in eviltransform); NaN stays NaN.
    """
    lon, lat = _as_arrays(lon, lat)
    blon, blat = _bd_forward(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, blon, lon), np.where(inside, blat, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert BD-09 lon/lat to GCJ-02, solving the forward transform to 1e-9 degrees.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees; scalars or broadcastable arrays.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        GCJ-02 coordinates ``g`` with ``gcj02_to_bd09(g) == input`` to 1e-9 degrees.
        Points outside China's bounding box are returned unchanged; NaN stays NaN.

    Notes
    -----
    Starts from the usual closed-form approximation and refines with
    ``g <- g - (bd(g) - input)``.
    """
    lon, lat = _as_arrays(lon, lat)
    inside = _in_china(lon, lat)
    glon, glat = _solve(_bd_forward, lon, lat, start=_bd_approx_inverse(lon, lat), where=inside)
    return np.where(inside, glon, lon), np.where(inside, glat, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS84 lon/lat to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        BD-09 coordinates; unchanged outside China's bounding box, NaN stays NaN.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert BD-09 lon/lat to WGS84 (through GCJ-02), with iterated inverses.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS84 coordinates; unchanged outside China's bounding box, NaN stays NaN.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> LonLat:
    """Convert lon/lat given in ``crs`` to WGS84.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees.
    crs : {"wgs84", "gcj02", "bd09"}
        The coordinate system the input is in.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        WGS84 coordinates (a float64 copy of the input when ``crs == "wgs84"``).

    Raises
    ------
    CoordinateSystemError
        If ``crs`` is not one of `CRS_NAMES`.
    """
    return _TO_WGS84[_check_crs(crs)](lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> LonLat:
    """Convert WGS84 lon/lat to ``crs``.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitude and latitude in degrees.
    crs : {"wgs84", "gcj02", "bd09"}
        The coordinate system wanted.

    Returns
    -------
    lon, lat : numpy.ndarray of float64
        Coordinates in ``crs`` (a float64 copy of the input when ``crs == "wgs84"``).

    Raises
    ------
    CoordinateSystemError
        If ``crs`` is not one of `CRS_NAMES`.
    """
    return _FROM_WGS84[_check_crs(crs)](lon, lat)


def _identity(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    lon, lat = _as_arrays(lon, lat)
    return lon.copy(), lat.copy()


_TO_WGS84: dict[str, Callable[[ArrayLike, ArrayLike], LonLat]] = {
    "wgs84": _identity,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84: dict[str, Callable[[ArrayLike, ArrayLike], LonLat]] = {
    "wgs84": _identity,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def _check_crs(crs: str) -> str:
    if crs not in CRS_NAMES:
        names = " / ".join(CRS_NAMES)
        raise CoordinateSystemError(
            f"未知坐标系 {crs!r}，应为 {names}。"
            f" Unknown coordinate system {crs!r}: expected one of {names} (lower case);"
            f" pass crs= one of these names."
        )
    return crs


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y


def _in_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    """Return True inside the GCJ-02 bounding box; NaN compares False, so it is 'outside'."""
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _solve(
    forward: Callable[[FloatArray, FloatArray], LonLat],
    lon: FloatArray,
    lat: FloatArray,
    *,
    start: LonLat,
    where: npt.NDArray[np.bool_],
) -> LonLat:
    """Solve ``forward(x, y) == (lon, lat)`` for the points in ``where`` by fixed-point steps.

    Each point steps ``p <- p - (forward(p) - target)`` until its own residual is below
    ``_TOL_DEG`` (then takes that last step too), so a point's answer does not depend on
    the other points in the batch.
    """
    x, y = start[0].ravel().copy(), start[1].ravel().copy()
    tx, ty = lon.ravel(), lat.ravel()
    todo = np.flatnonzero(where.ravel())
    for _ in range(_MAX_ITER):
        if todo.size == 0:
            break
        fx, fy = forward(x[todo], y[todo])
        rx, ry = fx - tx[todo], fy - ty[todo]
        x[todo] -= rx
        y[todo] -= ry
        todo = todo[(np.abs(rx) >= _TOL_DEG) | (np.abs(ry) >= _TOL_DEG)]
    return x.reshape(lon.shape), y.reshape(lat.shape)


def _gcj_forward(lon: FloatArray, lat: FloatArray) -> LonLat:
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> LonLat:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS84 ``lon, lat``."""
    x = lon - 105.0
    y = lat - 35.0
    xpi = x * np.pi
    ypi = y * np.pi
    common = 20.0 * np.sin(6.0 * xpi) + 20.0 * np.sin(2.0 * xpi)
    tlat = common + 20.0 * np.sin(ypi) + 40.0 * np.sin(ypi / 3.0)
    tlat += 160.0 * np.sin(ypi / 12.0) + 320.0 * np.sin(ypi / 30.0)
    tlon = common + 20.0 * np.sin(xpi) + 40.0 * np.sin(xpi / 3.0)
    tlon += 150.0 * np.sin(xpi / 12.0) + 300.0 * np.sin(xpi / 30.0)
    sqrt_abs_x = np.sqrt(np.abs(x))
    tlat = tlat * (2.0 / 3.0) - 100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
    tlat += 0.2 * sqrt_abs_x
    tlon = tlon * (2.0 / 3.0) + 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
    tlon += 0.1 * sqrt_abs_x
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (tlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (tlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _bd_forward(lon: FloatArray, lat: FloatArray) -> LonLat:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_approx_inverse(lon: FloatArray, lat: FloatArray) -> LonLat:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)
