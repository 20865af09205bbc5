"""The 督导工作台 page: a list edited by two sessions at once (both changes kept, or a clear conflict),
on the embedded store and on PostgreSQL; XLSX out and back in unchanged; read-only for 只读."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from heatmap.access import audit
from heatmap.access.roles import Principal
from heatmap.supervision import db as work_db
from heatmap.supervision import sheets, work
from ui.auth import KEY, Session

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def bench_store(request, page_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "demo.duckdb"
    shutil.copy(page_db, db)
    monkeypatch.setenv("HEATMAP_DB", str(db))
    monkeypatch.delenv("HEATMAP_SCOPE", raising=False)
    monkeypatch.delenv("HEATMAP_AUTH", raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv(work_db.ENV, request.getfixturevalue("pg_schema_url"))
    else:
        monkeypatch.delenv(work_db.ENV, raising=False)
    return db


def _session(name: str, role: str = "city") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "workbench.py"), default_timeout=90)
    at.query_params["from"] = at.query_params["to"] = "2021-12"
    now = time.time()
    at.session_state[KEY] = Session(Principal(name, role), now, now)
    return at.run()


def _add_item(at: AppTest, title: str) -> AppTest:
    at.text_input(key="add_item_title").input(title)
    at.text_input(key="add_item_due").input("2021-10")
    return at.button(key="FormSubmitter:work_add_item-保存").click().run()


def test_the_page_lists_the_supervised_spells(bench_store: Path) -> None:
    at = _session("wang")
    assert not at.exception
    assert at.header[0].value == "督导工作台"
    spells = at.selectbox(key="work_spell").options
    assert spells and all("督办" in s for s in spells)
    assert [m.label for m in at.metric][:5] == [
        "纳入督办",
        "事项与项目",
        "已完成",
        "已到期未完成",
        "逾期",
    ]


def test_two_sessions_editing_one_list(bench_store: Path) -> None:
    a, b = _session("wang"), _session("li")
    a = _add_item(a, "整治占道经营")
    b = _add_item(b, "增设停车泊位")  # the same town's list, at the same time: both kept
    assert not a.exception and not b.exception
    where = work_db.locate(bench_store)
    with work_db.transaction(where, write=False) as con:
        items = work.list_entries(con, kind="item")
    assert sorted((e.title, e.created_by) for e in items) == [
        ("增设停车泊位", "li"),
        ("整治占道经营", "wang"),
    ]

    # both open the same item (version 1), both change it: the second gets a conflict naming the first
    a, b = _session("wang"), _session("li")
    target = next(e for e in items if e.title == "整治占道经营")
    for at in (a, b):
        at.selectbox(key="work_pick_item").select(target.id).run()
    a.selectbox(key=f"edit_item_{target.id}_status").select("推进中")
    a = a.button(key=f"FormSubmitter:work_edit_item_{target.id}-保存").click().run()
    b.selectbox(key=f"edit_item_{target.id}_status").select("已完成")
    b = b.button(key=f"FormSubmitter:work_edit_item_{target.id}-保存").click().run()
    assert any("已保存" in s.value for s in a.success)
    assert any(e.value.startswith("未保存：该条目已被 wang 于") for e in b.error)
    with work_db.transaction(where, write=False) as con:
        now = work.get_entry(con, target.id)
        changes = work.history(con, target.id)
    assert (now.status, now.version, now.updated_by) == ("推进中", 2, "wang")
    assert [(c.version, c.changed_by, c.action) for c in changes] == [
        (1, "wang", "create"),
        (2, "wang", "update"),
    ]
    conflicts = audit.read(bench_store, actions=("work_conflict",))
    assert conflicts["user"].tolist() == ["li"]


def test_lists_export_to_xlsx_and_import_back_unchanged(bench_store: Path) -> None:
    at = _add_item(_session("wang"), "拆除违建")
    where = work_db.locate(bench_store)
    with work_db.transaction(where, write=False) as con:
        entries = work.list_entries(con, kind="item")
    from heatmap.output import safe

    data = safe.xlsx_bytes({"事项": sheets.export_frame(entries, kind="item")})
    book = openpyxl.load_workbook(io.BytesIO(data))
    headers = [c.value for c in next(book.active.iter_rows())]
    assert {"序号", "事项名称", "计划完成月份", "状态", "版本"} <= set(headers)
    with work_db.transaction(where) as con:
        report = sheets.import_sheet(con, data, "事项清单.xlsx", by="wang", kind="item")
    assert (report.created, report.updated, report.unchanged, report.rejected) == (0, 0, 1, [])
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1  # the spell timeline; no item names a problem: no demand chart
    assert any("尚未标注问题分类" in i.value for i in at.info)


def test_read_only_accounts_see_no_forms(bench_store: Path) -> None:
    at = _session("ro", "viewer")
    assert not at.exception
    assert any("只读账号：可查看，不能编辑。" in i.value for i in at.info)
    assert not [f for f in at.text_input if str(f.key).startswith("add_")]


def test_exit_checklist_shows_the_work_beside_the_conditions(bench_store: Path) -> None:
    page = AppTest.from_file(str(ROOT / "pages" / "governance.py"), default_timeout=90)
    page.query_params["from"] = page.query_params["to"] = "2021-12"
    page.run()
    table = next(d.value for d in page.dataframe if "清单完成/到期/逾期" in d.value.columns)
    assert set(table["清单完成/到期/逾期"]) == {"—"}  # no lists yet
    first = table.iloc[0]
    spell = _session("wang").selectbox(key="work_spell")
    key = next(o for o in spell.options if o.startswith(first["街乡镇"]))
    assert key  # the checklist's town has a spell on the workbench
    where = work_db.locate(bench_store)
    import duckdb

    con = duckdb.connect(str(bench_store), read_only=True)
    code = con.execute(
        "SELECT town_code FROM towns WHERE town_name = ?", [first["街乡镇"]]
    ).fetchone()[0]
    con.close()
    with work_db.transaction(where) as w:
        work.add_entry(w, town_code=code, spell_start=first["入选月份"], kind="item", title="清理堆物",
                       by="wang", due_month="2021-10", status="推进中")  # fmt: skip
        work.add_entry(w, town_code=code, spell_start=first["入选月份"], kind="project", title="修路",
                       by="wang", due_month="2022-06", status="已完成")  # fmt: skip
    page.run()
    table = next(d.value for d in page.dataframe if "清单完成/到期/逾期" in d.value.columns)
    assert table.iloc[0]["清单完成/到期/逾期"] == "1/1/1（2）"
