"""诉求热力图: township choropleth, density hexagons, KPIs, a town's trend and top problems."""

import streamlit as st

from heatmap.errors import HeatmapError
from heatmap.i18n import count, measure_value, signed_percent, t
from heatmap.measures import MEASURES, RATES
from heatmap.output import charts, maps
from ui import frame, views

ctx = frame.page_frame()
lang, f = ctx.lang, ctx.filters

controls = st.columns([2, 2, 2, 2])
metrics = list(MEASURES)
metric = controls[0].selectbox(
    t("metric", lang), metrics, key="metric", format_func=lambda m: t(f"metric_{m}", lang)
)
# on a rate map the hexagons (volume) would hide the rate colours: off there unless asked for
on_rates = metric in RATES
show_density = controls[1].toggle(
    t("density_layer", lang), value=not on_rates, key="density_rates" if on_rates else "density"
)
resolution = controls[2].radio(
    t("density_res", lang), [8, 7], key="density_res", horizontal=True,
    format_func=lambda r: t("density_fine" if r == 8 else "density_coarse", lang),
)  # fmt: skip
basemap = controls[3].toggle(t("basemap", lang), value=False, key="basemap")

try:
    measures = views.town_measures(ctx.db, ctx.view)
    cells = views.density(ctx.db, ctx.view, resolution) if show_density else None
    overview = views.summary(ctx.db, ctx.view)
except HeatmapError as exc:
    frame.show_error(exc, lang)

if metric == "per_10k" and measures["per_10k"].isna().all():
    st.info(t("no_population", lang))
    metric = "volume"

title = ctx.label(t("map_title", lang, metric=t(f"metric_{metric}", lang)))
st.subheader(title)
views.notice_line(ctx)
views.kpis(overview, lang)

if measures.empty or measures["volume"].sum() == 0:
    st.info(t("no_data", lang))
    st.stop()

selected = st.session_state.get("selected_town")
geoms = views.display_towns(ctx.boundaries.name)
rows, legend = maps.town_rows(geoms, measures, metric=metric, lang=lang, palette=ctx.palette)
names = dict(zip(measures["town_code"], measures["town_name"], strict=True))
density_rows = (
    maps.density_rows(cells, lang, names=names, palette=ctx.palette) if cells is not None else None
)
top = views.top_labels(ctx.boundaries.name, measures)
shown = geoms[geoms["code9"].isin(measures["town_code"])]
view = maps.view_for(shown.total_bounds if f.districts or f.towns or ctx.scope else maps.CITY_BOUNDS)
deck = maps.build_deck(
    rows,
    views.display_districts(),
    density=density_rows,
    basemap=basemap,
    top_labels=top,
    view=view,
    selected=selected,
)

map_col, legend_col = st.columns([5, 1])
with map_col:
    event = st.pydeck_chart(
        deck, height=620, on_select="rerun", selection_mode="single-object", key="map"
    )
with legend_col:
    views.legend(legend, lang)
    if density_rows and cells is not None and (hexes := maps.density_legend(cells, lang, palette=ctx.palette)):
        views.legend(hexes, lang)
        st.caption(t("hex_count", lang, n=count(len(density_rows))))
    st.caption(t("rank_labels", lang))
    st.caption(t("map_click_note", lang))

clicked, picked = views.map_click(event)
if clicked and picked != selected:
    st.session_state["selected_town"] = picked
    st.rerun()

st.divider()
options = [None, *measures.sort_values(["district_code", "town_code"])["town_code"]]
if st.session_state.get("selected_town") not in options:
    st.session_state["selected_town"] = None
town = st.selectbox(
    t("select_town", lang), options, key="selected_town",
    format_func=lambda c: t("none_selected", lang) if c is None else names.get(c, c),
)  # fmt: skip
if town:
    row = measures.set_index("town_code").loc[town]
    left, right = st.columns(2)
    trend = views.town_trend(ctx.db, ctx.view, town)
    trend_chart = charts.trend_spec(trend, town=row["town_name"], lang=lang)
    left.plotly_chart(charts.prebuilt(trend_chart), width="stretch")
    problems = views.town_problems(ctx.db, ctx.view, town)
    english = {p.name: p.name_en for p in ctx.taxonomy.problems}
    right.plotly_chart(
        charts.prebuilt(
            charts.problems_spec(
                problems, town=row["town_name"], label=f.label(lang), lang=lang, english=english
            )
        ),
        width="stretch",
    )
    st.caption(
        f"{row['town_name']}（{row['district_name']}）：{t('tt_rank', lang)} {row['rank']}，"
        f"{t('tt_mom', lang)} {signed_percent(row['mom'])}，"
        + "，".join(
            f"{t(f'metric_{rate}', lang)} {measure_value(rate, row[rate])}" for rate in RATES
        )
    )

st.subheader(t("ranking_table", lang, label=ctx.label()))
views.ranking_table(measures, lang)
