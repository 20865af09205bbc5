"""Cached query wrappers and small renderers shared by pages."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from heatmap import i18n
from heatmap.analysis import governance, queries
from heatmap.filters import View
from heatmap.geo.geography import load_districts
from heatmap.i18n import count, percent, signed_percent, t
from heatmap.intake.store import RECORD_COLUMNS
from heatmap.measures import RATES
from heatmap.output import reports
from heatmap.output.maps import Legend, Outlines, display_geometry
from heatmap.settings import SETTINGS, Settings, make_settings, score_weights
from ui import auth
from ui.frame import Context, _connection, boundary_set, set_stamp, town_districts

Scope = tuple[str, ...] | None


@st.cache_data(show_spinner=False, max_entries=256)
def town_measures(db: str, view: View) -> pd.DataFrame:
    return queries.town_measures(_connection(db).cursor(), view)


@st.cache_data(show_spinner=False, max_entries=256)
def density(db: str, view: View, resolution: int) -> pd.DataFrame:
    return queries.density(_connection(db).cursor(), view, resolution=resolution)


@st.cache_data(show_spinner=False, max_entries=256)
def summary(db: str, view: View) -> dict[str, Any]:
    return queries.summary(_connection(db).cursor(), view)


@st.cache_data(show_spinner=False, max_entries=256)
def town_trend(db: str, view: View, town: str) -> pd.DataFrame:
    return queries.town_trend(_connection(db).cursor(), view, town)


@st.cache_data(show_spinner=False, max_entries=256)
def town_problems(db: str, view: View, town: str) -> pd.DataFrame:
    return queries.town_problems(_connection(db).cursor(), view, town)


def display_towns(name: str) -> gpd.GeoDataFrame:
    """The set's towns simplified for drawing, with their deck.gl rings (built once per version)."""
    return _display_towns(name, set_stamp(name))


@st.cache_resource(show_spinner=False, max_entries=8)
def _display_towns(name: str, stamp: tuple[int, ...]) -> gpd.GeoDataFrame:
    return display_geometry(boundary_set(name).frame)


def label_points(name: str) -> dict[str, list[float]]:
    """A point inside each town of the set (for name labels): ``code9`` → [lon, lat]."""
    return _label_points(name, set_stamp(name))


@st.cache_resource(show_spinner=False, max_entries=8)
def _label_points(name: str, stamp: tuple[int, ...]) -> dict[str, list[float]]:
    towns = display_towns(name)
    points = towns.geometry.representative_point()
    return {
        str(code): [round(p.x, 5), round(p.y, 5)]
        for code, p in zip(towns["code9"], points, strict=True)
    }


@st.cache_resource(show_spinner=False)
def display_districts() -> Outlines:
    """The 16 district outlines and labels, ready for every map's deck."""
    return Outlines.of(load_districts(display=True))


def top_labels(boundary_set: str, measures: pd.DataFrame, n: int = 10) -> list[dict]:
    """Name labels for the view's top ``n`` towns by volume (at a point inside each)."""
    top = measures.nsmallest(n, "rank")
    points = label_points(boundary_set)
    return [
        {"name": f"{rank} {name}", "position": points[code], "size": 12}
        for rank, name, code, volume in zip(
            top["rank"], top["town_name"], top["town_code"], top["volume"], strict=True
        )
        if code in points and float(volume) > 0
    ]


def picked_town(event: Any) -> str | None:
    """The town code clicked on the map, if any."""
    try:
        objects = event.selection.objects
    except AttributeError:
        return None
    for obj in (objects or {}).get("towns", []):
        if obj.get("town_code"):
            return str(obj["town_code"])
    return None


def notice_line(ctx: Context) -> None:
    """Source, vintage and the approximation / synthetic notices, right under a title."""
    parts = []
    if ctx.meta.get("synthetic"):
        parts.append(t("demo_badge", ctx.lang))
    if ctx.boundaries.approximate:
        parts.append(ctx.boundaries.notice(ctx.lang) or "")
    volume = t(f"measure_{ctx.measure}", ctx.lang)
    colon = t("colon", ctx.lang)
    parts.append(f"{t('volume_measure', ctx.lang)}{colon}{volume}")
    st.caption(" ｜ ".join(p for p in parts if p))


