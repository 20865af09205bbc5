"""Tests of heatmap.analysis.governance on hand-built monthly panels (every expectation worked out by hand)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heatmap.analysis import governance, queries
from heatmap.analysis.governance import ExitRules
from heatmap.errors import HeatmapError
from heatmap.intake import store
from heatmap.intake.demo import build_demo
from heatmap.settings import governance_values, make_settings

NAN = np.nan

# key -> (town_code, town_name, district_code, district_name); codes sort in key order.
TOWNS = {
    "A": ("110102001", "广安门外街道", "110102", "西城区"),
    "B": ("110108001", "学院路街道", "110108", "海淀区"),
    "C": ("110108002", "北太平庄街道", "110108", "海淀区"),
    "D": ("110114001", "回龙观街道", "110114", "昌平区"),
    "E": ("110114002", "沙河地区", "110114", "昌平区"),
    "F": ("110115001", "西红门地区", "110115", "大兴区"),
}
CODE = {key: row[0] for key, row in TOWNS.items()}
KEY = {row[0]: key for key, row in TOWNS.items()}
TOWN_TABLE = pd.DataFrame(
    TOWNS.values(), columns=["town_code", "town_name", "district_code", "district_name"]
)

# top 2 enter; exit after 2 months out, volume ≤ 80 % of entry, score ≥ city, score rank ≤ 0.8 n.
RULES = ExitRules(
    start_month="2020-01", top_n=2, months_out=2, volume_drop=0.2, score_margin=0.0, low_share=0.2
)
CITY = 0.80


def months_from(start: str, n: int) -> list[str]:
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


def make_panel(
    volumes: Mapping[str, Sequence[int | None]],
    scores: Mapping[str, float | Sequence[float]] | None = None,
    *,
    start: str = "2020-01",
    city: float = CITY,
) -> pd.DataFrame:
    """A monthly panel like :func:`heatmap.analysis.queries.monthly_panel`, built by hand.

    ``volumes`` maps a town key of :data:`TOWNS` to its volume per month from ``start`` (``None``:
    no row that month). ``scores`` maps a key to its composite score (one value, or one per month;
    default 0.85); a month with volume 0 has no score and no rates, as in the real panel. ``rank`` is
    the min-rank by volume per month (1 = highest), ``score_rank`` the min-rank by score (1 = best),
    ``n_towns`` the number of towns of the city (every key given).
    """
    scores = scores or {}
    n = len(next(iter(volumes.values())))
    months = months_from(start, n)
    rows = []
    for key, series in volumes.items():
        code, name, dcode, dname = TOWNS[key]
        given_scores = scores.get(key, 0.85)
        per_month = [given_scores] * n if isinstance(given_scores, float) else list(given_scores)
        for i, (month, volume) in enumerate(zip(months, series, strict=True)):
            if volume is None:
                continue
            score = per_month[i] if volume > 0 else NAN
            previous = series[i - 1] if i else None
            rows.append(
                {
                    "month": month, "town_code": code, "town_name": name,
                    "district_code": dcode, "district_name": dname, "volume": volume,
                    "mom": volume / previous - 1 if previous else NAN,
                    "score": score, "city_score": city,
                    "response_rate": 1.0 if volume else NAN,
                    "resolution_rate": score, "satisfaction_rate": score,
                }
            )  # fmt: skip
    frame = pd.DataFrame(rows)
    by_month = frame.groupby("month")
    frame["rank"] = by_month["volume"].rank(method="min", ascending=False).astype("int64")
    frame["score_rank"] = by_month["score"].rank(method="min", ascending=False).astype("Int64")
    frame["n_towns"] = len(volumes)
    return frame


def with_changes(
    base: Mapping[str, Sequence], changes: Mapping[str, Mapping[int, object]]
) -> dict[str, list]:
    """A copy of ``base`` ({key: per-month values}) with ``{key: {month index: value}}`` applied."""
    out = {key: list(values) for key, values in base.items()}
    for key, by_index in changes.items():
        for index, value in by_index.items():
            out[key][index] = value
    return out


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows of ``frame`` as dicts, missing values (None / NaN) as None."""
    return [
        {k: None if not isinstance(v, str) and pd.isna(v) else v for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def status_of(gov: governance.Governance, key: str) -> dict[str, tuple[str, int]]:
    rows = gov.status[gov.status["town_code"] == CODE[key]]
    return {
        m: (s, int(n)) for m, s, n in zip(rows["month"], rows["status"], rows["spell"], strict=True)
    }


def check_row(gov: governance.Governance, key: str, month: str) -> dict:
    rows = governance.checklist(gov, month)
    rows = rows[rows["town_code"] == CODE[key]]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


# Base case: 5 towns, 6 months (2020-01..06), city score 0.80.
#   month      1   2   3   4   5   6        score (every month) -> score rank
#   A         50  50  30  30  30  30        0.85 -> 2
#   B         40  45  60  60  60  60        0.70 -> 4
#   C         10  40  55  55  55  55        0.75 -> 3
#   D          5   5   5   5   5   5        0.90 -> 1
#   E          1   1   1   1   1   1        0.60 -> 5
# Volume ranks: m1 A1 B2 C3; m2 A1 B2 C3; m3..m6 B1 C2 A3 (D 4, E 5 throughout).
# A: enters m1 (volume 50, rank 1); out of the top from m3; in m4 two months out, 30 ≤ 0.8 × 50 = 40,
#    0.85 ≥ 0.80, score rank 2 ≤ 0.8 × 5 = 4 -> exits 2020-04; released in m5, m6.
# B: enters m1 (40, rank 2), in the top every month -> continuing, never exits.
# C: enters m3 (55, rank 2), stays in the top -> continuing.
BASE = {
    "A": [50, 50, 30, 30, 30, 30],
    "B": [40, 45, 60, 60, 60, 60],
    "C": [10, 40, 55, 55, 55, 55],
    "D": [5] * 6,
    "E": [1] * 6,
}
BASE_SCORES = {"A": 0.85, "B": 0.70, "C": 0.75, "D": 0.90, "E": 0.60}

# Re-entry: the base with a 7th month, and A back at 70 in m6, m7 (rank 1: A70 B60 C55).
# A re-enters in 2020-06 as spell 2; C (entry 55) is out of the top in m6, m7 but 55 > 44, so stays.
REENTRY = {
    "A": [50, 50, 30, 30, 30, 70, 70],
    "B": [40, 45, 60, 60, 60, 60, 60],
    "C": [10, 40, 55, 55, 55, 55, 55],
    "D": [5] * 7,
    "E": [1] * 7,
}


@pytest.fixture(scope="module")
def base_gov() -> governance.Governance:
    return governance.evaluate(make_panel(BASE, BASE_SCORES), RULES)


@pytest.fixture(scope="module")
def reentry_panel() -> pd.DataFrame:
    return make_panel(REENTRY, BASE_SCORES)


@pytest.fixture(scope="module")
def reentry_gov(reentry_panel: pd.DataFrame) -> governance.Governance:
    return governance.evaluate(reentry_panel, RULES)


# --------------------------------------------------------------------------- entry


def test_entry_from_start_month_only() -> None:
    # 2019-11, 2019-12: E leads (90) and A, B, C tie at rank 2, but the ranking starts in 2020-01,
    # where A (50) and B (40) are the top 2. E never enters; nothing is recorded before 2020-01.
    volumes = {"A": [5, 5, 50, 50], "B": [5, 5, 40, 40], "C": [5, 5, 10, 10], "E": [90, 90, 1, 1]}
    gov = governance.evaluate(make_panel(volumes, start="2019-11"), RULES)
    assert gov.months == ["2020-01", "2020-02"]
    assert list(gov.ledger["town_code"]) == [CODE["A"], CODE["B"]]
    assert list(gov.ledger["entry_month"]) == ["2020-01", "2020-01"]
    assert list(gov.ledger["best_rank"]) == [1, 2]
    assert list(gov.ledger["entry_volume"]) == [50, 40]
    assert gov.ledger["exit_month"].isna().all()
    assert list(gov.ledger["spell"]) == [1, 1]
    assert gov.status["month"].min() == "2020-01"
    assert governance.statuses_in(gov, "2020-01")["status"].tolist() == ["new", "new"]
    assert governance.statuses_in(gov, "2020-02")["status"].tolist() == ["continuing"] * 2


def test_tie_at_rank_n_keeps_both() -> None:
    # m1: A 50 rank 1, B 40 and C 40 both rank 2, D 5 rank 4 -> top_n 2 supervises A, B and C.
    volumes = {"A": [50, 50], "B": [40, 40], "C": [40, 40], "D": [5, 5]}
    gov = governance.evaluate(make_panel(volumes), RULES)
    assert list(gov.ledger["town_code"]) == [CODE["A"], CODE["B"], CODE["C"]]
    assert list(gov.ledger["best_rank"]) == [1, 2, 2]
    assert status_of(gov, "C") == {"2020-01": ("new", 1), "2020-02": ("continuing", 1)}


def test_zero_volume_or_missing_row_does_not_enter() -> None:
    # m1: A 10 rank 1; B 0 and C 0 share rank 2 (≤ top_n) but have no volume; D has no row.
    # m2: A 10 rank 1, D 5 rank 2 -> D enters; B, C (0, rank 3) never do.
    volumes = {"A": [10, 10], "B": [0, 0], "C": [0, 0], "D": [None, 5]}
    panel = make_panel(volumes)
    assert panel.loc[panel["month"] == "2020-01", "rank"].tolist() == [1, 2, 2]
    gov = governance.evaluate(panel, RULES)
    assert list(gov.ledger["town_code"]) == [CODE["A"], CODE["D"]]
    assert list(gov.ledger["entry_month"]) == ["2020-01", "2020-02"]


@pytest.mark.parametrize("gap", [0, None], ids=["volume-0-row", "missing-row"])
def test_supervised_town_without_records_cannot_meet_rates(gap: int | None) -> None:
    # A enters m1 (50); m2, m3 no records. m3: two months out (✓), 0 ≤ 40 (✓), but no score:
    # rates_up and out_of_low are False, so A stays supervised_out.
    volumes = {
        "A": [50, gap, gap],
        "B": [40, 40, 40],
        "C": [30, 30, 30],
        "D": [5] * 3,
        "E": [1] * 3,
    }
    gov = governance.evaluate(make_panel(volumes, BASE_SCORES), RULES)
    assert status_of(gov, "A") == {
        "2020-01": ("new", 1),
        "2020-02": ("supervised_out", 1),
        "2020-03": ("supervised_out", 1),
    }
    row = check_row(gov, "A", "2020-03")
    assert (row["volume"], row["months_out"], row["in_top"]) == (0, 2, False)
    assert row["out_of_top"] and row["volume_down"]
    assert not row["rates_up"] and not row["out_of_low"] and not row["all_met"]
    assert gov.ledger["exit_month"].isna().all()


# --------------------------------------------------------------------------- exit


def test_exit_when_all_conditions_hold(base_gov: governance.Governance) -> None:
    assert status_of(base_gov, "A") == {
        "2020-01": ("new", 1),
        "2020-02": ("continuing", 1),
        "2020-03": ("supervised_out", 1),
        "2020-04": ("exited", 1),
        "2020-05": ("released", 1),
        "2020-06": ("released", 1),
    }
    assert status_of(base_gov, "C") == {
        "2020-03": ("new", 1),
        "2020-04": ("continuing", 1),
        "2020-05": ("continuing", 1),
        "2020-06": ("continuing", 1),
    }
    assert status_of(base_gov, "D") == {}
    cols = [
        "town_code", "spell", "entry_month", "exit_month", "last_month", "months_supervised",
        "best_rank", "worst_rank", "entry_volume", "latest_volume",
    ]  # fmt: skip
    got = records(base_gov.ledger.reindex(columns=cols))
    assert got == [
        # A: 2020-01..04 = 4 months; ranks 1, 1, 3, 3; volume 50 -> 30
        dict(
            zip(cols, [CODE["A"], 1, "2020-01", "2020-04", "2020-04", 4, 1, 3, 50, 30], strict=True)
        ),
        # B: 6 months, ranks 2, 2, 1, 1, 1, 1; volume 40 -> 60
        dict(zip(cols, [CODE["B"], 1, "2020-01", None, "2020-06", 6, 1, 2, 40, 60], strict=True)),
        # C: 2020-03..06 = 4 months at rank 2; volume 55 -> 55
        dict(zip(cols, [CODE["C"], 1, "2020-03", None, "2020-06", 4, 2, 2, 55, 55], strict=True)),
    ]
    a = base_gov.ledger.iloc[0]
    assert (a["town_name"], a["district_name"]) == ("广安门外街道", "西城区")
    assert a["entry_score"] == pytest.approx(0.85)
    assert a["latest_score"] == pytest.approx(0.85)
    row = check_row(base_gov, "A", "2020-04")
    assert {c: row[c] for c in governance.CONDITIONS} == dict.fromkeys(
        ["out_of_top", "volume_down", "rates_up", "out_of_low"], True
    )
    assert (row["months_out"], row["volume"], row["entry_volume"], row["score_rank"]) == (
        2,
        30,
        50,
        2,
    )
    assert row["all_met"]
    # the released months are not checked
    assert CODE["A"] not in set(governance.checklist(base_gov, "2020-05")["town_code"])


# Each case: (condition that fails in 2020-04, volume changes, score changes), applied to BASE.
BLOCKED = [
    # A 56 in m3 ties into the top (B60 A56 C55): in m4 only one month out.
    ("out_of_top", {"A": {2: 56}}, {}),
    # A 41 in m4 (rank 3: B60 C55 A41): 41 > 0.8 × 50 = 40.
    ("volume_down", {"A": {3: 41}}, {}),
    # A scores 0.79 in m4: below the city's 0.80; still score rank 2 (D .90 A .79 C .75 B .70 E .60).
    ("rates_up", {}, {"A": {3: 0.79}}),
    # A scores 0.80 in m4 (= city, met) but B, C, E score 0.95 and D 0.90: rank 5 > 0.8 × 5 = 4.
    ("out_of_low", {}, {"A": {3: 0.80}, "B": {3: 0.95}, "C": {3: 0.95}, "E": {3: 0.95}}),
]


@pytest.mark.parametrize(
    ("failing", "volume_changes", "score_changes"), BLOCKED, ids=[b[0] for b in BLOCKED]
)
def test_exit_blocked_by_one_condition(
    failing: str, volume_changes: dict, score_changes: dict
) -> None:
    scores = with_changes({k: [v] * 6 for k, v in BASE_SCORES.items()}, score_changes)
    gov = governance.evaluate(make_panel(with_changes(BASE, volume_changes), scores), RULES)
    assert status_of(gov, "A")["2020-04"] == ("supervised_out", 1)
    row = check_row(gov, "A", "2020-04")
    expected = {c: c != failing for c in governance.CONDITIONS}
    assert {c: row[c] for c in expected} == expected
    assert not row["all_met"]


# Each case: a value exactly at a threshold, which counts as met, so A still exits in 2020-04.
AT_THRESHOLD = [
    ("volume_down", {"A": {3: 40}}, {}),  # 40 = 0.8 × 50
    ("rates_up", {}, {"A": {3: 0.80}}),  # 0.80 = city + 0.0
    ("out_of_low", {}, {"A": {3: 0.80}, "B": {3: 0.95}, "C": {3: 0.95}}),  # rank 4 = 0.8 × 5
]


@pytest.mark.parametrize(
    ("condition", "volume_changes", "score_changes"), AT_THRESHOLD, ids=[a[0] for a in AT_THRESHOLD]
)
def test_threshold_value_counts_as_met(
    condition: str, volume_changes: dict, score_changes: dict
) -> None:
    scores = with_changes({k: [v] * 6 for k, v in BASE_SCORES.items()}, score_changes)
    gov = governance.evaluate(make_panel(with_changes(BASE, volume_changes), scores), RULES)
    assert check_row(gov, "A", "2020-04")[condition]
    assert status_of(gov, "A")["2020-04"] == ("exited", 1)


# --------------------------------------------------------------------------- re-entry, as_of


def test_re_entry_opens_second_spell(reentry_gov: governance.Governance) -> None:
    assert status_of(reentry_gov, "A") == {
        "2020-01": ("new", 1),
        "2020-02": ("continuing", 1),
        "2020-03": ("supervised_out", 1),
        "2020-04": ("exited", 1),
        "2020-05": ("released", 1),
        "2020-06": ("re_entered", 2),
        "2020-07": ("continuing", 2),
    }
    # C: out of the top in m6, m7 (two months) but 55 > 0.8 × 55 -> still supervised
    assert status_of(reentry_gov, "C")["2020-07"] == ("supervised_out", 1)
    ledger = reentry_gov.ledger
    assert list(zip(ledger["town_code"], ledger["spell"], strict=True)) == [
        (CODE["A"], 1),
        (CODE["B"], 1),
        (CODE["C"], 1),
        (CODE["A"], 2),
    ]
    second = ledger.iloc[3]
    assert (second["entry_month"], second["best_rank"], second["entry_volume"]) == (
        "2020-06",
        1,
        70,
    )
    assert pd.isna(second["exit_month"])
    assert second["months_supervised"] == 2


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        # A exited 2020-04 (A, B, C ever; B and C supervised)
        ("2020-05", {"ever_supervised": 3, "exited": 1, "exits": 1, "supervised_now": 2}),
        # A re-entered 2020-06: counted once, supervised again, so not among the exited
        ("2020-07", {"ever_supervised": 3, "exited": 0, "exits": 1, "supervised_now": 3}),
    ],
)
def test_summary_counts_re_entered_town_once(
    reentry_gov: governance.Governance, month: str, expected: dict
) -> None:
    got = governance.summary(reentry_gov, month)
    assert {k: got[k] for k in expected} == expected
    assert got["districts"] == 2  # 西城 (A), 海淀 (B, C)


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        # A's exit in 2020-04 is not known yet: ongoing, 3 months (01..03); C entered 03 (1 month)
        ("2020-03", [("A", 1, None, 3, "2020-03"), ("B", 1, None, 3, "2020-03"), ("C", 1, None, 1, "2020-03")]),
        ("2020-04", [("A", 1, "2020-04", 4, "2020-04"), ("B", 1, None, 4, "2020-04"), ("C", 1, None, 2, "2020-04")]),
        # A's second spell (entered 2020-06) appears from 2020-06
        ("2020-05", [("A", 1, "2020-04", 4, "2020-04"), ("B", 1, None, 5, "2020-05"), ("C", 1, None, 3, "2020-05")]),
        ("2020-06", [("A", 1, "2020-04", 4, "2020-04"), ("B", 1, None, 6, "2020-06"), ("C", 1, None, 4, "2020-06"), ("A", 2, None, 1, "2020-06")]),
    ],
)  # fmt: skip
def test_as_of(reentry_gov: governance.Governance, month: str, expected: list) -> None:
    got = governance.as_of(reentry_gov, month)
    rows = zip(
        got["town_code"],
        got["spell"],
        [None if pd.isna(e) else e for e in got["exit_month"]],
        got["months_supervised"],
        got["last_month"],
        strict=True,
    )
    assert [(KEY[c], s, e, n, last) for c, s, e, n, last in rows] == expected


