"""The lists as spreadsheets: Chinese headers out, XLSX/CSV in with nothing lost and nothing overwritten."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import openpyxl
import pandas as pd
import pytest

from heatmap.errors import WorkError
from heatmap.output.safe import csv_bytes, xlsx_bytes
from heatmap.supervision import sheets
from heatmap.supervision import work as w
from heatmap.supervision.db import transaction
from heatmap.taxonomy import load_taxonomy

T1, T2, T3 = "110101001", "110101002", "110102001"
TOWNS = {T1: "甲街道", T2: "乙街道", T3: "丙街道"}
PROBLEMS = len(load_taxonomy().problems)
AT = datetime(2026, 12, 4, 9, 12, tzinfo=timezone(timedelta(hours=8))).timestamp()
LIST_HEADERS = ["序号", "街乡镇代码", "街乡镇", "督办起始月", "类别", "事项名称", "问题分类", "责任单位",
                "计划完成月份", "状态", "佐证材料", "备注", "版本", "最后修改人", "最后修改时间"]  # fmt: skip


@pytest.fixture
def filled(work):
    """Two items, a project and a talk of T1's spell 2026-09, one item of T2."""
    with transaction(work) as con:

        def add(**kw):
            base = {
                "town_code": T1,
                "spell_start": "2026-09",
                "kind": "item",
                "by": "李工",
                "now": AT,
            }
            return w.add_entry(con, **(base | kw))

        ids = [
            add(title="小区停车治理", problem="物业服务", owner_unit="城管科", due_month="2026-11").id,
            add(title="=HYPERLINK(\"http://x\")", owner_unit="+房管所", status="推进中",
                evidence="台账.pdf", note="第一行\n第二行").id,
            add(kind="project", title="道路修缮", due_month="2027-03").id,
            add(kind="talk", title="约谈街道主要负责人", held_on="2026-09-15", participants="区长、书记").id,
            add(town_code=T2, spell_start="2026-11", title="垃圾分类", status="已完成").id,
        ]  # fmt: skip
    return work, ids


def _entries(where, **filters):
    with transaction(where, write=False) as con:
        return w.list_entries(con, **filters)


def _import(where, data, filename, **options):
    with transaction(where) as con:
        return sheets.import_sheet(con, data, filename, **({"by": "镇办公室"} | options))


def _csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(",".join(r) for r in rows).encode(encoding) + b"\r\n"


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sent(report) -> int:
    return report.created + report.updated + report.unchanged + len(report.rejected) + report.blank


# -- export --------------------------------------------------------------------------------------


def test_the_item_list_has_a_town_offices_headers_and_cells(filled):
    where, ids = filled
    table = sheets.export_frame(_entries(where, towns=[T1]), kind="item", town_names=TOWNS)
    assert list(table.columns) == LIST_HEADERS == sheets.headers("item")
    assert table.iloc[0].tolist() == [ids[0], T1, "甲街道", "2026-09", "事项", "小区停车治理", "物业服务",
                                      "城管科", "2026-11", "未开始", "", "", 1, "李工", "2026-12-04 09:12"]  # fmt: skip
    assert len(table) == 2  # the project and the talk are on their own sheets


@pytest.mark.parametrize(
    ("kind", "columns"),
    [
        ("project", ["序号", "街乡镇代码", "街乡镇", "督办起始月", "类别", "项目名称", "问题分类"]),
        ("talk", ["序号", "街乡镇代码", "街乡镇", "督办起始月", "类别", "约谈日期", "约谈主题", "参加人员", "约谈结论"]),
        ("visit", ["序号", "街乡镇代码", "街乡镇", "督办起始月", "类别", "回访日期", "回访主题", "参加人员", "回访情况"]),
        ("support", ["序号", "街乡镇代码", "街乡镇", "督办起始月", "类别", "日期", "帮扶内容", "责任单位", "计划完成月份", "帮扶情况"]),
    ],
)  # fmt: skip
def test_each_kind_has_its_own_headers(kind, columns):
    assert sheets.headers(kind)[: len(columns)] == columns
    assert list(sheets.export_frame([], kind=kind).columns) == sheets.headers(kind)


