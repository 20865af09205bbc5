"""Hostile inputs through the app and its outputs: each is refused with a clear message or rendered
neutral, and the store is left as it was. (Upload, zip and cell-level cases: tests/intake/test_uploads.py,
tests/output/test_safe.py; accounts and claims: tests/access/.)"""

from __future__ import annotations

import hashlib
import io
import shutil
import time
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from conftest import ROOT, page_texts, run_page
from streamlit.testing.v1 import AppTest

from heatmap.access import audit
from heatmap.access.roles import Principal
from heatmap.output import reports
from ui.auth import KEY, Session

HOSTILE_NAME = '<img src=x onerror="alert(1)">=HYPERLINK("http://evil")'


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.fixture
def hostile_store(page_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the page store in which one town is named with HTML and a formula."""
    db = tmp_path / "hostile.duckdb"
    shutil.copy(page_db, db)
    con = duckdb.connect(str(db))
    code = con.execute("SELECT min(town_code) FROM towns").fetchone()[0]
    con.execute("UPDATE towns SET town_name = ? WHERE town_code = ?", [HOSTILE_NAME, code])
    con.close()
    monkeypatch.setenv("HEATMAP_DB", str(db))
    monkeypatch.delenv("HEATMAP_SCOPE", raising=False)
    monkeypatch.delenv("HEATMAP_AUTH", raising=False)
    return db


@pytest.mark.parametrize(
    "params",
    [
        {"d": "110101' OR '1'='1"},
        {"d": "110101;DROP TABLE records;--"},
        {"from": "2021-12'--", "to": "2021-12"},
        {"t": "../../etc/passwd"},
        {"theme": "<script>alert(1)</script>"},
        {"problem": "' UNION SELECT * FROM records --"},
        {"measure": "volume; DELETE FROM agg_town_month"},
        {"town": "%00%0a<svg/onload=alert(1)>"},
    ],
)
def test_sql_and_script_looking_url_values_are_dropped_and_change_nothing(
    app_env: Path, params: dict[str, str]
) -> None:
    before = _digest(app_env)
    at = run_page("pages/ranking.py", **params)
    assert not at.exception
    assert at.subheader[0].value.startswith("2021-12")  # the latest month, unfiltered
    assert _digest(app_env) == before


def test_html_in_a_town_name_reaches_the_map_tooltip_escaped(hostile_store: Path) -> None:
    at = run_page("pages/heat_map.py")
    assert not at.exception
    spec = at.get("deck_gl_json_chart")[0].proto.json
    assert "<img src=x" not in spec
    assert "&lt;img src=x onerror=" in spec


def test_html_in_a_town_name_is_text_on_the_ranking_page_and_neutral_in_downloads(
    hostile_store: Path,
) -> None:
    at = run_page("pages/ranking.py")
    assert not at.exception
    names = at.dataframe[0].value["town_name"]
    assert HOSTILE_NAME in set(names)  # shown as text in the grid (no HTML is rendered there)
    table = reports.rank_table(at.dataframe[0].value, "zh")
    csv = reports.to_csv_bytes(table).decode("utf-8-sig")
    hostile_cells = [line for line in csv.splitlines() if "HYPERLINK" in line]
    assert hostile_cells and all(",<img" not in line and ",=" not in line for line in hostile_cells)
    book = openpyxl.load_workbook(io.BytesIO(reports.to_xlsx_bytes({"r": table})))
    cells = [
        c for row in book.active.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)
    ]
    assert cells and all(c.data_type == "s" for c in cells)


@pytest.mark.parametrize(
    "value",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "＝HYPERLINK(1)"],
)
def test_formula_cells_in_any_export_start_with_a_quote(value: str) -> None:
    frame = pd.DataFrame({"诉求内容": [value], "接诉量": [-3]})
    import csv

    rows = list(csv.reader(io.StringIO(reports.to_csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[1][0] == "'" + value
    assert rows[1][1] == "-3"  # numbers stay numbers


@pytest.mark.parametrize(
    ("role", "page", "message"),
    [
        ("district", "pages/data.py", "区级账号无权执行此操作（导入与边界管理）"),
        ("district", "pages/audit.py", "区级账号无权执行此操作（查看审计日志）"),
        ("viewer", "pages/data.py", "只读账号无权执行此操作（导入与边界管理）"),
        ("city", "pages/audit.py", "市级账号无权执行此操作（查看审计日志）"),
        ("town", "pages/data.py", "街乡镇账号无权执行此操作（导入与边界管理）"),
    ],
)
def test_a_page_opened_by_url_refuses_a_role_without_the_right(
    app_env: Path, role: str, page: str, message: str
) -> None:
    towns = duckdb.connect(str(app_env), read_only=True)
    town, district = towns.execute("SELECT town_code, district_code FROM towns LIMIT 1").fetchone()
    towns.close()
    principal = Principal("u", role, districts=(district,), towns=(town,))
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    now = time.time()
    at.session_state[KEY] = Session(principal, now, now)
    at.run()
    assert [e.value for e in at.error] == [message + "，请联系数据管理员"]
    assert not at.get("file_uploader") and not at.dataframe


def test_a_town_account_cannot_build_a_district_briefing(app_env: Path) -> None:
    con = duckdb.connect(str(app_env), read_only=True)
    town = con.execute("SELECT min(town_code) FROM towns").fetchone()[0]
    con.close()
    at = AppTest.from_file(str(ROOT / "pages/briefing.py"), default_timeout=60)
    now = time.time()
    at.session_state[KEY] = Session(Principal("jz", "town", towns=(town,)), now, now)
    at.run()
    assert "月度简报按全市或区生成" in " ".join(i.value for i in at.info)
    assert not [b for b in at.button if b.key == "brief_build"]


@pytest.mark.parametrize(
    "target",
    ["../escape.duckdb", "/etc/passwd.duckdb", "sub/dir.duckdb", "real.db", ".hidden.duckdb"],
)
def test_import_target_outside_data_is_refused(app_env: Path, target: str) -> None:
    at = run_page("pages/data.py")
    at.text_input(key="import_target").set_value(target).run()
    assert any("目标数据库应为 data/ 目录下的文件名" in e.value for e in at.error)


def test_brute_force_through_the_sign_in_form_locks_the_account(
    page_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from heatmap.access import accounts

    db = tmp_path / "real.duckdb"
    shutil.copy(page_db, db)
    monkeypatch.setenv("HEATMAP_DB", str(db))
    monkeypatch.setenv("HEATMAP_AUTH", "local")
    accounts.add_user(db, "target", "the-right-pass-1", role="city")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    for guess in [f"guess-number-{i}" for i in range(5)] + ["the-right-pass-1"]:
        at.text_input[0].input("target")
        at.text_input[1].input(guess)
        at.button[0].click()
        at.run()
    assert [e.value for e in at.error] == [
        "登录失败：连续登录失败次数过多，账号已锁定，请 15 分钟后再试"
    ]
    assert not at.get("deck_gl_json_chart")
    refused = audit.read(db, actions=("sign_in",))
    assert (refused["outcome"] == "refused").sum() == 6
    assert "the-right-pass-1" not in page_texts(at)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("theme", "[会话已过期，请点此重新登录](http://x)"),
        ("theme", "![](http://x/i.png)"),
        ("problem", "<a href='http://x'>登录</a>"),
        ("from", "[重新登录](javascript:alert(1))"),
        ("d", "**加粗** :red[红字] $x^2$"),
        ("t", "www.example.com"),
    ],
)
def test_link_values_are_echoed_as_plain_text_only(
    app_env: Path, key: str, value: str
) -> None:
    before = _digest(app_env)
    at = run_page("pages/ranking.py", **{key: value})
    assert not at.exception
    markdown = [w.value for w in at.warning] + page_texts(at).splitlines()
    assert not any("http://x" in m or "javascript:" in m or "example.com" in m for m in markdown)
    assert any(value in x.value for x in at.text)  # shown, as st.text: no Markdown, link or image
    assert _digest(app_env) == before
