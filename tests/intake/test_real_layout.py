"""A GBK export with the real headers (序号, 主要内容, 被反映街乡镇 …): every clue to the town
used in its order, placeholders missing, category paths and communities kept, identifiers
masked. Every expectation below is worked out by hand from the rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from heatmap.intake.loading import ingest_into

HEADER = "序号,主要内容,被反映街乡镇,所在村社区,一级承办单位,二级承办单位简称,一级分类,二级分类,三级分类,创建时间,派单时间"
ROWS = [
    # 1: town 不详, the text names 广外街道 -> 广安门外街道 by the text; an identity number
    "1,姓名：张三，身份证号：110101199003074518，反映广外街道三义里小区暖气不热,不详,三义里社区,"
    "西城区政府,广安门外街道办事处,市政,供热,供暖室温不达标,2021-05-03 10:00:00,2021-05-03 11:00:00",
    # 2: town 无, no town in the text, the second unit is 回龙观镇人民政府 -> 回龙观街道 by the unit
    "2,楼下餐馆油烟扰民，联系电话13812345678,无,—,昌平区政府,回龙观镇人民政府,生态环境,大气,"
    "餐饮油烟,2021-05-04 09:00:00,2021-05-04 10:00:00",
    # 3: the town column names it
    "3,小区停车难,学院路街道,学院路社区,海淀区政府,学院路街道办事处,交通,,停车难,"
    "2021-05-05 08:00:00,",
    # 4: nothing names a town (a unit that is no town office): no town, not guessed
    "4,反映问题,—,,北京市公安局,公安分局,,,,2021-05-06 08:00:00,",
    # 5: the text names two towns (ambiguous), the unit decides among them: 学院路街道 by the unit
    "5,我住在学院路街道，投诉清河街道的工地夜间施工,未知,,海淀区政府,学院路街道办事处,,,,"
    "2021-05-07 08:00:00,",
    # 6: the text names 八里庄街道 (朝阳 and 海淀): stays ambiguous with both candidates
    "6,八里庄街道某小区停车难,N/A,,,,,,,2021-05-08 08:00:00,",
    # 7: no time: quarantined, its identity number masked there too
    "7,身份证号110101199003074514 反映噪音,学院路街道,,,,,,,,",
]


@pytest.fixture
def imported(tmp_path: Path) -> tuple[dict, list[tuple], list[tuple]]:
    path = tmp_path / "real_export.csv"
    path.write_bytes(("\n".join([HEADER, *ROWS]) + "\n").encode("gbk"))
    db = tmp_path / "real.duckdb"
    report = ingest_into(db, [path]).as_dict()
    con = duckdb.connect(str(db), read_only=True)
    try:
        records = con.execute(
            """SELECT text, town_code, assign_method, assign_note, town_raw, community,
                      category_path, problem
               FROM records ORDER BY received_at"""
        ).fetchall()
        quarantine = con.execute("SELECT line, reason, raw FROM quarantine").fetchall()
    finally:
        con.close()
    return report, records, quarantine


def test_every_clue_in_order(imported: tuple[dict, list[tuple], list[tuple]]) -> None:
    report, records, _ = imported
    assert [(r[1], r[2]) for r in records] == [
        ("110102020", "text"),
        ("110114011", "unit"),
        ("110108010", "name"),
        (None, "none"),
        ("110108010", "unit"),
        (None, "ambiguous"),
    ]
    assert "八里庄街道（朝阳区）" in records[5][3] and "八里庄街道（海淀区）" in records[5][3]
    assert report["matched_by"] == {
        "code": 0, "name": 1, "alias": 0, "address": 0, "text": 1, "unit": 2, "point": 0,
    }  # fmt: skip
    assert report["unmatched"] == 2 and report["ambiguous"] == 1


def test_placeholders_are_missing_never_alias_candidates(
    imported: tuple[dict, list[tuple], list[tuple]],
) -> None:
    report, records, _ = imported
    assert [r[4] for r in records] == [None, None, "学院路街道", None, None, None]
    assert [r[5] for r in records] == ["三义里社区", None, "学院路社区", None, None, None]
    assert not any("别名" in reason for reason in report["unmatched_reasons"])


def test_category_path_kept_and_mapped(imported: tuple[dict, list[tuple], list[tuple]]) -> None:
    _, records, _ = imported
    assert [r[6] for r in records] == [
        "市政>供热>供暖室温不达标",
        "生态环境>大气>餐饮油烟",
        "交通>停车难",
        None,
        None,
        None,
    ]
    assert records[0][7] == "供暖室温不达标" and records[2][7] == "停车难"
    assert imported[0]["unmapped_categories"] == {"生态环境>大气>餐饮油烟": 1}


def test_identifiers_masked_in_records_and_quarantine(
    imported: tuple[dict, list[tuple], list[tuple]],
) -> None:
    report, records, quarantine = imported
    assert records[0][0] == "姓名：[姓名]，身份证号：[身份证号]，反映广外街道三义里小区暖气不热"
    assert records[1][0] == "楼下餐馆油烟扰民，联系电话138****5678"
    assert quarantine == [
        (8, "受理时间无法识别", quarantine[0][2]),
    ]
    assert "110101199003074514" not in quarantine[0][2] and "[身份证号]" in quarantine[0][2]
    assert report["personal_masked"] == {
        "email": 0, "id_number": 2, "bank_card": 0, "phone": 1, "plate": 0, "name": 1,
    }  # fmt: skip


def test_reimport_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "real_export.csv"
    path.write_bytes(("\n".join([HEADER, *ROWS]) + "\n").encode("gbk"))
    db = tmp_path / "real.duckdb"
    ingest_into(db, [path])
    again = ingest_into(db, [path]).as_dict()
    assert again["imported"] == 0 and again["updated"] == 0 and again["duplicates"] == 6
