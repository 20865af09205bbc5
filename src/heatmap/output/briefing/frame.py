"""The 16:9 slide frame (title, subtitle, notices, footer) and the text wrapping it uses."""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib import patheffects as pe
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from heatmap.i18n import t
from heatmap.i18n import weights_text as i18n_weights_text
from heatmap.output.briefing.data import BriefData
from heatmap.output.briefing.style import DPI, FIG_SIZE, GREY, INK, RULE
from heatmap.settings import Settings, score_weights


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


def new_slide(
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
    for i, line in enumerate(footer_lines(data, boundary_notice=boundary_notice, notes=notes)):
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


def footer_lines(data: BriefData, *, boundary_notice: bool, notes: Sequence[str]) -> list[str]:
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


def content_axes(fig: Figure, left: float, width: float, *, bottom: float = CONTENT[0],
                  top: float = CONTENT[1]) -> Axes:  # fmt: skip
    return fig.add_axes((left, bottom, width, top - bottom))


def blank_axes(fig: Figure, left: float, width: float) -> Axes:
    ax = content_axes(fig, left, width)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return ax




def wrap_text(
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


def text_width(width: float, fontsize: float) -> float:
    """How many ems fit in ``width`` (figure fraction) at ``fontsize`` points."""
    return width * FIG_SIZE[0] * 72 / fontsize


def weights_text(settings: Settings, lang: str) -> str:
    return i18n_weights_text(score_weights(settings), lang)


