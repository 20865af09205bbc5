"""The keyword classifier: rules on labelled examples, 其他 fallback, precision/recall, the sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from heatmap.errors import HeatmapError
from heatmap.intake import classify
from heatmap.taxonomy import load_taxonomy

SAMPLE = Path(__file__).parents[1] / "data" / "labelled_requests.csv"

# Measured on tests/data/labelled_requests.csv with src/heatmap/config/keywords.toml (README).
# dev + holdout: the rules were written knowing these rows; fresh: written after the rules were
# frozen and not used to change them, so it is the fair estimate for unseen wording.
# With min_score = 2 (issue 23: one common word never decides): fresh 9 of 10 named right (was
# 17 of 22 with one keyword enough), recall 9 of 37 (was 17).
MEASURED = {
    "dev": (1.000, 0.990),
    "holdout": (1.000, 0.979),
    "fresh": (0.900, 0.243),
    "all": (0.993, 0.834),
}


@pytest.fixture(scope="module")
def rules() -> classify.Rules:
    return classify.load_rules()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("来电人反映小区物业不作为，垃圾道堵塞无人处理。", "物业服务"),
        ("反映家中暖气不热，室温只有十五度。", "供暖室温不达标"),
        ("反映楼下烧烤店油烟直排，熏得无法开窗。", "大气与异味"),
        ("举报某培训机构违规开展学科类培训。", "教育培训机构规范管理"),
        ("反映健身房关门跑路，会员卡无法退费。", "预付式消费退费难"),
        ("反映包工头拖欠工资三个月。", "拖欠工资"),
        ("反映小区门口大量无牌电动三轮车拉活。", "无牌照电动三四轮车"),
        ("咨询老楼加装电梯的补贴政策。", "老旧小区加装电梯"),
        ("反映工地夜间施工噪音扰民。", "噪声扰民"),
        ("咨询从外地返京是否需要核酸证明。", "疫情防控政策"),
    ],
)
def test_rules_on_labelled_examples(text: str, problem: str, rules: classify.Rules) -> None:
    assert classify.classify(pd.Series([text]), rules=rules).iloc[0] == problem


@pytest.mark.parametrize(
    "text",
    [
        "咨询社保卡丢失如何补办。",  # nothing matches
        "",  # empty
        None,  # missing
        "来电人对上次工单办理结果不满意。",
    ],
)
def test_unmatched_text_stays_other(text: str | None, rules: classify.Rules) -> None:
    assert classify.classify(pd.Series([text]), rules=rules).iloc[0] == "其他"


def test_exclusion_vetoes_a_problem(rules: classify.Rules) -> None:
    # 培训 rules out 预付式消费退费难: a training course refund counts as a training institution issue
    text = "给孩子报的培训班停课了，要求退费。"
    assert classify.classify(pd.Series([text]), rules=rules).iloc[0] == "教育培训机构规范管理"
    assert "排除:培训" in classify.explain(text, rules=rules)["预付式消费退费难"]


def test_a_tie_is_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text(
        'min_score = 1\n[[rule]]\nproblem = "停车难"\nkeywords = ["车"]\n'
        '[[rule]]\nproblem = "噪声扰民"\nkeywords = ["吵"]\n',
        encoding="utf-8",
    )
    rules = classify.load_rules(path)
    texts = pd.Series(["楼下车很吵", "车太多", "太吵了"], index=[10, 11, 12])
    out = classify.classify(texts, rules=rules)
    assert out.tolist() == ["其他", "停车难", "噪声扰民"]
    assert out.index.tolist() == [10, 11, 12]
    assert classify.scores(texts, rules).tolist() == [[1, 1], [1, 0], [0, 1]]


def test_problem_name_in_text_is_a_strong_keyword(rules: classify.Rules) -> None:
    """The demo's texts name their problem: each comes back as itself (其他 as 其他)."""
    problems = [p.name for p in load_taxonomy().problems]
    texts = pd.Series([f"市民反映海淀区学院路街道附近{p}问题，希望尽快解决。" for p in problems])
    assert classify.classify(texts, rules=rules).tolist() == problems


