"""Local accounts: argon2 password hashes, roles and grants, lockout after repeated failures."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from heatmap.access import audit
from heatmap.access.db import connect
from heatmap.access.roles import Principal, grants, parse_role
from heatmap.errors import AccessError

MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not-a-password-of-anyone")  # equal work for unknown names


@dataclass(frozen=True)
class Lockout:
    """How many failures in a row lock an account, and for how long."""

    failures: int = 5
    minutes: float = 15.0


def add_user(
    store: str | os.PathLike[str],
    name: str,
    password: str,
    *,
    role: str,
    districts: tuple[str, ...] = (),
    towns: tuple[str, ...] = (),
    by: str = "cli",
) -> Principal:
    """Create an account; refuses a taken name, a weak password or a role without its grant."""
    principal = Principal(_check_name(name), parse_role(role), grants(districts), grants(towns))
    _check_password(password)
    now = time.time()
    with connect(store) as con:
        if con.execute("SELECT 1 FROM accounts WHERE name = ?", [name]).fetchone():
            raise AccessError(f"账号 {name!r} 已存在（用 users set-role 修改角色）")
        con.execute(
            "INSERT INTO accounts (name, role, districts, towns, password_hash, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, principal.role, ",".join(principal.districts), ",".join(principal.towns),
             _HASHER.hash(password), now, now],
        )  # fmt: skip
        audit.record_in(con, by, "user_add", target=name, detail=principal.describe())
    return principal


def set_role(
    store: str | os.PathLike[str],
    name: str,
    *,
    role: str,
    districts: tuple[str, ...] = (),
    towns: tuple[str, ...] = (),
    by: str = "cli",
) -> Principal:
    """Change an account's role and grants."""
    principal = Principal(name, parse_role(role), grants(districts), grants(towns))
    with connect(store) as con:
        _row(con, name)
        con.execute(
            "UPDATE accounts SET role = ?, districts = ?, towns = ?, updated_at = ? WHERE name = ?",
            [principal.role, ",".join(principal.districts), ",".join(principal.towns),
             time.time(), name],
        )  # fmt: skip
        audit.record_in(con, by, "user_set_role", target=name, detail=principal.describe())
    return principal


def set_disabled(
    store: str | os.PathLike[str], name: str, *, disabled: bool = True, by: str = "cli"
) -> None:
    """Disable (or enable again) an account; a disabled account cannot sign in."""
    with connect(store) as con:
        _row(con, name)
        con.execute(
            "UPDATE accounts SET disabled = ?, failures = 0, locked_until = 0, updated_at = ?"
            " WHERE name = ?",
            [int(disabled), time.time(), name],
        )
        audit.record_in(con, by, "user_disable" if disabled else "user_enable", target=name)


def set_password(
    store: str | os.PathLike[str], name: str, password: str, *, by: str = "cli"
) -> None:
    """Replace an account's password (and lift a lockout)."""
    _check_password(password)
    with connect(store) as con:
        _row(con, name)
        con.execute(
            "UPDATE accounts SET password_hash = ?, failures = 0, locked_until = 0, updated_at = ?"
            " WHERE name = ?",
            [_HASHER.hash(password), time.time(), name],
        )
        audit.record_in(con, by, "user_password", target=name)


