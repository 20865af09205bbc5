"""Entries of the workbench on SQLite and PostgreSQL: versions, conflicts, history, checks, sums."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from heatmap.errors import ConflictError, ScopeError, WorkError
from heatmap.supervision import work as w
from heatmap.supervision.db import transaction

T1, T2, T3 = "110101001", "110101002", "110102001"
BEIJING = timezone(timedelta(hours=8))
#: 2026-12-04 10:12 Beijing time
AT = datetime(2026, 12, 4, 10, 12, tzinfo=BEIJING).timestamp()


def _item(con, **over):
    values = {"town_code": T1, "spell_start": "2026-09", "kind": "item", "title": "小区停车治理",
              "by": "李工", "problem": "物业服务", "owner_unit": "城管科", "due_month": "2026-11",
              "now": AT - 3600} | over  # fmt: skip
    return w.add_entry(con, **values)


def test_add_starts_at_version_1_with_a_create_row(work):
    with transaction(work) as con:
        e = _item(con, status=None)
        changes = w.history(con, e.id)
    assert (e.version, e.status, e.created_by, e.updated_by, e.deleted) == (
        1,
        "未开始",
        "李工",
        "李工",
        False,
    )
    assert e.problem == "物业服务" and e.held_on is None and e.created_at == AT - 3600
    assert [(c.version, c.action, c.changed_by, c.old) for c in changes] == [
        (1, "create", "李工", {})
    ]
    assert changes[0].new["title"] == "小区停车治理" and changes[0].new["status"] == "未开始"


def test_update_raises_the_version_and_logs_only_the_changed_fields(work):
    with transaction(work) as con:
        e = _item(con)
        e2 = w.update_entry(con, e.id, expected_version=1, by="王工", now=AT,
                            changes={"status": "推进中", "owner_unit": "城管科", "evidence": "照片.jpg"})  # fmt: skip
        changes = w.history(con, e.id)
    assert (e2.version, e2.status, e2.evidence, e2.updated_by, e2.updated_at) == (
        2,
        "推进中",
        "照片.jpg",
        "王工",
        AT,
    )
    assert (e2.created_by, e2.created_at) == ("李工", AT - 3600)
    last = changes[-1]
    assert (last.version, last.action, last.changed_by, last.changed_at) == (
        2,
        "update",
        "王工",
        AT,
    )
    assert last.old == {"status": "未开始", "evidence": ""}
    assert last.new == {"status": "推进中", "evidence": "照片.jpg"}


def test_a_change_to_the_same_values_writes_nothing(work):
    with transaction(work) as con:
        e = _item(con)
        same = w.update_entry(con, e.id, expected_version=1, by="王工",
                              changes={"title": " 小区停车治理 ", "problem": "物业服务"})  # fmt: skip
        assert same == e and len(w.history(con, e.id)) == 1


def test_two_sessions_read_version_1_the_second_writer_gets_a_conflict(work):
    with transaction(work) as con:
        e = _item(con)
    seen_by_a = seen_by_b = e.version  # both pages loaded version 1
    with transaction(work) as con:
        w.update_entry(con, e.id, expected_version=seen_by_a, changes={"status": "推进中"},
                       by="王工", now=AT)  # fmt: skip
    with pytest.raises(ConflictError, match=r"^该条目已被 王工 于 2026-12-04 10:12 修改（版本 2），请刷新后再改$") as caught, transaction(work) as con:  # fmt: skip
        w.update_entry(
            con, e.id, expected_version=seen_by_b, changes={"status": "已完成"}, by="张工"
        )
    err = caught.value
    assert (err.entry_id, err.version, err.changed_by, err.changed_at) == (e.id, 2, "王工", AT)
    with transaction(work, write=False) as con:
        now = w.get_entry(con, e.id)
        changes = w.history(con, e.id)
    assert (now.version, now.status) == (2, "推进中")  # the loser's change was not written
    assert [(c.version, c.changed_by) for c in changes] == [(1, "李工"), (2, "王工")]


def test_delete_is_soft_and_versioned_and_blocks_later_changes(work):
    with transaction(work) as con:
        e = _item(con)
        gone = w.delete_entry(con, e.id, expected_version=1, by="王工", now=AT)
        assert (gone.version, gone.deleted) == (2, True)
        assert w.list_entries(con) == []
        assert [x.id for x in w.list_entries(con, include_deleted=True)] == [e.id]
        assert [(c.action, c.old, c.new) for c in w.history(con, e.id)][-1] == (
            "delete", {"deleted": 0}, {"deleted": 1})  # fmt: skip
        with pytest.raises(WorkError, match=f"条目 {e.id} 已删除，不能修改"):
            w.update_entry(con, e.id, expected_version=2, changes={"status": "推进中"}, by="张工")
        with pytest.raises(
            ConflictError, match="该条目已被 王工 于 2026-12-04 10:12 删除（版本 2）"
        ):
            w.update_entry(con, e.id, expected_version=1, changes={"status": "推进中"}, by="张工")
        assert w.delete_entry(con, e.id, expected_version=2, by="张工").version == 2  # already gone


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"status": "进行中"}, "状态 '进行中' 无效：应为 未开始、推进中、已完成、延期 之一"),
        ({"due_month": "2026-13"}, "计划完成月份 '2026-13' 不是 YYYY-MM 格式的月份"),
        ({"due_month": "2026/12"}, "计划完成月份 '2026/12' 不是 YYYY-MM 格式的月份"),
        ({"spell_start": "202609"}, "督办起始月 '202609' 不是 YYYY-MM 格式的月份"),
        (
            {"problem": "外星人入侵"},
            r"问题分类 '外星人入侵' 不在分类表中（taxonomy.toml，共 \d+ 个问题）",
        ),
        ({"kind": "meeting"}, "类别 'meeting' 无效：应为 talk、item、project、visit、support"),
        ({"kind": "talk"}, r"约谈必须有日期（YYYY-MM-DD"),
        ({"kind": "visit", "held_on": "2026-02-30"}, "日期 '2026-02-30' 无效：应为 YYYY-MM-DD"),
        ({"title": "  "}, "事项缺少名称"),
        ({"town_code": ""}, "缺少街乡镇代码"),
        ({"by": " "}, "缺少修改人：每次修改都要记下是谁改的"),
        ({"title": "长" * 501}, "名称过长：501 个字符，最多 500 个"),
    ],
)
def test_an_invalid_field_is_refused_with_what_was_expected(work, over, message):
    with transaction(work) as con:
        with pytest.raises(WorkError, match=message):
            _item(con, **over)
        assert w.list_entries(con, include_deleted=True) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"town_code": T2}, "不能修改 town_code：街乡镇、督办起始月和类别是条目的身份"),
        ({"kind": "project", "spell_start": "2026-10"}, "不能修改 kind, spell_start"),
        ({"colour": "red"}, "未知字段 colour；可修改的字段：title, problem"),
        ({"status": None}, "事项必须有状态"),
        ({"problem": "不存在的问题"}, "问题分类 '不存在的问题' 不在分类表中"),
    ],
)
def test_an_invalid_change_is_refused_and_nothing_is_written(work, changes, message):
    with transaction(work) as con:
        e = _item(con)
        with pytest.raises(WorkError, match=message):
            w.update_entry(con, e.id, expected_version=1, changes=changes, by="王工")
        assert w.get_entry(con, e.id) == e and len(w.history(con, e.id)) == 1


def test_unknown_entry_is_named(work):
    with (
        transaction(work) as con,
        pytest.raises(WorkError, match="条目 999 不存在；请刷新列表后再操作"),
    ):
        w.update_entry(con, 999, expected_version=1, changes={}, by="王工")


def test_towns_outside_the_scope_are_refused(work):
    with transaction(work) as con:
        with pytest.raises(
            ScopeError, match=f"街乡镇 {T1} 不在您的权限范围内（可操作 1 个街乡镇）"
        ):
            _item(con, scope={T2})
        e = _item(con)
        with pytest.raises(ScopeError, match=f"街乡镇 {T1} 不在您的权限范围内"):
            w.update_entry(con, e.id, expected_version=1, changes={"status": "推进中"}, by="x",
                           scope={T2})  # fmt: skip
        with pytest.raises(ScopeError):
            w.delete_entry(con, e.id, expected_version=1, by="x", scope=())
        assert w.get_entry(con, e.id).version == 1


def test_talks_visits_and_support_carry_their_own_fields(work):
    with transaction(work) as con:
        talk = w.add_entry(con, town_code=T1, spell_start="2026-09", kind="talk", title="约谈街道主要负责人",
                           held_on="2026-09-15", participants="区长、街道书记", note="三项整改", by="督导组")  # fmt: skip
        support = w.add_entry(con, town_code=T1, spell_start="2026-09", kind="support", title="帮扶期回访",
                              due_month="2027-03", by="督导组")  # fmt: skip
    assert (talk.held_on, talk.status, talk.participants, talk.note) == (
        "2026-09-15",
        None,
        "区长、街道书记",
        "三项整改",
    )
    assert (support.held_on, support.status, support.due_month) == (None, None, "2027-03")


def test_listing_filters_by_town_scope_kind_status_and_spell(work):
    with transaction(work) as con:
        a = _item(con)
        b = _item(con, kind="project", title="道路修缮", status="推进中")
        c = _item(con, town_code=T2, spell_start="2026-11")
        d = w.add_entry(con, town_code=T1, spell_start="2026-09", kind="talk", title="约谈",
                        held_on="2026-09-15", by="x")  # fmt: skip
        ids = lambda **f: [e.id for e in w.list_entries(con, **f)]  # noqa: E731
        assert ids() == [d.id, a.id, b.id, c.id]  # by town, spell, kind (talk first), id
        assert ids(town_code=T2) == [c.id]
        assert ids(towns=[T2, T3]) == [c.id]
        assert ids(towns=[]) == []
        assert ids(kind="project") == [b.id]
        assert ids(status="未开始") == [a.id, c.id]
        assert ids(spell_start="2026-11") == [c.id]
        assert w.spells(con) == [(T1, "2026-09"), (T2, "2026-11")]
        assert w.spells(con, towns=[T2]) == [(T2, "2026-11")]
        assert list(w.frame(w.list_entries(con, kind="project"))["title"]) == ["道路修缮"]


def test_summary_counts_done_due_and_overdue_of_the_current_spell(work):
    with transaction(work) as con:
        _item(con, title="A", status="已完成", due_month="2026-10")
        _item(con, title="B", status="推进中", due_month="2026-11")  # overdue in 2026-12
        _item(con, title="C", status="延期", due_month="2026-12")  # due, not yet overdue
        _item(con, title="D", status="未开始", due_month="2027-01")  # not due
        _item(con, title="E", kind="project", due_month=None)  # never due
        gone = _item(con, title="F", due_month="2026-01")
        w.delete_entry(con, gone.id, expected_version=1, by="x")
        w.add_entry(
            con,
            town_code=T1,
            spell_start="2026-09",
            kind="talk",
            title="约谈",
            held_on="2026-09-15",
            by="x",
        )
        _item(con, title="old", spell_start="2025-01", due_month="2025-03")  # an earlier spell
        _item(con, town_code=T2, spell_start="2026-11", kind="project", title="G", status="推进中")
        _item(con, town_code=T2, spell_start="2027-01", title="later spell", due_month="2027-02")
        table = w.summary(con, month="2026-12", towns=[T1, T2, T3])
        earlier = w.summary(con, month="2026-12", towns=[T1], spell_of={T1: "2025-01"})
        every = w.summary(con, month="2026-12")
    assert table.to_dict("records") == [
        {"town_code": T1, "spell_start": "2026-09", "items": 4, "projects": 1, "total": 5, "done": 1, "due": 2, "overdue": 1},
        {"town_code": T2, "spell_start": "2026-11", "items": 0, "projects": 1, "total": 1, "done": 0, "due": 1, "overdue": 1},
        {"town_code": T3, "spell_start": None, "items": 0, "projects": 0, "total": 0, "done": 0, "due": 0, "overdue": 0},
    ]  # fmt: skip
    assert earlier.iloc[0][["spell_start", "total", "due", "overdue"]].tolist() == [
        "2025-01",
        1,
        1,
        1,
    ]
    assert list(every["town_code"]) == [T1, T2]
    with pytest.raises(WorkError, match="统计月份 '2026-12-01' 不是 YYYY-MM"):
        w.summary(con, month="2026-12-01")


def test_format_time_is_beijing_time():
    assert w.format_time(AT) == "2026-12-04 10:12"
    assert w.format_time(0) == "1970-01-01 08:00"
