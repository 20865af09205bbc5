"""AppTest of the 月度简报 page: build for the sidebar's month and district, downloads, previews, 演示模式."""

from __future__ import annotations

from pathlib import Path

from conftest import run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "briefing.py")


def _run(**params: str) -> AppTest:
    return run_page("pages/briefing.py", timeout=90, **params)


def _styles(at: AppTest) -> str:
    return "\n".join(str(e.proto.body) for e in at.get("html"))


def test_page_builds_the_district_briefing_and_offers_every_file(app_env: Path) -> None:
    at = _run(**{"from": "2020-09", "to": "2020-09", "d": "110108"})
    assert not at.exception
    assert at.subheader[0].value == "月度简报：2020-09 · 海淀区"
    assert not at.get("download_button")  # nothing until the button is pressed
    at.button(key="brief_build").click().run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[0] == "全部下载（zip）"
    assert len(labels) == 1 + 7 + 2  # zip, seven PNGs (six figures and the warning), PDF, PPTX
    assert {"PNG 01 · 地图", "PNG 02 · 前十", "PDF · 全部图表", "PPTX · 幻灯片"} <= set(labels)
    files = {b.proto.help for b in at.get("download_button")}
    assert {"briefing_2020-09_110108.pdf", "briefing_2020-09_110108.pptx"} <= files
    assert len(at.get("image")) == 7
    assert "已生成 9 个文件" in at.success[0].value


def test_page_scope_is_the_city_unless_exactly_one_district(app_env: Path) -> None:
    at = _run(**{"from": "2021-05", "to": "2021-05", "d": "110108,110105"})
    assert not at.exception
    assert at.subheader[0].value == "月度简报：2021-05 · 全市"
    at = _run(lang="en", **{"from": "2021-05", "to": "2021-05"})
    assert at.subheader[0].value == "Monthly briefing：2021-05 · Beijing"


def test_a_result_is_not_shown_for_another_month(app_env: Path) -> None:
    at = _run(**{"from": "2020-09", "to": "2020-09", "d": "110102"})
    at.button(key="brief_build").click().run()
    assert len(at.get("download_button")) == 10
    at.selectbox(key="f_month").select("2020-08").run()
    assert not at.exception
    assert not at.get("download_button")  # the files were for 2020-09


def test_presentation_mode_from_the_url_and_back(app_env: Path) -> None:
    at = _run(present="1", **{"from": "2020-09", "to": "2020-09"})
    assert not at.exception
    assert at.toggle(key="present").value is True
    assert "stSidebar" in _styles(at)
    assert "16 / 9" in _styles(at)
    at.button(key="present_exit").click().run()
    assert at.toggle(key="present").value is False
    assert "stSidebar" not in _styles(at)


def test_presentation_mode_toggle_in_the_sidebar(app_env: Path) -> None:
    at = _run()
    assert at.toggle(key="present").value is False
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert "stSidebar" in _styles(at)


def test_presentation_mode_can_be_called_twice_in_a_run() -> None:
    """The shared frame and a page may both call it: one switch, no duplicate-key error."""

    def script() -> None:
        from ui import present

        first = present.presentation_mode("zh")
        second = present.presentation_mode("zh")
        import streamlit as st

        st.write(f"{first} {second}")

    at = AppTest.from_function(script)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert len(at.toggle) == 1
    assert at.markdown[-1].value == "True True"
    assert len(at.get("html")) == 1
