"""The Dask job on a LocalCluster gives the single-machine activation's towns and aggregates."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from heatmap.analysis.activation import activate
from heatmap.cli import main
from heatmap.errors import BoundaryError, ScaleError
from heatmap.geo.geography import _write_geojson, _write_json
from heatmap.intake import store
from heatmap.intake.store import column_names
from heatmap.scale.job import client_for, require_dask
from heatmap.scale.switch import scale_out
from heatmap_bench.scale import compare_stores, write_changed_set

X0, Y0 = 116.0, 40.0  # hand-drawn towns a few km across, offset to Beijing
OLD = ["110108010", "110108011"]
OLD_BOXES = [(X0, Y0, X0 + 0.02, Y0 + 0.01), (X0 + 0.02, Y0, X0 + 0.03, Y0 + 0.01)]
# "split": 010 split into 098 (west, 75 %) and 099 (east, 25 %); 011 unchanged
SPLIT = ["110108098", "110108099", "110108011"]
SPLIT_BOXES = [(X0, Y0, X0 + 0.015, Y0 + 0.01), (X0 + 0.015, Y0, X0 + 0.02, Y0 + 0.01),
               OLD_BOXES[1]]  # fmt: skip


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes, one thread each, as the CLI's default cluster."""
    with client_for(workers=2, processes=True) as c:
        yield c


def _write_set(geo: Path, name: str, codes: list[str], boxes: list[tuple[float, ...]]) -> None:
    frame = gpd.GeoDataFrame(
        {"code9": codes, "name": [f"镇{c[-3:]}" for c in codes],
         "district_code": ["110108"] * len(codes), "district_name": ["海淀区"] * len(codes),
         "kind": ["镇"] * len(codes)},
        geometry=[shapely.box(*b) for b in boxes], crs=4326,
    )  # fmt: skip
    (geo / name).mkdir(parents=True)
    _write_geojson(frame, geo / name / "townships.geojson")
    _write_json({"name": name, "approximate": False, "valid_from": "2021-01"},
                geo / name / "metadata.json")  # fmt: skip


def _hand_store(db: Path, rows: list[tuple[str, str, str | None, str, float, float]]) -> None:
    """Records (record_id, month, town_code, assign_method, lon, lat), dispatched, h3 of 1 cell."""
    con = store.connect(db)
    frame = pd.DataFrame(
        [{"record_id": r, "received_at": pd.Timestamp(f"{m}-03 09:00"),
          "month": pd.Timestamp(f"{m}-01"), "town_code": code, "assign_method": method,
          "lon": lon, "lat": lat, "src_crs": "wgs84", "dispatched": True, "responded": i % 2 == 0,
          "evaluated": False, "resolved": False, "satisfied": False, "content_hash": i,
          "source": "hand", "problem": "噪声扰民", "theme": "环境"}
         for i, (r, m, code, method, lon, lat) in enumerate(rows)]
    ).reindex(columns=list(column_names()))  # fmt: skip
    frame["h3"] = pd.array([617700169958293503] * len(frame), dtype="UInt64")
    store.append_records(con, frame)
    store.refresh_aggregates(con)
    con.close()


def _two_copies(db: Path) -> tuple[Path, Path]:
    single, dask = db.with_name("single.duckdb"), db.with_name("dask.duckdb")
    shutil.copyfile(db, single)
    shutil.copyfile(db, dask)
    return single, dask


def _activate_first(db: Path, name: str, geo: Path) -> None:
    con = store.connect(db)
    activate(con, name, geo_dir=geo)
    con.close()


HAND = [
    ("R1", "2020-06", "110108010", "code", X0 + 0.018, Y0 + 0.005),  # by code; point in east part
    ("R2", "2020-06", "110108011", "name", X0 + 0.025, Y0 + 0.005),  # unchanged town
    ("R3", "2020-06", None, "point", X0 + 0.017, Y0 + 0.005),  # by point: follows the polygons
    ("R4", "2020-07", None, "none", X0 + 0.005, Y0 + 0.005),  # no town yet: its point gives 098
    ("R5", "2020-07", "110108011", "code", X0 + 0.5, Y0 + 0.5),  # point outside every town
]


