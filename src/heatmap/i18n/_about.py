"""Interface text of the 数据说明 page and of the settings: their help, the rules panel."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "rules_panel": ("规则与权重（假设，可调整）", "Rules and weights (assumptions, adjustable)"),
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
    "about_missing_towns": (
        "2023 年区划代码中缺少驻地点、未在演示边界中出现的街乡镇：{n}",
        "Towns of the 2023 list not in this set: {n}",
    ),
    "weights_zero": ("综合得分权重之和须大于 0", "Score weights must sum to more than 0"),
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
