"""Keyword-rule classifier of 诉求内容 (request text) into taxonomy problems; unclassified stays 其他."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from heatmap.errors import HeatmapError
from heatmap.taxonomy import Taxonomy, load_taxonomy

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "config" / "keywords.toml"
STRONG, WEAK = 2, 1
#: Points a text needs before a problem is named: a strong keyword, or two keywords; one common
#: word (工资, 招生, 幼儿园) never decides alone (``min_score`` in the rules file).
MIN_SCORE = 2


@dataclass(frozen=True)
class Rule:
    """Keywords of one problem: ``strong`` count 2 points, ``keywords`` 1; ``exclude`` rules it out."""

    problem: str
    strong: tuple[str, ...]
    keywords: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rules:
    """The rule set, the label for unclassified texts, and the file it came from."""

    rules: tuple[Rule, ...]
    other: str
    source: Path
    min_score: int = MIN_SCORE

    @property
    def problems(self) -> list[str]:
        return [r.problem for r in self.rules]


def load_rules(
    path: str | os.PathLike[str] | None = None, *, taxonomy: Taxonomy | None = None
) -> Rules:
    """Read the keyword rules (argument, else ``HEATMAP_KEYWORDS``, else the packaged default).

    Every rule's problem must be in the taxonomy, so a renamed problem is an error, not a silent miss.
    """
    source = Path(path or os.environ.get("HEATMAP_KEYWORDS") or DEFAULT_RULES)
    try:
        doc = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HeatmapError(
            f"无法读取关键词规则 {source}: {exc}. Expected a TOML file with [[rule]] tables "
            f"(problem, strong, keywords, exclude); see {DEFAULT_RULES}."
        ) from exc
    rules = tuple(_rule(item, source) for item in doc.get("rule", []))
    if not rules:
        raise HeatmapError(f"关键词规则 {source} 没有任何 [[rule]] (no rules found)")
    known = {p.name for p in (taxonomy or load_taxonomy()).problems}
    unknown = sorted({r.problem for r in rules} - known)
    if unknown:
        raise HeatmapError(
            f"关键词规则 {source} 中的问题不在分类表中：{unknown} (unknown problems); "
            "rename them to a problem of taxonomy.toml."
        )
    return Rules(
        rules=rules,
        other=str(doc.get("other", "其他")),
        source=source,
        min_score=int(doc.get("min_score", MIN_SCORE)),
    )


def _rule(item: dict, source: Path) -> Rule:
    if "problem" not in item:
        raise HeatmapError(f"关键词规则 {source} 中有一条 [[rule]] 缺少 problem：{item}")
    name = str(item["problem"])
    strong = tuple(dict.fromkeys([name, *item.get("strong", [])]))
    return Rule(
        problem=name,
        strong=strong,
        keywords=tuple(item.get("keywords", [])),
        exclude=tuple(item.get("exclude", [])),
    )


def scores(texts: pd.Series, rules: Rules) -> np.ndarray:
    """Score matrix (texts × rules): 2 per strong keyword, 1 per keyword, -1 where excluded."""
    values = pa.array(texts.fillna("").astype(str).tolist(), type=pa.string())
    out = np.zeros((len(texts), len(rules.rules)), dtype=np.int32)
    for j, rule in enumerate(rules.rules):
        for weight, words in ((STRONG, rule.strong), (WEAK, rule.keywords)):
            for word in words:
                out[:, j] += weight * _contains(values, word)
        for word in rule.exclude:
            out[_contains(values, word), j] = -1
    return out


def _contains(values: pa.Array, word: str) -> np.ndarray:
    return np.asarray(pc.match_substring(values, word).to_numpy(zero_copy_only=False), dtype=bool)


def classify(texts: pd.Series, *, rules: Rules | None = None) -> pd.Series:
    """The problem of each text (same index); 其他 when no problem reaches ``rules.min_score``
    points or two problems tie.

    Texts are classified once per distinct value, so a month of templated exports is fast.
    """
    rules = rules or load_rules()
    unique = pd.Series(texts.fillna("").astype(str).unique())
    matrix = scores(unique, rules)
    best = matrix.max(axis=1) if len(unique) else np.zeros(0, dtype=np.int32)
    ties = (matrix == best[:, None]).sum(axis=1) > 1
    names = np.array(rules.problems, dtype=object)[matrix.argmax(axis=1)] if len(unique) else []
    labels = np.where((best >= max(rules.min_score, 1)) & ~ties, names, rules.other)
    lookup = dict(zip(unique, labels, strict=True))
    return texts.fillna("").astype(str).map(lookup).rename("problem")


def explain(text: str, *, rules: Rules | None = None) -> dict[str, list[str]]:
    """The keywords of each problem found in ``text`` (excluded problems marked with their veto)."""
    rules = rules or load_rules()
    out: dict[str, list[str]] = {}
    for rule in rules.rules:
        found = [w for w in (*rule.strong, *rule.keywords) if w in text]
        vetoes = [f"排除:{w}" for w in rule.exclude if w in text]
        if found:
            out[rule.problem] = found + vetoes
    return out


def precision_recall(
    truth: pd.Series, predicted: pd.Series, *, other: str = "其他"
) -> pd.DataFrame:
    """Per-label precision and recall, plus an ``overall`` row over the real problems.

    Columns: label, support (true count), predicted, correct, precision, recall. The overall row
    counts every label except ``other``: precision = correct / texts given a problem, recall =
    correct / texts whose true label is a problem; the ``other`` row says how often 其他 is kept.
    """
    _check_pairs(truth, predicted)
    truth, predicted = truth.reset_index(drop=True), predicted.reset_index(drop=True)
    labels = sorted(set(truth) | set(predicted), key=lambda x: (x == other, x))
    rows = [_label_row(label, truth, predicted) for label in labels]
    named_truth, named_pred = truth != other, predicted != other
    correct = int(((truth == predicted) & named_truth).sum())
    rows.append(
        {
            "label": "overall",
            "support": int(named_truth.sum()),
            "predicted": int(named_pred.sum()),
            "correct": correct,
            "precision": correct / named_pred.sum() if named_pred.any() else np.nan,
            "recall": correct / named_truth.sum() if named_truth.any() else np.nan,
        }
    )
    return pd.DataFrame(rows)


def _label_row(label: str, truth: pd.Series, predicted: pd.Series) -> dict:
    correct = int(((truth == label) & (predicted == label)).sum())
    support, given = int((truth == label).sum()), int((predicted == label).sum())
    return {
        "label": label,
        "support": support,
        "predicted": given,
        "correct": correct,
        "precision": correct / given if given else np.nan,
        "recall": correct / support if support else np.nan,
    }


def _check_pairs(truth: pd.Series, predicted: pd.Series) -> None:
    if len(truth) != len(predicted):
        raise HeatmapError(
            f"真实标签与预测标签数量不同：{len(truth)} 与 {len(predicted)} "
            "(truth and predictions must have the same length)"
        )


def evaluate_sample(
    path: str | os.PathLike[str], *, rules: Rules | None = None, splits: Sequence[str] | None = None
) -> pd.DataFrame:
    """Precision/recall of the rules on a labelled CSV (text, problem[, split]); ``splits`` filters rows."""
    sample = pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")
    missing = sorted({"text", "problem"} - set(sample.columns))
    if missing:
        raise HeatmapError(
            f"标注样本 {path} 缺少列 {missing}；需要 text, problem (and optional split)"
        )
    if splits is not None:
        sample = sample[sample.get("split", pd.Series("", index=sample.index)).isin(splits)]
    rules = rules or load_rules()
    return precision_recall(
        sample["problem"], classify(sample["text"], rules=rules), other=rules.other
    )
