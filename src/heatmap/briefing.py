"""月度简报: the monthly review meeting's figures as PNG, PDF and PPTX, in Chinese, titled and dated.

One call, :func:`build_briefing`, writes for a month and a scope (the whole city or one district): a
choropleth of the month's volume by 街乡镇 with the top ten and the supervised / exited towns marked,
the top-ten table, the governance summary with the exit checklist, the three rates' trend, the top
problems and the towns that moved most. Every figure carries its title, month, scope, legend, data
source and vintage, and the demo / approximate-boundary notices. Only monthly aggregates are read, so
no personal data can reach a slide.

Chinese text needs a CJK font: it is found on disk (the pinned PyPI package ``pylopdf-fonts-zh-cn``
ships Noto Sans SC; Debian's ``fonts-noto-cjk`` is the fallback) and registered with matplotlib by
path. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import textwrap
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib import patheffects as pe
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from heatmap import governance, paths, queries, store
from heatmap.errors import FilterError, HeatmapError
from heatmap.filters import Filters, where_clause
from heatmap.geography import METRIC_CRS, BoundarySet, load_boundary_set, load_districts
from heatmap.governance import CONDITIONS, SUPERVISED, ExitRules, Governance
from heatmap.i18n import signed_percent, t
from heatmap.maps import VOLUME_COLORS, class_breaks, classify, legend_for
from heatmap.measures import add_rates
from heatmap.reports import status_label
from heatmap.settings import Settings, governance_values, make_settings, score_weights

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
RATE_LINES = (
    ("response_rate", "metric_response_rate", "#2c7fb8"),
    ("resolution_rate", "metric_resolution_rate", "#d95f0e"),
    ("satisfaction_rate", "metric_satisfaction_rate", "#31a354"),
)
STATUS_FILL = {
    "new": "#fde0dd",
    "re_entered": "#e7d4e8",
    "continuing": "#fee8c8",
    "supervised_out": "#deebf7",
    "exited": "#d9f0d3",
    "released": "#d9f0d3",
}

# --------------------------------------------------------------------------- the CJK font


@dataclass(frozen=True)
class CjkFont:
    """A font file with Chinese glyphs, registered with matplotlib under ``family``."""

    path: Path
    family: str

    @property
    def pdf_fonttype(self) -> int:
        """42 (TrueType embedded as such) for ``glyf`` outlines, 3 for CFF outlines (OpenType/CFF).

        matplotlib writes CFF fonts into a TrueType (Type 42) slot, which PDF readers flag as a
        mismatch; as Type 3 they embed cleanly, with a ToUnicode map so the text stays searchable.
        """
        return 42 if _has_truetype_outlines(self.path) else 3


def find_cjk_font() -> CjkFont:
    """The CJK font to draw with, registered with matplotlib; nothing is downloaded.

    Tried in order: the file named by ``$HEATMAP_CJK_FONT``, Noto Sans SC from the PyPI package
    ``pylopdf-fonts-zh-cn`` (pinned in requirements.txt), then Debian's fonts (``fonts-noto-cjk``).

    Raises
    ------
    HeatmapError
        When none is installed, naming the command that installs one.
    """
    for path, family in _font_candidates():
        if path.is_file():
            return _register(path, family)
    raise HeatmapError(
        "未找到中文字体，简报无法正确显示中文 (no CJK font found). 请安装："
        f"`.venv/bin/pip install {FONT_PACKAGE}`（或 `pip install -r requirements.txt`），"
        "或以 root 运行 `apt-get install fonts-noto-cjk`；也可用环境变量 "
        f"{FONT_ENV}=/path/to/font.otf 指定字体文件。"
    )


def _font_candidates() -> Iterator[tuple[Path, str | None]]:
    explicit = os.environ.get(FONT_ENV)
    if explicit:
        if not Path(explicit).is_file():
            raise HeatmapError(
                f"{FONT_ENV}={explicit} 不是字体文件 (font file not found); "
                f"unset it to use Noto Sans SC from {FONT_PACKAGE}"
            )
        yield Path(explicit), None
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        pass
    else:
        yield Path(pylopdf_fonts_zh_cn.sans_path()), "Noto Sans SC"
    for path, family in SYSTEM_FONTS:
        yield Path(path), family


_REGISTERED: dict[Path, CjkFont] = {}


def _register(path: Path, family: str | None) -> CjkFont:
    """Add the font file to matplotlib's font manager (once per process)."""
    if path not in _REGISTERED:
        font_manager.fontManager.addfont(str(path))
        if family is None:
            family = font_manager.FontProperties(fname=str(path)).get_name()
        _REGISTERED[path] = CjkFont(path=path, family=family)
    return _REGISTERED[path]


def _has_truetype_outlines(path: Path) -> bool:
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() in (".ttc", ".otc"):
        with TTCollection(str(path), lazy=True) as collection:
            return "glyf" in collection.fonts[0]
    with TTFont(str(path), lazy=True) as font:
        return "glyf" in font


