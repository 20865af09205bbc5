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
import os
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

from heatmap import paths
from heatmap.errors import HeatmapError
from heatmap.i18n import t
from heatmap.intake import store
from heatmap.output.briefing.data import BriefData, collect, resolve_district
from heatmap.output.briefing.fonts import CjkFont, find_cjk_font, font_rc
from heatmap.output.briefing.frame import footer_lines
from heatmap.output.briefing.slides import slides
from heatmap.output.briefing.style import FONT_ENV
from heatmap.output.briefing.writers import write_pdf, write_pngs, write_pptx
from heatmap.settings import Settings, make_settings

__all__ = [
    "FONT_ENV", "BriefData", "CjkFont", "build_briefing", "collect", "find_cjk_font",
    "resolve_district", "run_brief_command",
]  # fmt: skip


def build_briefing(
    con: duckdb.DuckDBPyConnection,
    *,
    month: str,
    district: str | None = None,
    out_dir: str | os.PathLike[str],
    lang: str = "zh",
    settings: Settings | None = None,
    work: pd.DataFrame | None = None,
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
    work
        The 督导工作台's counts per town (:func:`heatmap.supervision.work.summary`: town_code,
        total, done, due, overdue), shown beside the exit checklist; None leaves them out.

    Returns
    -------
    list of Path
        The PNGs in meeting order, then the PDF and the PPTX.
    """
    if lang not in ("zh", "en"):
        raise HeatmapError(f"lang 应为 zh 或 en，收到 {lang!r}")
    font = find_cjk_font()
    data = collect(con, month=month, district=district, lang=lang, settings=settings, work=work)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"briefing_{month}_{data.district_code or 'city'}"
    with font_rc(font):
        items = slides(data)
        try:
            pngs = write_pngs(items, out, stem)
            pdf = write_pdf(items, out / f"{stem}.pdf", title=f"{month} {data.scope}")
            notices = [t("demo_badge", lang)] if data.synthetic else []
            notices += [n for n in [data.boundaries.notice(lang)] if n]
            notes = "\n".join([*footer_lines(data, boundary_notice=True, notes=()), "　".join(notices)])
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
    work = work_counts(db, args.month)
    con = store.connect(db, read_only=True)
    try:
        files = build_briefing(
            con, month=args.month, district=args.district, out_dir=args.out, lang=args.lang,
            settings=settings, work=work,
        )  # fmt: skip
    finally:
        con.close()
    for path in files:
        print(path)
    print(f"{len(files)} files in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def work_counts(db: str | os.PathLike[str], month: str) -> pd.DataFrame | None:
    """The 督导工作台's counts per town at ``month`` (None when the store has no workbench yet)."""
    from heatmap.supervision import db as work_db
    from heatmap.supervision import work

    where = work_db.locate(db)
    if where.dialect == "sqlite" and not Path(where.target).exists():
        return None
    with work_db.transaction(where, write=False) as con:
        return work.summary(con, month=month)
