"""Tests of heatmap.filters: validation, windows, SQL with bind parameters, URL round trip."""

from __future__ import annotations

import dataclasses
import re

import duckdb
import pytest

from heatmap.errors import FilterError
from heatmap.filters import Choices, Filters, View, from_query_params, to_query_params, where_clause

M = "CAST(? AS DATE)"

# --------------------------------------------------------------------------- validation and windows


@pytest.mark.parametrize(
    "bad", ["2020-13", "2020-9", "2020-00", "20-01", "2020/01", "2020-01-01", ""]
)
def test_bad_month_is_rejected(bad: str) -> None:
    with pytest.raises(FilterError, match="YYYY-MM，收到 " + re.escape(repr(bad))):
        Filters(bad, "2020-01")
    with pytest.raises(FilterError, match="expected e.g. 2020-09"):
        Filters("2020-01", bad)


def test_reversed_range_is_rejected() -> None:
    with pytest.raises(FilterError, match="2020-03 晚于结束月份 2020-01 .month range reversed"):
        Filters("2020-03", "2020-01")


def test_filters_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Filters("2020-01", "2020-01").month_to = "2020-02"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2020-01", "2020-01", ["2020-01"]),
        ("2019-11", "2020-02", ["2019-11", "2019-12", "2020-01", "2020-02"]),
    ],
)
def test_months_of_a_range(start: str, end: str, months: list[str]) -> None:
    assert Filters(start, end).months == months
    assert Filters(start, end).is_range == (len(months) > 1)


@pytest.mark.parametrize(
    ("start", "end", "prev_start", "prev_end"),
    [
        ("2020-01", "2020-03", "2019-10", "2019-12"),
        ("2020-01", "2020-01", "2019-12", "2019-12"),
        ("2020-05", "2020-06", "2020-03", "2020-04"),
    ],
)
def test_previous_window(start: str, end: str, prev_start: str, prev_end: str) -> None:
    f = Filters(start, end, districts=("110101",), theme="交通")
    assert f.previous() == Filters(prev_start, prev_end, districts=("110101",), theme="交通")


def test_year_before() -> None:
    f = Filters("2020-03", "2020-05", towns=("110101001",), problem="停车难")
    assert f.year_before() == Filters("2019-03", "2019-05", towns=("110101001",), problem="停车难")


@pytest.mark.parametrize(
    ("start", "end", "lang", "label"),
    [
        ("2020-01", "2020-03", "zh", "2020-01 至 2020-03"),
        ("2020-01", "2020-03", "en", "2020-01 to 2020-03"),
        ("2020-01", "2020-01", "zh", "2020-01"),
        ("2020-01", "2020-01", "en", "2020-01"),
    ],
)
def test_label(start: str, end: str, lang: str, label: str) -> None:
    assert Filters(start, end).label(lang) == label


# --------------------------------------------------------------------------- where_clause


def test_where_months_only() -> None:
    assert where_clause(Filters("2020-01", "2020-02")) == (
        f"WHERE month IN ({M}, {M})",
        ["2020-01-01", "2020-02-01"],
    )


def test_where_every_filter_in_order() -> None:
    f = Filters("2020-03", "2020-03", ("110101",), ("110101001", "110101002"), "交通", "停车难")
    sql, params = where_clause(f, scope=["110101", "110102"])
    assert sql == (
        f"WHERE month IN ({M}) AND district_code IN (?, ?) AND district_code IN (?)"
        " AND town_code IN (?, ?) AND theme = ? AND problem = ?"
    )
    assert params == [
        "2020-03-01",
        "110101",
        "110102",
        "110101",
        "110101001",
        "110101002",
        "交通",
        "停车难",
    ]