@contextmanager
def _font_rc(font: CjkFont) -> Iterator[None]:
    """matplotlib settings of every briefing figure: the CJK font first, embedded in the PDF."""
    rc: dict[str, Any] = {
        "font.family": "sans-serif",
        "font.sans-serif": [font.family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "pdf.fonttype": font.pdf_fonttype,
        "svg.fonttype": "none",
        "hatch.linewidth": 1.6,
    }
    with matplotlib.rc_context(rc):  # type: ignore[arg-type]
        yield


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class BriefData:
    """Everything the figures show, for one month and scope (aggregates only: no personal data)."""

    month: str
    lang: str
    measure: str
    district_code: str | None
    district_name: str | None
    month_rows: pd.DataFrame  # every town in the month: volume, city rank, 环比, status (city-wide)
    gov: Governance
    rates: pd.DataFrame  # month, the three rates in scope (and city_* for a district)
    problems: pd.DataFrame  # theme, problem, volume, previous_volume, mom
    meta: dict[str, Any]
    boundaries: BoundarySet
    settings: Settings

    @property
    def scope(self) -> str:
        return self.district_name or t("brief_scope_city", self.lang)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    def in_scope(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows of the scope's district (all rows for the whole city); ranks stay city-wide."""
        if self.district_code is None:
            return frame
        return frame[frame["district_code"] == self.district_code]


def collect(
    con: duckdb.DuckDBPyConnection,
    *,
    month: str,
    district: str | None = None,
    lang: str = "zh",
    settings: Settings | None = None,
    boundaries: BoundarySet | None = None,
) -> BriefData:
    """Read what the briefing shows: check the month and district, then query the aggregates."""
    settings = settings or make_settings()
    measure = str(settings["volume_measure"])
    months = _check_month(con, month)
    code, name = resolve_district(con, district) if district else (None, None)
    meta = store.get_meta(con)
    panel = queries.monthly_panel(con, measure=measure, weights=score_weights(settings))
    gov = governance.evaluate(panel, ExitRules.from_settings(governance_values(settings)))
    month_rows = panel[panel["month"] == month].merge(
        governance.statuses_in(gov, month)[["town_code", "status"]], on="town_code", how="left"
    )
    return BriefData(
        month=month,
        lang=lang,
        measure=measure,
        district_code=code,
        district_name=name,
        month_rows=month_rows.sort_values(["rank", "town_code"]).reset_index(drop=True),
        gov=gov,
        rates=_rate_trend(con, month, months, code),
        problems=_problems(con, month, code, measure),
        meta=meta,
        boundaries=boundaries or load_boundary_set(meta.get("boundary_set", "demo_townships_2023")),
        settings=settings,
    )


def _check_month(con: duckdb.DuckDBPyConnection, month: str) -> list[str]:
    Filters(month, month)  # raises FilterError on a malformed month
    months = queries.available_months(con)
    if not months:
        raise FilterError("数据库中没有数据 (empty store); build the demo or import exports first")
    if month not in months:
        raise FilterError(
            f"月份 {month} 不在数据中；可用 {months[0]} 至 {months[-1]} (month not in the store)"
        )
    return months


def resolve_district(con: duckdb.DuckDBPyConnection, district: str) -> tuple[str, str]:
    """(code, name) of a district given as code (110108), name (海淀区) or short name (海淀)."""
    ref = queries.districts(con)
    wanted = district.strip()
    for code, name in zip(ref["district_code"], ref["district_name"], strict=True):
        if wanted in (code, name) or (len(wanted) >= 2 and name.removesuffix("区") == wanted):
            return str(code), str(name)
    raise FilterError(
        f"未知区 {district!r} (unknown district); expected a code or name such as 110108 / 海淀区: "
        + "、".join(ref["district_name"])
    )


def _rate_trend(
    con: duckdb.DuckDBPyConnection, month: str, months: list[str], code: str | None
) -> pd.DataFrame:
    window = [m for m in months if m <= month][-TREND_MONTHS:]
    rates = _monthly_rates(con, window, (code,) if code else ())
    if code:
        city = _monthly_rates(con, window, ()).add_prefix("city_")
        rates = rates.join(city)
    return rates.reset_index()


def _monthly_rates(
    con: duckdb.DuckDBPyConnection, window: list[str], districts: tuple[str, ...]
) -> pd.DataFrame:
    where, params = where_clause(Filters(window[0], window[-1], districts), months=window)
    sums = con.execute(
        f"""SELECT strftime(month, '%Y-%m') AS month, sum(dispatched) AS dispatched,
        sum(responded) AS responded, sum(evaluated) AS evaluated, sum(resolved) AS resolved,
        sum(satisfied) AS satisfied FROM agg_town_month {where} GROUP BY 1 ORDER BY 1""",
        params,
    ).df()
    rated = add_rates(sums).set_index("month").reindex(window)
    return rated[[rate for rate, _, _ in RATE_LINES]]


def _problems(
    con: duckdb.DuckDBPyConnection, month: str, code: str | None, measure: str
) -> pd.DataFrame:
    now = Filters(month, month, (code,) if code else ())
    frames = []
    for label, window in (("volume", now), ("previous_volume", now.previous())):
        where, params = where_clause(window, topic=False)
        frames.append(
            con.execute(
                f"""SELECT theme, problem, sum({measure}) AS {label} FROM agg_town_month
                {where} AND problem IS NOT NULL GROUP BY ALL""",
                params,
            )
            .df()
            .set_index(["theme", "problem"])
        )
    out = frames[0].join(frames[1], how="left").reset_index()
    out["mom"] = (out["volume"] - out["previous_volume"]) / out["previous_volume"].where(
        out["previous_volume"] > 0
    )
    out["share"] = out["volume"] / max(float(out["volume"].sum()), 1.0)
    return out.sort_values(["volume", "problem"], ascending=[False, True]).reset_index(drop=True)


def movers(data: BriefData, n: int = MOVERS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scope's towns with the largest month-on-month increase and decrease (in requests)."""
    rows = data.in_scope(data.month_rows).copy()
    rows["delta"] = rows["volume"] - rows["previous_volume"]
    rows = rows[rows["previous_volume"].notna()]
    up = rows[rows["delta"] > 0].sort_values(["delta", "town_code"], ascending=[False, True])
    down = rows[rows["delta"] < 0].sort_values(["delta", "town_code"], ascending=[True, True])
    return up.head(n).reset_index(drop=True), down.head(n).reset_index(drop=True)


def top_rows(data: BriefData, n: int = 10) -> pd.DataFrame:
    """The city's top ten (ties at rank ten kept), or the district's ten best-ranked towns."""
    rows = data.in_scope(data.month_rows)
    rows = rows[rows["volume"] > 0]
    if data.district_code is None:
        return rows[rows["rank"] <= data.gov.rules.top_n].reset_index(drop=True)
    return rows.head(n).reset_index(drop=True)


# --------------------------------------------------------------------------- the slide frame


@dataclass(frozen=True)
class Slide:
    """A briefing figure: file key, title (editable in the PPTX) and the matplotlib figure."""

    key: str
    title: str
    figure: Figure
    title_pt: float = 30.0


TITLE_XY = (0.035, 0.955)
TITLE_PT = 30.0
CONTENT = (0.10, 0.82)  # bottom and top of the content area (figure fraction)


def _slide(
    data: BriefData, key: str, title: str, *, boundary_notice: bool, notes: Sequence[str] = ()
) -> Slide:
    """A 16:9 figure with the title, subtitle (month, scope, measure), notices and footer.

    A title too long for the space left of the notices, or a footer line too long for the page,
    is set smaller until it fits.
    """
    fig = Figure(figsize=FIG_SIZE, dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)  # a renderer to measure text with (legends, labels)
    lang = data.lang
    measure = t(f"measure_{data.measure}", lang)
    fig.text(
        0.035, 0.878, t("brief_subtitle", lang, month=data.month, scope=data.scope, measure=measure),
        fontsize=17, color=GREY, va="top",
    )  # fmt: skip
    badges = []
    if data.synthetic:
        badges.append(t("demo_badge", lang))
    approximate = data.boundaries.notice(lang) if boundary_notice else None
    if approximate:
        badges.append(approximate)
    right = 0.965
    for i, badge in enumerate(badges):
        drawn = fig.text(
            0.965, 0.952 - i * 0.058, badge, fontsize=15, color="#b30000", ha="right", va="top",
            bbox={"boxstyle": "round,pad=0.35", "fc": "#fff5f0", "ec": "#b30000", "lw": 1.2},
        )  # fmt: skip
        right = min(right, _extent(fig, drawn)[0])
    heading = fig.text(
        *TITLE_XY, title, fontsize=TITLE_PT, color=INK, va="top", gid="title",
        path_effects=[pe.withStroke(linewidth=0.9, foreground=INK)],
    )  # fmt: skip
    _shrink_to(fig, heading, right - 0.015, smallest=20)
    fig.add_artist(Line2D([0.035, 0.965], [0.835, 0.835], color=RULE, lw=1.2))
    fig.add_artist(Line2D([0.035, 0.965], [0.072, 0.072], color=RULE, lw=0.8))
    for i, line in enumerate(_footer(data, boundary_notice=boundary_notice, notes=notes)):
        text = fig.text(0.035, 0.058 - i * 0.027, line, fontsize=12.5, color=GREY, va="top")
        _shrink_to(fig, text, 0.965, smallest=8)
    return Slide(key=key, title=title, figure=fig, title_pt=float(heading.get_fontsize()))


def _extent(fig: Figure, artist: Any) -> tuple[float, float]:
    """Left and right edge of a drawn artist (figure fraction)."""
    box = artist.get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    return float(box.x0 / fig.bbox.width), float(box.x1 / fig.bbox.width)


def _shrink_to(fig: Figure, text: Any, right: float, *, smallest: float) -> None:
    """Set ``text`` smaller, down to ``smallest`` points, until its right edge is left of ``right``."""
    while _extent(fig, text)[1] > right and text.get_fontsize() > smallest:
        text.set_fontsize(max(smallest, text.get_fontsize() - 1))


def _footer(data: BriefData, *, boundary_notice: bool, notes: Sequence[str]) -> list[str]:
    lang = data.lang
    source = t("brief_source_demo" if data.synthetic else "brief_source_real", lang)
    first = t("brief_source", lang, source=source, vintage=data.meta.get("vintage", "—"))
    lines = [first]
    second = list(notes)
    if boundary_notice:
        key = "title_zh" if lang == "zh" else "title_en"
        title = str(data.boundaries.meta.get(key) or data.boundaries.name)
        second.append(t("brief_boundary", lang, title=title))
    if second:
        lines.append("　｜　".join(second))
    return lines


def _content_axes(fig: Figure, left: float, width: float, *, bottom: float = CONTENT[0],
                  top: float = CONTENT[1]) -> Axes:  # fmt: skip
    return fig.add_axes((left, bottom, width, top - bottom))


def _blank_axes(fig: Figure, left: float, width: float) -> Axes:
    ax = _content_axes(fig, left, width)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return ax


# --------------------------------------------------------------------------- figures


def map_slide(data: BriefData, towns: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> Slide:
    """Choropleth of the month's volume by town, top ten numbered, supervised / exited outlined.

    For the whole city a second panel zooms in on the top ten (the central towns are too small at
    city scale); a district is drawn alone, its towns named.
    """
    lang = data.lang
    measure = t(f"measure_{data.measure}", lang)
    slide = _slide(
        data, "map", t("brief_map_title", lang, month=data.month, scope=data.scope, measure=measure),
        boundary_notice=True,
    )  # fmt: skip
    fig = slide.figure
    frame = _map_frame(data, towns)
    outlines = districts.to_crs(METRIC_CRS)
    if data.district_code is not None:
        outlines = outlines[outlines["district_code"] == data.district_code]
    breaks = class_breaks(frame["volume"])
    frame["colour"] = list(np.asarray(classify(frame["volume"], breaks, VOLUME_COLORS)) / 255)
    top = top_rows(data)
    if data.district_code is None:
        main = _content_axes(fig, 0.01, 0.40)
        _draw_towns(main, frame, outlines, names_min_km2=100.0)
        zoom = _content_axes(fig, 0.405, 0.36, bottom=CONTENT[0] + 0.01, top=CONTENT[1] - 0.055)
        bounds = _zoom_bounds(frame[frame["town_code"].isin(top["town_code"])], zoom)
        _draw_towns(zoom, frame, outlines, names_min_km2=0.0, bounds=bounds)
        _zoom_frame(fig, main, zoom, bounds, lang)
        _rank_markers(zoom, frame, top)
    else:
        main = _content_axes(fig, 0.01, 0.75)
        _draw_towns(main, frame, outlines, names_min_km2=None)
        markers = _rank_markers(main, frame, top)
        _town_names(main, frame, avoid=markers, skip=set(top["town_code"]))
    legend_bottom = _map_legend(
        fig, breaks, lang, measure, no_data=bool(frame["volume"].isna().any())
    )
    heading = t("brief_top_list" if data.district_code is None else "brief_top_list_district", lang)
    _top_list(fig, top, heading, y_top=legend_bottom - 0.03)
    return slide


def _map_frame(data: BriefData, towns: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cols = ["town_code", "town_name", "volume", "rank", "status"]
    frame = towns[["code9", "district_code", "geometry"]].merge(
        data.month_rows[cols], left_on="code9", right_on="town_code", how="left"
    )
    frame["town_code"] = frame["code9"]
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=towns.crs).to_crs(METRIC_CRS)
    if data.district_code is not None:
        frame = frame[frame["district_code"] == data.district_code]
    return frame.reset_index(drop=True)


def _draw_towns(
    ax: Axes,
    frame: gpd.GeoDataFrame,
    outlines: gpd.GeoDataFrame,
    *,
    names_min_km2: float | None,
    bounds: tuple[float, float, float, float] | None = None,
) -> None:
    """Fill, supervised outlines, exited hatching, district outlines and (big enough) district names."""
    ax.set_axis_off()
    frame.plot(ax=ax, color=list(frame["colour"]), edgecolor="white", linewidth=0.35)
    ax.set_xlabel("")
    ax.set_ylabel("")
    exited = frame[frame["status"].isin(["exited", "released"])]
    if not exited.empty:
        exited.plot(ax=ax, facecolor="none", edgecolor=EXITED_EDGE, hatch="///", linewidth=1.2)
    supervised = frame[frame["status"].isin(SUPERVISED)]
    if not supervised.empty:
        supervised.boundary.plot(ax=ax, color=SUPERVISED_EDGE, linewidth=2.4)
    outlines.boundary.plot(ax=ax, color="#333333", linewidth=1.3)
    ax.set_aspect("equal")
    if bounds is not None:
        ax.set_xlim(bounds[0], bounds[2])
        ax.set_ylim(bounds[1], bounds[3])
    else:
        ax.margins(0.02)
    if names_min_km2 is not None:
        _district_names(ax, outlines, min_km2=names_min_km2, bounds=bounds)


def _zoom_bounds(top: gpd.GeoDataFrame, ax: Axes) -> tuple[float, float, float, float]:
    """The top ten's extent with a margin, at least 16 km wide, shaped like the zoom panel."""
    minx, miny, maxx, maxy = top.total_bounds if len(top) else (440e3, 4410e3, 470e3, 4440e3)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    box = ax.get_position()
    ratio = (box.height * FIG_SIZE[1]) / (box.width * FIG_SIZE[0])  # height / width of the panel
    half_w = max((maxx - minx) * 0.56, (maxy - miny) * 0.56 / ratio, 8e3)
    return (cx - half_w, cy - half_w * ratio, cx + half_w, cy + half_w * ratio)


def _zoom_frame(
    fig: Figure, main: Axes, zoom: Axes, bounds: tuple[float, float, float, float], lang: str
) -> None:
    """The zoom panel's frame and caption, and its extent drawn on the city map."""
    x0, y0, x1, y1 = bounds
    main.add_patch(
        Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=INK, lw=1.6, ls="--", zorder=7)
    )
    zoom.set_axis_on()
    zoom.set_xlabel("")
    zoom.set_ylabel("")
    zoom.set_xticks([])
    zoom.set_yticks([])
    for spine in zoom.spines.values():
        spine.set_edgecolor(INK)
        spine.set_linewidth(1.6)
        spine.set_linestyle("--")
    box = zoom.get_position()
    fig.text(box.x0, box.y1 + 0.012, t("brief_zoom", lang), fontsize=15, color=INK, va="bottom")


def _district_names(
    ax: Axes,
    outlines: gpd.GeoDataFrame,
    *,
    min_km2: float,
    bounds: tuple[float, float, float, float] | None,
) -> None:
    points = outlines.geometry.representative_point()
    for name, point, area in zip(
        outlines["district_name"], points, outlines.area / 1e6, strict=True
    ):
        inside = bounds is None or _inside(point.x, point.y, bounds, margin=0.08)
        if area < min_km2 or not inside:
            continue
        ax.text(
            point.x, point.y, str(name).removesuffix("区"), fontsize=12 if bounds is None else 14,
            color="#333333", ha="center", va="center",
            zorder=4, path_effects=[pe.withStroke(linewidth=3, foreground="white")],
        )  # fmt: skip


def _inside(
    x: float, y: float, bounds: tuple[float, float, float, float], *, margin: float
) -> bool:
    dx, dy = (bounds[2] - bounds[0]) * margin, (bounds[3] - bounds[1]) * margin
    return bounds[0] + dx < x < bounds[2] - dx and bounds[1] + dy < y < bounds[3] - dy


def _town_names(ax: Axes, frame: gpd.GeoDataFrame, *, avoid: list[Any], skip: set[str]) -> None:
    """Town names inside each town (a district map only), largest towns first; a name that would
    overlap a marker or another name is left out (the table names every town)."""
    fig = ax.get_figure()
    assert fig is not None
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    taken = [artist.get_window_extent(renderer).expanded(1.05, 1.1) for artist in avoid]
    order = frame.assign(area=frame.area).sort_values("area", ascending=False)
    points = order.geometry.representative_point()
    for code, name, point in zip(order["town_code"], order["town_name"], points, strict=True):
        if not isinstance(name, str) or code in skip:
            continue
        short = name.removesuffix("街道").removesuffix("地区") or name
        label = ax.text(
            point.x, point.y, short, fontsize=11, color="#333333", ha="center", va="center",
            zorder=4, path_effects=[pe.withStroke(linewidth=2.5, foreground="white")],
        )  # fmt: skip
        box = label.get_window_extent(renderer)
        if any(box.overlaps(other) for other in taken):
            label.remove()
        else:
            taken.append(box)


def _rank_markers(ax: Axes, frame: gpd.GeoDataFrame, top: pd.DataFrame) -> list[Any]:
    """A numbered circle per top town; circles that would overlap are pushed out with a leader."""
    anchors = frame.set_index("town_code").geometry.representative_point()
    ax.apply_aspect()
    width_in = ax.get_position().width * FIG_SIZE[0]
    gap = 0.36 * (ax.get_xlim()[1] - ax.get_xlim()[0]) / width_in  # one marker, in data units
    placed: list[tuple[float, float]] = []
    markers: list[Any] = []
    for row in _records(top):
        if row["town_code"] not in anchors.index:
            continue
        x0, y0 = anchors[row["town_code"]].x, anchors[row["town_code"]].y
        x, y = _free_spot(x0, y0, placed, gap)
        if (x, y) != (x0, y0):
            ax.plot([x0, x], [y0, y], color=INK, lw=1.2, zorder=5)
            ax.plot([x0], [y0], "o", color=INK, ms=3, zorder=5)
        placed.append((x, y))
        marker = ax.text(
            x, y, str(int(row["rank"])), fontsize=12.5, color="white", ha="center", va="center",
            zorder=6, bbox={"boxstyle": "circle,pad=0.28", "fc": INK, "ec": "white", "lw": 1.4},
        )  # fmt: skip
        markers.append(marker)
    return markers


def _rgb(color: Sequence[int]) -> tuple[float, float, float]:
    return (color[0] / 255, color[1] / 255, color[2] / 255)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (typed loosely: the values are whatever the columns hold)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _free_spot(
    x: float, y: float, placed: list[tuple[float, float]], gap: float
) -> tuple[float, float]:
    def free(px: float, py: float) -> bool:
        return all((px - qx) ** 2 + (py - qy) ** 2 >= gap**2 for qx, qy in placed)

    if free(x, y):
        return x, y
    for radius in (1.2, 1.9, 2.6, 3.4):
        for angle in np.radians([45, 135, 315, 225, 90, 270, 0, 180]):
            px, py = x + radius * gap * np.cos(angle), y + radius * gap * np.sin(angle)
            if free(px, py):
                return px, py
    return x, y


def _map_legend(
    fig: Figure, breaks: list[float], lang: str, measure: str, *, no_data: bool
) -> float:
    """The legend at the top of the right column; returns its bottom (figure fraction)."""
    legend = legend_for("volume", breaks, lang)
    items = legend.items if no_data else legend.items[:-1]
    handles: list[Any] = [
        Patch(facecolor=_rgb(color), edgecolor="#999999", label=label) for color, label in items
    ]
    handles += [
        Patch(facecolor="none", edgecolor=SUPERVISED_EDGE, lw=2.4, label=t("brief_legend_supervised", lang)),
        Patch(facecolor="white", edgecolor=EXITED_EDGE, hatch="///", label=t("brief_legend_exited", lang)),
        Line2D([], [], color="#333333", lw=1.3, label=t("brief_legend_district", lang)),
        Line2D([], [], marker="o", ls="", ms=15, mfc=INK, mec="white", label=t("brief_legend_top", lang)),
    ]  # fmt: skip
    drawn = fig.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(0.775, CONTENT[1] + 0.005), frameon=False,
        fontsize=14, title=t("brief_legend_volume", lang, measure=measure), title_fontsize=15,
        alignment="left", handlelength=2.0, handleheight=1.1, labelspacing=0.42, borderaxespad=0,
    )  # fmt: skip
    box = drawn.get_window_extent(fig.canvas.get_renderer())  # type: ignore[attr-defined]
    return float(box.y0 / fig.bbox.height)


def _top_list(fig: Figure, rows: pd.DataFrame, heading: str, *, y_top: float) -> None:
    """Rank, name and volume of the numbered towns, under the legend."""
    fig.text(0.775, y_top, heading, fontsize=15, color=INK, va="top")
    shown = rows.head(12)  # ten, or more when towns tie at rank ten
    step = min(0.034, (y_top - 0.055 - CONTENT[0]) / max(len(shown), 10))
    for i, row in enumerate(_records(shown)):
        y = y_top - 0.055 - i * step
        fig.text(
            0.787, y, str(int(row["rank"])), fontsize=11, color="white", ha="center", va="center",
            bbox={"boxstyle": "circle,pad=0.25", "fc": INK, "ec": "white", "lw": 1.0},
        )  # fmt: skip
        fig.text(0.803, y, str(row["town_name"]), fontsize=14, color=INK, va="center")
        fig.text(
            0.968, y, f"{int(row['volume']):,}", fontsize=14, color=GREY, va="center", ha="right"
        )


def top_ten_slide(data: BriefData) -> Slide:
    """The top-ten table: rank, town, district, volume, 环比, previous rank, governance status."""
    lang = data.lang
    key = "brief_top_title" if data.district_code is None else "brief_top_title_district"
    slide = _slide(
        data, "top_ten", t(key, lang, month=data.month, scope=data.scope), boundary_notice=True
    )
    rows = top_rows(data)
    header = [
        t("col_rank", lang), t("col_town", lang), t("col_district", lang),
        t("measure_" + data.measure, lang), t("col_mom", lang), t("brief_previous_rank", lang),
        t("brief_entry_month", lang), t("col_status", lang),
    ]  # fmt: skip
    entry = _current_entry(data.gov, data.month)
    records = _records(rows)
    cells = [
        [
            str(int(r["rank"])), str(r["town_name"]), str(r["district_name"]),
            f"{int(r['volume']):,}", signed_percent(r["mom"]),
            "—" if pd.isna(r["previous_rank"]) else str(int(r["previous_rank"])),
            entry.get(r["town_code"], "—"), status_label(r["status"], lang) or "—",
        ]
        for r in records
    ]  # fmt: skip
    fills = [STATUS_FILL.get(r["status"], "white") if isinstance(r["status"], str) else "white"
             for r in records]  # fmt: skip
    moms = list(rows["mom"])
    _table(
        slide.figure, header, cells, widths=(0.07, 0.22, 0.12, 0.11, 0.11, 0.11, 0.12, 0.2),
        align="cccccccc", fills=fills, colour_column=4, colour_values=moms,
    )  # fmt: skip
    if not cells:
        slide.figure.text(0.5, 0.5, t("no_data", lang), fontsize=22, ha="center", color=GREY)
    return slide


def _current_entry(gov: Governance, month: str) -> dict[str, str]:
    """Entry month of each town's spell that is open in ``month`` (or ends in it)."""
    ledger = governance.as_of(gov, month)
    open_ = ledger[ledger["exit_month"].isna() | (ledger["exit_month"] == month)]
    return dict(zip(open_["town_code"], open_["entry_month"], strict=True))


def _table(
    fig: Figure,
    header: list[str],
    cells: list[list[str]],
    *,
    widths: Sequence[float],
    align: str,
    fills: Sequence[str] = (),
    colour_column: int | None = None,
    colour_values: Sequence[Any] = (),
    left: float = 0.06,
    width: float = 0.88,
    font: float = 20,
) -> None:
    """A plain table drawn with text and rectangles (matplotlib's table has no row heights we need)."""
    ax = _blank_axes(fig, left, width)
    rows = len(cells) + 1
    height = min(1.0 / max(rows, 1), 0.09)
    edges = np.concatenate([[0], np.cumsum(widths) / sum(widths)])
    for r in range(rows):
        y = 1 - (r + 1) * height
        fill = "#3a3a3a" if r == 0 else (fills[r - 1] if r - 1 < len(fills) else "white")
        ax.add_patch(Rectangle((0, y), 1, height, fc=fill, ec="white", lw=0))
        ax.add_line(Line2D([0, 1], [y, y], color="#dddddd", lw=0.8))
        values = header if r == 0 else cells[r - 1]
        for c, text in enumerate(values):
            a = align[c]
            x = {
                "l": edges[c] + 0.01,
                "c": (edges[c] + edges[c + 1]) / 2,
                "r": edges[c + 1] - 0.01,
            }[a]
            colour = "white" if r == 0 else INK
            if r and c == colour_column and r - 1 < len(colour_values):
                value = colour_values[r - 1]
                if isinstance(value, float) and not np.isnan(value):
                    colour = UP if value > 0 else DOWN if value < 0 else INK
            ax.text(
                x, y + height / 2, text, fontsize=font if r else font - 1, color=colour,
                ha={"l": "left", "c": "center", "r": "right"}[a], va="center",
            )  # fmt: skip


LIST_X = 0.43  # left edge of the governance slide's right column (figure fraction)


def governance_slide(data: BriefData) -> Slide:
    """Entered, exited and still supervised this month; the reports' figures; what towns still lack."""
    lang, month = data.lang, data.month
    rules = data.gov.rules
    described = rules.describe(lang)
    labels = {k: (zh if lang == "zh" else en) for k, zh, en in CONDITIONS}
    rule_text = t(
        "brief_rules",
        lang,
        rules="；".join(f"{labels[k]}={described[k]}" for k, _, _ in CONDITIONS),
    )
    weights = _weights_text(data.settings, lang)
    slide = _slide(
        data, "governance", t("brief_gov_title", lang, month=month, scope=data.scope),
        boundary_notice=True, notes=[t("brief_weights", lang, w=weights)],
    )  # fmt: skip
    fig = slide.figure
    statuses = data.in_scope(data.month_rows)
    groups = {
        "brief_entered": statuses[statuses["status"].isin(["new", "re_entered"])],
        "brief_exited_now": statuses[statuses["status"] == "exited"],
        "brief_still": statuses[statuses["status"].isin(SUPERVISED)],
    }
    ax = _blank_axes(fig, 0.035, 0.365)
    names_x = 0.09 / 0.365  # the names start 0.09 of the page right of the big numbers
    sep = "、" if lang == "zh" else ", "
    y = 0.98
    for key, rows in groups.items():
        colour = {"brief_exited_now": DOWN, "brief_entered": UP}.get(key, SUPERVISED_EDGE)
        ax.text(0, y, t(key, lang), fontsize=19, color=GREY, va="top")
        ax.text(0, y - 0.065, f"{len(rows)}", fontsize=46, color=colour, va="top")
        names = sep.join(rows.sort_values("rank")["town_name"]) or t("brief_none", lang)
        wrapped = _wrap(names, _width(0.27, 14), max_lines=3, lang=lang, sep=sep)
        ax.text(names_x, y - 0.075, wrapped, fontsize=14, color=INK, va="top", linespacing=1.35)
        y -= 0.33
    figures = governance.summary(data.gov, month)
    sentence = t(
        "brief_report_figures", lang, month=month, ever=figures["ever_supervised"],
        districts=figures["districts"], exited=figures["exited"], now=figures["supervised_now"],
        out12=figures["out_of_top_12_months"],
    )  # fmt: skip
    fig.text(
        LIST_X, CONTENT[1] - 0.005, _wrap(sentence, _width(0.5, 16), lang=lang),
        fontsize=16, color=INK, va="top", linespacing=1.4,
        bbox={"boxstyle": "round,pad=0.5", "fc": "#f4f6f8", "ec": "#d0d7de"},
    )  # fmt: skip
    _checklist(fig, data, labels)
    fig.text(
        LIST_X, CONTENT[0] + 0.005, _wrap(rule_text, _width(0.52, 12.5), lang=lang),
        fontsize=12.5, color=GREY, va="bottom", linespacing=1.4,
    )  # fmt: skip
    return slide


def _checklist(fig: Figure, data: BriefData, labels: dict[str, str]) -> None:
    """Supervised towns grouped by the exit conditions they still lack, closest to exit first."""
    lang = data.lang
    checks = governance.checklist(data.gov, data.month)
    checks = checks.merge(
        data.month_rows[["town_code", "town_name", "district_code"]], on="town_code"
    )
    checks = data.in_scope(checks)
    checks = checks[~checks["all_met"]]
    ax = _blank_axes(fig, LIST_X, 0.965 - LIST_X)
    ax.text(0, 0.8, t("brief_checklist_head", lang), fontsize=19, color=INK, va="top")
    if checks.empty:
        ax.text(0, 0.7, t("brief_none", lang), fontsize=16, color=GREY, va="top")
        return
    keys = [k for k, _, _ in CONDITIONS]
    lacking: dict[tuple[str, ...], list[str]] = {}
    for row in _records(checks.sort_values("rank")):
        missing = tuple(k for k in keys if not row[k])
        lacking.setdefault(missing, []).append(str(row["town_name"]))
    y = 0.7
    sep = "、" if lang == "zh" else ", "
    for missing in sorted(lacking, key=lambda m: (len(m), [keys.index(k) for k in m])):
        towns = lacking[missing]
        if y < 0.06:
            break
        head = t("brief_lacking", lang, n=len(missing), items=sep.join(labels[k] for k in missing),
                 count=len(towns))  # fmt: skip
        ax.add_patch(Rectangle((0, y - 0.045), 0.008, 0.04, fc=SUPERVISED_EDGE, ec="none"))
        ax.text(0.018, y, head, fontsize=16, color=SUPERVISED_EDGE, va="top")
        names = sep.join(towns)
        lines = max(1, min(3, int(y / 0.06) - 1))
        wrapped = _wrap(names, _width(0.5, 14), max_lines=lines, lang=lang, sep=sep)
        ax.text(0.018, y - 0.06, wrapped, fontsize=14, color=INK, va="top", linespacing=1.35)
        y -= 0.06 + 0.052 * (wrapped.count("\n") + 1) + 0.035


def _wrap(
    text: str, width: float, *, max_lines: int = 99, lang: str = "zh", sep: str | None = None
) -> str:
    """Wrap ``text`` to ``width`` ems a line (a Chinese character is one em, Latin about half).

    A list joined by ``sep`` is cut only after a separator and, when it needs more than
    ``max_lines``, ends with "等，另有 N 个" (" and N more"). Chinese prose breaks between
    characters, never inside a number or Latin word, and no line starts with closing punctuation;
    English prose breaks at spaces.
    """
    if sep is not None:
        return _wrap_list(text, width, sep=sep, max_lines=max_lines, lang=lang)
    if lang == "en":
        lines = textwrap.wrap(text, int(width / LATIN_EM)) or [""]
    else:
        lines = _wrap_chinese(text, width)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1].rstrip() + "…"]
    return "\n".join(lines)