def list_users(store: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every account without its hash: name, role, grants, disabled, locked, failures."""
    now = time.time()
    with connect(store) as con:
        rows = con.execute(
            "SELECT name, role, districts, towns, disabled, failures, locked_until, updated_at"
            " FROM accounts ORDER BY name"
        ).fetchall()
    return [
        {"name": r[0], "role": r[1], "districts": r[2], "towns": r[3], "disabled": bool(r[4]),
         "failures": r[5], "locked": r[6] > now, "updated_at": r[7]}
        for r in rows
    ]  # fmt: skip


def has_users(store: str | os.PathLike[str]) -> bool:
    with connect(store, read=True) as con:
        return con.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None


def sign_in(
    store: str | os.PathLike[str],
    name: str,
    password: str,
    *,
    lockout: Lockout = Lockout(),
    now: float | None = None,
) -> Principal:
    """The account's principal when ``password`` is right; every outcome goes to the audit trail.

    Refusals do not tell an unknown name from a wrong password. ``lockout.failures`` wrong
    passwords in a row lock the account for ``lockout.minutes``, even for the right password.
    """
    now = time.time() if now is None else now
    # The hash is checked before the write transaction: argon2 takes a noticeable time, and with
    # several server processes signing people in at once, holding the access file's write lock
    # through it made others wait past the busy timeout ("database is locked").
    with connect(store, read=True) as con:
        seen = con.execute("SELECT password_hash FROM accounts WHERE name = ?", [name]).fetchone()
    checked = (seen[0], _verify(seen[0], password)) if seen else (None, _verify(_DUMMY_HASH, password))
    with connect(store) as con:  # the refusal is raised after the commit, so it is counted
        principal, refusal = _check_sign_in(con, name, password, lockout, now, checked=checked)
    if refusal is not None:
        raise AccessError(refusal)
    assert principal is not None
    return principal


def _check_sign_in(
    con: Any, name: str, password: str, lockout: Lockout, now: float,
    *, checked: tuple[str | None, bool],
) -> tuple[Principal | None, str | None]:  # fmt: skip
    row = con.execute(
        "SELECT role, districts, towns, password_hash, disabled, failures, locked_until"
        " FROM accounts WHERE name = ?",
        [name],
    ).fetchone()
    if row is None:  # (the dummy hash was verified before: the same time as a known name)
        return None, _unknown_name(con, name, lockout, now)
    role, districts, towns, hashed, disabled, failures, locked_until = row
    if locked_until > now:
        audit.record_in(con, name, "sign_in", role=role, outcome="refused", detail="locked")
        return None, _locked(locked_until, now)
    verified = checked[1] if checked[0] == hashed else _verify(hashed, password)  # changed since
    if not verified:
        failures += 1
        locked = failures >= lockout.failures
        con.execute(
            "UPDATE accounts SET failures = ?, locked_until = ? WHERE name = ?",
            [0 if locked else failures, now + lockout.minutes * 60 if locked else 0, name],
        )
        audit.record_in(
            con, name, "sign_in", role=role, outcome="refused",
            detail=f"wrong password ({failures})" + ("; locked" if locked else "")
            + ("; disabled" if disabled else ""),
        )  # fmt: skip
        return None, _locks(lockout) if locked else _WRONG
    if disabled:  # said only to whom knows the password: a name alone reveals nothing
        audit.record_in(con, name, "sign_in", role=role, outcome="refused", detail="disabled")
        return None, "账号已停用，请联系数据管理员"
    con.execute("UPDATE accounts SET failures = 0, locked_until = 0 WHERE name = ?", [name])
    principal = Principal(name, role, grants([districts]), grants([towns]), source="local")
    audit.record_in(con, name, "sign_in", role=role, scope=principal.grant)
    return principal, None


_WRONG = "账号或密码错误"
#: Failures of unknown names are forgotten after a day without one.
_UNKNOWN_KEPT_S = 24 * 3600


def _locked(until: float, now: float) -> str:
    return f"连续登录失败次数过多，账号已锁定，请 {max(1, round((until - now) / 60))} 分钟后再试"


def _locks(lockout: Lockout) -> str:
    return f"连续 {lockout.failures} 次密码错误，账号已锁定 {lockout.minutes:g} 分钟"


def _unknown_name(con: Any, name: str, lockout: Lockout, now: float) -> str:
    """A name with no account is refused exactly as an account with a wrong password: the same
    hashing work (:func:`sign_in` verified a dummy hash before the transaction, as it verifies a
    real one), the same messages, and the same lockout after ``lockout.failures`` tries (counted
    in ``unknown_names``), so neither the text nor the lock tells the two apart."""
    con.execute("DELETE FROM unknown_names WHERE updated_at < ?", [now - _UNKNOWN_KEPT_S])
    key = name[:64]
    row = con.execute(
        "SELECT failures, locked_until FROM unknown_names WHERE name = ?", [key]
    ).fetchone()
    failures, locked_until = row if row is not None else (0, 0.0)
    if locked_until > now:
        audit.record_in(con, name, "sign_in", outcome="refused", detail="unknown account; locked")
        return _locked(locked_until, now)
    failures += 1
    locked = failures >= lockout.failures
    con.execute(
        "INSERT INTO unknown_names (name, failures, locked_until, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET failures = excluded.failures,"
        " locked_until = excluded.locked_until, updated_at = excluded.updated_at",
        [key, 0 if locked else failures, now + lockout.minutes * 60 if locked else 0, now],
    )
    audit.record_in(
        con, name, "sign_in", outcome="refused",
        detail=f"unknown account ({failures})" + ("; locked" if locked else ""),
    )  # fmt: skip
    return _locks(lockout) if locked else _WRONG


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _row(con: Any, name: str) -> Any:
    row = con.execute("SELECT name FROM accounts WHERE name = ?", [name]).fetchone()
    if row is None:
        raise AccessError(f"账号 {name!r} 不存在（python -m heatmap users list 查看全部账号）")
    return row


def _check_name(name: str) -> str:
    ok = 0 < len(name) <= 64 and all(c.isalnum() or c in "._-@" for c in name)
    if not ok:
        raise AccessError(f"账号名应为 1–64 个字母、数字或 . _ - @，收到 {name!r}")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"密码至少 {MIN_PASSWORD} 个字符（收到 {len(password)} 个）")
    if password.strip() != password or "\n" in password:
        raise AccessError("密码首尾不能有空白或换行")
