"""The access file's protections: mode 0600, the audit hash chain and its verification, and
sign-in refusals that do not tell an unknown name from an account."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from heatmap import cli
from heatmap.access import accounts, audit
from heatmap.access.db import access_path, connect
from heatmap.errors import AccessError
from heatmap.supervision import db as work_db

PASSWORD = "correct-horse-9"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    db = tmp_path / "real.duckdb"
    accounts.add_user(db, "chaoyang", PASSWORD, role="district", districts=("110105",))
    for i in range(4):
        audit.record(db, "chaoyang", "export", role="district", target=f"t{i}.csv")
    return db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_access_file_and_its_wal_are_private(store: Path) -> None:
    assert _mode(access_path(store)) == 0o600
    wal = Path(f"{access_path(store)}-wal")
    assert not wal.exists() or _mode(wal) == 0o600


def test_an_existing_world_readable_access_file_is_narrowed(store: Path) -> None:
    os.chmod(access_path(store), 0o644)
    audit.record(store, "x", "export")
    assert _mode(access_path(store)) == 0o600


def test_the_workbench_sqlite_file_is_private(tmp_path: Path) -> None:
    where = work_db.locate(tmp_path / "real.duckdb", env={})
    with work_db.transaction(where):
        pass
    assert _mode(Path(where.target)) == 0o600
    assert where.label() == "SQLite（real.work.sqlite）" and str(tmp_path) not in where.label()


def test_an_intact_chain_verifies(store: Path) -> None:
    found = audit.verify(store)
    assert found.ok and found.rows == 5 and len(found.head) == 64


def _tamper(store: Path, *sql: str) -> None:
    con = sqlite3.connect(access_path(store))
    con.execute("DROP TRIGGER audit_no_update")
    con.execute("DROP TRIGGER audit_no_delete")
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        (["DELETE FROM audit WHERE id = 3"], "第 3–3 条记录缺失"),
        (["DELETE FROM audit WHERE id = 5"], "最后 1 条记录缺失"),
        (["UPDATE audit SET target = 'nothing.csv' WHERE id = 2"], "第 2 条记录的内容与其哈希不符"),
        (["UPDATE audit SET user = 'admin' WHERE id = 4"], "第 4 条记录的内容与其哈希不符"),
        (
            ["INSERT INTO audit (id, at, user, action, prev_hash, hash) VALUES"
             " (6, 1.0, 'ghost', 'export', 'x', 'y')"],
            "第 6 条记录的前一条哈希不符",
        ),
        (
            ["DELETE FROM audit WHERE id = 3",
             "UPDATE audit SET id = id - 1 WHERE id > 3",
             "UPDATE sqlite_sequence SET seq = 4 WHERE name = 'audit'"],
            "第 3 条记录的前一条哈希不符",
        ),
    ],
)  # fmt: skip
def test_a_deleted_altered_or_forged_row_breaks_the_chain(
    store: Path, sql: list[str], found: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(store, *sql)
    result = audit.verify(store)
    assert not result.ok and any(found in p for p in result.problems), result.problems
    assert cli.main(["audit", "verify", "--db", str(store)]) == 1
    assert "哈希链已断开" in capsys.readouterr().out


def test_the_command_says_intact_and_reads_the_access_file_too(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "verify", "--db", str(access_path(store))]) == 0
    assert "审计记录 5 条" in capsys.readouterr().out


def test_a_file_from_before_the_chain_is_migrated_once(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = sqlite3.connect(access_path(db))
    con.executescript(
        "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,"
        " user TEXT NOT NULL, role TEXT NOT NULL DEFAULT '', action TEXT NOT NULL,"
        " target TEXT NOT NULL DEFAULT '', scope TEXT NOT NULL DEFAULT '',"
        " outcome TEXT NOT NULL DEFAULT 'ok', detail TEXT NOT NULL DEFAULT '');"
        "INSERT INTO audit (at, user, action) VALUES (1.5, 'a', 'export'), (2.5, 'b', 'sign_in');"
    )
    con.commit()
    con.close()
    with pytest.raises(AccessError, match="尚未链式签名"):
        audit.verify(db)
    audit.record(db, "c", "export")
    found = audit.verify(db)
    assert found.ok and found.rows == 3
    with connect(db) as live, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        live.execute("UPDATE audit SET user = 'z'")


# -- the same answer for a name without an account ------------------------------------------


def _answers(store: Path, name: str) -> list[str]:
    lock = accounts.Lockout(failures=5, minutes=15)
    out = []
    for _ in range(6):
        try:
            accounts.sign_in(store, name, "guess-guess-1", lockout=lock, now=1000.0)
        except AccessError as exc:
            out.append(str(exc))
    return out


def test_an_unknown_name_is_locked_out_exactly_like_an_account(store: Path) -> None:
    known, unknown = _answers(store, "chaoyang"), _answers(store, "nobody")
    assert known == unknown
    assert known[-2:] == [
        "连续 5 次密码错误，账号已锁定 15 分钟",
        "连续登录失败次数过多，账号已锁定，请 15 分钟后再试",
    ]


def test_a_disabled_account_says_so_only_to_the_right_password(store: Path) -> None:
    accounts.set_disabled(store, "chaoyang")
    with pytest.raises(AccessError, match="^账号或密码错误$"):
        accounts.sign_in(store, "chaoyang", "wrong-password-1")
    with pytest.raises(AccessError, match="账号已停用"):
        accounts.sign_in(store, "chaoyang", PASSWORD)
