"""Interface text of the 数据说明 page and of the settings: their help, the rules panel."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "about_source": ("来源", "Source"),
    "about_vintage": ("时点", "Vintage"),
    "about_crs": ("坐标系", "Coordinate system"),
    "about_field": ("字段", "Column"),
    "about_field_kind": ("类型", "Type"),
    "about_field_meaning": ("含义", "Meaning"),
    "about_setting_name": ("设置项", "Setting"),
    "about_setting_default": ("默认值", "Default"),
    "about_setting_help": ("说明", "Meaning"),
    "kind_text": ("文本", "text"),
    "kind_time": ("时间", "time"),
    "kind_date": ("日期", "date"),
    "kind_number": ("数值", "number"),
    "kind_bool": ("是/否", "yes/no"),
    "col_kind": ("类别", "Kind"),
    "field_assign_note": ("未能定位的原因或定位说明（有歧义、区外等）", "Why a record has no town, or what was decided"),
    "field_town_raw": ("导出文件中的街乡镇原文（供以后添加别名）", "Town as written in the export (for later aliases)"),
    "field_district_raw": ("导出文件中的所属区原文", "District as written in the export"),
    "field_point_town_code": ("坐标所在街乡镇（与定位结果不一致时标出）", "Town of the point where it disagrees (flag)"),
    "field_h3": ("坐标所在的 H3 六边形", "H3 cell of the point"),
    "field_content_hash": ("记录内容的哈希：重复导入不会重复计数", "Hash of the content: a re-import adds nothing"),
    "field_source": ("记录来源的文件或生成器", "File or generator the record came from"),
    "field_record_id": ("工单编号，唯一", "Record id (工单编号), unique"),
    "field_received_at": ("受理时间（北京时间）", "Received at (Beijing time)"),
    "field_month": ("受理月份（该月第一天）", "Month received (its first day)"),
    "field_channel": ("来电渠道（电话、网站、微信、App 等）", "Channel (phone, web, WeChat, app …)"),
    "field_request_type": ("诉求类型：咨询/求助/投诉/举报/建议", "Request type: 咨询/求助/投诉/举报/建议"),
    "field_theme": ("主题（分类表中的主题）", "Theme (of the taxonomy)"),
    "field_problem": ("问题（分类表中的问题；未分类为“其他”）", "Problem (of the taxonomy; 其他 when unclassified)"),
    "field_text": ("诉求内容（已去除个人信息）", "Request text (personal data removed)"),
    "field_district_code": ("所属区 6 位代码", "District, 6-digit code"),
    "field_district_name": ("所属区名称", "District name"),
    "field_town_code": ("街乡镇 9 位代码（未能定位时为空）", "Town, 9-digit code (empty when unassigned)"),
    "field_town_name": ("街乡镇规范名称", "Town, official name"),
    "field_address": ("详细地址", "Address"),
    "field_lon": ("经度（已转换为 WGS84）", "Longitude (converted to WGS84)"),
    "field_lat": ("纬度（已转换为 WGS84）", "Latitude (converted to WGS84)"),
    "field_src_crs": ("原始坐标系：WGS84 / GCJ-02 / BD-09 / 空", "Source coordinates: WGS84 / GCJ-02 / BD-09 / none"),
    "field_dispatched": ("是否派单（交承办单位）", "Dispatched to a unit"),
    "field_responded": ("是否按时响应", "Responded in time"),
    "field_evaluated": ("是否回访（回访调查联系到来电人）", "Evaluated (caller reached in the callback survey)"),
    "field_resolved": ("是否解决（回访中）", "Resolved (of evaluated)"),
    "field_satisfied": ("是否满意（回访中）", "Satisfied (of evaluated)"),
    "field_assign_method": (
        "定位到街乡镇的方式：代码/名称/别名/地址/坐标/有歧义/未定位",
        "How the town was found: code / name / alias / address / point / ambiguous / none",
    ),
    "rules_panel": ("规则与权重（假设，可调整）", "Rules and weights (assumptions, adjustable)"),
    "about_boundaries": ("边界数据", "Boundaries"),
    "about_layout": ("工单数据结构", "Record layout"),
    "about_settings": ("设置（带 * 为假设，可配置）", "Settings (* = assumption, configurable)"),
    "demo_provenance": (
        "- 随机种子 `{seed}`，规模 `{scale}`（1 = 真实量级，约 1,300 万条派单）\n"
        "- 校准依据：2019—2021 年公开报道的受理量、派单量、解决率与满意率，以及被点名的治理类街乡镇\n"
        "- 由程序按固定随机种子生成，可重复；生成方法见使用说明（README）",
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
