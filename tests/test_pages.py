"""AppTest per page: each page renders on a small demo store, in Chinese and English, and reacts to filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import page_texts, run_page

ROOT = Path(__file__).resolve().parents[1]
_run = run_page
_texts = page_texts


def test_heatmap_page_renders_latest_month_in_chinese(app_env: Path) -> None:
    at = _run("pages/heat_map.py")
    assert not at.exception
    assert at.subheader[0].value == "北京市 · 2021-12 · 各街乡镇接诉量"
    text = _texts(at)
    assert "示意边界（非官方）" in text
    assert "演示数据（合成）" in text
    assert len(at.get("deck_gl_json_chart")) == 1


def test_heatmap_page_colour_blind_palette(app_env: Path) -> None:
    import json

    from heatmap.output import maps

    at = _run("pages/heat_map.py")
    at.toggle(key="palette_cvd").set_value(True).run()
    assert not at.exception
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    fills = {tuple(r["fill"][:3]) for lay in deck["layers"] if lay["id"] == "towns" for r in lay["data"]}
    assert fills and fills <= {*maps.PALETTES["cvd"].volume, maps.NO_DATA}
    hexes = {tuple(r["fill"][:3]) for lay in deck["layers"] if lay["id"] == "density" for r in lay["data"]}
    assert hexes and hexes <= set(maps.PALETTES["cvd"].density)


def test_heatmap_page_follows_month_and_url(app_env: Path) -> None:
    at = _run("pages/heat_map.py", **{"from": "2020-09", "to": "2020-09"})
    assert " · 2020-09 · " in at.subheader[0].value
    at.selectbox(key="f_month").select("2019-05").run()
    assert " · 2019-05 · " in at.subheader[0].value
    assert at.query_params["from"] == "2019-05"


def test_heatmap_page_in_english(app_env: Path) -> None:
    at = _run("pages/heat_map.py", lang="en", **{"from": "2020-09", "to": "2020-09"})
    assert not at.exception
    assert at.subheader[0].value == "Beijing · 2020-09 · Volume by street/township"
    assert "Approximate boundaries (not official)" in _texts(at)


def test_heatmap_page_town_selection_shows_trend_and_problems(app_env: Path) -> None:
    at = _run("pages/heat_map.py", **{"from": "2020-09", "to": "2020-09"})
    box = at.selectbox(key="selected_town")
    town = box.options[1]
    box.select_index(1).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
    assert any(town in c.value for c in at.caption)


def test_heatmap_page_bad_url_values_are_reported_not_fatal(app_env: Path) -> None:
    at = _run("pages/heat_map.py", **{"from": "2030-01", "d": "999999"})
    assert not at.exception
    assert " · 2021-12 · " in at.subheader[0].value
    assert any("2 个筛选条件无效" in w.value for w in at.warning)
    assert any("from=2030-01" in x.value for x in at.text)  # the values as plain text


def test_heatmap_page_rates_and_missing_population(app_env: Path) -> None:
    at = _run("pages/heat_map.py", **{"from": "2020-09", "to": "2020-09"})
    at.selectbox(key="metric").select("per_10k").run()
    assert any("人口" in i.value for i in at.info)
    at.selectbox(key="metric").select("satisfaction_rate").run()
    assert at.subheader[0].value == "北京市 · 2020-09 · 各街乡镇满意率"


def test_heatmap_page_district_filter(app_env: Path) -> None:
    at = _run("pages/heat_map.py", **{"from": "2020-09", "to": "2020-09", "d": "110102"})
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["区"]) == {"西城区"}


def test_about_page(app_env: Path) -> None:
    at = _run("pages/about.py")
    assert not at.exception
    assert at.header[0].value == "数据说明"
    assert "示意边界（非官方）" in "\n".join(i.value for i in at.info)


def test_app_router_runs_default_page(app_env: Path) -> None:
    at = _run("app.py")
    assert not at.exception
    assert " · 2021-12 · " in at.subheader[0].value


def test_ranking_page_city_wide_ranks_and_district_filter(app_env: Path) -> None:
    at = _run("pages/ranking.py", **{"from": "2020-09", "to": "2020-09"})
    assert not at.exception
    assert at.subheader[0].value == "北京市 · 2020-09 · 街乡镇考核排名（按派单量）"
    table = at.dataframe[0].value
    assert list(table["rank"])[:3] == sorted(table["rank"])[:3]
    assert table["rank"].min() == 1
    at = _run("pages/ranking.py", **{"from": "2020-09", "to": "2020-09", "d": "110102"})
    table = at.dataframe[0].value
    assert set(table["district_name"]) == {"西城区"}
    assert table["rank"].min() > 1  # ranks stay city-wide when filtered to one district
    assert len(at.get("download_button")) == 2


def test_ranking_page_districts_in_english(app_env: Path) -> None:
    at = _run("pages/ranking.py", lang="en", **{"from": "2021-05", "to": "2021-05"})
    at.radio(key="rank_level").set_value("district").run()
    assert not at.exception
    assert at.subheader[0].value == "Beijing · 2021-05 · Ranking of Districts (by Dispatched)"
    assert len(at.dataframe[0].value) == 16


def test_governance_page_figures_and_rule_change(app_env: Path) -> None:
    at = _run("pages/governance.py", **{"from": "2021-12", "to": "2021-12"})
    assert not at.exception
    assert at.subheader[0].value == "北京市 · 2021-12 · 治理类街乡镇"
    figures = {m.label: m.value for m in at.metric}
    assert int(figures["累计纳入街乡镇"]) >= 10
    exited_default = int(figures["已摘帽"])
    at.number_input(key="s_governance_volume_drop").set_value(0.9).run()
    figures = {m.label: m.value for m in at.metric}
    assert int(figures["已摘帽"]) < exited_default or exited_default == 0
    rules_text = "\n".join(m.value for m in at.markdown)
    assert "90%" in rules_text  # the page shows the parameter value in force
    assert len(at.get("plotly_chart")) == 1
    assert len(at.get("download_button")) == 2


def test_governance_page_before_start_month(app_env: Path) -> None:
    at = _run("pages/governance.py", **{"from": "2019-03", "to": "2019-03"})
    assert not at.exception
    assert any("2019-05" in i.value for i in at.info)


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from heatmap.intake.loading import ingest_into

    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    data = ROOT / "tests" / "data"
    ingest_into(db, [data / "export_gbk.csv", data / "export_bd09.xlsx"])
    return db


def test_data_page_on_the_demo_store(app_env: Path) -> None:
    at = _run("pages/data.py")
    assert not at.exception
    assert at.header[0].value == "数据导入"
    assert "演示数据（合成）" in at.caption[0].value
    assert at.text_input(key="import_target").value.endswith("real.duckdb")  # never the demo store


@pytest.mark.parametrize(
    "page", ["pages/data.py", "pages/heat_map.py", "pages/ranking.py", "pages/governance.py"]
)
def test_pages_on_an_imported_store(
    real_db: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    monkeypatch.setenv("HEATMAP_DB", str(real_db))
    monkeypatch.setenv("HEATMAP_AUTH", "off")  # a real store, no sign-in: these test the page
    at = _run(page)
    assert not at.exception
    text = _texts(at)
    assert "演示数据（合成）" not in text  # real data: no demo badge
    if page == "pages/data.py":
        assert "导入数据" in at.caption[0].value
        quarantine = at.dataframe[0].value
        assert sorted(quarantine["行号"]) == [8, 9, 14]
        assert not quarantine["原始内容"].str.contains("13812345678|张三").any()


@pytest.mark.parametrize("namesake", [False, True])
def test_data_page_alias_form_attributes_unmatched_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, namesake: bool
) -> None:
    """With ``namesake``, data/ also holds a real.duckdb: the store picker must not mix them up."""
    import duckdb

    from heatmap import paths
    from heatmap.intake.loading import ingest_into

    if namesake:
        other = tmp_path / "data"
        other.mkdir()
        (other / "real.duckdb").write_bytes(b"")
        monkeypatch.setattr(paths, "DATA_DIR", other)

    export = tmp_path / "w.csv"
    export.write_text(
        "工单编号,受理时间,所属区,街乡镇\nW1,2021-05-03 10:00,海淀区,五道口\n"
        "W2,2021-05-04 10:00,海淀区,五道口\n",
        encoding="utf-8",
    )
    db = tmp_path / "real.duckdb"
    ingest_into(db, [export])
    monkeypatch.setenv("HEATMAP_DB", str(db))
    monkeypatch.setenv("HEATMAP_AUTH", "off")  # a real store, no sign-in: these test the page
    at = _run("pages/data.py")
    assert not at.exception
    assert "街乡镇名称别名" in [s.value for s in at.subheader]
    unresolved = at.dataframe[-2].value
    assert unresolved[["名称", "工单数"]].values.tolist() == [["五道口", 2]]
    at.selectbox(key="alias_name").set_value("五道口")
    at.selectbox(key="alias_town").set_value("110108010")
    at.text_input(key="alias_by").set_value("数据科 王工")
    at.button[-1].click().run()
    assert not at.exception
    assert any("已添加别名 五道口 → 学院路街道（海淀区），2 条工单获得街乡镇" in s.value for s in at.success)
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute("SELECT DISTINCT town_code, assign_method FROM records").fetchall()
    con.close()
    assert got == [("110108010", "alias")]


def test_data_page_refuses_a_file_from_another_city(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coordinate check's refusal reaches the page in Chinese; nothing is written."""
    from heatmap.errors import CoordinateSystemError
    from heatmap.intake.loading import ingest_into

    export = tmp_path / "sh.csv"
    rows = "".join(f"S{i},2021-05-03 10:00,121.{40 + i},31.2{i}\n" for i in range(9))
    export.write_text("工单编号,受理时间,经度,纬度\n" + rows, encoding="utf-8")
    with pytest.raises(CoordinateSystemError, match="其他城市"):
        ingest_into(tmp_path / "real.duckdb", [export])


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py")))
def test_every_page_runs_alone_in_a_fresh_interpreter(page_db: Path, page: str) -> None:
    """No page file shadows the package: run alone (pages/ first on sys.path), each page imports."""
    import os
    import subprocess
    import sys

    from heatmap import paths

    assert Path(page).stem not in {p.name for p in (paths.REPO_ROOT / "src").iterdir()}
    code = (
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'pages' / page)!r}, default_timeout=120).run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
    )
    env = {**os.environ, "HEATMAP_DB": str(page_db)}
    env.pop("HEATMAP_SCOPE", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_warning_page_in_both_languages(app_env: Path) -> None:
    at = _run("pages/warning.py", **{"from": "2021-12", "to": "2021-12"})
    assert not at.exception
    assert at.subheader[0].value.startswith("北京市 · 监测预警：2022-01 可能进入前十的街乡镇")
    texts = "\n".join(m.value for m in at.markdown)
    assert "2020-05 至 2021-12 共有" in texts  # the backtest covers the second year onwards
    assert "延续法" in texts  # beats persistence or says it does not
    assert any("合成数据" in w.value for w in at.warning)  # the synthetic-data caveat
    assert len(at.get("download_button")) == 2
    en = _run("pages/warning.py", lang="en", **{"from": "2021-12", "to": "2021-12"})
    assert not en.exception
    assert en.subheader[0].value.startswith("Beijing · Early warning: towns that may enter the top ten")


def test_warning_page_respects_the_district_scope(app_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("HEATMAP_SCOPE", "110102")
    at = _run("pages/warning.py", **{"from": "2021-12", "to": "2021-12"})
    assert not at.exception
    listed = at.dataframe[0].value
    assert set(listed["区"]) <= {"西城区"}


def test_data_page_report_lists_personal_data_masked_and_unmapped_categories(app_env: Path, tmp_path: Path) -> None:
    """The import result shows the personal data masked, by kind, and the category paths that
    named no problem, in the page's language."""
    from streamlit.testing.v1 import AppTest

    from heatmap.intake.loading import ingest_into

    export = tmp_path / "export.csv"
    export.write_text(
        "工单编号,受理时间,街乡镇,诉求内容,问题分类\n"
        "P1,2021-05-03 10:00:00,学院路街道,身份证号：110101199003074518，手机13812345678,"
        "生态环境>大气>餐饮油烟\n",
        encoding="utf-8",
    )
    report = ingest_into(tmp_path / "real.duckdb", [export]).as_dict()
    at = AppTest.from_file(str(Path(__file__).parents[1] / "pages" / "data.py"), default_timeout=60)
    at.session_state["last_report"] = report
    at.session_state["last_target"] = str(tmp_path / "real.duckdb")
    at.run()
    assert not at.exception
    assert "**已遮蔽的个人信息（按类别）**" in [m.value for m in at.markdown]
    shown = {
        str(k): int(v) for d in at.dataframe for k, v in d.value.iloc[:, 0].items()
        if str(k) in ("身份证号", "电话号码", "姓名")
    }  # fmt: skip
    assert shown == {"身份证号": 1, "电话号码": 1, "姓名": 0}
    assert "**未对应到问题的分类路径**" in [m.value for m in at.markdown]