@pytest.mark.parametrize(
    ("kwargs", "sql", "params"),
    [
        ({"geography": False}, f"WHERE month IN ({M}) AND theme = ?", ["2020-03-01", "交通"]),
        (
            {"topic": False},
            f"WHERE month IN ({M}) AND district_code IN (?)",
            ["2020-03-01", "110101"],
        ),
        (
            {"geography": False, "topic": False, "scope": ["110102"]},
            f"WHERE month IN ({M}) AND district_code IN (?)",
            ["2020-03-01", "110102"],
        ),
        (
            {"months": ["2019-12", "2020-01"], "geography": False},
            f"WHERE month IN ({M}, {M}) AND theme = ?",
            ["2019-12-01", "2020-01-01", "交通"],
        ),
    ],
)
def test_where_leaves_out_parts(kwargs: dict, sql: str, params: list) -> None:
    f = Filters("2020-03", "2020-03", districts=("110101",), theme="交通")
    assert where_clause(f, **kwargs) == (sql, params)


def test_empty_scope_selects_nothing() -> None:
    sql, params = where_clause(Filters("2020-03", "2020-03"), scope=[])
    assert sql == f"WHERE month IN ({M}) AND false"
    assert params == ["2020-03-01"]


@pytest.mark.parametrize("field", ["theme", "problem"])
def test_user_values_go_to_params_not_sql(field: str) -> None:
    evil = "x'; DROP TABLE records; --"
    sql, params = where_clause(Filters("2020-03", "2020-03", **{field: evil}))
    assert evil not in sql and "DROP" not in sql
    assert params[-1] == evil
    con = duckdb.connect()
    con.execute("CREATE TABLE records (month DATE, theme VARCHAR, problem VARCHAR)")
    con.execute("INSERT INTO records VALUES (DATE '2020-03-01', '交通', '停车难')")
    assert con.execute(f"SELECT count(*) FROM records {sql}", params).fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM records").fetchall() == [(1,)]


def test_town_codes_go_to_params_not_sql() -> None:
    evil = "1) OR (1=1"
    sql, params = where_clause(Filters("2020-03", "2020-03", towns=(evil,)), scope=[evil])
    assert evil not in sql
    assert params == ["2020-03-01", evil, evil]


# --------------------------------------------------------------------------- URL form

CHOICES = Choices(
    months=["2020-01", "2020-02", "2020-03"],
    districts=["110101", "110102"],
    towns={"110101001": "110101", "110101002": "110101", "110102001": "110102"},
    themes=["环境", "交通"],
    problems={"噪声扰民": "环境", "停车难": "交通"},
)


@pytest.mark.parametrize(
    ("filters", "params"),
    [
        (Filters("2020-03", "2020-03"), {"from": "2020-03", "to": "2020-03"}),
        (
            Filters(
                "2020-01", "2020-03", ("110101",), ("110101001", "110101002"), "交通", "停车难"
            ),
            {
                "from": "2020-01",
                "to": "2020-03",
                "d": "110101",
                "t": "110101001,110101002",
                "theme": "交通",
                "problem": "停车难",
            },
        ),
        (
            Filters("2020-02", "2020-02", problem="噪声扰民"),
            {"from": "2020-02", "to": "2020-02", "problem": "噪声扰民"},
        ),
    ],
)
def test_query_params_round_trip(filters: Filters, params: dict[str, str]) -> None:
    assert to_query_params(filters) == params
    assert from_query_params(params, CHOICES) == (filters, [])