# --------------------------------------------------------------------------- summary


# 14 months (2020-01..2021-02). A tops m1 (50) then drops to 10 for good: out in m2, m3; in m3
# 10 ≤ 40, 0.85 ≥ 0.80, score rank 2 -> exits 2020-03. B (60) and C (55) lead from m2; C enters m2.
# A's last month in the top is 2020-01: 11 months before 2020-12, 12 before 2021-01.
LONG = {
    "A": [50] + [10] * 13,
    "B": [40] + [60] * 13,
    "C": [10] + [55] * 13,
    "D": [5] * 14,
    "E": [1] * 14,
}
POPULATION = pd.Series(
    {CODE["A"]: 100.0, CODE["B"]: 200.0, CODE["C"]: 300.0, CODE["D"]: 150.0, CODE["E"]: 250.0}
)


@pytest.mark.parametrize(("month", "out_12"), [("2020-12", 0), ("2021-01", 1), ("2021-02", 1)])
def test_summary_figures(month: str, out_12: int) -> None:
    gov = governance.evaluate(make_panel(LONG, BASE_SCORES), RULES)
    got = governance.summary(gov, month, population=POPULATION)
    assert {k: v for k, v in got.items() if k != "population_share"} == {
        "month": month,
        "ever_supervised": 3,  # A, B, C
        "districts": 2,  # 西城, 海淀
        "exited": 1,  # A in 2020-03
        "exits": 1,
        "supervised_now": 2,  # B, C
        "out_of_top_12_months": out_12,
        "rules": {
            "start_month": "2020-01", "top_n": 2, "months_out": 2, "volume_drop": 0.2,
            "score_margin": 0.0, "low_share": 0.2,
        },
    }  # fmt: skip
    assert got["population_share"] == pytest.approx((100 + 200 + 300) / 1000)
    assert governance.summary(gov, month)["population_share"] is None


