"""Tests of heatmap.geo.geography: the built demo layer in geo/, the builder on hand-drawn fixtures, loaders."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from heatmap.errors import BoundaryError
from heatmap.geo import geography
from heatmap.geo.assign import SAVED_INDEX, TownIndex
from heatmap.geo.geography import (
    INDEX_FILE,
    BoundarySet,
    build_demo_townships,
    load_boundary_set,
    load_community_points,
    load_districts,
    load_township_list,
    write_demo_townships,
)
from heatmap.paths import GEO_DIR

METRIC = "EPSG:32650"

# Seats the builder leaves outside their own town: each is a lone seat cell among another town's
# communities, smaller than the part holding the town's own communities (checked on /tmp/demo_towns.png).
SEATS_OUTSIDE = {"东升地区", "南法信地区", "城南街道", "回龙观街道", "北臧村镇", "渔阳地区"}


@pytest.fixture(scope="module")
def demo() -> BoundarySet:
    return load_boundary_set()


@pytest.fixture(scope="module")
def metric_towns(demo: BoundarySet) -> gpd.GeoDataFrame:
    return demo.frame.to_crs(METRIC)


@pytest.fixture(scope="module")
def metric_districts() -> gpd.GeoDataFrame:
    return load_districts().to_crs(METRIC).set_index("district_code")


# --------------------------------------------------------------------------- the built layer


def test_demo_layer_has_one_polygon_per_town_with_a_seat(demo: BoundarySet) -> None:
    frame = demo.frame
    assert list(frame.columns) == geography.LAYER_COLUMNS
    assert len(frame) == demo.meta["towns"] == 331
    assert frame.crs.to_epsg() == 4326
    assert (frame.geom_type == "Polygon").all()
    assert frame.is_valid.all()
    assert frame["code9"].is_unique
    assert frame["code9"].map(type).eq(str).all()
    assert set(frame["code9"]) <= set(load_township_list()["code9"])
    assert (frame["district_code"] == frame["code9"].str[:6]).all()


def test_demo_coordinates_are_rounded_to_1e6(demo: BoundarySet) -> None:
    coords = shapely.get_coordinates(demo.frame.geometry.values)
    assert abs(coords * 1e6 - (coords * 1e6).round()).max() < 1e-6


def test_towns_partition_each_district(
    metric_towns: gpd.GeoDataFrame, metric_districts: gpd.GeoDataFrame
) -> None:
    for code, towns in metric_towns.groupby("district_code"):
        district = metric_districts.geometry[code]
        union = shapely.union_all(towns.geometry.values)
        assert shapely.coverage_is_valid(towns.geometry.values), code
        assert towns.area.sum() == pytest.approx(union.area, rel=1e-9), code  # no overlap
        assert union.intersection(district).area / district.area > 0.999, code
        assert union.symmetric_difference(district).area / district.area < 0.001, code


def test_every_seat_lies_in_its_town_except_the_reported_lone_seats(demo: BoundarySet) -> None:
    frame = demo.frame
    seats = gpd.points_from_xy(frame["seat_lon"], frame["seat_lat"], crs=4326)
    outside = frame.loc[~shapely.covers(frame.geometry.values, seats), "code9"]
    assert sorted(outside) == demo.meta["build"]["seats_outside_own_town"]
    assert set(frame.set_index("code9").loc[outside, "name"]) == SEATS_OUTSIDE
    for code in outside:  # each such seat lies in a neighbouring town of its own district
        row = frame.set_index("code9").loc[code]
        seat = shapely.Point(row["seat_lon"], row["seat_lat"])
        hosts = frame[frame.covers(seat)]
        assert list(hosts["district_code"]) == [row["district_code"]]


def test_metadata_says_approximate_and_lists_missing_towns(demo: BoundarySet) -> None:
    meta = demo.meta
    assert demo.approximate and meta["approximate"] is True
    assert meta["crs"] == "EPSG:4326" and meta["population_field"] is None
    missing = meta["missing_from_2023_list"]
    assert len(missing) == 18
    assert "史各庄街道" in {m["name"] for m in missing}
    assert set(missing[0]) == {"code9", "name", "district_name", "kind"}
    all_codes = set(load_township_list()["code9"])
    assert {m["code9"] for m in missing} | set(demo.frame["code9"]) == all_codes
    assert demo.notice("zh") == "示意边界（非官方）"
    assert demo.notice("en") == "Approximate boundaries (not official)"


def test_rebuild_is_byte_identical_to_the_files_in_geo(tmp_path: Path) -> None:
    set_dir = write_demo_townships(GEO_DIR / "reference", tmp_path)
    assert set_dir == tmp_path / "demo_townships_2023"
    for rel in (
        "demo_townships_2023/townships.geojson",
        "demo_townships_2023/metadata.json",
        "demo_townships_2023/town_index.npz",
        "districts/districts.geojson",
        "districts/districts_display.geojson",
        "districts/metadata.json",
    ):
        assert (tmp_path / rel).read_bytes() == (GEO_DIR / rel).read_bytes(), rel


# --------------------------------------------------------------------------- districts and lists


def test_districts_and_their_display_copy() -> None:
    full = load_districts()
    display = load_districts(display=True)
    assert list(full["district_code"]) == list(display["district_code"])
    assert len(full) == 16 and full["district_code"].str.len().eq(6).all()
    assert display.is_valid.all()
    assert shapely.get_num_coordinates(display.geometry.values).sum() < 0.5 * (
        shapely.get_num_coordinates(full.geometry.values).sum()
    )
    ratio = display.to_crs(METRIC).area / full.to_crs(METRIC).area
    assert ratio.between(0.99, 1.01).all()
    meta = json.loads((GEO_DIR / "districts" / "metadata.json").read_text("utf-8"))
    assert meta["approximate"] is False and meta["crs"] == "EPSG:4326"


def test_township_list_and_community_points() -> None:
    towns = load_township_list()
    assert len(towns) == 349 and towns["code9"].is_unique
    assert towns["code9"].map(type).eq(str).all()
    assert towns.loc[towns["code9"] == "110101001", "name"].item() == "东华门街道"
    points = load_community_points()
    assert len(points) == 2331
    assert points["town_in_2023_list"].dtype == bool
    assert points["code12"].str.len().eq(12).all()
    assert points["lon"].between(115.4, 117.6).all() and points["lat"].between(39.4, 41.1).all()


# --------------------------------------------------------------------------- builder on fixtures

U = 0.01  # one fixture unit in degrees; the origin (116.98, 40.0) puts x = 2 on UTM 50N's central meridian


def _ll(x: float, y: float) -> tuple[float, float]:
    return round(116.98 + x * U, 6), round(40.0 + y * U, 6)


def _box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return box(*_ll(x0, y0), *_ll(x1, y1))


def _write_fixture(ref: Path) -> None:
    """Three districts drawn by hand (x, y in units of 0.01 degree).

    A 110101, box 0..4 x 0..2: seats a1 (1,1), a2 (3,1); community of a1 at (3.5,1), whose cell is
        a strip beyond a2 touching only a2 -> a fragment of a1 given to a2: two 2x2 halves.
    B 110102, box 4..8 x 0..2: seat b1 (6,1) with communities (5,0.5), (7,1.5); a community of an
        unlisted town at (7,0.5) is ignored; town b2 has no seat -> missing. b1 is all of B.
    C 110105, box 0..4 x 3..5, all points at y = 4: c1 community (0.5), c2 seat (2), c1 seat (3),
        c2 community (3.6). Strips split at 1.25, 2.5, 3.3. c1's seat strip is a lone seat smaller
        than its community strip, so c1 keeps 0..1.25 and c2 gets 1.25..4; c1's seat is outside.
    """
    ref.mkdir()
    districts = gpd.GeoDataFrame(
        {"adcode": ["110101", "110102", "110105"], "name": ["甲区", "乙区", "丙区"]},
        geometry=[_box(0, 0, 4, 2), _box(4, 0, 8, 2), _box(0, 3, 4, 5)],
        crs=4326,
    )
    districts.to_file(ref / "beijing_districts.geojson", driver="GeoJSON")
    towns = [
        ("110101001", "甲一街道", "110101", "甲区", "街道"),
        ("110101002", "甲二街道", "110101", "甲区", "街道"),
        ("110102001", "乙一镇", "110102", "乙区", "镇"),
        ("110102002", "乙二街道", "110102", "乙区", "街道"),
        ("110105001", "丙一乡", "110105", "丙区", "乡"),
        ("110105002", "丙二地区", "110105", "丙区", "地区"),
    ]
    pd.DataFrame(
        [(c, c + "000", n, d, dn, k) for c, n, d, dn, k in towns],
        columns=["code9", "code12", "name", "district_code", "district_name", "kind"],
    ).to_csv(ref / "beijing_townships_nbs2023.csv", index=False)
    seats = [("110101001", 1, 1), ("110101002", 3, 1), ("110102001", 6, 1)]
    seats += [("110105001", 3, 4), ("110105002", 2, 4)]
    names = {c: n for c, n, *_ in towns}
    pd.DataFrame(
        [(c, names[c], c[:6], "区", *_ll(x, y), "town_point") for c, x, y in seats],
        columns=["code9", "name", "district_code", "district_name", "lon", "lat", "seat_method"],
    ).to_csv(ref / "beijing_township_seats.csv", index=False)
    communities = [
        ("110101001", 3.5, 1, True),
        ("110102001", 5, 0.5, True),
        ("110102001", 7, 1.5, True),
        ("110102099", 7, 0.5, False),
        ("110105001", 0.5, 4, True),
        ("110105002", 3.6, 4, True),
    ]
    pd.DataFrame(
        [
            (f"{c}{i:03d}", f"社区{i}", c, *_ll(x, y), listed, True)
            for i, (c, x, y, listed) in enumerate(communities)
        ],
        columns=[
            "code12",
            "name",
            "town_code9_2016",
            "lon",
            "lat",
            "town_in_2023_list",
            "in_own_district",
        ],
    ).to_csv(ref / "beijing_community_points.csv", index=False)


@pytest.fixture
def fixture_ref(tmp_path: Path) -> Path:
    _write_fixture(tmp_path / "reference")
    return tmp_path / "reference"


@pytest.mark.parametrize(
    ("code9", "expected"),
    [
        ("110101001", _box(0, 0, 2, 2)),
        ("110101002", _box(2, 0, 4, 2)),
        ("110102001", _box(4, 0, 8, 2)),
        ("110105001", _box(0, 3, 1.25, 5)),
        ("110105002", _box(1.25, 3, 4, 5)),
    ],
)
def test_builder_partitions_the_hand_drawn_districts(
    fixture_ref: Path, code9: str, expected: Polygon
) -> None:
    layer = build_demo_townships(fixture_ref).set_index("code9")
    actual = layer.geometry[code9]
    assert actual.geom_type == "Polygon" and actual.is_valid
    # cells are cut in UTM metres, where the boxes' parallels are straight chords: off by ~0.1 m
    assert actual.symmetric_difference(expected).area / expected.area < 5e-4


def test_builder_reports_fragments_seats_and_missing_towns(
    fixture_ref: Path, tmp_path: Path
) -> None:
    layer = build_demo_townships(fixture_ref)
    assert list(layer["code9"]) == ["110101001", "110101002", "110102001", "110105001", "110105002"]
    assert layer.attrs["build"] == {
        "fragments_reassigned": 2,  # a1's community strip, c1's seat strip
        "fragments_unreachable": 0,
        "seats_outside": ["110105001"],
    }
    assert layer.loc[layer["code9"] == "110101001", "seat_lon"].item() == 116.99
    set_dir = write_demo_townships(fixture_ref, tmp_path / "geo")
    loaded = load_boundary_set(geo_dir=tmp_path / "geo")
    assert loaded.frame["code9"].tolist() == layer["code9"].tolist()
    assert [m["code9"] for m in loaded.meta["missing_from_2023_list"]] == ["110102002"]
    assert (set_dir / "townships.geojson").read_bytes().startswith(b'{"type":"FeatureCollection"')


# --------------------------------------------------------------------------- error paths and notices


def test_missing_boundary_set_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(BoundaryError, match=r"nope.*not found.*python -m heatmap geo build-demo"):
        load_boundary_set("nope", geo_dir=tmp_path)


def test_missing_districts_and_reference_files_raise(tmp_path: Path) -> None:
    with pytest.raises(BoundaryError, match=r"districts\.geojson not found"):
        load_districts(geo_dir=tmp_path)
    with pytest.raises(BoundaryError, match=r"beijing_townships_nbs2023\.csv not found"):
        load_township_list(geo_dir=tmp_path)
    with pytest.raises(BoundaryError, match=r"beijing_districts\.geojson not found"):
        build_demo_townships(tmp_path)


def test_boundary_set_without_code_field_is_rejected(tmp_path: Path) -> None:
    set_dir = tmp_path / "bad"
    set_dir.mkdir()
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(
        set_dir / "townships.geojson", driver="GeoJSON"
    )
    (set_dir / "metadata.json").write_text("{}", encoding="utf-8")
    with pytest.raises(BoundaryError, match=r"lacks field\(s\) \['code9', 'district_code'\]"):
        load_boundary_set("bad", geo_dir=tmp_path)


@pytest.mark.parametrize(
    ("approximate", "lang", "expected"),
    [(True, "zh", "示意"), (True, "en", "Approximate"), (False, "zh", None), (False, "en", None)],
)
def test_notice_only_for_approximate_sets(
    approximate: bool, lang: str, expected: str | None
) -> None:
    frame = gpd.GeoDataFrame({"code9": []}, geometry=[], crs=4326)
    meta = {"approximate": approximate, "notice_zh": "示意边界（非官方）"}
    notice = BoundarySet(name="x", frame=frame, meta=meta).notice(lang)
    if expected is None:
        assert notice is None
    else:
        assert notice is not None and expected in notice


def test_notice_rejects_unknown_language(demo: BoundarySet) -> None:
    with pytest.raises(ValueError, match="'zh' or 'en', got 'fr'"):
        demo.notice("fr")


def test_the_demo_set_loads_with_its_saved_index_every_cell_classified() -> None:
    """A fresh process's first lookup classifies nothing: the index was saved with the set."""
    frame = load_boundary_set().frame
    assert frame.attrs[SAVED_INDEX] == str(GEO_DIR / "demo_townships_2023" / INDEX_FILE)
    saved = TownIndex.load(
        frame.attrs[SAVED_INDEX], frame.geometry.to_numpy(), frame["code9"].to_numpy()
    )
    assert saved is not None, (
        "geo/demo_townships_2023/town_index.npz is stale: rebuild it with "
        "heatmap.geo.geography.write_town_index(Path('geo/demo_townships_2023'))"
    )
    index = TownIndex.from_frame(frame, code_field="code9")
    assert index._sub_ready.all()
    lon, lat = np.meshgrid(np.linspace(115.4, 117.6, 300), np.linspace(39.4, 41.1, 300))
    fresh = TownIndex(frame.geometry.to_numpy(), frame["code9"].to_numpy())
    assert index.lookup(lon, lat).tolist() == fresh.lookup(lon, lat).tolist()
