"""Interface text of the ranking page."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "ranking_table": ("街乡镇排名（{label}）", "Towns ranked ({label})"),
    "level": ("排名对象", "Rank"),
    "level_town": ("街乡镇", "Towns"),
    "level_district": ("区", "Districts"),
    "ranking_title": ("{level}考核排名（按{measure}）", "Ranking of {level} (by {measure})"),
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
    "ranking_others": ("全市前十", "City top ten"),
    "ranking_others_hidden": ("（外区街乡镇）", "(another district's town)"),
}