@pytest.mark.parametrize(
    ("params", "filters", "dropped"),
    [
        ({}, Filters("2020-03", "2020-03"), []),
        ({"m": "2020-02"}, Filters("2020-02", "2020-02"), []),
        ({"from": "2020-01"}, Filters("2020-01", "2020-01"), []),
        (
            {"from": "2019-12", "to": "2020-02"},
            Filters("2020-03", "2020-03"),
            ["from=2019-12", "to=2020-02"],  # the end falls before the replacement start
        ),
        ({"from": "2020-01", "to": "2020-13"}, Filters("2020-01", "2020-01"), ["to=2020-13"]),
        ({"from": "2020-03", "to": "2020-01"}, Filters("2020-03", "2020-03"), ["to=2020-01"]),
        (
            {"from": "2020-03", "d": "110101,999999"},
            Filters("2020-03", "2020-03", districts=("110101",)),
            ["d=999999"],
        ),
        (
            {"from": "2020-03", "t": "110101001,110109999"},
            Filters("2020-03", "2020-03", towns=("110101001",)),
            ["t=110109999"],
        ),
        (
            {"from": "2020-03", "theme": "教育", "problem": "停车难"},
            Filters("2020-03", "2020-03", problem="停车难"),
            ["theme=教育"],
        ),
        (
            {"from": "2020-03", "theme": "环境", "problem": "停车难"},
            Filters("2020-03", "2020-03", theme="环境"),
            ["problem=停车难"],
        ),
        (
            {"from": "2020-03", "problem": "不存在"},
            Filters("2020-03", "2020-03"),
            ["problem=不存在"],
        ),
    ],
)
def test_invalid_url_values_are_dropped_and_reported(
    params: dict[str, str], filters: Filters, dropped: list[str]
) -> None:
    assert from_query_params(params, CHOICES) == (filters, dropped)


def test_town_outside_chosen_district_is_dropped_and_reported() -> None:
    got = from_query_params({"from": "2020-03", "d": "110101", "t": "110101001,110102001"}, CHOICES)
    assert got == (
        Filters("2020-03", "2020-03", districts=("110101",), towns=("110101001",)),
        ["t=110102001"],
    )


def test_unknown_start_alone_reports_only_from() -> None:
    # the URL names no end month, so only the start is reported as dropped
    assert from_query_params({"from": "2019-12"}, CHOICES) == (
        Filters("2020-03", "2020-03"),
        ["from=2019-12"],
    )


# ----------------------------------------------------------------- whose view: one label for all

_DISTRICTS = {"110108": "海淀区", "110105": "朝阳区", "110101": "东城区", "110102": "西城区"}
_TOWNS = {"110108001": "万寿路街道", "110108002": "学院路街道", "110105001": "建外街道"}
_OWNER = {"110108001": "110108", "110108002": "110108", "110105001": "110105"}


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (Filters("2021-05", "2021-05"), "北京市"),
        (Filters("2021-05", "2021-05", districts=("110108",)), "海淀区"),
        (Filters("2021-05", "2021-05", districts=("110108", "110105")), "海淀区、朝阳区"),
        (
            Filters("2021-05", "2021-05", districts=("110108", "110105", "110101", "110102")),
            "海淀区、朝阳区、东城区等 4 个区",
        ),
        (Filters("2021-05", "2021-05", towns=("110108002",)), "海淀区 学院路街道"),
        (Filters("2021-05", "2021-05", towns=("110108002", "110105001")), "学院路街道、建外街道"),
        (View("2021-05", "2021-05", scope=("110108",)), "海淀区"),  # an account's own district
        (View("2021-05", "2021-05", scope=("110108",), scope_towns=("110108001",)), "海淀区 万寿路街道"),
    ],
)
def test_area_label_names_whose_view_it_is(view: Filters, expected: str) -> None:
    from heatmap.filters import area_label

    got = area_label(view, district_names=_DISTRICTS, town_names=_TOWNS, town_districts=_OWNER)
    assert got == expected


def test_view_label_joins_area_months_and_what() -> None:
    from heatmap.filters import view_label
    from heatmap.output.reports import file_stem

    label = view_label("海淀区 学院路街道", "2021-05", "派单量")
    assert label == "海淀区 学院路街道 · 2021-05 · 派单量"
    assert file_stem(label) == "海淀区_学院路街道_2021-05_派单量"
    assert file_stem('考核排名 · a/b:c*?"<>|') == "考核排名_a_b_c"
