"""Import official 街乡镇 boundary files as versioned boundary sets (activation: ``activation``).

A file (GeoJSON, zipped Shapefile, GeoPackage, GeoParquet) is read, its coordinate system checked
(including GCJ-02 / BD-09 data declared as WGS84, by comparison with the reference districts), its
fields matched (code, name, district, population), invalid geometries repaired, and overlaps, gaps
and towns missing against the 2023 list reported. The set is written to ``geo/<name>/`` in the same
layout as the demo set; a lineage table links the units of the previous set to the new ones.
"""

from __future__ import annotations

import difflib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from heatmap.errors import BoundaryError
from heatmap.geo.coords import to_wgs84
from heatmap.geo.geography import (
    META_FILE,
    METRIC_CRS,
    SET_FILE,
    _write_geojson,
    _write_json,
    load_districts,
    load_former_towns,
    load_township_list,
    write_town_index,
)
from heatmap.geo.names import Gazetteer
from heatmap.intake.uploads import extract_zip_safely
from heatmap.paths import GEO_DIR

FIELD_GUESSES: dict[str, tuple[str, ...]] = {
    "code": (
        "code9",
        "code",
        "town_code",
        "adcode",
        "xzqdm",
        "代码",
        "编码",
        "街乡镇代码",
        "区划代码",
        "行政区划代码",
        "xzjddm",
        "jddm",
        "xzdm",
        "code12",
    ),
    "name": (
        "name",
        "town_name",
        "名称",
        "街乡镇",
        "街道",
        "xzqmc",
        "name_zh",
        "name:zh",
        "name_chn",
        "jdmc",
        "xzmc",
        "xzjdmc",
        "街道名称",
        "乡镇名称",
        "街乡镇名称",
        "乡镇街道",
    ),
    "district": (
        "district",
        "district_name",
        "区",
        "所属区",
        "qx",
        "qxmc",
        "county",
        "区县",
        "区县名称",
        "所属区县",
    ),
    "population": ("population", "pop", "人口", "常住人口", "户籍人口"),
}
OVERLAP_TOLERANCE_M2 = 1_000.0  # overlaps smaller than this (e.g. 30 × 30 m) are digitising noise
GAP_SHARE = 0.005  # a district less than 99.5 % covered by its towns is reported


@dataclass
class BoundaryReport:
    """What a boundary import found and did."""

    name: str
    towns: int = 0
    crs_declared: str | None = None
    crs_used: str = "wgs84"
    crs_evidence: dict[str, float] = field(default_factory=dict)
    projection_evidence: dict[str, dict[str, float]] = field(default_factory=dict)
    fields: dict[str, str | None] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)
    overlaps: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    unmatched_names: list[str] = field(default_factory=list)
    closest_names: dict[str, str] = field(default_factory=dict)  # unmatched name -> official
    missing_from_2023_list: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def import_boundaries(
    path: str | Path,
    *,
    name: str,
    valid_from: str,
    name_field: str | None = None,
    code_field: str | None = None,
    district_field: str | None = None,
    population_field: str | None = None,
    approximate: bool = False,
    source: str | None = None,
    geo_dir: Path = GEO_DIR,
) -> BoundaryReport:
    """Read ``path``, check and repair it, and write it as boundary set ``name`` valid from ``valid_from``."""
    _check_name(name, valid_from)
    raw = read_boundaries(path)
    report = BoundaryReport(name=name, crs_declared=str(raw.crs) if raw.crs else None)
    fields = _match_fields(raw, code_field, name_field, district_field, population_field)
    report.fields = fields
    frame = _to_wgs84_frame(raw, report)
    frame = _attributes(frame, fields, report)
    report.closest_names = _closest_names(report.unmatched_names)
    if frame.empty:
        raise BoundaryError(_nothing_matched(path, raw, report))
    frame = _repair(frame, report)
    report.overlaps, report.gaps = _overlaps_and_gaps(frame)
    listed = load_township_list()
    missing = listed[~listed["code9"].isin(frame["code9"])]
    report.missing_from_2023_list = [
        {str(k): str(v) for k, v in row.items()}
        for row in missing[["code9", "name", "district_name", "kind"]].to_dict("records")
    ]
    report.towns = len(frame)
    _write_set(
        frame,
        report,
        geo_dir / name,
        valid_from=valid_from,
        approximate=approximate,
        source=source or Path(path).name,
    )
    return report


