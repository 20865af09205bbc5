"""Interface text in Simplified Chinese (default) and English."""

from __future__ import annotations

from heatmap.measures import MEASURES, SCORE_RATES

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
    "col_response_rate": ("响应率", "Response"),
    "col_resolution_rate": ("解决率", "Resolution"),
    "col_satisfaction_rate": ("满意率", "Satisfaction"),
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
    "store": ("数据库", "Store"),
    "page_data": ("数据导入", "Data import"),
    "data_current": (
        "当前数据库：{db}（{kind}，{records:,} 条工单，{months}）",
        "Current store: {db} ({kind}, {records:,} requests, {months})",
    ),
    "kind_demo": ("演示数据（合成）", "demo data (synthetic)"),
    "kind_real": ("导入数据", "imported data"),
    "data_target": (
        "导入到数据库（演示数据库不接受真实工单）",
        "Import into store (the demo store takes no real requests)",
    ),
    "data_files": (
        "选择 12345 工单导出文件（CSV / XLSX / Parquet，可多选）",
        "Complaint exports (CSV / XLSX / Parquet, several allowed)",
    ),
    "data_crs": ("坐标系", "Coordinate system"),
    "crs_auto": ("自动判断", "Detect"),
    "data_run": ("开始导入", "Import"),
    "data_failed": (
        "导入失败，数据库未作任何改动：{error}",
        "Import failed; the store is unchanged: {error}",
    ),
    "data_done": (
        "导入完成：新增 {imported:,} 条，更新 {updated:,} 条。",
        "Imported {imported:,} new and {updated:,} updated requests.",
    ),
    "data_switch": ("切换到该数据库查看", "Switch to this store"),
    "rep_read": ("读取行数", "Rows read"),
    "rep_imported": ("新增", "New"),
    "rep_updated": ("更新", "Updated"),
    "rep_duplicates": ("重复（未重复导入）", "Duplicates (not added)"),
    "rep_quarantined": ("隔离（不可用）", "Quarantined"),
    "rep_unmatched": ("未定位到街乡镇", "No town"),
    "rep_conflicts": ("名称与坐标不一致", "Name/point disagree"),
    "rep_matched": ("街乡镇匹配方式", "Towns matched by"),
    "rep_crs": ("坐标系判断", "Coordinate system decided"),
    "rep_reasons": ("隔离原因", "Quarantine reasons"),
    "quarantine_title": (
        "隔离区（最近 200 行；个人信息已去除）",
        "Quarantine (latest 200 rows; personal data removed)",
    ),
    "imports_title": ("导入记录", "Import history"),
    "boundary_title": ("街乡镇边界导入与启用", "Township boundaries: import and activate"),
    "boundary_help": (
        "支持 GeoJSON、zip 压缩的 Shapefile、GeoPackage、GeoParquet；自动识别坐标系（含标为 WGS84 的 GCJ-02/BD-09），修复无效面，报告重叠、缝隙与缺失街乡镇。演示数据库不能更换边界。",
        "GeoJSON, zipped Shapefile, GeoPackage or GeoParquet; the coordinate system is detected (GCJ-02/BD-09 declared as WGS84 included), invalid polygons repaired, overlaps, gaps and missing towns reported. The demo store keeps its boundaries.",
    ),
    "boundary_file": ("边界文件", "Boundary file"),
    "boundary_name": ("边界集名称（字母、数字、_、-）", "Set name (letters, digits, _ and -)"),
    "boundary_valid_from": ("生效月份 YYYY-MM", "Valid from YYYY-MM"),
    "boundary_run": ("导入边界", "Import boundaries"),
    "boundary_active": ("当前数据库使用的边界集", "Boundary set of this store"),
    "boundary_activate": ("启用并重建汇总", "Activate and rebuild aggregates"),
    # real data on the right town (issue 10)
    "crs_epsg": ("投影/其他坐标系（EPSG）", "Projected / other system (EPSG)"),
    "data_epsg": (
        "EPSG 代码，如 4527（CGCS2000 高斯-克吕格 39 带）、3857（Web 墨卡托）、4490（CGCS2000 经纬度）",
        "EPSG code, e.g. 4527 (CGCS2000 Gauss–Krüger zone 39), 3857 (Web Mercator), 4490 (CGCS2000 lon/lat)",
    ),
    "data_allow_outside": (
        "允许北京市外坐标（默认：多数坐标在北京市外的文件整体拒绝）",
        "Allow points outside Beijing (by default a file with most points outside is refused)",
    ),
    "rep_coordinates": ("坐标检查", "Coordinate check"),
    "coord_located": ("有坐标", "Located"),
    "coord_inside": ("在北京市内", "Inside Beijing"),
    "coord_outside": ("在北京市外（保留并标记）", "Outside Beijing (kept, flagged)"),
    "coord_swapped": ("经纬度互换已纠正", "Swapped lon/lat fixed"),
    "coord_null": ("无坐标或为 0", "No point / zero"),
    "rep_outside_examples": ("北京市外坐标示例", "Examples of points outside Beijing"),
    "rep_ambiguous": ("名称对应多个街乡镇（未猜测）", "Ambiguous names (not guessed)"),
    "rep_unmatched_reasons": ("未定位原因", "Why rows have no town"),
    "alias_title": ("街乡镇名称别名", "Town-name aliases"),
    "alias_help": (
        "未能定位到街乡镇的名称如下。为一个名称指定街乡镇后，今后的导入和库中已有的未定位工单都会按此归属，无需重新导入。",
        "Names that found no town are listed below. An alias applies to future imports and to the unmatched records already in the store, without re-importing.",
    ),
    "alias_unresolved": ("未定位的名称（按工单数）", "Unmatched names (by records)"),
    "alias_name": ("别名（如 五道口）", "Alias (e.g. 五道口)"),
    "alias_town": ("对应街乡镇", "Town"),
    "alias_scope": ("仅在本区有效（可选）", "Only within this district (optional)"),
    "alias_by": ("添加人（姓名或工号）", "Added by (name or staff number)"),
    "alias_add": ("添加别名并归属未定位工单", "Add alias and attribute unmatched records"),
    "alias_done": (
        "已添加别名 {alias} → {town}，{records:,} 条工单获得街乡镇。",
        "Alias {alias} → {town} added; {records:,} records now have a town.",
    ),
    "alias_list": ("已有别名", "Aliases"),
    "alias_demo": (
        "演示数据库不接受别名：请先导入真实数据。",
        "The demo store takes no aliases: import real data first.",
    ),
    "boundary_dry_run": ("预演（不写入）", "Dry run (writes nothing)"),
    "boundary_force": ("即使有工单失去街乡镇也启用", "Activate even if records lose their town"),
    "boundary_history": (
        "生效月份之前的工单也重新归属（报告治理类台账变化）",
        "Re-attribute months before valid-from (reports ledger changes)",
    ),
    "plan_title": ("启用 {name} 的影响（{state}）", "Effect of activating {name} ({state})"),
    "plan_dry": ("预演，未写入", "dry run, nothing written"),
    "plan_applied": ("已启用", "applied"),
    "plan_changing": ("改变街乡镇的工单", "Records changing town"),
    "plan_losing": ("将失去街乡镇的工单", "Records losing their town"),
    "plan_gaining": ("新获得街乡镇的工单", "Records gaining a town"),
    "plan_overlay": (
        "叠加：{official}为官方边界，其余为示意边界",
        "Overlay: official in {official}, approximate elsewhere",
    ),
    "plan_top_before": ("最近月份前十（启用前）", "Latest month's top ten (before)"),
    "plan_top_after": ("最近月份前十（启用后）", "Latest month's top ten (after)"),
    "plan_ledger": ("治理类台账变化", "Governance ledger changes"),
    "building_demo_note": (
        "演示数据库在后台进程中生成：关闭或离开本页不会中断，其他访问者看到同一进度。",
        "The demo store is built in a background process: closing or leaving this page does not stop it, and other visitors see the same progress.",
    ),
    "count_rows": ("条数", "rows"),
    "no_district": ("无区", "no district"),
    "list_sep": ("、", ", "),
    # 监测预警 page
    "page_warning": ('监测预警', 'Early warning'),
    "metric_p_top_ten": ('进入前十概率', 'Probability of the top ten'),
    "warn_method": ('预测方法', 'Method'),
    "warn_method_persistence": ('延续法（本月前十）', "Persistence (this month's top ten)"),
    "warn_method_rank_ma": ('排名移动平均', 'Moving average of rank'),
    "warn_method_model": ('学习模型（逻辑回归）', 'Learned model (logistic regression)'),
    "warn_title": ('监测预警：{target} 可能进入前十的街乡镇（依据 {month} 及以前的数据）', 'Early warning: towns that may enter the top ten in {target} (from data up to {month})'),
    "warn_synthetic": ('演示数据为合成数据：此处的回测衡量的是方法在合成数据上的表现；在真实数据库上，同一回测以本单位自己的历史数据运行。', 'The demo data are synthetic: the backtest here measures the method on synthetic data; on a real store the same backtest runs on your own history.'),
    "warn_method_note": ('每个预测只使用被预测月份之前的数据（逐月滚动训练）；概率为模型估计，不是定论。', 'Each prediction uses only months before the one it predicts (walk-forward); probabilities are estimates, not verdicts.'),
    "warn_map_title": ('{target} 进入前十的概率', 'Probability of the top ten in {target}'),
    "warn_list_title": ('风险最高的街乡镇（{target}）', 'Highest risk ({target})'),
    "warn_col_p": ('进入前十概率', 'P(top ten)'),
    "warn_col_rank": ('本月排名', 'Rank now'),
    "warn_col_projected_rank": ('预计排名', 'Projected rank'),
    "warn_col_projected_volume": ('预计接诉量', 'Projected volume'),
    "warn_col_reasons": ('依据', 'Reasons'),
    "warn_backtest_title": ('回测：预测的前十与实际前十', 'Backtest: predicted against actual top ten'),
    "warn_backtest_none": ('数据不足 13 个月，无法回测。', 'Fewer than 13 months of data: no backtest.'),
    "warn_beats": ('{first} 至 {last} 的回测中，{method}对新进入前十的街乡镇的召回率为 {ours}，高于延续法的 {base}。', 'Backtest {first} to {last}: {method} recalls {ours} of new entrants to the top ten, more than persistence ({base}).'),
    "warn_not_beats": ('{first} 至 {last} 的回测中，{method}对新进入前十的街乡镇的召回率为 {ours}，**没有超过**延续法（{base}）：新进入者仍难以提前预见，请把风险名单作为关注线索而非预判。', 'Backtest {first} to {last}: {method} recalls {ours} of new entrants to the top ten and **does not beat** persistence ({base}): new entrants remain hard to foresee; read the list as leads, not forecasts.'),
    "warn_col_method": ('方法', 'Method'),
    "warn_col_precision": ('精确率', 'Precision'),
    "warn_col_recall": ('召回率', 'Recall'),
    "warn_col_new_recall": ('新进入者召回率', 'New-entrant recall'),
    "warn_backtest_chart": ('各月前十召回率', 'Recall of the top ten by month'),
    "warn_backtest_months": ('逐月回测结果', 'Backtest by month'),
    "warn_calibration": ('概率校准（所选方法）', 'Calibration (chosen method)'),
    "warn_col_bin": ('预测概率区间', 'Predicted p'),
    "warn_col_n": ('街乡镇·月数', 'Town-months'),
    "warn_col_mean_p": ('平均预测概率', 'Mean p'),
    "warn_col_observed": ('实际进入前十比例', 'Observed share in top ten'),
    "warn_nowcast_title": ('月中预估：{month} 月末接诉量与排名', 'Mid-month nowcast: {month} month-end volume and rank'),
    "warn_nowcast_day": ('已到第几日', 'Day of month'),
    "warn_nowcast_note": ('以当月前 {day} 日的工单，按过去 12 个月的日序与星期分布推算月末；区间为过去 12 个月推算误差的范围。', "From the records of the first {day} days, scaled by the day-of-month and weekday profile of the previous 12 months; the interval spans those months' errors."),
    "warn_col_observed_so_far": ('截至当日', 'So far'),
    "warn_col_interval": ('预估区间', 'Interval'),
    "warn_exit_title": ('接近摘帽：{month} 在督导的街乡镇，按当前趋势的摘帽月份', 'Close to exit: supervised towns in {month}, projected exit at the current trend'),
    "warn_exit_none": ('本月没有在督导的街乡镇。', 'No town under supervision this month.'),
    "warn_col_blocking": ('卡住的条件', 'Blocking condition'),
    "warn_col_projected_exit": ('预计摘帽月份', 'Projected exit'),
    "warn_not_at_trend": ('按当前趋势无法摘帽', 'Not at the current trend'),
    "brief_warn_title": ('监测预警：{target} 可能进入前十（{scope}）', 'Early warning: may enter the top ten in {target} ({scope})'),
    "brief_warn_note": ('方法：{method}；回测 {first}–{last} 新进入者召回率 {ours}（延续法 {base}）', 'Method: {method}; backtest {first}–{last} new-entrant recall {ours} (persistence {base})'),
    # 监测预警 reasons
    "warn_reason_in_top": ("本月排名第 {rank}", "Ranked {rank} this month"),
    "warn_reason_near_cut": ("距第 {top_n} 名差 {gap:,} 件", "{gap:,} below rank {top_n}"),
    "warn_reason_rising": ("接诉量连续 {n} 个月上升", "Volume up {n} months in a row"),
    "warn_reason_jump": ("环比上升 {pct:.0%}", "Up {pct:.0%} on last month"),
    "warn_reason_rank_move": ("排名 {before} → {now}", "Rank {before} → {now}"),
    "warn_reason_last_year": ("去年同月排名第 {rank}", "Ranked {rank} in the same month last year"),
    "warn_reason_recent_top": (
        "近 12 个月有 {k} 个月进入前 {top_n}",
        "In the top {top_n} {k} of the last 12 months",
    ),
    "warn_reason_supervised": ("市级督导中", "Under municipal supervision"),
    "warn_reason_problem": (
        "「{problem}」占本月 {share:.0%}",
        "{problem}: {share:.0%} of this month",
    ),
    "clause_sep": ("；", "; "),
    "paren_open": ("（", " ("),
    "paren_close": ("）", ")"),
    "colon": ("：", ": "),
    "gov_col_entry": ("入选月份", "Entry"),
    "gov_col_months_out": ("连续出前十月数", "Months out"),
    "gov_col_volume_entry": ("接诉量/入选时", "Volume / entry"),
    "gov_col_score_city": ("得分/全市", "Score / city"),
    "sheet_ledger": ("台账", "ledger"),
    "sheet_checklist": ("摘帽条件", "checklist"),
    "about_boundaries": ("边界数据", "Boundaries"),
    "about_layout": ("工单数据结构", "Record layout"),
    "about_settings": ("设置（带 * 为假设，可配置）", "Settings (* = assumption, configurable)"),
    "demo_provenance": (
        "- 随机种子 `{seed}`，规模 `{scale}`（1 = 真实量级，约 1,300 万条派单）\n"
        "- 校准依据：2019—2021 年公开报道的受理量、派单量、解决率与满意率，以及被点名的治理类街乡镇\n"
        "- 生成命令：`python -m heatmap demo --db data/demo.duckdb --scale 0.05 --seed 20190501`",
        "- Seed `{seed}`, scale `{scale}` (1 = the real volume, ~13 M dispatched)\n"
        "- Calibrated to published 2019–2021 accepted/dispatched volumes, resolution and satisfaction "
        "rates, and the governance-type towns the reports name\n"
        "- Command: `python -m heatmap demo --db data/demo.duckdb --scale 0.05 --seed 20190501`",
    ),
    "choose": ("请选择或输入", "Choose or type"),
    "col_name": ("名称", "Name"),
    "col_reason": ("原因", "Reason"),
    "col_records": ("工单数", "Records"),
    "col_alias": ("别名", "Alias"),
    "col_town_code": ("街乡镇代码", "Town code"),
    "col_town_name": ("街乡镇", "Town"),
    "col_district_code": ("限定区代码", "District scope"),
    "col_added_by": ("添加人", "Added by"),
    "col_added_at": ("添加时间", "Added at"),
    "col_file": ("文件", "File"),
    "col_line": ("行号", "Line"),
    "col_lon": ("经度", "Longitude"),
    "col_lat": ("纬度", "Latitude"),
    "col_before": ("原街乡镇代码", "Town before"),
    "col_after": ("新街乡镇代码", "Town after"),
    "col_before_name": ("原街乡镇", "Before"),
    "col_after_name": ("新街乡镇", "After"),
    "col_month": ("月份", "Month"),
    "col_entry_month": ("纳入月份", "Entry"),
    "col_exit_month": ("退出月份", "Exit"),
    "col_effect": ("台账变化", "Ledger change"),
    "col_source": ("来源文件", "Source file"),
    "col_raw": ("原始内容", "Raw row"),
    "col_loaded_at": ("导入时间", "Loaded at"),
    "col_files": ("文件", "Files"),
    "col_report": ("报告", "Report"),
    "source_line": ("数据来源：{source}；{notice}", "Source: {source}; {notice}"),
    # 每月一题 and 类别分析 (issue 6)
    "page_topics": ("每月一题", "Problem of the month"),
    "page_categories": ("类别分析", "Category analysis"),
    "topics_title": (
        "{month} 每月一题：{year} 年清单 {k} 个问题",
        "Problem of the month, {month}: the {year} list of {k} problems",
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
        "环比下降：当月量低于上月；降幅超过 {pct}%：环比低于 −{pct}%。清单：分类表中 lists 含 {year} 的问题（{source}）。",
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
    "col_theme": ("主题", "Theme"),
    "col_problem": ("问题", "Problem"),
    "col_lead": ("牵头单位", "Lead unit"),
    "col_previous": ("上月", "Previous month"),
    "col_previous_window": ("上期", "Previous window"),
    "col_year_ago": ("去年同期", "A year before"),
    "col_share": ("占比", "Share"),
    "col_increase": ("增加（件）", "Increase"),
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
        "规则：当月量 ≥ max({min}，{factor} × 前 {window} 个月中位数)，无记录的月份按 0 计",
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
    "col_baseline": ("前 {window} 个月中位数", "Median, previous {window} months"),
    "col_threshold": ("预警线", "Alert line"),
    "col_ratio": ("为中位数的倍数", "× median"),
    "tasks_title": ("一方案三清单任务进度", "Task progress (plan and task lists)"),
    "tasks_help": (
        "上传任务清单 CSV（UTF-8 或 GBK）：列 problem（问题）、task（任务）、due_month（计划完成月份 YYYY-MM）、"
        "done_month（完成月份，未完成留空）；也接受中文表头 问题、任务、计划完成月份、完成月份。进度按 {month} 计。",
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
    "col_tasks": ("任务数", "Tasks"),
    "col_planned": ("计划应完成", "Due"),
    "col_done": ("已完成", "Done"),
    "col_overdue": ("逾期", "Overdue"),
    "col_progress": ("完成率", "Done share"),
    "col_plan_share": ("按计划完成率", "Done of due"),
    "total_row": ("合计", "Total"),
    "cat_title": ("{label} 诉求类别分析", "What the requests are about, {label}"),
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
    # 月度简报 (issue 5)
    "page_briefing": ("月度简报", "Monthly briefing"),
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
    "present_toggle": ("演示模式（投影、截图）", "Presentation mode (projection, screenshots)"),
    "present_exit": ("退出演示模式", "Exit presentation mode"),
    # measures, governance, tables and settings
    "cond_out_of_top": ("退出前十", "Out of the top ten"),
    "cond_volume_down": ("降量", "Volume down"),
    "cond_rates_up": ("提率", "Rates up"),
    "cond_out_of_low": ("脱低", "Out of the low group"),
    "rule_out_of_top": (
        "连续 {months_out} 个月不在接诉量前 {top_n} 名",
        "out of the top {top_n} for {months_out} consecutive months",
    ),
    "rule_volume_down": (
        "接诉量较入选当月下降至少 {drop}",
        "volume at least {drop} below the entry month",
    ),
    "rule_rates_up": (
        "综合得分不低于全市综合得分 {margin} 个百分点",
        "composite score ≥ city score {margin} pt",
    ),
    "rule_out_of_low": (
        "综合得分排名不在全市后 {share}",
        "composite-score rank not in the worst {share} of towns",
    ),
    "status_new": ("新进入", "New"),
    "status_continuing": ("持续在榜", "Continuing"),
    "status_re_entered": ("再次进入", "Re-entered"),
    "status_supervised_out": ("督导中（已出前十）", "Supervised, out of top ten"),
    "status_exited": ("本月摘帽", "Exited this month"),
    "status_released": ("已摘帽", "Exited earlier"),
    "col_previous_rank": ("上月排名", "Previous rank"),
    "col_per_10k": ("万人诉求比", "Per 10,000"),
    "col_district_name": ("区", "District"),
    "ledger_town_code": ("街乡镇代码", "Town code"),
    "ledger_town_name": ("街乡镇", "Town"),
    "ledger_district_name": ("所属区", "District"),
    "ledger_spell": ("第几次纳入", "Spell"),
    "ledger_entry_month": ("纳入月份", "Entry month"),
    "ledger_exit_month": ("摘帽月份", "Exit month"),
    "ledger_months_supervised": ("督导月数", "Months supervised"),
    "ledger_best_rank": ("最好排名", "Best rank"),
    "ledger_worst_rank": ("最差排名", "Worst rank"),
    "ledger_entry_volume": ("纳入时接诉量", "Entry volume"),
    "ledger_latest_volume": ("最新接诉量", "Latest volume"),
    "ledger_entry_score": ("纳入时综合得分", "Entry score"),
    "ledger_latest_score": ("最新综合得分", "Latest score"),
    "ledger_ongoing": ("督导中", "ongoing"),
    "gov_rules_start": ("起始月份 {start}，每月前 {top_n}", "Start {start}, top {top_n}"),
    "about_missing_towns": (
        "2023 年区划代码中缺少驻地点、未在演示边界中出现的街乡镇：{n}",
        "Towns of the 2023 list not in this set: {n}",
    ),
    "weights_zero": ("综合得分权重之和须大于 0", "Score weights must sum to more than 0"),
    "measure_words_dispatched": ("派单量", "dispatched requests"),
    "measure_words_accepted": ("受理量", "accepted requests"),
    "matched_code": ("代码", "code"),
    "matched_name": ("名称", "name"),
    "matched_alias": ("别名", "alias"),
    "matched_address": ("地址", "address"),
    "matched_point": ("坐标", "point"),
    "range_to": (" 至 ", " to "),
    "boundary_notice_default": ("示意边界（非官方）", "Approximate boundaries (not official)"),
    "setting_volume_measure": (
        "接诉量口径：dispatched=派单量（默认），accepted=受理量",
        "Which volume counts: dispatched (default) or accepted requests",
    ),
    "setting_h3_resolution": (
        "密度图六边形 H3 分辨率（7≈5 km²，8≈0.7 km²）",
        "H3 resolution of the density layer",
    ),
    "setting_weight_response": (
        "综合得分中响应率的权重",
        "Weight of the response rate in the composite score",
    ),
    "setting_weight_resolution": (
        "综合得分中解决率的权重",
        "Weight of the resolution rate in the composite score",
    ),
    "setting_weight_satisfaction": (
        "综合得分中满意率的权重",
        "Weight of the satisfaction rate in the composite score",
    ),
    "setting_governance_start_month": (
        "治理类街乡镇起始月份",
        "First month of the governance ranking",
    ),
    "setting_governance_top_n": (
        "每月纳入治理类的街乡镇数（前 N 名）",
        "Towns per month put under supervision",
    ),
    "setting_governance_months_out": (
        "摘帽条件·退出前十：连续几个月不在前十",
        "Exit: consecutive months out of the top ten",
    ),
    "setting_governance_volume_drop": (
        "摘帽条件·降量：接诉量较入选当月至少下降的比例",
        "Exit: volume drop against the entry month",
    ),
    "setting_governance_score_margin": (
        "摘帽条件·提率：综合得分至少高出全市的幅度",
        "Exit: composite score margin over the city's",
    ),
    "setting_governance_low_share": (
        "摘帽条件·脱低：综合得分排名不得在全市后多少比例",
        "Exit: composite-score rank not in this worst share of towns",
    ),
}


#: Sign-in, roles, the audit trail and refusals (issue 11).
TEXT.update({
    "page_audit": ("审计日志", "Audit trail"),
    "auth_title": ("登录", "Sign in"),
    "auth_help": (
        "本系统数据按角色与辖区授权查看。账号由数据管理员开设（python -m heatmap users add）。",
        "What you see depends on your role and area. Accounts are created by the data "
        "administrator (python -m heatmap users add).",
    ),
    "auth_name": ("账号", "Account"),
    "auth_password": ("密码", "Password"),
    "auth_sign_in": ("登录", "Sign in"),
    "auth_sso": ("使用单位统一身份认证登录", "Sign in with your organisation's single sign-on"),
    "auth_sign_out": ("退出登录", "Sign out"),
    "auth_signed_in_as": ("当前账号：{who}", "Signed in: {who}"),
    "auth_role": ("角色", "Role"),
    "auth_failed": ("登录失败：{error}", "Sign-in failed: {error}"),
    "auth_expired": ("登录已超时，请重新登录。", "Your session expired; please sign in again."),
    "auth_refused": ("{error}", "Not allowed: {error}"),
    "auth_config_error": (
        "登录配置有误：{error}",
        "The sign-in configuration is wrong: {error}",
    ),
    "auth_demo_mode": (
        "演示模式，未启用登录：演示数据为合成数据，任何访问者均可查看全部页面。",
        "Demo mode, sign-in not enabled: the demo data is synthetic and every visitor sees "
        "every page.",
    ),
    "auth_off_real": (
        "未启用登录（HEATMAP_AUTH=off）：任何能访问本端口的人都能查看全部数据并导入文件。",
        "Sign-in is switched off (HEATMAP_AUTH=off): anyone who reaches this port sees all data "
        "and can import files.",
    ),
    "scope_refused": (
        "无权查看链接中的区或街乡镇：{codes}。已按您的授权范围显示，此次请求已记录。",
        "The link asks for districts or towns outside your scope: {codes}. Showing your own "
        "area instead; the request was logged.",
    ),
    "scope_city": ("全市", "Whole city"),
    "export_not_allowed": (
        "只读账号不能导出或生成简报。",
        "Read-only accounts cannot export or build briefings.",
    ),
    "brief_town_scope": (
        "月度简报按全市或区生成；街乡镇账号请在各页面导出本街乡镇的表格。",
        "The briefing is built for the city or a district; street/township accounts export "
        "their own tables from each page.",
    ),
    "ranking_others": ("全市前十（其他区）", "City top ten (other districts)"),
    "ranking_others_hidden": ("（外区街乡镇）", "(another district's town)"),
    "audit_intro": (
        "登录与退出、导出与简报、导入、边界启用、别名与设置修改、越权请求，均按时间记录，不可修改或删除。",
        "Sign-ins and sign-outs, exports and briefings, imports, boundary activations, alias and "
        "setting changes and refused requests, in time order; entries cannot be changed or deleted.",
    ),
    "audit_dates": ("日期", "Dates"),
    "audit_actions": ("事件", "Events"),
    "audit_user": ("账号", "Account"),
    "audit_count": ("共 {n:,} 条，其中被拒绝 {refused:,} 条", "{n:,} events, {refused:,} refused"),
    "audit_users": ("账号", "Accounts"),
    "audit_grant": ("授权范围", "Granted area"),
    "audit_state": ("状态", "State"),
    "audit_active": ("正常", "Active"),
    "audit_disabled": ("已停用", "Disabled"),
    "audit_locked": ("已锁定", "Locked"),
    "audit_no_users": ("尚无本地账号。", "No local accounts yet."),
    "audit_users_cli": (
        "账号在服务器上管理：python -m heatmap users add|list|disable|enable|set-role|password（密码从标准输入读取）。",
        "Accounts are managed on the server: python -m heatmap users add|list|disable|enable|"
        "set-role|password (the password is read from stdin).",
    ),
    "audit_policy": ("访问策略", "Access policy"),
    "policy_other_names": (
        "区级、街乡镇账号在排名中可见其他区的街乡镇名称",
        "District and town accounts see other districts' town names in rankings",
    ),
    "policy_idle": ("无操作自动退出（分钟）", "Sign out after idle (minutes)"),
    "policy_failures": ("连续失败几次锁定账号", "Failures before an account locks"),
    "policy_lock": ("锁定时长（分钟）", "Lockout (minutes)"),
    "policy_upload": ("上传文件大小上限（MB）", "Upload size limit (MB)"),
    "policy_save": ("保存策略", "Save policy"),
    "policy_saved": ("已保存，修改已记入审计日志。", "Saved; the change is in the audit trail."),
    "policy_env": (
        "登录方式（HEATMAP_AUTH=auto|local|oidc|off）与单点登录的声明名称由服务器环境变量设定，见 README。",
        "The sign-in method (HEATMAP_AUTH=auto|local|oidc|off) and the single sign-on claim "
        "names are set in the server's environment; see the README.",
    ),
    "upload_refused": ("文件未导入：{error}", "File not imported: {error}"),
    "data_target_invalid": (
        "目标数据库应为 data/ 目录下的文件名（如 real.duckdb），收到 {value!r}",
        "The target store must be a file name in data/ (e.g. real.duckdb); got {value!r}",
    ),
})


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


def count(value: float | None) -> str:
    """'28,242' or '—'."""
    return "—" if value is None or value != value else f"{int(value):,}"


def measure_value(metric: str, value: float | None) -> str:
    """A value of one of :data:`heatmap.measures.MEASURES`, formatted by its kind."""
    kind = MEASURES[metric].kind
    if kind == "rate":
        return percent(value)
    if kind == "per_10k":
        return "—" if value is None or value != value else f"{value:.1f}"
    return count(value)


def weights_text(weights: tuple[float, float, float], lang: str = "zh") -> str:
    """The composite score's formula in words: '10%×响应率 + 45%×解决率 + 45%×满意率'."""
    total = sum(weights) or 1.0
    names = [t(f"metric_{rate}", lang) for rate in SCORE_RATES]
    return " + ".join(f"{x / total:.0%}×{n}" for x, n in zip(weights, names, strict=True))
