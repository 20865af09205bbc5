"""Boundary import: CRS detection (GCJ-02 declared as WGS84), field matching, repair, report, activation."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import geopandas as gpd
import numpy as np
import pytest
import shapely

from heatmap import paths
from heatmap.analysis import queries
from heatmap.analysis.activation import activate
from heatmap.errors import BoundaryError
from heatmap.filters import Filters, View
from heatmap.geo.coords import from_wgs84
from heatmap.geo.geography import load_boundary_set
from heatmap.intake import store
from heatmap.intake.boundaries import import_boundaries, lineage, list_sets, read_boundaries
from heatmap.intake.loading import ingest_into

DATA = Path(__file__).parents[1] / "data"


def _official(crs: str = "gcj02") -> gpd.GeoDataFrame:
    """西城 and 东城 demo towns as an official-style layer: short names, Chinese fields, one bow-tie."""
    towns = load_boundary_set().frame
    towns = towns[towns["district_name"].isin(["西城区", "东城区"])].reset_index(drop=True)
    geoms = towns.geometry.values
    if crs != "wgs84":
        geoms = shapely.transform(
            geoms, lambda xy: np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], crs))
        )
    frame = gpd.GeoDataFrame(
        {
            "XZQMC": towns["name"].str.replace("街道", "", regex=False),
            "QX": towns["district_name"],
            "人口": np.arange(len(towns)) * 1000 + 50_000,
        },
        geometry=geoms,
        crs=4326,
    )
    minx, miny, maxx, maxy = shapely.bounds(frame.geometry.iloc[0])
    frame.loc[0, "geometry"] = shapely.Polygon(
        [(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)]
    )
    return frame


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "geo"


def test_gcj02_declared_as_wgs84_is_detected_and_converted(tmp_path: Path, out_dir: Path) -> None:
    path = tmp_path / "official.geojson"
    _official("gcj02").to_file(path, driver="GeoJSON")
    report = import_boundaries(path, name="official", valid_from="2021-01", geo_dir=out_dir)
    assert report.crs_used == "gcj02"
    assert report.crs_evidence["gcj02"] > report.crs_evidence["wgs84"] + 0.1
    assert report.fields == {"code": None, "name": "XZQMC", "district": "QX", "population": "人口"}
    assert report.towns == 32  # 西城 15 + 东城 17, matched by short name + district
    assert report.repaired == [
        load_boundary_set().frame.query("district_name == '东城区'")["name"].iloc[0]
    ]
    assert report.unmatched_names == []
    assert len(report.missing_from_2023_list) == 349 - 32
    written = load_boundary_set("official", geo_dir=out_dir)
    assert not written.approximate and written.notice("zh") is None
    assert written.frame.geometry.is_valid.all()
    assert written.meta["population_field"] == "人口"
    # converted back: each town's polygon sits on the demo town it came from
    demo = load_boundary_set().frame.set_index("code9")
    for code, geom in zip(
        written.frame["code9"].iloc[1:], written.frame.geometry.iloc[1:], strict=True
    ):
        iou = (
            shapely.intersection(geom, demo.loc[code, "geometry"]).area
            / shapely.union(geom, demo.loc[code, "geometry"]).area
        )
        assert iou > 0.99


def test_wgs84_stays_and_overlaps_are_reported(tmp_path: Path, out_dir: Path) -> None:
    path = tmp_path / "official.gpkg"
    _official("wgs84").to_file(path, driver="GPKG")
    report = import_boundaries(path, name="official", valid_from="2021-01", geo_dir=out_dir)
    assert report.crs_used == "wgs84"
    names = {o["a"] for o in report.overlaps} | {o["b"] for o in report.overlaps}
    assert report.repaired[0] in names  # the repaired bow-tie's box covers its neighbours


def test_zipped_shapefile_and_geoparquet(tmp_path: Path, out_dir: Path) -> None:
    frame = _official("wgs84").rename(columns={"人口": "POP"})
    shp = tmp_path / "shp"
    shp.mkdir()
    frame.to_file(shp / "towns.shp", driver="ESRI Shapefile", encoding="utf-8")
    archive = shutil.make_archive(str(tmp_path / "towns"), "zip", shp)
    assert len(read_boundaries(archive)) == 32
    parquet = tmp_path / "towns.parquet"
    frame.to_parquet(parquet)
    report = import_boundaries(
        parquet, name="pq", valid_from="2022-01", population_field="POP", geo_dir=out_dir
    )
    assert report.towns == 32 and report.fields["population"] == "POP"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "bad name", "valid_from": "2021-01"}, "边界集名称"),
        ({"name": "ok", "valid_from": "2021"}, "YYYY-MM"),
        ({"name": "ok", "valid_from": "2021-01", "name_field": "nope"}, "字段 'nope' 不存在"),
    ],
)
def test_bad_arguments(tmp_path: Path, out_dir: Path, kwargs: dict, message: str) -> None:
    path = tmp_path / "official.geojson"
    _official().to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match=message):
        import_boundaries(path, geo_dir=out_dir, **kwargs)


def test_unreadable_and_fieldless_files(tmp_path: Path, out_dir: Path) -> None:
    doc = tmp_path / "towns.doc"
    doc.write_text("x", encoding="utf-8")
    with pytest.raises(BoundaryError, match="不支持的边界文件类型"):
        read_boundaries(doc)
    bare = gpd.GeoDataFrame(
        {"x": [1]}, geometry=[shapely.box(116.3, 39.9, 116.31, 39.91)], crs=4326
    )
    path = tmp_path / "bare.geojson"
    bare.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match="找不到街乡镇代码或名称字段"):
        import_boundaries(path, name="bare", valid_from="2021-01", geo_dir=out_dir)


def test_lineage_of_a_split() -> None:
    old = gpd.GeoDataFrame({"code9": ["A"]}, geometry=[shapely.box(0, 0, 2, 1)], crs=32650).to_crs(
        4326
    )
    new = gpd.GeoDataFrame(
        {"code9": ["A", "B"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=32650,
    ).to_crs(4326)
    links = lineage(old, new)
    assert sorted(
        zip(links["old_code"], links["new_code"], links["share"].round(3), strict=True)
    ) == [
        ("A", "A", 0.5),
        ("A", "B", 0.5),
    ]


@pytest.fixture
def installed_set(tmp_path: Path) -> Iterator[str]:
    """An official-style set written into the repository's geo/ for the app, removed afterwards."""
    name = f"pytest_official_{os.getpid()}"
    path = tmp_path / "official.geojson"
    _official("gcj02").to_file(path, driver="GeoJSON")
    import_boundaries(path, name=name, valid_from="2021-01")
    try:
        yield name
    finally:
        shutil.rmtree(paths.GEO_DIR / name, ignore_errors=True)