def test_an_unknown_kind_has_no_sheet():
    with pytest.raises(
        WorkError, match="类别 'meeting' 无效：应为 talk, item, project, visit, support 之一"
    ):
        sheets.headers("meeting")


def test_the_exported_file_neutralises_formulas(filled):
    where, _ = filled
    table = sheets.export_frame(_entries(where), kind="item", town_names=TOWNS)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(table))).active
    titles = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in titles
    assert "'+房管所" in csv_bytes(table).decode("utf-8-sig")


# -- round trip ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind", ["item", "project", "talk"])
def test_export_then_import_of_the_unchanged_file_changes_nothing(filled, fmt, kind):
    where, ids = filled
    before = _entries(where, include_deleted=True)
    table = sheets.export_frame(before, kind=kind, town_names=TOWNS)
    data = xlsx_bytes(table) if fmt == "xlsx" else csv_bytes(table)
    report = _import(where, data, f"清单.{fmt}", towns=TOWNS)
    assert (report.created, report.updated, report.rejected) == (0, 0, [])
    assert report.unchanged == report.rows_read == len(table) > 0
    assert _entries(where, include_deleted=True) == before
    with transaction(where, write=False) as con:
        assert all(len(w.history(con, i)) == 1 for i in ids)


# -- import --------------------------------------------------------------------------------------


def test_a_town_office_csv_in_gbk_creates_the_good_rows_and_keeps_the_bad_aside(work):
    rows = [
        [" 街乡镇代码", "督办起始月份", "事项 名称", "问题分类", "责任单位", "计划完成月份（YYYY-MM）", "状态 ", "联系人"],
        [T1, "2026年9月", "楼道堆物清理", "物业服务", "物业科", "2026/12", "推进中", "张三"],
        [T1, "2026-09", "路灯维修", "", "城管科", "2026-12", "进行中", ""],
        [T1, "2026-09", "违建拆除", "", "城管科", "2026-14", "未开始", ""],
        [T1, "2026-09", "噪音", "外星人入侵", "", "", "", ""],
        [T2, "2026-11", "他镇事项", "", "", "", "", ""],
        [T1, "2026-09", "加装电梯", "老旧小区加装电梯", "", "", "", ""],
    ]  # fmt: skip
    report = _import(work, _csv(rows, "gbk"), "镇事项清单.csv", kind="item", town_scope={T1})
    assert (report.rows_read, report.created, report.updated, _sent(report)) == (6, 2, 0, 6)
    assert report.ignored_columns == ["联系人"]
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "状态 '进行中' 无效：应为 未开始、推进中、已完成、延期 之一"),
        (4, "计划完成月份 '2026-14' 不是 YYYY-MM 格式的月份（例如 2026-12）"),
        (5, f"问题分类 '外星人入侵' 不在分类表中（taxonomy.toml，共 {PROBLEMS} 个问题）；请从分类表中选择，或留空"),
        (6, f"街乡镇 {T2} 不在您的权限范围内（可操作 1 个街乡镇）；请联系管理员调整账号范围"),
    ]  # fmt: skip
    assert '"事项 名称": "路灯维修"' in report.rejected[0].raw
    made = _entries(work)
    assert [(e.title, e.spell_start, e.due_month, e.status, e.problem, e.created_by) for e in made] == [
        ("楼道堆物清理", "2026-09", "2026-12", "推进中", "物业服务", "镇办公室"),
        ("加装电梯", "2026-09", None, "未开始", "老旧小区加装电梯", "镇办公室"),
    ]  # fmt: skip
    assert list(report.rejected_frame().columns) == ["行号", "原因", "内容"]


