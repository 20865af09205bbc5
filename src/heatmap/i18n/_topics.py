"""Interface text of 每月一题 (list, spikes, task progress) and 类别分析."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "topics_title": (
        "每月一题：{year} 年清单 {k} 个问题",
        "Problem of the month: the {year} list of {k} problems",
    ),
    "topics_year": ("清单年份", "List year"),
    "topics_sentence": (
        "截至 {month}{area}，{total} 个问题中 {fell} 个环比下降，其中 {over} 个降幅超过 {pct}%",
        "As of {month}{area}, {fell} of {total} problems fell month-on-month, {over} of them by more than {pct}%",
    ),
    "topics_area": ("（{area}）", " ({area})"),
    "topics_no_previous": (
        "数据库中没有上月（{previous}）的数据，无法计算环比。",
        "The store has no data for the previous month ({previous}): no month-on-month change.",
    ),
    "topics_range_note": (
        "已选月份区间，每月一题按结束月份 {month} 统计。",
        "A month range is selected: figures are for its end month {month}.",
    ),
    "topics_before_list": (
        "每月一题清单自 {first} 年开始；{month} 早于清单，按 {year} 年清单显示以便对照。",
        "The lists start in {first}; {month} is earlier, so the {year} list is shown for comparison.",
    ),
    "topics_topic_note": (
        "每月一题按清单统计，侧栏的主题/问题筛选只用于下方默认选中的问题。",
        "The list decides the problems; the sidebar theme/problem filter only preselects the problem below.",
    ),
    "topics_rule_note": (
        "环比下降：当月量低于上月；降幅超过 {pct}%：环比低于 −{pct}%。清单：分类配置中列入 {year} 年清单的问题。",
        "Fell: volume below the previous month's; by more than {pct}%: change below −{pct}%. "
        "The list: problems whose `lists` contain {year} in the taxonomy ({source}).",
    ),
    "kpi_listed_volume": ("清单问题{measure}", "Listed problems: {measure}"),
    "kpi_fell": ("环比下降", "Fell MoM"),
    "kpi_fell_over": ("降幅超过 {pct}%", "Fell by > {pct}%"),
    "kpi_rose": ("环比上升", "Rose MoM"),
    "grid_title": (
        "近 {n} 个月各问题{measure}（末点为当月：绿色 = 环比下降，红色 = 上升）",
        "Per problem, last {n} months: {measure} (last point = this month: green fell, red rose)",
    ),
    "topics_table": (
        "{month} 清单问题{measure}与变化",
        "Listed problems, {month}: {measure} and change",
    ),
    "rising_abs": ("环比增加最多", "Largest increase"),
    "rising_rel": (
        "环比增幅最大（上期 ≥ {base} 件）",
        "Largest relative increase (previous ≥ {base})",
    ),
    "rising_none": ("没有符合条件的上升问题。", "No problem qualifies."),
    "topic_section": ("单个问题：分布与主要街乡镇", "One problem: where it is and who carries it"),
    "topic_pick": ("选择问题", "Problem"),
    "topic_map_title": (
        "{month} {problem}：各街乡镇{measure}",
        "{problem}, {month}: {measure} by street/township",
    ),
    "top_towns": ("主要街乡镇", "Top towns"),
    "top_districts": ("主要区", "Top districts"),
    "topic_share_note": (
        "占比：占所选范围内该问题{measure}的比例；表中名次为所选范围内的名次（地图提示框中为全市排名）。",
        "Share: of the problem's {measure} in the view; table ranks are within the view (the map's tooltip shows the city rank).",
    ),
    "spikes_title": ("异常升高预警（{month}）", "Spike alerts ({month})"),
    "spike_rule": (
        "规则：当月量不少于 {min}，且不少于前 {window} 个月中位数的 {factor} 倍；无记录的月份按 0 计",
        "Rule: volume ≥ max({min}, {factor} × median of the previous {window} months); months without records count as 0",
    ),
    "spike_settings": ("预警规则参数（可调整）", "Alert rule (adjustable)"),
    "spike_min": ("最低量（件）", "Minimum volume"),
    "spike_factor": ("倍数", "Factor"),
    "spike_window": ("参照月数", "Months of history"),
    "spike_scope": ("预警范围", "Problems checked"),
    "spike_scope_listed": ("清单问题", "Listed problems"),
    "spike_scope_all": ("全部问题", "All problems"),
    "spikes_none": (
        "本月没有街乡镇 × 问题超过预警线。",
        "No town × problem is above the alert line this month.",
    ),
    "spikes_history": (
        "预警需要 {month} 之前 {window} 个月的数据，数据库中不足。",
        "Alerts need the {window} months before {month}; the store has fewer.",
    ),
    "spikes_count": ("共 {n} 条预警", "{n} alerts"),
    "tasks_title": ("一方案三清单任务进度", "Task progress (plan and task lists)"),
    "tasks_help": (
        "上传任务清单 CSV（UTF-8 或 GBK 编码）：表头为 问题、任务、计划完成月份（如 2021-05）、完成月份（未完成留空），"
        "模板中的英文表头也可用。进度按 {month} 计。",
        "Upload the task list as CSV (UTF-8 or GBK): problem, task, due_month (YYYY-MM), done_month "
        "(empty while open); Chinese headers are accepted too. Progress is counted as of {month}.",
    ),
    "tasks_template": ("下载模板", "Download template"),
    "tasks_error": ("无法读取任务清单：{error}", "Cannot read the task list: {error}"),
    "tasks_sentence": (
        "截至 {month}，已完成 {done} 项，共 {tasks} 项（{share}%）；按计划应完成 {planned} 项，逾期 {overdue} 项",
        "As of {month}, {done} of {tasks} tasks are done ({share}%); {planned} were due, {overdue} are overdue",
    ),
    "tasks_unknown": (
        "以下问题不在 {year} 年清单中（请核对名称）：{items}",
        "Not in the {year} list (check the names): {items}",
    ),
    "tasks_waiting": ("尚未上传任务清单。", "No task list uploaded yet."),
    "total_row": ("合计", "Total"),
    "cat_title": ("诉求类别分析", "What the requests are about"),
    "cat_tree": (
        "主题 → 问题（面积 = {measure}，颜色 = 环比；点击主题下钻，点击顶部返回）",
        "Theme → problem (area = {measure}, colour = change vs previous; click a theme to drill down)",
    ),
    "cat_root": ("全部诉求", "All requests"),
    "cat_matrix": ("{rows} × {unit}：{value}", "{rows} × {unit}: {value}"),
    "cat_by": ("矩阵行", "Rows"),
    "cat_by_theme": ("主题", "Themes"),
    "cat_by_problem": ("问题", "Problems"),
    "cat_value": ("矩阵数值", "Values"),
    "cat_value_volume": ("件数", "Requests"),
    "cat_value_share": ("占该列比例", "Share of the column"),
    "cat_unit_district": ("区", "District"),
    "cat_unit_town": ("街乡镇", "Town"),
    "hf_title": ("{label} 高频事项（前 {n} 项）", "High-frequency items, {label} (top {n})"),
    "hf_n": ("显示前几项", "Items shown"),
    "cat_rising": ("上升最多的事项（较上期）", "Rising items (vs the previous window)"),
    "cat_compare_note": (
        "环比：与之前等长时段比较；同比：与去年同期比较；名次变化：与上期名次相比。",
        "MoM: vs the equally long window before; YoY: vs a year earlier; change: vs the previous rank.",
    ),
    "cat_none": ("所选范围内没有诉求。", "No requests in this view."),
}
