"""Single sign-on end to end: a local OpenID Connect provider on loopback (oidc-provider-mock), the app
with ``st.login``, and headless Chromium: the role and districts come from the provider's claims, a person
without a role is refused, and sign-out ends the session. Nothing is mocked inside the app."""

from __future__ import annotations

import json
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from browser_server import free_port as _free_port
from browser_server import streamlit_app
from test_browser import CHROMIUM, CHROMIUM_ARGS

from heatmap.access import audit
from heatmap.intake.demo import build_demo

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
ROOT = Path(__file__).resolve().parents[1]
HOST = "localhost"  # the same host in redirect_uri and in the browser, or the callback loses its cookie

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(port=0) as server:
        yield f"http://{HOST}:{server.server_port}"


def _put_user(provider: str, sub: str, claims: dict) -> None:
    request = urllib.request.Request(
        f"{provider}/users/{quote(sub, safe='')}", data=json.dumps(claims).encode(), method="PUT",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 204


@pytest.fixture(scope="module")
def sso_app(
    provider: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, dict]]:
    work = tmp_path_factory.mktemp("oidc")
    db = work / "real.duckdb"
    build_demo(db, scale=0.003, seed=5)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT DISTINCT district_code, district_name FROM towns ORDER BY 1"
    ).fetchall()
    con.close()
    port = _free_port()
    secrets_file = work / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://{HOST}:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "heatmap-test"\nclient_secret = "heatmap-test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {"HEATMAP_DB": str(db), "HEATMAP_AUTH": "oidc", "STREAMLIT_SECRETS_FILES": str(secrets_file)}
    with streamlit_app(env, port=port, log=work / "streamlit.log"):
        yield f"http://{HOST}:{port}", db, dict(rows)


def _sign_in(page, app: str, provider: str, sub: str, path: str = "/") -> None:
    page.goto(f"{app}{path}")
    page.get_by_role("button", name="使用单位统一身份认证登录").click()
    page.wait_for_url(f"{provider}/oauth2/authorize**")
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app}/**")


def test_sso_district_claims_scope_the_view_and_sign_out(provider, sso_app, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    app, db, districts = sso_app
    codes = sorted(districts)
    own, other = codes[0], codes[1]
    _put_user(provider, "wang", {"preferred_username": "wang.qu", "heatmap_role": "区级",
                                 "heatmap_districts": [own]})  # fmt: skip
    _put_user(provider, "norole", {"preferred_username": "no.role"})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.route("https://cdn.jsdelivr.net/**", lambda r: r.abort())  # the mock's stylesheet
        page.set_default_timeout(60_000)
        _sign_in(page, app, provider, "wang")
        page.get_by_text("当前账号：wang.qu（区级：" + own + "）").wait_for()
        page.goto(f"{app}/?d={other}")  # a new page load: the sign-on cookie, a new session
        page.get_by_text("无权查看链接中的区或街乡镇").wait_for()
        page.screenshot(path=str(tmp_path / "sso_district.png"))
        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url(f"{provider}/oauth2/end_session**")
        page.get_by_role("button", name="End session").click()
        page.get_by_role("button", name="使用单位统一身份认证登录").wait_for()
        context.close()

        context = browser.new_context()
        page = context.new_page()
        page.route("https://cdn.jsdelivr.net/**", lambda r: r.abort())
        page.set_default_timeout(60_000)
        _sign_in(page, app, provider, "norole")
        page.get_by_text("未分配本系统角色").wait_for()
        assert page.locator("canvas").count() == 0
        context.close()
        browser.close()
    events = audit.read(db)
    signed = events[events["action"] == "sign_in"]
    assert {("wang.qu", "ok"), ("no.role", "refused")} <= set(
        zip(signed["user"], signed["outcome"], strict=True)
    )
    assert "wang.qu" in set(events.loc[events["action"] == "scope_refused", "user"])
    assert "wang.qu" in set(events.loc[events["action"] == "sign_out", "user"])