# --------------------------------------------------------------------------- top ten


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2020-01", [("A", 50, 1, NAN, "new"), ("B", 40, 2, NAN, "new")]),
        # B 60/45 - 1 = 1/3; C 55/40 - 1 = 0.375, entering
        ("2020-03", [("B", 60, 1, 1 / 3, "continuing"), ("C", 55, 2, 0.375, "new")]),
        # A 70/30 - 1 = 4/3, back in; B 60/60 - 1 = 0
        ("2020-06", [("A", 70, 1, 4 / 3, "re_entered"), ("B", 60, 2, 0.0, "continuing")]),
    ],
)
def test_top_ten(
    reentry_gov: governance.Governance, reentry_panel: pd.DataFrame, month: str, expected: list
) -> None:
    got = governance.top_ten(reentry_gov, reentry_panel, month)
    assert list(got.columns) == [
        "town_code", "town_name", "district_name", "volume", "rank", "mom", "status",
    ]  # fmt: skip
    assert [KEY[c] for c in got["town_code"]] == [e[0] for e in expected]
    assert list(got["volume"]) == [e[1] for e in expected]
    assert list(got["rank"]) == [e[2] for e in expected]
    np.testing.assert_allclose(got["mom"].to_numpy(float), [e[3] for e in expected])
    assert list(got["status"]) == [e[4] for e in expected]
    assert list(got["town_name"]) == [TOWNS[e[0]][1] for e in expected]


