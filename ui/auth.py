"""Sign-in before any page: local accounts or single sign-on, session expiry, sign-out, the scope.

:func:`gate` runs in ``app.py`` before the page list is built. It decides how people sign in
(:func:`heatmap.access.policy.sign_in_mode`), shows the sign-in form when nobody is signed in and
stops the script there, and otherwise keeps the :class:`~heatmap.access.roles.Principal` in the
session. Pages read it through :func:`current`; the shared frame turns it into the scope every
query applies, and :func:`require` refuses an action the role does not hold.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from heatmap import paths
from heatmap.access import accounts, audit, oidc, policy
from heatmap.access.roles import Principal
from heatmap.errors import AccessError, HeatmapError
from heatmap.i18n import t

KEY = "auth_session"
NEXT_PAGE = "auth_next_page"  # the page a link asked for before the sign-in screen took over
SCOPE_KEY = "auth_scope_label"  # the scope of this session's view, set by the shared frame
DEMO = Principal("demo", "admin", source="demo")


@dataclass(frozen=True)
class Session:
    """A signed-in session: who, how, when it began and when it was last used."""

    principal: Principal
    began: float
    seen: float


def gate(lang: str, *, router: bool = False) -> Principal:
    """The signed-in person (or the demo visitor); renders the sign-in screen and stops otherwise."""
    _router_mode(rerun=not router)
    store = store_of_session()
    try:
        settings = policy.load(store)
        mode = policy.sign_in_mode(
            settings, synthetic=_synthetic(store), oidc_configured=oidc_configured()
        )
    except HeatmapError as exc:
        st.error(t("auth_config_error", lang, error=exc))
        st.stop()
    st.session_state["auth_mode"] = mode
    st.session_state["auth_settings"] = settings
    if mode == "oidc":
        return _oidc_session(store, settings, lang, router)
    session = _live_session(store, settings, lang)
    if session is not None:
        return session.principal
    if mode == "off":
        return DEMO
    if router and NEXT_PAGE not in st.session_state:
        st.session_state[NEXT_PAGE] = _requested_page()
    _sign_in_form(store, settings, lang)
    if router:
        _no_page_list()
    st.stop()


def _requested_page() -> str | None:
    """The page part of the URL the visitor opened (``ranking`` for ``…/ranking?d=110105``)."""
    from urllib.parse import urlparse

    url = st.context.url or ""
    name = urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]
    return name if re.fullmatch(r"[a-z_]{1,40}", name) else None


def page_after_sign_in(pages: list[Any], current: Any) -> Any | None:
    """The page a shared link asked for, once, right after signing in: among ``pages`` (the
    signed-in role's list; a page the role may not open is not offered) and not ``current``."""
    wanted = st.session_state.pop(NEXT_PAGE, None)
    if KEY not in st.session_state or not wanted:
        return None
    target = next((p for p in pages if p.url_path == wanted), None)
    return None if target is None or target.url_path == current.url_path else target


#: Pages only some roles list (url path -> the right they need); opened by URL they are refused.
_RIGHT_PAGES = {"data": "import", "audit": "audit"}


def refuse_unlisted_page(pages: list[Any], lang: str) -> None:
    """A page of :data:`_RIGHT_PAGES` asked for by URL by a role whose list lacks it: the router
    opens the default page instead (Streamlit's "page not found"); this says why and logs it,
    once per session and page. Asked for: the page of this run's request, or the page of the
    link opened before signing in (a URL typed in the address bar opens a new session, so it is
    asked for at the sign-in screen)."""
    wanted = _intended_page() or st.session_state.get(NEXT_PAGE)
    right = _RIGHT_PAGES.get(wanted or "")
    if right is None or any(p.url_path == wanted for p in pages):
        return
    marker = f"auth_refused_page_{wanted}"
    if st.session_state.get(marker):
        return
    st.session_state[marker] = True
    try:
        current().require(right)
    except AccessError as exc:
        log("role_refused", target=f"/{wanted}", outcome="refused", detail=f"opened by URL: {exc}")
        st.error(t("auth_refused", lang, error=exc))


def _intended_page() -> str | None:
    """The page name (url path) the browser asked this run for, if any."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    name = ctx.pages_manager.intended_page_name if ctx is not None else None
    return str(name) if name else None


def _router_mode(*, rerun: bool) -> None:
    """Leave Streamlit's pages-folder mode, in which a URL runs ``pages/x.py`` without ``app.py``.

    Streamlit starts in that mode when a ``pages/`` folder exists and switches to the router's
    page list only once some session has run ``app.py`` (``st.navigation``). Until then, the first
    visitor of a page's URL would get the folder's file list and bypass the router; the page's own
    gate still guards the data, and this switches the server to the router and reruns.
    """
    from streamlit.runtime.pages_manager import PagesManager  # not public API: checked by tests

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if rerun:  # a page's script ran without the router: run the router instead
            st.rerun()


def _no_page_list() -> None:
    """Before sign-in the sidebar shows no page list, not even the pages' names.

    Hidden by style rather than by an empty ``st.navigation``: a page list of its own would give
    the sign-in form's widgets another identity on the next run, and the submitted form be lost.
    """
    st.html("<style>[data-testid='stSidebarNav'], [data-testid='stSidebarNavSeparator'] "
            "{ display: none !important; }</style>")  # fmt: skip


def current() -> Principal:
    """The principal of this session (the demo visitor when sign-in is off)."""
    session = st.session_state.get(KEY)
    return session.principal if isinstance(session, Session) else DEMO


def store_of_session() -> str:
    """The store a signed-in session reads: always the configured one (no store picker)."""
    return str(paths.db_path())


def require(right: str, lang: str) -> Principal:
    """The principal, if its role holds ``right``; else a refusal on the page (logged) and stop."""
    principal = current()
    try:
        principal.require(right)
    except AccessError as exc:
        log("role_refused", target=right, detail=str(exc))
        st.error(t("auth_refused", lang, error=exc))
        st.stop()
    return principal


def log(
    action: str, *, target: str = "", scope: str = "", outcome: str = "ok", detail: str = ""
) -> None:
    """Append an event by the current principal to the audit trail of the configured store."""
    principal = current()
    audit.record(
        store_of_session(), principal.name, action, role=principal.role, target=target,
        scope=scope or str(st.session_state.get(SCOPE_KEY, "")), outcome=outcome, detail=detail,
    )  # fmt: skip


def logged_download(
    build: Callable[[], bytes], *, target: str, detail: str = ""
) -> Callable[[], bytes]:
    """``data`` for ``st.download_button``: the file is made when the button is clicked (Streamlit
    runs the callable then, in another thread, and only then puts the file under ``/media/``),
    and every click is logged as an export by this session's principal and scope.

    Use with ``on_click="ignore"``: the click needs no rerun. The principal, store and scope
    are taken now, at render: the callable runs outside the script, without the session.
    """
    principal, store = current(), store_of_session()
    scope = str(st.session_state.get(SCOPE_KEY, ""))
    settings = st.session_state.get("auth_settings") or {}
    expire = float(settings.get("download_expire_seconds", 30.0))

    def made() -> bytes:
        data = build()
        audit.record(store, principal.name, "export", role=principal.role, target=target,
                     scope=scope, detail=detail)  # fmt: skip
        _expire_downloads(expire)
        return data

    return made


def _expire_downloads(after: float) -> None:
    """Drop the file a click just made from ``/media/`` (served there without any cookie check)
    within ``after`` to ``2 × after`` seconds, instead of whenever two more scripts run on the
    server: two sweeps of Streamlit's media cleanup, ``after`` seconds apart (the first marks
    the files no session shows, the second deletes those still unshown — what Streamlit does
    after every script run). Not public API (checked by the browser test)."""
    import threading

    def sweep() -> None:
        from streamlit import runtime

        if runtime.exists():
            runtime.get_instance().media_file_mgr.remove_orphaned_files()

    for delay in (after, 2 * after):
        timer = threading.Timer(delay, sweep)
        timer.daemon = True
        timer.start()


def sidebar(lang: str) -> None:
    """Who is signed in, and the sign-out button (or the demo / no-sign-in notice)."""
    mode = st.session_state.get("auth_mode", "off")
    principal = current()
    side = st.sidebar
    if principal.source == "demo":
        if _synthetic(store_of_session()):
            side.info(t("auth_demo_mode", lang), icon=":material/lock_open:")
        else:  # a real store served without sign-in: said in red on every page
            side.error(t("auth_off_real", lang), icon=":material/lock_open:")
        if mode == "off" and accounts.has_users(store_of_session()):
            with side.popover(t("auth_sign_in", lang)):
                _sign_in_form(
                    store_of_session(),
                    st.session_state.get("auth_settings") or policy.load(None),
                    lang,
                    compact=True,
                )
        return
    side.caption(t("auth_signed_in_as", lang, who=principal.describe(lang)))
    side.button(t("auth_sign_out", lang), key="auth_sign_out", on_click=_sign_out)


def oidc_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` holds an ``[auth]`` section for ``st.login``."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):  # no secrets file
        return False
    except Exception:  # noqa: BLE001 - a malformed secrets file must not open the app unguarded
        return False


def _synthetic(store: str) -> bool:
    """The demo store (built here from a seed) or another store marked synthetic."""
    path = Path(store)
    if path.resolve() == paths.DEFAULT_DB.resolve() or os.environ.get("HEATMAP_BUILD_DEMO"):
        return True  # the demo store, or a demo built here on first run
    if not path.exists():
        return False
    from ui.frame import store_meta  # the frame's cached read-only connection

    try:
        return bool(store_meta(store).get("synthetic"))
    except HeatmapError:
        return False


def _live_session(store: str, settings: dict[str, Any], lang: str) -> Session | None:
    """The session's sign-in if it has not expired (idle or too old); an expired one is logged."""
    session = st.session_state.get(KEY)
    if not isinstance(session, Session):
        return None
    now = time.time()
    idle = now - session.seen > float(settings["session_idle_minutes"]) * 60
    old = now - session.began > float(settings["session_max_hours"]) * 3600
    if idle or old:
        audit.record(store, session.principal.name, "session_expired", role=session.principal.role,
                     detail="idle" if idle else "max age")  # fmt: skip
        del st.session_state[KEY]
        st.session_state["auth_notice"] = t("auth_expired", lang)
        return None
    st.session_state[KEY] = Session(session.principal, session.began, now)
    return st.session_state[KEY]


