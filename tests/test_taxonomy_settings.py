"""Tests of heatmap.taxonomy (themes and problems from TOML) and heatmap.settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from heatmap.errors import HeatmapError
from heatmap.settings import SETTINGS, make_settings
from heatmap.taxonomy import DEFAULT_TAXONOMY, load_taxonomy

TINY_TOML = """
[[theme]]
name = "交通"
name_en = "Transport"
problems = [
  { name = "停车难", name_en = "Parking", lists = [2021], lead = "市交通委", weight = 4.0, trend = -0.05 },
  { name = "道路交通设施" },
]

[[theme]]
name = "市政"
problems = [{ name = "供暖室温不达标", season = "heating" }]
"""

# --------------------------------------------------------------------------- taxonomy


@pytest.fixture(scope="module")
def default():
    return load_taxonomy(DEFAULT_TAXONOMY)


def test_default_taxonomy_themes(default) -> None:
    assert {"住房", "交通", "环境", "疫情防控", "其他"} <= set(default.themes)
    assert default.themes[0] == "住房"
    assert len(default.themes) == len(set(default.themes))


def test_default_taxonomy_problem_count_matches_the_file(default) -> None:
    text = DEFAULT_TAXONOMY.read_text(encoding="utf-8")
    entries = re.findall(r'^\s*\{ name = "', text, flags=re.MULTILINE)
    assert len(default.problems) == len(entries)
    assert len({p.name for p in default.problems}) == len(entries)


@pytest.mark.parametrize(
    ("problem", "theme"),
    [("停车难", "交通"), ("物业服务", "住房"), ("噪声扰民", "环境"), ("其他", "其他")],
)
def test_theme_of(default, problem: str, theme: str) -> None:
    assert default.theme_of(problem) == theme


def test_unknown_problem_raises(default) -> None:
    with pytest.raises(
        HeatmapError, match=r"问题 '不存在' 不在分类表 .*taxonomy\.toml.*unknown problem"
    ):
        default.theme_of("不存在")


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("停车难", "Parking"),
        ("交通", "Transport"),
        ("疫情防控", "COVID-19 rules"),
        ("不存在", "不存在"),
    ],
)
def test_english(default, name: str, english: str) -> None:
    assert default.english(name) == english


def test_tiny_taxonomy_defaults(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    tax = load_taxonomy(path)
    assert tax.source == path
    assert tax.themes == ["交通", "市政"]
    assert [p.name for p in tax.problems_of("交通")] == ["停车难", "道路交通设施"]
    parking, road, heating = tax.problems
    assert (parking.lists, parking.lead, parking.weight, parking.trend) == (
        (2021,),
        "市交通委",
        4.0,
        -0.05,
    )
    assert (road.name_en, road.lists, road.lead, road.weight, road.trend, road.season) == (
        "道路交通设施", (), "", 1.0, 0.0, None,
    )  # fmt: skip
    assert heating.season == "heating"
    assert tax.english("市政") == "市政"  # theme without name_en


def test_taxonomy_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.toml"
    path.write_text(TINY_TOML, encoding="utf-8")
    monkeypatch.setenv("HEATMAP_TAXONOMY", str(path))
    assert load_taxonomy().source == path
    assert load_taxonomy(DEFAULT_TAXONOMY).source == DEFAULT_TAXONOMY  # the argument wins


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[[theme]\nname = "交通"\n', "无法读取分类表"),  # broken TOML
        (None, "无法读取分类表"),  # no file
        ('[[theme]]\nname = "交通"\nproblems = []\n', "no problems found"),
        ("", "no problems found"),
    ],
)
def test_bad_taxonomy_file_names_the_path(tmp_path: Path, text: str | None, reason: str) -> None:
    path = tmp_path / "bad.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(HeatmapError, match=re.escape(str(path))) as info:
        load_taxonomy(path)
    assert reason in str(info.value)


# --------------------------------------------------------------------------- settings


def test_defaults() -> None:
    settings = make_settings()
    assert settings["volume_measure"] == "dispatched"
    assert settings["h3_resolution"] == 8
    assert settings["governance_start_month"] == "2019-05"
    assert settings["governance_top_n"] == 10
    weights = [settings[f"weight_{k}"] for k in ("response", "resolution", "satisfaction")]
    assert weights == [0.10, 0.45, 0.45]
    assert sum(weights) == pytest.approx(1.0)


def test_weights_are_marked_assumptions() -> None:
    assumed = {s.name for s in SETTINGS if s.assumption}
    assert assumed == {
        "weight_response", "weight_resolution", "weight_satisfaction",
        "governance_months_out", "governance_volume_drop", "governance_score_margin",
        "governance_low_share",
    }  # fmt: skip


def test_every_setting_has_help() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.help("zh") and s.help("en") for s in SETTINGS)


def test_overrides_apply() -> None:
    settings = make_settings({"volume_measure": "accepted", "governance_top_n": 20})
    assert (settings["volume_measure"], settings["governance_top_n"]) == ("accepted", 20)
    assert settings["weight_response"] == 0.10


@pytest.mark.parametrize("overrides", [{"top_n": 5}, {"h3_resolution": 7, "colour": "red"}])
def test_unknown_key_is_rejected(overrides: dict) -> None:
    unknown = sorted(set(overrides) - {"h3_resolution"})
    with pytest.raises(HeatmapError, match=f"未知设置 {', '.join(unknown)} .unknown setting"):
        make_settings(overrides)


@pytest.mark.parametrize("measure", ["responded", "", None])
def test_bad_volume_measure_is_rejected(measure: object) -> None:
    with pytest.raises(
        HeatmapError,
        match=f"volume_measure 应为 dispatched 或 accepted，收到 {re.escape(repr(measure))}",
    ):
        make_settings({"volume_measure": measure})


def test_reading_an_unknown_setting_raises() -> None:
    with pytest.raises(
        HeatmapError, match="未知设置 'colour' .unknown setting.; known: volume_measure"
    ):
        make_settings()["colour"]
