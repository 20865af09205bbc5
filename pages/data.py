"""数据导入: load the platform's exports into a real-data store and see what came in and what did not."""

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from heatmap.analysis.activation import activate
from heatmap.errors import HeatmapError
from heatmap.i18n import t
from heatmap.intake import store, versions
from heatmap.intake.boundaries import import_boundaries, list_sets
from heatmap.intake.ingest import ImportOptions
from heatmap.intake.loading import ingest_into
from heatmap.output.safe import escape_markdown
from ui import auth, data_views, frame

ctx = frame.page_frame()
lang = ctx.lang
principal = auth.require("import", lang)
st.header(t("page_data", lang))
con = ctx.con()
records = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
months = ctx.meta.get("last_month") or (ctx.meta.get("months") or ["—"])[-1]
kind = t("kind_demo" if ctx.meta.get("synthetic") else "kind_real", lang)
st.caption(t("data_current", lang, db=Path(ctx.db).name, kind=kind, records=records, months=months))

if principal.source == "demo":  # no sign-in: any store file in data/, by name
    default_name = "real.duckdb" if ctx.meta.get("synthetic") else Path(ctx.db).name
    target_name = st.text_input(t("data_target", lang), value=default_name, key="import_target")
    target = data_views.target_store(target_name, lang)
else:  # a signed-in deployment serves one store: imports go into it
    target = Path(ctx.db)
uploads = st.file_uploader(
    t("data_files", lang),
    type=["csv", "xlsx", "parquet", "txt", "tsv"],
    accept_multiple_files=True,
    key="uploads",
)
crs = st.selectbox(
    t("data_crs", lang), ["auto", "wgs84", "gcj02", "bd09", "epsg"], key="import_crs",
    format_func=lambda c: {"auto": t("crs_auto", lang), "epsg": t("crs_epsg", lang)}.get(c, c.upper()),
)  # fmt: skip
if crs == "epsg":
    crs = "EPSG:" + st.text_input(t("data_epsg", lang), value="4527", key="import_epsg").strip()
allow_outside = st.checkbox(t("data_allow_outside", lang), key="import_allow_outside")
if st.button(t("data_run", lang), type="primary", disabled=not uploads):
    bar = st.progress(0.0)
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, upload in enumerate(uploads or []):
            name = data_views.checked_upload(upload, "export", lang)
            if name is None:  # refused: nothing is imported, the store is as it was
                bar.empty()
                st.stop()
            path = Path(tmp) / (name if all(f.name != name for f in files) else f"{i}_{name}")
            path.write_bytes(upload.getvalue())
            files.append(path)
        try:  # into a copy, published at once: other sessions and server processes read on
            with versions.publishing(target) as draft:
                report = ingest_into(
                    draft,
                    files,
                    options=ImportOptions(crs=crs, allow_outside=allow_outside),
                    progress=lambda f, m: bar.progress(f, text=m),
                )
        except HeatmapError as exc:
            bar.empty()
            auth.log("import", target=Path(target).name, outcome="failed", detail=str(exc))
            st.error(t("data_failed", lang, error=exc))
            st.stop()
        except Exception as exc:  # a crash of a reader on a crafted file: logged, said in Chinese
            bar.empty()
            auth.log("import", target=Path(target).name, outcome="failed", detail=f"crash: {exc!r}"[:2000])
            st.error(t("data_crashed", lang))
            st.stop()
    bar.empty()
    auth.log("import", target=Path(target).name, detail=f"{', '.join(p.name for p in files)}: "
             f"{report.imported} imported, {report.updated} updated, {report.quarantined} set aside")  # fmt: skip
    st.session_state["last_report"] = report.as_dict()
    st.session_state["last_target"] = str(target)
    st.rerun()

