"""Interface text of the data page: imports and their report, coordinates, aliases, boundaries."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
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
    "data_crashed": (
        "导入失败：文件无法解析（已记入审计日志，数据库未改动）。请确认文件是系统导出的原始文件，或联系数据管理员。",
        "Import failed: the file could not be parsed (logged; the store is unchanged). Check that "
        "it is the system's original export, or ask a data administrator.",
    ),
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
    "matched_code": ("代码", "code"),
    "matched_name": ("名称", "name"),
    "matched_alias": ("别名", "alias"),
    "matched_address": ("地址", "address"),
    "matched_text": ("诉求内容", "request text"),
    "matched_unit": ("承办单位", "handling unit"),
    "matched_point": ("坐标", "point"),
    "rep_personal": ("已遮蔽的个人信息（按类别）", "Personal data masked (by kind)"),
    "count_masked": ("处数", "found"),
    "rep_personal_help": (
        "身份证号、银行卡号、邮箱、车牌、标明的姓名整体替换为 [身份证号] 等；手机号保留前 3 后 4 位，"
        "固话保留区号；来电号码、姓名列不导入。",
        "Identity and bank-card numbers, e-mails, plates and marked names are replaced whole "
        "([身份证号] …); mobiles keep their first 3 and last 4 digits, landlines their area code; "
        "the caller's number and name columns are not imported.",
    ),
    "rep_unmapped_categories": ("未对应到问题的分类路径", "Category paths mapped to no problem"),
    "rep_unmapped_help": (
        "这些工单按诉求内容分类（或归入其他）。在 src/heatmap/config/category_map.toml 中把路径或其中"
        "一级对应到 taxonomy.toml 的问题，下次导入即生效。",
        "These requests were classified by their text (or left as 其他). Map the path, or one of "
        "its levels, to a problem of taxonomy.toml in src/heatmap/config/category_map.toml; the "
        "next import uses it.",
    ),
    "category_path": ("分类路径", "Category path"),
    "personal_email": ("邮箱", "e-mail"),
    "personal_id_number": ("身份证号", "identity number"),
    "personal_bank_card": ("银行卡号", "bank card"),
    "personal_phone": ("电话号码", "phone number"),
    "personal_plate": ("车牌", "licence plate"),
    "personal_name": ("姓名", "name"),
    "upload_refused": ("文件未导入：{error}", "File not imported: {error}"),
    "data_target_invalid": (
        "目标数据库应为 data/ 目录下的文件名（如 real.duckdb），收到 {value!r}",
        "The target store must be a file name in data/ (e.g. real.duckdb); got {value!r}",
    ),
}
