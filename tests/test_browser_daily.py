"""A district official's day in headless Chromium: filters that follow, a map that answers, links that open."""

from __future__ import annotations

import math
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from heatmap import paths
from heatmap.geo.geography import load_boundary_set
from heatmap.intake.demo import build_demo
from heatmap.output import maps

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

HAIDIAN = "110108"
NAV = "[data-testid='stSidebarNav']"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("daily") / "demo.duckdb"
    build_demo(db, scale=0.003, seed=5)
    with streamlit_app({"HEATMAP_DB": str(db)}) as url:
        yield url


@pytest.fixture()
def page(server: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1600, "height": 1000})
        browser.close()


def _choose(page, key: str, option: str) -> None:
    """Pick ``option`` in the sidebar selectbox or multiselect with Streamlit key ``key``."""
    box = page.locator(f".st-key-{key} input")
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click(timeout=30_000)
    page.keyboard.press("Escape")


def test_the_view_follows_the_user_through_the_page_list(server: str, page) -> None:
    page.goto(server, wait_until="domcontentloaded")
    page.locator(".st-key-f_month input").wait_for(timeout=90_000)
    _choose(page, "f_month", "2021-05")
    page.wait_for_url("**from=2021-05**", timeout=30_000)
    _choose(page, "f_districts", "海淀区")
    page.get_by_text("海淀区 · 2021-05 · 各街乡镇接诉量").wait_for(timeout=30_000)
    titles = {
        "考核排名": "海淀区 · 2021-05 · 街乡镇考核排名",
        "治理类街乡镇": "海淀区 · 2021-05 · 治理类街乡镇",
        "每月一题": "海淀区 · 2021-05 · 每月一题",
        "月度简报": "2021-05",
        "诉求热力图": "海淀区 · 2021-05 · 各街乡镇接诉量",
    }
    for name, title in titles.items():
        page.locator(NAV).get_by_text(name, exact=True).first.click()  # (the /map alias is hidden)
        page.get_by_text(title).first.wait_for(timeout=60_000)
        page.wait_for_url(f"**d={HAIDIAN}**", timeout=30_000)
        assert "from=2021-05" in page.url and "to=2021-05" in page.url, (name, page.url)
        sidebar = page.locator("[data-testid='stSidebar']")
        assert sidebar.locator(".st-key-f_districts").get_by_text("海淀区").count() == 1, name
        assert sidebar.locator(".st-key-f_month input").input_value() == "2021-05", name


def test_the_map_path_opens_the_heat_map_with_its_filters(server: str, page) -> None:
    page.goto(f"{server}/map?from=2021-05&to=2021-05&d={HAIDIAN}", wait_until="domcontentloaded")
    page.get_by_text("海淀区 · 2021-05 · 各街乡镇接诉量").wait_for(timeout=90_000)
    assert page.get_by_text("Page not found").count() == 0
    assert "d=110108" in page.url


def _screen_point(lon: float, lat: float, view, box: dict) -> tuple[float, float]:
    """Where deck.gl draws (lon, lat) on a canvas ``box`` centred on ``view`` (Web Mercator)."""
    scale = 512 * 2 ** float(view.zoom) / 360
    merc = lambda la: math.degrees(math.log(math.tan(math.pi / 4 + math.radians(la) / 2)))  # noqa: E731
    x = box["x"] + box["width"] / 2 + (lon - view.longitude) * scale
    y = box["y"] + box["height"] / 2 - (merc(lat) - merc(view.latitude)) * scale
    return x, y


