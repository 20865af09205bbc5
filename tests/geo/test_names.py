"""Tests of heatmap.geo.names: town names in their many forms, and their resolution to codes."""

from __future__ import annotations

import pandas as pd
import pytest

from heatmap.geo.names import normalize, resolve_town

# Official 2023 names; 城关 exists twice (房山 街道, 密云 镇) to make a bare "城关" ambiguous.
TOWNS = pd.DataFrame(
    [
        ("110102001", "广安门外街道", "西城区"),
        ("110102002", "广安门内街道", "西城区"),
        ("110108001", "学院路街道", "海淀区"),
        ("110114001", "回龙观街道", "昌平区"),
        ("110114002", "沙河地区", "昌平区"),
        ("110114003", "霍营街道", "昌平区"),
        ("110115001", "西红门地区", "大兴区"),
        ("110112001", "永顺镇", "通州区"),
        ("110111001", "城关街道", "房山区"),
        ("110118001", "城关镇", "密云区"),
    ],
    columns=["town_code", "town_name", "district_name"],
)


@pytest.mark.parametrize(
    "name",
    [
        "学院路",
        "学院路街道",
        "学院路街道办事处",
        "海淀区学院路街道",
        "北京市海淀区学院路街道",
        "北京市海淀区学院路街道办事处",
        " 学院路 街道 ",
    ],
)
def test_normalize_strips_prefix_suffix_and_spaces(name: str) -> None:
    assert normalize(name) == "学院路"


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("城关镇", "城关"),
        ("马坊镇", "马坊"),
        ("西红门地区", "西红门"),
        ("石景山区八宝山街道", "八宝山"),  # a three-character district
        ("昌平区沙河地区办事处", "沙河"),
        ("沙河地区办事处", "沙河"),  # "沙河地区" is not a district prefix
        ("南口地区办事处", "南口"),
        # the suffix stays when the core would be one character
        ("马镇", "马镇"),
        ("东乡", "东乡"),
        # a district alone is not a town: nothing to strip
        ("海淀区", "海淀区"),
    ],
)
def test_normalize_cores(name: str, core: str) -> None:
    assert normalize(name) == core


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("110108001", "110108001"),
        (" 110108001 ", "110108001"),
        ("110108001012", "110108001"),  # 12-digit community code -> its town
        ("学院路", "110108001"),
        ("海淀区学院路街道", "110108001"),
        ("广外", "110102001"),
        ("广外街道", "110102001"),
        ("西城区广外街道", "110102001"),
        ("广安门外街道", "110102001"),
        ("广内街道", "110102002"),
        ("西红门镇", "110115001"),
        ("西红门地区", "110115001"),
        ("沙河镇", "110114002"),
        ("沙河地区", "110114002"),
        ("沙河地区办事处", "110114002"),
        ("回龙观镇", "110114001"),
        ("回龙观", "110114001"),
        ("永顺地区", "110112001"),
        ("霍营", "110114003"),
    ],
)
def test_resolve_town_known_forms(text: str, code: str) -> None:
    assert resolve_town(text, TOWNS) == code


@pytest.mark.parametrize(
    "text",
    [
        "史各庄街道",  # not in the table
        "不存在",
        "110199001",  # a code not in the table
        "110199001001",  # a 12-digit code of an unknown town
        "",
    ],
)
def test_resolve_town_unknown_is_none(text: str) -> None:
    assert resolve_town(text, TOWNS) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("城关", None),  # 房山 城关街道 and 密云 城关镇
        ("城关街道", "110111001"),  # a 镇 is never called 街道: the ending picks the 街道
        ("城关镇", "110118001"),
        ("房山区城关街道", "110111001"),
        ("北京市密云区城关镇", "110118001"),
        ("密云区城关", "110118001"),
        ("海淀区城关街道", None),  # neither is in 海淀
    ],
)
def test_resolve_town_ambiguous_needs_district(text: str, code: str | None) -> None:
    assert resolve_town(text, TOWNS) == code


def test_resolve_town_ambiguous_without_district_column() -> None:
    assert resolve_town("房山区城关街道", TOWNS.drop(columns="district_name")) is None


@pytest.mark.parametrize(
    ("text", "district", "code"),
    [
        ("学院路街道（海淀区）", None, "110108010"),  # the district in brackets after the name
        ("海淀区学院路街道二里庄社区", None, "110108010"),  # a community after the town
        ("八里庄街道（朝阳区）", None, "110105015"),  # the bracketed district decides a shared name
        ("景山街道", "石景山区", None),  # never a town outside the stated district
        ("１１０１０８０１００００", None, "110108010"),  # full-width 12-digit code
        ("110108010012", None, "110108010"),  # a community's code: its town
        ("东升乡人民政府", "海淀", "110108024"),  # 地区 unit in its 乡 government form
    ],
)
def test_gazetteer_on_field_values(text: str, district: str | None, code: str | None) -> None:
    from heatmap.geo.geography import load_former_towns, load_township_list
    from heatmap.geo.names import Gazetteer

    towns = load_township_list().rename(columns={"code9": "town_code", "name": "town_name"})
    assert Gazetteer(towns, former=load_former_towns()).resolve(text, district=district).code == code


def test_code_column_takes_12_digit_and_full_width_codes() -> None:
    from heatmap.geo.geography import load_township_list
    from heatmap.geo.names import Gazetteer
    from heatmap.intake.records import assign_towns

    towns = load_township_list().rename(columns={"code9": "town_code", "name": "town_name"})
    frame = pd.DataFrame({
        "town_code": ["110108010000", "１１０１０８０１０", "110108010", "999"],
        "district_raw": [None, None, "朝阳区", None], "town_raw": [None] * 4, "address": [None] * 4,
    })  # fmt: skip
    code, method, _ = assign_towns(frame, pd.Series([None] * 4, dtype=object), towns,
                                   gazetteer=Gazetteer(towns))  # fmt: skip
    assert code.tolist() == ["110108010", "110108010", None, None]  # 海淀 code, 朝阳 row: refused
    assert method.tolist() == ["code", "code", "none", "none"]