report = st.session_state.get("last_report")
if report:
    st.success(t("data_done", lang, imported=report["imported"], updated=report["updated"]))
    cols = st.columns(7)
    for col, key, value in zip(
        cols,
        ("rep_read", "rep_imported", "rep_updated", "rep_duplicates", "rep_quarantined", "rep_unmatched", "rep_conflicts"),
        (report["rows_read"], report["imported"], report["updated"], report["duplicates"],
         report["quarantined"], report["unmatched"], report["conflicts"]),
        strict=True,
    ):  # fmt: skip
        col.metric(t(key, lang), f"{value:,}")
    left, right = st.columns(2)
    left.markdown(f"**{t('rep_matched', lang)}**")
    methods = {
        k: t(f"matched_{k}", lang)
        for k in ("code", "name", "alias", "address", "text", "unit", "point")
    }
    count = t("count_rows", lang)
    left.dataframe(
        pd.Series({methods.get(k, k): v for k, v in report["matched_by"].items()}, name=count),
        width="stretch",
    )
    right.markdown(f"**{t('rep_reasons', lang)}**")
    right.dataframe(
        pd.Series(report["quarantine_reasons"], name="n", dtype="int64"), width="stretch"
    )
    st.markdown(
        f"**{t('rep_crs', lang)}**："
        + "；".join(f"{escape_markdown(f)}: {escape_markdown(c)}" for f, c in report["crs"].items())
    )
    if any(report["crs_evidence"].values()):
        st.caption(json.dumps(report["crs_evidence"], ensure_ascii=False))
    data_views.coordinates(report, lang)
    data_views.personal(report, lang)
    data_views.unmapped_categories(report, lang)
    data_views.unmatched(report, lang)
    if st.session_state.get("last_target") != ctx.db and st.button(t("data_switch", lang)):
        st.session_state["db_choice"] = st.session_state["last_target"]
        st.rerun()

with st.expander(t("boundary_title", lang)):
    st.caption(t("boundary_help", lang))
    bfile = st.file_uploader(
        t("boundary_file", lang),
        type=["geojson", "json", "gpkg", "zip", "parquet"],
        key="boundary_file",
    )
    bname = st.text_input(t("boundary_name", lang), value="official", key="boundary_name")
    bvalid = st.text_input(t("boundary_valid_from", lang), value="2021-01", key="boundary_valid")
    if st.button(t("boundary_run", lang), disabled=bfile is None):
        bname_file = data_views.checked_upload(bfile, "boundary", lang)
        if bname_file is None:
            st.stop()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / bname_file
            path.write_bytes(bfile.getvalue())
            try:
                breport = import_boundaries(path, name=bname, valid_from=bvalid)
            except HeatmapError as exc:
                auth.log("boundary_import", target=bname, outcome="failed", detail=str(exc))
                st.error(t("data_failed", lang, error=exc))
                st.stop()
            except Exception as exc:  # a reader's crash on a crafted file: logged, in Chinese
                auth.log("boundary_import", target=bname, outcome="failed", detail=f"crash: {exc!r}"[:2000])
                st.error(t("data_crashed", lang))
                st.stop()
        auth.log("boundary_import", target=bname, detail=f"{path.name}, valid from {bvalid}")
        st.session_state["boundary_report"] = breport.as_dict()
    if st.session_state.get("boundary_report"):
        st.json(st.session_state["boundary_report"], expanded=False)
    sets = [s["name"] for s in list_sets()]
    active = ctx.meta.get("boundary_set")
    choice = st.selectbox(
        t("boundary_active", lang), sets, index=sets.index(active) if active in sets else 0
    )
    force = st.checkbox(t("boundary_force", lang), key="boundary_force")
    history = st.checkbox(t("boundary_history", lang), key="boundary_history")
    locked = choice == active or bool(ctx.meta.get("synthetic"))
    dry, run = st.columns(2)
    for column, dry_run, label in (
        (dry, True, "boundary_dry_run"),
        (run, False, "boundary_activate"),
    ):
        if column.button(t(label, lang), disabled=locked, key=f"activate_{dry_run}"):
            try:
                with versions.publishing(ctx.db, publish=not dry_run) as draft:
                    writer = store.connect(draft)
                    try:
                        st.session_state["activated"] = activate(
                            writer,
                            choice,
                            dry_run=dry_run,
                            force=force,
                            reattribute_history=history,
                        )
                    finally:
                        writer.close()
                if not dry_run:
                    auth.log("boundary_activate", target=choice,
                             detail=f"force={force}, reattribute_history={history}")  # fmt: skip
            except HeatmapError as exc:
                st.session_state["activated"] = None
                if not dry_run:
                    auth.log("boundary_activate", target=choice, outcome="failed", detail=str(exc))
                st.error(t("data_failed", lang, error=exc))
    if st.session_state.get("activated"):
        data_views.activation_plan(st.session_state["activated"], lang)

st.subheader(t("quarantine_title", lang))
st.dataframe(
    data_views.labelled(
        con.execute(
            "SELECT source, line, reason, raw FROM quarantine ORDER BY loaded_at DESC, line LIMIT 200"
        ).df(),
        lang,
    ),
    hide_index=True,
    width="stretch",
)
st.subheader(t("imports_title", lang))
history = con.execute(
    "SELECT loaded_at, files, report FROM imports ORDER BY loaded_at DESC LIMIT 50"
).df()
st.dataframe(data_views.labelled(history, lang), hide_index=True, width="stretch")

data_views.aliases(ctx.db, con, synthetic=bool(ctx.meta.get("synthetic")), lang=lang)