def _closest_names(names: list[str]) -> dict[str, str]:
    """Each unmatched name and the closest official name of the 2023 list (when one is close)."""
    official = load_township_list()["name"].tolist()
    out = {}
    for name in dict.fromkeys(names):
        close = difflib.get_close_matches(str(name), official, n=1, cutoff=0.4)
        if close:
            out[str(name)] = close[0]
    return out


def _nothing_matched(path: str | Path, raw: gpd.GeoDataFrame, report: BoundaryReport) -> str:
    """The message for a file none of whose features names a town: the names seen, the closest."""
    seen = list(dict.fromkeys(report.unmatched_names))
    pairs = "；".join(
        f"{n} → {report.closest_names[n]}?" if n in report.closest_names else f"{n}（无相近名称）"
        for n in seen[:15]
    )
    more = f" 等 {len(seen)} 个" if len(seen) > 15 else ""
    return (
        f"{Path(path).name} 的 {len(raw)} 个要素没有一个能对应到街乡镇，未写入任何数据。"
        f"读到的名称{more}及最接近的正式名称：{pairs}。所用字段：{report.fields}；请用 --name-field / "
        "--code-field 指定正确的字段，或在名称不同处添加别名 (no feature matched a town: nothing written)"
    )


def _one_shapefile(members: list[Path], name: str) -> Path:
    shps = [m for m in members if m.suffix.lower() == ".shp"]
    if len(shps) != 1:
        found = "、".join(m.name for m in shps) or "无"
        raise BoundaryError(
            f"{name} 中应恰有一个 .shp 图层，找到：{found}；请每个 zip 只放一个图层"
        )
    return shps[0]


def _read_shapefile(source: Path) -> gpd.GeoDataFrame:
    frame = gpd.read_file(source)
    if _looks_misdecoded(frame):  # a Chinese DBF without .cpg, read as Latin-1
        frame = gpd.read_file(source, encoding="gbk")
    return frame


