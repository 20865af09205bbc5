"""The choropleth slide: the month's volume by 街乡镇 with the top ten and supervised towns marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects as pe
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from heatmap.analysis.governance import SUPERVISED
from heatmap.geo.geography import METRIC_CRS
from heatmap.i18n import t
from heatmap.output.briefing.data import BriefData, top_rows
from heatmap.output.briefing.frame import CONTENT, Slide, content_axes, new_slide
from heatmap.output.briefing.style import EXITED_EDGE, FIG_SIZE, GREY, INK, SUPERVISED_EDGE
from heatmap.output.maps import VOLUME_COLORS, class_breaks, classify, legend_for


def map_slide(data: BriefData, towns: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> Slide:
    """Choropleth of the month's volume by town, top ten numbered, supervised / exited outlined.

    For the whole city a second panel zooms in on the top ten (the central towns are too small at
    city scale); a district is drawn alone, its towns named.
    """
    lang = data.lang
    measure = t(f"measure_{data.measure}", lang)
    slide = new_slide(
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
        main = content_axes(fig, 0.01, 0.40)
        _draw_towns(main, frame, outlines, names_min_km2=100.0)
        zoom = content_axes(fig, 0.405, 0.36, bottom=CONTENT[0] + 0.01, top=CONTENT[1] - 0.055)
        bounds = _zoom_bounds(frame[frame["town_code"].isin(top["town_code"])], zoom)
        _draw_towns(zoom, frame, outlines, names_min_km2=0.0, bounds=bounds)
        _zoom_frame(fig, main, zoom, bounds, lang)
        _rank_markers(zoom, frame, top)
    else:
        main = content_axes(fig, 0.01, 0.75)
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
    for row in as_records(top):
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


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
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
    for i, row in enumerate(as_records(shown)):
        y = y_top - 0.055 - i * step
        fig.text(
            0.787, y, str(int(row["rank"])), fontsize=11, color="white", ha="center", va="center",
            bbox={"boxstyle": "circle,pad=0.25", "fc": INK, "ec": "white", "lw": 1.0},
        )  # fmt: skip
        fig.text(0.803, y, str(row["town_name"]), fontsize=14, color=INK, va="center")
        fig.text(
            0.968, y, f"{int(row['volume']):,}", fontsize=14, color=GREY, va="center", ha="right"
        )


