"""Coordinate sanity per file: declared projections, swapped columns, points that cannot be Beijing.

:func:`check_coordinates` takes a file's raw longitude/latitude numbers and returns WGS84-or-as-
declared lon/lat with swapped pairs put right, and a :class:`CoordinateReport` of what it found.
A file whose located points mostly fall outside Beijing is refused with the likely cause
(another city, projected coordinates, wrong columns) unless the caller allows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from heatmap.errors import CoordinateSystemError

__all__ = ["BEIJING_BOUNDS", "CoordinateReport", "check_coordinates", "parse_epsg"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Beijing's extent in degrees, padded by about 10 km (GCJ-02/BD-09 offsets stay inside).
BEIJING_BOUNDS = (115.30, 39.30, 117.65, 41.15)
#: Located points outside Beijing above this share refuse the file (unless allowed).
OUTSIDE_REFUSE_SHARE = 0.5
#: Geographic systems equal to WGS84 at the scale of a town (CGCS2000 differs by centimetres).
_GEOGRAPHIC = {
    4326: "WGS84",
    4490: "CGCS2000 地理坐标，与 WGS84 相差厘米级，按 WGS84 处理 (CGCS2000 = WGS84 within centimetres)",
    4214: None,  # Beijing 1954 geographic: needs a datum shift, done by pyproj
}
_EXAMPLES = 5


@dataclass
class CoordinateReport:
    """What the check found in one file; ``as_dict`` is the import report's ``coordinates``."""

    located: int = 0
    inside_beijing: int = 0
    outside_beijing: int = 0
    swapped_fixed: int = 0
    zero_or_null: int = 0
    crs_declared: str | None = None
    crs_note: str | None = None
    outside_examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "located": self.located,
            "inside_beijing": self.inside_beijing,
            "outside_beijing": self.outside_beijing,
            "swapped_fixed": self.swapped_fixed,
            "zero_or_null": self.zero_or_null,
        }


def parse_epsg(text: str) -> int | None:
    """The EPSG number of ``EPSG:4527`` / ``epsg 4527`` / ``4527``; None for other names."""
    match = re.fullmatch(r"\s*(?:epsg\s*[:：]?\s*)?(\d{4,5})\s*", str(text), flags=re.IGNORECASE)
    return int(match.group(1)) if match else None


def check_coordinates(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    lines: npt.ArrayLike | None = None,
    epsg: int | None = None,
    allow_outside: bool = False,
    source: str = "",
) -> tuple[FloatArray, FloatArray, BoolArray, CoordinateReport]:
    """Sane lon/lat for one file, the rows outside Beijing, and the report.

    Parameters
    ----------
    lon, lat : array_like
        The file's two coordinate columns as numbers (NaN where empty or unreadable).
    lines : array_like, optional
        Each row's line in the file, for the examples of points outside Beijing.
    epsg : int, optional
        A declared coordinate system (``--crs EPSG:NNNN``): projected values are converted to
        WGS84 with pyproj; 4490 (CGCS2000) is taken as WGS84, with the reason in the report.
    allow_outside : bool, default False
        Import a file whose located points mostly fall outside Beijing instead of refusing it.

    Returns
    -------
    lon, lat : numpy.ndarray
        Degrees; NaN for rows without a usable point; swapped pairs put right.
    outside : numpy.ndarray of bool
        Rows whose point lies outside Beijing (kept, flagged, without a heat-map cell).
    report : CoordinateReport

    Raises
    ------
    CoordinateSystemError
        When most located points fall outside Beijing (and ``allow_outside`` is False), or
        when the values are projected metres and no system was declared.
    """
    x = np.asarray(lon, dtype=np.float64).copy()
    y = np.asarray(lat, dtype=np.float64).copy()
    report = CoordinateReport(crs_declared=f"EPSG:{epsg}" if epsg else None)
    empty = ~np.isfinite(x) | ~np.isfinite(y) | ((x == 0) & (y == 0))
    x[empty], y[empty] = np.nan, np.nan
    report.zero_or_null = int(empty.sum())
    if epsg is not None:
        x, y, report.crs_note = _from_declared(x, y, epsg)
    elif _looks_projected(x, y):
        raise CoordinateSystemError(_projected_message(x, y, source))
    swap = _in_beijing_box(y, x) & ~_in_beijing_box(x, y)
    x[swap], y[swap] = y[swap], x[swap]
    report.swapped_fixed = int(swap.sum())
    located = np.isfinite(x)
    inside = located & _in_beijing(x, y)
    outside = located & ~inside
    report.located, report.inside_beijing = int(located.sum()), int(inside.sum())
    report.outside_beijing = int(outside.sum())
    rows = np.asarray(lines) if lines is not None else np.arange(len(x)) + 2
    report.outside_examples = [
        {"line": int(rows[i]), "lon": round(float(x[i]), 6), "lat": round(float(y[i]), 6)}
        for i in np.flatnonzero(outside)[:_EXAMPLES]
    ]
    if (
        not allow_outside
        and report.located
        and report.outside_beijing > OUTSIDE_REFUSE_SHARE * report.located
    ):
        raise CoordinateSystemError(_outside_message(x[outside], y[outside], report, source))
    return x, y, outside, report


