"""The shared frame of every page: language, store handle, sidebar filters mirrored in the URL, notices."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from heatmap import paths
from heatmap.access.roles import Principal, Scope
from heatmap.analysis import queries
from heatmap.errors import HeatmapError, StoreError
from heatmap.filters import (
    Filters,
    View,
    area_label,
    from_query_params,
    to_query_params,
    view_label,
)  # fmt: skip
from heatmap.geo.geography import META_FILE, SET_FILE, BoundarySet, load_boundary_set
from heatmap.i18n import t
from heatmap.intake import demo_build, store, versions
from heatmap.taxonomy import Taxonomy, load_taxonomy
from ui import auth, present


@dataclass(frozen=True)
class Context:
    """What a page needs: language, connection, filters, settings and the data's provenance."""

    lang: str
    db: str
    filters: Filters
    measure: str
    scope: tuple[str, ...] | None
    meta: dict[str, Any]
    boundaries: BoundarySet
    taxonomy: Taxonomy
    scope_towns: tuple[str, ...] | None = None
    principal: Principal = auth.DEMO
    palette: str = "standard"  # or "cvd": 色觉友好配色, chosen in the sidebar
    district_names: dict[str, str] = field(default_factory=dict)
    town_names: dict[str, str] = field(default_factory=dict)
    town_districts: dict[str, str] = field(default_factory=dict)

    @property
    def area(self) -> str:
        """Whose view this is, in words (北京市, 海淀区, 海淀区 学院路街道 …): every title says it."""
        return area_label(
            self.view, district_names=self.district_names, town_names=self.town_names,
            town_districts=self.town_districts, lang=self.lang,
        )  # fmt: skip

    def label(self, *extra: str, month: str | None = None) -> str:
        """'海淀区 · 2021-05 · …': the area, the months (or ``month``) and ``extra``, for titles,
        captions, file names and slides."""
        return view_label(self.area, month or self.filters.label(self.lang), *extra)

    @property
    def view(self) -> View:
        """What the page reads: the filters with the volume basis and the user's scope."""
        return View.of(
            self.filters, measure=self.measure, scope=self.scope, scope_towns=self.scope_towns
        )

    def con(self) -> duckdb.DuckDBPyConnection:
        """A cursor of the shared read-only connection (one per script run and thread)."""
        return _connection(self.db).cursor()


def current_lang() -> str:
    """'zh' or 'en', from the session or the URL (default Chinese)."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = "en" if st.query_params.get("lang") == "en" else "zh"
    return str(st.session_state["lang"])


_RUN = threading.local()  # the context the router built for this script run (one thread a run)


def open_frame() -> Context:
    """The router's call, before the page runs: the sidebar built once in the entry point.

    Widgets of the entry point keep one identity on every page, so Streamlit keeps their values
    when the user moves between pages (a widget made inside a page script is another widget on
    the next page, and its value is dropped). The page then takes this context from
    :func:`page_frame` instead of building the sidebar again.
    """
    _RUN.context = None
    context = _build_frame()
    _RUN.context = context
    return context


def close_frame() -> None:
    """The run is over: the next run builds its own context."""
    _RUN.context = None


def page_frame() -> Context:
    """The page's context: the router's of this run, or (a page run on its own) built here."""
    context = getattr(_RUN, "context", None)
    return context if context is not None else _build_frame()


def _build_frame() -> Context:
    """Render the sidebar (language, filters, notices) and return the page's context."""
    # Again here, not only in app.py: before any session has built the page list, Streamlit may
    # run a page script straight from its URL (its pages/ folder mode), bypassing the router.
    _settle_heap()
    principal = auth.gate(current_lang())
    lang = language_toggle()
    palette = "cvd" if st.sidebar.toggle(t("palette_cvd", lang), key="palette_cvd",
                                         help=t("palette_cvd_help", lang)) else "standard"  # fmt: skip
    _builtin_texts(lang)
    present.presentation_mode(lang)
    auth.sidebar(lang)
    if principal.source == "demo":
        _store_picker(lang)
    db = _ensure_store(lang)
    _follow_version(db)
    con = _connection(db).cursor()
    meta = store.get_meta(con)
    scope = _scope(db, principal)
    st.session_state[auth.SCOPE_KEY] = scope.label()
    filters, measure = _sidebar_filters(con, lang, scope, db)
    boundaries = boundary_set(meta.get("boundary_set", "demo_townships_2023"))
    _provenance(meta, boundaries, lang)
    districts, towns = _names(db)
    return Context(
        lang, db, filters, measure, scope.districts, meta, boundaries, _taxonomy(),
        scope_towns=scope.towns, principal=principal, palette=palette, district_names=districts,
        town_names=towns, town_districts=town_districts(db),
    )  # fmt: skip