def _sign_in_form(
    store: str, settings: dict[str, Any], lang: str, *, compact: bool = False
) -> None:
    if not compact:
        from ui.frame import language_toggle  # the sign-in screen has the language switch too

        lang = language_toggle()
        st.title(t("app_title", lang))
        st.subheader(t("auth_title", lang))
        st.caption(t("auth_help", lang))
    if notice := st.session_state.pop("auth_notice", None):
        st.warning(notice)
    with st.form("auth_form" + ("_compact" if compact else ""), clear_on_submit=False):
        name = st.text_input(t("auth_name", lang), max_chars=64)
        password = st.text_input(t("auth_password", lang), type="password", max_chars=256)
        submitted = st.form_submit_button(t("auth_sign_in", lang), type="primary")
    if not submitted:
        return
    lockout = accounts.Lockout(
        int(settings["lockout_failures"]), float(settings["lockout_minutes"])
    )
    try:
        principal = accounts.sign_in(store, name.strip(), password, lockout=lockout)
    except AccessError as exc:
        st.error(t("auth_failed", lang, error=exc))
        return
    now = time.time()
    st.session_state[KEY] = Session(principal, now, now)
    for key in [k for k in st.session_state if str(k).startswith("f_")]:
        del st.session_state[key]  # filters start again from the URL, within the new scope
    st.rerun()