LATIN_EM = 0.55  # average width of a Latin character, in ems
_CLOSING = set("，。、：；）》」』！？%")


def _ems(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else LATIN_EM for c in text)


def _wrap_list(text: str, width: float, *, sep: str, max_lines: int, lang: str) -> str:
    parts = text.split(sep)
    lines: list[str] = []
    line = ""
    for i, part in enumerate(parts):
        piece = part + (sep if i < len(parts) - 1 else "")
        if line and _ems(line) + _ems(piece.rstrip()) > width:
            if len(lines) + 1 == max_lines:
                more = t("brief_more", lang, n=len(parts) - i)
                return "\n".join([*lines, line.rstrip().rstrip(sep.strip()) + more])
            lines.append(line.rstrip())
            line = ""
        line += piece
    return "\n".join([*lines, line])


def _wrap_chinese(text: str, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in re.findall(r"[A-Za-z0-9.,+\-−%/]+|.", text):
        if line and _ems(line) + _ems(token) > width and token[0] not in _CLOSING:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    return [*lines, line]


def _width(width: float, fontsize: float) -> float:
    """How many ems fit in ``width`` (figure fraction) at ``fontsize`` points."""
    return width * FIG_SIZE[0] * 72 / fontsize


def _weights_text(settings: Settings, lang: str) -> str:
    w = score_weights(settings)
    total = sum(w) or 1.0
    names = [t(key, lang) for _, key, _ in RATE_LINES]
    return " + ".join(f"{x / total:.0%}×{n}" for x, n in zip(w, names, strict=True))


def rates_slide(data: BriefData) -> Slide:
    """The three rates over the last months (the district's solid and the city's dashed)."""
    lang = data.lang
    rates = data.rates
    start = rates["month"].iloc[0]
    slide = _slide(
        data, "rates", t("brief_rates_title", lang, scope=data.scope, start=start, month=data.month),
        boundary_notice=False,
    )  # fmt: skip
    ax = _content_axes(slide.figure, 0.07, 0.78, bottom=CONTENT[0] + 0.07, top=CONTENT[1] - 0.04)
    x = np.arange(len(rates))
    for rate, key, colour in RATE_LINES:
        values = rates[rate].astype(float) * 100
        ax.plot(x, values, color=colour, lw=3.2, marker="o", ms=5.5, label=t(key, lang))
        if f"city_{rate}" in rates:
            ax.plot(x, rates[f"city_{rate}"].astype(float) * 100, color=colour, lw=1.8, ls="--")
        last = values.iloc[-1]
        if not np.isnan(last):
            ax.annotate(
                f"{t(key, lang)} {last:.1f}%", (x[-1], last), xytext=(12, 0),
                textcoords="offset points", fontsize=17, color=colour, va="center",
            )  # fmt: skip
    _place_end_labels(ax)
    step = int(np.ceil(len(x) / 8))
    ticks = x[::-1][::step][::-1]  # the briefing month always labelled
    ax.set_xticks(ticks, rates["month"].iloc[ticks])
    ax.tick_params(labelsize=15)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.0f}%"))
    low = np.nanmin(rates[[r for r, _, _ in RATE_LINES]].to_numpy(dtype=float)) * 100
    ax.set_ylim(max(0, np.floor(low / 10) * 10 - 5), 101)
    ax.grid(axis="y", color="#e5e5e5")
    ax.spines[["top", "right"]].set_visible(False)
    ax.axvline(x[-1], color=RULE, lw=1, zorder=0)
    if data.district_code:
        styles = [
            Line2D([], [], color=GREY, lw=3.2, label=data.scope),
            Line2D([], [], color=GREY, lw=1.8, ls="--", label=t("brief_scope_city", lang)),
        ]
        ax.legend(handles=styles, loc="lower right", fontsize=16, frameon=False, ncols=2)
    return slide


