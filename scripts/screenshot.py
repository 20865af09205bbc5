"""Screenshot pages of a running dashboard in headless Debian Chromium (no browser download).

Usage: python scripts/screenshot.py URL OUT.png [--wait-text TEXT] [--width 1600 --height 1000]
Prints any request that left localhost (there should be none: the app works offline).
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--wait-text", default=None)
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.on("request", lambda r: _note(r.url, outside))
        page.goto(args.url, wait_until="domcontentloaded")
        if args.wait_text:
            page.get_by_text(args.wait_text).first.wait_for(timeout=90_000)
        page.wait_for_timeout(6000)
        page.screenshot(path=args.out, full_page=args.full_page)
        browser.close()
    for url in outside:
        print("outside request:", url, file=sys.stderr)
    return 0


def _note(url: str, outside: list[str]) -> None:
    host = urlparse(url).hostname or ""
    if url.startswith(("http://", "https://", "ws://", "wss://")) and host not in (
        "localhost",
        "127.0.0.1",
    ):
        outside.append(url)


if __name__ == "__main__":
    sys.exit(main())
