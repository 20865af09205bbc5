"""治理类街乡镇: the month's top ten, figures, timeline, exit checklist, map, ledger and official-list check."""

import pandas as pd
import streamlit as st

from heatmap.analysis import governance
from heatmap.analysis.governance import CONDITIONS, ExitRules
from heatmap.errors import HeatmapError
from heatmap.i18n import percent, signed_percent, t
from heatmap.output import charts, maps, reports
from heatmap.settings import governance_values, score_weights
from ui import data_views, frame, views, work_views

ctx = frame.page_frame()
lang, f = ctx.lang, ctx.filters
settings = views.rules_panel(lang)
month = f.month_to
weights = score_weights(settings)
try:
    rules = ExitRules.from_settings(governance_values(settings))
    gov = views.governance_result(ctx.db, ctx.measure, weights, rules)
except HeatmapError as exc:
    frame.show_error(exc, lang)
panel = views.panel(ctx.db, ctx.measure, weights)
mine = views.scope_town_codes(ctx)  # the scope's towns (None: the city): all below is theirs
gov = governance.restrict(gov, mine)

st.subheader(ctx.label(t("gov_title", lang), month=month))
views.notice_line(ctx)
if f.is_range:
    st.caption(t("ranking_month_note", lang, month=month))
with st.expander(t("rules_in_force", lang), expanded=False):
    described = rules.describe(lang)
    for key in CONDITIONS:
        st.markdown(f"- **{t(f'cond_{key}', lang)}**：{described[key]}")
    st.caption(
        t("gov_rules_start", lang, start=rules.start_month, top_n=rules.top_n)
        + f"；{t('col_score', lang)} = {views.weights_text(settings, lang)}"
    )

population = ctx.boundaries.frame.set_index("code9").get("population")
if population is not None and mine is not None:
    population = population[population.index.isin(mine)]
figures = governance.summary(gov, month, population=population)
cols = st.columns(6)
cols[0].metric(t("fig_ever", lang), figures["ever_supervised"])
cols[1].metric(t("fig_districts", lang), figures["districts"])
cols[2].metric(t("fig_exited", lang), figures["exited"])
cols[3].metric(t("fig_now", lang), figures["supervised_now"])
cols[4].metric(t("fig_out12", lang), figures["out_of_top_12_months"])
cols[5].metric(t("fig_pop", lang), percent(figures["population_share"]))

ledger = governance.as_of(gov, month)
if ledger.empty:
    st.info(t("no_spells", lang, start=rules.start_month))
    st.stop()

left, right = st.columns([2, 3])
with left:
    st.markdown(f"**{t('top_ten_title', lang, month=month)}**")
    top = governance.masked_top_ten(
        governance.top_ten(gov, panel, month), mine,
        names=views.policy_allows("other_district_names"), hidden=t("ranking_others_hidden", lang),
    )  # fmt: skip
    st.dataframe(
        pd.DataFrame(
            {
                t("col_rank", lang): top["rank"],
                t("col_town", lang): top["town_name"],
                t("col_district", lang): top["district_name"],
                t("col_volume", lang): top["volume"],
                t("col_mom", lang): top["mom"].map(signed_percent),
                t("col_status", lang): top["status"].map(lambda s: reports.status_label(s, lang)),
            }
        ),
        hide_index=True,
        width="stretch",
    )
with right:
    statuses = governance.statuses_in(gov, month).set_index("town_code")["status"]
    palette = {
        "new": ((189, 0, 38), reports.status_label("new", lang)),
        "re_entered": ((128, 0, 128), reports.status_label("re_entered", lang)),
        "continuing": ((240, 59, 32), reports.status_label("continuing", lang)),
        "supervised_out": ((253, 141, 60), reports.status_label("supervised_out", lang)),
        "exited": ((35, 139, 69), reports.status_label("exited", lang)),
        "released": ((116, 196, 118), reports.status_label("released", lang)),
        "none": ((235, 235, 235), t("status_none", lang)),
    }
    geoms = views.display_towns(ctx.boundaries.name)
    if mine is not None:
        geoms = geoms[geoms["code9"].isin(mine)]
    names = ctx.boundaries.frame.set_index("code9")["name"]
    rows, legend = maps.category_rows(
        geoms, statuses, palette, default="none", names=names, title=t("col_status", lang)
    )
    st.markdown(f"**{t('map_status_title', lang, month=month)}**")
    city = maps.view_for(maps.CITY_BOUNDS, height_px=420)  # the whole city inside the map
    st.pydeck_chart(maps.build_deck(rows, views.display_districts(), view=city), height=420, key="gov_map")
    views.legend(legend, lang)

