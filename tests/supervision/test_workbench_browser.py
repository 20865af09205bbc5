"""Two browser sessions edit the same item of a town's list at once, in headless Chromium: the first
save lands, the second gets a clear conflict, nothing is overwritten; on SQLite and on PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from heatmap.analysis import governance, queries
from heatmap.intake import store
from heatmap.intake.demo import build_demo
from heatmap.supervision import db as work_db
from heatmap.supervision import work

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from browser_server import streamlit_app  # noqa: E402
from test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("wb_browser") / "demo.duckdb"
    build_demo(db, scale=0.003, seed=5)
    return db


@pytest.fixture(params=["sqlite", "postgresql"])
def served(
    request, demo_db: Path, tmp_path: Path
) -> Iterator[tuple[str, work_db.WorkStore, int, Any]]:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_schema_url")
    else:  # a fresh SQLite workbench for each test
        url = f"sqlite:///{tmp_path / 'work.sqlite'}"
    where = work_db.locate(demo_db, url=url, env={})
    con = store.connect(demo_db, read_only=True)
    ledger = governance.as_of(governance.evaluate(queries.monthly_panel(con)), "2021-12")
    con.close()
    first = ledger.sort_values(
        ["entry_month", "town_code", "spell"], ascending=[False, True, True]
    ).iloc[0]
    with work_db.transaction(where) as w:
        item = work.add_entry(w, town_code=first.town_code, spell_start=first.entry_month, kind="item",
                              title="整治占道经营", by="setup", due_month="2021-12", status="未开始")  # fmt: skip
    with streamlit_app({"HEATMAP_DB": str(demo_db), work_db.ENV: url}) as base:
        yield base, where, item.id, first


def _open(browser, base: str):
    page = browser.new_context(viewport={"width": 1500, "height": 1300}).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/workbench?from=2021-12&to=2021-12")
    page.get_by_text("修改条目").wait_for()
    return page


def _edit_and_save(page, title: str) -> None:
    form = page.locator("[data-testid='stForm']").nth(1)  # the edit form, beside the new-item form
    box = form.get_by_label("名称")
    box.fill(title)
    box.press("Tab")
    form.get_by_role("button", name="保存").click()


def test_two_browsers_edit_one_item(served, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, where, item_id, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        first, second = _open(browser, base), _open(browser, base)  # both read version 1
        _edit_and_save(first, "整治占道经营（甲）")
        first.get_by_text("已保存").first.wait_for()
        _edit_and_save(second, "整治占道经营（乙）")
        second.get_by_text("未保存：该条目已被").wait_for()
        second.screenshot(path=str(tmp_path / "conflict.png"))
        second.reload()  # the second person reloads, sees the first one's change, and saves theirs
        second.get_by_text("修改条目").wait_for()
        edited = second.locator("[data-testid='stForm']").nth(1).get_by_label("名称")
        expect(edited).to_have_value("整治占道经营（甲）")  # the first person's change, shown
        _edit_and_save(second, "整治占道经营（甲、乙）")
        second.get_by_text("已保存").first.wait_for()
        browser.close()
    with work_db.transaction(where, write=False) as con:
        entry = work.get_entry(con, item_id)
        changes = work.history(con, item_id)
    assert (entry.title, entry.version) == ("整治占道经营（甲、乙）", 3)
    assert [(c.version, c.new.get("title")) for c in changes] == [
        (1, "整治占道经营"),
        (2, "整治占道经营（甲）"),
        (3, "整治占道经营（甲、乙）"),
    ]


def test_a_town_office_sheet_uploads_through_the_page(
    served, demo_db: Path, tmp_path: Path
) -> None:
    """An XLSX as a town office keeps it: the good row is imported, the bad one listed with its line."""
    import pandas as pd
    from playwright.sync_api import sync_playwright

    from heatmap.output import safe

    base, where, _, spell = served
    rows = pd.DataFrame(
        {
            "街乡镇代码": [spell.town_code, spell.town_code],
            "督办起始月": [spell.entry_month, spell.entry_month],
            "事项名称": ['=HYPERLINK("x") 清理楼道堆物', "加装电梯"],
            "问题分类": ["物业服务", "老旧小区加装电梯"],
            "计划完成月份": ["2021-11", "2022-02"],
            "状态": ["推进中", "完成了"],
        }
    )
    sheet = tmp_path / "事项清单.xlsx"
    sheet.write_bytes(safe.xlsx_bytes({"事项": rows}))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = _open(browser, base)
        page.get_by_role("tab", name="导入导出").click()
        page.get_by_text("事项", exact=True).click()
        page.locator("input[type='file']").set_input_files(str(sheet))
        page.get_by_role("button", name="导入", exact=True).click()
        page.get_by_text("已导入：新增 1 行").wait_for()
        text = page.inner_text("body")
        browser.close()
    assert "未导入 1 行" in text
    from heatmap.access import audit

    logged = audit.read(demo_db, actions=("work_import",))["detail"].iloc[0]
    assert "'line': 3" in logged and "完成了" in logged  # the bad row, with its line and reason
    with work_db.transaction(where, write=False) as con:
        titles = sorted(e.title for e in work.list_entries(con, kind="item"))
    assert titles == ['=HYPERLINK("x") 清理楼道堆物', "整治占道经营"]  # text, as typed
