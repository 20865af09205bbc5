"""考核排名: every town (or district) ranked city-wide by volume, with rates, score, change and trend."""

import pandas as pd
import streamlit as st

from heatmap.i18n import t
from heatmap.measures import RATES
from heatmap.output import reports
from heatmap.settings import score_weights
from ui import frame, views

ctx = frame.page_frame()
lang, f = ctx.lang, ctx.filters
settings = views.rules_panel(lang)
month = f.month_to

level = st.radio(
    t("level", lang), ["town", "district"], key="rank_level", horizontal=True,
    format_func=lambda v: t(f"level_{v}", lang),
)  # fmt: skip
panel = views.panel(ctx.db, ctx.measure, score_weights(settings), level)
key = "town_code" if level == "town" else "district_code"
st.subheader(
    ctx.label(
        t("ranking_title", lang, level=t(f"level_{level}", lang), measure=t(f"measure_{ctx.measure}", lang)),
        month=month,
    )
)
views.notice_line(ctx)
st.caption(t("ranking_note", lang, w=views.weights_text(settings, lang)))
if f.is_range:
    st.caption(t("ranking_month_note", lang, month=month))
if f.theme or f.problem:
    st.caption(t("ranking_topic_note", lang))

window = [str(pd.Period(month, freq="M") - i) for i in range(11, -1, -1)]
trend = panel[panel["month"].isin(window)].sort_values("month").groupby(key)["volume"].apply(list)
now = views.in_view(panel[panel["month"] == month], ctx).copy()
now["trend"] = now[key].map(trend)
now["change"] = [
    views.rank_change(r, p, lang) for r, p in zip(now["rank"], now["previous_rank"], strict=True)
]
now = now.sort_values(["rank", key])
if level == "district" and ctx.scope_towns is not None and now.empty:
    st.info(t("scope_no_district_totals", lang))  # a district's totals count towns not granted

name_col = "town_name" if level == "town" else "district_name"
kinds = {
    "rank": "rank", "volume": "count", "mom": "change", "yoy": "change",
    **dict.fromkeys(RATES, "percent"), "score": "percent", "score_rank": "rank",
}  # fmt: skip
order = ["rank", "change", name_col, *(["district_name"] if level == "town" else []),
         "volume", "mom", "yoy", *RATES, "score", "score_rank", "trend"]  # fmt: skip
labels = {
    "rank": t("col_rank", lang), "change": t("col_change", lang),
    name_col: t("col_town" if level == "town" else "col_district", lang),
    "district_name": t("col_district", lang), "volume": t("col_volume", lang),
    "mom": t("col_mom", lang), "yoy": t("col_yoy", lang),
    **{rate: t(f"col_{rate}", lang) for rate in RATES},
    "score": t("col_score", lang), "score_rank": t("col_score_rank", lang),
}  # fmt: skip
shown, columns = views.number_table(now[order], kinds, labels)
columns["trend"] = st.column_config.LineChartColumn(t("col_trend", lang), width="medium")
st.dataframe(shown, column_config=columns, hide_index=True, width="stretch", height=560)

if level == "town" and ctx.scope is not None:
    views.city_top_ten(panel[panel["month"] == month], ctx)

table = reports.rank_table(now, lang)
views.downloads(
    table, f"ranking_{level}_{month}", lang,
    title=ctx.label(t("page_ranking", lang), t(f"level_{level}", lang), month=month),
)  # fmt: skip
