"""Access settings: how people sign in, session and lockout limits, what district users see.

Each setting has a default, may be set for a deployment by the environment (``HEATMAP_AUTH``,
``HEATMAP_SESSION_IDLE_MINUTES`` …: the setting's name in capitals after ``HEATMAP_``), and the
policy ones may be changed by a data administrator on the audit page (kept in the access file,
with who and when, and logged). Unknown names are an error.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from heatmap.access import audit
from heatmap.access.db import connect
from heatmap.errors import AccessError


@dataclass(frozen=True)
class AccessSetting:
    name: str
    default: Any
    editable: bool = False  # a data administrator may change it on the audit page


ACCESS_SETTINGS: tuple[AccessSetting, ...] = (
    AccessSetting("auth", "auto"),  # auto | local | oidc | off
    AccessSetting("session_idle_minutes", 30.0, editable=True),
    AccessSetting("session_max_hours", 8.0, editable=True),
    AccessSetting("lockout_failures", 5, editable=True),
    AccessSetting("lockout_minutes", 15.0, editable=True),
    AccessSetting("other_district_names", False, editable=True),
    # a 街乡镇 account sees its own district's totals (which count towns it was not granted)
    AccessSetting("town_sees_district_totals", False, editable=True),
    AccessSetting("upload_max_mb", 500.0, editable=True),
    # a download's file, made on click, is dropped from Streamlit's /media/ within 1–2 × this
    AccessSetting("download_expire_seconds", 30.0),
    AccessSetting("oidc_role_claim", "heatmap_role"),
    AccessSetting("oidc_districts_claim", "heatmap_districts"),
    AccessSetting("oidc_towns_claim", "heatmap_towns"),
    AccessSetting("oidc_name_claim", "preferred_username"),
)
_BY_NAME = {s.name: s for s in ACCESS_SETTINGS}
AUTH_MODES = ("auto", "local", "oidc", "off")


def _typed(setting: AccessSetting, raw: str) -> Any:
    kind = type(setting.default)
    if kind is bool:
        if raw.strip().lower() in ("1", "true", "yes", "on", "是"):
            return True
        if raw.strip().lower() in ("0", "false", "no", "off", "否", ""):
            return False
        raise AccessError(f"设置 {setting.name} 应为 true 或 false，收到 {raw!r}")
    try:
        value = kind(raw)
    except ValueError as exc:
        raise AccessError(f"设置 {setting.name} 应为 {kind.__name__}，收到 {raw!r}") from exc
    if isinstance(value, int | float) and value <= 0:
        raise AccessError(f"设置 {setting.name} 应大于 0，收到 {raw!r}")
    return value


def load(
    store: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Every access setting: default, then the environment, then the administrator's changes."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for s in ACCESS_SETTINGS:
        raw = env.get(f"HEATMAP_{s.name.upper()}")
        values[s.name] = s.default if raw is None else _typed(s, raw)
    if values["auth"] not in AUTH_MODES:
        raise AccessError(f"HEATMAP_AUTH 应为 {' / '.join(AUTH_MODES)}，收到 {values['auth']!r}")
    if store is not None:
        with connect(store, read=True) as con:
            for name, raw in con.execute("SELECT name, value FROM policy").fetchall():
                if name in _BY_NAME and _BY_NAME[name].editable:
                    values[name] = _typed(_BY_NAME[name], raw)
    return values


def change(store: str | os.PathLike[str], name: str, value: Any, *, by: str, role: str) -> None:
    """Set an editable policy value (refused for the others), logged with who changed it."""
    setting = _BY_NAME.get(name)
    if setting is None or not setting.editable:
        editable = ", ".join(s.name for s in ACCESS_SETTINGS if s.editable)
        raise AccessError(f"设置 {name!r} 不能在此修改；可修改：{editable}")
    raw = str(value).lower() if isinstance(value, bool) else str(value)
    _typed(setting, raw)
    with connect(store) as con:
        before = con.execute("SELECT value FROM policy WHERE name = ?", [name]).fetchone()
        con.execute(
            "INSERT INTO policy (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            [name, raw, time.time(), by],
        )
        audit.record_in(
            con, by, "setting_change", role=role, target=name,
            detail=f"{before[0] if before else setting.default} -> {raw}",
        )  # fmt: skip


def sign_in_mode(values: Mapping[str, Any], *, synthetic: bool, oidc_configured: bool) -> str:
    """How people sign in: ``off``, ``local`` or ``oidc``.

    ``auto`` (the default) means: the synthetic demo store needs no sign-in; a real store requires
    it, through the organisation's single sign-on when one is configured, else local accounts.
    """
    mode = str(values["auth"])
    if mode == "oidc" and not oidc_configured:
        raise AccessError(
            "HEATMAP_AUTH=oidc，但 .streamlit/secrets.toml 中没有 [auth] 配置（见 README 的单点登录一节）"
        )
    if mode != "auto":
        return mode
    if synthetic:
        return "off"
    return "oidc" if oidc_configured else "local"