st.plotly_chart(
    charts.gantt_figure(views.in_view(ledger, ctx), month=month, lang=lang), width="stretch"
)

st.markdown(f"**{t('checklist_title', lang, month=month)}**")
st.caption(t("checklist_note", lang))
checks = governance.checklist(gov, month).merge(
    ledger[["town_code", "spell", "town_name", "district_name", "district_code", "entry_month"]],
    on=["town_code", "spell"],
)
checks = views.in_view(checks, ctx)
work = work_views.work_counts(ctx, checks, month).set_index("town_code")
labels = {key: t(f"cond_{key}", lang) for key in CONDITIONS}
mark = lambda ok: "✓" if ok else "✗"  # noqa: E731
check_table = pd.DataFrame(
    {
        t("col_town", lang): checks["town_name"],
        t("col_district", lang): checks["district_name"],
        t("gov_col_entry", lang): checks["entry_month"],
        t("col_rank", lang): checks["rank"],
        **{labels[k]: checks[k].map(mark) for k in CONDITIONS},
        t("gov_col_months_out", lang): checks["months_out"],
        t("gov_col_volume_entry", lang): [
            f"{v:,} / {e:,}" for v, e in zip(checks["volume"], checks["entry_volume"], strict=True)
        ],
        t("gov_col_score_city", lang): [
            f"{percent(s)} / {percent(c)}"
            for s, c in zip(checks["score"], checks["city_score"], strict=True)
        ],
        t("work_col_work", lang): [
            "—" if c not in work.index or not work.loc[c, "total"]
            else f"{work.loc[c, 'done']}/{work.loc[c, 'due']}/{work.loc[c, 'overdue']}（{work.loc[c, 'total']}）"
            for c in checks["town_code"]
        ],
    }
)
st.dataframe(check_table, hide_index=True, width="stretch")
if not checks.empty:
    options = checks["town_code"].tolist()
    town_names = dict(zip(checks["town_code"], checks["town_name"], strict=True))
    pick = st.selectbox(
        t("check_town", lang),
        options,
        key="check_town",
        format_func=lambda c: town_names[c],
    )
    row = checks.set_index("town_code").loc[pick]
    left_paren, right_paren = t("paren_open", lang), t("paren_close", lang)
    sep = t("clause_sep", lang)
    missing = [
        f"{labels[k]}{left_paren}{rules.describe(lang)[k]}{right_paren}"
        for k in CONDITIONS
        if not row[k]
    ]
    if missing:
        st.warning(t("missing_for", lang, town=town_names[pick], items=sep.join(missing)))
    else:
        st.success(t("all_met_for", lang, town=town_names[pick]))
    said = work_views.work_sentence(work.loc[pick] if pick in work.index else None, not missing, lang)
    if said:
        st.info(said)

st.markdown(f"**{t('ledger_title', lang, month=month)}**")
table = reports.ledger_table(views.in_view(ledger, ctx), lang)
st.dataframe(table, hide_index=True, width="stretch")
views.downloads(
    table,
    f"governance_ledger_{month}",
    lang,
    title=ctx.label(t("ledger_file", lang), month=month),
    sheets={
        t("sheet_ledger", lang): table,
        t("sheet_checklist", lang): check_table,
    },
)

with st.expander(t("official_title", lang)):
    st.caption(t("official_help", lang))
    upload = st.file_uploader("CSV", type=["csv"], key="official_csv")
    if upload is not None and data_views.checked_upload(upload, "table", lang) is not None:
        try:
            official = governance.official_columns(pd.read_csv(upload, dtype=str, encoding="utf-8-sig"))
            towns = ctx.boundaries.frame.rename(columns={"code9": "town_code", "name": "town_name"})
            compared = governance.compare_official(ledger, official, towns, within=mine)
        except (HeatmapError, ValueError, UnicodeDecodeError) as exc:
            data_views.log_unreadable(upload, exc)
            st.error(t("official_error", lang, error=exc))
        else:
            st.dataframe(compared, hide_index=True, width="stretch")
            if compared.attrs.get("outside"):
                st.caption(t("official_outside", lang, n=compared.attrs["outside"]))
            st.caption(
                " ｜ ".join(f"{k}：{v}" for k, v in compared["verdict"].value_counts().items())
            )
