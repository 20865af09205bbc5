"""Tests of heatmap.analysis.warning on hand-built monthly panels (expectations worked out by hand)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd
import pytest

from heatmap.analysis import governance, queries, warning
from heatmap.analysis.governance import ExitRules
from heatmap.errors import FilterError, HeatmapError
from heatmap.i18n import t

MONTHS = [str(p) for p in pd.period_range("2020-01", periods=6, freq="M")]


def code(i: int) -> str:
    return f"110101{i + 1:03d}"


def make_panel(
    volumes: Mapping[int, Sequence[int]],
    scores: Mapping[int, float | Sequence[float]] | None = None,
    *,
    start: str = "2020-01",
    city: float = 0.80,
) -> pd.DataFrame:
    """A panel shaped like :func:`heatmap.analysis.queries.monthly_panel`, built by hand.

    ``volumes`` maps a town number to its volume per month from ``start``; ``scores`` a town number
    to its composite score (one value or one per month; default 0.85), also used for the
    resolution and satisfaction rates. ``rank`` and ``score_rank`` are min-ranks per month.
    """
    scores = scores or {}
    n = len(next(iter(volumes.values())))
    months = [str(p) for p in pd.period_range(start, periods=n, freq="M")]
    rows = []
    for i, series in volumes.items():
        given = scores.get(i, 0.85)
        per_month = [given] * n if isinstance(given, float) else list(given)
        for month, volume, score in zip(months, series, per_month, strict=True):
            rows.append(
                {
                    "month": month, "town_code": code(i), "town_name": f"街道{i:02d}",
                    "district_code": "110101", "district_name": "东城区", "volume": volume,
                    "score": score, "city_score": city, "response_rate": 1.0,
                    "resolution_rate": score, "satisfaction_rate": score,
                }
            )  # fmt: skip
    frame = pd.DataFrame(rows)
    by_month = frame.groupby("month")
    frame["rank"] = by_month["volume"].rank(method="min", ascending=False).astype("int64")
    frame["score_rank"] = by_month["score"].rank(method="min", ascending=False).astype("Int64")
    frame["n_towns"] = len(volumes)
    return frame


# Fifteen towns, 2020-01..06. Town i has volume 100 - 5 i every month, except:
#   town 12: 40 40 40 48 52 52   (ranks 13, 13, 13, 12, 11, 11: rising towards the cut)
#   2020-06: town 8 -> 20, town 9 -> 25, town 10 -> 78, town 11 -> 83
# Ranks 2020-01..05: towns 0..9 are 1..10 every month (the top ten). 2020-05: town 12 (52) is 11th,
# town 10 (50) 12th (its ranks in 03..05: 11, 11, 12), town 11 (45) 13th.
# 2020-06: 100 95 90 85 83(t11) 80 78(t10) 75 70 65 -> top ten = towns 0..7, 10, 11.
BASE = {i: [100 - 5 * i] * 6 for i in range(15)}
BASE[12] = [40, 40, 40, 48, 52, 52]
for i, v in {8: 20, 9: 25, 10: 78, 11: 83}.items():
    BASE[i] = [*BASE[i][:5], v]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel(BASE)


# --------------------------------------------------------------------------------------- risk


def test_persistence_is_this_months_top_ten(panel: pd.DataFrame) -> None:
    out = warning.risk(panel, "2020-05", method="persistence")
    assert set(out.loc[out["p_top_ten"] == 1, "town_code"]) == {code(i) for i in range(10)}
    assert set(out["p_top_ten"]) == {0.0, 1.0}
    assert (out["projected_volume"] == out["volume"]).all()
    assert list(out.columns[:4]) == ["town_code", "town_name", "district_code", "district_name"]
    assert {"p_top_ten", "projected_volume", "projected_rank", "method", "reasons"} <= set(out)
    assert out["target_month"].unique().tolist() == ["2020-06"]


def test_rank_ma_is_logistic_in_the_three_month_mean_rank(panel: pd.DataFrame) -> None:
    p = warning.risk(panel, "2020-05", method="rank_ma").set_index("town_code")["p_top_ten"]

    def sigmoid(z: float) -> float:
        return 1 / (1 + math.exp(-z))

    assert p[code(9)] == pytest.approx(sigmoid((10.5 - 10) / 2))  # ranks 10, 10, 10
    assert p[code(12)] == pytest.approx(sigmoid((10.5 - 12) / 2))  # ranks 13, 12, 11
    assert p[code(10)] == pytest.approx(sigmoid((10.5 - 34 / 3) / 2))  # ranks 11, 11, 12


@pytest.mark.parametrize("method", warning.METHODS)
def test_walk_forward_never_reads_the_target_month(panel: pd.DataFrame, method: str) -> None:
    before = warning.risk(panel, "2020-05", method=method)
    changed = panel.copy()
    june = changed["month"] == "2020-06"
    changed.loc[june, "volume"] = changed.loc[june, "volume"].to_numpy()[::-1] * 7
    changed.loc[june, "score"] = 0.1
    after = warning.risk(changed, "2020-05", method=method)
    pd.testing.assert_frame_equal(before, after)
    # the backtest, built once over every month, predicts June as risk() did from May alone
    walked = warning.walk_forward(changed, ["2020-06"], [method]).set_index("town_code")
    mine = before.set_index("town_code")
    assert walked["p_top_ten"].to_numpy() == pytest.approx(mine.loc[walked.index, "p_top_ten"])


def test_model_ranks_the_standing_top_ten_first(panel: pd.DataFrame) -> None:
    out = warning.risk(panel, "2020-05", method="model")
    assert set(out["town_code"].head(10)) == {code(i) for i in range(10)}
    assert out["p_top_ten"].between(0, 1).all()
    assert (out["projected_volume"] >= 0).all()


def test_reasons_come_from_the_data(panel: pd.DataFrame) -> None:
    # town 12 in 2020-05: rank 11, 55 - 52 = 3 below the 10th, up 40 -> 48 -> 52, rank 13 -> 11
    zh = warning.risk(panel, "2020-05", method="rank_ma").set_index("town_code")["reasons"]
    assert zh[code(12)] == ["距第 10 名差 3 件", "接诉量连续 2 个月上升", "排名 13 → 11"]
    assert zh[code(0)] == ["本月排名第 1", "市级督导中"]
    en = warning.risk(panel, "2020-05", method="rank_ma", lang="en").set_index("town_code")
    assert en.at[code(12), "reasons"] == [
        "3 below rank 10",
        "Volume up 2 months in a row",
        "Rank 13 → 11",
    ]


def test_risk_errors(panel: pd.DataFrame) -> None:
    with pytest.raises(HeatmapError, match="未知预测方法"):
        warning.risk(panel, "2020-05", method="oracle")
    with pytest.raises(FilterError, match="没有月份"):
        warning.risk(panel, "2020-07", method="persistence")
    with pytest.raises(HeatmapError, match="至少需要 4 个月"):
        warning.risk(panel, "2020-03", method="model")
    with pytest.raises(FilterError, match="不在面板中"):
        warning.walk_forward(panel, ["2020-01"], ["persistence"])


# ----------------------------------------------------------------------------------- backtest


def test_backtest_arithmetic_on_the_hand_panel(panel: pd.DataFrame) -> None:
    # June's top ten: towns 0..7, 10, 11; persistence and rank_ma predict towns 0..9 (May's).
    # hits 8 -> precision 8/10, recall 8/10; new entrants 10 and 11, neither predicted -> 0/2.
    out = warning.backtest(panel, ["2020-06"], ["persistence", "rank_ma"])
    assert out["method"].tolist() == ["persistence", "rank_ma"]
    for row in out.to_dict("records"):
        assert (row["precision"], row["recall"], row["new_entrant_recall"]) == (0.8, 0.8, 0.0)
        assert (row["hits"], row["n_actual"], row["n_new"], row["new_hits"]) == (8, 10, 2, 0)


def test_score_by_hand() -> None:
    # 2020-06: predicted A, B, C; actual A (was in), D (new) -> precision 1/3, recall 1/2, new 0/1.
    # 2020-07: predicted A, B; actual A, B, both in before -> 1, 1, no new entrant (NaN).
    rows = [
        ("2020-06", "A", True, True, True), ("2020-06", "B", True, False, False),
        ("2020-06", "C", True, False, False), ("2020-06", "D", False, True, False),
        ("2020-07", "A", True, True, True), ("2020-07", "B", True, True, True),
        ("2020-07", "C", False, False, False),
    ]  # fmt: skip
    predictions = pd.DataFrame(
        rows, columns=["month", "town_code", "predicted", "actual", "previous"]
    )
    out = warning.score(predictions.assign(method="x")).set_index("month")
    assert out.at["2020-06", "precision"] == pytest.approx(1 / 3)
    assert out.at["2020-06", "recall"] == 0.5
    assert out.at["2020-06", "new_entrant_recall"] == 0.0
    assert (out.at["2020-07", "precision"], out.at["2020-07", "recall"]) == (1.0, 1.0)
    assert np.isnan(out.at["2020-07", "new_entrant_recall"])


def test_calibration_bins() -> None:
    predictions = pd.DataFrame(
        {
            "method": "m",
            "p_top_ten": [0.05, 0.15, 0.95, 0.95, 1.0],
            "actual": [False, True, True, False, True],
        }
    )
    out = warning.calibration(predictions, bins=10)
    assert out["p_low"].tolist() == pytest.approx([0.0, 0.1, 0.9])
    assert out["n"].tolist() == [1, 1, 3]
    assert out["observed"].tolist() == pytest.approx([0.0, 1.0, 2 / 3])
    assert out["mean_p"].iloc[2] == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    with pytest.raises(HeatmapError, match="bins"):
        warning.calibration(predictions, bins=0)


def test_backtest_on_the_demo_covers_the_months(demo_con: duckdb.DuckDBPyConnection) -> None:
    panel = queries.monthly_panel(demo_con)
    months = [str(p) for p in pd.period_range("2020-05", "2021-12", freq="M")]
    problems = warning.top_problems(demo_con)
    predictions = warning.walk_forward(panel, months, problems=problems)
    out = warning.score(predictions)
    assert sorted(out["month"].unique()) == months
    assert set(out["method"]) == set(warning.METHODS)
    assert len(out) == len(months) * len(warning.METHODS)
    assert out[["precision", "recall"]].stack().between(0, 1).all()
    model = out[out["method"] == "model"]
    assert (model["n_new"] > 0).any()  # new entrants exist, so their recall is measured
    measured = model.loc[model["n_new"] > 0, "new_entrant_recall"]
    assert measured.notna().all() and measured.between(0, 1).all()
    assert set(warning.calibration(predictions)["method"]) == set(warning.METHODS)


def test_top_problems(tiny_store: duckdb.DuckDBPyConnection) -> None:
    # conftest 2020-03 dispatched: T1 噪声扰民 1, 停车难 1 (tie -> first by name); T3 噪声扰民 2 of 4
    out = warning.top_problems(tiny_store).set_index(["month", "town_code"])
    assert out.at[("2020-03", "110102001"), "top_problem"] == "噪声扰民"
    assert out.at[("2020-03", "110102001"), "top_problem_share"] == 0.5
    assert out.at[("2020-03", "110101001"), "top_problem_share"] == 0.5


# ------------------------------------------------------------------------------ close to exit

# Five towns, 2020-01..04, top 2 supervised, exit after 3 months out, volume ≤ 80 % of entry,
# score ≥ city 0.80, score rank ≤ floor(0.8 × 5) = 4.
#   A 100  96  92  88   score .60 .64 .68 .72   rank 1 1 1 1
#   B  80  80  80  80   score .85               rank 3 3 2 2  (enters 2020-03 at 80)
#   C  90  85  78  70   score .90               rank 2 2 3 3  (entered 2020-01 at 90, out 2 months)
#   D   5 ...           score .95;  E 1 ... score .50
# Score ranks in 2020-04: D 1, C 2, B 3, A 4, E 5.
EXIT_RULES = ExitRules(
    start_month="2020-01", top_n=2, months_out=3, volume_drop=0.2, score_margin=0.0, low_share=0.2
)
EXIT_VOLUMES = {0: [100, 96, 92, 88], 1: [80] * 4, 2: [90, 85, 78, 70], 3: [5] * 4, 4: [1] * 4}
EXIT_SCORES = {0: [0.60, 0.64, 0.68, 0.72], 1: 0.85, 2: 0.90, 3: 0.95, 4: 0.50}


@pytest.fixture(scope="module")
def exits() -> pd.DataFrame:
    panel = make_panel(EXIT_VOLUMES, EXIT_SCORES)
    gov = governance.evaluate(panel, EXIT_RULES)
    return warning.close_to_exit(gov, panel, "2020-04")


def cell(frame: pd.DataFrame, town: int, condition: str, column: str) -> object:
    rows = frame[(frame["town_code"] == code(town)) & (frame["condition"] == condition)]
    assert len(rows) == 1
    return rows.iloc[0][column]


def test_close_to_exit_projects_a_linear_series(exits: pd.DataFrame) -> None:
    assert sorted(exits["town_code"].unique()) == [code(0), code(1), code(2)]
    # A: volume 100 96 92 88, 4 a month, target 0.8 × 100 = 80 -> two more months
    assert not cell(exits, 0, "volume_down", "holds")
    assert cell(exits, 0, "volume_down", "value") == 88
    assert cell(exits, 0, "volume_down", "target") == 80
    assert cell(exits, 0, "volume_down", "slope") == pytest.approx(-4)
    assert cell(exits, 0, "volume_down", "projected_month") == "2020-06"
    # score − city: −.20 −.16 −.12 −.08, +.04 a month, target 0 -> two more months
    assert cell(exits, 0, "rates_up", "projected_month") == "2020-06"
    # score rank 4 ≤ 4 holds now; rank 1 every month never leaves the top two: that blocks exit
    assert cell(exits, 0, "out_of_low", "holds")
    assert cell(exits, 0, "out_of_low", "projected_month") == "2020-04"
    assert cell(exits, 0, "out_of_top", "projected_month") is None
    assert cell(exits, 0, "out_of_top", "blocking")
    assert cell(exits, 0, "out_of_top", "projected_exit") is None


def test_close_to_exit_counts_the_missing_months_out(exits: pd.DataFrame) -> None:
    # C: out of the top in 03, 04 (2 of 3 months); rank line 2 2 3 3 rises, so still out in 05.
    # volume 70 ≤ 72, score .90 ≥ .80, score rank 2 ≤ 4 hold: 退出前十 alone blocks, exit 2020-05.
    assert cell(exits, 2, "out_of_top", "projected_month") == "2020-05"
    assert cell(exits, 2, "out_of_top", "blocking")
    assert cell(exits, 2, "out_of_top", "projected_exit") == "2020-05"
    holds = exits[exits["town_code"] == code(2)].set_index("condition")["holds"]
    assert holds.to_dict() == {
        "out_of_top": False, "volume_down": True, "rates_up": True, "out_of_low": True
    }  # fmt: skip
    # B: flat volume 80 never falls to 64; 退出前十 is never met either and comes first
    assert cell(exits, 1, "volume_down", "projected_month") is None
    assert cell(exits, 1, "out_of_top", "blocking")
    assert exits.groupby("town_code")["blocking"].sum().tolist() == [1, 1, 1]
    assert [cell(exits, t, "out_of_top", "entry_month") for t in (0, 1, 2)] == [
        "2020-01", "2020-03", "2020-01"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("level", "slope", "target", "down", "expected"),
    [
        (88, -4, 80, True, 2),  # 84, 80
        (88, 4, 80, True, None),  # the wrong way
        (88, 0, 80, True, None),  # flat
        (78, -4, 80, True, 1),  # the line is already past: next month
        (-0.08, 0.04, 0.0, False, 2),
        (88, -0.1, 80, True, None),  # 80 months > horizon 24
    ],
)
def test_steps_to(
    level: float, slope: float, target: float, down: bool, expected: int | None
) -> None:
    assert warning._steps_to(level, slope, target, down, 24) == expected


def test_close_to_exit_on_the_demo(demo_con: duckdb.DuckDBPyConnection) -> None:
    panel = queries.monthly_panel(demo_con)
    gov = governance.evaluate(panel)
    out = warning.close_to_exit(gov, panel, "2021-06", lang="en")
    status = governance.statuses_in(gov, "2021-06")
    supervised = set(status.loc[status["status"].isin(governance.SUPERVISED), "town_code"])
    assert set(out["town_code"]) == supervised
    assert (out.groupby("town_code").size() == 4).all()
    assert (out.groupby("town_code")["blocking"].sum() == 1).all()
    assert set(out["label"]) == {t(f"cond_{k}", "en") for k in governance.CONDITIONS}
    with pytest.raises(HeatmapError, match="window"):
        warning.close_to_exit(gov, panel, "2021-06", window=1)


def test_walk_forward_over_no_month_is_empty() -> None:
    frame = warning.walk_forward(pd.DataFrame(), [])
    assert frame.empty
    assert warning.score(frame).empty


def test_a_month_from_the_history_grid_equals_a_month_from_its_own_grid(
    demo_con: duckdb.DuckDBPyConnection,
) -> None:
    """The 预警 page builds the history once and asks each month from it: same risk as before."""
    panel = queries.monthly_panel(demo_con)
    history = warning.build_history(demo_con, panel=panel)
    months = queries.available_months(demo_con)
    for month in (months[14], months[-7], months[-1]):
        assert history.covers(panel, month)
        for method in warning.METHODS:
            alone = warning.risk(panel, month, method=method, problems=history.problems)
            shared = warning.risk(
                panel, month, method=method, problems=history.problems, history=history
            )
            pd.testing.assert_frame_equal(alone, shared)
    whole = warning.outlook(demo_con, months[-3], panel=panel)
    reused = warning.outlook(demo_con, months[-3], panel=panel, history=history)
    pd.testing.assert_frame_equal(whole.risk, reused.risk)
    pd.testing.assert_frame_equal(whole.backtest, reused.backtest)


def test_the_history_grid_is_not_used_when_a_town_appears_later(panel: pd.DataFrame) -> None:
    later = make_panel({**BASE, 15: [0, 0, 0, 0, 0, 30]})
    later = later[~((later["town_code"] == code(15)) & (later["month"] < "2020-06"))]
    grid = warning._grid(later, ExitRules(), None)
    history = warning.History(ExitRules(), grid, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    assert not history.covers(later, "2020-05")  # town 15 is not in the panel until June
    assert history.covers(later, "2020-06")
    alone = warning.risk(later, "2020-05", method="rank_ma")
    shared = warning.risk(later, "2020-05", method="rank_ma", history=history)
    pd.testing.assert_frame_equal(alone, shared)
    assert code(15) not in set(shared["town_code"])
