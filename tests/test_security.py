"""Hostile inputs through the app and its outputs: each is refused with a clear message or rendered
neutral, and the store is left as it was. (Upload, zip and cell-level cases: tests/intake/test_uploads.py,
tests/output/test_safe.py; accounts and claims: tests/access/.)"""

from __future__ import annotations

import hashlib
import io
import json
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
    assert " · 2021-12 · " in at.subheader[0].value  # the latest month, unfiltered
    assert _digest(app_env) == before


def test_html_in_a_town_name_reaches_the_map_tooltip_escaped(hostile_store: Path) -> None:
    at = run_page("pages/heat_map.py")
    assert not at.exception
    chart = at.get("deck_gl_json_chart")[0].proto
    # the tooltip is deck.gl's text mode (set as innerText, never parsed as HTML): the name is
    # sent as the plain text it is and cannot run
    tooltip = json.loads(chart.tooltip)
    assert "html" not in tooltip and tooltip["text"] == "{tip}"
    tips = [row["tip"] for layer in json.loads(chart.json)["layers"] if layer["id"] == "towns"
            for row in layer["data"]]  # fmt: skip
    assert any(tip.startswith(HOSTILE_NAME + "\n") for tip in tips)


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


# -- issue 27: scope, downloads, archives, audit, sign-in ------------------------------------


