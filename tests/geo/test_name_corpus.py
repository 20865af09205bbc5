"""The adversarial corpus of town names and addresses: 100 % right, ambiguity reported, 0 wrong.

The corpus (``tests/data/town_name_corpus.csv``, made by ``make_town_corpus.py`` from the 2023
list) holds every unit in every name form, with and without its district, inside address
templates, every nested-core pair and every shared name. The figure is printed (``pytest -s``)
and quoted in the README.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from heatmap.geo.geography import load_former_towns, load_township_list
from heatmap.geo.names import Gazetteer

CORPUS = Path(__file__).parents[1] / "data" / "town_name_corpus.csv"


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    towns = load_township_list().rename(columns={"code9": "town_code", "name": "town_name"})
    gazetteer = Gazetteer(towns, former=load_former_towns())
    corpus = pd.read_csv(CORPUS, dtype=str, keep_default_na=False)
    got = []
    for row in corpus.itertuples(index=False):
        parse = gazetteer.resolve if row.field == "town" else gazetteer.parse_address
        res = parse(row.text, district=row.district or None, point_town=row.point_town or None)
        got.append(res.code or ("AMBIGUOUS" if res.status == "ambiguous" else "NONE"))
    return corpus.assign(got=got)


def _verdict(row: pd.Series) -> str:
    if row["got"] == row["expected"]:
        return "right"
    if row["got"] in ("AMBIGUOUS", "NONE"):
        return "unresolved"  # not wrong, but a miss against the target
    return "wrong"


def test_corpus_accuracy(outcomes: pd.DataFrame) -> None:
    verdicts = outcomes.apply(_verdict, axis=1)
    kinds = outcomes["expected"].map(lambda e: e if e in ("AMBIGUOUS", "NONE") else "one town")
    table = pd.crosstab(kinds, verdicts, margins=True)
    print(f"\ntown-name corpus: {len(outcomes):,} cases\n{table}")
    wrong = outcomes[verdicts == "wrong"]
    assert wrong.empty, f"wrong towns chosen:\n{wrong.head(20).to_string()}"
    one = outcomes[kinds == "one town"]
    assert (one["got"] == one["expected"]).all(), one[one["got"] != one["expected"]].head(20)
    rest = outcomes[kinds != "one town"]
    assert (rest["got"] == rest["expected"]).all(), rest[rest["got"] != rest["expected"]].head(20)


def test_corpus_covers_every_unit_and_class(outcomes: pd.DataFrame) -> None:
    units = set(load_township_list()["code9"])
    assert units <= set(outcomes["expected"])
    cases = Counter(outcomes["case"])
    for case in (
        "name", "district_prefixed", "city_district_prefixed", "fullwidth_spaces", "spaced",
        "address", "nested_core", "core_in_district_name", "shared+point", "former",
        "wrong_district_column", "address_wrong_district", "noise",
    ):  # fmt: skip
        assert cases[case] > 0, case


@pytest.mark.parametrize(
    ("field", "text", "district", "expected"),
    [
        ("address", "北京市石景山区八宝山街道玉泉路19号", "", "110107001"),  # not 景山 (东城)
        ("address", "北京市密云区鼓楼街道新中街", "", "110118001"),  # not 密云镇
        ("address", "北京市海淀区海淀街道某小区", "", "110108012"),
        ("town", "东升镇", "海淀区", "110108024"),  # 地区 unit called 镇
        ("town", "八里庄街道", "", "AMBIGUOUS"),  # 朝阳 and 海淀
        ("town", "八里庄街道", "朝阳区", "110105015"),
        ("town", "景山街道", "石景山区", "NONE"),  # never outside the stated district
    ],
)
def test_corpus_headline_cases(
    outcomes: pd.DataFrame, field: str, text: str, district: str, expected: str
) -> None:
    towns = load_township_list().rename(columns={"code9": "town_code", "name": "town_name"})
    gazetteer = Gazetteer(towns, former=load_former_towns())
    parse = gazetteer.resolve if field == "town" else gazetteer.parse_address
    res = parse(text, district=district or None)
    assert (res.code or ("AMBIGUOUS" if res.status == "ambiguous" else "NONE")) == expected