def test_top_ten_keeps_tie_in_rank_then_code_order() -> None:
    panel = make_panel({"A": [50], "C": [40], "B": [40], "D": [5]})
    gov = governance.evaluate(panel, RULES)
    got = governance.top_ten(gov, panel, "2020-01")
    assert [(KEY[c], r) for c, r in zip(got["town_code"], got["rank"], strict=True)] == [
        ("A", 1),
        ("B", 2),
        ("C", 2),
    ]
    assert list(got["status"]) == ["new"] * 3


@pytest.mark.parametrize("names", [False, True])
def test_masked_top_ten_shows_other_towns_by_rank_only(
    reentry_gov: governance.Governance, reentry_panel: pd.DataFrame, names: bool
) -> None:
    top = governance.top_ten(reentry_gov, reentry_panel, "2020-06")  # A (西城) 1st, B (海淀) 2nd
    mine = {TOWNS["B"][0], TOWNS["C"][0]}
    got = governance.masked_top_ten(top, mine, names=names, hidden="（外区街乡镇）")
    other, own = got.iloc[0], got.iloc[1]
    assert other["rank"] == 1 and own["rank"] == 2
    assert [other[c] for c in ("town_code", "volume", "mom", "status")] == [None] * 4
    assert (other["town_name"], other["district_name"]) == (
        ("广安门外街道", "西城区") if names else ("（外区街乡镇）", "—")
    )
    assert (own["town_code"], own["volume"], own["status"]) == (TOWNS["B"][0], 60, "continuing")
    assert governance.masked_top_ten(top, None, names=False, hidden="x") is top