def _builtin_texts(lang: str) -> None:
    """Streamlit's own widget texts (the uploader's button and limit line) in the page's
    language: Streamlit has no setting for them, so they are replaced by style (the English
    text is kept at size zero and the catalogue's text drawn after it)."""
    upload, limit = t("st_upload", lang), t("st_upload_limit", lang)
    st.html(
        "<style>"
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p"
        "{font-size:0} "
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after"
        f"{{content:'{upload}';font-size:0.875rem}} "
        "[data-testid='stFileUploaderDropzoneInstructions'] span{font-size:0} "
        f"[data-testid='stFileUploaderDropzoneInstructions'] span::after{{content:'{limit}';"
        "font-size:0.75rem}"
        "</style>"
    )


def boundary_set(name: str) -> BoundarySet:
    """The boundary set ``name``, read from disk once per version of its files (not every run)."""
    return _boundary_set(name, set_stamp(name))


def set_stamp(name: str) -> tuple[int, ...]:
    """Modification times and sizes of the set's files: a re-imported set is read again."""
    stamp: list[int] = []
    for file in (SET_FILE, META_FILE):
        with contextlib.suppress(OSError):  # missing: the loader raises the clear error
            info = (paths.GEO_DIR / name / file).stat()
            stamp += [info.st_mtime_ns, info.st_size]
    return tuple(stamp)


@st.cache_resource(show_spinner=False, max_entries=8)
def _boundary_set(name: str, stamp: tuple[int, ...]) -> BoundarySet:
    return load_boundary_set(name, geo_dir=paths.GEO_DIR)


def store_meta(db: str) -> dict[str, Any]:
    """The store's metadata (through the shared read-only connection)."""
    return store.get_meta(_connection(db).cursor())


def language_toggle() -> str:
    """The language switch in the sidebar; returns 'zh' or 'en'."""
    lang = current_lang()
    st.sidebar.radio(
        t("language", lang), options=["zh", "en"], key="lang", horizontal=True,
        format_func=lambda v: "中文" if v == "zh" else "English",
    )  # fmt: skip
    return str(st.session_state["lang"])


def _store_picker(lang: str) -> None:
    """A choice of store when data/ holds more than the demo (e.g. an imported real store)."""
    default = paths.db_path()
    options = list(
        dict.fromkeys([str(default), *sorted(str(p) for p in paths.DATA_DIR.glob("*.duckdb"))])
    )
    names = [Path(p).name for p in options]

    def label(p: str) -> str:  # two stores of one file name (another folder) show their path
        shown = Path(p).name if names.count(Path(p).name) == 1 else p
        return shown + ("（演示）" if Path(p) == paths.DEFAULT_DB else "")

    if len(options) > 1:
        st.sidebar.selectbox(t("store", lang), options, key="db_choice", format_func=label)


def _ensure_store(lang: str) -> str:
    """The store in use (sidebar choice, else HEATMAP_DB, else the demo), built on first run.

    The demo store is generated, so when it is missing or of an older schema it is (re)built here,
    with a progress bar. Any other store that is missing or outdated is an error with the fix.
    """
    chosen = st.session_state.get("db_choice") if auth.current().source == "demo" else None
    db = Path(chosen or paths.db_path())
    demo = db.resolve() == paths.DEFAULT_DB.resolve() or bool(os.environ.get("HEATMAP_BUILD_DEMO"))
    if db.exists():
        try:
            _connection(str(db))
            return str(db)
        except StoreError as exc:
            if not demo:  # the file's name, not the server's folders
                st.error(t("error_store", lang, error=str(exc).replace(f"{db.parent}{os.sep}", "")))
                st.stop()
            _open.clear()
    elif not demo:
        st.error(
            t("error_store", lang, error=f"{db.name} 不存在 (python -m heatmap ingest FILE --db …/{db.name})")
        )
        st.stop()
    _wait_for_demo(db, lang)
    return str(db)


