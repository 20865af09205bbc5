"""The principal of a person signed in through the organisation's OpenID Connect provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heatmap.access.roles import Principal, grants, parse_role
from heatmap.errors import AccessError


def principal_from_claims(claims: Mapping[str, Any], settings: Mapping[str, Any]) -> Principal:
    """Role, districts and towns from the configured claims; refuses a person without a role.

    A claim may be a string (``"110105"``, ``"110105,110106"``) or a list; the role may be given
    as ``district`` or ``区级``.
    """
    name = str(
        claims.get(settings["oidc_name_claim"]) or claims.get("email") or claims.get("sub") or ""
    )
    if not name:
        raise AccessError("单点登录未返回用户标识（sub），无法登录")
    raw_role = claims.get(settings["oidc_role_claim"])
    if isinstance(raw_role, list | tuple):
        raw_role = raw_role[0] if raw_role else None
    if not raw_role:
        raise AccessError(
            f"账号 {name} 在单点登录中未分配本系统角色（声明 {settings['oidc_role_claim']}），"
            "请联系管理员"
        )
    return Principal(
        name,
        parse_role(str(raw_role)),
        grants(_as_list(claims.get(settings["oidc_districts_claim"]))),
        grants(_as_list(claims.get(settings["oidc_towns_claim"]))),
        source="oidc",
    )


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]