def _place_end_labels(ax: Axes) -> None:
    """Spread the end-of-line labels vertically so they do not overlap (at least 4 points apart)."""
    labels = sorted(ax.texts, key=lambda a: a.xy[1])  # type: ignore[attr-defined]
    for lower, upper in zip(labels, labels[1:], strict=False):
        low_y, up_y = lower.xy[1], upper.xy[1]  # type: ignore[attr-defined]
        if up_y - low_y < 3.5:
            upper.xy = (upper.xy[0], low_y + 3.5)  # type: ignore[attr-defined]


def problems_slide(data: BriefData) -> Slide:
    """The month's top problems in scope: volume bars with share and 环比."""
    lang = data.lang
    top = data.problems.head(TOP_PROBLEMS)
    slide = _slide(
        data, "problems",
        t("brief_problems_title", lang, month=data.month, scope=data.scope, n=len(top)),
        boundary_notice=False,
    )  # fmt: skip
    if top.empty:
        slide.figure.text(0.5, 0.5, t("no_data", lang), fontsize=22, ha="center", color=GREY)
        return slide
    ax = _content_axes(slide.figure, 0.22, 0.56, bottom=CONTENT[0] + 0.04, top=CONTENT[1] - 0.02)
    y = np.arange(len(top))[::-1]
    ax.barh(y, top["volume"], color="#fd8d3c", height=0.68)
    ax.set_yticks(y, [f"{p}" for p in top["problem"]], fontsize=17)
    ax.set_xlim(0, float(top["volume"].max()) * 1.12)
    for yi, row in zip(y, _records(top), strict=True):
        volume = float(row["volume"])
        ax.text(volume, yi, f" {volume:,.0f}（{row['share']:.0%}）", va="center", fontsize=15)
        mom = row["mom"]
        colour = GREY if pd.isna(mom) else UP if mom > 0 else DOWN
        slide.figure.text(
            0.83, ax.transData.transform((0, yi))[1] / slide.figure.bbox.height,
            f"{t('col_mom', lang)} {signed_percent(mom)}", fontsize=16, color=colour, va="center",
        )  # fmt: skip
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    measure = t(f"measure_{data.measure}", lang)
    slide.figure.text(0.22, CONTENT[0] + 0.005, t("brief_problems_note", lang, measure=measure),
                      fontsize=13, color=GREY, va="bottom")  # fmt: skip
    return slide


