"""A district account in headless Chromium: signs in, types another district's link, and finds none of
its data on the page or in a download; the city account sees both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest
from browser_server import streamlit_app
from test_browser import CHROMIUM, CHROMIUM_ARGS

from heatmap.access import accounts, audit
from heatmap.intake.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "browser-pass-123"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, dict]]:
    db = tmp_path_factory.mktemp("browser_auth") / "real.duckdb"
    build_demo(db, scale=0.003, seed=5)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT town_code, town_name, district_code, district_name FROM towns"
    ).fetchall()
    con.close()
    districts = sorted({r[2] for r in rows})
    own, other = districts[0], districts[1]
    accounts.add_user(db, "chaoyang", PASSWORD, role="district", districts=(own,))
    with streamlit_app({"HEATMAP_DB": str(db), "HEATMAP_AUTH": "local"}) as url:
        yield url, db, {"own": own, "other": other, "rows": rows}


def wait_for_one(page, text: str, timeout_s: float = 60) -> None:
    """Wait until exactly one element shows `text`: the new page's, after the old page's went."""
    deadline = time.monotonic() + timeout_s
    while page.get_by_text(text).count() != 1:
        assert time.monotonic() < deadline, f"{text!r} shown {page.get_by_text(text).count()} times"
        page.wait_for_timeout(200)


def test_district_account_cannot_reach_another_district(signed_server, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, db, facts = signed_server
    other = facts["other"]
    other_towns = {name for _, name, d, _ in facts["rows"] if d == other}
    other_district_name = next(dn for _, _, d, dn in facts["rows"] if d == other)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(f"{url}/ranking?d={other}&from=2021-12&to=2021-12", wait_until="domcontentloaded")
        page.get_by_label("账号").fill("chaoyang")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_text("无权查看链接中的区或街乡镇").wait_for(timeout=60_000)
        # the link's page (考核排名), not the default map page, after signing in; its own district's
        # ranking, its filters from the link checked (the other district's refused)
        ranking_csv = page.locator(".st-key-csv_ranking_town_2021-12").get_by_text("下载 CSV")
        ranking_csv.wait_for(timeout=60_000)
        assert urlparse(page.url).path.endswith("/ranking"), page.url
        wait_for_one(page, "下载 CSV")
        page.wait_for_timeout(1500)
        first = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "district_refused.png"), full_page=True)
        body = first + page.inner_text("body")
        with page.expect_download() as info:
            ranking_csv.click()
        csv = Path(info.value.path()).read_text("utf-8-sig")
        # the download is logged by the button's callback, in the rerun it starts on the server:
        # wait for it before the browser (and with it the session) goes away
        deadline = time.monotonic() + 30
        while "export" not in set(audit.read(db)["action"]) and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        browser.close()
    assert other in body  # named in the refusal message, and nowhere else:
    leaked = [n for n in other_towns if n in body or n in csv]
    assert leaked == []
    assert other_district_name not in csv
    assert csv.count("\n") > 1  # the district's own towns are there
    events = audit.read(db)
    assert {"sign_in", "scope_refused", "export"} <= set(events["action"])
    assert (events.loc[events["action"] == "export", "user"] == "chaoyang").all()


def test_a_shared_link_opens_its_page_after_sign_in(signed_server) -> None:
    """Not the very first visitor of the server (that one runs the page before the router): the
    link's page and filters, not the default map page, once the form is submitted."""
    from playwright.sync_api import sync_playwright

    url, _, _ = signed_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        earlier = browser.new_page()  # someone else opened the app before
        earlier.goto(url, wait_until="domcontentloaded")
        earlier.get_by_label("账号").wait_for(timeout=60_000)
        earlier.close()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/governance?from=2021-11&to=2021-11", wait_until="domcontentloaded")
        page.get_by_label("账号").fill("chaoyang")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_text("2021-11 · 治理类街乡镇").first.wait_for(timeout=60_000)
        assert urlparse(page.url).path.endswith("/governance"), page.url
        assert "from=2021-11" in page.url
        browser.close()


def test_an_admin_page_by_url_is_refused_and_logged(signed_server) -> None:
    """A district account typing /data: the default page opens with the refusal, which is logged."""
    from playwright.sync_api import sync_playwright

    url, db, _ = signed_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        earlier = browser.new_page()  # not the server's first visitor (see the test above)
        earlier.goto(url, wait_until="domcontentloaded")
        earlier.get_by_label("账号").wait_for(timeout=60_000)
        earlier.close()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/data", wait_until="domcontentloaded")
        page.get_by_label("账号").fill("chaoyang")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_text("区级账号无权执行此操作（导入与边界管理）").first.wait_for(timeout=60_000)
        assert page.get_by_text("导入工单").count() == 0
        browser.close()
    refused = audit.read(db, actions=("role_refused",))
    assert "/data" in set(refused["target"]) and set(refused["user"]) == {"chaoyang"}
