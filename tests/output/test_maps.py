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


def test_town_tips_are_plain_lines_and_the_deck_shows_them_as_text() -> None:
    rows, _ = maps.town_rows(_towns(), _measures(), metric="volume", lang="zh")
    second = [r for r in rows if r["town_code"] == "110101002"][0]
    assert second["tip"] == "<b>乙</b>街道\n所属区：东城区\n接诉量：200\n全市排名：2\n环比：—"
    assert rows[-1]["tip"].split("\n")[2:5] == ["接诉量：3,000", "全市排名：1", "环比：−50.0%"]
    deck = json.loads(maps.build_deck(rows, maps.Outlines({"type": "FeatureCollection", "features": []}, [])).to_json())
    assert "html" not in deck.get("tooltip", maps.TOOLTIP) and maps.TOOLTIP["text"] == "{tip}"


def test_the_selected_town_is_outlined_by_its_own_layer_and_rows_stay_the_same() -> None:
    rows, _ = maps.town_rows(_towns(), _measures(), metric="volume", lang="zh")
    outlines = maps.Outlines({"type": "FeatureCollection", "features": []}, [])
    plain = json.loads(maps.build_deck(rows, outlines).to_json())
    chosen = json.loads(maps.build_deck(rows, outlines, selected="110101003").to_json())
    layer = {lay["id"]: lay for lay in chosen["layers"]}
    assert "selected" not in {lay["id"] for lay in plain["layers"]}
    assert len(layer["selected"]["data"]) == 2  # the town's two polygon parts
    assert layer["selected"]["pickable"] is False
    assert layer["towns"]["data"] == [
        lay for lay in plain["layers"] if lay["id"] == "towns"
    ][0]["data"]  # a click keeps its selection: the rows it picked from did not change


def test_declutter_keeps_the_higher_priority_label_of_two_that_overlap() -> None:
    view = maps.pdk.ViewState(latitude=40.0, longitude=116.4, zoom=8.0)
    labels = [
        {"name": "1 甲街道", "position": [116.405, 40.0], "size": 12, "priority": 99},
        {"name": "西城区", "position": [116.40, 40.0], "size": 15, "priority": 1000},
        {"name": "2 乙镇", "position": [117.0, 40.5], "size": 12, "priority": 98},  # far away
    ]
    assert [lab["name"] for lab in maps.declutter(labels, view)] == ["西城区", "2 乙镇"]
    zoomed = maps.pdk.ViewState(latitude=40.0, longitude=116.4, zoom=14.0)
    assert len(maps.declutter(labels, zoomed)) == 3  # 0.005° is ~180 px apart at zoom 14


def test_density_rows_class_colour_and_tip() -> None:
    cells = pd.DataFrame(
        {"hex": ["a", "b", "c", "d", "e"], "volume": pd.Series([1, 2, 3, 4, 1500], dtype="int64")}
    )
    rows = maps.density_rows(cells, "zh")
    breaks = maps.class_breaks(cells["volume"])
    assert breaks == [1.8, 2.6, 3.4, 300.0, 1500.0]  # quantiles at 20 % steps, 2 digits
    assert [r["fill"][:3] for r in rows] == [list(c) for c in maps.DENSITY_COLORS]
    assert rows[-1]["tip"] == "六边形诉求量：1,500" and rows[0]["fill"][3] == 190
    legend = maps.density_legend(cells, "zh")
    assert legend is not None and legend.title == "六边形诉求量"
    assert [label for _, label in legend.items] == ["≤ 1.8", "1.8 – 2.6", "2.6 – 3.4", "3.4 – 300", "300 – 1,500"]
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
