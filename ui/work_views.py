"""Pieces of the 督导工作台 page: the spell picker, a list with its add/edit forms, demand of its problems."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from heatmap.analysis import queries
from heatmap.errors import ConflictError, HeatmapError
from heatmap.filters import View
from heatmap.i18n import t
from heatmap.supervision import db as work_db
from heatmap.supervision import work
from heatmap.supervision.work import DONE, KINDS, STATUSES, Entry
from ui import auth
from ui.frame import Context, _connection

#: The columns a list shows, in order (entry field -> catalogue key of its header).
LIST_COLUMNS = {
    "id": "work_col_id", "title": "work_col_title", "problem": "work_col_problem",
    "owner_unit": "work_col_owner", "due_month": "work_col_due", "status": "work_col_status",
    "evidence": "work_col_evidence", "version": "work_col_version", "updated_by": "work_col_by",
    "updated_at": "work_col_at",
}  # fmt: skip
MEETING_COLUMNS = {
    "id": "work_col_id", "held_on": "work_col_day", "title": "work_col_title",
    "participants": "work_col_participants", "note": "work_col_note", "version": "work_col_version",
    "updated_by": "work_col_by",
}  # fmt: skip


def store(db: str) -> work_db.WorkStore:
    """The workbench store of ``db`` (``<store>.work.sqlite``, or ``HEATMAP_WORK_DB``)."""
    return work_db.locate(db)


def allowed_towns(ctx: Context) -> list[str] | None:
    """The towns this session may write (None = every town)."""
    if ctx.scope is None and ctx.scope_towns is None:
        return None
    ref = queries.towns(_connection(ctx.db).cursor(), scope=ctx.scope, scope_towns=ctx.scope_towns)
    return list(ref["town_code"])


def spell_entries(ctx: Context, town: str, spell: str) -> dict[str, list[Entry]]:
    """Every entry of the town's spell, by kind (one read for the whole page)."""
    with work_db.transaction(store(ctx.db), write=False) as con:
        rows = work.list_entries(con, town_code=town, spell_start=spell)
    return {kind: [e for e in rows if e.kind == kind] for kind in KINDS}


def table(rows: list[Entry], kind: str, lang: str, month: str) -> pd.DataFrame:
    """The list as shown: Chinese headers, times in Beijing time, overdue marked."""
    columns = MEETING_COLUMNS if kind in ("talk", "visit", "support") else LIST_COLUMNS
    frame = work.frame(rows).reindex(columns=list(columns))
    if "updated_at" in frame:
        frame["updated_at"] = [work.format_time(v) for v in frame["updated_at"]]
    if "due_month" in frame and "status" in frame:
        late = (frame["status"] != DONE) & frame["due_month"].notna() & (frame["due_month"] < month)
        frame["status"] = [
            f"{s}（{t('work_overdue', lang)}）" if x else s
            for s, x in zip(frame["status"], late, strict=True)
        ]
    return frame.rename(columns={c: t(k, lang) for c, k in columns.items()})


def add_form(ctx: Context, town: str, spell: str, kind: str, problems: list[str]) -> None:
    """A form for a new entry of ``kind``; the result is shown after the rerun."""
    lang = ctx.lang
    with st.form(f"work_add_{kind}", clear_on_submit=True):
        st.markdown(f"**{t('work_add', lang, kind=t(f'work_kind_{kind}', lang))}**")
        values = _fields(kind, lang, problems, prefix=f"add_{kind}")
        submitted = st.form_submit_button(t("work_save", lang), type="primary")
    if submitted:
        _write(ctx, lambda con: work.add_entry(
            con, town_code=town, spell_start=spell, kind=kind, by=ctx.principal.name,
            scope=allowed_towns(ctx), **values,
        ), action=f"{KINDS[kind]} +")  # fmt: skip