def test_restrict_keeps_the_scope_towns_and_their_city_statuses(
    reentry_gov: governance.Governance,
) -> None:
    mine = {TOWNS["B"][0]}
    got = governance.restrict(reentry_gov, mine)
    for frame in (got.ledger, got.status, got.checks):
        assert set(frame["town_code"]) == mine
    before = reentry_gov.status[reentry_gov.status["town_code"].isin(mine)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.status, before)
    assert governance.summary(got, "2020-06")["ever_supervised"] == 1
    assert governance.restrict(reentry_gov, None) is reentry_gov


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"top_n": 0}, r"top_n .*收到 0 / 3"),
        ({"months_out": 0}, r"months_out .*收到 10 / 0"),
        ({"volume_drop": 1.5}, r"volume_drop .*收到 1\.5 / 0\.2"),
        ({"volume_drop": -0.1}, r"volume_drop .*收到 -0\.1 / 0\.2"),
        ({"low_share": 1.0}, r"low_share .*收到 0\.2 / 1\.0"),
    ],
)
def test_exit_rules_reject_bad_values(kwargs: dict, match: str) -> None:
    with pytest.raises(HeatmapError, match=match):
        ExitRules(**kwargs)


def test_exit_rules_from_settings() -> None:
    values = {
        "governance_top_n": 5,
        "governance_months_out": 4,
        "governance_start_month": "2020-01",
        "top_n": 99,  # not a governance_* key
        "volume_measure": "accepted",
    }
    assert ExitRules.from_settings(values) == ExitRules(
        start_month="2020-01", top_n=5, months_out=4
    )
    assert ExitRules.from_settings(governance_values(make_settings())) == ExitRules()
    with pytest.raises(HeatmapError, match="top_n"):
        ExitRules.from_settings({"governance_top_n": 0})


