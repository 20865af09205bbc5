"""The app as a whole, in headless Debian Chromium: the map canvas and the Chinese title appear, offline."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from heatmap.intake.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sys.path.insert(0, str(ROOT / "scripts"))
from browser_server import streamlit_app  # noqa: E402
from screenshot import CHROMIUM_ARGS  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian chromium is not installed (scripts/test.sh installs it)",
    ),
]




@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    build_demo(db, scale=0.003, seed=5)
    with streamlit_app({"HEATMAP_DB": str(db)}) as url:
        yield url


def test_map_canvas_and_chinese_title_offline(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda r: outside.append(r.url) if _leaves_localhost(r.url) else None)
        page.goto(f"{server}/?from=2020-09&to=2020-09", wait_until="domcontentloaded")
        page.get_by_text("北京市 · 2020-09 · 各街乡镇接诉量").wait_for(timeout=60_000)
        page.locator("canvas").first.wait_for(timeout=60_000)
        # a canvas is 300 × 150 until deck.gl sizes it to its container: wait for the map's
        sized = "[...document.querySelectorAll('canvas')].some(c => c.clientWidth > 400 && c.clientHeight > 300)"
        page.wait_for_function(sized, timeout=60_000)
        box = max(
            (c.bounding_box() or {"width": 0, "height": 0} for c in page.locator("canvas").all()),
            key=lambda b: b["width"],
        )
        assert box["width"] > 400 and box["height"] > 300
        assert page.get_by_text("示意边界（非官方）").first.is_visible()
        page.wait_for_timeout(2000)
        page.screenshot(path=str(tmp_path / "heatmap.png"))
        browser.close()
    assert outside == [], f"the app fetched from outside this machine: {outside}"


def _leaves_localhost(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return url.startswith(("http", "ws")) and host not in ("localhost", "127.0.0.1")
