"""Tests of heatmap.analysis.nowcast on hand-built daily records (expectations worked out by hand)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import D1, T1, T2, T3, T4, T5, TOWNS, canonical_records

from heatmap.analysis import nowcast, queries
from heatmap.errors import FilterError, HeatmapError
from heatmap.intake import store

MONTHS = ("2020-01", "2020-02", "2020-03", "2020-04")


def daily_store(
    path: Path, per_day: Callable[[str, pd.Timestamp], int]
) -> duckdb.DuckDBPyConnection:
    """A store whose town ``town`` receives ``per_day(town, date)`` dispatched records each day of
    :data:`MONTHS`, plus one undispatched record a day for T1 (counted as accepted only)."""
    rows, stamps = [], []
    for month in MONTHS:
        for date in pd.date_range(f"{month}-01", periods=pd.Period(month).days_in_month):
            for town in (T1, T2, T3, T5):
                for k in range(per_day(town, date)):
                    rows.append((f"{town}-{date:%Y%m%d}-{k}", month, town, "停车难", "10000", None))
                    stamps.append(date + pd.Timedelta(hours=9, minutes=k))
            rows.append((f"u-{date:%Y%m%d}", month, T1, "停车难", "00000", None))
            stamps.append(date + pd.Timedelta(hours=23, minutes=59))
    records = canonical_records(rows)
    records["received_at"] = stamps
    con = store.connect(path)
    store.replace_towns(con, TOWNS)
    store.append_records(con, records)
    store.refresh_aggregates(con)
    return con


# Uniform: T1 3, T2 2, T3 1, T5 1 dispatched a day in 2020-01..03, and in April's first ten days;
# after 10 April every town gets 9 a day (the nowcast on day 10 must not see them).
UNIFORM = {T1: 3, T2: 2, T3: 1, T5: 1}


@pytest.fixture(scope="module")
def uniform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    def per_day(town: str, date: pd.Timestamp) -> int:
        return 9 if date >= pd.Timestamp("2020-04-11") else UNIFORM[town]

    con = daily_store(tmp_path_factory.mktemp("nowcast") / "uniform.duckdb", per_day)
    yield con
    con.close()


def test_uniform_profile_scales_by_days_in_month(uniform: duckdb.DuckDBPyConnection) -> None:
    # every day alike -> share by day 10 of April is 10/30: projected = observed × 30 / 10
    out = nowcast.nowcast(uniform, "2020-04", 10).set_index("town_code")
    assert out["observed"].to_dict() == {T1: 30, T2: 20, T3: 10, T4: 0, T5: 10}
    assert out.loc[T1, "expected_share"] == pytest.approx(10 / 30)
    for town, volume in {T1: 90, T2: 60, T3: 30, T4: 0, T5: 30}.items():
        for column in ("projected_volume", "low", "high"):  # no spread in history: no width
            assert out.loc[town, column] == pytest.approx(volume)
    assert out["projected_rank"].to_dict() == {T1: 1, T2: 2, T3: 3, T5: 3, T4: 5}
    assert out["in_top_ten"].to_dict() == {T1: True, T2: True, T3: True, T5: True, T4: False}


def test_accepted_counts_every_record(uniform: duckdb.DuckDBPyConnection) -> None:
    # T1 also has one undispatched record a day: 40 accepted by day 10 -> 120
    out = nowcast.nowcast(uniform, "2020-04", 10, measure="accepted").set_index("town_code")
    assert out.loc[T1, "observed"] == 40
    assert out.loc[T1, "projected_volume"] == pytest.approx(120)


def test_scope_limits_rows_not_ranks(uniform: duckdb.DuckDBPyConnection) -> None:
    out = nowcast.nowcast(uniform, "2020-04", 10, scope=[D1])
    assert out["town_code"].tolist() == [T1, T2]
    assert out["projected_rank"].tolist() == [1, 2]
    assert nowcast.nowcast(uniform, "2020-04", 10, scope=[]).empty


def test_last_day_is_the_month(uniform: duckdb.DuckDBPyConnection) -> None:
    # April complete: 10 days at the uniform rate + 20 days at 9; the nowcast equals the aggregate
    out = nowcast.nowcast(uniform, "2020-04", 30).set_index("town_code")
    panel = queries.monthly_panel(uniform).query("month == '2020-04'").set_index("town_code")
    assert out.loc[T1, "projected_volume"] == 30 + 180
    assert (out["projected_volume"] == panel.loc[out.index, "volume"]).all()
    assert (out["low"] == out["high"]).all()


def test_weekday_profile(tmp_path: Path) -> None:
    # Weekdays 4 a day, weekends 1: the first 10 days of April 2020 (Wed 1st) hold 2 weekends
    # (4th-5th) of its 8, so the naive 30/10 scaling is 6 over; the weekday profile is right.
    def per_day(town: str, date: pd.Timestamp) -> int:
        return 1 if date.weekday() >= 5 else 4

    con = daily_store(tmp_path / "weekdays.duckdb", per_day)
    try:
        out = nowcast.nowcast(con, "2020-04", 10).set_index("town_code")
    finally:
        con.close()
    actual = 22 * 4 + 8 * 1  # April 2020: 22 weekdays, 8 weekend days
    observed = 8 * 4 + 2 * 1
    assert out.loc[T1, "observed"] == observed
    assert observed * 30 / 10 == actual + 6  # naive
    assert out.loc[T1, "projected_volume"] == pytest.approx(actual, abs=0.1)


def test_nowcast_errors(uniform: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(FilterError, match="不在 2020-04 的 1–30 日"):
        nowcast.nowcast(uniform, "2020-04", 31)
    with pytest.raises(FilterError, match="YYYY-MM"):
        nowcast.nowcast(uniform, "April", 3)
    with pytest.raises(FilterError, match="口径"):
        nowcast.nowcast(uniform, "2020-04", 3, measure="resolved")
    with pytest.raises(HeatmapError, match="至少需要 3 个月"):
        nowcast.nowcast(uniform, "2020-03", 10)  # only January and February before it
    with pytest.raises(HeatmapError, match="level"):
        nowcast.nowcast(uniform, "2020-04", 10, level=1.5)


def test_demo_month_end_matches_the_panel(demo_con: duckdb.DuckDBPyConnection) -> None:
    panel = queries.monthly_panel(demo_con).query("month == '2021-06'").set_index("town_code")
    out = nowcast.nowcast(demo_con, "2021-06", 30).set_index("town_code")
    assert (out["projected_volume"] == panel.loc[out.index, "volume"]).all()
    early = nowcast.nowcast(demo_con, "2021-06", 10)
    assert (early["low"] <= early["projected_volume"]).all()
    assert (early["projected_volume"] <= early["high"]).all()
    assert (early["low"] >= early["observed"]).all()
