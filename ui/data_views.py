"""Pieces of the 数据导入 page: the import report, aliases, and the boundary activation plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from heatmap import paths
from heatmap.errors import HeatmapError
from heatmap.i18n import t
from heatmap.intake import store, versions
from heatmap.intake.aliases import add_alias, list_aliases, unresolved_names
from ui import auth


def labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The frame with its column names in the interface language (unknown names kept)."""
    from heatmap.i18n import TEXT

    return frame.rename(columns=lambda c: t(f"col_{c}", lang) if f"col_{c}" in TEXT else c)


def coordinates(report: dict[str, Any], lang: str) -> None:
    """The per-import coordinate check: five counts, the CRS notes and outside examples."""
    coords = report.get("coordinates") or {}
    if not coords:
        return
    st.markdown(f"**{t('rep_coordinates', lang)}**")
    keys = (("located", "coord_located"), ("inside_beijing", "coord_inside"),
            ("outside_beijing", "coord_outside"), ("swapped_fixed", "coord_swapped"),
            ("zero_or_null", "coord_null"))  # fmt: skip
    for col, (key, label) in zip(st.columns(len(keys)), keys, strict=True):
        col.metric(t(label, lang), f"{int(coords.get(key, 0)):,}")
    for name, note in (report.get("crs_notes") or {}).items():
        st.caption(f"{name}：{note}")
    examples = report.get("outside_examples") or []
    if examples:
        st.markdown(f"**{t('rep_outside_examples', lang)}**")
        st.dataframe(labelled(pd.DataFrame(examples), lang), hide_index=True, width="stretch")


def personal(report: dict[str, Any], lang: str) -> None:
    """How many identifiers of each kind were masked in the imported and quarantined rows."""
    masked = report.get("personal_masked") or {}
    if not masked:
        return
    st.markdown(f"**{t('rep_personal', lang)}**", help=t("rep_personal_help", lang))
    frame = pd.Series(
        {t(f"personal_{k}", lang): int(v) for k, v in masked.items()},
        name=t("count_masked", lang), dtype="int64",
    )  # fmt: skip
    st.dataframe(frame, width="stretch")


def unmapped_categories(report: dict[str, Any], lang: str) -> None:
    """The export's category paths that name no problem, with their counts (most first)."""
    paths = report.get("unmapped_categories") or {}
    if not paths:
        return
    st.markdown(f"**{t('rep_unmapped_categories', lang)}**", help=t("rep_unmapped_help", lang))
    st.dataframe(
        pd.Series(paths, name=t("count_rows", lang), dtype="int64").rename_axis(
            t("category_path", lang)
        ),
        width="stretch",
    )


def unmatched(report: dict[str, Any], lang: str) -> None:
    """How many rows are ambiguous, and why the others found no town."""
    reasons = report.get("unmatched_reasons") or {}
    if not reasons:
        return
    st.markdown(
        f"**{t('rep_unmatched_reasons', lang)}**（{t('rep_ambiguous', lang)}："
        f"{int(report.get('ambiguous', 0)):,}）"
    )
    frame = pd.DataFrame({"reason": list(reasons), "records": list(reasons.values())})
    st.dataframe(labelled(frame, lang), hide_index=True, width="stretch")


def aliases(db: str, con: duckdb.DuckDBPyConnection, *, synthetic: bool, lang: str) -> None:
    """Unmatched names, the form that adds an alias, and the aliases so far."""
    st.subheader(t("alias_title", lang))
    st.caption(t("alias_help", lang))
    if synthetic:
        st.info(t("alias_demo", lang))
        return
    names = unresolved_names(con)
    st.markdown(f"**{t('alias_unresolved', lang)}**")
    st.dataframe(labelled(names, lang), hide_index=True, width="stretch")
    towns = con.execute(
        "SELECT town_code, town_name, district_code, district_name FROM towns ORDER BY town_code"
    ).df()
    labels = {r.town_code: f"{r.town_name}（{r.district_name}）" for r in towns.itertuples()}
    districts = dict(zip(towns["district_code"], towns["district_name"], strict=False))
    with st.form("alias_form"):
        alias = st.selectbox(t("alias_name", lang), list(names["name"]), index=None,
                             accept_new_options=True, key="alias_name",
                             placeholder=t("choose", lang))  # fmt: skip
        town = st.selectbox(t("alias_town", lang), list(labels), index=None,
                            format_func=lambda c: labels.get(c, c), key="alias_town",
                            placeholder=t("choose", lang))  # fmt: skip
        scope = st.selectbox(t("alias_scope", lang), [None, *districts], index=0,
                             format_func=lambda c: "—" if c is None else districts[c],
                             key="alias_scope")  # fmt: skip
        signed_in = auth.current()
        if signed_in.source == "demo":
            by = st.text_input(t("alias_by", lang), key="alias_by")
        else:  # the signed-in administrator, not a free text
            by = signed_in.name
        submitted = st.form_submit_button(t("alias_add", lang))
    if submitted:
        try:  # into a copy of the store, published at once (other sessions read on)
            with versions.publishing(db) as draft:
                writer = store.connect(draft)
                try:
                    done = add_alias(writer, str(alias or ""), str(town or ""), added_by=by,
                                     district_code=str(scope) if scope else None)  # fmt: skip
                finally:
                    writer.close()
        except HeatmapError as exc:
            st.session_state["alias_outcome"] = ("error", str(exc))
            auth.log("alias_add", target=str(alias or ""), outcome="failed", detail=str(exc))
        else:
            auth.log("alias_add", target=done["alias"],
                     detail=f"-> {done['town_code']}, {done['records_attributed']} records")  # fmt: skip
            st.session_state["alias_outcome"] = ("success", t(
                "alias_done", lang, alias=done["alias"],
                town=labels.get(done["town_code"], done["town_code"]),
                records=done["records_attributed"]))  # fmt: skip
        st.rerun()
    outcome = st.session_state.pop("alias_outcome", None)
    if outcome:
        (st.success if outcome[0] == "success" else st.error)(outcome[1])
    st.markdown(f"**{t('alias_list', lang)}**")
    st.dataframe(labelled(list_aliases(con), lang), hide_index=True, width="stretch")