def _from_declared(x: FloatArray, y: FloatArray, epsg: int) -> tuple[FloatArray, FloatArray, str]:
    if epsg in _GEOGRAPHIC and _GEOGRAPHIC[epsg]:
        return x, y, str(_GEOGRAPHIC[epsg])
    try:
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError

        crs = CRS.from_epsg(epsg)
    except (ImportError, CRSError) as exc:
        raise CoordinateSystemError(
            f"无法识别坐标系 EPSG:{epsg}：{exc}。请给出有效的 EPSG 代码，如 EPSG:4527（CGCS2000 "
            "高斯-克吕格 3 度带 39 带）或 EPSG:3857（Web 墨卡托）(unknown EPSG code)"
        ) from exc
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)
    ok = np.isfinite(x)
    out_x, out_y = np.full_like(x, np.nan), np.full_like(y, np.nan)
    if ok.any():
        out_x[ok], out_y[ok] = transformer.transform(x[ok], y[ok])
    bad = ~np.isfinite(out_x) | ~np.isfinite(out_y)
    out_x[bad], out_y[bad] = np.nan, np.nan
    return out_x, out_y, f"EPSG:{epsg}（{crs.name}）已用 pyproj 转换为 WGS84 (converted with pyproj)"


def _looks_projected(x: FloatArray, y: FloatArray) -> bool:
    ok = np.isfinite(x)
    if not ok.any():
        return False
    big = (np.abs(x[ok]) > 360) | (np.abs(y[ok]) > 360)
    return bool(big.mean() > 0.5)


def _projected_message(x: FloatArray, y: FloatArray, source: str) -> str:
    mx, my = float(np.nanmedian(x)), float(np.nanmedian(y))
    guess = ""
    if 39_300_000 < mx < 39_700_000 or 39_300_000 < my < 39_700_000:
        guess = "；数值像 CGCS2000 高斯-克吕格 3 度带（带号 39），可试 --crs EPSG:4527"
    elif 300_000 < mx < 700_000 and 4_300_000 < my < 4_600_000:
        guess = (
            "；数值像不带带号的高斯-克吕格 3 度带（中央经线 117°E），可试 --crs EPSG:4548，"
            "或 UTM 50N（--crs EPSG:32650）"
        )
    elif 12_800_000 < mx < 13_200_000 and 4_700_000 < my < 5_100_000:
        guess = "；数值像 Web 墨卡托（米），可试 --crs EPSG:3857"
    return (
        f"{source} 的经纬度列是投影坐标（米），不是经纬度：中位数 x={mx:,.0f}, y={my:,.0f}{guess}。"
        "请用 --crs EPSG:NNNN 声明坐标系，或在数据导入页填写 EPSG 代码；未写入任何数据 "
        "(projected coordinates: declare the system with --crs EPSG:NNNN; nothing was written)"
    )


def _outside_message(x: FloatArray, y: FloatArray, report: CoordinateReport, source: str) -> str:
    share = report.outside_beijing / report.located
    cx, cy = float(np.median(x)), float(np.median(y))
    if 73 < cx < 136 and 3 < cy < 54:
        cause = f"这些点集中在东经 {cx:.2f}°、北纬 {cy:.2f}° 附近，可能是其他城市的数据"
    elif 3 < cx < 54 and 73 < cy < 136:
        cause = "经度、纬度两列可能对应错了（但交换后也不在北京）"
    elif report.crs_declared:
        cause = f"声明的坐标系 {report.crs_declared} 可能不对"
    else:
        cause = "坐标可能是投影坐标、列对应错误或另一个坐标系"
    return (
        f"{source} 中 {report.outside_beijing:,} / {report.located:,} 个有坐标的工单"
        f"（{share:.0%}）在北京市外：{cause}。例如第 {report.outside_examples[0]['line']} 行"
        f"（{report.outside_examples[0]['lon']}, {report.outside_examples[0]['lat']}）。"
        "文件被拒绝，未写入任何数据；确认无误时可加 --allow-outside（或在页面勾选“允许北京市外坐标”）"
        " (most points fall outside Beijing: file refused, nothing written)"
    )


def _in_beijing_box(x: FloatArray, y: FloatArray) -> BoolArray:
    x0, y0, x1, y1 = BEIJING_BOUNDS
    with np.errstate(invalid="ignore"):
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def _in_beijing(x: FloatArray, y: FloatArray) -> BoolArray:
    """Inside the city's outline (simplified to ~200 m, grown by ~1 km for datum offsets)."""
    box = _in_beijing_box(x, y)
    out = np.zeros(len(x), dtype=bool)
    if box.any():
        out[box] = _outline_index().lookup_index(x[box], y[box]) >= 0
    return out


@lru_cache(maxsize=1)
def _outline_index() -> Any:
    import shapely

    from heatmap.geo.assign import TownIndex
    from heatmap.geo.geography import load_districts

    outline = shapely.union_all(load_districts().geometry.to_numpy())
    grown = shapely.buffer(shapely.simplify(outline, 0.002), 0.01)  # ~200 m detail, ~1 km margin
    return TownIndex([grown], ["110000"], cell_deg=0.02)