def test_partial_set_activates_as_an_overlay(tmp_path: Path, installed_set: str) -> None:
    """A 东城 + 西城 official set keeps the other fourteen districts' towns (示意 there)."""
    db = tmp_path / "real.duckdb"
    ingest_into(db, [DATA / "export_gbk.csv"])
    con = store.connect(db)
    before = dict(con.execute("SELECT record_id, town_code FROM records").fetchall())
    result = activate(con, installed_set)
    assert result["previous"] == "demo_townships_2023" and result["records_losing_town"] == 0
    assert result["overlay"]["official_districts"] == ["110101", "110102"]
    assert result["towns"] == 331  # 32 official + 299 of the demo set elsewhere
    meta = store.get_meta(con)
    assert meta["boundary_set"] == f"{installed_set}__over__demo_townships_2023"
    assert meta["boundary_approximate"] is True  # 14 districts are still approximate
    towns = dict(con.execute("SELECT record_id, town_name FROM records").fetchall())
    assert towns["A002"] == "广安门外街道"  # in 西城: official polygon
    assert towns["A001"] == "学院路街道"  # 海淀 keeps its town
    after = dict(con.execute("SELECT record_id, town_code FROM records").fetchall())
    assert after == before  # every record of this file keeps its town
    ranked = queries.town_measures(con, View.of(Filters("2021-05", "2021-05")))
    assert len(ranked) == 331 and ranked.iloc[0]["town_name"] == "学院路街道"
    con.close()
    try:
        active = load_boundary_set(meta["boundary_set"])
    finally:
        shutil.rmtree(paths.GEO_DIR / meta["boundary_set"], ignore_errors=True)
    assert active.notice("zh") == "东城区、西城区为官方边界，其余为示意边界"
    assert len(set(active.frame["district_code"])) == 16
    assert installed_set in {s["name"] for s in list_sets()}