def test_rule_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nproblem = "停车太难"\nkeywords = ["车位"]\n', encoding="utf-8")
    with pytest.raises(HeatmapError, match=r"不在分类表中：\['停车太难'\]"):
        classify.load_rules(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text('other = "其他"\n', encoding="utf-8")
    with pytest.raises(HeatmapError, match="没有任何"):
        classify.load_rules(empty)
    with pytest.raises(HeatmapError, match="无法读取关键词规则"):
        classify.load_rules(tmp_path / "missing.toml")
    nameless = tmp_path / "nameless.toml"
    nameless.write_text('[[rule]]\nkeywords = ["车位"]\n', encoding="utf-8")
    with pytest.raises(HeatmapError, match="缺少 problem"):
        classify.load_rules(nameless)


def test_every_rule_problem_is_in_the_taxonomy(rules: classify.Rules) -> None:
    names = {p.name for p in load_taxonomy().problems}
    assert set(rules.problems) <= names
    assert set(names) - set(rules.problems) == {"其他"}


def test_precision_recall_hand_computed() -> None:
    truth = pd.Series(["A", "A", "B", "其他"])
    predicted = pd.Series(["A", "B", "B", "A"])
    table = classify.precision_recall(truth, predicted).set_index("label")
    # A: 2 true, 2 predicted, 1 correct; B: 1 true, 2 predicted, 1 correct; 其他: 1 true, kept 0
    assert table.loc["A", ["support", "predicted", "correct"]].tolist() == [2, 2, 1]
    assert table.loc["A", ["precision", "recall"]].tolist() == [0.5, 0.5]
    assert table.loc["B", ["precision", "recall"]].tolist() == [0.5, 1.0]
    assert np.isnan(table.loc["其他", "precision"]) and table.loc["其他", "recall"] == 0.0
    # overall over real problems: 4 texts given a problem, 3 truly have one, 2 correct
    assert table.loc["overall", ["support", "predicted", "correct"]].tolist() == [3, 4, 2]
    assert table.loc["overall", "precision"] == pytest.approx(0.5)
    assert table.loc["overall", "recall"] == pytest.approx(2 / 3)
    with pytest.raises(HeatmapError, match="数量不同"):
        classify.precision_recall(truth, predicted[:3])


def test_labelled_sample_is_broad_enough() -> None:
    sample = pd.read_csv(SAMPLE, dtype=str)
    assert len(sample) >= 120
    assert set(sample["problem"]) == {p.name for p in load_taxonomy().problems}
    assert (sample["problem"] == "其他").sum() >= 20
    assert sample["note"].fillna("").str.startswith("hard").sum() >= 30
    assert set(sample["split"]) == {"dev", "holdout", "fresh"}


@pytest.mark.parametrize("split", list(MEASURED))
def test_measured_precision_and_recall(split: str, rules: classify.Rules) -> None:
    """The figures the README states, so a rule change that moves them must update the README."""
    splits = None if split == "all" else [split]
    table = classify.evaluate_sample(SAMPLE, rules=rules, splits=splits).set_index("label")
    precision, recall = MEASURED[split]
    assert round(table.loc["overall", "precision"], 3) == precision
    assert round(table.loc["overall", "recall"], 3) == recall


@pytest.mark.parametrize(
    "text",
    [
        "带薪年假期间单位扣工资吗",  # 工资 alone: not 拖欠工资 (issue 23's real messages)
        "咨询小学招生政策",  # 招生 alone: not 普惠幼儿园入园
    ],
)
def test_one_common_word_does_not_decide(text: str, rules: classify.Rules) -> None:
    assert rules.min_score == 2
    assert classify.classify(pd.Series([text]), rules=rules).iloc[0] == "其他"