def movers_slide(data: BriefData) -> Slide:
    """Towns with the largest month-on-month increase (left) and decrease (right), in requests."""
    lang = data.lang
    slide = _slide(
        data, "movers", t("brief_movers_title", lang, month=data.month, scope=data.scope),
        boundary_notice=True,
    )  # fmt: skip
    up, down = movers(data)
    if up.empty and down.empty:
        slide.figure.text(0.5, 0.5, t("brief_no_previous", lang), fontsize=22, ha="center",
                          color=GREY)  # fmt: skip
        return slide
    scale = float(max(up["delta"].abs().max() if len(up) else 0,
                      down["delta"].abs().max() if len(down) else 0, 1))  # fmt: skip
    unit = t("brief_unit_requests", lang)
    for rows, left, colour, key in ((up, 0.17, UP, "brief_up"), (down, 0.645, DOWN, "brief_down")):
        ax = _content_axes(slide.figure, left, 0.23, top=CONTENT[1] - 0.07)
        slide.figure.text(left - 0.13, CONTENT[1] - 0.015, t(key, lang), fontsize=19, color=colour,
                          va="top")  # fmt: skip
        y = np.arange(MOVERS)[::-1][: len(rows)]
        ax.barh(y, rows["delta"].abs(), color=colour, height=0.66)
        records = _records(rows)
        names = [str(r["town_name"]) if data.district_code else f"{r['town_name']}（{r['district_name']}）"
                 for r in records]  # fmt: skip
        ax.set_yticks(y, names, fontsize=15)
        ax.set_ylim(-0.6, MOVERS - 0.4)
        ax.set_xlim(0, scale * 1.05)
        for yi, row in zip(y, records, strict=True):
            delta = f"{int(row['delta']):+,}".replace("-", "−")
            ax.text(abs(row["delta"]), yi, f" {delta}{unit}（{signed_percent(row['mom'])}）",
                    va="center", fontsize=14, color=INK)  # fmt: skip
        ax.set_xticks([])
        ax.spines[["top", "right", "bottom"]].set_visible(False)
    return slide


