"""The audit trail: an append-only table of sign-ins, exports, imports, changes and refusals."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from heatmap.access.db import HASHED, access_path, connect, row_hash
from heatmap.access.roles import ROLES
from heatmap.errors import AccessError

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
    # the id is chosen here (the caller's transaction holds the write lock) so the hash covers it
    last = con.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0),"
        " coalesce((SELECT max(id) FROM audit), 0)),"
        " coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '')"
    ).fetchone()
    row = [int(last[0]) + 1, time.time(), user[:200], role, action, target[:500], scope[:500],
           outcome, detail[:2000]]  # fmt: skip
    con.execute(
        "INSERT INTO audit (id, at, user, role, action, target, scope, outcome, detail,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [*row, last[1], row_hash(last[1], row)],
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


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: rows read, the last row's hash, and each break of the chain."""

    rows: int
    head: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(path: str | os.PathLike[str]) -> Verification:
    """Walk the audit trail's hash chain: a deleted, altered or forged row is reported.

    ``path`` is a store (its ``.access.sqlite`` beside it) or the access file itself. The file is
    opened read-only and never migrated. What the chain cannot show: the last rows deleted
    together with the ``sqlite_sequence`` entry, or a whole chain recomputed by someone who can
    write the file; record :attr:`Verification.head` elsewhere (a ticket, a mail) to anchor it.
    """
    file = Path(path)
    if not file.name.endswith(".access.sqlite"):
        file = access_path(file)
    if not file.exists():
        raise AccessError(f"审计文件 {file} 不存在 (no access file; give the store with --db)")
    con = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        columns = {row[1] for row in con.execute("PRAGMA table_info(audit)")}
        if "hash" not in columns:
            raise AccessError(
                f"{file.name} 的审计记录尚未链式签名（旧版文件）；启动一次应用或执行任一 users 命令即迁移"
            )
        rows = con.execute(
            f"SELECT {', '.join(HASHED)}, prev_hash, hash FROM audit ORDER BY id"
        ).fetchall()
        seq = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    finally:
        con.close()
    return _walk(rows, int(seq[0]) if seq else 0)


def _walk(rows: list[tuple[Any, ...]], seq: int) -> Verification:
    problems: list[str] = []
    prev, last_id = "", 0
    for *values, prev_hash, digest in rows:
        rid = int(values[0])
        if rid != last_id + 1:
            problems.append(f"第 {last_id + 1}–{rid - 1} 条记录缺失（已被删除）")
        if prev_hash != prev:
            problems.append(f"第 {rid} 条记录的前一条哈希不符（之前的记录被删除、改动或插入）")
        if row_hash(prev_hash, values) != digest:
            problems.append(f"第 {rid} 条记录的内容与其哈希不符（被改动或伪造）")
        prev, last_id = digest, rid
    if seq > last_id:
        problems.append(f"最后 {seq - last_id} 条记录缺失（第 {last_id + 1}–{seq} 条已被删除）")
    return Verification(len(rows), prev, tuple(problems))
