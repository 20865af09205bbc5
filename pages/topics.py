"""每月一题: the listed problems' trends and 环比, one problem's map and carriers, spikes, task progress."""

from dataclasses import replace

import streamlit as st

from heatmap.analysis import tasks, topics
from heatmap.errors import HeatmapError
from heatmap.i18n import t
from heatmap.output import charts, maps
from heatmap.output.safe import escape_markdown
from ui import data_views, frame, topic_views, views

ctx = frame.page_frame()
lang, f = ctx.lang, ctx.filters
month = f.month_to
measure = topic_views.measure_words(ctx)
try:
    years = topics.list_years(ctx.taxonomy)
    default_year = topics.list_year_for(ctx.taxonomy, month)
except HeatmapError as exc:
    frame.show_error(exc, lang)
if st.session_state.get("topics_for_month") != month:  # a new month starts from its own list
    st.session_state.update(topics_for_month=month, topics_year=default_year)
title_slot = st.empty()
year = st.columns([1, 4])[0].selectbox(t("topics_year", lang), years[::-1], key="topics_year")
listed = topics.listed_problems(ctx.taxonomy, year)
problems = tuple(listed["problem"])
try:
    report = topic_views.month_report(ctx.db, ctx.view, month, year)
except HeatmapError as exc:
    frame.show_error(exc, lang)
table = report["table"]

title_slot.subheader(ctx.label(t("topics_title", lang, year=year, k=len(listed)), month=month))
views.notice_line(ctx)
if f.is_range:
    st.caption(t("topics_range_note", lang, month=month))
if int(month[:4]) < years[0]:
    st.caption(t("topics_before_list", lang, first=years[0], month=month, year=year))
if f.theme or f.problem:
    st.caption(t("topics_topic_note", lang))

town_ref = topic_views.town_ref(ctx.db, ctx.scope)
if report["previous_in_store"]:
    sentence = topics.summary_sentence(report, month, lang, area=topic_views.area(ctx, town_ref))
    st.markdown(f"### {sentence}")
else:
    st.warning(t("topics_no_previous", lang, previous=topics.shift_month(month, -1)))
st.caption(
    t(
        "topics_rule_note",
        lang,
        pct=f"{topics.FELL_BY * 100:g}",
        year=year,
        source=ctx.taxonomy.source.name,
    )
)
total, previous = int(table["volume"].sum()), int(table["previous_volume"].sum())
cols = st.columns(4)
cols[0].metric(
    t("kpi_listed_volume", lang, measure=measure),
    f"{total:,}",
    f"{(total - previous) / previous * 100:+.1f}%" if previous else None,  # ASCII sign: arrow
    delta_color="inverse",
)
cols[1].metric(t("kpi_fell", lang), f"{report['fell']} / {report['total']}")
cols[2].metric(t("kpi_fell_over", lang, pct=f"{topics.FELL_BY * 100:g}"), report["fell_over_10pct"])
cols[3].metric(t("kpi_rose", lang), report["rose"])

available = set(topic_views.available_months(ctx.db))
window = tuple(m for m in topics.window_months(month, 13) if m in available)
city = topic_views.trend(ctx.db, ctx.view, window, problems)
names = topic_views.english(ctx)
grid = charts.topic_grid_spec(
    topics.trend_frame(city, listed, window), table, month=month, measure_label=measure,
    lang=lang, english=names,
)  # fmt: skip
st.plotly_chart(charts.prebuilt(grid), width="stretch")

st.markdown(f"**{t('topics_table', lang, month=month, measure=measure)}**")
shown = topic_views.change_table(table, ctx)
st.dataframe(shown, hide_index=True, width="stretch", height=35 * (len(shown) + 1) + 3)
views.downloads(shown, f"topics_{month}", lang, title=ctx.label(t("page_topics", lang), month=month))
topic_views.rising_tables(table, ctx, min_base=topics.RISING_MIN_BASE)

st.divider()
st.subheader(t("topic_section", lang))
biggest = table.sort_values(["volume", "problem"], ascending=[False, True])["problem"].iloc[0]
if st.session_state.get("topic_problem") not in problems:
    st.session_state["topic_problem"] = f.problem if f.problem in problems else biggest
