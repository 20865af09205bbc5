"""Interface text of the 月度简报: slides, legends and notes, and the page that builds them."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "brief_scope_city": ("全市", "Beijing"),
    "brief_subtitle": (
        "月份：{month}　｜　范围：{scope}　｜　口径：{measure}",
        "Month: {month}  |  Scope: {scope}  |  Volume: {measure}",
    ),
    "brief_source": (
        "数据来源：{source}　｜　数据版本：{vintage}",
        "Source: {source}  |  Vintage: {vintage}",
    ),
    "brief_source_demo": (
        "北京 12345 工单月度汇总（演示数据，合成）",
        "Beijing 12345 monthly aggregates (demo data, synthetic)",
    ),
    "brief_source_real": (
        "北京 12345 工单月度汇总（导入数据）",
        "Beijing 12345 monthly aggregates (imported)",
    ),
    "brief_boundary": ("边界：{title}", "Boundaries: {title}"),
    "brief_map_title": (
        "{month} {scope}各街乡镇{measure}",
        "{measure} by street/township, {scope}, {month}",
    ),
    "brief_top_title": (
        "{month} {scope}接诉量前十街乡镇",
        "Top ten streets/townships by volume, {scope}, {month}",
    ),
    "brief_top_title_district": (
        "{month} {scope}接诉量前十街乡镇（全市排名）",
        "Top ten streets/townships of {scope} by volume (city ranks), {month}",
    ),
    "brief_gov_title": (
        "{month} 治理类街乡镇督导情况（{scope}）",
        "Governance-type towns, {scope}, {month}",
    ),
    "brief_rates_title": (
        "{scope}响应率、解决率、满意率（{start} 至 {month}）",
        "Response, resolution and satisfaction rates, {scope}, {start} to {month}",
    ),
    "brief_problems_title": (
        "{month} {scope}主要问题（前 {n} 项）",
        "Top {n} problems, {scope}, {month}",
    ),
    "brief_movers_title": (
        "{month} {scope}接诉量环比变化最大的街乡镇",
        "Largest month-on-month changes by street/township, {scope}, {month}",
    ),
    "brief_legend_volume": ("{measure}（件）", "{measure} (requests)"),
    "brief_legend_supervised": ("督导中（治理类）", "Under supervision"),
    "brief_legend_exited": ("已摘帽", "Exited"),
    "brief_legend_district": ("区界", "District boundary"),
    "brief_legend_top": ("前十（数字为全市排名）", "Top ten (number = city rank)"),
    "brief_top_list": ("接诉量前十", "Top ten by volume"),
    "brief_top_list_district": ("本区接诉量前十", "The district's top ten"),
    "brief_zoom": ("局部放大：前十所在区域", "Zoom: where the top ten are"),
    "brief_previous_rank": ("上月排名", "Prev. rank"),
    "brief_entered": ("本月新纳入", "Entered this month"),
    "brief_exited_now": ("本月摘帽", "Exited this month"),
    "brief_still": ("督导中", "Still supervised"),
    "brief_none": ("无", "none"),
    "brief_report_figures": (
        "截至 {month}（全市）：累计纳入 {ever} 个街乡镇（{districts} 个区），已摘帽 {exited} 个，"
        "督导中 {now} 个，连续 12 个月未进前十 {out12} 个",
        "As of {month} (city): {ever} towns in {districts} districts supervised so far, {exited} exited, "
        "{now} still supervised, {out12} out of the top ten for 12 months",
    ),
    "brief_checklist_head": (
        "摘帽条件核对：督导中的街乡镇还缺哪些条件",
        "Exit checklist: what supervised towns still lack",
    ),
    "brief_lacking": ("尚缺 {n} 项：{items}（{count} 个）", "Lacking {n}: {items} ({count})"),
    "brief_more": ("等，另有 {n} 个", " and {n} more"),
    "brief_rules": (
        "摘帽条件（假设，可配置）：{rules}",
        "Exit rule (assumptions, configurable): {rules}",
    ),
    "brief_weights": ("综合得分 = {w}", "Score = {w}"),
    "brief_problems_note": (
        "条形与数字：{measure}（件）；括号内：占全部问题的比例；环比：较上月",
        "Bars and numbers: {measure}; in brackets: share of all problems; MoM: vs the previous month",
    ),
    "brief_up": ("较上月增加最多", "Largest increases on the previous month"),
    "brief_down": ("较上月减少最多", "Largest decreases on the previous month"),
    "brief_unit_requests": (" 件", ""),
    "brief_entry_month": ("纳入月份", "Entered"),
    "brief_no_previous": ("上月无数据，无法计算环比。", "No data for the previous month."),
    "brief_build": ("生成简报", "Build the briefing"),
    "brief_intro": (
        "按侧栏的结束月份 {month} 与范围 {scope} 生成会议用图表：PNG（每图一张，1920×1080）、PDF（每页一图）、"
        "PPTX（16:9，每页一图，标题可编辑）。侧栏恰好选中一个区时范围为该区，否则为全市；排名始终为全市排名。",
        "Builds the meeting figures for the sidebar's end month {month} and scope {scope}: PNG (one per "
        "figure, 1920×1080), PDF (one figure a page) and PPTX (16:9, one figure a slide, editable titles). "
        "The scope is the district when exactly one is selected in the sidebar, else the whole city; ranks "
        "are always city-wide.",
    ),
    "brief_building": ("正在生成简报…", "Building the briefing…"),
    "brief_built": (
        "已生成 {n} 个文件，用时 {seconds:.0f} 秒。",
        "Built {n} files in {seconds:.0f} s.",
    ),
    "brief_files": ("下载", "Downloads"),
    "brief_download_all": ("全部下载（zip）", "Download all (zip)"),
    "brief_file_pdf": ("PDF · 全部图表", "PDF · all figures"),
    "brief_file_pptx": ("PPTX · 幻灯片", "PPTX · slides"),
    "brief_fig_map": ("地图", "Map"),
    "brief_fig_top_ten": ("前十", "Top ten"),
    "brief_fig_governance": ("治理类", "Governance"),
    "brief_fig_rates": ("三率趋势", "Rates"),
    "brief_fig_problems": ("主要问题", "Problems"),
    "brief_fig_movers": ("变化最大", "Movers"),
    "brief_fig_warning": ("监测预警", "Early warning"),
    "brief_preview": ("预览", "Preview"),
    "brief_failed": ("简报生成失败：{error}", "The briefing failed: {error}"),
    "brief_town_scope": (
        "月度简报按全市或区生成；街乡镇账号请在各页面导出本街乡镇的表格。",
        "The briefing is built for the city or a district; street/township accounts export "
        "their own tables from each page.",
    ),
    "brief_warn_title": (
        "监测预警：{target} 可能进入前十（{scope}）",
        "Early warning: may enter the top ten in {target} ({scope})",
    ),
    "brief_warn_note": (
        "方法：{method}；回测 {first}–{last} 新进入者召回率 {ours}（延续法 {base}）",
        "Method: {method}; backtest {first}–{last} new-entrant recall {ours} (persistence {base})",
    ),
}
