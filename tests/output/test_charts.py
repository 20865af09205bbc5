"""Tests for heatmap.output.charts: the 每月一题 small multiples laid out without make_subplots."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from heatmap.output import charts


def _trend() -> pd.DataFrame:
    rows = [("2021-01", "噪音", 10), ("2021-02", "噪音", 8), ("2021-01", "供暖", 5)]
    rows += [("2021-02", "供暖", 7), ("2021-02", "停车", 3)]  # 停车 missing in January: 0
    return pd.DataFrame(rows, columns=["month", "problem", "volume"])


def _table() -> pd.DataFrame:
    return pd.DataFrame({"problem": ["噪音", "供暖", "停车"], "mom_change": [-0.2, 0.4, None]})


def test_one_panel_per_problem_with_its_series_and_the_month_marked() -> None:
    fig = go.Figure(
        charts.topic_grid_spec(
            _trend(), _table(), month="2021-02", measure_label="派单量", lang="zh", cols=2
        )
    )
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    marks = [tr for tr in fig.data if tr.mode == "markers"]
    assert [list(tr.y) for tr in lines] == [[10, 8], [5, 7], [0, 3]]
    assert [tr.xaxis for tr in lines] == ["x", "x2", "x3"]
    assert [list(tr.y) for tr in marks] == [[8], [7], [3]]
    assert marks[0].marker.color == charts.FELL_COLOR and marks[1].marker.color == charts.ROSE_COLOR
    assert marks[2].marker.color == charts.FLAT_COLOR  # no 环比: grey
    titles = [a.text for a in fig.layout.annotations if a.yref == "paper" and a.xref == "paper"]
    assert titles[0].startswith("噪音") and "−20.0%" in titles[0]
    assert "xaxis4" not in fig.layout.to_plotly_json()  # no empty fourth panel


def test_grid_domains_match_make_subplots_spacing() -> None:
    # 2 × 2, horizontal spacing 0.035, vertical 0.5 / 2 + 0.03 = 0.28:
    # width (1 - 0.035) / 2 = 0.4825, height (1 - 0.28) / 2 = 0.36
    cells = charts._grid_domains(2, 2, 3)
    assert cells[0] == pytest.approx((0.0, 0.4825, 0.64, 1.0))
    assert cells[1] == pytest.approx((0.5175, 1.0, 0.64, 1.0))
    assert cells[2] == pytest.approx((0.0, 0.4825, 0.0, 0.36))
    assert all(0.0 <= v <= 1.0 for cell in charts._grid_domains(7, 5, 33) for v in cell)


def _json(figure: object) -> object:
    """The figure as plotly.js receives it, with plotly's typed arrays (numpy data written as
    base64 with a dtype) read back to plain lists: the same values either way."""
    import base64

    import numpy as np
    import plotly.io as pio

    def plain(node: object) -> object:
        if isinstance(node, dict):
            if set(node) >= {"dtype", "bdata"}:
                values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
                return [None if v != v else v for v in values.tolist()]
            return {k: plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node

    return plain(json.loads(pio.to_json(figure, validate=False)))


def test_grid_spec_is_what_plotly_makes_of_it() -> None:
    # what the page hands Streamlit unvalidated must be a complete, valid figure: plotly's own
    # construction of it changes nothing (values, template, layout), in both languages
    import plotly.graph_objects as go

    for lang in ("zh", "en"):
        spec = charts.topic_grid_spec(
            _trend(), _table(), month="2021-02", measure_label="派单量", lang=lang, cols=2,
            english={"噪音": "Noise"},
        )  # fmt: skip
        assert _json(go.Figure(spec)) == _json(spec)
        assert _json(charts.prebuilt(spec).to_dict()) == _json(go.Figure(spec))


def test_prebuilt_reaches_streamlit_as_the_validated_figure() -> None:
    import plotly.graph_objects as go
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        import pandas as pd
        import plotly.graph_objects as go
        import streamlit as st

        from heatmap.output import charts

        trend = pd.DataFrame(
            {"month": ["2021-01", "2021-02"], "problem": ["噪音"] * 2, "volume": [4, 2]}
        )
        table = pd.DataFrame({"problem": ["噪音"], "mom_change": [-0.5]})
        spec = charts.topic_grid_spec(trend, table, month="2021-02", measure_label="量", lang="zh")
        st.plotly_chart(charts.prebuilt(spec))
        st.plotly_chart(go.Figure(spec))

    at = AppTest.from_function(page).run()
    assert not at.exception
    specs = [el.proto.spec for el in at.get("plotly_chart")]

    assert len(specs) == 2 and json.loads(specs[0]) == json.loads(specs[1])
    assert isinstance(charts.prebuilt({}), go.Figure)


def _old_trend_figure(trend: pd.DataFrame, *, town: str, lang: str) -> object:
    # the builder as it was written with plotly's own calls, kept as the reference
    from plotly.subplots import make_subplots

    from heatmap.i18n import t

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=trend["month"], y=trend["volume"], name=t("kpi_volume", lang), marker_color="#f03b20")
    fig.add_scatter(
        x=trend["month"], y=trend["rank"], name=t("rank_axis", lang), mode="lines+markers",
        line={"color": "#253494"}, secondary_y=True,
    )  # fmt: skip
    fig.update_yaxes(title_text=t("kpi_volume", lang), secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text=t("rank_axis", lang), secondary_y=True, autorange="reversed")
    fig.update_xaxes(type="category")
    return charts._style(fig, t("trend_title", lang, town=town))


def _old_problems_figure(problems: pd.DataFrame, *, town: str, label: str, lang: str, english: dict[str, str] | None) -> object:
    import plotly.graph_objects as go

    from heatmap.i18n import t

    names = problems["problem"]
    if lang == "en" and english:
        names = names.map(lambda p: english.get(p, p))
    fig = go.Figure(
        go.Bar(
            x=problems["volume"][::-1], y=names[::-1], orientation="h", marker_color="#fd8d3c",
            text=[f"{s:.0%}" for s in problems["share"][::-1]], textposition="auto",
        )
    )  # fmt: skip
    fig.update_xaxes(title_text=t("kpi_volume", lang))
    return charts._style(fig, t("problems_title", lang, town=town, label=label))


def test_town_chart_specs_equal_the_plotly_built_figures() -> None:
    import plotly.graph_objects as go

    trend = pd.DataFrame(
        {"month": ["2021-01", "2021-02", "2021-03"], "volume": [120, 0, 95], "rank": [3.0, float("nan"), 7.0]}
    )
    problems = pd.DataFrame({"problem": ["噪音", "供暖"], "volume": [60, 30], "share": [0.5, 0.25]})
    for lang in ("zh", "en"):
        spec = charts.trend_spec(trend, town="崔各庄地区", lang=lang)
        assert _json(go.Figure(spec)) == _json(spec)  # a valid figure, taken as it is
        old = _json(_old_trend_figure(trend, town="崔各庄地区", lang=lang))
        new = _json(spec)
        assert [d["y"] for d in new["data"]] == [d["y"] for d in old["data"]]  # same data
        # counts and ranks tick at whole numbers (issue: a rank axis ticked at 8.8, 27, 45.3)
        assert new["layout"]["yaxis"]["tickformat"] == ",d" and new["layout"]["yaxis2"]["tickformat"] == "d"
        spec = charts.problems_spec(problems, town="崔各庄地区", label="2021-03", lang=lang, english={"噪音": "Noise"})
        assert _json(go.Figure(spec)) == _json(spec)
        bar = spec["data"][0]
        # the bars say their count (the axis' quantity); the share is in the hover text
        assert bar["text"] == ["30", "60"] and bar["customdata"] == ["25.0%", "50.0%"]
        assert bar["y"] == (["供暖", "Noise"] if lang == "en" else ["供暖", "噪音"])