def test_dry_run_reports_and_writes_nothing(tmp_path: Path, installed_set: str) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [DATA / "export_gbk.csv"])
    con = store.connect(db)
    before = con.execute("SELECT * FROM records ORDER BY record_id").fetchall()
    meta = store.get_meta(con)
    plan = activate(con, installed_set, dry_run=True)
    assert plan["applied"] is False
    assert plan["top_ten_before"] == plan["top_ten_after"]
    assert plan["top_ten_before"][0]["town_name"] == "学院路街道"
    assert con.execute("SELECT * FROM records ORDER BY record_id").fetchall() == before
    assert store.get_meta(con) == meta
    con.close()
    assert not (paths.GEO_DIR / plan["boundary_set"]).exists()


def test_activation_failure_leaves_store(
    tmp_path: Path, installed_set: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [DATA / "export_gbk.csv"])
    con = store.connect(db)
    before = con.execute("SELECT * FROM records ORDER BY record_id").fetchall()

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("stop")

    monkeypatch.setattr(store, "refresh_aggregates", boom)
    with pytest.raises(RuntimeError):
        activate(con, installed_set)
    assert con.execute("SELECT * FROM records ORDER BY record_id").fetchall() == before
    assert store.get_meta(con)["boundary_set"] == "demo_townships_2023"
    con.close()