def _as(principal: Principal, page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    now = time.time()
    at.session_state[KEY] = Session(principal, now, now)
    return at.run()


@pytest.mark.parametrize(
    ("role", "page"),
    [("city", "pages/ranking.py"), ("district", "pages/governance.py"), ("admin", "pages/audit.py")],
)
def test_downloads_are_made_on_click_and_each_click_is_logged(
    real_like: Path, monkeypatch: pytest.MonkeyPatch, role: str, page: str
) -> None:
    from sent import sent_text
    from streamlit.runtime.media_file_manager import MediaFileManager

    made: list = []
    real = MediaFileManager.add_deferred

    def keep(self, data_callable, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(data_callable)
        return real(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    at = _as(Principal("u", role, districts=("110108",) if role == "district" else ()), page)
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 2 and len(made) == 2
    assert all(b.proto.deferred_file_id and not b.proto.url for b in buttons)
    assert "/media/" not in sent_text(at)  # no file exists before a click
    assert "export" not in set(audit.read(real_like)["action"])
    files = [build() for build in made + made]  # four clicks
    assert all(isinstance(f, bytes) and f for f in files)
    exports = audit.read(real_like, actions=("export",))
    assert len(exports) == 4 and set(exports["user"]) == {"u"}


def test_the_table_toolbar_download_is_off_for_every_role() -> None:
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["disableDataExport"] is True


@pytest.mark.parametrize(
    ("role", "path", "message"),
    [("district", "data", "区级账号无权执行此操作（导入与边界管理）"),
     ("viewer", "audit", "只读账号无权执行此操作（查看审计日志）")],
)  # fmt: skip
def test_an_admin_page_asked_for_by_url_is_refused_and_logged(
    real_like: Path, monkeypatch: pytest.MonkeyPatch, role: str, path: str, message: str
) -> None:
    import ui.auth

    monkeypatch.setattr(ui.auth, "_intended_page", lambda: path)
    at = _as(Principal("u", role, districts=("110108",)), "app.py")
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert not at.get("file_uploader")
    refused = audit.read(real_like, actions=("role_refused",))
    assert refused["target"].tolist() == [f"/{path}"]
    at.run()  # the same session asks again: said once, logged once
    assert len(audit.read(real_like, actions=("role_refused",))) == 1


def _as_real(db: Path) -> None:
    """The copied demo store marked as real data (an import into a synthetic store is refused
    before any file is read)."""
    from heatmap.intake import store

    con = store.connect(db)
    store.set_meta(con, synthetic=False)
    con.close()


def _zip_named_xlsx() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("towns.shp", b"x" * 100)
    return out.getvalue()


def _bomb_xlsx() -> bytes:
    import zipfile

    book = openpyxl.Workbook()
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/worksheets/sheet9.xml", b" " * (40 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("export.xlsx", _zip_named_xlsx(), "是 zip 压缩包，但不是 Excel 工作簿"),
        ("export.xlsx", _bomb_xlsx(), "疑似压缩炸弹"),
        (
            "export.csv",
            "工单编号,受理时间,街乡镇,诉求内容\nA1,2021-01-01 10:00,甲街道,\"".encode()
            + b"x" * (60 * 1024 * 1024) + b"\"\n",
            "中有字段超过 128 KB 的上限",
        ),
    ],
)
def test_a_crafted_import_is_refused_in_chinese_logged_and_the_store_unchanged(
    real_like: Path, name: str, data: bytes, message: str
) -> None:
    _as_real(real_like)
    before = _digest(real_like)
    at = _as(Principal("ops", "admin"), "pages/data.py")
    at.file_uploader(key="uploads").set_value((name, data, "application/octet-stream")).run()
    next(b for b in at.button if b.proto.label == "开始导入").click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    failed = audit.read(real_like, actions=("import",))
    assert failed["outcome"].tolist() == ["failed"] and message in failed["detail"].iloc[0]
    assert _digest(real_like) == before


def test_a_crash_of_a_reader_is_said_in_chinese_and_logged(
    real_like: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from heatmap.intake import loading

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyError("zip")

    monkeypatch.setattr(loading, "ingest_into", crash)
    _as_real(real_like)
    before = _digest(real_like)
    at = _as(Principal("ops", "admin"), "pages/data.py")
    at.file_uploader(key="uploads").set_value(("a.csv", "街乡镇\n甲\n".encode(), "text/csv")).run()
    next(b for b in at.button if b.proto.label == "开始导入").click().run()
    assert not at.exception
    assert any("文件无法解析" in e.value for e in at.error)
    assert "KeyError" not in " ".join(e.value for e in at.error)
    failed = audit.read(real_like, actions=("import",))
    assert failed["outcome"].tolist() == ["failed"] and "KeyError" in failed["detail"].iloc[0]
    assert _digest(real_like) == before


def test_a_workbook_bomb_on_the_workbench_is_refused_and_logged(real_like: Path) -> None:
    at = _as(Principal("qu", "district", districts=("110108",)), "pages/workbench.py")
    if at.info and any("没有" in i.value for i in at.info):
        pytest.skip("no supervised town in the district this month")
    at.file_uploader(key="work_upload").set_value(("清单.xlsx", _bomb_xlsx(), "application/octet-stream")).run()
    at.button(key="work_import_run").click().run()
    assert not at.exception
    assert any("疑似压缩炸弹" in e.value for e in at.error)
    refused = audit.read(real_like, actions=("work_import",))
    assert refused["outcome"].tolist() == ["refused"]


def test_the_workbench_shows_no_server_path(real_like: Path) -> None:
    from sent import sent_text

    for role in ("district", "admin"):
        at = _as(Principal("u", role, districts=("110108",) if role == "district" else ()),
                 "pages/workbench.py")  # fmt: skip
        assert not at.exception
        text = sent_text(at)
        assert str(real_like.parent) not in text and "/work" not in text


def test_an_official_list_naming_other_districts_shows_only_the_scope(real_like: Path) -> None:
    con = duckdb.connect(str(real_like), read_only=True)
    towns = con.execute("SELECT town_code, town_name, district_code FROM towns").df()
    con.close()
    mine = towns[towns["district_code"] == "110108"].iloc[0]
    other = towns[towns["district_code"] != "110108"].iloc[0]
    csv = f"town,entry_month\n{mine.town_name},2020-01\n{other.town_name},2020-01\n"
    at = _as(Principal("qu", "district", districts=("110108",)), "pages/governance.py")
    at.file_uploader(key="official_csv").set_value(("list.csv", csv.encode(), "text/csv")).run()
    assert not at.exception
    compared = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert other.town_name not in compared.to_csv() and other.town_code not in compared.to_csv()
    assert set(compared["town_code"].dropna()) <= set(towns.loc[towns["district_code"] == "110108", "town_code"])
    assert "1 行不在本账号范围内" in page_texts(at)


def test_an_unknown_name_through_the_form_is_answered_like_an_account(
    real_like: Path,
) -> None:
    from heatmap.access import accounts

    accounts.add_user(real_like, "target", "the-right-pass-1", role="city")

    def answers(name: str) -> list[str]:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        out = []
        for i in range(6):
            at.text_input[0].input(name)
            at.text_input[1].input(f"guess-number-{i}")
            at.button[0].click()
            at.run()
            out.append(" ".join(e.value for e in at.error))
        return out

    assert answers("target") == answers("no-such-account")


def test_the_access_file_is_private_and_a_forged_audit_row_is_found(real_like: Path) -> None:
    import os
    import sqlite3
    import stat

    from heatmap import cli
    from heatmap.access.db import access_path

    audit.record(real_like, "ops", "export", target="a.csv")
    path = access_path(real_like)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert cli.main(["audit", "verify", "--db", str(real_like)]) == 0
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER audit_no_update")
    con.execute("UPDATE audit SET user = 'someone-else'")
    con.commit()
    con.close()
    assert cli.main(["audit", "verify", "--db", str(real_like)]) == 1


def test_an_attacker_named_sign_in_is_neutral_in_the_audit_export(
    real_like: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv

    from streamlit.runtime.media_file_manager import MediaFileManager

    from heatmap.access import accounts

    for name in ('=HYPERLINK("http://x","点此")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0"):
        with pytest.raises(Exception, match="账号或密码错误"):
            accounts.sign_in(real_like, name, "whatever-password-1")
    made: list = []
    real = MediaFileManager.add_deferred
    monkeypatch.setattr(
        MediaFileManager, "add_deferred",
        lambda self, build, *a, **k: made.append(build) or real(self, build, *a, **k),
    )  # fmt: skip
    at = _as(Principal("ops", "admin"), "pages/audit.py")
    assert not at.exception
    rows = list(csv.reader(io.StringIO(made[0]().decode("utf-8-sig"))))
    users = [r[2] for r in rows[1:]]
    assert {"'=HYPERLINK(\"http://x\",\"点此\")", "'@SUM(A1:A9)", "'+cmd|' /C calc'!A0"} <= set(users)


@pytest.mark.parametrize(
    ("page", "key", "csv"),
    [("pages/governance.py", "official_csv", "名称,月份\n甲,2020-01\n"),
     ("pages/topics.py", "tasks_csv", "x\n1\n")],
)  # fmt: skip
def test_a_table_its_reader_refuses_is_logged_once(
    real_like: Path, page: str, key: str, csv: str
) -> None:
    at = _as(Principal("shi", "city"), page)
    at.file_uploader(key=key).set_value(("list.csv", csv.encode(), "text/csv")).run()
    assert not at.exception and at.error
    at.run()  # still in the uploader: not logged again
    refused = audit.read(real_like, actions=("upload_refused",))
    assert refused["target"].tolist() == ["list.csv"] and refused["outcome"].tolist() == ["refused"]


def test_a_missing_store_is_named_without_the_server_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sent import sent_text

    missing = tmp_path / "secret-folder" / "real.duckdb"
    monkeypatch.setenv("HEATMAP_DB", str(missing))
    monkeypatch.setenv("HEATMAP_AUTH", "off")
    monkeypatch.delenv("HEATMAP_SCOPE", raising=False)
    at = run_page("pages/ranking.py")
    assert any("real.duckdb 不存在" in e.value for e in at.error)
    assert "secret-folder" not in sent_text(at)
