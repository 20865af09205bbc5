"""One name rule for town columns, addresses and request texts.

Every form :meth:`Gazetteer.resolve` accepts for a unit (official name, former name, its core
with every ending, 镇 for a 街道 and the like, office forms, short names such as 广外街道 and
经开区 / 亦庄开发区) is placed inside address templates and text templates; the address and
the text must give the town the name gives. Bare cores (学院路) and two-character short names
(广外) are read only in the town column: in free text they are street names as often as towns.
Anchors from the issue are checked by hand first.
"""

from __future__ import annotations

import pytest

from heatmap.geo.geography import load_former_towns, load_township_list
from heatmap.geo.names import _ENDINGS, ALIASES, DISTRICTS, Gazetteer

ADDRESS = (
    "{d}{t}幸福里5号",
    "北京市{d}{t}回南北路68号院3号楼",
    "{d}{t}东侧路口",
)
TEXT = (
    "市民来电反映{d}{t}幸福里小区楼下噪音扰民，希望尽快处理。",
    "反映：{d}{t}某路段积水严重",
    "我家住在{d}{t}，小区垃圾清运不及时",
)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    towns = load_township_list().rename(columns={"code9": "town_code", "name": "town_name"})
    return Gazetteer(towns, former=load_former_towns())


@pytest.mark.parametrize(
    "text, district, expected",
    [
        ("西城区广外街道三义里5号", None, "110102020"),  # 广安门外街道
        ("昌平区回龙观镇回南北路68号", None, "110114011"),  # 回龙观街道
        ("大兴区经济技术开发区科创十三街18号", None, "110115403"),
        ("北京市经济技术开发区荣华中路10号", None, "110115403"),
        ("亦庄开发区科创街", None, "110115403"),
        ("经开区荣华中路", None, "110115403"),
        ("大兴经济开发区辖区内某小区门口", None, "110115405"),  # not 北京经济技术开发区
    ],
)
def test_issue_addresses(gazetteer: Gazetteer, text: str, district: str, expected: str) -> None:
    assert gazetteer.parse_address(text, district=district).code == expected
    assert gazetteer.parse_text(f"市民反映{text}噪音", district=district).code == expected


def _forms(gazetteer: Gazetteer) -> list[tuple[str, str, str]]:
    """(form, district code, town code): every form with an ending, alias or former name that
    resolve reads as one town in its district."""
    towns = load_township_list()
    candidates: set[tuple[str, str]] = set()
    endings = [e for e, _ in _ENDINGS]
    for row in towns.itertuples(index=False):
        candidates.add((row.name, row.district_code))
        core = gazetteer._by_code[row.code9].core
        if row.kind != "其他":
            candidates |= {(core + e, row.district_code) for e in endings}
    for row in load_former_towns().itertuples(index=False):
        candidates.add((row.old_name, str(row.district_code)))
    for short, target in ALIASES.items():
        district = towns.loc[towns["name"] == target, "district_code"]
        for d in district:
            candidates.add((short, d))
            candidates |= {(short + e, d) for e in endings}
    out = []
    for form, district in sorted(candidates):
        if len(form) < 3:
            continue
        found = gazetteer.resolve(form, district=district)
        if found.ok and found.code is not None:
            out.append((form, district, found.code))
    return out


def test_every_form_reads_alike_in_addresses_and_texts(gazetteer: Gazetteer) -> None:
    forms = _forms(gazetteer)
    assert len(forms) > 3000
    wrong = []
    cases = 0
    for form, district, code in forms:
        name = DISTRICTS[district]
        for template in ADDRESS:
            for d, given in ((name, None), ("", district)):  # district in the text, or a column
                cases += 1
                got = gazetteer.parse_address(template.format(d=d, t=form), district=given)
                if got.code != code:
                    wrong.append(("address", template.format(d=d, t=form), given, code, got))
        for template in TEXT:
            for d, given in ((name, None), ("", district)):
                cases += 1
                got = gazetteer.parse_text(template.format(d=d, t=form), district=given)
                if got.code != code:
                    wrong.append(("text", template.format(d=d, t=form), given, code, got))
    print(f"\nname rule corpus: {len(forms):,} forms, {cases:,} addresses and texts")
    assert not wrong, f"{len(wrong)} of {cases}: {wrong[:10]}"


@pytest.mark.parametrize(
    "text, expected_status, candidates",
    [
        ("我住在学院路街道，投诉清河街道的工地夜间施工", "ambiguous", {"110108010", "110108017"}),
        ("反映幸福里小区噪音", "unknown", set()),
        ("八里庄街道某小区停车难", "ambiguous", {"110105015", "110108005"}),  # 朝阳, 海淀
    ],
)
def test_text_never_guesses(
    gazetteer: Gazetteer, text: str, expected_status: str, candidates: set[str]
) -> None:
    found = gazetteer.parse_text(text)
    assert found.code is None and found.status == expected_status
    assert set(found.candidates) == candidates


@pytest.mark.parametrize(
    "unit, expected",
    [
        ("学院路街道办事处", "110108010"),
        ("海淀区学院路街道", "110108010"),
        ("回龙观镇人民政府", "110114011"),
        ("昌平区城管委", None),
        ("北京市公安局", None),
        ("学院路", None),  # a street as often as a town: a unit must name an office
    ],
)
def test_unit_is_read_only_when_it_is_a_town_office(
    gazetteer: Gazetteer, unit: str, expected: str | None
) -> None:
    assert gazetteer.resolve_unit(unit).code == expected
