"""监测预警: which towns may enter next month's top ten, a mid-month nowcast, and who is close to exit."""

import pandas as pd
import streamlit as st

from heatmap.analysis import warning
from heatmap.analysis.governance import ExitRules
from heatmap.errors import HeatmapError
from heatmap.filters import view_label
from heatmap.i18n import t
from heatmap.output import maps
from heatmap.settings import governance_values, score_weights
from ui import frame, views, warning_views

ctx = frame.page_frame()
lang, f = ctx.lang, ctx.filters
settings = views.rules_panel(lang)
month = f.month_to
method = st.radio(
    t("warn_method", lang), list(warning.METHODS), index=list(warning.METHODS).index("model"),
    key="warn_method", horizontal=True, format_func=lambda m: t(f"warn_method_{m}", lang),
)  # fmt: skip
try:
    rules = ExitRules.from_settings(governance_values(settings))
    weights = score_weights(settings)
    found = warning_views.outlook(ctx.db, month, method, ctx.measure, weights, rules, lang)
except HeatmapError as exc:
    frame.show_error(exc, lang)
target = str(found.risk["target_month"].iloc[0]) if len(found.risk) else month

st.subheader(view_label(ctx.area, t("warn_title", lang, target=target, month=month)))
views.notice_line(ctx)
if ctx.meta.get("synthetic"):
    st.warning(t("warn_synthetic", lang))
st.caption(t("warn_method_note", lang))

risk = views.in_view(found.risk, ctx)
measures = views.town_measures(ctx.db, ctx.view)
shown = measures.merge(found.risk[["town_code", "p_top_ten"]], on="town_code", how="left")

st.markdown(f"**{t('warn_map_title', lang, target=target)}**")
map_col, legend_col = st.columns([5, 1])
with map_col:
    geoms = views.display_towns(ctx.boundaries.name)
    rows, legend = maps.town_rows(
        geoms, shown, metric="p_top_ten", lang=lang, breaks=maps.PROBABILITY_BREAKS,
        palette=ctx.palette,
    )
    in_view = geoms[geoms["code9"].isin(shown["town_code"])]
    bounds = in_view.total_bounds if f.districts or f.towns or ctx.scope else maps.CITY_BOUNDS
    view = maps.view_for(bounds, height_px=520)
    st.pydeck_chart(maps.build_deck(rows, views.display_districts(), view=view), height=520,
                    key="warn_map")  # fmt: skip
with legend_col:
    views.legend(legend, lang)
st.markdown(f"**{t('warn_list_title', lang, target=target)}**")
top = risk.head(15)
table, config = views.number_table(
    pd.DataFrame({
        "town": top["town_name"], "district": top["district_name"], "p": top["p_top_ten"],
        "rank": top["rank"], "projected_rank": top["projected_rank"],
        "reasons": top["reasons"].map(t("list_sep", lang).join),
    }),
    {"p": "percent", "rank": "rank", "projected_rank": "rank"},
    {"town": t("col_town", lang), "district": t("col_district", lang), "p": t("warn_col_p", lang),
     "rank": t("warn_col_rank", lang), "projected_rank": t("warn_col_projected_rank", lang),
     "reasons": t("warn_col_reasons", lang)},
    named=True,
)  # fmt: skip
config[t("warn_col_reasons", lang)] = st.column_config.TextColumn(t("warn_col_reasons", lang), width="large")
st.dataframe(table, column_config=config, hide_index=True, width="stretch", height=520)
views.downloads(
    pd.DataFrame(
        {
            t("col_town_code", lang): risk["town_code"],
            t("col_town", lang): risk["town_name"],
            t("col_district", lang): risk["district_name"],
            t("warn_col_p", lang): risk["p_top_ten"].round(4),
            t("warn_col_projected_volume", lang): risk["projected_volume"].round(0),
            t("warn_col_projected_rank", lang): risk["projected_rank"],
            t("warn_col_reasons", lang): risk["reasons"].map(t("list_sep", lang).join),
        }
    ),
    f"warning_{target}",
    lang,
    title=ctx.label(t("page_warning", lang), month=target),
)

st.divider()
st.markdown(f"**{t('warn_backtest_title', lang)}**")
warning_views.backtest_section(ctx.db, method, ctx.measure, weights, rules, lang)

st.divider()
st.markdown(f"**{t('warn_nowcast_title', lang, month=month)}**")
day = st.slider(t("warn_nowcast_day", lang), 1, 28, 10, key="warn_day")
try:
    now = warning_views.month_nowcast(ctx.db, month, day, ctx.measure, ctx.scope)
except HeatmapError as exc:
    st.info(str(exc))
else:
    now = views.in_view(now, ctx).head(15)
    st.caption(t("warn_nowcast_note", lang, day=day))
    shown, config = views.number_table(
        pd.DataFrame({
            "projected_rank": now["projected_rank"], "town": now["town_name"],
            "district": now["district_name"], "observed": now["observed"].round(),
            "projected": now["projected_volume"].round(), "low": now["low"].round(),
            "high": now["high"].round(),
        }),  # numbers stay numbers: right-aligned, sortable
        {"projected_rank": "rank", "observed": "count", "projected": "count", "low": "count",
         "high": "count"},
        {"projected_rank": t("warn_col_projected_rank", lang), "town": t("col_town", lang),
         "district": t("col_district", lang), "observed": t("warn_col_observed_so_far", lang),
         "projected": t("warn_col_projected_volume", lang), "low": t("warn_col_low", lang),
         "high": t("warn_col_high", lang)},
        named=True,
    )  # fmt: skip
    st.dataframe(shown, column_config=config, hide_index=True, width="stretch")

st.divider()
st.markdown(f"**{t('warn_exit_title', lang, month=month)}**")
gov = views.governance_result(ctx.db, ctx.measure, weights, rules)
panel = views.panel(ctx.db, ctx.measure, weights)
exits = views.in_view(warning.close_to_exit(gov, panel, month, lang=lang), ctx)
if exits.empty:
    st.info(t("warn_exit_none", lang))
else:
    blocking = exits[exits["blocking"]]
    st.dataframe(
        pd.DataFrame(
            {
                t("col_town", lang): blocking["town_name"],
                t("col_district", lang): blocking["district_name"],
                t("col_entry_month", lang): blocking["entry_month"],
                t("warn_col_blocking", lang): blocking["label"],
                t("warn_col_projected_exit", lang): blocking["projected_exit"].fillna(
                    t("warn_not_at_trend", lang)
                ),
            }
        ),
        hide_index=True,
        width="stretch",
    )