def _wait_for_demo(db: Path, lang: str) -> None:
    """Start (or join) the background build of the demo store and show its progress until done.

    The build runs in its own process: a visitor who leaves does not stop it, and every other
    session shows the same progress (see :mod:`heatmap.intake.demo_build`).
    """
    began = time.time()
    scale = os.environ.get("HEATMAP_DEMO_SCALE")
    demo_build.start_build(db, scale=float(scale) if scale else None)
    bar = st.progress(0.0, text=t("building_demo", lang))
    note = st.empty()  # cleared with the bar once the store is ready
    note.caption(t("building_demo_note", lang))
    while True:
        status = demo_build.read_progress(db) or {}
        fresh = float(status.get("at", 0)) >= began - 1 or demo_build.build_running(db)
        if fresh and status.get("state") == "done" and not demo_build.build_running(db):
            break
        if fresh and status.get("state") == "failed" and not demo_build.build_running(db):
            st.error(t("error_store", lang, error=status.get("message")))
            st.stop()
        if not fresh and time.time() - began > _BUILD_START_TIMEOUT_S:
            st.error(t("error_store", lang, error=f"{db}.build.log"))
            st.stop()
        fraction = float(status.get("fraction", 0.0)) if fresh else 0.0
        message = f"{t('building_demo', lang)} {status.get('message') or ''}"
        bar.progress(min(max(fraction, 0.0), 1.0), text=message)
        time.sleep(0.5)
    bar.empty()
    note.empty()
    _open.clear()
    st.toast(t("built_demo", lang, records=int(status.get("records", 0))))


_BUILD_START_TIMEOUT_S = 60  # the builder has not reported by then: it could not start


def _connection(db: str) -> duckdb.DuckDBPyConnection:
    """The server process's read-only connection to the store's current version (pages take
    cursors of it).

    Read-only, so command-line runs (governance, rank, brief) and the other server processes can
    read the store while this one serves it. A write from the data page publishes a new version of
    the file (:func:`heatmap.intake.versions.publishing`); the next call here opens that version,
    while runs that began on the old one finish on it.
    """
    return _open(db, versions.version(db))


@st.cache_resource(show_spinner=False, max_entries=2)
def _open(db: str, version: versions.Version | None) -> duckdb.DuckDBPyConnection:
    return store.connect(db, read_only=True)  # an older version's connection: dropped, not closed


def release_connection(db: str) -> None:
    """Close this process's connection to ``db`` (the benchmark writes its store after the pages).

    The app itself no longer does this before a write: it publishes a new version instead."""
    with contextlib.suppress(StoreError, duckdb.Error):  # not open, or not a store yet
        _connection(db).close()
    _open.clear()
    st.cache_data.clear()


@st.cache_resource(show_spinner=False)
def _versions_seen() -> dict[str, versions.Version | None]:
    return {}


def _follow_version(db: str) -> None:
    """Once per run: a new version of the store (an import, here or in another server process)
    empties the cached reads of the old one, so every session sees the new data at its next run."""
    now, seen = versions.version(db), _versions_seen()
    if db in seen and seen[db] != now:
        _open.clear(db, seen[db])  # dropped, not closed: runs still on it finish (their cursors)
        st.cache_data.clear()
    seen[db] = now


@st.cache_resource(show_spinner=False)
def _settle_heap() -> bool:
    """Once per server process, on the first page run (imports done): move every object that
    exists to Python's permanent generation (``gc.freeze``), so the collector's full passes no
    longer walk the libraries' hundreds of thousands of objects. Those passes paused a page run
    every few runs (heat map and 每月一题 on the 72 M-record store, 60 runs: full collections took
    1.05 s in all, the longest 127 ms; with the heap frozen 0.33 s, the longest 93 ms)."""
    gc.collect()
    gc.freeze()
    atexit.register(gc.unfreeze)  # collectable again at exit: extension types are freed, not leaked
    return True


