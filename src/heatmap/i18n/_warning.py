"""Interface text of the 监测预警 page: methods, risk list, backtest, nowcast, exits, reasons."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "warn_method": ("预测方法", "Method"),
    "warn_method_persistence": ("延续法（本月前十）", "Persistence (this month's top ten)"),
    "warn_method_rank_ma": ("排名移动平均", "Moving average of rank"),
    "warn_method_model": ("学习模型（逻辑回归）", "Learned model (logistic regression)"),
    "warn_title": (
        "监测预警：{target} 可能进入前十的街乡镇（依据 {month} 及以前的数据）",
        "Early warning: towns that may enter the top ten in {target} (from data up to {month})",
    ),
    "warn_synthetic": (
        "演示数据为合成数据：此处的回测衡量的是方法在合成数据上的表现；在真实数据库上，同一回测以本单位自己的历史数据运行。",
        "The demo data are synthetic: the backtest here measures the method on synthetic data; on a real store the same backtest runs on your own history.",
    ),
    "warn_method_note": (
        "每个预测只使用被预测月份之前的数据（逐月滚动训练）；概率为模型估计，不是定论。",
        "Each prediction uses only months before the one it predicts (walk-forward); probabilities are estimates, not verdicts.",
    ),
    "warn_map_title": ("{target} 进入前十的概率", "Probability of the top ten in {target}"),
    "warn_list_title": ("风险最高的街乡镇（{target}）", "Highest risk ({target})"),
    "warn_col_p": ("进入前十概率", "P(top ten)"),
    "warn_col_rank": ("本月排名", "Rank now"),
    "warn_col_projected_rank": ("预计排名", "Projected rank"),
    "warn_col_projected_volume": ("预计接诉量", "Projected volume"),
    "warn_col_reasons": ("依据", "Reasons"),
    "warn_col_low": ("区间下限", "Interval low"),
    "warn_col_high": ("区间上限", "Interval high"),
    "warn_backtest_title": (
        "回测：预测的前十与实际前十",
        "Backtest: predicted against actual top ten",
    ),
    "warn_backtest_none": (
        "数据不足 13 个月，无法回测。",
        "Fewer than 13 months of data: no backtest.",
    ),
    "warn_beats": (
        "{first} 至 {last} 共有 {n_new} 次新进入前十（当月进入、上月不在前十）；{method}提前一个月预见了其中 {hits} 次（{ours}），延续法为 {base_hits} 次。",
        "From {first} to {last} the top ten gained {n_new} new entrants; {method} foresaw {hits} of them a month ahead ({ours}), persistence {base_hits}.",
    ),
    "warn_not_beats": (
        "{first} 至 {last} 共有 {n_new} 次新进入前十；{method}提前预见了 {hits} 次（{ours}），**不比延续法多**（{base_hits} 次）：新进入者仍难以提前预见，请把风险名单作为关注线索而非预判。",
        "From {first} to {last} the top ten gained {n_new} new entrants; {method} foresaw {hits} ({ours}), **no more than** persistence ({base_hits}): read the list as leads, not forecasts.",
    ),
    "warn_measure_note": (
        "衡量方法：每种方法每月给出 10 个街乡镇，与实际前十（也是 10 个）比较，所以精确率与召回率相同，合称“前十命中率”；"
        "预警真正要发现的是新进入前十者，延续法（沿用本月前十）按定义发现不了他们。",
        "How it is measured: each method names 10 towns a month against an actual top ten of 10, so precision "
        "equals recall (the \"top-ten hit rate\"); what a warning is for is the new entrants, which persistence "
        "(this month's top ten again) cannot foresee by construction.",
    ),
    "warn_col_hit_rate": ("前十命中率", "Top-ten hit rate"),
    "warn_col_new_caught": ("预见的新进入者", "New entrants foreseen"),
    "warn_axis_new_caught": ("提前一个月预见的新进入者（次）", "New entrants foreseen a month ahead"),
    "warn_col_method": ("方法", "Method"),
    "warn_col_new_recall": ("新进入者召回率", "New-entrant recall"),
    "warn_backtest_chart": (
        "回测期间 {n} 次新进入前十中，各方法提前预见的次数",
        "Of the {n} new entrants to the top ten, how many each method foresaw",
    ),
    "warn_backtest_months": ("逐月回测结果", "Backtest by month"),
    "warn_calibration": ("概率校准（所选方法）", "Calibration (chosen method)"),
    "warn_col_bin": ("预测概率区间", "Predicted p"),
    "warn_col_n": ("街乡镇·月数", "Town-months"),
    "warn_col_mean_p": ("平均预测概率", "Mean p"),
    "warn_col_observed": ("实际进入前十比例", "Observed share in top ten"),
    "warn_nowcast_title": (
        "月中预估：{month} 月末接诉量与排名",
        "Mid-month nowcast: {month} month-end volume and rank",
    ),
    "warn_nowcast_day": ("已到第几日", "Day of month"),
    "warn_nowcast_note": (
        "以当月前 {day} 日的工单，按过去 12 个月的日序与星期分布推算月末；区间为过去 12 个月推算误差的范围。",
        "From the records of the first {day} days, scaled by the day-of-month and weekday profile of the previous 12 months; the interval spans those months' errors.",
    ),
    "warn_col_observed_so_far": ("截至当日", "So far"),
    "warn_col_interval": ("预估区间", "Interval"),
    "warn_exit_title": (
        "接近摘帽：{month} 在督导的街乡镇，按当前趋势的摘帽月份",
        "Close to exit: supervised towns in {month}, projected exit at the current trend",
    ),
    "warn_exit_none": ("本月没有在督导的街乡镇。", "No town under supervision this month."),
    "warn_col_blocking": ("卡住的条件", "Blocking condition"),
    "warn_col_projected_exit": ("预计摘帽月份", "Projected exit"),
    "warn_not_at_trend": ("按当前趋势无法摘帽", "Not at the current trend"),
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
}