def test_describe_shows_numbers_in_force() -> None:
    rules = ExitRules(top_n=10, months_out=3, volume_drop=0.25, score_margin=0.01, low_share=0.1)
    zh = rules.describe("zh")
    assert list(zh) == [c for c in governance.CONDITIONS]
    assert "连续 3 个月" in zh["out_of_top"] and "前 10 名" in zh["out_of_top"]
    assert "25%" in zh["volume_down"]
    assert "+1.0 个百分点" in zh["rates_up"]
    assert "后 10%" in zh["out_of_low"]
    en = rules.describe("en")
    assert "top 10 for 3 consecutive months" in en["out_of_top"]
    assert "25%" in en["volume_down"] and "+1.0 pt" in en["rates_up"] and "10%" in en["out_of_low"]
    assert "20%" in ExitRules().describe()["volume_down"]


@pytest.mark.parametrize("column", ["month", "score_rank", "city_score", "satisfaction_rate"])
def test_evaluate_rejects_panel_missing_column(column: str) -> None:
    panel = make_panel(BASE, BASE_SCORES).drop(columns=column)
    with pytest.raises(HeatmapError, match=rf"\['{column}'\]"):
        governance.evaluate(panel, RULES)


# --------------------------------------------------------------------------- official list

# Against the re-entry ledger: A 2020-01..04 and 2020-06.., B 2020-01.., C 2020-03..
OFFICIAL = pd.DataFrame(
    [
        ("广外街道", "2020/1", "2020-04"),  # A, nearest spell 1
        ("学院路", "2020-02", None),  # B entered 2020-01
        ("海淀区北太平庄街道", "2020-03", "2020/9"),  # C still supervised
        ("回龙观镇", "2020-05", None),  # D = 回龙观街道, never computed
        ("不存在街道", "2020-01", None),
    ],
    columns=["town", "entry_month", "exit_month"],
)


