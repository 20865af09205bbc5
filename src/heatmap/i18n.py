"""Interface text in Simplified Chinese (default) and English."""

from __future__ import annotations

LANGS = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    "app_title": (
        "北京 12345 接诉即办 街乡镇诉求热力图",
        "Beijing 12345 hotline: demand by street/township",
    ),
    "page_heatmap": ("诉求热力图", "Demand heat map"),
    "page_about": ("数据说明", "About the data"),
    "language": ("语言 / Language", "语言 / Language"),
    "filters": ("筛选", "Filters"),
    "month": ("月份", "Month"),
    "month_range": ("按月份区间", "Month range"),
    "month_from": ("起始月份", "From"),
    "month_to": ("结束月份", "To"),
    "district": ("区", "District"),
    "town": ("街乡镇", "Street/township"),
    "theme": ("主题", "Theme"),
    "problem": ("问题", "Problem"),
    "all": ("全部", "All"),
    "demo_badge": ("演示数据（合成）", "Demo data (synthetic)"),
    "demo_note": (
        "演示数据（合成）：由固定随机种子生成，按公开报道的 2019—2021 年数字校准，不是真实工单。",
        "Demo data (synthetic): generated from a fixed seed and calibrated to published 2019–2021 "
        "figures; these are not real requests.",
    ),
    "approx_notice": ("示意边界（非官方）", "Approximate boundaries (not official)"),
    "vintage": ("数据版本", "Data vintage"),
    "building_demo": ("首次运行：正在生成演示数据库…", "First run: building the demo store…"),
    "built_demo": (
        "演示数据库已生成：{records:,} 条工单",
        "Demo store built: {records:,} requests",
    ),
    "dropped_params": (
        "链接中的以下筛选条件无效，已忽略：{items}",
        "These link filters were invalid and ignored: {items}",
    ),
    "metric": ("指标", "Measure"),
    "metric_volume": ("接诉量", "Volume"),
    "metric_per_10k": ("万人诉求比", "Requests per 10,000 residents"),
    "metric_response_rate": ("响应率", "Response rate"),
    "metric_resolution_rate": ("解决率", "Resolution rate"),
    "metric_satisfaction_rate": ("满意率", "Satisfaction rate"),
    "no_population": (
        "当前边界数据没有人口字段，无法计算万人诉求比。",
        "The boundary set has no population, so requests per 10,000 residents cannot be shown.",
    ),
    "density_layer": ("显示诉求密度（六边形）", "Show density (hexagons)"),
    "density_res": ("六边形大小", "Hexagon size"),
    "density_fine": ("细（约 0.7 km²）", "Fine (~0.7 km²)"),
    "density_coarse": ("粗（约 5 km²）", "Coarse (~5 km²)"),
    "basemap": ("在线底图（需联网）", "Online basemap (internet)"),
    "hex_count": ("六边形个数：{n:,}", "Hexagons: {n:,}"),
    "rank_labels": (
        "图上标注接诉量前十名（排名 名称）",
        "The map labels the top ten by volume (rank, name)",
    ),
    "volume_measure": ("接诉量口径", "Volume counts"),
    "measure_dispatched": ("派单量", "Dispatched"),
    "measure_accepted": ("受理量", "Accepted"),
    "map_title": (
        "{label} 北京市各街乡镇{metric}",
        "{metric} by street/township, Beijing, {label}",
    ),
    "legend": ("图例", "Legend"),
    "legend_nodata": ("无数据", "No data"),
    "tt_town": ("街乡镇", "Town"),
    "tt_district": ("所属区", "District"),
    "tt_volume": ("接诉量", "Volume"),
    "tt_rank": ("全市排名", "City rank"),
    "tt_mom": ("环比", "MoM"),
    "tt_cell": ("六边形诉求量", "Requests in hexagon"),
    "kpi_volume": ("接诉量", "Volume"),
    "kpi_response": ("响应率", "Response rate"),
    "kpi_resolution": ("解决率", "Resolution rate"),
    "kpi_satisfaction": ("满意率", "Satisfaction rate"),
    "kpi_unassigned": ("未能定位到街乡镇", "Not assigned to a town"),
    "vs_previous": ("较上期", "vs previous"),
    "select_town": (
        "选择街乡镇查看近 12 个月趋势与主要问题（也可点击地图）",
        "Pick a town for its 12-month trend and top problems (or click the map)",
    ),
    "none_selected": ("（未选择）", "(none)"),
    "trend_title": (
        "{town} 近 12 个月接诉量与全市排名",
        "{town}: volume and city rank, last 12 months",
    ),
    "problems_title": ("{town} {label} 主要问题", "{town}: top problems, {label}"),
    "rank_axis": ("全市排名", "City rank"),
    "ranking_table": ("街乡镇排名（{label}）", "Towns ranked ({label})"),
    "col_rank": ("排名", "Rank"),
    "col_town": ("街乡镇", "Town"),
    "col_district": ("区", "District"),
    "col_volume": ("接诉量", "Volume"),
    "col_mom": ("环比", "MoM"),
    "col_response": ("响应率", "Response"),
    "col_resolution": ("解决率", "Resolution"),
    "col_satisfaction": ("满意率", "Satisfaction"),
    "no_data": ("所选条件下没有数据。", "No data for this selection."),
    "error_store": ("无法打开数据库：{error}", "Cannot open the store: {error}"),
    "page_ranking": ("考核排名", "Rankings"),
    "page_governance": ("治理类街乡镇", "Governance-type towns"),
    "gantt_title": ("治理类街乡镇督导时间线（截至 {month}）", "Supervision timeline (to {month})"),
    "gantt_ongoing": ("督导中", "Supervised"),
    "gantt_exited": ("已摘帽", "Exited"),
    "rules_panel": ("规则与权重（假设，可调整）", "Rules and weights (assumptions, adjustable)"),
    "level": ("排名对象", "Rank"),
    "level_town": ("街乡镇", "Towns"),
    "level_district": ("区", "Districts"),
    "ranking_title": (
        "{month} {level}考核排名（按{measure}）",
        "{month} ranking of {level} (by {measure})",
    ),
    "ranking_note": (
        "排名为全市排名（并列取最好名次）；筛选区/街乡镇只影响显示的行。综合得分 = {w}",
        "Ranks are city-wide (ties share the best rank); district/town filters only limit the rows. Score = {w}",
    ),
    "ranking_month_note": (
        "已选月份区间，排名按结束月份 {month}。",
        "A month range is selected: ranks are for its end month {month}.",
    ),
    "ranking_topic_note": (
        "排名基于全部诉求（主题/问题筛选不影响排名）。",
        "Ranks count all requests (the theme/problem filter does not apply).",
    ),
    "col_change": ("名次变化", "Change"),
    "col_yoy": ("同比", "YoY"),
    "col_score": ("综合得分", "Score"),
    "col_score_rank": ("得分排名", "Score rank"),
    "col_trend": ("近 12 个月接诉量", "Volume, last 12 months"),
    "col_status": ("状态", "Status"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "gov_title": ("{month} 治理类街乡镇", "Governance-type towns, {month}"),
    "fig_ever": ("累计纳入街乡镇", "Towns ever supervised"),
    "fig_districts": ("涉及区", "Districts"),
    "fig_exited": ("已摘帽", "Exited"),
    "fig_now": ("督导中", "Supervised now"),
    "fig_out12": ("连续 12 个月未进前十", "Out of top ten 12 months"),
    "fig_pop": ("涉及人口占比", "Population share"),
    "top_ten_title": ("{month} 接诉量前十", "Top ten by volume, {month}"),
    "checklist_title": ("摘帽条件核对（{month}）", "Exit checklist ({month})"),
    "check_town": ("查看某街乡镇还差哪些条件", "What a town still lacks"),
    "checklist_note": (
        "✓ 满足　✗ 未满足；全部满足的当月即摘帽。",
        "✓ met　✗ not met; a town exits in the month all are met.",
    ),
    "missing_for": ("{town} 尚缺：{items}", "{town} still lacks: {items}"),
    "all_met_for": (
        "{town} 本月全部条件满足，摘帽。",
        "{town} meets every condition this month and exits.",
    ),
    "ledger_title": ("督导台账（截至 {month}）", "Supervision ledger (to {month})"),
    "map_status_title": ("{month} 治理类街乡镇分布", "Governance-type towns, {month}"),
    "status_none": ("未纳入", "Never supervised"),
    "rules_in_force": ("当前摘帽规则", "Exit rules in force"),
    "official_title": ("与官方名单比对", "Compare with an official list"),
    "official_help": (
        "上传 CSV：列 town（街乡镇名称或代码）、entry_month、exit_month（YYYY-MM，未摘帽留空）。",
        "Upload a CSV with columns town (name or code), entry_month, exit_month (YYYY-MM; empty while supervised).",
    ),
    "official_error": ("无法读取官方名单：{error}", "Cannot read the official list: {error}"),
    "no_spells": (
        "截至本月没有治理类街乡镇（起始月份 {start}）。",
        "No governance-type towns yet (the ranking starts {start}).",
    ),
    "source_line": ("数据来源：{source}；{notice}", "Source: {source}; {notice}"),
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang`` ('zh' or 'en'), formatted with ``values``."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def percent(value: float | None, digits: int = 1) -> str:
    """'87.3%' or '—' for a missing value."""
    return "—" if value is None or value != value else f"{value * 100:.{digits}f}%"


def signed_percent(value: float | None) -> str:
    """'+12.0%' / '−3.5%' or '—'."""
    if value is None or value != value:
        return "—"
    return f"{value * 100:+.1f}%".replace("-", "−")
