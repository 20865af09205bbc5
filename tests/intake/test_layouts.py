"""The layouts real exports use: headers recognised, category path and community kept, and an
unknown layout named field by field."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from heatmap.errors import HeatmapError, LayoutError
from heatmap.intake.parse import category_paths, made_ids, match_headers

REAL = [
    "序号", "主要内容", "被反映街乡镇", "所在村社区", "一级承办单位", "二级承办单位简称",
    "一级分类", "二级分类", "三级分类", "创建时间", "派单时间",
]  # fmt: skip


def test_real_export_headers() -> None:
    assert match_headers(REAL, {}, source="x") == {
        "序号": "seq",
        "主要内容": "text",
        "被反映街乡镇": "town_raw",
        "所在村社区": "community",
        "一级承办单位": "unit",
        "二级承办单位简称": "unit2",
        "一级分类": "category_1",
        "二级分类": "category_2",
        "三级分类": "category_3",
        "创建时间": "received_at",  # 创建时间 before 派单时间, whatever their order
    }


@pytest.mark.parametrize(
    "headers, expected",
    [
        (["派单时间", "创建时间", "内容", "街道"], "创建时间"),
        (["派单时间", "主要内容", "街道"], "派单时间"),
        (["登记时间", "受理时间", "内容", "街道"], "受理时间"),
    ],
)
def test_the_best_time_header_wins(headers: list[str], expected: str) -> None:
    fields = match_headers(headers, {}, source="x")
    assert [h for h, f in fields.items() if f == "received_at"] == [expected]


@pytest.mark.parametrize(
    "header", ["所在村社区", "社区（村）", "村(社区)", "所属社区", "村居", " 所在 村社区 "]
)
def test_community_variants(header: str) -> None:
    fields = match_headers(["工单编号", "受理时间", "街乡镇", header], {}, source="x")
    assert fields[header] == "community"


def test_unknown_layout_names_every_missing_field_and_the_headers_seen() -> None:
    with pytest.raises(LayoutError) as caught:
        match_headers(["序号", "备注", "一级分类"], {}, source="export.xlsx")
    err = caught.value
    assert [m.split("（")[0] for m in err.missing] == [
        "工单编号", "受理时间", "街乡镇或可定位的列", "诉求内容",
    ]  # fmt: skip
    assert err.seen == ["序号", "备注", "一级分类"]
    assert "读到的表头：['序号', '备注', '一级分类']" in str(err)
    assert isinstance(err, HeatmapError)


def test_missing_time_only() -> None:
    with pytest.raises(LayoutError, match="缺少 受理时间") as caught:
        match_headers(["工单编号", "主要内容", "被反映街乡镇"], {}, source="x")
    assert len(caught.value.missing) == 1


def test_text_alone_locates_and_identifies() -> None:
    """No id and no town column: the id is made from time and text, the town read from the text."""
    fields = match_headers(["创建时间", "主要内容"], {}, source="x")
    assert set(fields.values()) == {"received_at", "text"}


def test_category_levels_joined_into_a_path() -> None:
    frame = pd.DataFrame(
        {
            "category_1": ["城乡建设", "城乡建设", "", "劳动"],
            "category_2": ["住房", "", "", "工资"],
            "category_3": ["物业管理", "物业管理", "", ""],
            "category": ["", "", "市政>供暖", ""],
        },
        dtype="str",
    )
    assert category_paths(frame).tolist() == [
        "城乡建设>住房>物业管理",
        "城乡建设>物业管理",
        "市政>供暖",
        "劳动>工资",
    ]


def test_made_ids_are_stable_and_need_a_text() -> None:
    frame = pd.DataFrame(
        {
            "received_at": ["2021-05-03 10:00:00", "2021-05-03 10:00:00", "2021-05-03 10:00:00"],
            "text": ["噪音扰民", "噪音扰民", ""],
            "town_raw": ["学院路街道", "学院路街道", "学院路街道"],
        },
        dtype="str",
    )
    ids = made_ids(frame).tolist()
    assert ids[0] == ids[1] and ids[0].startswith("H") and len(ids[0]) == 17
    assert ids[2] == ""  # no text: no id (quarantined as 缺少工单编号)
    assert made_ids(frame.iloc[[1, 0]]).tolist() == ids[:2]  # not the row's position


@pytest.mark.parametrize(
    "path, expected",
    [
        ("城乡建设>住房>物业管理", "物业服务"),  # a level in the mapping
        ("市政>供热>供暖室温不达标", "供暖室温不达标"),  # a level that is a problem's name
        ("交通/停车管理", "停车难"),
        ("生态环境>大气>餐饮油烟", None),  # listed as unmapped
        ("", None),
    ],
)
def test_category_map(path: str, expected: str | None) -> None:
    from heatmap.intake.parse import load_category_map, map_category
    from heatmap.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    names = {p.name for p in taxonomy.problems}
    assert map_category(path, names, load_category_map(taxonomy=taxonomy)) == expected


def test_whole_path_wins_over_its_levels() -> None:
    from heatmap.intake.parse import map_category

    mapping = {"城乡建设>住房>物业管理": "老旧小区改造推进难", "物业管理": "物业服务"}
    assert map_category("城乡建设 > 住房 > 物业管理", set(), mapping) == "老旧小区改造推进难"
    assert map_category("其他>物业管理", set(), mapping) == "物业服务"


def test_category_map_naming_an_unknown_problem_is_refused(tmp_path: Path) -> None:
    from heatmap.intake.parse import load_category_map
    from heatmap.taxonomy import load_taxonomy

    bad = tmp_path / "map.toml"
    bad.write_text('[paths]\n"物业管理" = "物业很差"\n', encoding="utf-8")
    with pytest.raises(HeatmapError, match=r"未知的问题 \['物业很差'\]"):
        load_category_map(bad, taxonomy=load_taxonomy())
