"""类别分析: theme → problem treemap, category × district heat table, 高频事项 with change."""

import pandas as pd
import streamlit as st

from heatmap.analysis import categories, topics
from heatmap.errors import HeatmapError
from heatmap.i18n import t
from heatmap.output import charts
from ui import frame, topic_views, views

ctx = frame.page_frame()
lang, f = ctx.lang, ctx.filters
label = f.label(lang)
measure = topic_views.measure_words(ctx)
try:
    table = topic_views.category_table(ctx.db, ctx.view)
except HeatmapError as exc:
    frame.show_error(exc, lang)
names = topic_views.english(ctx)

st.subheader(ctx.label(t("cat_title", lang)))
views.notice_line(ctx)
st.caption(t("cat_compare_note", lang))
if table.empty or table["volume"].sum() == 0:
    st.info(t("cat_none", lang))
    st.stop()

st.plotly_chart(
    charts.category_tree_figure(table, measure_label=measure, lang=lang, english=names),
    width="stretch",
)

controls = st.columns([1, 2, 2])
by = controls[0].radio(
    t("cat_by", lang), ["theme", "problem"], key="cat_by", horizontal=True,
    index=1 if f.theme else 0, format_func=lambda v: t(f"cat_by_{v}", lang),
)  # fmt: skip
value = controls[1].radio(
    t("cat_value", lang), ["volume", "share"], key="cat_value", horizontal=True,
    format_func=lambda v: t(f"cat_value_{v}", lang),
)  # fmt: skip
long = topic_views.category_matrix(ctx.db, ctx.view, by)
order = list(dict.fromkeys(table["theme" if by == "theme" else "problem"]))
pivot = categories.matrix_pivot(long, share=value == "share", order=order)
unit = t("cat_unit_town" if f.towns else "cat_unit_district", lang)
title = t(
    "cat_matrix",
    lang,
    rows=t(f"cat_by_{by}", lang),
    unit=unit,
    value=measure if value == "volume" else t("cat_value_share", lang),
)
st.plotly_chart(
    charts.matrix_figure(pivot, title=title, share=value == "share", lang=lang, english=names),
    width="stretch",
)

n = st.columns([1, 3])[0].select_slider(t("hf_n", lang), [5, 10, 15, 20, 30], value=10, key="hf_n")
top = categories.high_frequency(table, n=n)
st.markdown(f"**{t('hf_title', lang, label=label, n=n)}**")
hf = pd.DataFrame(
    {
        "rank": top["rank"],
        "change": [
            views.rank_change(r, p if v > 0 else None, lang)
            for r, p, v in zip(
                top["rank"], top["previous_rank"], top["previous_volume"], strict=True
            )
        ],
        "theme": top["theme"].map(lambda v: topic_views.label(ctx, v)),
        "problem": top["problem"].map(lambda v: topic_views.label(ctx, v)),
        "volume": top["volume"],
        "share": top["share"],
        "previous_volume": top["previous_volume"],
        "mom": top["mom_change"],
        "yoy": top["yoy_change"],
    }
)
headers = {"rank": "col_rank", "change": "col_change", "theme": "col_theme", "problem": "col_problem",
           "volume": "col_volume", "share": "col_share", "previous_volume": "col_previous_window",
           "mom": "col_mom", "yoy": "col_yoy"}  # fmt: skip
shown, config = views.number_table(
    hf,
    {"rank": "rank", "volume": "count", "share": "percent", "previous_volume": "count",
     "mom": "change", "yoy": "change"},  # fmt: skip
    {k: t(v, lang) for k, v in headers.items()},
    named=True,
)
st.dataframe(shown, column_config=config, hide_index=True, width="stretch")
views.downloads(
    topic_views.change_table(table, ctx, window=True),
    f"categories_{f.month_from}_{f.month_to}",
    lang,
    title=ctx.label(t("page_categories", lang)),
)

st.markdown(f"**{t('cat_rising', lang)}**")
topic_views.rising_tables(table, ctx, min_base=topics.RISING_MIN_BASE)
