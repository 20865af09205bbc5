"""Aliases added by a data administrator: kept with who and when, applied to the store and later imports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from heatmap.analysis import queries
from heatmap.errors import HeatmapError
from heatmap.filters import Filters, View
from heatmap.intake import store
from heatmap.intake.aliases import add_alias, list_aliases, unresolved_names
from heatmap.intake.loading import ingest_into

HEADER = ["工单编号", "受理时间", "所属区", "街乡镇", "详细地址"]


def _export(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for record_id, district, town, address in rows:
            writer.writerow([record_id, "2021-05-03 10:00", district, town, address])
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "real.duckdb"
    ingest_into(path, [_export(tmp_path / "a.csv", [
        ("A1", "海淀区", "五道口", ""),
        ("A2", "海淀区", "五道口", ""),
        ("A3", "", "", "北京市海淀区五道口华清嘉园"),
        ("A4", "海淀区", "学院路街道", ""),
    ])])  # fmt: skip
    return path


def test_unresolved_names_are_listed_with_counts(db: Path) -> None:
    con = store.connect(db, read_only=True)
    names = unresolved_names(con)
    con.close()
    assert names[["name", "district", "records"]].fillna("").values.tolist() == [
        ["五道口", "海淀区", 2],
        ["北京市海淀区五道口华清嘉园", "", 1],
    ]


def test_alias_attributes_store_records_and_later_imports(db: Path, tmp_path: Path) -> None:
    con = store.connect(db)
    result = add_alias(con, "五道口", "110108010", added_by="数据科 王工")
    assert result == {"alias": "五道口", "town_code": "110108010", "records_attributed": 3,
                      "months": ["2021-05"]}  # fmt: skip
    got = dict(con.execute("SELECT record_id, assign_method FROM records").fetchall())
    # A3's address names 五道口 too: an administrator's alias counts in addresses (3+ characters)
    assert got == {"A1": "alias", "A2": "alias", "A3": "alias", "A4": "name"}
    volume = queries.town_measures(con, View.of(Filters("2021-05", "2021-05"))).set_index("town_code")
    assert volume.loc["110108010", "volume"] == 4  # aggregates rebuilt
    aliases = list_aliases(con)
    assert aliases[["alias", "town_code", "town_name", "added_by"]].values.tolist() == [
        ["五道口", "110108010", "学院路街道", "数据科 王工"]
    ]
    assert aliases["added_at"].notna().all()
    con.close()
    report = ingest_into(db, [_export(tmp_path / "b.csv", [("B1", "", "五道口", "")])]).as_dict()
    assert report["matched_by"]["alias"] == 1


@pytest.mark.parametrize(
    ("alias", "code", "by", "message"),
    [
        ("五", "110108010", "王工", "太短"),
        ("五道口", "110199999", "王工", "不在当前边界集"),
        ("五道口", "110108010", " ", "添加人"),
    ],
)
def test_bad_aliases_are_refused_and_change_nothing(
    db: Path, alias: str, code: str, by: str, message: str
) -> None:
    con = store.connect(db)
    before = con.execute("SELECT * FROM records ORDER BY record_id").fetchall()
    with pytest.raises(HeatmapError, match=message):
        add_alias(con, alias, code, added_by=by)
    assert con.execute("SELECT * FROM records ORDER BY record_id").fetchall() == before
    assert list_aliases(con).empty
    con.close()


def test_an_alias_cannot_name_two_towns(db: Path) -> None:
    con = store.connect(db)
    add_alias(con, "五道口", "110108010", added_by="王工")
    with pytest.raises(HeatmapError, match="已指向街乡镇 110108010"):
        add_alias(con, "五道口", "110108011", added_by="李工")
    con.close()
