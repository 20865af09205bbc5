"""Exports in headless Chromium: a table's toolbar offers no CSV download (the read-only account
included), and a download button's file exists only once it is clicked, each click logged."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_server import streamlit_app
from test_browser import CHROMIUM, CHROMIUM_ARGS

from heatmap.access import accounts, audit
from heatmap.intake.demo import build_demo

PASSWORD = "browser-pass-123"
_MEDIA = re.compile(r"(?<!/static)/media/[0-9a-f]")  # a served file (not the app's own fonts)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = tmp_path_factory.mktemp("browser_exports") / "real.duckdb"
    build_demo(db, scale=0.003, seed=5)
    accounts.add_user(db, "reader", PASSWORD, role="viewer")
    accounts.add_user(db, "shi", PASSWORD, role="city")
    env = {"HEATMAP_DB": str(db), "HEATMAP_AUTH": "local", "HEATMAP_DOWNLOAD_EXPIRE_SECONDS": "3"}
    with streamlit_app(env) as url:
        yield url, db


def _status(url: str) -> int:
    try:
        return int(urllib.request.urlopen(url, timeout=10).status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _signed_in(browser, url: str, name: str, media: list[str]):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.on("request", lambda r: media.append(r.url) if _MEDIA.search(r.url) else None)
    page.goto(f"{url}/ranking?from=2021-12&to=2021-12", wait_until="domcontentloaded")
    page.get_by_label("账号").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    return page


def test_no_table_toolbar_download_and_files_only_on_click(server) -> None:
    from playwright.sync_api import sync_playwright

    url, db = server
    media: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        reader = _signed_in(browser, url, "reader", media)
        reader.locator("[data-testid='stDataFrame']").first.hover()
        reader.get_by_role("button", name=re.compile("Search")).first.wait_for(timeout=10_000)
        assert reader.get_by_role("button", name=re.compile("Download as CSV")).count() == 0
        assert reader.get_by_text("只读账号不能导出或生成简报。").count() == 1
        reader.close()

        page = _signed_in(browser, url, "shi", media)
        button = page.locator(".st-key-csv_ranking_town_2021-12").get_by_text("下载 CSV")
        button.wait_for(timeout=60_000)
        page.locator("[data-testid='stDataFrame']").first.hover()
        page.get_by_role("button", name=re.compile("Search")).first.wait_for(timeout=10_000)
        assert page.get_by_role("button", name=re.compile("Download as CSV")).count() == 0
        assert not _MEDIA.search(page.content()) and media == []  # nothing to fetch before a click
        with page.expect_download() as info:
            button.click()
        csv = Path(info.value.path()).read_text("utf-8-sig")
        deadline = time.monotonic() + 30
        while "export" not in set(audit.read(db)["action"]) and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        browser.close()
    # the file, fetched by its URL without any cookie: there at first, gone within 2 × 3 s
    assert _status(media[-1]) == 200
    time.sleep(7)
    assert _status(media[-1]) == 404
    assert csv.count("\n") > 10
    exports = audit.read(db, actions=("export",))
    assert exports["user"].tolist() == ["shi"]
    assert len(media) == 1  # the file, made by the click
