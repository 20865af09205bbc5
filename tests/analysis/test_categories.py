"""类别分析 measures on the hand-counted store of test_topics: table, 高频事项, category × district."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import D1, D2, T3, T5, TOWNS
from test_topics import COUNTS, hand_records

from heatmap.analysis import categories
from heatmap.errors import FilterError
from heatmap.filters import Filters, View
from heatmap.intake import store

APRIL = Filters("2021-04", "2021-04")


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path_factory.mktemp("categories") / "hand.duckdb"
    writer = store.connect(path)
    store.replace_towns(writer, TOWNS)
    store.append_records(writer, hand_records(COUNTS))
    store.refresh_aggregates(writer)
    writer.close()
    connection = store.connect(path, read_only=True)
    yield connection
    connection.close()


def test_category_table_hand_counts(con: duckdb.DuckDBPyConnection) -> None:
    # 2021-04: 物业服务 18, 停车难 8, 拖欠工资 6, 普惠幼儿园入园 3, 噪声扰民 1 (36 in all);
    # 2021-03: 20, 10, 4, 0, 10 (停车难 and 噪声扰民 share rank 2); 2020-04: 停车难 4.
    table = categories.category_table(con, View.of(APRIL)).set_index("problem")
    assert table.index.tolist() == ["物业服务", "停车难", "拖欠工资", "普惠幼儿园入园", "噪声扰民"]
    assert table["volume"].tolist() == [18, 8, 6, 3, 1]
    assert table["previous_volume"].tolist() == [20, 10, 4, 0, 10]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert table["previous_rank"].tolist() == [1, 2, 4, 5, 2]
    assert table.loc["物业服务", "share"] == pytest.approx(0.5)
    assert table.loc["噪声扰民", "mom_change"] == pytest.approx(-0.9)
    assert np.isnan(table.loc["普惠幼儿园入园", "mom_change"])
    assert table.loc["停车难", "yoy_change"] == pytest.approx(1.0)
    assert table.loc["停车难", "theme"] == "交通"


def test_category_table_follows_filters(con: duckdb.DuckDBPyConnection) -> None:
    d1 = categories.category_table(con, View.of(Filters("2021-04", "2021-04", (D1,))))
    assert dict(zip(d1["problem"], d1["volume"], strict=True)) == {
        "停车难": 5,
        "物业服务": 2,
        "噪声扰民": 1,
    }
    housing = categories.category_table(con, View.of(Filters("2021-04", "2021-04", theme="住房")))
    assert housing["problem"].tolist() == ["物业服务"]
    scoped = categories.category_table(con, View.of(APRIL, scope=[D2]))
    assert scoped["volume"].sum() == 16 + 3 + 6 + 3
    window = categories.category_table(con, View.of(Filters("2021-03", "2021-04"))).set_index("problem")
    assert window.loc["停车难", ["volume", "previous_volume", "year_ago_volume"]].tolist() == [
        18,
        0,
        4,
    ]
    assert categories.category_table(con, View.of(Filters("2019-01", "2019-01"))).empty
    with pytest.raises(FilterError):
        categories.category_table(con, View.of(APRIL, measure="score"))


def test_high_frequency_keeps_ties() -> None:
    table = pd.DataFrame({"problem": list("abcd"), "volume": [9, 5, 5, 0], "rank": [1, 2, 2, 4]})
    assert categories.high_frequency(table, n=2)["problem"].tolist() == ["a", "b", "c"]
    assert categories.high_frequency(table, n=10)["problem"].tolist() == ["a", "b", "c"]


def test_category_matrix_by_district_and_share(con: duckdb.DuckDBPyConnection) -> None:
    long = categories.category_matrix(con, View.of(APRIL), by="theme")
    pivot = categories.matrix_pivot(long)
    assert list(pivot.columns) == ["东城区", "西城区"]
    assert pivot.loc["交通"].tolist() == [5, 3]
    assert pivot.loc["住房"].tolist() == [2, 16]
    assert pivot.loc["劳动就业"].tolist() == [0, 6]
    assert pivot.index[0] == "住房"  # rows by total volume (18)
    share = categories.matrix_pivot(long, share=True)
    assert share["东城区"].sum() == pytest.approx(1.0)
    assert share.loc["交通", "东城区"] == pytest.approx(5 / 8)
    ordered = categories.matrix_pivot(long, order=["教育", "交通"])
    assert ordered.index[:2].tolist() == ["教育", "交通"]


def test_category_matrix_by_town_when_towns_are_chosen(con: duckdb.DuckDBPyConnection) -> None:
    long = categories.category_matrix(con, View.of(Filters("2021-04", "2021-04", towns=(T3, T5))), by="problem")
    pivot = categories.matrix_pivot(long)
    assert list(pivot.columns) == ["丙街道", "戊街道"]
    assert pivot.loc["物业服务"].tolist() == [6, 10]
    with pytest.raises(FilterError, match="theme 或 problem"):
        categories.category_matrix(con, View.of(APRIL), by="district")
    assert categories.matrix_pivot(long.iloc[0:0]).empty
