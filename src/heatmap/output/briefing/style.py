"""Sizes, colours and limits shared by every slide of the briefing."""

from __future__ import annotations

from heatmap.measures import MEASURES, RATES

FIG_SIZE = (16.0, 9.0)  # inches: 16:9, like the slide
DPI = 120  # 16 x 9 in at 120 dpi = 1920 x 1080 px
SLIDE_WIDTH_IN = 13.333  # PowerPoint's 16:9 slide; the figure is scaled by 13.333 / 16
TREND_MONTHS = 24
TOP_PROBLEMS = 10
MOVERS = 8

FONT_ENV = "HEATMAP_CJK_FONT"
FONT_PACKAGE = "pylopdf-fonts-zh-cn==0.1.1"
#: CJK fonts tried after ``$HEATMAP_CJK_FONT`` and the PyPI package: (path, family) from Debian packages.
SYSTEM_FONTS: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", "Noto Sans CJK SC"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "Droid Sans Fallback"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
)

INK = "#1a1a1a"
GREY = "#666666"
RULE = "#bbbbbb"
SUPERVISED_EDGE = "#08519c"  # blue outline: under supervision (contrasts with the YlOrRd fill)
EXITED_EDGE = "#1b7837"  # green hatching: exited
UP, DOWN = "#c0392b", "#1e8449"  # 环比 up (more requests) red, down green
#: The rate chart's lines: (column, label key, colour), one per rate of :data:`MEASURES`.
RATE_LINES = tuple((rate, f"metric_{rate}", MEASURES[rate].colour) for rate in RATES)
STATUS_FILL = {
    "new": "#fde0dd",
    "re_entered": "#e7d4e8",
    "continuing": "#fee8c8",
    "supervised_out": "#deebf7",
    "exited": "#d9f0d3",
    "released": "#d9f0d3",
}
