"""The audit trail: an append-only table of sign-ins, exports, imports, changes and refusals."""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

import pandas as pd

from heatmap.access.db import connect
from heatmap.access.roles import ROLES

#: action -> (Chinese, English) for the audit page and its CSV
ACTIONS: dict[str, tuple[str, str]] = {
    "sign_in": ("登录", "Sign-in"),
    "sign_out": ("退出登录", "Sign-out"),
    "session_expired": ("会话过期", "Session expired"),
    "export": ("导出", "Export"),
    "briefing": ("生成简报", "Briefing"),
    "import": ("导入工单", "Import"),
    "boundary_import": ("导入边界", "Boundary import"),
    "boundary_activate": ("启用边界", "Boundary activation"),
    "alias_add": ("添加别名", "Alias added"),
    "privacy_scan": ("个人信息检查", "Personal-data scan"),
    "privacy_clean": ("遮蔽库中个人信息", "Personal data masked in a store"),
    "setting_change": ("修改设置", "Setting changed"),
    "scope_refused": ("越权访问被拒绝", "Out-of-scope request refused"),
    "role_refused": ("无权操作被拒绝", "Action refused for the role"),
    "upload_refused": ("上传被拒绝", "Upload refused"),
    "work_edit": ("修改督导工作台", "Workbench entry changed"),
    "work_import": ("导入督导清单", "Workbench list imported"),
    "work_conflict": ("督导条目修改冲突", "Workbench edit conflict"),
    "user_add": ("新建账号", "Account added"),
    "user_set_role": ("修改角色", "Role changed"),
    "user_disable": ("停用账号", "Account disabled"),
    "user_enable": ("启用账号", "Account enabled"),
    "user_password": ("重置密码", "Password reset"),
}


#: outcome -> (Chinese, English)
OUTCOMES: dict[str, tuple[str, str]] = {
    "ok": ("成功", "done"),
    "refused": ("拒绝", "refused"),
    "failed": ("失败", "failed"),
}


def record(
    store: str | os.PathLike[str],
    user: str,
    action: str,
    *,
    role: str = "",
    target: str = "",
    scope: str = "",
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """Append one event to the store's audit trail."""
    with connect(store) as con:
        record_in(con, user, action, role=role, target=target, scope=scope, outcome=outcome,
                  detail=detail)  # fmt: skip


def record_in(
    con: sqlite3.Connection,
    user: str,
    action: str,
    *,
    role: str = "",
    target: str = "",
    scope: str = "",
    outcome: str = "ok",
    detail: str = "",
) -> None:
    """:func:`record` inside an open transaction (so the event commits with the change it logs)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    con.execute(
        "INSERT INTO audit (at, user, role, action, target, scope, outcome, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [time.time(), user[:200], role, action, target[:500], scope[:500], outcome, detail[:2000]],
    )


def read(
    store: str | os.PathLike[str],
    *,
    since: float | None = None,
    until: float | None = None,
    actions: tuple[str, ...] = (),
    user: str | None = None,
    limit: int = 50_000,
) -> pd.DataFrame:
    """Events newest first, filtered by time, action and user (all bind parameters)."""
    clauses: list[str] = ["1 = 1"]
    params: list[object] = []
    if since is not None:
        clauses.append("at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("at < ?")
        params.append(until)
    if actions:
        clauses.append(f"action IN ({', '.join('?' for _ in actions)})")
        params += list(actions)
    if user:
        clauses.append("user = ?")
        params.append(user)
    sql = (
        "SELECT id, at, user, role, action, target, scope, outcome, detail FROM audit"
        f" WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?"
    )
    with connect(store) as con:
        rows = con.execute(sql, [*params, int(limit)]).fetchall()
    frame = pd.DataFrame(
        rows, columns=["id", "at", "user", "role", "action", "target", "scope", "outcome", "detail"]
    )
    frame["at"] = pd.to_datetime(frame["at"], unit="s", utc=True).dt.tz_convert("Asia/Shanghai")
    return frame


def table(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The audit frame with readable headers and action names (for the page and its CSV)."""
    i = 0 if lang == "zh" else 1
    out = frame.assign(
        at=frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        action=frame["action"].map(lambda a: ACTIONS.get(a, (a, a))[i]),
        role=frame["role"].map(lambda r: ROLES.get(r, (r, r))[i]),
        outcome=frame["outcome"].map(lambda o: OUTCOMES.get(o, (o, o))[i]),
    )
    headers = _HEADERS[i]
    return out[list(headers)].rename(columns=headers)


_HEADERS: tuple[dict[str, str], dict[str, str]] = (
    {"id": "序号", "at": "时间", "user": "账号", "role": "角色", "action": "事件",
     "target": "对象", "scope": "范围", "outcome": "结果", "detail": "说明"},
    {"id": "No.", "at": "Time", "user": "Account", "role": "Role", "action": "Event",
     "target": "Object", "scope": "Scope", "outcome": "Outcome", "detail": "Detail"},
)  # fmt: skip


def counts(store: str | os.PathLike[str]) -> dict[str, Any]:
    """Number of events per action (for a quick check)."""
    with connect(store) as con:
        return dict(con.execute("SELECT action, count(*) FROM audit GROUP BY action").fetchall())