def test_maps_on_an_overlay_say_which_districts_are_official(
    tmp_path: Path, installed_set: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "real.duckdb"
    ingest_into(db, [DATA / "export_gbk.csv"])
    con = store.connect(db)
    active = activate(con, installed_set)["boundary_set"]
    con.close()
    monkeypatch.setenv("HEATMAP_DB", str(db))
    monkeypatch.setenv("HEATMAP_AUTH", "off")  # a real store, no sign-in: these test the page
    try:
        at = AppTest.from_file(str(paths.REPO_ROOT / "pages" / "heat_map.py"), default_timeout=60)
        at.run()
    finally:
        shutil.rmtree(paths.GEO_DIR / active, ignore_errors=True)
    assert not at.exception
    text = "\n".join(c.value for c in at.caption)
    assert "东城区、西城区为官方边界，其余为示意边界" in text
    assert len(at.get("deck_gl_json_chart")) == 1


def _write_set(
    geo: Path, name: str, codes: list[str], boxes: list[tuple[float, float, float, float]]
) -> None:
    from heatmap.geo.geography import _write_geojson, _write_json

    frame = gpd.GeoDataFrame(
        {
            "code9": codes,
            "name": [f"镇{c[-3:]}" for c in codes],
            "district_code": ["110108"] * len(codes),
            "district_name": ["海淀区"] * len(codes),
            "kind": ["镇"] * len(codes),
        },
        geometry=[shapely.box(*b) for b in boxes],
        crs=4326,
    )
    (geo / name).mkdir(parents=True)
    _write_geojson(frame, geo / name / "townships.geojson")
    _write_json(
        {"name": name, "approximate": False, "valid_from": "2021-01"}, geo / name / "metadata.json"
    )


def _records_store(
    db: Path, rows: list[tuple[str, str | None, str, float, float]]
) -> duckdb.DuckDBPyConnection:
    """A store with hand records: (record_id, town_code, assign_method, lon, lat)."""
    import pandas as pd

    from heatmap.intake.store import column_names

    con = store.connect(db)
    frame = pd.DataFrame(
        [
            {
                "record_id": r,
                "received_at": pd.Timestamp("2020-06-01 09:00"),
                "month": pd.Timestamp("2020-06-01"),
                "town_code": code,
                "assign_method": method,
                "lon": lon,
                "lat": lat,
                "src_crs": "wgs84",
                "dispatched": True,
                "responded": True,
                "evaluated": False,
                "resolved": False,
                "satisfied": False,
                "content_hash": i,
                "source": "hand",
                "problem": "其他",
                "theme": "其他",
            }
            for i, (r, code, method, lon, lat) in enumerate(rows)
        ]
    ).reindex(columns=list(column_names()))
    frame["h3"] = pd.array([None] * len(frame), dtype="UInt64")
    store.append_records(con, frame)
    return con


def test_split_and_merge_hand_records_to_successors(tmp_path: Path) -> None:
    geo = tmp_path / "geo"
    # old: 010 = [0, 2] × [0, 1], 011 = [2, 3] × [0, 1] (degrees offset to Beijing)
    x0, y0 = 116.0, 40.0
    _write_set(
        geo,
        "old",
        ["110108010", "110108011"],
        [(x0, y0, x0 + 0.02, y0 + 0.01), (x0 + 0.02, y0, x0 + 0.03, y0 + 0.01)],
    )
    # new: 010 split into 098 (west, 75 %) and 099 (east, 25 %); 011 unchanged
    _write_set(
        geo, "split", ["110108098", "110108099", "110108011"],
        [(x0, y0, x0 + 0.015, y0 + 0.01), (x0 + 0.015, y0, x0 + 0.02, y0 + 0.01), (x0 + 0.02, y0, x0 + 0.03, y0 + 0.01)],
    )  # fmt: skip
    con = _records_store(
        tmp_path / "s.duckdb",
        [
            ("R1", "110108010", "code", x0 + 0.018, y0 + 0.005),  # by code, point in the east part
            ("R2", "110108011", "name", x0 + 0.025, y0 + 0.005),  # unchanged town
            ("R3", None, "point", x0 + 0.017, y0 + 0.005),  # by point: follows the polygons
        ],
    )
    activate(con, "old", geo_dir=geo)
    kept = activate(con, "split", geo_dir=geo, dry_run=True)  # valid from 2021-01: June 2020 stays
    assert kept["records_considered"] == 0 and kept["records_changing_town"] == 0
    result = activate(con, "split", geo_dir=geo, reattribute_history=True)
    got = dict(con.execute("SELECT record_id, town_code FROM records").fetchall())
    assert got == {"R1": "110108098", "R2": "110108011", "R3": "110108099"}
    assert result["records_to_successor"] == 1 and result["lineage_links"] == 2
    # R1 goes to its successor; R3 (June 2020, before "old" was valid) gains a town by its point
    assert (result["records_changing_town"], result["records_gaining_town"]) == (1, 1)
    assert [(c["before"], c["after"], c["records"]) for c in result["changes"]] == [
        ("110108010", "110108098", 1)
    ]
    # three towns, all in the top ten: 010's spell is gone, its successors' spells appear
    assert sorted(
        (c["town_code"], c["entry_month"], c["effect"]) for c in result["ledger_changes"]
    ) == [
        ("110108010", "2020-06", "removed"),
        ("110108098", "2020-06", "added"),
        ("110108099", "2020-06", "added"),
    ]
    links = con.execute(
        "SELECT old_code, new_code, round(share, 2) FROM lineage ORDER BY 2"
    ).fetchall()
    assert links == [("110108010", "110108098", 0.75), ("110108010", "110108099", 0.25)]
    flagged = con.execute("SELECT point_town_code FROM records WHERE record_id = 'R1'").fetchone()
    assert flagged == ("110108099",)  # R1's point is in the east part: flagged, not moved
    con.close()


def test_history_stays_as_announced(tmp_path: Path) -> None:
    """Months before valid_from keep the towns they were ranked under; the old town stays named."""
    geo = tmp_path / "geo"
    x0, y0 = 116.0, 40.0
    _write_set(geo, "old", ["110108010", "110108011"],
               [(x0, y0, x0 + 0.02, y0 + 0.01), (x0 + 0.02, y0, x0 + 0.03, y0 + 0.01)])  # fmt: skip
    _write_set(geo, "split", ["110108098", "110108099", "110108011"],
               [(x0, y0, x0 + 0.015, y0 + 0.01), (x0 + 0.015, y0, x0 + 0.02, y0 + 0.01),
                (x0 + 0.02, y0, x0 + 0.03, y0 + 0.01)])  # fmt: skip
    con = _records_store(
        tmp_path / "s.duckdb", [("R1", "110108010", "code", x0 + 0.018, y0 + 0.005)]
    )
    activate(con, "old", geo_dir=geo)
    activate(con, "split", geo_dir=geo)
    assert con.execute("SELECT town_code FROM records").fetchall() == [("110108010",)]
    towns = con.execute("SELECT town_code, town_name FROM towns").fetchall()
    assert ("110108010", "镇010") in towns
    history = store.get_meta(con)["boundary_history"]
    assert [h["name"] for h in history] == ["old", "split"]


def test_activation_that_loses_records_is_refused_unless_forced(tmp_path: Path) -> None:
    geo = tmp_path / "geo"
    x0, y0 = 116.0, 40.0
    _write_set(geo, "a", ["110108010"], [(x0, y0, x0 + 0.02, y0 + 0.01)])
    _write_set(geo, "b", ["110108011"], [(x0 + 0.1, y0, x0 + 0.12, y0 + 0.01)])  # elsewhere
    con = _records_store(tmp_path / "s.duckdb", [("R1", "110108010", "code", np.nan, np.nan)])
    activate(con, "a", geo_dir=geo)
    with pytest.raises(BoundaryError, match=r"1 条工单失去所属街乡镇.*镇010 1 条"):
        activate(con, "b", geo_dir=geo, reattribute_history=True)
    assert con.execute("SELECT town_code FROM records").fetchall() == [("110108010",)]
    result = activate(con, "b", geo_dir=geo, reattribute_history=True, force=True)
    assert result["records_losing_town"] == 1
    assert con.execute("SELECT town_code FROM records").fetchall() == [(None,)]


def test_shared_name_in_a_boundary_file_goes_to_the_district_holding_it(
    tmp_path: Path, out_dir: Path
) -> None:
    """八里庄街道 exists in 朝阳 and 海淀: a polygon inside 海淀 without a district field is 海淀's."""
    demo = load_boundary_set().frame.set_index("code9")
    frame = gpd.GeoDataFrame(
        {"name": ["八里庄街道", "八里庄街道"]},
        geometry=[demo.loc["110108005", "geometry"], demo.loc["110105015", "geometry"]],
        crs=4326,
    )
    path = tmp_path / "blz.geojson"
    frame.to_file(path, driver="GeoJSON")
    report = import_boundaries(path, name="blz", valid_from="2021-01", geo_dir=out_dir)
    assert report.unmatched_names == []
    written = gpd.read_file(out_dir / "blz" / "townships.geojson")
    assert sorted(written["code9"]) == ["110105015", "110108005"]


def test_gbk_shapefile_without_cpg_is_read_in_chinese(tmp_path: Path, out_dir: Path) -> None:
    """Chinese GIS offices often ship a DBF in GBK without its .cpg: names must not turn to mojibake."""
    import zipfile

    demo = load_boundary_set().frame.set_index("code9")
    frame = gpd.GeoDataFrame(
        {"JDMC": ["学院路街道", "八里庄街道"], "QXMC": ["海淀区", "朝阳区"]},
        geometry=[demo.loc["110108010", "geometry"], demo.loc["110105015", "geometry"]],
        crs=4326,
    )
    shp = tmp_path / "shp"
    shp.mkdir()
    frame.to_file(shp / "jd.shp", encoding="gbk")
    (shp / "jd.cpg").unlink(missing_ok=True)
    archive = tmp_path / "jd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.iterdir():
            zf.write(part, part.name)
    read = read_boundaries(archive)
    assert read["JDMC"].tolist() == ["学院路街道", "八里庄街道"]
    report = import_boundaries(archive, name="jd", valid_from="2021-01", geo_dir=out_dir)
    assert report.fields["name"] == "JDMC" and report.fields["district"] == "QXMC"
    assert report.unmatched_names == [] and report.towns == 2


@pytest.mark.parametrize("epsg", [4548, 4527])
def test_projected_shapefile_without_prj_is_placed(
    tmp_path: Path, out_dir: Path, epsg: int
) -> None:
    """A district office's Gauss–Krüger layer shipped without its .prj: the projection is inferred."""
    import zipfile

    demo = load_boundary_set().frame
    haidian = demo[demo["district_name"] == "海淀区"][["name", "geometry"]].to_crs(epsg)
    shp = tmp_path / "shp"
    shp.mkdir()
    haidian.to_file(shp / "hd.shp", encoding="utf-8")
    (shp / "hd.prj").unlink()
    archive = tmp_path / "hd.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.iterdir():
            zf.write(part, part.name)
    report = import_boundaries(archive, name="hd", valid_from="2021-01", geo_dir=out_dir)
    assert report.crs_declared is not None and report.crs_declared.startswith(f"EPSG:{epsg}")
    assert report.unmatched_names == [] and report.towns == len(haidian)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # the fixture is written without one
def test_unplaceable_projection_is_refused(tmp_path: Path, out_dir: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["学院路街道"]}, geometry=[shapely.box(1e6, 1e6, 1e6 + 500, 1e6 + 500)]
    )
    path = tmp_path / "far.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match="没有坐标系信息.*投影坐标"):
        import_boundaries(path, name="far", valid_from="2021-01", geo_dir=out_dir)


