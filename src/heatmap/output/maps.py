"""Map builders: a township choropleth with district outlines and an H3 density layer (pydeck)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from heatmap.i18n import count, decimal, measure_value, percent, rank, signed_percent, t
from heatmap.measures import RATES

# Sequential palettes, light to dark (ColorBrewer YlOrRd and YlGnBu, 5 classes).
VOLUME_COLORS = ((255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38))
RATE_COLORS = ((255, 255, 204), (161, 218, 180), (65, 182, 196), (44, 127, 184), (37, 52, 148))
DENSITY_COLORS = ((254, 235, 226), (251, 180, 185), (247, 104, 161), (197, 27, 138), (122, 1, 119))


@dataclass(frozen=True)
class Palette:
    """The colour classes of one palette, light to dark: volume, rates, hexagons."""

    volume: tuple[tuple[int, int, int], ...]
    rate: tuple[tuple[int, int, int], ...]
    density: tuple[tuple[int, int, int], ...]


#: ``standard``: ColorBrewer YlOrRd / YlGnBu / RdPu. ``cvd`` (色觉友好): cividis and viridis samples
#: (reversed: more is darker), whose lightness rises steadily in protanopia and deuteranopia too
#: (tests/output/test_palettes.py simulates both).
PALETTES = {
    "standard": Palette(VOLUME_COLORS, RATE_COLORS, DENSITY_COLORS),
    "cvd": Palette(
        ((255, 234, 70), (188, 175, 111), (124, 123, 120), (65, 77, 107), (0, 32, 77)),
        ((253, 231, 37), (94, 201, 98), (33, 145, 140), (59, 82, 139), (68, 1, 84)),
        ((252, 253, 191), (252, 137, 97), (183, 55, 121), (81, 18, 124), (28, 16, 68)),
    ),
}
NO_DATA = (220, 220, 220)
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
BEIJING_VIEW = pdk.ViewState(latitude=40.15, longitude=116.45, zoom=8.0, min_zoom=6, max_zoom=14)
#: Beijing's extent (minx, miny, maxx, maxy, degrees): the whole city fitted into a map's height.
CITY_BOUNDS = (115.42, 39.44, 117.51, 41.06)


#: Metrics shown as percentages on a rate's colour scale: the rates, and the 预警 page's
#: probability of entering the top ten (not a measure of the heat map).
PERCENT_METRICS = (*RATES, "p_top_ten")


#: Fixed classes for a probability (most towns sit near 0: quantiles would hide the risk).
PROBABILITY_BREAKS = (0.05, 0.2, 0.5, 0.8, 1.0)


class CompactDeck(pdk.Deck):  # type: ignore[misc]
    """A Deck whose JSON has no indentation or ASCII escapes (pydeck's is ~3x larger), written by
    orjson (a city map's 230 k coordinates in ~8 ms instead of ~50 ms with ``json``)."""

    def to_json(self) -> str:
        return orjson.dumps(
            self,
            default=default_serialize,
            option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY,
        ).decode()


@dataclass(frozen=True)
class Legend:
    """Colour classes of a map: title, (colour, label) per class, and the no-data colour."""

    title: str
    items: tuple[tuple[tuple[int, int, int], str], ...]


def class_breaks(values: pd.Series, k: int = 5) -> list[float]:
    """Upper bounds of ``k`` quantile classes, rounded to 2 significant digits and strictly rising."""
    clean = values.dropna().astype("float64")
    if clean.empty:
        return []
    qs = np.quantile(clean, np.linspace(0, 1, k + 1)[1:])
    out: list[float] = []
    for q in qs:
        r = _round_sig(float(q))
        if not out or r > out[-1]:
            out.append(r)
    if out[-1] < clean.max():
        out[-1] = float(clean.max())
    return out


def _round_sig(x: float, digits: int = 2) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def classify(
    values: pd.Series, breaks: Sequence[float], colors: Sequence[tuple[int, int, int]]
) -> list[list[int]]:
    """RGB colour per value: the first class whose upper bound holds it; grey for missing."""
    idx = _class_index(values, breaks, len(colors))
    return [
        list(NO_DATA) if pd.isna(v) else list(colors[i])
        for v, i in zip(values, idx.tolist(), strict=True)
    ]


def _class_index(values: pd.Series, breaks: Sequence[float], n: int) -> np.ndarray:
    """Per value, the first of ``n`` classes whose upper bound (``breaks``) holds it."""
    found = np.searchsorted(
        np.asarray(breaks), values.to_numpy(dtype="float64", na_value=np.nan), side="left"
    )
    return np.minimum(found, n - 1)


def legend_for(
    metric: str, breaks: Sequence[float], lang: str, *, palette: str = "standard"
) -> Legend:
    """Legend entries for ``breaks`` (rates as percent, counts as integers)."""
    colors = _colors(metric, palette)
    fmt = percent if metric in PERCENT_METRICS else _break_label
    items = []
    low: float | None = None
    for color, high in zip(
        colors[-len(breaks) :] if len(breaks) < len(colors) else colors, breaks, strict=False
    ):
        label = f"≤ {fmt(high)}" if low is None else f"{fmt(low)} – {fmt(high)}"
        items.append((color, label))
        low = high
    items.append((NO_DATA, t("legend_nodata", lang)))
    return Legend(title=t(f"metric_{metric}", lang), items=tuple(items))


def _colors(metric: str, palette: str) -> tuple[tuple[int, int, int], ...]:
    chosen = PALETTES[palette]
    return chosen.rate if metric in PERCENT_METRICS else chosen.volume


def _break_label(value: float) -> str:
    """A class bound of counts: whole from 10 on ('1,500'), one decimal below ('2.6')."""
    return count(value) if value >= 10 else decimal(value)


def town_rows(
    towns: gpd.GeoDataFrame,
    measures: pd.DataFrame,
    *,
    metric: str,
    lang: str,
    breaks: Sequence[float] | None = None,
    palette: str = "standard",
) -> tuple[list[dict], Legend]:
    """PolygonLayer rows (one per polygon part) with colour and a ready Chinese/English tooltip
    (plain text: the deck's tooltip sets it as text, so a name is never read as HTML).

    The classes are the values' quantiles unless ``breaks`` (upper bounds) are given. A frame from
    :func:`display_geometry` brings its rings ready; any other frame has them computed here.
    """
    frame = _with_rings(towns).merge(measures, left_on="code9", right_on="town_code", how="inner")
    values = frame[metric].astype("float64")
    breaks = list(breaks) if breaks is not None else class_breaks(values)
    colors = classify(values, breaks, _colors(metric, palette))
    rows: list[dict] = []
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for rec, color in zip(records, colors, strict=True):
        tip = _town_tip(rec, metric, lang)
        for ring_set in rec["rings"]:
            rows.append(
                {
                    "polygon": ring_set,
                    "fill": [*color, 200],
                    "line": [255, 255, 255, 160],
                    "width": 1,
                    "tip": tip,
                    "town_code": rec["town_code"],
                }
            )
    return rows, legend_for(metric, breaks, lang, palette=palette)


def _town_tip(rec: Mapping[str, Any], metric: str, lang: str) -> str:
    """The tooltip as plain lines (deck.gl's ``text`` tooltip: never parsed as HTML)."""
    colon = t("colon", lang)
    lines = [
        str(rec["town_name"]),
        f"{t('tt_district', lang)}{colon}{rec['district_name']}",
        f"{t('tt_volume', lang)}{colon}{count(rec['volume'])}",
        f"{t('tt_rank', lang)}{colon}{rank(rec['rank'])}",
        f"{t('tt_mom', lang)}{colon}{signed_percent(rec['mom'])}",
    ]
    if metric in PERCENT_METRICS:
        lines.append(f"{t('metric_' + metric, lang)}{colon}{percent(rec[metric])}")
    elif metric != "volume" and pd.notna(rec.get(metric)):
        lines.append(f"{t('metric_' + metric, lang)}{colon}{measure_value(metric, rec[metric])}")
    return "\n".join(lines)


Rings = list[list[list[float]]]  # a polygon: exterior then holes, each [[lon, lat], ...]


def polygon_parts(geometries: Sequence[shapely.Geometry] | gpd.GeoSeries) -> list[list[Rings]]:
    """Each geometry's polygons as deck.gl rings, coordinates rounded to 5 decimals (~1 m).

    Vectorised (one shapely call per level and one ``tolist``), so a boundary set's 1 600 parts
    take milliseconds; :func:`display_geometry` stores the result so pages do not redo it.
    """
    values = np.asarray(geometries, dtype=object)
    parts, part_of = shapely.get_parts(values, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    flat = np.round(coords, 5).tolist()
    ring_ends = np.cumsum(np.bincount(coord_of, minlength=len(rings))).tolist()
    ring_lists = [flat[a:b] for a, b in zip([0, *ring_ends[:-1]], ring_ends, strict=True)]
    part_rings: list[Rings] = [[] for _ in range(len(parts))]
    for ring, part in zip(ring_lists, ring_of.tolist(), strict=True):
        part_rings[part].append(ring)
    out: list[list[Rings]] = [[] for _ in range(len(values))]
    for rings_of_part, geom in zip(part_rings, part_of.tolist(), strict=True):
        out[geom].append(rings_of_part)
    return out


def _with_rings(towns: gpd.GeoDataFrame) -> pd.DataFrame:
    """``code9`` and the deck.gl rings of each town (reused when the frame carries them)."""
    rings = towns["rings"].to_numpy() if "rings" in towns.columns else polygon_parts(towns.geometry)
    return pd.DataFrame({"code9": towns["code9"].to_numpy(), "rings": rings})


def density_rows(
    cells: pd.DataFrame,
    lang: str,
    *,
    names: Mapping[str, str] | None = None,
    palette: str = "standard",
) -> list[dict]:
    """H3HexagonLayer rows: hex id, colour by quantile class, tooltip, and the cell's main town
    (``town_code`` when the cells carry it: a click on a hexagon selects that town)."""
    if cells.empty:
        return []
    volume = cells["volume"]
    breaks = class_breaks(volume)
    fills = [[*c, 190] for c in PALETTES[palette].density]
    classes = _class_index(volume, breaks, len(fills)).tolist()
    label, colon = t("tt_cell", lang), t("colon", lang)
    towns = cells["town_code"].tolist() if "town_code" in cells else [None] * len(cells)
    where = t("tt_cell_town", lang)
    rows = []
    for h, v, k, town in zip(
        cells["hex"].tolist(), volume.astype("int64").tolist(), classes, towns, strict=True
    ):
        tip = f"{label}{colon}{count(v)}"
        if town is not None and names is not None and town in names:
            tip += f"\n{where}{colon}{names[town]}"
        rows.append({"hex": h, "fill": fills[k], "tip": tip, "town_code": town or ""})
    return rows


def density_legend(cells: pd.DataFrame, lang: str, *, palette: str = "standard") -> Legend | None:
    """The hexagons' own legend (requests per hexagon), or None without cells."""
    if cells.empty:
        return None
    breaks = class_breaks(cells["volume"])
    colors = PALETTES[palette].density
    classes = colors[-len(breaks) :] if len(breaks) < len(colors) else colors
    items, low = [], None
    for color, high in zip(classes, breaks, strict=False):
        label = f"≤ {_break_label(high)}" if low is None else f"{_break_label(low)} – {_break_label(high)}"
        items.append((color, label))
        low = high
    return Legend(title=t("tt_cell", lang), items=tuple(items))


def district_label_rows(districts: gpd.GeoDataFrame) -> list[dict]:
    """A label point per district (inside its polygon)."""
    points = districts.geometry.representative_point()
    return [
        {"name": n, "position": [round(p.x, 5), round(p.y, 5)], "size": 15, "priority": 1000}
        for n, p in zip(districts["district_name"], points, strict=True)
    ]


@dataclass(frozen=True)
class Outlines:
    """District outlines ready for a deck (GeoJSON and name labels): built once, reused each run."""

    geojson: dict[str, Any]
    labels: list[dict]

    @classmethod
    def of(cls, districts: gpd.GeoDataFrame) -> Outlines:
        return cls(
            geojson=districts[["district_name", "geometry"]].__geo_interface__,
            labels=district_label_rows(districts),
        )


def build_deck(
    town_polys: list[dict],
    districts: gpd.GeoDataFrame | Outlines,
    *,
    density: list[dict] | None = None,
    basemap: bool = False,
    top_labels: list[dict] | None = None,
    view: pdk.ViewState | None = None,
    selected: str | None = None,
) -> pdk.Deck:
    """The map: towns (fill), optional hexagons, district outlines and labels.

    Offline by default: ``map_provider=None`` draws no basemap tiles (the polygons are the base);
    ``basemap=True`` adds CARTO's online light basemap. The ``selected`` town is outlined by a
    layer of its own, so the towns' rows (and the map's click selection) stay as they were.
    Labels never overlap at the opening zoom: :func:`declutter` keeps, by ``priority`` (districts
    1000, the top ten 100 − rank), only labels whose boxes do not collide. (deck.gl's
    ``CollisionFilterExtension`` tests each character of a TextLayer on its own and leaves
    half-hidden names, so the placement is computed here.)
    """
    outlines = districts if isinstance(districts, Outlines) else Outlines.of(districts)
    layers = [
        pdk.Layer(
            "PolygonLayer",
            id="towns",
            data=town_polys,
            get_polygon="polygon",
            get_fill_color="fill",
            get_line_color="line",
            get_line_width="width",
            line_width_units=pdk.types.String("pixels"),
            opacity=0.35 if density else 1.0,
            pickable=True,
            auto_highlight=True,
            highlight_color=[0, 90, 200, 90],
        )
    ]
    if density:
        layers.append(
            pdk.Layer(
                "H3HexagonLayer",
                id="density",
                data=density,
                get_hexagon="hex",
                get_fill_color="fill",
                extruded=False,
                stroked=False,
                pickable=True,
            )
        )
    chosen = [row for row in town_polys if selected and row.get("town_code") == selected]
    if chosen:
        layers.append(
            pdk.Layer(
                "PolygonLayer",
                id="selected",
                data=[{"polygon": row["polygon"]} for row in chosen],
                get_polygon="polygon",
                filled=False,
                get_line_color=[20, 20, 20, 255],
                get_line_width=3,
                line_width_units=pdk.types.String("pixels"),
                pickable=False,
            )
        )
    layers.append(
        pdk.Layer(
            "GeoJsonLayer",
            id="districts",
            data=outlines.geojson,
            stroked=True,
            filled=False,
            get_line_color=[60, 60, 60, 255],
            get_line_width=2,
            line_width_units=pdk.types.String("pixels"),
            pickable=False,
        )
    )
    labels = declutter(outlines.labels + (top_labels or []), view or BEIJING_VIEW)
    layers.append(
        pdk.Layer(
            "TextLayer",
            id="labels",
            data=labels,
            get_position="position",
            get_text="name",
            get_size="size",
            get_color=[20, 20, 20, 255],
            outline_width=3,
            outline_color=[255, 255, 255, 230],
            font_settings={"sdf": True},
            font_family=pdk.types.String(FONT),
            character_set=pdk.types.String("auto"),
            pickable=False,
        )
    )
    kwargs = {"map_provider": "carto", "map_style": "light"} if basemap else {"map_provider": None}
    return CompactDeck(
        layers=layers,
        initial_view_state=view or BEIJING_VIEW,
        tooltip=TOOLTIP,
        **kwargs,
    )


#: Plain-text tooltips (``{tip}`` lines; deck.gl sets them as text, never as HTML), kept narrow
#: so they stay inside the map.
TOOLTIP = {
    "text": "{tip}",
    "style": {
        "fontSize": "13px", "fontFamily": FONT, "lineHeight": "1.45", "maxWidth": "240px",
        "whiteSpace": "pre-line", "backgroundColor": "rgba(255, 255, 255, 0.96)", "color": "#1a1a1a",
        "border": "1px solid #999", "borderRadius": "4px", "padding": "6px 8px",
    },
}  # fmt: skip


def declutter(labels: Sequence[dict], view: pdk.ViewState, *, margin_px: float = 4) -> list[dict]:
    """The labels that fit without overlapping at ``view``'s zoom, the higher ``priority`` first.

    A label's box is its text's size on screen (a CJK character is as wide as the font is high,
    a digit or space half that) around its position, plus ``margin_px``; ties keep the given
    order. Labels without a priority count as 0.
    """
    scale = 512 * 2 ** float(view.zoom) / 360  # deck.gl: a 512 px world at zoom 0
    kept: list[dict] = []
    boxes: list[tuple[float, float, float, float]] = []
    order = sorted(range(len(labels)), key=lambda i: -float(labels[i].get("priority", 0)))
    for i in order:
        label = labels[i]
        lon, lat = label["position"][:2]
        x = lon * scale
        y = math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))) * scale
        size = float(label.get("size", 12))
        width = sum(size if ord(ch) > 0x2E7F else size * 0.55 for ch in str(label["name"]))
        half_w, half_h = width / 2 + margin_px, size * 0.65 + margin_px
        box = (x - half_w, y - half_h, x + half_w, y + half_h)
        if all(box[2] < b[0] or b[2] < box[0] or box[3] < b[1] or b[3] < box[1] for b in boxes):
            boxes.append(box)
            kept.append(label)
    return kept