def activation_plan(plan: dict[str, Any], lang: str) -> None:
    """What an activation changes (or would change): counts, pairs, losses, top ten, ledger."""
    state = t("plan_applied" if plan.get("applied") else "plan_dry", lang)
    st.markdown(f"**{t('plan_title', lang, name=plan['boundary_set'], state=state)}**")
    overlay = plan.get("overlay")
    if overlay:
        from heatmap.geo.names import DISTRICTS

        official = "、".join(DISTRICTS.get(c, c) for c in overlay["official_districts"] or [])
        st.info(t("plan_overlay", lang, official=official or "—"))
    cols = st.columns(3)
    for col, key, label in zip(cols, ("records_changing_town", "records_losing_town",
                                      "records_gaining_town"),
                               ("plan_changing", "plan_losing", "plan_gaining"), strict=True):  # fmt: skip
        col.metric(t(label, lang), f"{int(plan.get(key, 0)):,}")
    if plan.get("changes"):
        st.dataframe(labelled(pd.DataFrame(plan["changes"]), lang), hide_index=True, width="stretch")
    if plan.get("losing_by_town"):
        st.dataframe(labelled(pd.DataFrame(plan["losing_by_town"]), lang), hide_index=True, width="stretch")
    left, right = st.columns(2)
    for col, key, label in ((left, "top_ten_before", "plan_top_before"),
                            (right, "top_ten_after", "plan_top_after")):  # fmt: skip
        top = pd.DataFrame(plan.get(key) or [])
        month = f"（{top['month'].iloc[0]}）" if "month" in top and len(top) else ""
        col.markdown(f"**{t(label, lang)}{month}**")
        top = top.drop(columns=["month"], errors="ignore")
        col.dataframe(labelled(top, lang), hide_index=True, width="stretch")
    if plan.get("ledger_changes") is not None:
        st.markdown(f"**{t('plan_ledger', lang)}**")
        st.dataframe(labelled(pd.DataFrame(plan["ledger_changes"]), lang), hide_index=True, width="stretch")


def target_store(name: str, lang: str) -> Path:
    """The store file ``data/<name>`` for an import; a path, a traversal or another suffix is refused."""
    clean = name.strip()
    ok = (
        clean.endswith(".duckdb")
        and clean == Path(clean).name
        and not clean.startswith(".")
        and all(c.isalnum() or c in "._-" for c in clean)
    )
    if not ok:
        st.error(t("data_target_invalid", lang, value=name))
        st.stop()
    return paths.DATA_DIR / clean


def checked_upload(upload: Any, kind: str, lang: str) -> str | None:
    """The safe name of an uploaded file that passes :func:`heatmap.intake.uploads.check_upload`
    (size within the access policy's cap, type, content, name); else a refusal, logged, and None."""
    from heatmap.intake.uploads import HEAD_BYTES, check_upload

    cap_mb = float((st.session_state.get("auth_settings") or {}).get("upload_max_mb", 500.0))
    cap = int(cap_mb * 1024 * 1024) if kind == "export" else None
    data = upload.getvalue()
    try:
        return check_upload(upload.name, len(data), kind=kind, head=data[:HEAD_BYTES], max_bytes=cap)  # type: ignore[arg-type]
    except HeatmapError as exc:
        auth.log("upload_refused", target=safe_label(upload.name), outcome="refused", detail=str(exc))
        st.error(t("upload_refused", lang, error=exc))
        return None


def log_unreadable(upload: Any, exc: Exception) -> None:
    """An upload that passed the checks but could not be read (a refusal by its reader): logged
    once per file and session, not on every rerun while it stays in the uploader."""
    seen = st.session_state.setdefault("upload_refusals_logged", set())
    mark = (upload.name, upload.size, str(exc)[:200])
    if mark not in seen:
        seen.add(mark)
        auth.log("upload_refused", target=safe_label(upload.name), outcome="refused", detail=str(exc))


def safe_label(name: str) -> str:
    """A file name as it may be shown or logged (no path, no control characters)."""
    from heatmap.intake.uploads import safe_name

    return safe_name(name)
