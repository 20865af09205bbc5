"""督导工作台: the supervision workbench of each governance-type town."""

TEXT: dict[str, tuple[str, str]] = {
    "page_workbench": ("督导工作台", "Supervision workbench"),
    "work_intro": (
        "每个治理类街乡镇每次纳入督办的约谈、事项清单、项目清单、回访与摘帽后帮扶；多人可同时编辑，"
        "他人已修改的条目不会被覆盖，每次修改均留痕。",
        "For each supervised town and spell: talks, the item and project lists, follow-up visits and "
        "support after exit. Several people can edit at once; an entry someone else changed is never "
        "overwritten, and every change is kept.",
    ),
    "work_no_spells": (
        "{month} 及以前没有（您范围内的）治理类街乡镇。",
        "No supervised towns (in your scope) up to {month}.",
    ),
    "work_spell_label": (
        "{town}（{district}）· 第 {n} 次督办 {start} → {end}",
        "{town} ({district}) · spell {n} {start} → {end}",
    ),
    "work_ongoing": ("督导中", "ongoing"),
    "work_pick_spell": ("街乡镇与督办期", "Town and spell"),
    "work_fig_spell": ("纳入督办", "Entered"),
    "work_timeline_title": ("督办时间线：约谈、回访与清单", "The spell: talks, visits and the lists"),
    "work_spell_end": ("摘帽：{end}", "Exit: {end}"),
    "work_fig_total": ("事项与项目", "Items and projects"),
    "work_fig_done": ("已完成", "Done"),
    "work_fig_due": ("已到期未完成", "Due, not done"),
    "work_fig_overdue": ("逾期", "Overdue"),
    "work_not_done": ("未完成", "Not done"),
    "work_store": ("工作台数据库：{where}", "Workbench store: {where}"),
    "work_read_only": (
        "只读账号：可查看，不能编辑。",
        "Read-only account: you can look but not edit.",
    ),
    "work_tab_item": ("事项清单", "Item list"),
    "work_tab_project": ("项目清单", "Project list"),
    "work_tab_talk": ("约谈", "Talks"),
    "work_tab_visit": ("回访", "Visits"),
    "work_tab_support": ("摘帽后帮扶", "Support after exit"),
    "work_tab_demand": ("诉求变化", "Demand"),
    "work_tab_sheets": ("导入导出", "Import / export"),
    "work_col_id": ("序号", "No."),
    "work_col_title": ("名称", "Title"),
    "work_col_problem": ("问题分类", "Problem"),
    "work_col_owner": ("责任单位", "Owner unit"),
    "work_col_due": ("计划完成月份", "Due month"),
    "work_col_status": ("状态", "Status"),
    "work_col_evidence": ("佐证材料", "Evidence"),
    "work_col_version": ("版本", "Version"),
    "work_col_by": ("最后修改人", "Last changed by"),
    "work_col_at": ("修改时间", "Changed at"),
    "work_col_day": ("日期", "Date"),
    "work_col_participants": ("参加人员", "Participants"),
    "work_col_note": ("结论与情况", "Conclusions and notes"),
    "work_col_action": ("操作", "Action"),
    "work_col_changes": ("修改内容", "Changes"),
    "work_overdue": ("逾期", "overdue"),
    "brief_work_overdue": ("（清单逾期 {n}）", " ({n} overdue)"),
    "brief_met_but_overdue": (
        "摘帽条件已满足、但督导清单有逾期项：{towns}",
        "Exit conditions met but listed work overdue: {towns}",
    ),
    "work_col_work": ("清单完成/到期/逾期", "Lists done/due/overdue"),
    "work_met_but_overdue": (
        "摘帽条件已满足，但督导清单中有 {n} 项逾期未完成。",
        "The exit conditions are met, but {n} listed items are overdue.",
    ),
    "work_done_but_not_met": (
        "督导清单无到期未完成项（已完成 {done}/{total}），但摘帽条件尚未满足。",
        "No listed item is due and undone ({done} of {total} done), but the exit conditions are not met.",
    ),
    "work_add": ("新增{kind}", "New {kind}"),
    "work_kind_talk": ("约谈", "talk"),
    "work_kind_item": ("事项", "item"),
    "work_kind_project": ("项目", "project"),
    "work_kind_visit": ("回访", "visit"),
    "work_kind_support": ("帮扶", "support note"),
    "work_save": ("保存", "Save"),
    "work_delete": ("删除", "Delete"),
    "work_edit_pick": ("修改条目", "Edit an entry"),
    "work_history": ("修改记录", "History"),
    "work_conflict": ("未保存：{error}", "Not saved: {error}"),
    "work_failed": ("未保存：{error}", "Not saved: {error}"),
    "work_saved": ("已保存 #{id}（版本 {version}）", "Saved #{id} (version {version})"),
    "work_demand_title": (
        "清单所涉问题的月度诉求量",
        "Monthly requests of the problems the lists address",
    ),
    "work_demand_none": (
        "清单中的事项和项目尚未标注问题分类。",
        "No item or project names a problem yet.",
    ),
    "work_demand_note": (
        "红线：纳入督办月份；绿色虚线：已完成事项的计划完成月份。",
        "Red line: the month the town entered supervision; green dotted: the due months of done items.",
    ),
    "work_sheets_help": (
        "清单表格（XLSX/CSV，中文表头）：导出后可在 Excel 中修改再导入；无序号的行为新增，带序号和版本的行为修改，"
        "他人已改过的行为冲突，不覆盖；有问题的行单列原因与行号，其余照常导入。",
        "Lists as spreadsheets (XLSX/CSV, Chinese headers): export, edit in Excel, import. A row "
        "without 序号 is new, one with 序号 and 版本 a change; a row someone else changed since is a "
        "conflict, not an overwrite; rows with problems are listed with their line and reason.",
    ),
    "work_sheet_kind": ("清单", "List"),
    "work_upload": ("导入清单表格", "Import a list"),
    "work_import": ("导入", "Import"),
    "work_imported": (
        "已导入：新增 {created} 行，修改 {updated} 行，未变 {unchanged} 行，未导入 {rejected} 行（见下表）",
        "Imported: {created} new, {updated} changed, {unchanged} unchanged, {rejected} not imported (below)",
    ),
}
