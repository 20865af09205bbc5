"""Exports shaped like the field's: every name form on its right town, coordinates put right.

The files are written here, from literal counts, so every expectation is a hand count: a GBK
export whose 12 towns get 30, 28, …, 8 requests in every name form (the top ten is the first
ten by construction), a copy with longitude and latitude swapped, a file from another city, and
projected coordinates declared with ``--crs``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from heatmap.analysis import queries
from heatmap.errors import CoordinateSystemError, HeatmapError
from heatmap.filters import Filters, View
from heatmap.geo.geography import load_boundary_set
from heatmap.intake import store
from heatmap.intake.ingest import ImportOptions
from heatmap.intake.loading import ingest_into

HEADER = [
    "工单编号",
    "受理时间",
    "所属区",
    "街乡镇",
    "详细地址",
    "经度",
    "纬度",
    "是否派单",
    "来电号码",
]
# (code, district, forms a real export writes for the town); volume = 30 - 2 * position
TOWNS = [
    (
        "110107001",
        "石景山区",
        ["八宝山街道办事处", "八宝山", "石景山区八宝山街道", "八 宝 山 街 道"],
    ),
    ("110118001", "密云区", ["鼓楼街道", "鼓楼街道办事处", "北京市密云区鼓楼街道", "鼓楼"]),
    ("110108024", "海淀区", ["东升镇", "东升地区", "东升乡人民政府", "东升地区办事处"]),
    ("110105015", "朝阳区", ["八里庄街道", "八里庄", "朝阳区八里庄街道办事处", "八里庄街道"]),
    ("110108005", "海淀区", ["八里庄街道", "八里庄街道办", "海淀区八里庄", "八里庄"]),
    ("110114004", "昌平区", ["沙河镇", "沙河镇人民政府", "沙河地区", "沙河镇政府"]),
    ("110115007", "大兴区", ["西红门镇", "西红门镇人民政府", "西红门地区办事处", "西红门"]),
    ("110102020", "西城区", ["广外街道", "广外", "广安门外街道", "１１０１０２０２０"]),
    ("110108012", "海淀区", ["海淀街道", "海淀街道办事处", "110108012000", "海淀"]),
    ("110101002", "东城区", ["景山街道", "景山街道办事处", "东城区景山", "景山"]),
    ("110119001", "延庆区", ["百泉街道", "百泉街道办事处", "延庆区百泉街道", "百泉"]),
    ("110113110", "顺义区", ["张镇", "张镇人民政府", "张镇政府", "顺义区张镇"]),
]
NEEDS_DISTRICT = {"八里庄街道", "八里庄", "八里庄街道办", "海淀"}
# Rows with no town column: the address alone, hierarchical (the trap is the district name).
ADDRESSES = [
    ("110107001", "", "北京市石景山区八宝山街道玉泉路19号"),
    ("110118001", "", "北京市密云区鼓楼街道新中街"),
    ("110108012", "", "北京市海淀区海淀街道某小区"),
]
# Rows that name no single town and have no point: never counted for anyone.
UNCOUNTED = [
    ("", "八里庄街道", ""),  # 朝阳 or 海淀
    ("石景山区", "景山街道", ""),  # 景山 is in 东城, not in the stated district
    ("", "", "北京市海淀区学院路30号"),  # a road, not a town
]


def _write_export(path: Path, *, swap: bool = False, with_points: bool = False) -> dict[str, int]:
    """Write the GBK export; return the hand count of requests per town."""
    seats = _seats() if with_points else {}
    rows, counts, n = [], {}, 0
    for position, (code, district, forms) in enumerate(TOWNS):
        volume = 30 - 2 * position
        counts[code] = volume
        for k in range(volume):
            n += 1
            lon, lat = seats.get(code, ("", ""))
            if swap and lon != "":
                lon, lat = lat, lon
            district_column = district if k % 2 == 0 else ""
            town = forms[k % len(forms)]
            if town in NEEDS_DISTRICT:
                district_column = district  # alone, these name two towns (or a district)
            rows.append([f"F{n:04d}", f"2021-05-{1 + k % 28:02d} 09:00", district_column, town,
                         "某小区", lon, lat, "是", "13812345678"])  # fmt: skip
    for code, district, address in ADDRESSES:
        n += 1
        counts[code] += 1
        rows.append([f"F{n:04d}", "2021-05-15 10:00", district, "", address, "", "", "是", ""])
    for district, town, address in UNCOUNTED:
        n += 1
        rows.append([f"F{n:04d}", "2021-05-16 10:00", district, town, address, "", "", "是", ""])
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return counts


def _seats() -> dict[str, tuple[str, str]]:
    """A point inside each town of the active (demo) set, as text."""
    frame = load_boundary_set().frame.set_index("code9")
    points = frame.geometry.representative_point()
    return {c: (f"{p.x:.6f}", f"{p.y:.6f}") for c, p in points.items()}


def _volumes(db: Path) -> dict[str, int]:
    con = store.connect(db, read_only=True)
    try:
        m = queries.town_measures(con, View.of(Filters("2021-05", "2021-05")))
    finally:
        con.close()
    m = m[m["volume"] > 0]
    return dict(zip(m["town_code"], m["volume"].astype(int), strict=True))


def test_gbk_export_every_form_lands_on_its_town(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    counts = _write_export(export)
    db = tmp_path / "real.duckdb"
    report = ingest_into(db, [export]).as_dict()
    assert report["imported"] == sum(counts.values()) + len(UNCOUNTED)
    assert _volumes(db) == counts
    assert report["unmatched"] == len(UNCOUNTED)
    assert report["ambiguous"] == 1
    con = store.connect(db, read_only=True)
    ranked = queries.town_measures(con, View.of(Filters("2021-05", "2021-05")))
    notes = dict(con.execute("SELECT town_raw, assign_note FROM records WHERE town_code IS NULL "
                             "AND town_raw IS NOT NULL").fetchall())  # fmt: skip
    con.close()
    top_ten = ranked.sort_values("rank").head(10)["town_code"].tolist()
    assert top_ten == [code for code, _, _ in TOWNS[:10]]  # hand count: 31, 29, 27, … by design
    assert "八里庄街道（朝阳区）" in notes["八里庄街道"] and "海淀区" in notes["八里庄街道"]
    assert "不在所属区" in notes["景山街道"]


def test_names_win_over_points_on_the_approximate_set(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    counts = _write_export(export, with_points=True)
    db = tmp_path / "real.duckdb"
    report = ingest_into(db, [export]).as_dict()
    assert _volumes(db) == counts
    assert report["coordinates"]["swapped_fixed"] == 0
    assert report["coordinates"]["inside_beijing"] == sum(30 - 2 * i for i in range(len(TOWNS)))


def test_swapped_columns_are_put_right_and_counted(tmp_path: Path) -> None:
    plain, swapped = tmp_path / "plain.csv", tmp_path / "swapped.csv"
    _write_export(plain, with_points=True)
    _write_export(swapped, with_points=True, swap=True)
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    ingest_into(a, [plain])
    report = ingest_into(b, [swapped]).as_dict()
    located = sum(30 - 2 * i for i in range(len(TOWNS)))
    assert report["coordinates"] == {
        "located": located, "inside_beijing": located, "outside_beijing": 0,
        "swapped_fixed": located, "zero_or_null": len(ADDRESSES) + len(UNCOUNTED),
    }  # fmt: skip
    sql = "SELECT record_id, town_code, lon, lat, point_town_code FROM records ORDER BY 1"
    rows = [duckdb.connect(str(p), read_only=True).execute(sql).fetchall() for p in (a, b)]
    assert rows[0] == rows[1]


def _city_file(path: Path, lon0: float, lat0: float, n: int = 40) -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "工单编号": [f"S{i:03d}" for i in range(n)],
            "受理时间": "2021-05-03 10:00",
            "详细地址": "某路某号",
            "经度": (lon0 + rng.normal(0, 0.05, n)).round(6),
            "纬度": (lat0 + rng.normal(0, 0.05, n)).round(6),
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def test_file_from_another_city_is_refused_and_nothing_written(tmp_path: Path) -> None:
    shanghai = tmp_path / "shanghai.csv"
    _city_file(shanghai, 121.47, 31.23)
    db = tmp_path / "real.duckdb"
    with pytest.raises(CoordinateSystemError, match=r"北京市外.*其他城市.*未写入任何数据"):
        ingest_into(db, [shanghai])
    assert not db.exists()  # the store this import would have created is not left behind


def test_refused_file_leaves_an_existing_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    good = tmp_path / "good.csv"
    _write_export(good)
    ingest_into(db, [good])
    con = duckdb.connect(str(db), read_only=True)
    before = con.execute("SELECT * FROM records ORDER BY record_id").fetchall()
    con.close()
    shanghai = tmp_path / "shanghai.csv"
    _city_file(shanghai, 121.47, 31.23)
    with pytest.raises(CoordinateSystemError, match="北京市外"):
        ingest_into(db, [shanghai])
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT * FROM records ORDER BY record_id").fetchall() == before
    con.close()


def test_another_city_imports_when_allowed_and_is_flagged(tmp_path: Path) -> None:
    shanghai = tmp_path / "shanghai.csv"
    _city_file(shanghai, 121.47, 31.23)
    db = tmp_path / "real.duckdb"
    report = ingest_into(db, [shanghai], options=ImportOptions(allow_outside=True)).as_dict()
    assert report["coordinates"]["outside_beijing"] == 40
    assert report["unmatched"] == 40
    assert len(report["outside_examples"]) == 5 and report["outside_examples"][0]["line"] == 2
    con = duckdb.connect(str(db), read_only=True)
    kept = con.execute("SELECT count(*), count(h3), min(assign_note) FROM records").fetchall()
    con.close()
    assert kept == [(40, 0, "坐标在北京市外 (point outside Beijing)")]


@pytest.mark.parametrize(
    ("epsg", "hint"),
    [(4527, "EPSG:4527"), (3857, "EPSG:3857")],
)
def test_projected_coordinates_need_a_declaration_then_import(
    tmp_path: Path, epsg: int, hint: str
) -> None:
    from pyproj import Transformer

    export = tmp_path / "export.csv"
    _write_export(export, with_points=True)
    frame = pd.read_csv(export, encoding="gbk", dtype=str, keep_default_na=False)
    located = frame["经度"] != ""
    to_proj = Transformer.from_crs(4326, epsg, always_xy=True)
    x, y = to_proj.transform(
        frame.loc[located, "经度"].astype(float), frame.loc[located, "纬度"].astype(float)
    )
    frame.loc[located, "经度"] = [f"{v:.2f}" for v in x]
    frame.loc[located, "纬度"] = [f"{v:.2f}" for v in y]
    projected = tmp_path / "projected.csv"
    frame.to_csv(projected, index=False, encoding="gbk")
    with pytest.raises(HeatmapError, match=f"投影坐标.*{hint}"):
        ingest_into(tmp_path / "refused.duckdb", [projected])
    db = tmp_path / "real.duckdb"
    report = ingest_into(db, [projected], options=ImportOptions(crs=f"EPSG:{epsg}")).as_dict()
    assert report["coordinates"]["inside_beijing"] == int(located.sum())
    assert f"EPSG:{epsg}" in report["crs_notes"]["projected.csv"]


def test_unknown_crs_option_is_explained(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    _write_export(export)
    with pytest.raises(HeatmapError, match="EPSG:NNNN"):
        ingest_into(tmp_path / "x.duckdb", [export], options=ImportOptions(crs="mercator"))