def test_changes_are_written_and_a_moved_version_is_a_conflict_row_not_an_overwrite(filled):
    where, ids = filled
    table = sheets.export_frame(_entries(where, kind="item"), kind="item", town_names=TOWNS)
    table.loc[table["序号"] == ids[0], "状态"] = "已完成"
    table.loc[table["序号"] == ids[0], "佐证材料"] = "验收单.pdf"
    table.loc[table["序号"] == ids[1], "状态"] = "延期"
    table.loc[table["序号"] == ids[4], "备注"] = "已验收"
    with transaction(where) as con:  # someone saves item 2 on the page after the export
        w.update_entry(
            con,
            ids[1],
            expected_version=1,
            changes={"owner_unit": "房管所"},
            by="王工",
            now=AT + 60,
        )
    report = _import(where, xlsx_bytes(table), "事项清单.xlsx", kind="item")
    line = {i: n + 2 for n, i in enumerate(table["序号"])}
    assert (report.updated, report.unchanged, report.conflicts) == (2, 0, 1)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (line[ids[1]], "该条目已被 王工 于 2026-12-04 09:13 修改（版本 2），请刷新后再改")
    ]
    by_id = {e.id: e for e in _entries(where)}
    assert (by_id[ids[0]].status, by_id[ids[0]].evidence, by_id[ids[0]].version) == (
        "已完成",
        "验收单.pdf",
        2,
    )
    assert (by_id[ids[1]].status, by_id[ids[1]].owner_unit, by_id[ids[1]].version) == (
        "推进中",
        "房管所",
        2,
    )
    assert (by_id[ids[4]].note, by_id[ids[4]].updated_by) == ("已验收", "镇办公室")
    with transaction(where, write=False) as con:
        last = w.history(con, ids[0])[-1]
    assert (last.changed_by, last.old, last.new) == (
        "镇办公室", {"status": "未开始", "evidence": ""}, {"status": "已完成", "evidence": "验收单.pdf"})  # fmt: skip


def test_rows_naming_entries_wrongly_are_kept_aside_with_the_reason(filled):
    where, ids = filled
    with transaction(where) as con:
        w.delete_entry(con, ids[4], expected_version=1, by="王工", now=AT)
    head = ["序号", "街乡镇代码", "督办起始月", "类别", "事项名称", "状态", "版本"]
    rows = [
        head,
        [str(ids[0]), T1, "2026-09", "事项", "小区停车治理", "推进中", ""],
        ["999", T1, "2026-09", "事项", "无此条", "推进中", "1"],
        [str(ids[0]), T2, "2026-09", "事项", "小区停车治理", "推进中", "1"],
        [str(ids[2]), T1, "2026-09", "事项", "道路修缮", "推进中", "1"],
        [str(ids[4]), T2, "2026-11", "事项", "垃圾分类", "已完成", "2"],
        [str(ids[1]), T1, "2026-09", "事项", '=HYPERLINK("http://x")', "已完成", "1"],
        [str(ids[1]), T1, "2026-09", "事项", '=HYPERLINK("http://x")', "已完成", "2"],
        ["abc", T1, "2026-09", "事项", "x", "推进中", "1"],
        ["", T1, "2026-09", "会议", "x", "推进中", ""],
    ]  # fmt: skip
    report = _import(where, _csv(rows), "事项清单.csv")
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, "有序号但缺少版本：修改已有条目时请保留导出时的“版本”列；新增条目请清空序号"),
        (3, "条目 999 不存在；请刷新列表后再操作"),
        (4, f"序号 {ids[0]} 的街乡镇代码是 '{T1}'，表中为 '{T2}'：街乡镇、督办起始月和类别不能通过导入改动"),
        (5, f"序号 {ids[2]} 的类别是 'project'，表中为 'item'：街乡镇、督办起始月和类别不能通过导入改动"),
        (6, f"序号 {ids[4]} 已于 2026-12-04 09:12 被 王工 删除；如需恢复请清空序号作为新条目导入"),
        (8, f"序号 {ids[1]} 在第 7 行已出现；同一条目每次导入只能改一次"),
        (9, "序号 'abc' 不是正整数"),
        (10, "类别 '会议' 无效：应为 约谈、事项、项目、回访、帮扶 之一"),
    ]  # fmt: skip
    assert (report.updated, report.created, _sent(report)) == (1, 0, report.rows_read)
    assert {e.id: e.status for e in _entries(where)}[ids[1]] == "已完成"