def test_a_click_on_a_town_selects_it_and_a_second_click_clears_it(server: str, page) -> None:
    towns = load_boundary_set("demo_townships_2023", geo_dir=paths.GEO_DIR).frame
    haidian = towns[towns["code9"].str.startswith(HAIDIAN)]
    view = maps.view_for(haidian.total_bounds)
    target = haidian.loc[haidian.geometry.area.idxmax()]  # the largest town: an easy target
    point = target.geometry.representative_point()
    name = str(target["name"])

    page.goto(f"{server}/?from=2021-05&to=2021-05&d={HAIDIAN}", wait_until="domcontentloaded")
    page.get_by_text("显示诉求密度（六边形）").click()  # towns only: the hexagons would take the click
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    canvas.wait_for(timeout=90_000)
    canvas.scroll_into_view_if_needed()
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=stDeckGlJsonChart] canvas')]"
        ".some(c => c.clientWidth > 400 && c.clientHeight > 300)",
        timeout=60_000,
    )
    page.wait_for_timeout(2000)
    box = canvas.bounding_box()
    assert box is not None
    # Software WebGL (SwiftShader) compiles the picking shaders on the first click and the slow
    # pass can outlast deck.gl's tap time: one click on empty space first (it selects nothing).
    page.mouse.click(box["x"] + 4, box["y"] + 4)
    page.wait_for_timeout(2000)
    x, y = _screen_point(point.x, point.y, view, box)

    page.mouse.move(x, y)
    page.mouse.move(x + 1, y + 1)
    tip = page.locator(".deck-tooltip")
    tip.wait_for(state="visible", timeout=30_000)
    text = tip.inner_text()
    assert text.splitlines()[0] == name and "所属区：海淀区" in text and "<" not in text

    page.mouse.click(x, y)
    trend = page.get_by_text(f"{name} 近 12 个月接诉量与全市排名")
    trend.first.wait_for(timeout=60_000)
    page.mouse.click(x, y)  # the same town again: the selection is cleared
    trend.first.wait_for(state="detached", timeout=60_000)


#: Latin words a Chinese page may show: formats, units, codes, the language switch, and the names
#: of the data's sources (as their licences require them to be named).
ALLOWED_LATIN = {
    "CSV", "Excel", "XLSX", "PPTX", "PDF", "PNG", "ZIP", "Parquet", "PARQUET", "TSV", "TXT", "GBK",
    "UTF", "English", "Language", "MB", "km", "H3", "README", "PostgreSQL", "WGS84", "WGS", "GCJ",
    "BD", "EPSG", "App", "GitHub", "Vonng", "adcode", "npm", "china", "division", "PyPI", "cnmaps",
    "data", "MIT", "CC", "BY", "DataV", "geo", "GeoJSON", "GeoPackage", "GeoParquet", "Shapefile",
    "zip",
}  # fmt: skip
#: An administrator's pages name the stores by file name (never a path): the import page the store
#: it writes to, the workbench its list store (the demo visitor is an administrator).
ALLOWED_ON = {"data": {"demo", "duckdb"}, "workbench": {"SQLite", "sqlite", "demo", "work"}}

VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.querySelector('[data-testid=stApp]'), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('[data-testid=stIconMaterial], [aria-hidden=true], script, style')) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || parseFloat(style.fontSize) === 0
        || box.width <= 1 || box.height <= 1 || !el.offsetParent) continue;
    out.push(n.textContent);
  }
  return out.join('\\n');
}"""


@pytest.mark.parametrize(
    "path",
    ["", "ranking", "governance", "warning", "topics", "categories", "workbench", "briefing",
     "data", "audit", "notes"],
)  # fmt: skip
def test_a_chinese_page_shows_no_stray_english(server: str, page, path: str) -> None:
    import re

    page.goto(f"{server}/{path}?from=2021-05&to=2021-05&d={HAIDIAN}", wait_until="domcontentloaded")
    # a title, or the workbench's figures (its page opens with metrics, not a title)
    main = "[data-testid='stMainBlockContainer']"
    page.locator(f"{main} h3, {main} [data-testid='stMetric']").first.wait_for(timeout=90_000)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=90_000
    )
    page.wait_for_timeout(1500)
    text = page.evaluate(VISIBLE_TEXT)
    words = set(re.findall(r"[A-Za-z]{2,}", text))
    allowed = ALLOWED_LATIN | ALLOWED_ON.get(path, set())
    assert words <= allowed, f"/{path}: {sorted(words - allowed)}"
