"""The house format of numbers (heatmap.i18n): one way to write a count, a rate, a change, a rank."""

from __future__ import annotations

import math

import pytest

from heatmap.i18n import (
    count,
    decimal,
    percent,
    points,
    rank,
    setting,
    signed_count,
    signed_percent,
)

MINUS = "\u2212"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3272, "3,272"), (28242.0, "28,242"), (0, "0"), (None, "—"), (math.nan, "—"), (-37, f"{MINUS}37")],
)
def test_count(value: float | None, expected: str) -> None:
    assert count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.1316, "13.2%"), (0.8, "80.0%"), (0.8303, "83.0%"), (1.0, "100.0%"), (None, "—")],
)
def test_percent_always_one_decimal(value: float | None, expected: str) -> None:
    assert percent(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.132, "+13.2%"), (-0.02, f"{MINUS}2.0%"), (0.00001, "0.0%"), (-0.00001, "0.0%"), (None, "—")],
)
def test_signed_percent_has_a_plus_and_a_real_minus(value: float | None, expected: str) -> None:
    assert signed_percent(value) == expected
    assert "-" not in signed_percent(value)


def test_points_rank_decimal_setting_signed_count() -> None:
    assert points(0.002) == "+0.2 个百分点" and points(-0.0041, "en") == f"{MINUS}0.4 pp"
    assert points(0.0) == "0.0 个百分点"
    assert rank(8.0) == "8" and rank(None) == "—"
    assert decimal(12.345) == "12.3" and decimal(-1.25) == f"{MINUS}1.2"
    assert setting(30.0) == "30" and setting(500) == "500" and setting(0.2) == "0.2"
    assert setting(True) == "True" and setting("auto") == "auto"
    assert signed_count(1204) == "+1,204" and signed_count(-37) == f"{MINUS}37"
    assert signed_count(0) == "0"