# --------------------------------------------------------------------------- writers


def slides(data: BriefData) -> list[Slide]:
    """Every figure of the briefing, in meeting order."""
    towns = data.boundaries.frame
    districts = load_districts(display=True)
    return [
        map_slide(data, towns, districts),
        top_ten_slide(data),
        governance_slide(data),
        rates_slide(data),
        problems_slide(data),
        movers_slide(data),
    ]


def write_pngs(items: Sequence[Slide], out_dir: Path, stem: str) -> list[Path]:
    """One PNG per figure, 1920 x 1080."""
    out = []
    for i, item in enumerate(items, start=1):
        path = out_dir / f"{stem}_{i:02d}_{item.key}.png"
        item.figure.savefig(path, dpi=DPI, facecolor="white")
        out.append(path)
    return out


def write_pdf(items: Sequence[Slide], path: Path, *, title: str) -> Path:
    """All figures in one PDF, one per page (text embedded, searchable)."""
    with PdfPages(path, metadata={"Title": title, "Creator": "heatmap briefing"}) as pdf:
        for item in items:
            pdf.savefig(item.figure, facecolor="white")
    return path


def write_pptx(items: Sequence[Slide], path: Path, *, font: CjkFont, notes: str = "") -> Path:
    """A 16:9 deck, one figure per slide, each slide's title an editable text placeholder.

    The figure is drawn full-slide without its title; the title placeholder sits where the
    figure's title was, in the same font (PowerPoint substitutes its own CJK font if the viewer lacks
    it). ``notes`` go to every slide's speaker notes.
    """
    from pptx import Presentation
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width = Inches(SLIDE_WIDTH_IN)
    deck.slide_height = Inches(SLIDE_WIDTH_IN * FIG_SIZE[1] / FIG_SIZE[0])
    scale = SLIDE_WIDTH_IN / FIG_SIZE[0]
    layout = deck.slide_layouts[5]  # "Title Only"
    for item in items:
        slide = deck.slides.add_slide(layout)
        picture = slide.shapes.add_picture(
            io.BytesIO(_png_without_title(item.figure)), 0, 0, deck.slide_width, deck.slide_height
        )
        tree = slide.shapes._spTree
        tree.remove(picture._element)
        tree.insert(2, picture._element)  # behind the title
        title = slide.shapes.title
        assert title is not None
        title.left = Inches(TITLE_XY[0] * SLIDE_WIDTH_IN - 0.1)
        title.top = Inches((1 - TITLE_XY[1]) * FIG_SIZE[1] * scale - 0.08)
        title.width = Emu(int(deck.slide_width * 0.74))
        title.height = Inches(0.62)
        frame = title.text_frame
        frame.word_wrap = True
        frame.margin_left = frame.margin_right = Inches(0.1)
        frame.margin_top = frame.margin_bottom = Inches(0.02)
        frame.vertical_anchor = MSO_ANCHOR.TOP
        paragraph = frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.LEFT
        run = paragraph.add_run()
        run.text = item.title
        run.font.size = Pt(round(item.title_pt * scale))
        run.font.bold = True
        run.font.name = font.family
        _set_east_asian_font(run, font.family)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    deck.save(str(path))
    return path