def read_boundaries(path: str | Path) -> gpd.GeoDataFrame:
    """A GeoDataFrame from GeoJSON, GeoPackage, GeoParquet or a zipped Shapefile."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = gpd.read_parquet(path)
        elif suffix == ".zip":  # unpacked with checks (traversal, bombs), never read in place
            with tempfile.TemporaryDirectory() as tmp:
                frame = _read_shapefile(_one_shapefile(extract_zip_safely(path, tmp), path.name))
        elif suffix == ".shp":
            frame = _read_shapefile(path)
        elif suffix in (".geojson", ".json", ".gpkg"):
            frame = gpd.read_file(path)
        else:
            raise BoundaryError(
                f"不支持的边界文件类型 {suffix!r}；支持 GeoJSON、GeoPackage、GeoParquet、zip 压缩的 Shapefile"
            )
    except (OSError, ValueError) as exc:
        raise BoundaryError(f"无法读取边界文件 {path.name}：{exc}") from exc
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        raise BoundaryError(f"{path.name} 中没有任何面要素 (no polygons)")
    return frame.reset_index(drop=True)


def _looks_misdecoded(frame: gpd.GeoDataFrame) -> bool:
    """Text columns with Latin-1 bytes and no Chinese: a GBK DBF decoded with the wrong code page."""
    texts = [
        str(v) for c in frame.columns
        if c != frame.geometry.name and pd.api.types.is_string_dtype(frame[c])
        for v in frame[c].dropna().head(50)
    ]  # fmt: skip
    joined = "".join(texts)
    return bool(re.search(r"[\x80-\xff]", joined)) and not re.search(r"[\u4e00-\u9fff]", joined)


def _check_name(name: str, valid_from: str) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise BoundaryError(f"边界集名称只能含字母、数字、_ 和 -，收到 {name!r}")
    if not re.fullmatch(r"\d{4}-\d{2}", valid_from):
        raise BoundaryError(f"--valid-from 应为 YYYY-MM，收到 {valid_from!r}")


def _match_fields(
    frame: gpd.GeoDataFrame,
    code: str | None,
    name: str | None,
    district: str | None,
    population: str | None,
) -> dict[str, str | None]:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    lowered = {c.lower(): c for c in columns}
    out: dict[str, str | None] = {}
    for key, given in (
        ("code", code),
        ("name", name),
        ("district", district),
        ("population", population),
    ):
        if given:
            if given not in columns:
                raise BoundaryError(f"字段 {given!r} 不存在；文件中的字段：{columns}")
            out[key] = given
        else:
            out[key] = next(
                (lowered[g.lower()] for g in FIELD_GUESSES[key] if g.lower() in lowered), None
            )
    if not out["code"] and not out["name"]:
        raise BoundaryError(
            f"找不到街乡镇代码或名称字段；文件中的字段：{columns}。请用 --code-field 或 --name-field 指定"
        )
    return out


def _to_wgs84_frame(frame: gpd.GeoDataFrame, report: BoundaryReport) -> gpd.GeoDataFrame:
    """EPSG:4326 coordinates; GCJ-02 or BD-09 data declared as WGS84 is detected and converted."""
    minx, miny, maxx, maxy = frame.total_bounds
    degrees = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    if frame.crs is not None and frame.crs.is_geographic and not degrees:
        frame = frame.set_crs(
            None, allow_override=True
        )  # GeoJSON says WGS84, the values are metres
    if frame.crs is None:
        frame = frame.set_crs(4326) if degrees else _guess_projection(frame, report)
    elif not frame.crs.equals("EPSG:4326") and not frame.crs.equals("OGC:CRS84"):
        frame = frame.to_crs(4326)
    districts = load_districts()
    candidates = {"wgs84": frame}
    for crs in ("gcj02", "bd09"):
        converted = frame.copy()
        converted["geometry"] = shapely.transform(
            frame.geometry.values,
            lambda xy, c=crs: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], c)),
        )
        candidates[crs] = converted
    evidence = {crs: _district_fit(f, districts) for crs, f in candidates.items()}
    best = max(evidence, key=lambda k: evidence[k])
    if (
        evidence[best] - evidence["wgs84"] < 0.002
    ):  # prefer the declared system unless clearly worse
        best = "wgs84"
    report.crs_used, report.crs_evidence = best, {k: round(v, 4) for k, v in evidence.items()}
    return candidates[best]


#: Projections a Beijing layer without a .prj is usually in: CGCS2000 Gauss–Krüger 3° zone 39 with
#: and without the zone prefix, its 6° zone 20, UTM 50N, Web Mercator, Beijing 1954 zone 39.
PROJECTION_GUESSES = (4527, 4548, 4545, 32650, 3857, 2435, 2436)
_GUESS_FIT = 0.8  # a guess must put at least this share of the layer inside Beijing's districts


def _guess_projection(frame: gpd.GeoDataFrame, report: BoundaryReport) -> gpd.GeoDataFrame:
    """A layer of projected metres without a .prj: the usual projection that fits the districts
    the layer lies in.

    Each guess is scored by the share of the layer's area inside the districts it falls in (a
    layer of a few towns of one district fits as well as a whole city), ties broken by the
    overlap (IoU) with those districts; the scores are kept in ``projection_evidence``.
    """
    districts = load_districts()
    scores: dict[int, tuple[float, float]] = {}
    for epsg in PROJECTION_GUESSES:
        try:
            candidate = frame.set_crs(epsg, allow_override=True).to_crs(4326)
        except (ValueError, RuntimeError):
            continue
        x0, y0, x1, y1 = candidate.total_bounds
        if not (115.0 < x0 < x1 < 118.0 and 39.0 < y0 < y1 < 41.5):
            continue
        scores[epsg] = (
            round(_inside_share(candidate, districts), 3),
            _district_fit(candidate, districts),
        )
    report.projection_evidence = {
        f"EPSG:{k}": {"inside": round(v[0], 4), "iou": round(v[1], 4)} for k, v in scores.items()
    }
    best = max(scores, key=lambda k: scores[k]) if scores else None
    if best is None or scores[best][0] < _GUESS_FIT:
        raise BoundaryError(
            "边界文件没有坐标系信息（缺 .prj），坐标是投影坐标（米），且不符合北京常用的投影"
            f"（已尝试 EPSG:{', '.join(map(str, PROJECTION_GUESSES))}）；请在 GIS 软件中设定坐标系或补上"
            " .prj 文件 (no CRS, and no usual projection fits Beijing)"
        )
    report.crs_declared = (
        f"EPSG:{best}（推断：文件无坐标系信息，该投影下 {scores[best][0]:.0%} 的面积落在所在区内）"
    )
    return frame.set_crs(best, allow_override=True).to_crs(4326)


def _inside_share(frame: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> float:
    """Share of the layer's area that lies inside the districts its polygons fall in."""
    towns = frame.to_crs(METRIC_CRS)
    ref = districts.to_crs(METRIC_CRS)
    layer = shapely.union_all(shapely.make_valid(towns.geometry.values))
    if layer.is_empty or layer.area == 0:
        return 0.0
    points = towns.geometry.representative_point()
    holding = [g for g in ref.geometry if points.within(g).any()]
    if not holding:
        return 0.0
    return float(shapely.intersection(layer, shapely.union_all(holding)).area / layer.area)


