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
from heatmap.i18n import count, percent, points, setting, signed_percent, t
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
        {"name": f"{int(rank)} {name}", "position": points[code], "size": 12,
         "priority": 100 - int(rank)}
        for rank, name, code, volume in zip(
            top["rank"], top["town_name"], top["town_code"], top["volume"], strict=True
        )
        if code in points and float(volume) > 0
    ]


def picked_town(event: Any) -> str | None:
    """The town code clicked on the map (a town, or a hexagon's main town), if any."""
    try:
        objects = event.selection.objects
    except AttributeError:
        return None
    for layer in ("towns", "density"):
        for obj in (objects or {}).get(layer, []):
            if obj.get("town_code"):
                return str(obj["town_code"])
    return None


def map_click(event: Any, *, memory: str = "map_click") -> tuple[bool, str | None]:
    """Whether the map's selection changed since the last run, and the town it now names.

    A click on a town selects it; a click on the same town again, or on empty space, clears the
    selection (``None``). A selection that did not change (the selector was used since) is not
    a click: the caller keeps what the selector says.
    """
    town = picked_town(event)
    changed = st.session_state.get(memory, "") != (town or "")
    st.session_state[memory] = town or ""
    return changed, town


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
    # st.metric reads direction and colour from a leading ASCII '-' only: the delta is written
    # by the house formatter (real minus) and its arrow and colour are set here
    mom = overview["mom"]
    cols[0].metric(
        t("kpi_volume", lang), count(overview["volume"]),
        None if mom is None else signed_percent(mom), **_delta_style(mom, good_when_down=True),
    )  # fmt: skip
    for col, rate in zip(cols[1:], RATES, strict=False):
        now, before = overview[rate], overview[f"previous_{rate}"]
        change = None if now is None or before is None else now - before
        col.metric(
            t(f"metric_{rate}", lang), percent(now),
            None if change is None else points(change, lang), **_delta_style(change),
        )  # fmt: skip
    cols[-1].metric(t("kpi_unassigned", lang), count(overview["unassigned"]))


def _delta_style(change: float | None, *, good_when_down: bool = False) -> dict[str, Any]:
    """st.metric's arrow and colour for a change: green when it goes the good way, red when
    not, grey and no arrow when it rounds to zero."""
    if change is None or change != change or abs(change) < 5e-4:
        return {"delta_arrow": "off", "delta_color": "gray"}
    good = (change < 0) == good_when_down
    return {"delta_arrow": "up" if change > 0 else "down", "delta_color": "green" if good else "red"}


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


#: printf formats of the house format for the table grid (the numbers stay numbers: columns sort
#: by value). Rates and changes are shown from fractions multiplied by 100 (see
#: :func:`number_table`). The grid writes a minus as '-', not '−': its printf has no other.
GRID_FORMATS = {
    "count": "localized", "rank": "%d", "percent": "%.1f%%", "change": "%+.1f%%",
    "points": "%+.1f", "decimal": "%.1f",
}  # fmt: skip
_HUNDREDFOLD = ("percent", "change", "points")