def _png_without_title(fig: Figure) -> bytes:
    titles = [a for a in fig.texts if a.get_gid() == "title"]
    for artist in titles:
        artist.set_visible(False)
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    finally:
        for artist in titles:
            artist.set_visible(True)
    return buffer.getvalue()


def _set_east_asian_font(run: Any, family: str) -> None:
    """python-pptx sets only the Latin typeface; Chinese text reads the ``a:ea`` one."""
    from pptx.oxml.ns import qn

    rpr = run._r.get_or_add_rPr()
    for old in rpr.findall(qn("a:ea")):
        rpr.remove(old)
    latin = rpr.find(qn("a:latin"))
    ea = rpr.makeelement(qn("a:ea"), {"typeface": family})
    if latin is not None:
        latin.addnext(ea)
    else:
        rpr.append(ea)


def build_briefing(
    con: duckdb.DuckDBPyConnection,
    *,
    month: str,
    district: str | None = None,
    out_dir: str | os.PathLike[str],
    lang: str = "zh",
    settings: Settings | None = None,
) -> list[Path]:
    """Write the month's briefing under ``out_dir``: a PNG per figure, one PDF, one PPTX.

    Parameters
    ----------
    con
        A connection to the store (read only is enough).
    month
        'YYYY-MM', a month the store holds.
    district
        None for the whole city, or a district code or name (110108, 海淀区, 海淀): the map and
        tables then show that district's towns, with their city-wide ranks.
    out_dir
        Created when missing; files are named ``briefing_<month>_<city|code>_...``.
    lang
        'zh' (default) or 'en' (titles and labels; town names stay Chinese).
    settings
        Volume measure, score weights and exit rules (defaults: :mod:`heatmap.settings`).

    Returns
    -------
    list of Path
        The PNGs in meeting order, then the PDF and the PPTX.
    """
    if lang not in ("zh", "en"):
        raise HeatmapError(f"lang 应为 zh 或 en，收到 {lang!r}")
    font = find_cjk_font()
    data = collect(con, month=month, district=district, lang=lang, settings=settings)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"briefing_{month}_{data.district_code or 'city'}"
    with _font_rc(font):
        items = slides(data)
        try:
            pngs = write_pngs(items, out, stem)
            pdf = write_pdf(items, out / f"{stem}.pdf", title=f"{month} {data.scope}")
            notices = [t("demo_badge", lang)] if data.synthetic else []
            notices += [n for n in [data.boundaries.notice(lang)] if n]
            notes = "\n".join([*_footer(data, boundary_notice=True, notes=()), "　".join(notices)])
            pptx = write_pptx(items, out / f"{stem}.pptx", font=font, notes=notes)
        finally:
            for item in items:
                item.figure.clear()
    return [*pngs, pdf, pptx]


# --------------------------------------------------------------------------- command line


def run_brief_command(args: argparse.Namespace) -> int:
    """Build the briefing and print the files written."""
    from heatmap.settings import parse_overrides

    settings = make_settings(parse_overrides(args.set))
    db = paths.db_path(args.db)
    if not Path(db).exists():
        raise HeatmapError(
            f"数据库 {db} 不存在 (store not found); build it: python -m heatmap demo"
        )
    started = time.perf_counter()
    con = store.connect(db, read_only=True)
    try:
        files = build_briefing(
            con, month=args.month, district=args.district, out_dir=args.out, lang=args.lang,
            settings=settings,
        )  # fmt: skip
    finally:
        con.close()
    for path in files:
        print(path)
    print(f"{len(files)} files in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0
