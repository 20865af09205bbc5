"""Tests of heatmap.analysis.queries on the hand-written store of conftest (counts worked out by hand there)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import D1, D2, T1, T2, T3, T4, T5, hex_of

from heatmap.analysis import queries
from heatmap.errors import FilterError
from heatmap.filters import Filters, View

NAN = np.nan
MARCH = Filters("2020-03", "2020-03")


def _by_town(frame: pd.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(frame["town_code"], frame[column], strict=True))


def _same(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float) and np.isnan(value):
            assert np.isnan(got[key]), key
        else:
            assert got[key] == pytest.approx(value), key


# --------------------------------------------------------------------------- reference lists


def test_available_months(tiny_store: duckdb.DuckDBPyConnection) -> None:
    assert queries.available_months(tiny_store) == ["2019-03", "2019-06", "2020-02", "2020-03"]


@pytest.mark.parametrize(
    ("scope", "codes"),
    [(None, [T1, T2, T3, T4, T5]), ([D2], [T3, T4, T5]), ([], [])],
)
def test_towns_in_scope(
    tiny_store: duckdb.DuckDBPyConnection, scope: list[str] | None, codes: list[str]
) -> None:
    assert queries.towns(tiny_store, scope=scope)["town_code"].tolist() == codes


def test_districts(tiny_store: duckdb.DuckDBPyConnection) -> None:
    assert queries.districts(tiny_store).values.tolist() == [[D1, "东城区"], [D2, "西城区"]]


def test_choices(tiny_store: duckdb.DuckDBPyConnection) -> None:
    c = queries.choices(tiny_store, scope=[D1])
    assert c.months == ["2019-03", "2019-06", "2020-02", "2020-03"]
    assert c.districts == [D1]
    assert c.towns == {T1: D1, T2: D1}
    assert c.themes == ["交通", "住房", "环境"]
    assert c.problems == {"停车难": "交通", "物业服务": "住房", "噪声扰民": "环境"}


# --------------------------------------------------------------------------- town_measures


def test_town_measures_march(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_measures(tiny_store, View.of(MARCH))
    assert frame["town_code"].tolist() == [T3, T5, T1, T2, T4]  # by rank, then code
    assert _by_town(frame, "volume") == {T1: 2, T2: 1, T3: 4, T4: 0, T5: 3}
    assert _by_town(frame, "previous_volume") == {T1: 4, T2: 1, T3: 2, T4: 0, T5: 0}
    assert _by_town(frame, "rank") == {T3: 1, T5: 2, T1: 3, T2: 4, T4: 5}
    assert _by_town(frame, "previous_rank") == {T1: 1, T3: 2, T2: 3, T4: 4, T5: 4}
    _same(_by_town(frame, "mom"), {T1: -0.5, T2: 0.0, T3: 1.0, T4: NAN, T5: NAN})
    _same(_by_town(frame, "per_10k"), {T1: 1.0, T2: 1.0, T3: 2.0, T4: NAN, T5: 1.0})
    _same(_by_town(frame, "response_rate"), {T1: 1.0, T2: 0.0, T3: 0.75, T4: NAN, T5: 1.0})
    _same(_by_town(frame, "resolution_rate"), {T1: 0.5, T2: NAN, T3: 1.0, T4: NAN, T5: 0.5})
    _same(_by_town(frame, "satisfaction_rate"), {T1: 0.5, T2: NAN, T3: 0.5, T4: NAN, T5: 1.0})


def test_town_without_records_appears_with_zero(tiny_store: duckdb.DuckDBPyConnection) -> None:
    row = queries.town_measures(tiny_store, View.of(MARCH)).set_index("town_code").loc[T4]
    assert (row["volume"], row["accepted"], row["dispatched"]) == (0, 0, 0)
    assert row["town_name"] == "丁街道"


def test_measure_accepted(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_measures(tiny_store, View.of(MARCH, measure="accepted"))
    assert frame["town_code"].tolist() == [T1, T3, T5, T2, T4]
    assert _by_town(frame, "volume") == {T1: 4, T2: 1, T3: 4, T4: 0, T5: 3}
    assert _by_town(frame, "rank") == {T1: 1, T3: 1, T5: 3, T2: 4, T4: 5}
    assert _by_town(frame, "dispatched") == {T1: 2, T2: 1, T3: 4, T4: 0, T5: 3}


def test_city_wide_rank_kept_under_district_filter(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_measures(tiny_store, View.of(Filters("2020-03", "2020-03", districts=(D1,))))
    assert frame["town_code"].tolist() == [T1, T2]
    assert _by_town(frame, "rank") == {T1: 3, T2: 4}  # T1 is first of 东城区 but third city-wide


def test_town_filter_keeps_city_wide_rank(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_measures(tiny_store, View.of(Filters("2020-03", "2020-03", towns=(T5,))))
    assert frame[["town_code", "volume", "rank"]].values.tolist() == [[T5, 3, 2]]


@pytest.mark.parametrize(("scope", "codes"), [([D2], [T3, T5, T4]), ([D1], [T1, T2]), ([], [])])
def test_scope_limits_rows(
    tiny_store: duckdb.DuckDBPyConnection, scope: list[str], codes: list[str]
) -> None:
    frame = queries.town_measures(tiny_store, View.of(MARCH, scope=scope))
    assert frame["town_code"].tolist() == codes


def test_theme_filter(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_measures(tiny_store, View.of(Filters("2020-03", "2020-03", theme="环境")))
    assert _by_town(frame, "volume") == {T1: 1, T2: 0, T3: 2, T4: 0, T5: 2}
    assert _by_town(frame, "rank") == {T3: 1, T5: 1, T1: 3, T2: 4, T4: 4}
    assert _by_town(frame, "previous_volume") == {T1: 2, T2: 0, T3: 1, T4: 0, T5: 0}


def test_two_month_window(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_measures(tiny_store, View.of(Filters("2020-02", "2020-03")))
    assert _by_town(frame, "volume") == {T1: 6, T2: 2, T3: 6, T4: 0, T5: 3}
    assert _by_town(frame, "previous_volume") == {T1: 0, T2: 0, T3: 0, T4: 0, T5: 0}
    assert frame["mom"].isna().all()


# --------------------------------------------------------------------------- summary


def test_summary_totals_and_rates(tiny_store: duckdb.DuckDBPyConnection) -> None:
    got = queries.summary(tiny_store, View.of(MARCH))
    assert got == {
        "volume": 11,
        "response_rate": pytest.approx(8 / 11),
        "resolution_rate": pytest.approx(4 / 6),
        "satisfaction_rate": pytest.approx(4 / 6),
        "previous_volume": 7,
        "previous_response_rate": pytest.approx(5 / 7),
        "previous_resolution_rate": pytest.approx(3 / 5),
        "previous_satisfaction_rate": pytest.approx(3 / 5),
        "mom": pytest.approx(4 / 7),
        "unassigned": 1,
    }


def test_summary_accepted(tiny_store: duckdb.DuckDBPyConnection) -> None:
    got = queries.summary(tiny_store, View.of(MARCH, measure="accepted"))
    assert (got["volume"], got["previous_volume"], got["unassigned"]) == (13, 7, 1)
    assert got["mom"] == pytest.approx(6 / 7)


def test_summary_in_scope(tiny_store: duckdb.DuckDBPyConnection) -> None:
    got = queries.summary(tiny_store, View.of(MARCH, scope=[D2]))
    assert (got["volume"], got["previous_volume"], got["unassigned"]) == (7, 2, 0)
    assert got["response_rate"] == pytest.approx(6 / 7)
    assert got["mom"] == pytest.approx(2.5)


def test_summary_of_empty_view(tiny_store: duckdb.DuckDBPyConnection) -> None:
    got = queries.summary(tiny_store, View.of(Filters("2019-01", "2019-01")))
    assert got["volume"] == 0 and got["previous_volume"] == 0 and got["unassigned"] == 0
    assert got["mom"] is None and got["response_rate"] is None


# --------------------------------------------------------------------------- density


def test_density_sums_dispatched_with_coordinates(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.density(tiny_store, View.of(MARCH))
    assert dict(zip(frame["hex"], frame["volume"], strict=True)) == {
        hex_of("P1"): 2,
        hex_of("P3"): 3,
        hex_of("P4"): 3,
    }  # P2 holds only r04, accepted but not dispatched
    assert frame["volume"].tolist() == [3, 3, 2]


def test_density_accepted_and_filtered(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.density(tiny_store, View.of(MARCH, measure="accepted", scope=[D1]))
    assert dict(zip(frame["hex"], frame["volume"], strict=True)) == {
        hex_of("P1"): 2,
        hex_of("P2"): 1,
    }


@pytest.mark.parametrize("resolution", [7, 5])
def test_density_coarsened_keeps_total(
    tiny_store: duckdb.DuckDBPyConnection, resolution: int
) -> None:
    frame = queries.density(tiny_store, View.of(MARCH), resolution=resolution)
    assert frame["volume"].sum() == 8
    parents = {hex_of(p, resolution) for p in ("P1", "P3", "P4")}
    assert set(frame["hex"]) == parents


def test_density_empty(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.density(tiny_store, View.of(Filters("2019-01", "2019-01")), resolution=7)
    assert frame.empty and list(frame.columns) == ["hex", "volume", "town_code"]


def test_density_names_each_cell_s_main_town(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.density(tiny_store, View.of(MARCH))
    assert dict(zip(frame["hex"], frame["town_code"], strict=True)) == {
        hex_of("P1"): T1, hex_of("P3"): T3, hex_of("P4"): T5,
    }  # fmt: skip  (a click on a hexagon selects its town)
    coarse = queries.density(tiny_store, View.of(MARCH), resolution=4)
    # at r4 the three points share one cell: T3 and T5 have 3 each, T1 2; a tie goes to the
    # larger code
    assert coarse["volume"].tolist() == [8] and coarse["town_code"].tolist() == [max(T3, T5)]


# --------------------------------------------------------------------------- town detail


def test_town_trend(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_trend(tiny_store, View.of(MARCH), T1)
    months = [str(p) for p in pd.period_range("2019-04", "2020-03", freq="M")]
    assert frame["month"].tolist() == months
    expected = dict.fromkeys(months, 0) | {"2019-06": 1, "2020-02": 4, "2020-03": 2}
    assert dict(zip(frame["month"], frame["volume"], strict=True)) == expected
    ranks = frame.set_index("month")["rank"]
    assert (ranks["2020-02"], ranks["2020-03"]) == (1, 3)
    assert frame.set_index("month")["resolution_rate"]["2020-03"] == pytest.approx(0.5)


def test_town_trend_short_window_accepted(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_trend(tiny_store, View.of(MARCH, measure="accepted"), T2, months=3)
    assert frame[["month", "volume"]].values.tolist() == [
        ["2020-01", 0],
        ["2020-02", 1],
        ["2020-03", 1],
    ]


def test_town_trend_of_town_without_records(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_trend(tiny_store, View.of(MARCH), T4, months=2)
    assert frame["volume"].tolist() == [0, 0]


@pytest.mark.parametrize(
    ("town", "measure", "rows"),
    [
        (T3, "dispatched", [("环境", "噪声扰民", 2, 0.5), ("交通", "停车难", 1, 0.25), ("住房", "物业服务", 1, 0.25)]),
        (T1, "accepted", [("住房", "物业服务", 2, 0.5), ("交通", "停车难", 1, 0.25), ("环境", "噪声扰民", 1, 0.25)]),
        (T1, "dispatched", [("交通", "停车难", 1, 0.5), ("环境", "噪声扰民", 1, 0.5)]),
        (T4, "dispatched", []),
    ],
)  # fmt: skip
def test_town_problems_order_and_share(
    tiny_store: duckdb.DuckDBPyConnection, town: str, measure: str, rows: list[tuple]
) -> None:
    frame = queries.town_problems(tiny_store, View.of(MARCH, measure=measure), town)
    assert list(frame.itertuples(index=False, name=None)) == rows


def test_town_problems_limit_keeps_share_of_all(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_problems(tiny_store, View.of(MARCH), T3, limit=1)
    assert list(frame.itertuples(index=False, name=None)) == [("环境", "噪声扰民", 2, 0.5)]


def test_town_problems_ignore_topic_filter(tiny_store: duckdb.DuckDBPyConnection) -> None:
    frame = queries.town_problems(tiny_store, View.of(Filters("2020-03", "2020-03", theme="交通")), T3)
    assert frame["problem"].tolist() == ["噪声扰民", "停车难", "物业服务"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("query", [queries.town_trend, queries.town_problems])
def test_unknown_town_code(tiny_store: duckdb.DuckDBPyConnection, query) -> None:
    with pytest.raises(FilterError, match="未知街乡镇编码 '110199999' .unknown town code"):
        query(tiny_store, View.of(MARCH), "110199999")


@pytest.mark.parametrize("query", [queries.town_trend, queries.town_problems])
def test_town_outside_scope(tiny_store: duckdb.DuckDBPyConnection, query) -> None:
    with pytest.raises(FilterError, match=f"{T3}.*town outside your scope"):
        query(tiny_store, View.of(MARCH, scope=[D1]), T3)


@pytest.mark.parametrize(
    "call",
    [
        lambda con: queries.town_measures(con, View.of(MARCH, measure="responded")),
        lambda con: queries.summary(con, View.of(MARCH, measure="responded")),
        lambda con: queries.density(con, View.of(MARCH, measure="responded")),
        lambda con: queries.town_trend(con, View.of(MARCH, measure="responded"), T1),
        lambda con: queries.town_problems(con, View.of(MARCH, measure="responded"), T1),
    ],
    ids=["town_measures", "summary", "density", "town_trend", "town_problems"],
)
def test_unknown_measure(tiny_store: duckdb.DuckDBPyConnection, call) -> None:
    with pytest.raises(FilterError, match="应为 dispatched 或 accepted，收到 'responded'"):
        call(tiny_store)


def test_measure_is_never_formatted_unchecked(tiny_store: duckdb.DuckDBPyConnection) -> None:
    evil = "dispatched) FROM towns; --"
    with pytest.raises(FilterError, match="dispatched 或 accepted"):
        queries.density(tiny_store, View.of(MARCH, measure=evil))