def _sso_button(lang: str) -> None:
    from ui.frame import language_toggle

    lang = language_toggle()
    st.title(t("app_title", lang))
    st.subheader(t("auth_title", lang))
    if notice := st.session_state.pop("auth_notice", None):
        st.warning(notice)
    st.button(t("auth_sso", lang), type="primary", on_click=st.login, key="auth_sso")


def _oidc_session(store: str, settings: dict[str, Any], lang: str, router: bool) -> Principal:
    user: Any = st.user
    if not user.is_logged_in:
        _sso_button(lang)
        if router:
            _no_page_list()
        st.stop()
    session = _live_session(store, settings, lang)
    if session is not None:
        return session.principal
    if st.session_state.get("auth_notice"):  # expired: sign out of the provider's cookie too
        st.logout()
    claims = dict(user.to_dict())
    try:
        principal = oidc.principal_from_claims(claims, settings)
    except AccessError as exc:
        audit.record(
            store,
            str(claims.get(settings["oidc_name_claim"]) or claims.get("sub", "?")),
            "sign_in",
            outcome="refused",
            detail=str(exc),
        )
        st.error(t("auth_failed", lang, error=exc))
        st.button(t("auth_sign_out", lang), on_click=st.logout, key="auth_sso_out")
        st.stop()
    audit.record(
        store, principal.name, "sign_in", role=principal.role, scope=principal.grant, detail="oidc"
    )
    now = time.time()
    st.session_state[KEY] = Session(principal, now, now)
    return principal


def _sign_out() -> None:
    session = st.session_state.get(KEY)
    if isinstance(session, Session):
        audit.record(
            store_of_session(), session.principal.name, "sign_out", role=session.principal.role
        )
        del st.session_state[KEY]
        if session.principal.source == "oidc":
            st.logout()