def test_one_district_official_file_overlays_and_keeps_the_city(tmp_path: Path) -> None:
    """A 海淀-only file (names, no codes) matches all its towns; the other 15 districts keep theirs."""
    geo = tmp_path / "geo"
    demo = load_boundary_set().frame
    haidian = demo[demo["district_name"] == "海淀区"]
    official = gpd.GeoDataFrame(
        {"街道名称": haidian["name"].str.replace("街道", "街道办事处", regex=False).to_numpy()},
        geometry=haidian.geometry.to_numpy(), crs=4326,
    )  # fmt: skip
    path = tmp_path / "haidian.geojson"
    official.to_file(path, driver="GeoJSON")
    report = import_boundaries(path, name="haidian", valid_from="2021-01", geo_dir=geo)
    assert report.unmatched_names == [] and report.towns == len(haidian)
    db = tmp_path / "real.duckdb"
    ingest_into(db, [DATA / "export_gbk.csv"])
    con = store.connect(db)
    before = dict(con.execute("SELECT record_id, town_code FROM records").fetchall())
    plan = activate(con, "haidian", geo_dir=geo)
    after = dict(con.execute("SELECT record_id, town_code FROM records").fetchall())
    con.close()
    assert plan["overlay"]["official_districts"] == ["110108"]
    assert plan["records_losing_town"] == 0 and after == before
    active = load_boundary_set(plan["boundary_set"], geo_dir=geo)
    assert active.notice("zh") == "海淀区为官方边界，其余为示意边界"
    assert len(active.frame) == len(demo)