def test_an_entry_outside_the_scope_is_not_described(filled):
    where, ids = filled
    rows = [["序号", "街乡镇代码", "督办起始月", "类别", "事项名称", "版本"],
            [str(ids[4]), T1, "2026-09", "事项", "改名", "1"]]  # fmt: skip
    report = _import(where, _csv(rows), "清单.csv", town_scope={T1})
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, f"序号 {ids[4]} 不在您的权限范围内；请清空序号，或联系管理员调整账号范围")
    ]


def test_a_failure_mid_import_leaves_the_store_as_it_was(work, monkeypatch):
    rows = [["街乡镇代码", "督办起始月", "事项名称"]] + [
        [T1, "2026-09", f"事项{n}"] for n in range(5)
    ]
    calls = []
    real = sheets.add_entry

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(sheets, "add_entry", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(work, _csv(rows), "事项清单.csv", kind="item")
    assert len(calls) == 3 and _entries(work, include_deleted=True) == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"x", "清单.pdf", "不支持的文件类型 '.pdf'：请上传 XLSX 或 CSV 文件"),
        (b"not a zip", "清单.xlsx", "清单.xlsx 不是有效的 XLSX 工作簿"),
        ("事项名称,状态\r\nx,未开始\r\n".encode(), "清单.csv", "表格缺少必需的列：街乡镇代码、督办起始月、类别；表头应为（第 1 行）序号、街乡镇代码"),
        (f"街乡镇代码,督办起始月,事项名称\r\n{T1},2026-09,x\r\n".encode(), "清单.csv", "表格缺少必需的列：类别"),
        (f"街乡镇代码,督办起始月,事项名称,名称,类别\r\n{T1},2026-09,x,y,事项\r\n".encode(), "清单.csv",
         "列 '事项名称' 与 '名称' 都表示“名称”；请删去其中一列"),
        (b"\xff\xfe\x00\x81", "清单.csv", "既不是 UTF-8 也不是 GBK/GB18030 编码"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_imported_is_refused_whole(work, data, name, message):
    with pytest.raises(WorkError, match=message):
        _import(work, data, name)
    assert _entries(work, include_deleted=True) == []


def test_too_many_rows_are_refused_before_anything_is_written(work, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_ROWS", 2)
    rows = [["街乡镇代码", "督办起始月", "事项名称"]] + [
        [T1, "2026-09", f"事项{n}"] for n in range(3)
    ]
    with pytest.raises(WorkError, match="表格有 3 行，超过上限 2 行；请分批导入"):
        _import(work, _csv(rows), "清单.csv", kind="item")


def test_a_broken_csv_row_is_kept_aside_with_its_line(work):
    data = f"街乡镇代码,督办起始月,事项名称\r\n{T1},2026-09,好\r\n{T1},2026-09,坏,多余\r\n".encode()
    report = _import(work, data, "清单.csv", kind="item")
    assert (report.rows_read, report.created) == (2, 1)
    assert [r.line for r in report.rejected] == [3] and "坏" in report.rejected[0].raw


def test_xlsx_dates_names_and_blank_rows(work):
    rows = [
        ["街乡镇", "督办起始月", "类别", "项目名称", "计划完成月份", "约谈日期"],
        ["甲街道", datetime(2026, 9, 1), "项目", "管网改造", datetime(2027, 3, 1), None],
        [None, None, None, None, None, None],
        ["乙街道", "2026-11", "约谈", "约谈镇长", None, datetime(2026, 11, 20)],
        ["丁街道", "2026-11", "项目", "x", None, None],
        ["甲街道", "2026-09", "项目", "y", datetime(2027, 3, 15), None],
    ]  # fmt: skip
    report = _import(work, _xlsx(rows), "项目清单.xlsx", towns=TOWNS)
    assert (report.rows_read, report.created, report.blank, _sent(report)) == (5, 2, 1, 5)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (5, "街乡镇 '丁街道' 不是已知的街乡镇；请填写街乡镇代码"),
        (6, "计划完成月份 '2027-03-15 00:00:00' 不是 YYYY-MM 格式的月份（例如 2026-12）"),
    ]
    made = _entries(work)
    assert [(e.town_code, e.kind, e.spell_start, e.due_month, e.held_on) for e in made] == [
        (T1, "project", "2026-09", "2027-03", None),
        (T2, "talk", "2026-11", None, "2026-11-20"),
    ]


def test_a_code_and_a_name_that_disagree_are_kept_aside(work):
    rows = [["街乡镇代码", "街乡镇", "督办起始月", "事项名称"], [T1, "乙街道", "2026-09", "x"],
            ["110199999", "", "2026-09", "y"], [f"{T2}.0", "乙街道", "2026-09", "z"]]  # fmt: skip
    report = _import(work, _csv(rows), "清单.csv", kind="item", towns=TOWNS)
    assert [(r.line, r.reason) for r in report.rejected] == [
        (2, f"街乡镇代码 {T1} 对应 甲街道，与表中的 '乙街道' 不符"),
        (3, "街乡镇代码 '110199999' 不是已知的街乡镇（应为 9 位代码，例如 110101001）"),
    ]
    assert [e.town_code for e in _entries(work)] == [T2]


def test_a_row_with_data_only_in_unknown_columns_is_kept_aside_not_skipped(work):
    rows = [
        ["街乡镇代码", "督办起始月", "事项名称", "联系人"],
        [None] * 4,
        [None, None, None, "张三"],
    ]
    report = _import(work, _xlsx(rows), "清单.xlsx", kind="item")
    assert (report.blank, [(r.line, r.reason) for r in report.rejected]) == (
        1, [(3, "缺少街乡镇代码（例如 110101001）")])  # fmt: skip
    assert report.rejected[0].raw == '{"联系人": "张三"}'


def test_the_report_as_json():
    report = sheets.ImportReport(
        source="a.csv", rows_read=1, rejected=[sheets.Rejected(2, "坏", "{}")]
    )
    assert report.as_dict()["rejected"] == [{"line": 2, "reason": "坏", "raw": "{}"}]
    assert isinstance(report.rejected_frame(), pd.DataFrame)


def test_unquote_reverses_the_export_quote_for_a_generated_corpus():
    # what the export quotes (heatmap.output.safe) is exactly what the import takes the quote off
    # (the one rule of heatmap.formulas): texts built from formula starts, spaces, controls,
    # full-width signs, numbers and CJK, each quoted on export and read back as typed
    import itertools

    from heatmap.output.safe import neutralise_cell

    pieces = ["=", "+", "-", "@", "＝", "＋", "－", "＠", " ", "\u3000", "\t", "\r", "\x01", "'", "1",
              "1,234", ".5", "%", "房管所", "SUM(A1)", ""]  # fmt: skip
    texts = {"".join(p) for n in (1, 2, 3) for p in itertools.product(pieces, repeat=n)}
    assert len(texts) > 5000
    # export is idempotent (a quoted text gets no second quote), so a text typed as a quote before
    # a formula-like text ("'=x") is the one kind that comes back changed: left out, and pinned
    assert sheets._unquote(neutralise_cell("'=x")) == "=x"
    for text in (t for t in texts if not t.startswith("'")):
        assert sheets._unquote(neutralise_cell(text)) == text, repr(text)