def kpis(overview: dict[str, Any], lang: str) -> None:
    cols = st.columns(len(RATES) + 2)
    cols[0].metric(
        t("kpi_volume", lang),
        f"{overview['volume']:,}",
        None
        if overview["mom"] is None
        else f"{overview['mom'] * 100:+.1f}%",  # ASCII sign: the arrow follows it
        delta_color="inverse",
    )
    for col, rate in zip(cols[1:], RATES, strict=False):
        now, before = overview[rate], overview[f"previous_{rate}"]
        delta = None if now is None or before is None else f"{(now - before) * 100:+.1f} pt"
        col.metric(t(f"metric_{rate}", lang), percent(now), delta)
    cols[-1].metric(t("kpi_unassigned", lang), count(overview["unassigned"]))


def legend(legend: Legend, lang: str) -> None:
    """The map legend as coloured swatches."""
    rows = "".join(
        f'<div style="display:flex;align-items:center;margin:3px 0">'
        f'<span style="display:inline-block;width:18px;height:14px;background:rgb{tuple(c)};'
        f'border:1px solid #999;margin-right:6px"></span><span style="font-size:0.85rem">{label}</span></div>'
        for c, label in legend.items
    )
    colon = t("colon", lang)
    st.markdown(f"**{t('legend', lang)}{colon}{legend.title}**<br/>{rows}", unsafe_allow_html=True)


def ranking_table(measures: pd.DataFrame, lang: str, n: int = 30) -> None:
    top = measures.nsmallest(n, "rank")
    table = pd.DataFrame(
        {
            t("col_rank", lang): top["rank"],
            t("col_town", lang): top["town_name"],
            t("col_district", lang): top["district_name"],
            t("col_volume", lang): top["volume"],
            t("col_mom", lang): top["mom"].map(signed_percent),
            **{t(f"col_{rate}", lang): top[rate].map(percent) for rate in RATES},
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def about(ctx: Context) -> None:
    """The provenance page body."""
    meta = ctx.meta
    if meta.get("synthetic"):
        st.warning(t("demo_note", ctx.lang))
        st.markdown(t("demo_provenance", ctx.lang, seed=meta.get("seed"), scale=meta.get("scale")))
    b = ctx.boundaries
    st.subheader(t("about_boundaries", ctx.lang))
    if b.approximate:
        st.info(f"{b.notice(ctx.lang)}{t('colon', ctx.lang)}{b.title(ctx.lang)}")
    st.markdown(
        f"- {b.meta.get('source', '')}\n- {b.meta.get('vintage', '')}\n- CRS: {b.meta.get('crs', '')}"
    )
    missing = pd.DataFrame(b.meta.get("missing_from_2023_list", []))
    if not missing.empty:
        st.caption(t("about_missing_towns", ctx.lang, n=len(missing)))
        st.dataframe(missing, hide_index=True, width="stretch")
    st.subheader(t("about_layout", ctx.lang))
    st.dataframe(
        pd.DataFrame(RECORD_COLUMNS, columns=["column", "type", "meaning"]),
        hide_index=True,
        width="stretch",
    )
    st.subheader(t("about_settings", ctx.lang))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "name": s.name + (" *" if s.assumption else ""),
                    "default": str(s.default),
                    "help": s.help(ctx.lang),
                }
                for s in SETTINGS
            ]
        ),
        hide_index=True,
        width="stretch",
    )


RULE_INPUTS: tuple[tuple[str, float, float, float], ...] = (
    # setting, min, max, step
    ("governance_months_out", 1, 12, 1),
    ("governance_volume_drop", 0.0, 0.9, 0.05),
    ("governance_score_margin", -0.2, 0.2, 0.01),
    ("governance_low_share", 0.0, 0.5, 0.05),
    ("weight_response", 0.0, 1.0, 0.05),
    ("weight_resolution", 0.0, 1.0, 0.05),
    ("weight_satisfaction", 0.0, 1.0, 0.05),
)


def rules_panel(lang: str) -> Settings:
    """Sidebar inputs for the assumed exit thresholds and score weights; returns the settings in force."""
    by_name = {s.name: s for s in SETTINGS}
    overrides: dict[str, Any] = {}
    with st.sidebar.expander(t("rules_panel", lang)):
        for name, low, high, step in RULE_INPUTS:
            setting = by_name[name]
            default = setting.default
            value = st.number_input(
                setting.help(lang),
                min_value=type(default)(low), max_value=type(default)(high), step=type(default)(step),
                value=default, key=f"s_{name}",
            )  # fmt: skip
            if value != default:
                overrides[name] = value
    settings = make_settings(overrides)
    if sum(score_weights(settings)) <= 0:
        st.error(t("weights_zero", lang))
        st.stop()
    return settings