def view_for(
    bounds: Sequence[float], *, width_px: int = 1000, height_px: int = 620
) -> pdk.ViewState:
    """A view that fits ``bounds`` (minx, miny, maxx, maxy in degrees) into the map's pixel size."""
    minx, miny, maxx, maxy = bounds
    lat = (miny + maxy) / 2
    span_x = max(maxx - minx, 0.01) * 1.1
    span_y = max(maxy - miny, 0.01) * 1.1
    zoom_x = math.log2(width_px * 360 / (512 * span_x))  # deck.gl: 512 px world at zoom 0
    zoom_y = math.log2(height_px * 360 / (512 * span_y / math.cos(math.radians(lat))))
    zoom = max(min(zoom_x, zoom_y, 13.0), 6.0)
    return pdk.ViewState(
        latitude=lat, longitude=(minx + maxx) / 2, zoom=round(zoom, 2), min_zoom=6, max_zoom=14
    )


def display_geometry(
    frame: gpd.GeoDataFrame, tolerance: float = 0.0002, *, group: str = "district_code"
) -> gpd.GeoDataFrame:
    """A copy simplified for drawing (~20 m by default), shared edges kept within each ``group``,
    with each shape's deck.gl rings in ``rings`` (built once: a page reuses them every run)."""
    out = frame.copy()
    for _, rows in out.groupby(group).groups.items():
        geoms = shapely.coverage_simplify(out.loc[rows, "geometry"].values, tolerance)
        out.loc[rows, "geometry"] = geoms
    out["rings"] = polygon_parts(out.geometry)
    return out


def category_rows(
    towns: gpd.GeoDataFrame,
    categories: pd.Series,
    palette: dict[str, tuple[tuple[int, int, int], str]],
    *,
    default: str,
    names: pd.Series | None = None,
    title: str = "",
) -> tuple[list[dict], Legend]:
    """PolygonLayer rows coloured by a category per town code (e.g. governance status)."""
    rows: list[dict] = []
    shapes = _with_rings(towns)
    for code, parts in zip(shapes["code9"], shapes["rings"], strict=True):
        key = categories.get(code, default)
        color, label = palette.get(key, palette[default])
        name = names.get(code, code) if names is not None else code
        for rings in parts:
            rows.append(
                {
                    "polygon": rings,
                    "fill": [*color, 215],
                    "line": [255, 255, 255, 160],
                    "width": 1,
                    "tip": f"{name}\n{label}",
                    "town_code": code,
                }
            )
    legend = Legend(title=title, items=tuple((c, label) for c, label in palette.values()))
    return rows, legend