def number_table(
    frame: pd.DataFrame,
    kinds: dict[str, str],
    labels: dict[str, str] | None = None,
    *,
    named: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame and its ``column_config`` in the house format: ``kinds`` maps a column to
    count / rank / percent / change / points / decimal (others stay as they are); ``labels``
    gives column headers. ``named=True`` also renames the frame's columns to the labels (the
    table's data then carries the headers the reader sees)."""
    out = frame.copy()
    config: dict[str, Any] = {}
    for col, kind in kinds.items():
        if col not in out:
            continue
        values = pd.to_numeric(out[col], errors="coerce")
        out[col] = values * 100 if kind in _HUNDREDFOLD else values
        label = (labels or {}).get(col, col)
        config[col] = st.column_config.NumberColumn(label, format=GRID_FORMATS[kind])
    for col, label in (labels or {}).items():
        config.setdefault(col, label)
    if named and labels:
        out = out.rename(columns=labels)
        config = {labels.get(col, col): value for col, value in config.items()}
    return out, config


def ranking_table(measures: pd.DataFrame, lang: str, n: int = 30) -> None:
    top = measures.nsmallest(n, "rank")
    cols = ["rank", "town_name", "district_name", "volume", "mom", *RATES]
    keys = {"town_name": "col_town", "district_name": "col_district"}
    labels = {c: t(keys.get(c, f"col_{c}"), lang) for c in cols}
    kinds = {"rank": "rank", "volume": "count", "mom": "change", **dict.fromkeys(RATES, "percent")}
    table, config = number_table(top[cols], kinds, labels, named=True)
    st.dataframe(table, column_config=config, hide_index=True, width="stretch")


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
    lang, colon = ctx.lang, t("colon", ctx.lang)
    st.markdown(
        f"- {t('about_source', lang)}{colon}{b.describe('source', lang)}\n"
        f"- {t('about_vintage', lang)}{colon}{b.describe('vintage', lang)}\n"
        f"- {t('about_crs', lang)}{colon}{b.meta.get('crs', '')}"
    )
    missing = pd.DataFrame(b.meta.get("missing_from_2023_list", []))
    if not missing.empty:
        st.caption(t("about_missing_towns", lang, n=len(missing)))
        headers = {"code9": "col_town_code", "name": "col_town", "district_name": "col_district",
                   "kind": "col_kind"}  # fmt: skip
        shown = missing.rename(columns={k: t(v, lang) for k, v in headers.items()})
        st.dataframe(shown, hide_index=True, width="stretch")
    st.subheader(t("about_layout", lang))
    st.dataframe(record_layout(lang), hide_index=True, width="stretch")
    st.subheader(t("about_settings", lang))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("about_setting_name", lang): s.name + (" *" if s.assumption else ""),
                    t("about_setting_default", lang): setting(s.default),
                    t("about_setting_help", lang): s.help(lang),
                }
                for s in SETTINGS
            ]
        ),
        hide_index=True,
        width="stretch",
    )


_SQL_KINDS = {"VARCHAR": "kind_text", "TIMESTAMP": "kind_time", "DATE": "kind_date",
              "DOUBLE": "kind_number", "BIGINT": "kind_number", "INTEGER": "kind_number",
              "BOOLEAN": "kind_bool", "UBIGINT": "kind_number"}  # fmt: skip


def record_layout(lang: str) -> pd.DataFrame:
    """The store's record columns with their kind and meaning in ``lang`` (the catalogue's
    ``field_<column>``; a column it does not know keeps the store's own description)."""
    rows = []
    for name, sql, meaning in RECORD_COLUMNS:
        kind = _SQL_KINDS.get(sql.split()[0])
        key = f"field_{name}"
        rows.append({
            t("about_field", lang): name,
            t("about_field_kind", lang): t(kind, lang) if kind else sql,
            t("about_field_meaning", lang): t(key, lang) if key in i18n.TEXT else meaning,
        })  # fmt: skip
    return pd.DataFrame(rows)


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
    title: str | None = None,
) -> None:
    """CSV and XLSX download buttons for a table: formulas neutralised, each download audited.

    ``title`` (the view's label, e.g. '考核排名 · 海淀区 · 2021-05') names the files; ``stem`` keys
    the buttons. A role without the export right (只读) sees a note instead of the buttons.
    """
    if not auth.current().can("export"):
        st.caption(t("export_not_allowed", lang))
        return
    name = reports.file_stem(title) if title else stem
    left, right = st.columns(2)
    # Made on click (data=callable), logged per click: no file under /media/ before a click.
    # A click on a button of a run the page has just replaced can find its file gone (Streamlit
    # revokes the old callable; measured 1 click in 3 right after a page load on 1.4x): clicked
    # again, it works.
    left.download_button(
        t("download_csv", lang),
        auth.logged_download(lambda: reports.to_csv_bytes(table), target=f"{name}.csv", detail=what),
        file_name=f"{name}.csv", mime="text/csv", key=f"csv_{stem}", on_click="ignore",
    )  # fmt: skip
    right.download_button(
        t("download_xlsx", lang),
        auth.logged_download(lambda: reports.to_xlsx_bytes(sheets or {stem: table}),
                             target=f"{name}.xlsx", detail=what),
        file_name=f"{name}.xlsx", key=f"xlsx_{stem}", on_click="ignore",
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
