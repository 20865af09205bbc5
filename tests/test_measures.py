"""Tests of heatmap.measures: rates, ranks, month-on-month change, requests per 10,000."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from heatmap.measures import add_rates, change, per_10k, rank_by

NAN = np.nan


def test_add_rates_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "dispatched": [4, 0, 2],
            "responded": [3, 0, 2],
            "evaluated": [2, 0, 0],
            "resolved": [1, 0, 0],
            "satisfied": [2, 0, 0],
        }
    )
    out = add_rates(frame)
    expected = pd.DataFrame(
        {
            "response_rate": [0.75, NAN, 1.0],
            "resolution_rate": [0.5, NAN, NAN],
            "satisfaction_rate": [1.0, NAN, NAN],
        }
    )
    pd.testing.assert_frame_equal(out[expected.columns], expected)
    assert list(frame.columns) == ["dispatched", "responded", "evaluated", "resolved", "satisfied"]


def test_add_rates_nullable_counts() -> None:
    frame = pd.DataFrame(
        {
            c: pd.array([1, 0], dtype="Int64")
            for c in ("dispatched", "responded", "evaluated", "resolved", "satisfied")
        }
    )
    out = add_rates(frame)
    assert out["response_rate"].iloc[0] == 1.0
    assert np.isnan(out["satisfaction_rate"].iloc[1])


@pytest.mark.parametrize(
    ("values", "ranks"),
    [
        ([9, 5, 5, 2], [1, 2, 2, 4]),
        ([2, 5, 9, 5], [4, 2, 1, 2]),  # row order does not matter
        ([0, 0, 0], [1, 1, 1]),
        ([3], [1]),
    ],
)
def test_rank_by(values: list[int], ranks: list[int]) -> None:
    got = rank_by(pd.Series(values))
    assert got.dtype == "Int64"
    assert got.tolist() == ranks


def test_tie_at_rank_ten_keeps_both() -> None:
    volumes = pd.Series([20, 19, 18, 17, 16, 15, 14, 13, 12, 5, 5, 1], index=list("abcdefghijkl"))
    ranks = rank_by(volumes)
    assert ranks[["j", "k"]].tolist() == [10, 10]
    assert ranks["l"] == 12
    assert sorted(ranks[ranks <= 10].index) == list("abcdefghijk")  # 11 towns in the top ten


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (88, 100, -0.12),
        (75, 50, 0.5),
        (7, 7, 0.0),
        (0, 4, -1.0),
        (5, 0, NAN),
        (0, 0, NAN),
        (5, NAN, NAN),
    ],
)
def test_change(current: float, previous: float, expected: float) -> None:
    got = change(pd.Series([current]), pd.Series([previous])).iloc[0]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("volume", "population", "expected"),
    [(30, 20_000, 15.0), (1, 10_000, 1.0), (5, 0, NAN), (5, NAN, NAN), (0, 5_000, 0.0)],
)
def test_per_10k(volume: int, population: float, expected: float) -> None:
    got = per_10k(pd.Series([volume]), pd.Series([population])).iloc[0]
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected)