def edit_form(ctx: Context, rows: list[Entry], kind: str, problems: list[str]) -> None:
    """Pick an entry, change it: saved only if nobody changed it since it was shown (its version)."""
    lang = ctx.lang
    if not rows:
        return
    by_id = {e.id: e for e in rows}
    chosen = st.selectbox(
        t("work_edit_pick", lang), list(by_id), key=f"work_pick_{kind}",
        format_func=lambda i: f"#{i} {by_id[i].title}（{t('work_col_version', lang)} {by_id[i].version}）",
    )  # fmt: skip
    entry = by_id[chosen]
    seen_key = f"work_seen_{kind}_{entry.id}"
    seen = st.session_state.setdefault(seen_key, entry.version)  # the version this person read
    with st.form(f"work_edit_{kind}_{entry.id}"):
        values = _fields(kind, lang, problems, prefix=f"edit_{kind}_{entry.id}", entry=entry)
        left, right = st.columns(2)
        saved = left.form_submit_button(t("work_save", lang), type="primary")
        removed = right.form_submit_button(t("work_delete", lang))
    if saved or removed:

        def change(con: Any) -> Entry:
            if removed:
                return work.delete_entry(con, entry.id, expected_version=seen,
                                         by=ctx.principal.name, scope=allowed_towns(ctx))  # fmt: skip
            return work.update_entry(con, entry.id, expected_version=seen, changes=values,
                                     by=ctx.principal.name, scope=allowed_towns(ctx))  # fmt: skip

        _write(ctx, change, action=f"#{entry.id}", forget=seen_key)
    with st.expander(t("work_history", lang)):
        with work_db.transaction(store(ctx.db), write=False) as con:
            changes = work.history(con, entry.id)
        history = pd.DataFrame(
            [
                {
                    t("work_col_version", lang): c.version,
                    t("work_col_at", lang): work.format_time(c.changed_at),
                    t("work_col_by", lang): c.changed_by,
                    t("work_col_action", lang): c.action,
                    t("work_col_changes", lang): "；".join(
                        f"{k}: {c.old.get(k, '')} → {v}" for k, v in c.new.items()
                    ),
                }
                for c in changes
            ]
        )
        st.dataframe(history, hide_index=True, width="stretch")


def _fields(
    kind: str, lang: str, problems: list[str], *, prefix: str, entry: Entry | None = None
) -> dict[str, Any]:
    """The form's inputs for ``kind`` (prefilled from ``entry``)."""
    e = entry
    out: dict[str, Any] = {"title": st.text_input(t("work_col_title", lang), e.title if e else "",
                                                    max_chars=200, key=f"{prefix}_title")}  # fmt: skip
    if kind in ("item", "project"):
        options = [None, *problems]
        current = e.problem if e and e.problem in problems else None
        out["problem"] = st.selectbox(t("work_col_problem", lang), options,
                                      index=options.index(current), key=f"{prefix}_problem",
                                      format_func=lambda p: "—" if p is None else p)  # fmt: skip
        out["owner_unit"] = st.text_input(t("work_col_owner", lang), e.owner_unit if e else "",
                                          max_chars=200, key=f"{prefix}_owner")  # fmt: skip
        out["due_month"] = st.text_input(t("work_col_due", lang), (e.due_month or "") if e else "",
                                         placeholder="2021-12", key=f"{prefix}_due").strip() or None  # fmt: skip
        out["status"] = st.selectbox(t("work_col_status", lang), STATUSES,
                                     index=STATUSES.index(e.status) if e and e.status in STATUSES else 0,
                                     key=f"{prefix}_status")  # fmt: skip
        out["evidence"] = st.text_input(t("work_col_evidence", lang), e.evidence if e else "",
                                        max_chars=500, key=f"{prefix}_evidence")  # fmt: skip
    else:
        out["held_on"] = st.text_input(t("work_col_day", lang), (e.held_on or "") if e else "",
                                       placeholder="2021-06-15", key=f"{prefix}_day").strip() or None  # fmt: skip
        out["participants"] = st.text_input(t("work_col_participants", lang),
                                            e.participants if e else "", max_chars=500,
                                            key=f"{prefix}_participants")  # fmt: skip
        out["note"] = st.text_area(t("work_col_note", lang), e.note if e else "", max_chars=4000,
                                   key=f"{prefix}_note")  # fmt: skip
    return out


def _write(ctx: Context, do: Any, *, action: str, forget: str | None = None) -> None:
    """Run a write in one transaction; a conflict or a refusal is shown in Chinese and logged.

    A saved change reruns the page, so its lists show it; ``forget`` names the session key of the
    version the person had read (read again on the rerun).
    """
    lang = ctx.lang
    try:
        with work_db.transaction(store(ctx.db)) as con:
            entry = do(con)
    except ConflictError as exc:
        auth.log("work_conflict", target=action, outcome="refused", detail=str(exc))
        st.error(t("work_conflict", lang, error=exc))
        return
    except HeatmapError as exc:
        st.error(t("work_failed", lang, error=exc))
        return
    auth.log(
        "work_edit", target=f"#{entry.id} {entry.title}"[:200], detail=f"{action} v{entry.version}"
    )
    if forget:
        st.session_state.pop(forget, None)
    st.session_state[FLASH] = t("work_saved", lang, id=entry.id, version=entry.version)
    st.rerun()


FLASH = "work_saved_message"  # shown once on the page after the rerun that follows a save