@st.cache_resource(show_spinner=False)
def _taxonomy() -> Taxonomy:
    return load_taxonomy()


def _choices(db: str, scope: Scope) -> Any:
    """The filters' options (months, districts, towns …) of the store's current version."""
    return _choices_of(db, scope, versions.version(db))


@st.cache_data(show_spinner=False)
def _choices_of(db: str, scope: Scope, version: versions.Version | None) -> Any:
    con = _connection(db).cursor()
    return (
        queries.choices(con, scope=scope.districts, scope_towns=scope.towns),
        queries.towns(con, scope=scope.districts, scope_towns=scope.towns),
    )


@st.cache_data(show_spinner=False)
def town_districts(db: str) -> dict[str, str]:
    """Every town code of the store -> its district code."""
    ref = queries.towns(_connection(db).cursor())
    return dict(zip(ref["town_code"], ref["district_code"], strict=True))


@st.cache_data(show_spinner=False)
def _names(db: str) -> tuple[dict[str, str], dict[str, str]]:
    """District and town names of the store, by code."""
    ref = queries.towns(_connection(db).cursor())
    return (
        dict(zip(ref["district_code"], ref["district_name"], strict=True)),
        dict(zip(ref["town_code"], ref["town_name"], strict=True)),
    )


def _scope(db: str, principal: Principal) -> Scope:
    """What this session may read: the principal's grant, within the server's ``HEATMAP_SCOPE``.

    ``HEATMAP_SCOPE`` (district codes, comma-separated) limits a whole server, whoever signs in.
    """
    scope = principal.scope(town_districts(db))
    raw = os.environ.get("HEATMAP_SCOPE", "").strip()
    if not raw:
        return scope
    server = tuple(v for v in raw.split(",") if v)
    districts = (
        server if scope.districts is None else tuple(d for d in scope.districts if d in server)
    )
    return Scope(districts, scope.towns)


def _sidebar_filters(
    con: duckdb.DuckDBPyConnection, lang: str, scope: Scope, db: str
) -> tuple[Filters, str]:
    choices, town_ref = _choices(db, scope)
    if not choices.months:
        st.error(t("no_data", lang))
        st.stop()
    if "f_init" not in st.session_state:
        _refuse_out_of_scope(db, scope, lang)
        _seed_widgets(choices, scope)
    side = st.sidebar
    side.header(t("filters", lang))
    months = list(choices.months)
    if side.toggle(t("month_range", lang), key="f_range"):
        start, end = side.select_slider(t("month", lang), options=months, key="f_months")
    else:
        start = end = side.selectbox(t("month", lang), options=months[::-1], key="f_month")
    names = dict(zip(town_ref["district_code"], town_ref["district_name"], strict=False))
    town_names = dict(zip(town_ref["town_code"], town_ref["town_name"], strict=True))
    districts = side.multiselect(
        t("district", lang), options=list(choices.districts), key="f_districts",
        format_func=lambda c: names.get(c, c), placeholder=t("all", lang),
    )  # fmt: skip
    town_options = [c for c, d in choices.towns.items() if not districts or d in districts]
    st.session_state["f_towns"] = [
        c for c in st.session_state.get("f_towns", []) if c in town_options
    ]
    towns = side.multiselect(
        t("town", lang), options=town_options, key="f_towns",
        format_func=lambda c: f"{town_names.get(c, c)}（{names.get(choices.towns[c], '')}）",
        placeholder=t("all", lang),
    )  # fmt: skip
    tax = _taxonomy()

    def label(v: str | None) -> str:
        return t("all", lang) if v is None else tax.display(v, lang)

    theme = side.selectbox(
        t("theme", lang),
        options=[None, *choices.themes],
        key="f_theme",
        format_func=label,
        placeholder=t("all", lang),
    )
    problem_options = [
        None,
        *[p for p, th in choices.problems.items() if theme is None or th == theme],
    ]
    if st.session_state.get("f_problem") not in problem_options:
        st.session_state["f_problem"] = None
    problem = side.selectbox(
        t("problem", lang),
        options=problem_options,
        key="f_problem",
        format_func=label,
        placeholder=t("all", lang),
    )
    measure = side.radio(
        t("volume_measure", lang), options=["dispatched", "accepted"], key="f_measure", horizontal=True,
        format_func=lambda v: t(f"measure_{v}", lang),
    )  # fmt: skip
    filters = Filters(str(start), str(end), tuple(districts), tuple(towns), theme, problem)
    _write_url(filters, lang, measure)
    return filters, str(measure)


