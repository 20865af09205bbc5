"""Personal data masked in free text: a generated corpus of every identifier form and look-alike.

Every expectation is written out by hand: each identifier form is listed with the text it must
become, each look-alike must come out unchanged. The corpus places every identifier in every
template beside three look-alikes (and every look-alike alone in every template), so a rule that
masks too little or too much shows as a text that differs from the hand-written one.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import cycle, islice
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from heatmap.intake.loading import ingest_into
from heatmap.intake.privacy import KINDS, mask_column, mask_text, mask_values

# (written, masked, kind): every form of every kind, masks written by hand.
IDENTIFIERS: list[tuple[str, str, str]] = [
    # identity numbers: 18 digits with a valid check digit (7·9·10·5·8·4·2·1·6·3·7·9·10·5·8·4·2
    # mod 11 -> 1 0 X 9 8 7 6 5 4 3 2), grouped or not; 15-digit old form; full-width
    ("110101199003074514", "[身份证号]", "id_number"),
    ("11010519491231002X", "[身份证号]", "id_number"),
    ("11010519491231002x", "[身份证号]", "id_number"),
    ("110108198506151235", "[身份证号]", "id_number"),
    ("440304200012318762", "[身份证号]", "id_number"),
    ("110101 19900307 4514", "[身份证号]", "id_number"),
    ("110101-1990-0307-4514", "[身份证号]", "id_number"),
    ("110108 1985 0615 1235", "[身份证号]", "id_number"),
    ("１１０１０１１９９００３０７４５１４", "[身份证号]", "id_number"),
    ("110101900307451", "[身份证号]", "id_number"),  # 15 digits: 1990-03-07
    ("110228700101001", "[身份证号]", "id_number"),  # 15 digits: 1970-01-01
    # after 身份证号 the number is masked whatever its check digit (the issue's own example)
    ("身份证号：110101199003074518", "身份证号：[身份证号]", "id_number"),
    ("身份证号码 110101199003074519", "身份证号码 [身份证号]", "id_number"),
    ("证件号：110101900307999", "证件号：[身份证号]", "id_number"),
    # mobile numbers: first three and last four digits kept
    ("13812345678", "138****5678", "phone"),
    ("19911112222", "199****2222", "phone"),
    ("138-1234-5678", "138****5678", "phone"),
    ("138 1234 5678", "138****5678", "phone"),
    ("+86 13812345678", "+86 138****5678", "phone"),
    ("+86-138-1234-5678", "+86-138****5678", "phone"),
    ("008613812345678", "0086138****5678", "phone"),
    ("8613812345678", "86138****5678", "phone"),
    ("１３８１２３４５６７８", "１３８****５６７８", "phone"),
    # landlines: the area code kept
    ("010-62345678", "010-*******", "phone"),
    ("010 62345678", "010 *******", "phone"),
    ("01062345678", "010*******", "phone"),
    ("(010)62345678", "(010)*******", "phone"),
    ("（010）6234567", "（010）*******", "phone"),
    ("0755-12345678", "0755-*******", "phone"),
    ("+86 10 62345678", "+86 10 *******", "phone"),
    ("+86-10-6234-5678", "+86-10-6234-5678", "none"),  # 4-4 groups after the area code: kept
    # without area code only after a word naming a phone
    ("电话：62345678", "电话：*******", "phone"),
    ("座机62345678", "座机*******", "phone"),
    ("请拨打 6234567", "请拨打 *******", "phone"),
    # bank cards: Luhn-valid 16-19 digits starting like a card, or after 卡号 / 账号
    ("6222021234567890128", "[银行卡号]", "bank_card"),
    ("6222 0212 3456 7890 128", "[银行卡号]", "bank_card"),
    ("6222-0212-3456-7890-128", "[银行卡号]", "bank_card"),
    ("622848012345678900", "[银行卡号]", "bank_card"),
    ("4392260012345672", "[银行卡号]", "bank_card"),
    ("5187180012345678", "[银行卡号]", "bank_card"),
    ("卡号9558801234567890128", "卡号[银行卡号]", "bank_card"),
    ("账号：9558 8012 3456 7890 128", "账号：[银行卡号]", "bank_card"),
    # e-mail addresses
    ("zhang.san@163.com", "[邮箱]", "email"),
    ("13812345678@qq.com", "[邮箱]", "email"),
    ("li_si+12345@example.com.cn", "[邮箱]", "email"),
    # licence plates, new-energy plates with six characters
    ("京A12345", "[车牌]", "plate"),
    ("京AD12345", "[车牌]", "plate"),
    ("京A12345D", "[车牌]", "plate"),
    ("京N·8B5C2", "[车牌]", "plate"),
    ("京QF1234", "[车牌]", "plate"),
    ("冀B12345", "[车牌]", "plate"),
    # names where the text marks them
    ("姓名：张三", "姓名：[姓名]", "name"),
    ("姓名:李四", "姓名:[姓名]", "name"),
    ("姓名 王小明", "姓名 [姓名]", "name"),
    ("姓名张家豪", "姓名[姓名]", "name"),
    ("联系人：赵丽", "联系人：[姓名]", "name"),
    ("联系人刘伟", "联系人[姓名]", "name"),
    ("来电人：孙红梅", "来电人：[姓名]", "name"),
    ("投诉人周杰", "投诉人[姓名]", "name"),
    ("我叫吴刚", "我叫[姓名]", "name"),
    ("我叫欧阳娜娜", "我叫[姓名]", "name"),
    ("本人郑成功", "本人[姓名]", "name"),
    ("市民钱多多", "市民[姓名]", "name"),
    ("张先生", "[姓名]", "name"),
    ("李女士", "[姓名]", "name"),
    ("王小姐", "[姓名]", "name"),
    ("市民陈先生", "市民[姓名]", "name"),
    ("联系人：黄女士", "联系人：[姓名]", "name"),
    ("王某", "[姓名]", "name"),
    ("赵某某", "[姓名]", "name"),
    ("刘某女士", "[姓名]", "name"),
]

# Texts that look like an identifier and must stay as they are.
LOOK_ALIKES: list[str] = [
    "工单编号2021050100123",
    "工单编号202105010012345",  # 15 digits after 编号
    "订单号6222021234567890128",  # a Luhn-valid number after 订单号 is not a card
    "受理时间20210503",
    "2021-05-03 10:22:01",
    "2021年5月3日",
    "金额1500元",
    "退费12,345.00元",
    "3号楼2单元501",
    "18号院7号楼1门1102室",
    "拨打12345热线",
    "邮编100083",
    "110101199003074519",  # 18 digits, wrong check digit, no 身份证 before it: not an ID
    "110101199013074514",  # month 13: not an ID
    "130102200102290015",  # 2001-02-29 does not exist
    "1101011990030745",  # 16 digits starting 11, not Luhn-valid: neither ID nor card
    "京ICP备05012345号",
    "G6京藏高速",
    "忘带身份证",
    "本人房屋漏水",
    "本人车辆被刮",
    "本人于今年5月",
    "居民楼下",
    "业主委员会",
    "市民反映",
    "于某日",
    "向某单位",
    "我和先生住在这里",
    "向女士们致歉",
    "某先生",
    "10kV线路",
    "第3次来电",
]

TEMPLATES: list[str] = [
    "{x}，{y}，反映小区垃圾清运不及时",
    "来电反映：{y}；{x}，请尽快处理。",
    "诉求内容：{x}。{y}。",
    "{y}，{x}",
    "海淀区学院路街道{y}，{x}，希望解决",
    "（{x}）{y}",
    "【{y}】{x}\n回复：已转交",
    "{x} {y} 供暖室温不达标",
    "物业说 {x}；另：{y}",
    "{y}。{x}！",
    "Re: {x} / {y}",
    "{x}、{y}、停车难",
]


def corpus() -> list[tuple[str, str, Counter[str]]]:
    """(text, expected masked text, expected counts): every identifier in every template beside
    three look-alikes, every look-alike alone in every template, and mixed texts."""
    out = []
    looks = cycle(LOOK_ALIKES)
    for written, masked, kind in IDENTIFIERS:
        for template in TEMPLATES:
            for look in islice(looks, 3):
                count = Counter() if kind == "none" else Counter({kind: 1})
                out.append(
                    (template.format(x=written, y=look), template.format(x=masked, y=look), count)
                )
    for look in LOOK_ALIKES:
        for template in TEMPLATES:
            out.append((template.format(x="", y=look), template.format(x="", y=look), Counter()))
    real = [i for i in IDENTIFIERS if i[2] != "none"]
    for i, template in enumerate(TEMPLATES * 20):
        a, b = real[i % len(real)], real[(i * 7 + 3) % len(real)]
        count = Counter({a[2]: 1}) + Counter({b[2]: 1})
        out.append((template.format(x=a[0], y=b[0]), template.format(x=a[1], y=b[1]), count))
    return out


CORPUS = corpus()


def test_corpus_is_large_and_covers_every_kind() -> None:
    assert len(CORPUS) >= 2000
    assert {k for _, _, c in CORPUS for k in c} == set(KINDS)


def test_every_identifier_masked_and_no_look_alike_harmed() -> None:
    wrong = []
    for text, expected, count in CORPUS:
        got, found = mask_text(text)
        if got != expected or found != count:
            wrong.append((text, got, expected, dict(found), dict(count)))
    assert not wrong, f"{len(wrong)} of {len(CORPUS)} texts wrong, e.g. {wrong[:5]}"


@pytest.mark.parametrize("look", LOOK_ALIKES)
def test_look_alike_alone_is_untouched(look: str) -> None:
    assert mask_text(look) == (look, Counter())


def test_issue_example() -> None:
    text = "姓名：张三，身份证号：110101199003074518，手机号：13812345678，家住西城区广外街道"
    assert mask_text(text) == (
        "姓名：[姓名]，身份证号：[身份证号]，手机号：138****5678，家住西城区广外街道",
        Counter({"name": 1, "id_number": 1, "phone": 1}),
    )


def test_masking_twice_changes_nothing() -> None:
    once = [mask_text(t)[0] for t, _, _ in CORPUS]
    assert all(mask_text(t) == (t, Counter()) for t in once)


def test_column_equals_cell_by_cell_with_counts_per_cell() -> None:
    texts = [t for t, _, _ in CORPUS[:400]]
    values = pd.Series([*texts, *texts[:50], "", "无"], dtype="str")  # repeats counted twice
    got, counts = mask_column(values)
    expected, total = mask_values(values.tolist())
    assert got.tolist() == expected
    assert counts == total
    as_object = values.astype("object").where(values != "", None)
    got_object, counts_object = mask_column(as_object)
    assert got_object.tolist() == [None if v == "" else v for v in expected]
    assert counts_object == total


def test_import_keeps_nothing_personal(tmp_path: Path) -> None:
    """Identifiers in the text, the address, the town column and a quarantined row are masked
    in every table of the store, and counted in the report."""
    csv = tmp_path / "export.csv"
    rows = [
        "工单编号,受理时间,街乡镇,详细地址,诉求内容,来电号码,姓名",
        "P1,2021-05-03 10:00:00,学院路街道,学院路1号 联系人张三,"
        "姓名：张三，身份证号：110101199003074518，手机13812345678,13812345678,张三",
        "P2,2021-05-03 11:00:00,学院路街道,学院路2号,车牌京A12345 邮箱zhang.san@163.com,,",
        "P3,not a time,学院路街道,学院路3号,身份证110101199003074514 卡号6222021234567890128,,",
        "P4,2021-05-03 12:00:00,学院路街道,学院路4号,手机13912345678,,,多余",  # a broken line
    ]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "real.duckdb"
    report = ingest_into(db, [csv]).as_dict()
    assert report["imported"] == 2 and report["quarantined"] == 2
    assert report["personal_masked"] == {
        "email": 1, "id_number": 2, "bank_card": 1, "phone": 2, "plate": 1, "name": 2,
    }  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        dump = json.dumps(
            {t: con.execute(f"SELECT * FROM {t}").fetchall() for t in tables},
            ensure_ascii=False, default=str,
        )  # fmt: skip
        stored = con.execute("SELECT text FROM records ORDER BY record_id").fetchall()
    finally:
        con.close()
    for secret in ("张三", "1101011990030745", "13812345678", "京A12345", "zhang.san",
                   "6222021234567890128", "13912345678"):  # fmt: skip
        assert secret not in dump
    assert stored == [
        ("姓名：[姓名]，身份证号：[身份证号]，手机138****5678",),
        ("车牌[车牌] 邮箱[邮箱]",),
    ]


def test_scan_counts_then_masks_an_old_store_in_one_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store written before the rules (identifiers put back into it by hand): ``privacy scan``
    counts them, ``--apply`` masks them and is audited, a second scan finds nothing, and a
    re-import of the export adds nothing (hashes recomputed)."""
    from heatmap.access import audit
    from heatmap.cli import main

    csv = tmp_path / "export.csv"
    csv.write_text(
        "工单编号,受理时间,街乡镇,诉求内容\n"
        "S1,2021-05-03 10:00:00,学院路街道,身份证号：110101199003074518 反映噪音\n"
        "S2,2021-05-03 11:00:00,学院路街道,李女士反映停车难\n"
        ",2021-05-03 12:00:00,学院路街道,手机13812345678\n",
        encoding="utf-8",
    )
    db = tmp_path / "old.duckdb"
    ingest_into(db, [csv])
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE records SET text = '身份证号：110101199003074518 反映噪音' WHERE record_id = 'S1'"
    )
    con.execute(
        "UPDATE records SET text = '李女士反映停车难', address = '京A12345' WHERE record_id = 'S2'"
    )
    con.execute("UPDATE quarantine SET raw = raw || ' 手机13812345678'")
    con.close()

    assert main(["privacy", "scan", "--db", str(db), "--by", "tester"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["applied"] is False
    assert found["found"] == {
        "email": 0, "id_number": 1, "bank_card": 0, "phone": 1, "plate": 1, "name": 1,
    }  # fmt: skip
    assert found["cells"]["records.text"] == 2 and found["cells"]["quarantine.raw"] == 1
    con = duckdb.connect(str(db), read_only=True)
    assert "110101199003074518" in str(con.execute("SELECT text FROM records").fetchall())
    con.close()  # (a scan without --apply changes nothing)

    assert main(["privacy", "scan", "--db", str(db), "--apply", "--by", "tester"]) == 0
    assert json.loads(capsys.readouterr().out)["found"]["id_number"] == 1
    con = duckdb.connect(str(db), read_only=True)
    texts = con.execute("SELECT record_id, text, address FROM records ORDER BY 1").fetchall()
    raw = con.execute("SELECT raw FROM quarantine").fetchall()
    con.close()
    assert texts == [
        ("S1", "身份证号：[身份证号] 反映噪音", None),
        ("S2", "[姓名]反映停车难", "[车牌]"),
    ]
    assert "13812345678" not in str(raw) and "138****5678" in str(raw)
    events = audit.read(db, user="tester")  # newest first
    assert list(events["action"]) == ["privacy_clean", "privacy_scan"]
    assert json.loads(events["detail"].iloc[0])["id_number"] == 1

    assert main(["privacy", "scan", "--db", str(db)]) == 0
    assert set(json.loads(capsys.readouterr().out)["found"].values()) == {0}
    report = ingest_into(db, [csv]).as_dict()
    assert report["imported"] == 0 and report["updated"] == 1  # S2's address was changed by hand


def test_scan_of_a_missing_store_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from heatmap.cli import main

    assert main(["privacy", "scan", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "数据库文件不存在" in capsys.readouterr().err
