"""每月一题 measures on a hand-counted store: 环比/同比, "N of K", carriers, rising, spikes, tasks, CLI."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import D1, D2, T1, T3, T5, TOWNS

from heatmap.analysis import queries, tasks, topics
from heatmap.errors import FilterError, HeatmapError
from heatmap.filters import Filters, View
from heatmap.intake import store
from heatmap.taxonomy import Problem, Taxonomy, load_taxonomy

THEMES = {
    "停车难": "交通",
    "物业服务": "住房",
    "拖欠工资": "劳动就业",
    "普惠幼儿园入园": "教育",
    "噪声扰民": "环境",
}

# Dispatched requests per (month, town, problem); (n dispatched, n accepted only).
# City totals, 2021-03 -> 2021-04:
#   停车难 10 -> 8 (−20 %, fell by more than 10 %); a year before (2020-04) 4, so 同比 +100 %
#   物业服务 20 -> 18 (exactly −10 %: fell, but not by MORE than 10 %)
#   拖欠工资 4 -> 6 (+50 %, rose)
#   普惠幼儿园入园 0 -> 3 (rose; 环比 unknown, previous month 0)
#   噪声扰民 10 -> 1 (not on the list: never counted)
# So for 2021-04: 4 listed problems, 2 fell, 1 by more than 10 %, 2 rose.
# District 110101 only (T1): 停车难 6 -> 5, 物业服务 5 -> 2, others 0 -> 0: 2 fell, both by > 10 %.
COUNTS: dict[tuple[str, str, str], tuple[int, int]] = {
    ("2021-03", T1, "停车难"): (6, 0),
    ("2021-03", T3, "停车难"): (4, 0),
    ("2021-04", T1, "停车难"): (5, 2),
    ("2021-04", T3, "停车难"): (3, 0),
    ("2020-04", T1, "停车难"): (4, 0),
    ("2021-03", T1, "物业服务"): (5, 0),
    ("2021-03", T3, "物业服务"): (5, 0),
    ("2021-03", T5, "物业服务"): (10, 0),
    ("2021-04", T1, "物业服务"): (2, 0),
    ("2021-04", T3, "物业服务"): (6, 0),
    ("2021-04", T5, "物业服务"): (10, 0),
    ("2021-03", T3, "拖欠工资"): (4, 0),
    ("2021-04", T3, "拖欠工资"): (6, 0),
    ("2021-04", T5, "普惠幼儿园入园"): (3, 0),
    ("2021-03", T1, "噪声扰民"): (10, 0),
    ("2021-04", T1, "噪声扰民"): (1, 0),
}


def hand_records(counts: dict[tuple[str, str, str], tuple[int, int]]) -> pd.DataFrame:
    """Canonical records for ``counts`` (one row per request)."""
    towns = TOWNS.set_index("town_code")
    rows = []
    for (month, town, problem), (dispatched, other) in counts.items():
        for i in range(dispatched + other):
            rows.append(
                {
                    "record_id": f"{month}-{town}-{problem}-{i}",
                    "received_at": pd.Timestamp(f"{month}-10 09:30"),
                    "month": pd.Timestamp(f"{month}-01"),
                    "channel": "12345热线电话",
                    "request_type": "投诉",
                    "theme": THEMES[problem],
                    "problem": problem,
                    "text": f"反映{problem}",
                    "district_code": towns.loc[town, "district_code"],
                    "district_name": towns.loc[town, "district_name"],
                    "town_code": town,
                    "town_name": towns.loc[town, "town_name"],
                    "address": None,
                    "lon": np.nan,
                    "lat": np.nan,
                    "src_crs": None,
                    "dispatched": i < dispatched,
                    "responded": i < dispatched,
                    "evaluated": False,
                    "resolved": False,
                    "satisfied": False,
                    "assign_method": "code",
                    "h3": None,
                    "source": "hand",
                }
            )
    frame = pd.DataFrame(rows)
    frame["h3"] = pd.array([None] * len(frame), dtype="UInt64")
    frame["content_hash"] = np.arange(1, len(frame) + 1, dtype="uint64")
    for name in store.column_names():
        if name not in frame.columns:
            frame[name] = None
    return frame


@pytest.fixture(scope="module")
def topic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("topics") / "hand.duckdb"
    con = store.connect(path)
    store.replace_towns(con, TOWNS)
    store.append_records(con, hand_records(COUNTS))
    store.refresh_aggregates(con)
    con.close()
    return path


@pytest.fixture
def con(topic_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = store.connect(topic_db, read_only=True)
    yield connection
    connection.close()


def _problem(name: str, lists: tuple[int, ...]) -> Problem:
    return Problem(THEMES[name], name, name, lists, "牵头单位", 1.0, 0.0, None)


HAND_TAXONOMY = Taxonomy(
    problems=(
        _problem("停车难", (2021,)),
        _problem("物业服务", (2021, 2022)),
        _problem("拖欠工资", (2021,)),
        _problem("普惠幼儿园入园", (2021,)),
        _problem("噪声扰民", ()),
    ),
    source=Path("hand.toml"),
)


# ----------------------------------------------------------------------------- the list of a year


@pytest.mark.parametrize(
    ("month", "year", "expected"),
    [
        ("2021-04", None, 2021),
        ("2022-07", None, 2022),
        ("2024-01", None, 2022),  # latest list before the month
        ("2020-04", None, 2021),  # before the first list: the first list, for comparison
        ("2022-07", 2021, 2021),
    ],
)
def test_list_year_for(month: str, year: int | None, expected: int) -> None:
    assert topics.list_year_for(HAND_TAXONOMY, month, year) == expected


def test_list_year_errors() -> None:
    with pytest.raises(HeatmapError, match=r"2019 年没有每月一题清单.*\[2021, 2022\]"):
        topics.list_year_for(HAND_TAXONOMY, "2021-04", 2019)
    empty = Taxonomy(problems=(_problem("噪声扰民", ()),), source=Path("x.toml"))
    with pytest.raises(HeatmapError, match="没有任何问题属于每月一题清单"):
        topics.list_year_for(empty, "2021-04")


def test_listed_problems_in_taxonomy_order() -> None:
    listed = topics.listed_problems(HAND_TAXONOMY, 2021)
    assert listed["problem"].tolist() == ["停车难", "物业服务", "拖欠工资", "普惠幼儿园入园"]
    assert topics.listed_problems(HAND_TAXONOMY, 2022)["problem"].tolist() == ["物业服务"]


def test_default_taxonomy_lists() -> None:
    taxonomy = load_taxonomy()
    assert topics.list_years(taxonomy) == [2021, 2022]
    assert len(topics.listed_problems(taxonomy, 2021)) == 15


# ----------------------------------------------------------------------------- 环比 and N of K


def test_month_report_hand_counts(con: duckdb.DuckDBPyConnection) -> None:
    report = topics.month_report(con, "2021-04", taxonomy=HAND_TAXONOMY)
    table = report["table"].set_index("problem")
    assert table["volume"].to_dict() == {
        "停车难": 8,
        "物业服务": 18,
        "拖欠工资": 6,
        "普惠幼儿园入园": 3,
    }
    assert table["previous_volume"].to_dict() == {
        "停车难": 10,
        "物业服务": 20,
        "拖欠工资": 4,
        "普惠幼儿园入园": 0,
    }
    assert table.loc["停车难", "mom_change"] == pytest.approx(-0.2)
    assert table.loc["物业服务", "mom_change"] == pytest.approx(-0.1)
    assert table.loc["拖欠工资", "mom_change"] == pytest.approx(0.5)
    assert np.isnan(table.loc["普惠幼儿园入园", "mom_change"])
    assert table.loc["停车难", "year_ago_volume"] == 4
    assert table.loc["停车难", "yoy_change"] == pytest.approx(1.0)
    assert (report["total"], report["fell"], report["fell_over_10pct"], report["rose"]) == (
        4,
        2,
        1,
        2,
    )
    assert "噪声扰民" not in table.index
    assert report["previous_in_store"]
    first = topics.month_report(con, "2020-04", taxonomy=HAND_TAXONOMY)
    assert not first["previous_in_store"]  # 2020-03 is not in the store: no 环比 to state


def test_month_report_district_view_and_accepted(con: duckdb.DuckDBPyConnection) -> None:
    d1 = topics.month_report(con, "2021-04", taxonomy=HAND_TAXONOMY, view=View.of(Filters("2021-04", "2021-04", (D1,))))
    assert (d1["total"], d1["fell"], d1["fell_over_10pct"]) == (4, 2, 2)
    scoped = topics.month_report(con, "2021-04", taxonomy=HAND_TAXONOMY, view=View.of(Filters("2021-04", "2021-04"), scope=[D2]))
    assert scoped["table"].set_index("problem")["volume"]["停车难"] == 3
    accepted = topics.month_report(con, "2021-04", taxonomy=HAND_TAXONOMY, view=View.of(Filters("2021-04", "2021-04"), measure="accepted"))
    assert accepted["table"].set_index("problem")["volume"]["停车难"] == 10  # 8 dispatched + 2


def test_month_report_errors(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(HeatmapError, match="月份 2021-06 不在数据中；可用 2020-04 至 2021-04"):
        topics.month_report(con, "2021-06", taxonomy=HAND_TAXONOMY)
    with pytest.raises(FilterError, match="YYYY-MM"):
        topics.month_report(con, "2021-4", taxonomy=HAND_TAXONOMY)
    with pytest.raises(FilterError, match="dispatched 或 accepted"):
        topics.month_report(con, "2021-04", taxonomy=HAND_TAXONOMY, view=View.of(Filters("2021-04", "2021-04"), measure="volume"))


def test_fell_summary_threshold_is_strict() -> None:
    table = pd.DataFrame({"volume": [90, 89, 100, 5, 0], "previous_volume": [100, 100, 100, 0, 0]})
    table["mom_change"] = (table["volume"] - table["previous_volume"]) / table[
        "previous_volume"
    ].where(table["previous_volume"] > 0)
    assert topics.fell_summary(table) == {
        "total": 5, "fell": 2, "fell_over_10pct": 1, "rose": 1, "threshold": 0.1,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "截至 2021-05（海淀区），27 个问题中 15 个环比下降，其中 7 个降幅超过 10%"),
        ("en", "As of 2021-05 (Haidian), 15 of 27 problems fell month-on-month, 7 of them by more than 10%"),
    ],
)  # fmt: skip
def test_summary_sentence(lang: str, expected: str) -> None:
    summary = {"total": 27, "fell": 15, "fell_over_10pct": 7, "threshold": 0.1}
    area = "（海淀区）" if lang == "zh" else " (Haidian)"
    assert topics.summary_sentence(summary, "2021-05", lang, area=area) == expected


def test_trend_frame_zero_fills(con: duckdb.DuckDBPyConnection) -> None:
    listed = topics.listed_problems(HAND_TAXONOMY, 2021)
    months = ["2021-02", "2021-03", "2021-04"]
    city = topics.volumes(con, View.of(Filters("2021-04", "2021-04")), months=months, problems=listed["problem"].tolist())
    trend = topics.trend_frame(city, listed, months)
    assert len(trend) == 4 * 3
    kids = trend[trend["problem"] == "普惠幼儿园入园"]
    assert kids["volume"].tolist() == [0, 0, 3]
    parking = trend[trend["problem"] == "停车难"].set_index("month")
    assert parking.loc["2021-04", "mom_change"] == pytest.approx(-0.2)


# ----------------------------------------------------------------------------- carriers, rising


def test_carriers_town_and_district(con: duckdb.DuckDBPyConnection) -> None:
    april = Filters("2021-04", "2021-04")
    towns = topics.carriers(con, View.of(april), problems=["物业服务", "停车难"], level="town", n=2)
    service = towns[towns["problem"] == "物业服务"]
    assert service["town_name"].tolist() == ["戊街道", "丙街道"]  # 10, 6 of 18
    assert service["share"].tolist() == pytest.approx([10 / 18, 6 / 18])
    districts = topics.carriers(con, View.of(april), problems=["停车难"], level="district")
    assert districts[["district_name", "volume", "rank"]].values.tolist() == [
        ["东城区", 5, 1],
        ["西城区", 3, 2],
    ]
    with pytest.raises(FilterError, match="town 或 district"):
        topics.carriers(con, View.of(april), problems=["停车难"], level="city")


def test_top_carriers_ties_share_rank() -> None:
    frame = pd.DataFrame(
        {"problem": ["p"] * 4, "town_code": ["a", "b", "c", "d"], "volume": [5, 5, 2, 0]}
    )
    top = topics.top_carriers(frame, "town_code", n=3)
    assert top["rank"].tolist() == [1, 1, 3]
    assert top["share"].sum() == pytest.approx(1.0)


def test_rising_absolute_and_relative_with_minimum_base() -> None:
    table = pd.DataFrame(
        {
            "problem": ["大", "小", "中", "降", "新"],
            "volume": [1_100, 6, 130, 50, 9],
            "previous_volume": [1_000, 2, 100, 80, 0],
        }
    )
    absolute = topics.rising(table, by="absolute")
    assert absolute["problem"].tolist() == ["大", "中", "新", "小"]  # +100, +30, +9, +4
    relative = topics.rising(table, by="relative", min_base=20)
    assert relative["problem"].tolist() == ["中", "大"]  # +30 %, +10 %; 2 -> 6 is below the base
    assert relative["mom_change"].tolist() == pytest.approx([0.3, 0.1])
    assert topics.rising(table, by="relative", min_base=1)["problem"].iloc[0] == "小"
    with pytest.raises(HeatmapError, match="absolute 或 relative"):
        topics.rising(table, by="share")


# ----------------------------------------------------------------------------- spikes


def _series(pairs: dict[tuple[str, str], list[int]], months: list[str]) -> pd.DataFrame:
    rows = [
        {"month": m, "district_code": "110101", "town_code": town, "theme": "交通",
         "problem": problem, "volume": v}
        for (town, problem), values in pairs.items()
        for m, v in zip(months, values, strict=True)
        if v > 0
    ]  # fmt: skip
    return pd.DataFrame(rows)


MONTHS = topics.window_months("2021-05", 7)  # 2020-11 .. 2021-05


def test_window_months() -> None:
    assert MONTHS == ["2020-11", "2020-12", "2021-01", "2021-02", "2021-03", "2021-04", "2021-05"]


def test_spike_rule_on_constructed_series() -> None:
    frame = _series(
        {
            # median of 2, 3, 4, 3, 5, 2 is 3: line max(10, 9) = 10, and 10 reaches it
            ("a", "停车难"): [2, 3, 4, 3, 5, 2, 10],
            # median 5: line 15; 14 stays below
            ("b", "停车难"): [5, 5, 5, 5, 5, 5, 14],
            # median 5: line 15; 15 reaches it
            ("c", "停车难"): [5, 5, 5, 5, 5, 5, 15],
            # history only in two months: the missing four count as 0, median 0, line 10
            ("d", "停车难"): [0, 0, 0, 0, 20, 20, 12],
            # a small town never reaches the minimum volume: 0 -> 9 is no alert
            ("e", "停车难"): [0, 0, 0, 0, 0, 0, 9],
        },
        MONTHS,
    )
    spikes = topics.find_spikes(frame, "2021-05")
    assert sorted(spikes["town_code"]) == ["a", "c", "d"]
    by_town = spikes.set_index("town_code")
    assert by_town.loc["a", ["baseline", "threshold"]].tolist() == [3.0, 10.0]
    assert by_town.loc["c", "ratio"] == pytest.approx(3.0)
    assert np.isnan(by_town.loc["d", "ratio"])
    assert spikes["town_code"].iloc[0] == "d"  # largest excess over its line first (12 - 10 = 2)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (topics.SpikeRule(min_volume=10, factor=2.0), ["a", "b", "c", "d"]),  # lines 10, 10, 10, 10
        (topics.SpikeRule(min_volume=13, factor=3.0), ["c"]),  # lines 13, 15, 15, 13
        # window 2: medians 3.5, 5, 5, 20 -> lines 10, 10, 10, 40
        (topics.SpikeRule(min_volume=10, factor=2.0, window=2), ["a", "b", "c"]),
    ],
)
def test_spike_rule_parameters(rule: topics.SpikeRule, expected: list[str]) -> None:
    frame = _series(
        {
            ("a", "停车难"): [2, 3, 4, 3, 5, 2, 10],
            ("b", "停车难"): [5, 5, 5, 5, 5, 5, 14],
            ("c", "停车难"): [5, 5, 5, 5, 5, 5, 15],
            ("d", "停车难"): [0, 0, 0, 0, 20, 20, 12],
        },
        MONTHS,
    )
    assert sorted(topics.find_spikes(frame, "2021-05", rule=rule)["town_code"]) == expected


def test_spike_rule_validation_and_text() -> None:
    with pytest.raises(HeatmapError, match="预警规则参数无效"):
        topics.SpikeRule(min_volume=0)
    assert topics.SpikeRule().describe() == (
        "规则：当月量不少于 10，且不少于前 6 个月中位数的 3 倍；无记录的月份按 0 计"
    )
    assert "median of the previous 6 months" in topics.SpikeRule().describe("en")


def test_spike_alerts_need_history(con: duckdb.DuckDBPyConnection) -> None:
    alerts = topics.spike_alerts(con, View.of(Filters("2021-04", "2021-04")), month="2021-04")
    assert alerts.empty  # the store has 2020-04, 2021-03, 2021-04 only
    assert not topics.has_history(con, "2021-04", 6)
    assert topics.has_history(con, "2021-04", 1)
    short = topics.spike_alerts(con, View.of(Filters("2021-04", "2021-04")), month="2021-04", rule=topics.SpikeRule(min_volume=2, factor=1.5, window=1))
    # 1-month history: line max(2, 1.5 × March). 物业服务 at 丙 6 ≥ 7.5? no; 拖欠工资 at 丙 6 ≥ 6: yes;
    # 普惠幼儿园入园 at 戊 3 ≥ 2 (March 0): yes; 停车难 at 甲 5 ≥ 9? no.
    assert sorted(zip(short["town_name"], short["problem"], strict=True)) == [
        ("丙街道", "拖欠工资"),
        ("戊街道", "普惠幼儿园入园"),
    ]


# ----------------------------------------------------------------------------- task progress


def _tasks(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["problem", "task", "due_month", "done_month"])


def test_task_progress_per_problem_and_total() -> None:
    listed = _tasks(
        [
            ("停车难", "t1", "2021-03", "2021-02"),
            ("停车难", "t2", "2021-05", "2021-06"),  # done after the month: open in May
            ("停车难", "t3", "2021-09", ""),
            ("物业服务", "t4", "2021-04", "2021-05"),
            ("物业服务", "t5", "2021-04", ""),  # overdue
            ("物业服务", "t6", "2021-09", "2021-04"),  # done early: counts as done, not as due
        ]
    )
    progress = tasks.task_progress(listed, "2021-05").set_index("problem")
    counts = ["tasks", "planned", "done", "overdue"]
    assert progress.loc["停车难", counts].tolist() == [3, 2, 1, 1]
    assert progress.loc["物业服务", counts].tolist() == [3, 2, 2, 1]
    assert progress.loc["物业服务", "plan_share"] == pytest.approx(0.5)  # 1 of the 2 due is done
    assert progress.loc["合计", counts].tolist() == [6, 4, 3, 2]
    assert progress.loc["合计", "share"] == pytest.approx(0.5)
    assert progress.loc["合计", "plan_share"] == pytest.approx(0.5)


def test_task_progress_reproduces_the_reported_figure() -> None:
    rows = [("p", f"t{i}", "2021-11", "2021-11" if i < 570 else "") for i in range(603)]
    progress = tasks.task_progress(_tasks(rows), "2021-11")
    sentence = tasks.progress_sentence(progress, "2021-11")
    assert sentence.startswith("截至 2021-11，已完成 570 项，共 603 项（94.53%）")
    # the seeds print 94.52 %: 570 / 603 = 0.945273…, truncated there and rounded here
    assert progress.iloc[-1]["share"] == pytest.approx(570 / 603)


def test_read_tasks_accepts_chinese_headers_gbk_and_date_forms() -> None:
    text = "问题,任务,计划完成月份,完成月份\n停车难,新增车位,2021/5,2021年4月\n停车难,错时共享,2021-06-30,\n"
    read = tasks.read_tasks(text.encode("gb18030"))
    assert read["due_month"].tolist() == ["2021-05", "2021-06"]
    assert read["done_month"].tolist()[0] == "2021-04"
    assert read["done_month"].isna().tolist() == [False, True]


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("problem,task\n停车难,a\n", r"缺少列：due_month, done_month"),
        (
            "problem,task,due_month,done_month\n停车难,a,2021-05,\n停车难,b,2021-13,\n",
            r"due_month 列的月份无效：第 3 行 '2021-13'；应为 YYYY-MM",
        ),
        (
            "problem,task,due_month,done_month\n停车难,a,,\n",
            r"due_month 列的月份无效：第 2 行 ''.*不能为空",
        ),
        (
            "problem,task,due_month,done_month\n停车难,a,2021-05,下个月\n",
            r"done_month 列的月份无效：第 2 行 '下个月'",
        ),
        ("problem,task,due_month,done_month\n,a,2021-05,\n", r"第 2 行的 problem 为空"),
        ("", r"不是有效的 CSV"),
    ],
)
def test_read_tasks_errors_name_the_problem(csv: str, message: str) -> None:
    with pytest.raises(HeatmapError, match=message):
        tasks.read_tasks(csv.encode("utf-8"))


# ----------------------------------------------------------------------------- command line


def _cli(argv: list[str]) -> argparse.Namespace:
    from heatmap.cli import add_topics_command

    parser = argparse.ArgumentParser(prog="heatmap")
    add_topics_command(parser.add_subparsers())
    return parser.parse_args(argv)


def test_cli_json(topic_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _cli(["topics", "--db", str(topic_db), "--month", "2021-04", "--format", "json"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["month"] == "2021-04" and out["year"] == 2021 and out["previous_in_store"] is True
    # the default taxonomy lists 15 problems for 2021; the fixture has records for 4 of them
    assert (out["total"], out["fell"], out["fell_over_10pct"]) == (15, 2, 1)
    rows = {r["problem"]: r for r in out["problems"]}
    assert set(rows["停车难"]) >= {"theme", "problem", "volume", "previous_volume", "mom_change"}
    assert rows["停车难"]["theme"] == "交通"
    assert (rows["停车难"]["volume"], rows["停车难"]["previous_volume"]) == (8, 10)
    assert rows["停车难"]["mom_change"] == pytest.approx(-0.2)
    assert rows["普惠幼儿园入园"]["mom_change"] is None
    assert rows["物业服务"]["lead"] == "市住房城乡建设委"


def test_cli_csv_and_year(topic_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _cli(["topics", "--db", str(topic_db), "--month", "2021-04", "--format", "csv", "--year", "2022"])  # fmt: skip
    assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == "theme,problem,lead,volume,previous_volume,mom_change,year_ago_volume,yoy_change"
    )
    assert len(lines) == 1 + 2  # the 2022 list of the default taxonomy has 2 problems


def test_cli_errors(topic_db: Path) -> None:
    args = _cli(["topics", "--db", str(topic_db), "--month", "2030-01"])
    with pytest.raises(HeatmapError, match="不在数据中"):
        args.func(args)
    args = _cli(["topics", "--db", str(topic_db), "--month", "2021-04", "--year", "2019"])
    with pytest.raises(HeatmapError, match="2019 年没有每月一题清单"):
        args.func(args)


@pytest.mark.parametrize(
    ("districts", "listed", "rule"),
    [
        ((), False, topics.SpikeRule()),
        (("110108",), False, topics.SpikeRule()),
        ((), True, topics.SpikeRule(min_volume=3, factor=1.5, window=3)),
        (("110105", "110112"), True, topics.SpikeRule(min_volume=2, factor=2.0, window=1)),
    ],
)
def test_spike_alerts_in_the_store_equal_find_spikes_in_pandas(
    demo_con: duckdb.DuckDBPyConnection,
    districts: tuple[str, ...],
    listed: bool,
    rule: topics.SpikeRule,
) -> None:
    """The page's spikes (medians computed by DuckDB) against the pandas reference."""
    months = queries.available_months(demo_con)
    problems = sorted(set(queries.topics(demo_con)["problem"]))[::3] if listed else None
    for month in (months[-1], months[-5], months[8]):
        view = View.of(Filters(month, month, districts), measure="dispatched")
        got = topics.spike_alerts(demo_con, view, month=month, rule=rule, problems=problems)
        frame = topics.volumes(
            demo_con, view, months=topics.window_months(month, rule.window + 1),
            problems=problems, level="town",
        )  # fmt: skip
        expected = topics.find_spikes(frame, month, rule=rule)
        assert len(expected) > 0 or month != months[-1] or districts  # the demo has spikes
        pd.testing.assert_frame_equal(
            got[expected.columns.tolist()].reset_index(drop=True),
            expected.reset_index(drop=True),
            check_dtype=False,
        )