def _shapefile_without_prj(tmp_path: Path, frame: gpd.GeoDataFrame, stem: str) -> Path:
    import zipfile

    shp = tmp_path / f"shp_{stem}"
    shp.mkdir()
    frame.to_file(shp / f"{stem}.shp", encoding="utf-8")
    (shp / f"{stem}.prj").unlink()
    archive = tmp_path / f"{stem}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.iterdir():
            zf.write(part, part.name)
    return archive


def test_partial_projected_layer_is_placed_by_the_district_it_lies_in(
    tmp_path: Path, out_dir: Path
) -> None:
    """Three towns of 海淀 in metres without a .prj (issue 23): the fit is judged against the
    district they lie in, not all sixteen; the projection evidence is kept beside the WGS84 /
    GCJ-02 / BD-09 scores."""
    demo = load_boundary_set().frame
    few = demo[demo["code9"].isin(["110108010", "110108017", "110108005"])][["name", "geometry"]]
    archive = _shapefile_without_prj(tmp_path, few.to_crs(4548), "few")
    report = import_boundaries(archive, name="few", valid_from="2021-01", geo_dir=out_dir)
    assert report.crs_declared is not None and report.crs_declared.startswith("EPSG:4548")
    assert report.towns == 3 and report.unmatched_names == []
    assert report.projection_evidence["EPSG:4548"]["inside"] > 0.95
    assert set(report.crs_evidence) == {"wgs84", "gcj02", "bd09"}


def test_file_where_nothing_matches_writes_nothing_and_names_the_closest(
    tmp_path: Path, out_dir: Path
) -> None:
    demo = load_boundary_set().frame.set_index("code9")
    frame = gpd.GeoDataFrame(
        {"name": ["学院路街递", "甲乙丙丁"]},
        geometry=[demo.loc["110108010", "geometry"], demo.loc["110108017", "geometry"]],
        crs=4326,
    )
    path = tmp_path / "typo.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(BoundaryError, match="没有一个能对应到街乡镇") as caught:
        import_boundaries(path, name="typo", valid_from="2021-01", geo_dir=out_dir)
    assert "学院路街递 → 学院路街道?" in str(caught.value)
    assert "甲乙丙丁（无相近名称）" in str(caught.value)
    assert not (out_dir / "typo").exists()