def test_hand_records_follow_the_split(tmp_path: Path, client: Any) -> None:
    geo = tmp_path / "geo"
    _write_set(geo, "old", OLD, OLD_BOXES)
    _write_set(geo, "split", SPLIT, SPLIT_BOXES)
    _hand_store(tmp_path / "s.duckdb", HAND)
    _activate_first(tmp_path / "s.duckdb", "old", geo)
    single, dask = _two_copies(tmp_path / "s.duckdb")

    con = store.connect(dask)
    report = scale_out(con, "split", work_dir=tmp_path / "work", geo_dir=geo, client=client)
    got = con.execute(
        "SELECT record_id, town_code, assign_method, point_town_code, district_code "
        "FROM records ORDER BY record_id"
    ).fetchall()
    assert got == [
        ("R1", "110108098", "code", "110108099", "110108"),  # the larger successor; point flagged
        ("R2", "110108011", "name", None, "110108"),
        ("R3", "110108099", "point", None, "110108"),
        ("R4", "110108098", "point", None, "110108"),
        ("R5", "110108011", "code", None, "110108"),
    ]
    towns = con.execute(
        "SELECT strftime(month, '%Y-%m'), town_code, accepted, dispatched, responded "
        "FROM agg_town_month ORDER BY 1, 2"
    ).fetchall()
    assert towns == [  # responded: even positions in HAND (R1, R3, R5)
        ("2020-06", "110108011", 1, 1, 0),
        ("2020-06", "110108098", 1, 1, 1),
        ("2020-06", "110108099", 1, 1, 1),
        ("2020-07", "110108011", 1, 1, 1),
        ("2020-07", "110108098", 1, 1, 0),
    ]
    assert store.get_meta(con)["boundary_set"] == "split"
    con.close()
    assert (report["records_considered"], report["records_changing_town"]) == (5, 1)
    assert (report["records_gaining_town"], report["records_to_successor"]) == (2, 1)
    assert report["changes"] == [{"before": "110108010", "after": "110108098", "records": 1,
                                  "before_name": "镇010", "after_name": "镇098"}]  # fmt: skip
    assert (report["months"], report["files"]) == (2, 2)

    con = store.connect(single)
    plan = activate(con, "split", geo_dir=geo, reattribute_history=True)
    con.close()
    assert compare_stores(single, dask) == dict.fromkeys(
        ["records", "agg_town_month", "agg_cell_month", "agg_town_day", "towns", "lineage"], 0
    )
    for key in ("records_considered", "records_changing_town", "records_gaining_town",
                "records_losing_town", "records_by_point", "records_to_successor", "changes"):  # fmt: skip
        assert plan[key] == report[key], key


def test_demo_history_after_a_boundary_change_is_identical(
    demo_store_path: Path, tmp_path: Path, client: Any
) -> None:
    """Every record and every aggregate row of both paths, after 海淀's towns are split."""
    geo = tmp_path / "geo"
    name = write_changed_set(geo)
    shutil.copyfile(demo_store_path, tmp_path / "demo.duckdb")
    single, dask = _two_copies(tmp_path / "demo.duckdb")

    con = store.connect(single)
    plan = activate(con, name, geo_dir=geo, reattribute_history=True, force=True)
    con.close()
    con = store.connect(dask)
    report = scale_out(con, name, work_dir=tmp_path / "work", geo_dir=geo, client=client, force=True)
    con.close()

    assert plan["records_changing_town"] > 1000  # not a vacuous comparison
    assert report["records_changing_town"] == plan["records_changing_town"]
    assert report["records_to_successor"] == plan["records_to_successor"]
    assert compare_stores(single, dask) == dict.fromkeys(
        ["records", "agg_town_month", "agg_cell_month", "agg_town_day", "towns", "lineage"], 0
    )
    a, b = (duckdb.connect(str(p), read_only=True) for p in (single, dask))
    try:
        for table in ("agg_town_month", "agg_cell_month", "agg_town_day"):
            left = a.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
            right = b.execute(f"SELECT * FROM {table} ORDER BY ALL").df()
            pd.testing.assert_frame_equal(left, right)  # same rows, columns and dtypes
            assert len(left) > 0
        assert a.execute("SELECT count(*) FROM records WHERE town_code LIKE '1101087%'").fetchone()[0] > 0
    finally:
        a.close()
        b.close()