def test_compare_official(reentry_gov: governance.Governance) -> None:
    got = governance.compare_official(reentry_gov.ledger, OFFICIAL, TOWN_TABLE)
    cols = ["town_code", "town_name", "official_entry", "official_exit", "computed_entry",
            "computed_exit", "verdict"]  # fmt: skip
    assert list(got.columns) == cols
    assert records(got) == [
        dict(zip(cols, row, strict=True))
        for row in [
            (CODE["A"], "广安门外街道", "2020-01", "2020-04", "2020-01", "2020-04", "一致"),
            (CODE["B"], "学院路街道", "2020-02", None, "2020-01", None, "进入月份不同"),
            (CODE["C"], "北太平庄街道", "2020-03", "2020-09", "2020-03", None, "退出月份不同"),
            (CODE["D"], "回龙观街道", "2020-05", None, None, None, "仅官方名单"),
            (None, "不存在街道", "2020-01", None, None, None, "无法识别"),
            (CODE["A"], "广安门外街道", None, None, "2020-06", None, "仅计算结果"),
        ]
    ]


@pytest.mark.parametrize("bad", ["2020-13", "九月"])
def test_compare_official_rejects_bad_month(reentry_gov: governance.Governance, bad: str) -> None:
    official = pd.DataFrame({"town": ["广外"], "entry_month": [bad], "exit_month": [None]})
    with pytest.raises(HeatmapError, match=rf"月份 '{bad}' 无法识别"):
        governance.compare_official(reentry_gov.ledger, official, TOWN_TABLE)


# --------------------------------------------------------------------------- property


