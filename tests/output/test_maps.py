"""Tests for heatmap.output.maps: deck rows built from rings made once, compact JSON, outlines."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
from pydeck.bindings.json_tools import default_serialize
from shapely.geometry import MultiPolygon, Polygon

from heatmap.output import maps

SQUARE = Polygon([(116.0, 40.0), (116.1, 40.0), (116.1, 40.1), (116.0, 40.1)])
HOLED = Polygon(
    [(116.2, 40.0), (116.5, 40.0), (116.5, 40.3), (116.2, 40.3)],
    [[(116.3, 40.1), (116.4, 40.1), (116.4, 40.2), (116.3, 40.2)]],
)
TWO_PARTS = MultiPolygon([SQUARE, Polygon([(117.0, 40.0), (117.123456789, 40.0), (117.0, 40.2)])])


def _towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code9": ["110101001", "110101002", "110101003"], "district_code": ["110101"] * 3},
        geometry=[SQUARE, HOLED, TWO_PARTS],
        crs="EPSG:4326",
    )


def _measures() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "town_code": ["110101001", "110101002", "110101003"],
            "town_name": ["甲街道", "<b>乙</b>街道", "丙镇"],
            "district_name": ["东城区"] * 3,
            "volume": [10, 200, 3000],
            "rank": [3, 2, 1],
            "mom": [0.1, None, -0.5],
        }
    )


def test_polygon_parts_gives_each_shape_its_polygons_and_rings_rounded() -> None:
    parts = maps.polygon_parts([SQUARE, HOLED, TWO_PARTS])
    assert parts[0] == [
        [[[116.0, 40.0], [116.1, 40.0], [116.1, 40.1], [116.0, 40.1], [116.0, 40.0]]]
    ]
    assert len(parts[1]) == 1 and len(parts[1][0]) == 2  # one polygon: exterior and one hole
    assert parts[1][0][1][0] == [116.3, 40.1]
    assert len(parts[2]) == 2  # a multipolygon: one entry per part
    assert parts[2][1][0][1] == [117.12346, 40.0]  # 5 decimals (~1 m)


def test_display_geometry_carries_the_rings_and_town_rows_reuse_them() -> None:
    towns = _towns()
    shown = maps.display_geometry(towns, tolerance=0.0)
    assert shown["rings"].tolist() == maps.polygon_parts(towns.geometry)
    with_rings, _ = maps.town_rows(shown, _measures(), metric="volume", lang="zh")
    without, legend = maps.town_rows(towns, _measures(), metric="volume", lang="zh")
    assert with_rings == without
    assert [r["town_code"] for r in without] == ["110101001", "110101002", "110101003", "110101003"]
    assert legend.items[-1][1] == "无数据"


def test_town_rows_mark_the_selected_town_and_escape_names() -> None:
    rows, _ = maps.town_rows(
        _towns(), _measures(), metric="volume", lang="zh", selected="110101002"
    )
    chosen = [r for r in rows if r["town_code"] == "110101002"]
    other = [r for r in rows if r["town_code"] == "110101001"]
    assert chosen[0]["width"] == 3 and chosen[0]["line"] == [30, 30, 30, 255]
    assert chosen[0]["fill"][3] == 235 and other[0]["fill"][3] == 200
    assert "&lt;b&gt;乙&lt;/b&gt;街道" in chosen[0]["tip"]
    assert "排名：2" in chosen[0]["tip"] and "3,000" in rows[-1]["tip"]


def test_density_rows_class_colour_and_tip() -> None:
    cells = pd.DataFrame(
        {"hex": ["a", "b", "c", "d", "e"], "volume": pd.Series([1, 2, 3, 4, 1500], dtype="int64")}
    )
    rows = maps.density_rows(cells, "zh")
    breaks = maps.class_breaks(cells["volume"])
    assert breaks == [1.8, 2.6, 3.4, 300.0, 1500.0]  # quantiles at 20 % steps, 2 digits
    assert [r["fill"][:3] for r in rows] == [list(c) for c in maps.DENSITY_COLORS]
    assert rows[-1]["tip"].endswith("1,500") and rows[0]["fill"][3] == 190
    assert maps.density_rows(cells.iloc[:0], "zh") == []


def test_compact_json_reads_as_pydeck_json_and_outlines_give_the_same_deck() -> None:
    districts = gpd.GeoDataFrame(
        {"district_code": ["110101"], "district_name": ["东城区"]},
        geometry=[SQUARE.union(HOLED).envelope],
        crs="EPSG:4326",
    )
    rows, _ = maps.town_rows(_towns(), _measures(), metric="volume", lang="zh")
    deck = maps.build_deck(rows, districts)
    text = deck.to_json()
    assert "\n" not in text and "东城区" in text  # compact, no ASCII escapes
    assert json.loads(text) == json.loads(
        json.dumps(deck, sort_keys=True, default=default_serialize)
    )
    assert maps.build_deck(rows, maps.Outlines.of(districts)).to_json() == text