def _district_fit(frame: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> float:
    """Mean overlap share (IoU) of the layer with the district outlines it falls in, in metres."""
    towns = frame.to_crs(METRIC_CRS)
    ref = districts.to_crs(METRIC_CRS)
    points = towns.geometry.representative_point()
    scores = []
    for geom in ref.geometry:
        inside = towns[points.within(geom).to_numpy()]
        if inside.empty:
            continue
        union = shapely.union_all(shapely.make_valid(inside.geometry.values))
        inter = shapely.intersection(union, geom).area
        scores.append(inter / shapely.union(union, geom).area)
    return float(np.mean(scores)) if scores else 0.0


def _attributes(
    frame: gpd.GeoDataFrame, fields: dict[str, str | None], report: BoundaryReport
) -> gpd.GeoDataFrame:
    """The 2023 code of each feature: its code, else its name within its district field, else
    within the district that holds the polygon (a name shared by two districts, 八里庄街道)."""
    listed = load_township_list().rename(columns={"code9": "town_code", "name": "town_name"})
    gazetteer = Gazetteer(listed, former=load_former_towns())
    known = set(listed["town_code"])
    holding = _district_of_polygons(frame)
    codes = []
    for i, row in frame.iterrows():
        value = row[fields["code"]] if fields["code"] else None
        code = str(value).strip()[:9] if value is not None and pd.notna(value) else ""
        if code not in known:
            raw_name = str(row[fields["name"]]) if fields["name"] else ""
            district = str(row[fields["district"]]) if fields["district"] else None
            found = gazetteer.resolve(raw_name, district=district)
            if not found.ok and found.status in ("ambiguous", "unknown") and holding[i]:
                found = gazetteer.resolve(raw_name, district=holding[i])
            code = found.code or ""
            if not code:
                report.unmatched_names.append(raw_name or f"第 {i} 个要素")
        codes.append(code)
    frame = frame.assign(code9=codes)
    frame = frame[frame["code9"] != ""]
    if frame["code9"].duplicated().any():
        frame = frame.dissolve(by="code9", as_index=False, aggfunc="first")
    ref = listed.set_index("town_code")
    out = gpd.GeoDataFrame(
        {
            "code9": frame["code9"].to_numpy(),
            "name": frame["code9"].map(ref["town_name"]).to_numpy(),
            "district_code": frame["code9"].map(ref["district_code"]).to_numpy(),
            "district_name": frame["code9"].map(ref["district_name"]).to_numpy(),
            "kind": frame["code9"].map(ref["kind"]).to_numpy(),
            "population": pd.to_numeric(frame[fields["population"]], errors="coerce").to_numpy()
            if fields["population"]
            else np.nan,
        },
        geometry=frame.geometry.to_numpy(),
        crs=4326,
    )
    return out.sort_values("code9", ignore_index=True)


def _district_of_polygons(frame: gpd.GeoDataFrame) -> list[str | None]:
    """The district (code) holding each polygon's representative point, from the outlines."""
    districts = load_districts()
    points = frame.geometry.representative_point()
    joined = gpd.sjoin(
        gpd.GeoDataFrame(geometry=points, crs=frame.crs).to_crs(4326),
        districts[["district_code", "geometry"]],
        how="left",
        predicate="within",
    )
    first = joined[~joined.index.duplicated()]["district_code"]
    return [c if isinstance(c, str) else None for c in first.reindex(frame.index)]


def _repair(frame: gpd.GeoDataFrame, report: BoundaryReport) -> gpd.GeoDataFrame:
    invalid = ~frame.geometry.is_valid
    report.repaired = frame.loc[invalid, "name"].tolist()
    if invalid.any():
        fixed = shapely.make_valid(frame.geometry.values[invalid.to_numpy()])
        polygons = [
            shapely.union_all(
                [g for g in shapely.get_parts(f) if g.geom_type in ("Polygon", "MultiPolygon")]
            )
            for f in fixed
        ]
        frame.loc[invalid, "geometry"] = polygons
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 1e-6)
    return frame