@st.composite
def panels_and_rules(draw: st.DrawFn) -> tuple[pd.DataFrame, ExitRules]:
    n_towns = draw(st.integers(3, 6))
    n_months = draw(st.integers(4, 12))
    keys = list(TOWNS)[:n_towns]
    volumes = {
        k: draw(st.lists(st.integers(0, 50), min_size=n_months, max_size=n_months)) for k in keys
    }
    score = st.floats(0.5, 1.0, allow_nan=False)
    scores = {k: draw(st.lists(score, min_size=n_months, max_size=n_months)) for k in keys}
    rules = ExitRules(
        start_month="2020-01",
        top_n=draw(st.integers(1, 3)),
        months_out=draw(st.integers(1, 3)),
        volume_drop=draw(st.sampled_from([0.0, 0.1, 0.2, 0.5])),
        score_margin=draw(st.sampled_from([0.0, 0.02])),
        low_share=draw(st.sampled_from([0.0, 0.2, 0.5])),
    )
    return make_panel(volumes, scores, city=draw(st.sampled_from([0.6, 0.75, 0.9]))), rules


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(panels_and_rules())
def test_ledger_and_status_agree(case: tuple[pd.DataFrame, ExitRules]) -> None:
    panel, rules = case
    gov = governance.evaluate(panel, rules)
    months = gov.months
    status = {(m, c): (s, n) for m, c, s, n in gov.status.itertuples(index=False)}
    assert len(status) == len(gov.status)  # one status per town and month
    assert {c for _, c in status} == set(gov.ledger["town_code"])
    exits = set()
    for code, spells in gov.ledger.groupby("town_code"):
        spells = spells.sort_values("spell").reset_index(drop=True)
        own = {m: v for (m, c), v in status.items() if c == code}
        assert list(spells["spell"]) == list(range(1, len(spells) + 1))
        assert spells["exit_month"].iloc[:-1].notna().all()  # only the last spell may be open
        allowed: dict[str, tuple[set[str], int]] = {}
        for i, spell in spells.iterrows():
            number, entry = spell["spell"], spell["entry_month"]
            exit_ = spell["exit_month"] if isinstance(spell["exit_month"], str) else None
            following = spells["entry_month"].iloc[i + 1] if i + 1 < len(spells) else None
            assert exit_ is None or entry < exit_
            assert following is None or (exit_ is not None and exit_ < following)
            allowed[entry] = ({"new"} if number == 1 else {"re_entered"}, number)
            for m in months:
                if entry < m and (exit_ is None or m < exit_):
                    allowed[m] = ({"continuing", "supervised_out"}, number)
                elif exit_ is not None and exit_ < m and (following is None or m < following):
                    allowed[m] = ({"released"}, number)
            if exit_ is not None:
                allowed[exit_] = ({"exited"}, number)
                exits.add((exit_, code))
            rows = [s for s, n in own.values() if n == number and s != "released"]
            assert spell["months_supervised"] == len(rows)
        assert own.keys() == allowed.keys()
        for m, (s, n) in own.items():
            assert s in allowed[m][0] and n == allowed[m][1], (code, m, s, n)
    met = gov.checks[gov.checks["all_met"].astype(bool)]
    assert set(zip(met["month"], met["town_code"], strict=True)) == exits
    # a town with volume in the top N is always supervised that month (never exits while in it)
    top = panel[(panel["volume"] > 0) & (panel["rank"] <= rules.top_n)]
    for m, c in zip(top["month"], top["town_code"], strict=True):
        assert status[(m, c)][0] in ("new", "continuing", "re_entered")


# --------------------------------------------------------------------------- demo store


@pytest.fixture(scope="module")
def demo_gov(tmp_path_factory: pytest.TempPathFactory) -> governance.Governance:
    path: Path = tmp_path_factory.mktemp("gov") / "d.duckdb"
    build_demo(path)
    con = store.connect(path, read_only=True)
    try:
        panel = queries.monthly_panel(con)
    finally:
        con.close()
    return governance.evaluate(panel)


def test_demo_store_reproduces_reported_figures(demo_gov: governance.Governance) -> None:
    end = governance.summary(demo_gov, "2021-12")
    assert 28 <= end["ever_supervised"] <= 32  # reports: 30 towns
    assert end["districts"] == 10
    assert 14 <= end["exited"] <= 18  # reports: 16 by Dec 2021
    may = governance.summary(demo_gov, "2021-05")
    assert 11 <= may["exited"] <= 15  # reports: 13
    assert 14 <= may["out_of_top_12_months"] <= 18  # reports: 16
    ledger = demo_gov.ledger
    guangwai = ledger[(ledger["town_name"] == "广安门外街道") & (ledger["spell"] == 1)]
    assert len(guangwai) == 1
    assert "2020-08" <= guangwai["exit_month"].iloc[0] <= "2020-10"  # reports: Sept 2020


def test_official_columns_reads_chinese_or_english_headers() -> None:
    from heatmap.analysis.governance import official_columns

    chinese = pd.DataFrame({"街乡镇": ["广外街道"], "纳入月份": ["2019-05"], "摘帽月份": ["2020-09"]})
    assert list(official_columns(chinese).columns) == ["town", "entry_month", "exit_month"]
    english = pd.DataFrame({"town": ["x"], "entry_month": ["2019-05"]})
    assert list(official_columns(english).columns) == ["town", "entry_month"]
    with pytest.raises(HeatmapError, match="缺少列：纳入月份；读到的表头：街乡镇、备注"):
        official_columns(pd.DataFrame({"街乡镇": ["x"], "备注": ["y"]}))
