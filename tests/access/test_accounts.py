"""Local accounts: hashing, grants, lockout, disable, and the audit trail of each outcome."""

from __future__ import annotations

import sqlite3

import pytest

from heatmap.access import accounts, audit
from heatmap.access.db import access_path
from heatmap.errors import AccessError

PASSWORD = "correct-horse-9"


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "real.duckdb"
    accounts.add_user(db, "chaoyang", PASSWORD, role="district", districts=("110105",))
    return db


def test_password_is_stored_as_argon2_hash_never_in_clear(store):
    raw = access_path(store).read_bytes()
    assert PASSWORD.encode() not in raw
    with sqlite3.connect(access_path(store)) as con:
        (hashed,) = con.execute("SELECT password_hash FROM accounts").fetchone()
    assert hashed.startswith("$argon2id$")


def test_sign_in_returns_the_principal_with_its_grant(store):
    p = accounts.sign_in(store, "chaoyang", PASSWORD)
    assert (p.name, p.role, p.districts, p.towns) == ("chaoyang", "district", ("110105",), ())
    assert p.scope({}).districts == ("110105",)


@pytest.mark.parametrize("name", ["chaoyang", "nobody"])
def test_wrong_password_and_unknown_name_get_the_same_message(store, name):
    with pytest.raises(AccessError, match="^账号或密码错误$"):
        accounts.sign_in(store, name, "wrong-password-1")


def test_five_failures_lock_even_the_right_password_then_the_lock_expires(store):
    lock = accounts.Lockout(failures=5, minutes=15)
    for _ in range(4):
        with pytest.raises(AccessError, match="账号或密码错误"):
            accounts.sign_in(store, "chaoyang", "guess-guess-1", lockout=lock, now=1000.0)
    with pytest.raises(AccessError, match="连续 5 次密码错误，账号已锁定 15 分钟"):
        accounts.sign_in(store, "chaoyang", "guess-guess-1", lockout=lock, now=1000.0)
    with pytest.raises(AccessError, match="账号已锁定，请 15 分钟后再试"):
        accounts.sign_in(store, "chaoyang", PASSWORD, lockout=lock, now=1000.0)
    later = 1000.0 + 15 * 60 + 1
    assert accounts.sign_in(store, "chaoyang", PASSWORD, lockout=lock, now=later).name == "chaoyang"
    assert accounts.list_users(store)[0]["failures"] == 0


def test_disabled_account_cannot_sign_in_and_enable_restores_it(store):
    accounts.set_disabled(store, "chaoyang")
    with pytest.raises(AccessError, match="账号已停用"):
        accounts.sign_in(store, "chaoyang", PASSWORD)
    accounts.set_disabled(store, "chaoyang", disabled=False)
    assert accounts.sign_in(store, "chaoyang", PASSWORD).role == "district"


def test_set_role_changes_grant(store):
    accounts.set_role(store, "chaoyang", role="town", towns=("110105001", "110105002"))
    p = accounts.sign_in(store, "chaoyang", PASSWORD)
    assert p.role == "town"
    scope = p.scope({"110105001": "110105", "110105002": "110105", "110101001": "110101"})
    assert (scope.districts, scope.towns) == (("110105",), ("110105001", "110105002"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "x", "password": "short", "role": "city"}, "密码至少 10 个字符"),
        ({"name": "x", "password": " padded-password ", "role": "city"}, "首尾不能有空白"),
        ({"name": "a b", "password": PASSWORD, "role": "city"}, "账号名应为"),
        ({"name": "<script>", "password": PASSWORD, "role": "city"}, "账号名应为"),
        ({"name": "x", "password": PASSWORD, "role": "root"}, "角色应为"),
        ({"name": "x", "password": PASSWORD, "role": "district"}, "未指定所辖区"),
        ({"name": "chaoyang", "password": PASSWORD, "role": "city"}, "已存在"),
    ],
)
def test_add_user_refusals(store, kwargs, message):
    before = accounts.list_users(store)
    with pytest.raises(AccessError, match=message):
        accounts.add_user(store, kwargs.pop("name"), kwargs.pop("password"), **kwargs)
    assert accounts.list_users(store) == before


def test_chinese_role_names_are_accepted(tmp_path):
    p = accounts.add_user(tmp_path / "s.duckdb", "shi", PASSWORD, role="市级")
    assert p.role == "city"


def test_every_outcome_is_in_the_audit_trail(store):
    accounts.sign_in(store, "chaoyang", PASSWORD)
    with pytest.raises(AccessError):
        accounts.sign_in(store, "chaoyang", "wrong-password-1")
    events = audit.read(store)
    assert list(events["action"]) == ["sign_in", "sign_in", "user_add"]
    assert list(events["outcome"]) == ["refused", "ok", "ok"]
    assert PASSWORD not in events.to_string()
    assert "wrong-password-1" not in events.to_string()


def test_audit_trail_is_append_only(store):
    with sqlite3.connect(access_path(store)) as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM audit")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE audit SET user = 'someone-else'")
