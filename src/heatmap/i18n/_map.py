"""Interface text of the heat map page: layers, legend, tooltips, the town's trend and problems."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "no_population": (
        "当前边界数据没有人口字段，无法计算万人诉求比。",
        "The boundary set has no population, so requests per 10,000 residents cannot be shown.",
    ),
    "density_layer": ("显示诉求密度（六边形）", "Show density (hexagons)"),
    "density_res": ("六边形大小", "Hexagon size"),
    "density_fine": ("细（约 0.7 km²）", "Fine (~0.7 km²)"),
    "density_coarse": ("粗（约 5 km²）", "Coarse (~5 km²)"),
    "basemap": ("在线底图（需联网）", "Online basemap (internet)"),
    "hex_count": ("六边形个数：{n}", "Hexagons: {n}"),
    "tt_cell_town": ("主要所在街乡镇", "Mostly in"),
    "map_click_note": (
        "点击街乡镇（或六边形）选中它，再点一次或点空白处取消。",
        "Click a town (or a hexagon) to select it; click it again or empty space to clear.",
    ),
    "rank_labels": (
        "图上标注接诉量前十名（排名 名称）",
        "The map labels the top ten by volume (rank, name)",
    ),
    "map_title": ("各街乡镇{metric}", "{metric} by street/township"),
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
    "share_of_town": ("占本街乡镇", "share of the town"),
}