def demand_figure(
    ctx: Context, town: str, spell: str, rows: list[Entry], month: str
) -> go.Figure | None:
    """Monthly requests of the problems the town's items and projects address, with the month each
    was done marked: did the demand fall after the work?"""
    problems = sorted({e.problem for e in rows if e.problem})
    if not problems:
        return None
    start = str(pd.Period(spell, freq="M") - 6)
    first = min(m for m in queries.available_months(_connection(ctx.db).cursor()))
    view = View(max(start, first), month, towns=(town,), measure=ctx.measure, scope=ctx.scope,
                scope_towns=ctx.scope_towns)  # fmt: skip
    frame = queries.sums(_connection(ctx.db).cursor(), view, by=["month", "problem"],
                         problems=problems, topic=False)  # fmt: skip
    fig = go.Figure()
    for problem in problems:
        part = frame[frame["problem"] == problem]
        fig.add_scatter(x=part["month"], y=part["volume"], mode="lines+markers", name=problem)
    for due in sorted({e.due_month for e in rows if e.status == DONE and e.due_month}):
        fig.add_vline(x=due, line_dash="dot", line_color="#2e7d32")  # done items' planned month
    fig.add_vline(x=spell, line_color="#c0392b")
    fig.update_layout(
        title=t("work_demand_title", ctx.lang), height=360, margin={"l": 40, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h"}, yaxis_title=t("col_volume", ctx.lang),
    )  # fmt: skip
    return fig


def work_counts(ctx: Context, spells: pd.DataFrame, month: str) -> pd.DataFrame:
    """Items and projects of each spell (town_code, entry_month): total, done, due, overdue."""
    if spells.empty:
        return pd.DataFrame(columns=["town_code", "total", "done", "due", "overdue"])
    spell_of = dict(zip(spells["town_code"], spells["entry_month"], strict=False))
    with work_db.transaction(store(ctx.db), write=False) as con:
        counts = work.summary(con, month=month, towns=list(spell_of), spell_of=spell_of)
    return counts[["town_code", "total", "done", "due", "overdue"]]


def work_sentence(counts: pd.Series | None, conditions_met: bool, lang: str) -> str | None:
    """'exit conditions met but N items overdue', or the reverse; None when they agree."""
    overdue = int(counts["overdue"]) if counts is not None else 0
    due = int(counts["due"]) if counts is not None else 0
    if conditions_met and overdue:
        return t("work_met_but_overdue", lang, n=overdue)
    if not conditions_met and counts is not None and int(counts["total"]) and not due:
        return t(
            "work_done_but_not_met", lang, done=int(counts["done"]), total=int(counts["total"])
        )
    return None


def spell_timeline(
    spell: str,
    exit_month: str | None,
    month: str,
    meetings: list[Entry],
    listed: list[Entry],
    lang: str,
) -> go.Figure:
    """The spell as a bar (entry to exit, or to ``month`` while supervised) with its talks and visits
    on their dates and the listed work on its due months (done green, not done red)."""
    end = exit_month or month
    fig = go.Figure()
    fig.add_scatter(
        x=[f"{spell}-01", f"{end}-28"], y=[t("work_fig_spell", lang)] * 2, mode="lines",
        line={"width": 14, "color": "#f5b7b1" if exit_month is None else "#a9dfbf"},
        name=t("work_fig_spell", lang), hoverinfo="skip",
    )  # fmt: skip
    for kind, symbol in (("talk", "diamond"), ("visit", "circle"), ("support", "square")):
        dated = [e for e in meetings if e.kind == kind and e.held_on]
        if dated:
            fig.add_scatter(
                x=[e.held_on for e in dated], y=[t(f"work_kind_{kind}", lang)] * len(dated), mode="markers",
                marker={"size": 13, "symbol": symbol, "color": "#1f4e79"}, name=t(f"work_kind_{kind}", lang),
                text=[e.title for e in dated], hovertemplate="%{x}：%{text}<extra></extra>",
            )  # fmt: skip
    dated = [e for e in listed if e.due_month]
    colour = {True: "#2e7d32", False: "#c0392b"}
    for done in (True, False):
        part = [e for e in dated if (e.status == DONE) is done]
        if part:
            fig.add_scatter(
                x=[f"{e.due_month}-15" for e in part],
                y=[t("work_tab_item" if e.kind == "item" else "work_tab_project", lang) for e in part],
                mode="markers", marker={"size": 11, "color": colour[done]},
                name=t("work_fig_done" if done else "work_not_done", lang), text=[e.title for e in part],
                hovertemplate="%{x|%Y-%m}：%{text}<extra></extra>",
            )  # fmt: skip
    fig.update_layout(
        title=t("work_timeline_title", lang), height=260, margin={"l": 10, "r": 10, "t": 40, "b": 30},
        legend={"orientation": "h", "y": -0.25}, xaxis={"type": "date", "tickformat": "%Y-%m", "dtick": _month_step(fig), "tick0": "2019-01-01"},
    )  # fmt: skip
    return fig


def _month_step(fig: go.Figure) -> str:
    """Ticks a whole number of months apart (one a month up to a year, then every 3 or 6), so a
    month is never written twice."""
    days = pd.to_datetime([x for trace in fig.data for x in (trace.x or ())], errors="coerce")
    span = (days.max() - days.min()).days / 30.4 if len(days) and days.notna().any() else 0
    return "M1" if span <= 12 else "M3" if span <= 36 else "M6"