def weights_text(settings: Settings, lang: str) -> str:
    return i18n.weights_text(score_weights(settings), lang)


@st.cache_data(show_spinner=False, max_entries=32)
def panel(
    db: str, measure: str, weights: tuple[float, float, float], level: str = "town"
) -> pd.DataFrame:
    return queries.monthly_panel(
        _connection(db).cursor(), measure=measure, weights=weights, level=level
    )


@st.cache_data(show_spinner=False, max_entries=32)
def governance_result(
    db: str, measure: str, weights: tuple[float, float, float], rules: governance.ExitRules
) -> governance.Governance:
    return governance.evaluate(panel(db, measure, weights), rules)


def in_view(frame: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Rows of the user's districts/towns and scope (ranks stay city-wide); district totals
    for a 街乡镇 account only when the access policy allows (``town_sees_district_totals``)."""
    return ctx.view.select(frame, district_totals=policy_allows("town_sees_district_totals"))


def policy_allows(name: str) -> bool:
    """A yes/no access-policy setting of this session (loaded by the sign-in gate)."""
    return bool((st.session_state.get("auth_settings") or {}).get(name))


def scope_town_codes(ctx: Context) -> set[str] | None:
    """Every town of the store the account's scope covers (``None``: the whole city), by the
    same scope the reads apply (:meth:`heatmap.filters.View.in_scope`); the filters left aside."""
    if ctx.scope is None and ctx.scope_towns is None:
        return None
    towns = town_districts(ctx.db)
    frame = pd.DataFrame({"town_code": list(towns), "district_code": list(towns.values())})
    return set(frame.loc[ctx.view.in_scope(frame), "town_code"])


def city_top_ten(month_rows: pd.DataFrame, ctx: Context) -> None:
    """For a district or town account: the city's top ten, other districts' towns by name or
    masked, as the access policy says (``other_district_names``); their figures are never shown.
    """
    lang = ctx.lang
    top = month_rows[month_rows["rank"] <= 10].sort_values(["rank", "town_code"])
    mine = set(ctx.view.select(top)["town_code"])
    names_allowed = policy_allows("other_district_names")
    hidden = t("ranking_others_hidden", lang)
    shown = pd.DataFrame({
        t("col_rank", lang): top["rank"].astype(int),
        t("col_town", lang): [
            n if c in mine or names_allowed else hidden
            for c, n in zip(top["town_code"], top["town_name"], strict=True)
        ],
        t("col_district", lang): [
            d if c in mine or names_allowed else "—"
            for c, d in zip(top["town_code"], top["district_name"], strict=True)
        ],
    })  # fmt: skip
    st.markdown(f"**{t('ranking_others', lang)}**")
    st.dataframe(shown, hide_index=True, width="content")


def downloads(
    table: pd.DataFrame,
    stem: str,
    lang: str,
    *,
    sheets: dict[str, pd.DataFrame] | None = None,
    what: str = "table",
) -> None:
    """CSV and XLSX download buttons for a table: formulas neutralised, each download audited.

    A role without the export right (只读) sees a note instead of the buttons.
    """
    if not auth.current().can("export"):
        st.caption(t("export_not_allowed", lang))
        return
    left, right = st.columns(2)
    # Made on click (data=callable), logged per click: no file under /media/ before a click.
    # A click on a button of a run the page has just replaced can find its file gone (Streamlit
    # revokes the old callable; measured 1 click in 3 right after a page load on 1.4x): clicked
    # again, it works.
    left.download_button(
        t("download_csv", lang),
        auth.logged_download(lambda: reports.to_csv_bytes(table), target=f"{stem}.csv", detail=what),
        file_name=f"{stem}.csv", mime="text/csv", key=f"csv_{stem}", on_click="ignore",
    )  # fmt: skip
    right.download_button(
        t("download_xlsx", lang),
        auth.logged_download(lambda: reports.to_xlsx_bytes(sheets or {stem: table}),
                             target=f"{stem}.xlsx", detail=what),
        file_name=f"{stem}.xlsx", key=f"xlsx_{stem}", on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )  # fmt: skip


def rank_change(rank: Any, previous: Any, lang: str) -> str:
    """'↑3' (better), '↓2' (worse), '—' (same) or '' without a previous month."""
    if pd.isna(previous) or pd.isna(rank):
        return ""
    delta = int(previous) - int(rank)
    if delta == 0:
        return "—"
    return f"↑{delta}" if delta > 0 else f"↓{-delta}"
