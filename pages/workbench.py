"""督导工作台: a supervised town's spell, its talks, item and project lists, visits and support, the demand
of the problems its work addresses, and the lists in and out as spreadsheets."""

import streamlit as st

from heatmap.analysis import governance
from heatmap.analysis.governance import ExitRules
from heatmap.errors import HeatmapError
from heatmap.i18n import t
from heatmap.output import safe
from heatmap.settings import governance_values, make_settings, score_weights
from heatmap.supervision import db as work_db
from heatmap.supervision import sheets, work
from heatmap.supervision.work import KINDS
from ui import auth, data_views, frame, views, work_views

ctx = frame.page_frame()
lang, month = ctx.lang, ctx.filters.month_to
st.header(t("page_workbench", lang))
st.caption(t("work_intro", lang))
settings = make_settings({"volume_measure": ctx.measure})
try:
    rules = ExitRules.from_settings(governance_values(settings))
    gov = views.governance_result(ctx.db, ctx.measure, score_weights(settings), rules)
except HeatmapError as exc:
    frame.show_error(exc, lang)
ledger = ctx.view.select(governance.as_of(gov, month))
if ledger.empty:
    st.info(t("work_no_spells", lang, month=month))
    st.stop()

ledger = ledger.sort_values(["entry_month", "town_code", "spell"], ascending=[False, True, True])
keys = [f"{r.town_code}|{r.entry_month}" for r in ledger.itertuples()]
labels = {
    f"{r.town_code}|{r.entry_month}": t(
        "work_spell_label", lang, town=r.town_name, district=r.district_name, n=int(r.spell),
        start=r.entry_month, end=r.exit_month if isinstance(r.exit_month, str) else t("work_ongoing", lang),
    )
    for r in ledger.itertuples()
}  # fmt: skip
chosen = st.selectbox(t("work_pick_spell", lang), keys, format_func=labels.get, key="work_spell")
town, spell = str(chosen).split("|")
row = ledger[(ledger["town_code"] == town) & (ledger["entry_month"] == spell)].iloc[0]
editable = ctx.principal.can("work")
where = work_views.store(ctx.db)

with work_db.transaction(where, write=False) as con:
    counts = work.summary(con, month=month, towns=[town], spell_of={town: spell})
figures = counts.iloc[0] if not counts.empty else None
cols = st.columns(5)
ended = row.exit_month if isinstance(row.exit_month, str) else None
cols[0].metric(
    t("work_fig_spell", lang),
    spell,
    help=t("work_spell_end", lang, end=ended or t("work_ongoing", lang)),
)
for col, key in zip(cols[1:], ("total", "done", "due", "overdue"), strict=True):
    col.metric(t(f"work_fig_{key}", lang), int(figures[key]) if figures is not None else 0)
if ctx.principal.can("import"):  # administrators: which kind of store, never its path
    st.caption(t("work_store", lang, where=where.label()))
if not editable:
    st.info(t("work_read_only", lang))

if saved := st.session_state.pop(work_views.FLASH, None):
    st.success(saved)
by_kind = work_views.spell_entries(ctx, town, spell)
meetings = by_kind["talk"] + by_kind["visit"] + by_kind["support"]
listed = by_kind["item"] + by_kind["project"]
st.plotly_chart(
    work_views.spell_timeline(spell, ended, month, meetings, listed, lang), width="stretch"
)

problems = [p.name for p in ctx.taxonomy.problems]
tabs = st.tabs(
    [
        t(f"work_tab_{k}", lang)
        for k in ("item", "project", "talk", "visit", "support", "demand", "sheets")
    ]
)
for tab, kind in zip(tabs[:5], ("item", "project", "talk", "visit", "support"), strict=True):
    with tab:
        rows = by_kind[kind]
        if kind in ("item", "project"):
            wanted = st.multiselect(t("work_col_status", lang), list(work.STATUSES), key=f"work_status_{kind}",
                                    placeholder=t("all", lang))  # fmt: skip
            rows = [e for e in rows if not wanted or e.status in wanted]
        st.dataframe(work_views.table(rows, kind, lang, month), hide_index=True, width="stretch")
        if editable:
            left, right = st.columns(2)
            with left:
                work_views.add_form(ctx, town, spell, kind, problems)
            with right:
                work_views.edit_form(ctx, rows, kind, problems)

with tabs[5]:
    figure = work_views.demand_figure(ctx, town, spell, listed, month)
    if figure is None:
        st.info(t("work_demand_none", lang))
    else:
        st.plotly_chart(figure, width="stretch")
        st.caption(t("work_demand_note", lang))

with tabs[6]:
    st.caption(t("work_sheets_help", lang))
    kind = st.radio(
        t("work_sheet_kind", lang),
        list(KINDS),
        format_func=lambda k: t(f"work_kind_{k}", lang),
        horizontal=True,
        key="work_sheet_kind",
    )
    with work_db.transaction(where, write=False) as con:
        all_rows = work.list_entries(con, towns=work_views.allowed_towns(ctx), kind=kind)
    names = dict(zip(ledger["town_code"], ledger["town_name"], strict=False))
    shown = sheets.export_frame(all_rows, kind=kind, town_names=names)
    stem = f"{KINDS[kind]}清单_{month}"
    if ctx.principal.can("export"):
        left, right = st.columns(2)
        left.download_button(t("download_xlsx", lang), auth.logged_download(lambda: safe.xlsx_bytes({KINDS[kind]: shown}),
                             target=f"{stem}.xlsx", detail="workbench"), file_name=f"{stem}.xlsx",
                             on_click="ignore", key="work_xlsx")  # fmt: skip
        right.download_button(t("download_csv", lang), auth.logged_download(lambda: safe.csv_bytes(shown),
                              target=f"{stem}.csv", detail="workbench"), file_name=f"{stem}.csv",
                              on_click="ignore", key="work_csv")  # fmt: skip
    if editable:
        upload = st.file_uploader(t("work_upload", lang), type=["xlsx", "csv"], key="work_upload")
        if upload is not None and st.button(t("work_import", lang), key="work_import_run"):
            name = data_views.checked_upload(upload, "sheet", lang)
            if name is not None:
                try:
                    with work_db.transaction(where) as con:
                        report = sheets.import_sheet(
                            con, upload.getvalue(), name, by=ctx.principal.name, kind=kind,
                            town_scope=work_views.allowed_towns(ctx), towns=names,
                        )  # fmt: skip
                except HeatmapError as exc:
                    auth.log("work_import", target=name, outcome="refused", detail=str(exc))
                    st.error(t("work_failed", lang, error=exc))
                except Exception as exc:  # a reader's crash on a crafted file: logged, in Chinese
                    auth.log("work_import", target=name, outcome="failed", detail=f"crash: {exc!r}"[:2000])
                    st.error(t("data_crashed", lang))
                else:
                    auth.log(
                        "work_import",
                        target=name,
                        detail=str(report.as_dict()),
                    )
                    st.success(t("work_imported", lang, created=report.created, updated=report.updated,
                                 unchanged=report.unchanged, rejected=len(report.rejected)))  # fmt: skip
                    if report.rejected:
                        st.dataframe(report.rejected_frame(), hide_index=True, width="stretch")
