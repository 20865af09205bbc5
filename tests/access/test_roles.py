"""Roles, rights and scopes; principals from OpenID Connect claims; the access policy."""

from __future__ import annotations

import pytest

from heatmap.access import policy
from heatmap.access.oidc import principal_from_claims
from heatmap.access.roles import Principal, Scope
from heatmap.errors import AccessError

TOWNS = {"110105001": "110105", "110105002": "110105", "110101001": "110101"}
SETTINGS = policy.load(None, env={})


@pytest.mark.parametrize(
    ("role", "export", "imports", "audit_"),
    [
        ("city", True, False, False),
        ("district", True, False, False),
        ("town", True, False, False),
        ("admin", True, True, True),
        ("viewer", False, False, False),
    ],
)
def test_rights_of_each_role(role, export, imports, audit_):
    p = Principal("u", role, districts=("110105",), towns=("110105001",))
    assert (p.can("export"), p.can("import"), p.can("audit")) == (export, imports, audit_)


def test_require_refuses_in_chinese():
    with pytest.raises(AccessError, match="只读账号无权执行此操作（导出）"):
        Principal("u", "viewer").require("export")


def test_scopes():
    assert Principal("u", "city").scope(TOWNS).is_city
    assert Principal("u", "admin").scope(TOWNS).is_city
    assert Principal("u", "district", districts=("110105",)).scope(TOWNS) == Scope(("110105",))
    town = Principal("u", "town", towns=("110105002",)).scope(TOWNS)
    assert town == Scope(("110105",), ("110105002",))
    assert town.allows(district="110105", town="110105002")
    assert not town.allows(district="110105", town="110105001")
    assert town.refused(["110101"], ["110105001", "110105002"], TOWNS) == ["110101", "110105001"]


def test_oidc_claims_to_principal():
    p = principal_from_claims(
        {"sub": "abc", "preferred_username": "zhang.san", "heatmap_role": "区级",
         "heatmap_districts": ["110105", "110106"]},
        SETTINGS,
    )  # fmt: skip
    assert (p.name, p.role, p.districts, p.source) == (
        "zhang.san", "district", ("110105", "110106"), "oidc"
    )
    comma = principal_from_claims(
        {"sub": "a", "heatmap_role": ["town"], "heatmap_towns": "110105001,110105002"}, SETTINGS
    )
    assert comma.towns == ("110105001", "110105002")


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"sub": "abc"}, "未分配本系统角色"),
        ({"sub": "abc", "heatmap_role": "superuser"}, "角色应为"),
        ({"sub": "abc", "heatmap_role": "district"}, "未指定所辖区"),
        ({"heatmap_role": "city"}, "未返回用户标识"),
    ],
)
def test_oidc_refusals(claims, message):
    with pytest.raises(AccessError, match=message):
        principal_from_claims(claims, SETTINGS)


def test_claim_names_are_configurable():
    settings = policy.load(None, env={"HEATMAP_OIDC_ROLE_CLAIM": "groups"})
    assert principal_from_claims({"sub": "a", "groups": ["city"]}, settings).role == "city"


@pytest.mark.parametrize(
    ("auth", "synthetic", "oidc", "mode"),
    [
        ("auto", True, False, "off"),
        ("auto", False, False, "local"),
        ("auto", False, True, "oidc"),
        ("local", True, False, "local"),
        ("off", False, False, "off"),
    ],
)
def test_sign_in_mode(auth, synthetic, oidc, mode):
    values = policy.load(None, env={"HEATMAP_AUTH": auth})
    assert policy.sign_in_mode(values, synthetic=synthetic, oidc_configured=oidc) == mode


def test_oidc_mode_without_configuration_is_an_error():
    values = policy.load(None, env={"HEATMAP_AUTH": "oidc"})
    with pytest.raises(AccessError, match=r"secrets.toml 中没有 \[auth\]"):
        policy.sign_in_mode(values, synthetic=False, oidc_configured=False)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HEATMAP_AUTH": "none"}, "HEATMAP_AUTH 应为"),
        ({"HEATMAP_LOCKOUT_FAILURES": "many"}, "应为 int"),
        ({"HEATMAP_SESSION_IDLE_MINUTES": "-5"}, "应大于 0"),
        ({"HEATMAP_OTHER_DISTRICT_NAMES": "maybe"}, "应为 true 或 false"),
    ],
)
def test_bad_environment_values_are_refused(env, message):
    with pytest.raises(AccessError, match=message):
        policy.load(None, env=env)


def test_policy_change_is_kept_logged_and_limited(tmp_path):
    from heatmap.access import audit

    db = tmp_path / "real.duckdb"
    policy.change(db, "other_district_names", True, by="admin1", role="admin")
    assert policy.load(db, env={})["other_district_names"] is True
    with pytest.raises(AccessError, match="不能在此修改"):
        policy.change(db, "auth", "off", by="admin1", role="admin")
    events = audit.read(db)
    assert events[["user", "action", "target", "detail"]].values.tolist() == [
        ["admin1", "setting_change", "other_district_names", "False -> true"]
    ]
