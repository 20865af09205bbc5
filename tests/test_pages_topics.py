"""AppTest of the 每月一题 and 类别分析 pages on a small demo store, Chinese and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import page_texts, run_page

from heatmap.analysis import topics
from heatmap.intake import store
from heatmap.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def counts(page_db: Path) -> dict[str | None, tuple[int, int, int]]:
    """Direct counts of May 2021, city-wide and for 海淀区, taken before any page opens the store
    (the app keeps its own connection to the file)."""
    return {d: direct_count(page_db, "2021-05", district=d) for d in (None, "110108")}


@pytest.fixture
def app_env(app_env: Path, counts: dict[str | None, tuple[int, int, int]]) -> Path:
    """The shared page store, with the direct counts taken first."""
    return app_env


_run = run_page
_texts = page_texts


def direct_count(db: Path, month: str, *, district: str | None = None) -> tuple[int, int, int]:
    """(K, fell, fell by more than 10 %) counted straight from the records table with SQL."""
    listed = topics.listed_problems(load_taxonomy(), int(month[:4]))["problem"].tolist()
    before = topics.shift_month(month, -1)
    con = store.connect(db, read_only=True)
    try:
        rows = con.execute(
            f"""SELECT problem,
                count(*) FILTER (WHERE month = CAST(? AS DATE)) AS now,
                count(*) FILTER (WHERE month = CAST(? AS DATE)) AS before
            FROM records
            WHERE dispatched AND problem IN ({", ".join("?" for _ in listed)})
              AND (CAST(? AS VARCHAR) IS NULL OR district_code = ?)
            GROUP BY problem""",
            [f"{month}-01", f"{before}-01", *listed, district, district],
        ).fetchall()
    finally:
        con.close()
    fell = sum(1 for _, now, prev in rows if now < prev)
    over = sum(1 for _, now, prev in rows if 10 * (prev - now) > prev)  # change below −10 %
    return len(listed), fell, over


def test_topics_page_may_2021_matches_a_direct_count(
    counts: dict[str | None, tuple[int, int, int]], app_env: Path
) -> None:
    """Done when: the page states how many listed problems fell, and by more than 10 %, in May 2021."""
    at = _run("pages/topics.py", **{"from": "2021-05", "to": "2021-05"})
    assert not at.exception
    k, fell, over = counts[None]
    assert k == 15
    sentence = f"截至 2021-05，{k} 个问题中 {fell} 个环比下降，其中 {over} 个降幅超过 10%"
    assert f"### {sentence}" in [m.value for m in at.markdown]
    figures = {m.label: m.value for m in at.metric}
    assert figures["环比下降"] == f"{fell} / {k}"
    assert figures["降幅超过 10%"] == str(over)
    assert at.subheader[0].value == "北京市 · 2021-05 · 每月一题：2021 年清单 15 个问题"
    assert "演示数据（合成）" in _texts(at)
    assert len(at.get("plotly_chart")) == 1  # the small multiples
    assert len(at.get("deck_gl_json_chart")) == 1  # the problem's map
    table = at.dataframe[0].value
    assert len(table) == k and "牵头单位" in table.columns


def test_topics_page_district_view_counts_that_district(
    counts: dict[str | None, tuple[int, int, int]], app_env: Path
) -> None:
    at = _run("pages/topics.py", **{"from": "2021-05", "to": "2021-05", "d": "110108"})
    assert not at.exception
    k, fell, over = counts["110108"]
    sentence = f"截至 2021-05（海淀区），{k} 个问题中 {fell} 个环比下降，其中 {over} 个降幅超过 10%"
    assert f"### {sentence}" in [m.value for m in at.markdown]


def test_topics_page_problem_choice_and_spike_rule(app_env: Path) -> None:
    at = _run("pages/topics.py", **{"from": "2021-05", "to": "2021-05"})
    at.selectbox(key="topic_problem").select("停车难").run()
    assert not at.exception
    assert "**2021-05 停车难：各街乡镇派单量**" in [m.value for m in at.markdown]
    towns = at.dataframe[3].value  # problems, two rising tables, then top towns
    assert towns["接诉量"].is_monotonic_decreasing
    rule = "规则：当月量不少于 10，且不少于前 6 个月中位数的 3 倍；无记录的月份按 0 计"
    assert rule in [c.value for c in at.caption]
    at.number_input(key="spike_min").set_value(4).run()
    at.number_input(key="spike_factor").set_value(2.0).run()
    assert "规则：当月量不少于 4，且不少于前 6 个月中位数的 2 倍；无记录的月份按 0 计" in [
        c.value for c in at.caption
    ]


def test_topics_page_task_upload(app_env: Path) -> None:
    at = _run("pages/topics.py", **{"from": "2021-05", "to": "2021-05"})
    csv = (
        "problem,task,due_month,done_month\n"
        "停车难,a,2021-03,2021-03\n停车难,b,2021-05,\n物业服务,c,2021-09,2021-04\n未知问题,d,2021-12,\n"
    )
    at.file_uploader(key="tasks_csv").set_value(("tasks.csv", csv.encode("utf-8"), "text/csv"))
    at.run()
    assert not at.exception
    assert "**截至 2021-05，已完成 2 项，共 4 项（50.00%）；按计划应完成 2 项，逾期 1 项**" in [
        m.value for m in at.markdown
    ]
    assert any("未知问题" in w.value for w in at.warning)
    bad = "problem,task,due\n停车难,a,2021-05\n"
    at.file_uploader(key="tasks_csv").set_value(("bad.csv", bad.encode("utf-8"), "text/csv"))
    at.run()
    assert any("缺少列：due_month, done_month" in e.value for e in at.error)


def test_topics_page_in_english_and_before_the_first_list(app_env: Path) -> None:
    at = _run("pages/topics.py", lang="en", **{"from": "2020-05", "to": "2020-05"})
    assert not at.exception
    assert at.subheader[0].value == "Beijing · 2020-05 · Problem of the month: the 2021 list of 15 problems"
    text = _texts(at)
    assert "The lists start in 2021" in text
    assert "As of 2020-05, " in text and "problems fell month-on-month" in text


def test_categories_page_renders_and_drills(app_env: Path) -> None:
    at = _run("pages/categories.py", **{"from": "2021-05", "to": "2021-05"})
    assert not at.exception
    assert at.subheader[0].value == "北京市 · 2021-05 · 诉求类别分析"
    assert len(at.get("plotly_chart")) == 2  # treemap and the category × district matrix
    top = at.dataframe[0].value
    assert len(top) >= 10 and top["接诉量"].is_monotonic_decreasing
    at.radio(key="cat_by").set_value("problem").run()
    at.radio(key="cat_value").set_value("share").run()
    assert not at.exception
    assert len(at.get("download_button")) == 2


def test_categories_page_district_filter_and_english(app_env: Path) -> None:
    at = _run("pages/categories.py", lang="en", **{"from": "2021-04", "to": "2021-05", "d": "110108"})  # fmt: skip
    assert not at.exception
    assert at.subheader[0].value == "海淀区 · 2021-04 to 2021-05 · What the requests are about"
    top = at.dataframe[0].value
    assert "Problem" in top.columns and "MoM" in top.columns


def test_topics_page_first_month_says_there_is_no_previous_month(app_env: Path) -> None:
    at = _run("pages/topics.py", **{"from": "2019-01", "to": "2019-01"})
    assert not at.exception
    assert any("没有上月（2018-12）的数据" in w.value for w in at.warning)
    assert not any(m.value.startswith("### 截至") for m in at.markdown)
    assert any("之前 6 个月的数据" in i.value for i in at.info)  # no spike alerts either
