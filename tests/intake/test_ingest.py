"""Import of complaint exports, with reports hand-counted from tests/data (see make_import_fixtures.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from heatmap.analysis import queries
from heatmap.errors import HeatmapError, StoreError
from heatmap.filters import Filters, View
from heatmap.intake import store
from heatmap.intake.loading import ingest_into
from heatmap.intake.parse import (
    ImportOptions,
    load_mapping,
    mask_personal,
    match_headers,
    parse_flags,
    parse_times,
)

DATA = Path(__file__).parents[1] / "data"
GBK = DATA / "export_gbk.csv"
XLSX = DATA / "export_bd09.xlsx"
PERSONAL = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|张三|李四|王五|赵六|62345678")


def _tables(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        return {n: sorted(map(repr, con.execute(f"SELECT * FROM {n}").fetchall())) for n in names}
    finally:
        con.close()


def test_messy_gbk_export_report(tmp_path: Path) -> None:
    report = ingest_into(tmp_path / "real.duckdb", [GBK]).as_dict()
    # 13 data lines: A001..A011 with A001 twice and one row without id
    assert report["rows_read"] == 13
    assert report["imported"] == 9  # A001 A002 A003 A004 A005 A007 A008 A009 A010
    assert report["duplicates"] == 1  # the second A001
    assert report["updated"] == 0
    assert report["quarantined"] == 3
    assert report["quarantine_reasons"] == {
        "受理时间无法识别": 1,
        "缺少工单编号": 1,
        "字段数 18 多于表头 16": 1,
    }
    # names: 学院路街道, 广外, 海淀区学院路街道办事处, 沙河镇, 西红门镇, 学院路; point: A004; address: A005
    assert report["matched_by"] == {
        "code": 0, "name": 6, "alias": 0, "address": 1, "text": 0, "unit": 0, "point": 1,
    }  # fmt: skip
    assert report["unmatched"] == 1  # A010 不存在街道
    assert report["conflicts"] == 1  # A009: named 学院路, point in 望京
    assert report["crs"] == {"export_gbk.csv": "gcj02"}
    evidence = report["crs_evidence"]["export_gbk.csv"]
    assert evidence["gcj02"] > evidence["wgs84"] and evidence["gcj02"] > evidence["bd09"]
    assert report["personal_fields_dropped"] == ["name", "phone"]
    assert report["months"] == ["2021-05"]


def test_quarantine_keeps_line_and_reason(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [GBK])
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT line, reason FROM quarantine ORDER BY line").fetchall()
    con.close()
    assert rows == [(8, "受理时间无法识别"), (9, "缺少工单编号"), (14, "字段数 18 多于表头 16")]


def test_records_as_parsed(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [GBK])
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute(
        """SELECT record_id, strftime(received_at, '%Y-%m-%d %H:%M'), town_name, assign_method,
        responded, evaluated, resolved, satisfied FROM records ORDER BY record_id"""
    ).fetchall()
    con.close()
    assert got == [
        ("A001", "2021-05-03 10:22", "学院路街道", "name", True, True, True, True),
        ("A002", "2021-05-04 09:05", "广安门外街道", "name", True, True, False, False),
        (
            "A003",
            "2021-05-05 12:00",
            "学院路街道",
            "name",
            True,
            True,
            True,
            True,
        ),  # Excel serial; 基本满意
        ("A004", "2021-05-06 08:30", "回龙观街道", "point", True, False, False, False),
        ("A005", "2021-05-07 00:00", "望京街道", "address", False, False, False, False),
        ("A007", "2021-05-09 14:00", "沙河地区", "name", True, True, True, True),  # score 4
        ("A008", "2021-05-10 16:45", "西红门地区", "name", True, True, False, False),
        ("A009", "2021-05-11 09:00", "学院路街道", "name", True, True, True, True),
        ("A010", "2021-05-12 11:11", None, "none", True, False, False, False),
    ]


def test_reimport_adds_nothing_and_a_changed_record_updates(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [GBK])
    before = _tables(db)
    again = ingest_into(db, [GBK]).as_dict()
    assert (again["imported"], again["updated"], again["duplicates"]) == (0, 0, 10)
    after = _tables(db)
    assert {k: v for k, v in after.items() if k != "imports"} == {
        k: v for k, v in before.items() if k != "imports"
    }
    changed = tmp_path / "export_changed.csv"
    changed.write_bytes(
        GBK.read_bytes().replace("路灯不亮".encode("gbk"), "路灯坏了".encode("gbk"))
    )
    report = ingest_into(db, [changed]).as_dict()
    assert (report["imported"], report["updated"]) == (0, 1)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM records").fetchone() == (9,)
    assert (
        con.execute("SELECT text FROM records WHERE record_id = 'A002'")
        .fetchone()[0]
        .startswith("路灯坏了")
    )
    con.close()


def test_failed_import_leaves_the_store_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [XLSX])
    before = _tables(db)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "refresh_aggregates", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_into(db, [GBK])
    assert _tables(db) == before


def test_no_personal_data_reaches_the_store(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [GBK, XLSX])
    for table, rows in _tables(db).items():
        for row in rows:
            assert not PERSONAL.search(row), f"personal data in {table}: {row}"


def test_bd09_xlsx_with_scores(tmp_path: Path) -> None:
    report = ingest_into(tmp_path / "real.duckdb", [XLSX]).as_dict()
    assert report["crs"] == {"export_bd09.xlsx": "bd09"}
    assert report["crs_evidence"]["export_bd09.xlsx"]["bd09"] == 1.0
    assert (report["imported"], report["quarantined"]) == (4, 0)
    con = duckdb.connect(str(tmp_path / "real.duckdb"), read_only=True)
    got = con.execute(
        "SELECT record_id, evaluated, satisfied, strftime(received_at, '%Y-%m-%d %H:%M') FROM records ORDER BY 1"
    ).fetchall()
    con.close()
    assert got == [
        ("B001", True, True, "2021-06-01 06:00"),  # serial 44348.25; score 5
        ("B002", True, False, "2021-06-02 08:00"),  # score 2
        ("B003", False, False, "2021-06-03 00:00"),  # no answer: not evaluated
        ("B004", True, True, "2021-06-04 18:30"),  # score 4 ≥ 4
    ]


def test_rankings_follow_the_import(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [GBK])
    con = store.connect(db, read_only=True)
    m = queries.town_measures(con, View.of(Filters("2021-05", "2021-05")))
    con.close()
    top = m.iloc[0]
    assert (top["town_name"], top["volume"], top["rank"]) == (
        "学院路街道",
        3,
        1,
    )  # A001, A003, A009


def test_demo_store_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    con = store.connect(db)
    store.set_meta(con, synthetic=True)
    con.close()
    with pytest.raises(StoreError, match="演示数据库"):
        ingest_into(db, [GBK])


def test_unknown_layout_lists_headers(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("甲,乙,丙\n1,2,3\n", encoding="utf-8")
    with pytest.raises(HeatmapError, match=r"读到的表头：\['甲', '乙', '丙'\]"):
        ingest_into(tmp_path / "real.duckdb", [path])


def test_mapping_file_overrides(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[columns]\n"甲" = "record_id"\n"乙" = "received_at"\n"丙" = "town_raw"\n', encoding="utf-8"
    )
    path = tmp_path / "odd.csv"
    path.write_text("甲,乙,丙\nX1,2021-05-01,学院路\n", encoding="utf-8")
    report = ingest_into(
        tmp_path / "real.duckdb", [path], options=ImportOptions(mapping=load_mapping(mapping))
    )
    assert report.as_dict()["matched_by"]["name"] == 1
    with pytest.raises(HeatmapError, match="未知"):
        bad = tmp_path / "bad.toml"
        bad.write_text('[columns]\n"甲" = "nonsense"\n', encoding="utf-8")
        load_mapping(bad)


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = tmp_path / "export.doc"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(HeatmapError, match="不支持的文件类型"):
        ingest_into(tmp_path / "real.duckdb", [path])


def test_headers_in_english_and_spacing() -> None:
    fields = match_headers(["Ticket_ID", " created_at ", "Street", "Phone"], {}, source="x")
    assert fields == {
        "Ticket_ID": "record_id",
        " created_at ": "received_at",
        "Street": "town_raw",
        "Phone": "phone",
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-05-03 10:22:01", "2021-05-03 10:22:01"),
        ("2021/5/4 9:05", "2021-05-04 09:05:00"),
        ("2021年5月6日 8时30分", "2021-05-06 08:30:00"),
        ("44321.5", "2021-05-05 12:00:00"),
        ("20210503102201", "2021-05-03 10:22:01"),
        ("20210503", "2021-05-03 00:00:00"),
        ("not a date", None),
        ("1999-01-01", None),  # before any export: implausible
        ("", None),
    ],
)
def test_parse_times(text: str, expected: str | None) -> None:
    got = parse_times(pd.Series([text])).iloc[0]
    assert (None if pd.isna(got) else str(got)) == expected


def test_parse_flags() -> None:
    got = parse_flags(
        pd.Series(["是", "否", "1", "0", "已响应", "未响应", "", "TRUE", "x"])
    ).tolist()
    assert got == [True, False, True, False, True, False, False, True, False]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("请回电13812345678谢谢", "请回电138****5678谢谢"),
        ("座机010-62345678", "座机010-*******"),
        ("没有电话", "没有电话"),
    ],
)
def test_mask_personal(text: str, expected: str) -> None:
    assert mask_personal(text) == expected


def test_copy_of_fixture_is_not_needed(tmp_path: Path) -> None:
    """Importing reads the file only: the fixture is unchanged afterwards."""
    copy = tmp_path / GBK.name
    shutil.copy(GBK, copy)
    ingest_into(tmp_path / "real.duckdb", [copy])
    assert copy.read_bytes() == GBK.read_bytes()


# --------------------------------------------------------------------------- times and content hash

_HEADER = "工单编号,受理时间,所属区,街乡镇,诉求内容\n"
#: The same three records, with their times as text (whole seconds) …
_AS_TEXT = [
    ("C001", "2021-05-05 12:00:00"),
    ("C002", "2021-05-06 08:30:15"),
    ("C003", "2021-05-06 08:30:15"),
]
#: … and as an Excel export writes them as numbers: day 44321 after 1899-12-30 is 2021-05-05;
#: 08:30:15 is 30 615 s = 0.354340277… of a day, stored as a double whose shortest decimal
#: form here lies above (…778) or below (…774) the exact second.
_AS_SERIAL = [("C001", "44321.5"), ("C002", "44322.35434027778"), ("C003", "44322.354340277774")]


def _export(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = [f"{rid},{when},海淀区,学院路街道,路灯不亮" for rid, when in rows]
    path.write_text(_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_excel_serial_times_are_read_to_the_second() -> None:
    got = parse_times(pd.Series([when for _, when in _AS_SERIAL], dtype="str"))
    assert got.dtype == "datetime64[us]"
    assert [str(t) for t in got] == [
        "2021-05-05 12:00:00",
        "2021-05-06 08:30:15",
        "2021-05-06 08:30:15",
    ]
    # alone, beside text, or beside another layout: always microseconds
    for values in (["44321.5"], ["44321.5", "2021-05-06 08:30:15"], ["2021/5/5 12:00", "44321.5"]):
        assert parse_times(pd.Series(values, dtype="str")).dtype == "datetime64[us]"


def test_reimport_of_excel_serial_times_is_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    serial = _export(tmp_path / "serial.csv", _AS_SERIAL)
    first = ingest_into(db, [serial]).as_dict()
    assert (first["imported"], first["updated"], first["duplicates"]) == (3, 0, 0)
    again = ingest_into(db, [serial]).as_dict()
    assert (again["imported"], again["updated"], again["duplicates"]) == (0, 0, 3)
    # the same records with their times as text: the same content, nothing updated
    text = ingest_into(db, [_export(tmp_path / "text.csv", _AS_TEXT)]).as_dict()
    assert (text["imported"], text["updated"], text["duplicates"]) == (0, 0, 3)
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute(
        "SELECT record_id, strftime(received_at, '%Y-%m-%d %H:%M:%S.%f') FROM records ORDER BY 1"
    ).fetchall()
    con.close()
    assert got == [
        ("C001", "2021-05-05 12:00:00.000000"),
        ("C002", "2021-05-06 08:30:15.000000"),
        ("C003", "2021-05-06 08:30:15.000000"),
    ]


def test_text_then_serial_times_is_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "real.duckdb"
    ingest_into(db, [_export(tmp_path / "text.csv", _AS_TEXT)])
    report = ingest_into(db, [_export(tmp_path / "serial.csv", _AS_SERIAL)]).as_dict()
    assert (report["imported"], report["updated"], report["duplicates"]) == (0, 0, 3)


def test_content_hash_is_of_the_time_in_microseconds() -> None:
    from heatmap.intake.records import CONTENT_COLUMNS, content_hash

    rows = pd.DataFrame({c: [None, None] for c in CONTENT_COLUMNS})
    rows["received_at"] = pd.to_datetime(["2021-05-06 08:30:15", "2021-05-05 12:00:00"])
    hashes = {
        unit: tuple(content_hash(rows.assign(received_at=rows["received_at"].astype(unit))))
        for unit in ("datetime64[s]", "datetime64[ms]", "datetime64[us]", "datetime64[ns]")
    }
    assert len(set(hashes.values())) == 1


# --------------------------------------------------------------------------- blocks


def test_blocks_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Written in blocks of 2 records (ids repeated across blocks and files, changed records
    replaced), the store and the reports equal those of one block."""
    changed = tmp_path / "export_changed.csv"
    changed.write_bytes(
        GBK.read_bytes().replace("路灯不亮".encode("gbk"), "路灯坏了".encode("gbk"))
    )
    runs = {}
    for rows in (store.BLOCK_ROWS, 2):
        monkeypatch.setattr(store, "BLOCK_ROWS", rows)
        db = tmp_path / f"blocks_{rows}.duckdb"
        reports = [
            ingest_into(db, files).as_dict() for files in ([GBK, XLSX, GBK], [GBK], [changed, XLSX])
        ]
        con = duckdb.connect(str(db), read_only=True)
        tables = {
            table: sorted(map(repr, con.execute(f"SELECT * EXCLUDE (loaded_at) FROM {table}").fetchall()))
            if table == "quarantine"
            else sorted(map(repr, con.execute(f"SELECT * FROM {table}").fetchall()))
            for table in ("records", "quarantine", "agg_town_month", "agg_cell_month", "agg_town_day")
        }  # fmt: skip
        con.close()
        runs[rows] = reports, tables
    one, blocked = runs.values()
    assert one == blocked
    assert [(r["imported"], r["updated"], r["duplicates"]) for r in one[0]] == [
        (13, 0, 11),  # GBK 9 + XLSX 4; the second GBK and GBK's own A001 twice
        (0, 0, 10),
        (0, 1, 13),  # A002's text changed
    ]
    assert len(one[1]["records"]) == 13