def _overlaps_and_gaps(
    frame: gpd.GeoDataFrame,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    metric = frame.to_crs(METRIC_CRS)
    geoms = metric.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    overlaps = []
    for i, j in zip(left, right, strict=True):
        if i < j:
            area = shapely.intersection(geoms[i], geoms[j]).area
            if area > OVERLAP_TOLERANCE_M2:
                overlaps.append(
                    {"a": frame["name"].iloc[i], "b": frame["name"].iloc[j], "area_m2": round(area)}
                )
    gaps = []
    districts = load_districts().to_crs(METRIC_CRS).set_index("district_code")
    for code, part in metric.groupby("district_code"):
        if code not in districts.index:
            continue
        outline = districts.loc[code, "geometry"]
        covered = (
            shapely.intersection(shapely.union_all(part.geometry.values), outline).area
            / outline.area
        )
        if covered < 1 - GAP_SHARE:
            gaps.append(
                {
                    "district": districts.loc[code, "district_name"],
                    "uncovered_share": round(1 - covered, 4),
                }
            )
    return overlaps, gaps


def _write_set(
    frame: gpd.GeoDataFrame,
    report: BoundaryReport,
    out: Path,
    *,
    valid_from: str,
    approximate: bool,
    source: str,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write_geojson(frame, out / SET_FILE)
    has_population = bool(frame["population"].notna().any())
    meta = {
        "name": report.name,
        "title_zh": f"导入的街乡镇边界 {report.name}",
        "title_en": f"Imported township boundaries {report.name}",
        "source": source,
        "vintage": f"valid from {valid_from}",
        "valid_from": valid_from,
        "crs": "EPSG:4326",
        "crs_detected": report.crs_used,
        "approximate": approximate,
        "notice_zh": "示意边界（非官方）" if approximate else None,
        "notice_en": "Approximate boundaries (not official)" if approximate else None,
        "towns": len(frame),
        "missing_from_2023_list": report.missing_from_2023_list,
        "population_field": report.fields.get("population") if has_population else None,
        "import_report": {
            k: v for k, v in report.as_dict().items() if k != "missing_from_2023_list"
        },
    }
    _write_json(meta, out / META_FILE)
    write_town_index(out)


def lineage(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, min_share: float = 0.05
) -> pd.DataFrame:
    """Which new units each old unit's area went to (share of the old unit's area), for changed codes.

    Rows: old_code, new_code, share. Units whose code exists in both sets with the same code are
    linked to themselves with their overlap share, so a split shows as one old code → several new.
    """
    a = old.to_crs(METRIC_CRS)[["code9", "geometry"]]
    b = new.to_crs(METRIC_CRS)[["code9", "geometry"]]
    pieces = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
    if pieces.empty:  # the sets do not meet: no unit goes anywhere
        return pd.DataFrame({"old_code": [], "new_code": [], "share": []})
    pieces["area"] = pieces.geometry.area
    total = a.set_index("code9").geometry.area
    pieces["share"] = pieces["area"] / pieces["code9_1"].map(total)
    links = pieces[pieces["share"] >= min_share].rename(
        columns={"code9_1": "old_code", "code9_2": "new_code"}
    )
    links = links[["old_code", "new_code", "share"]].sort_values(
        ["old_code", "share"], ascending=[True, False]
    )
    return links[
        links.groupby("old_code")["new_code"].transform("size").gt(1)
        | (links["old_code"] != links["new_code"])
    ].reset_index(drop=True)


def list_sets(geo_dir: Path = GEO_DIR) -> list[dict[str, Any]]:
    """The boundary sets under ``geo_dir`` with their metadata summary."""
    out = []
    for meta_path in sorted(geo_dir.glob(f"*/{META_FILE}")):
        if not (meta_path.parent / SET_FILE).exists():
            continue
        meta = json.loads(meta_path.read_text("utf-8"))
        out.append(
            {k: meta.get(k) for k in ("name", "valid_from", "approximate", "towns", "source")}
        )
    return out