def _refuse_out_of_scope(db: str, scope: Scope, lang: str) -> None:
    """A link naming districts or towns outside the scope: a refusal on the page, in the audit trail.

    The view then opens within the scope (the codes are dropped by :func:`_seed_widgets`).
    """
    if scope.is_city:
        return
    params = {k: str(st.query_params.get(k) or "") for k in st.query_params}
    split = lambda v: [c for c in v.split(",") if c]  # noqa: E731
    towns = town_districts(db)
    refused = scope.refused(
        split(params.get("d", "")),
        split(params.get("t", "")) + split(params.get("town", "")),
        towns,
    )
    known = [c for c in refused if c in towns or c in towns.values()]
    if not known:
        return
    for key in ("d", "t", "town"):  # refused once, not reported again as an invalid filter
        if key in st.query_params:
            kept = [c for c in split(str(st.query_params[key])) if c not in known]
            if kept:
                st.query_params[key] = ",".join(kept)
            else:
                del st.query_params[key]
    auth.log("scope_refused", target="、".join(known), scope=scope.label(), outcome="refused",
             detail="?" + "&".join(f"{k}={v}" for k, v in params.items()))  # fmt: skip
    st.error(t("scope_refused", lang, codes="、".join(known)))


def _seed_widgets(choices: Any, scope: Scope) -> None:
    """First run of a session: widgets start from the URL (a copied link reopens the same view).

    With no district or town in the link, an account limited to districts or towns starts on
    its own (its titles then name them, not 北京市).
    """
    params = {k: str(st.query_params.get(k) or "") for k in st.query_params}
    filters, dropped = from_query_params(params, choices)
    districts, towns = list(filters.districts), list(filters.towns)
    if not districts and not towns and not scope.is_city:
        districts = [d for d in scope.districts or () if d in choices.districts]
        towns = [c for c in scope.towns or () if c in choices.towns]
    st.session_state.update(
        f_init=True,
        f_range=filters.is_range,
        f_month=filters.month_to,
        f_months=(filters.month_from, filters.month_to),
        f_districts=districts,
        f_towns=towns,
        f_theme=filters.theme,
        f_problem=filters.problem,
        f_measure="accepted" if params.get("measure") == "accepted" else "dispatched",
        f_dropped=dropped,
    )


def _write_url(filters: Filters, lang: str, measure: str) -> None:
    wanted = to_query_params(filters)
    if lang == "en":
        wanted["lang"] = "en"
    if measure != "dispatched":
        wanted["measure"] = measure
    for key in ("town", "metric", "present"):
        if key in st.query_params:
            wanted[key] = st.query_params[key]
    if {k: st.query_params.get(k) for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)


def _provenance(meta: dict[str, Any], boundaries: BoundarySet, lang: str) -> None:
    side = st.sidebar
    side.divider()
    if meta.get("synthetic"):
        side.warning(t("demo_note", lang), icon=":material/warning:")  # bundled icon font: no emoji font needed
    if boundaries.approximate:
        side.caption(f"{boundaries.notice(lang)}：{boundaries.title(lang)}")
    side.caption(f"{t('vintage', lang)}：{meta.get('vintage', '—')}")
    if dropped := st.session_state.get("f_dropped"):
        # the values come from the link: plain text (st.text), never Markdown (no link, no image)
        st.warning(t("dropped_params_plain", lang, n=len(dropped)))
        st.text("\n".join(v[:200] for v in dropped))
        st.session_state["f_dropped"] = []


def show_error(exc: HeatmapError, lang: str) -> None:
    """A domain error as a Chinese message; the page stops there."""
    st.error(str(exc))
    st.stop()
