"""PNG, PDF and PPTX writers of a list of slides."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from heatmap.output.briefing.fonts import CjkFont
from heatmap.output.briefing.frame import TITLE_XY, Slide
from heatmap.output.briefing.style import DPI, FIG_SIZE, SLIDE_WIDTH_IN
from heatmap.output.safe import pptx_text


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
        run.text = pptx_text(item.title)
        run.font.size = Pt(round(item.title_pt * scale))
        run.font.bold = True
        run.font.name = font.family
        _set_east_asian_font(run, font.family)
        if notes:
            slide.notes_slide.notes_text_frame.text = pptx_text(notes)
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