problem = st.selectbox(
    t("topic_pick", lang), problems, key="topic_problem",
    format_func=lambda p: topic_views.label(ctx, p),
)  # fmt: skip
one = replace(ctx.view, month_from=month, month_to=month, theme=None, problem=problem)
measures = views.town_measures(ctx.db, one)
map_col, side_col = st.columns([3, 2])
with map_col:
    name = topic_views.label(ctx, problem)
    st.markdown(f"**{t('topic_map_title', lang, month=month, problem=name, measure=measure)}**")
    geoms = views.display_towns(ctx.boundaries.name)
    rows, legend = maps.town_rows(geoms, measures, metric="volume", lang=lang, palette=ctx.palette)
    shown_geoms = geoms[geoms["code9"].isin(measures["town_code"])]
    bounds = (shown_geoms if f.districts or f.towns or ctx.scope else geoms).total_bounds
    view = maps.view_for(bounds, width_px=700, height_px=480)
    deck = maps.build_deck(
        rows, views.display_districts(), top_labels=views.top_labels(ctx.boundaries.name, measures), view=view
    )
    st.pydeck_chart(deck, height=480, key="topic_map")
    views.legend(legend, lang)
with side_col:
    for level, key in (("town", "top_towns"), ("district", "top_districts")):
        st.markdown(f"**{t(key, lang)}**")
        top = topic_views.carriers(ctx.db, one, problem, level)
        st.dataframe(
            topic_views.carrier_table(top.head(10 if level == "town" else 5), level, lang),
            hide_index=True,
            width="stretch",
        )
    st.caption(t("topic_share_note", lang, measure=measure))

st.divider()
st.subheader(t("spikes_title", lang, month=month))
with st.expander(t("spike_settings", lang)):
    default = topics.SpikeRule()
    inputs = st.columns(4)
    min_volume = inputs[0].number_input(
        t("spike_min", lang), 1, 1000, default.min_volume, 1, key="spike_min"
    )
    factor = inputs[1].number_input(
        t("spike_factor", lang), 1.0, 20.0, default.factor, 0.5, key="spike_factor"
    )
    months_back = inputs[2].number_input(
        t("spike_window", lang), 1, 24, default.window, 1, key="spike_window"
    )
    which = inputs[3].radio(
        t("spike_scope", lang), ["listed", "all"], key="spike_scope",
        format_func=lambda v: t(f"spike_scope_{v}", lang),
    )  # fmt: skip
rule = topics.SpikeRule(int(min_volume), float(factor), int(months_back))
st.caption(rule.describe(lang))
alerts = topic_views.spikes(ctx.db, ctx.view, month, rule, problems if which == "listed" else None)
if not all(m in available for m in topics.window_months(month, rule.window + 1)):
    st.info(t("spikes_history", lang, month=month, window=rule.window))
elif alerts.empty:
    st.info(t("spikes_none", lang))
else:
    st.caption(t("spikes_count", lang, n=len(alerts)))
    st.dataframe(
        topic_views.spike_table(alerts, ctx, window=rule.window), hide_index=True, width="stretch"
    )

st.divider()
st.subheader(t("tasks_title", lang))
st.caption(t("tasks_help", lang, month=month))
upload_col, template_col = st.columns([4, 1])
template_col.download_button(
    t("tasks_template", lang), topic_views.TASK_TEMPLATE.encode("utf-8-sig"),
    file_name="tasks_template.csv", mime="text/csv", key="tasks_template",
)  # fmt: skip
upload = upload_col.file_uploader("CSV", type=["csv"], key="tasks_csv")
if upload is None:
    st.caption(t("tasks_waiting", lang))
elif data_views.checked_upload(upload, "table", lang) is None:
    pass  # refused with its reason
else:
    try:
        progress = tasks.task_progress(tasks.read_tasks(upload.getvalue()), month)
    except HeatmapError as exc:
        data_views.log_unreadable(upload, exc)
        st.error(t("tasks_error", lang, error=exc))
    else:
        st.markdown(f"**{tasks.progress_sentence(progress, month, lang)}**")  # numbers only
        unknown = sorted(set(progress["problem"][:-1]) - set(problems))
        if unknown:
            st.warning(t("tasks_unknown", lang, year=year, items="、".join(escape_markdown(u) for u in unknown)))
        topic_views.progress_table(progress, ctx)