def test_compare_sees_a_difference(tmp_path: Path) -> None:
    _hand_store(tmp_path / "s.duckdb", HAND[:2])
    single, dask = _two_copies(tmp_path / "s.duckdb")
    con = store.connect(dask)
    con.execute("UPDATE agg_town_month SET accepted = 2 WHERE town_code = '110108011'")
    con.close()
    assert compare_stores(single, dask)["agg_town_month"] == 2  # one row each side


def test_losing_records_is_refused_unless_forced(tmp_path: Path, client: Any) -> None:
    geo = tmp_path / "geo"
    _write_set(geo, "a", ["110108010"], [OLD_BOXES[0]])
    _write_set(geo, "b", ["110108011"], [(X0 + 0.1, Y0, X0 + 0.12, Y0 + 0.01)])  # elsewhere
    _hand_store(tmp_path / "s.duckdb", [("R1", "2020-06", "110108010", "code", np.nan, np.nan)])
    _activate_first(tmp_path / "s.duckdb", "a", geo)
    con = store.connect(tmp_path / "s.duckdb")
    with pytest.raises(BoundaryError, match=r"1 条工单失去所属街乡镇.*镇010 1 条"):
        scale_out(con, "b", work_dir=tmp_path / "work", geo_dir=geo, client=client)
    assert con.execute("SELECT town_code FROM records").fetchall() == [("110108010",)]
    assert store.get_meta(con)["boundary_set"] == "a"
    report = scale_out(con, "b", work_dir=tmp_path / "work", geo_dir=geo, client=client, force=True)
    assert report["records_losing_town"] == 1
    assert con.execute("SELECT town_code, district_code FROM records").fetchall() == [(None, None)]
    con.close()


def test_missing_dask_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as when absent
    with pytest.raises(ScaleError, match=r"pip install '\.\[scale\]'"):
        require_dask()


def test_bad_worker_count() -> None:
    with pytest.raises(ScaleError, match=r"workers must be at least 1.*got 0"), client_for(workers=0):
        pass


def test_cli_reports_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    geo = tmp_path / "geo"
    _write_set(geo, "old", OLD, OLD_BOXES)
    _write_set(geo, "split", SPLIT, SPLIT_BOXES)
    db = tmp_path / "s.duckdb"
    _hand_store(db, HAND)
    _activate_first(db, "old", geo)
    code = main(["scale", "--db", str(db), "--boundaries", "split", "--workers", "1",
                 "--geo-dir", str(geo), "--work", str(tmp_path / "work")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "已用 Dask 将 5 条工单（2 个月）重新归属到边界集 split" in out
    assert "1 条改变所属街乡镇" in out
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT town_code FROM records WHERE record_id = 'R1'").fetchone() == (
        "110108098",
    )
    con.close()


def test_cli_without_dask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    _hand_store(tmp_path / "s.duckdb", HAND[:1])
    code = main(["scale", "--db", str(tmp_path / "s.duckdb"), "--boundaries", "demo_townships_2023",
                 "--work", str(tmp_path / "work")])  # fmt: skip
    assert code == 2
    assert "未安装 Dask" in capsys.readouterr().err
