"""月度简报: the files of a demo month and of a district, their text, size and fonts, and the CLI."""

from __future__ import annotations

import argparse
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from fontTools.ttLib import TTCollection, TTFont
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

from heatmap.analysis import governance, queries
from heatmap.errors import FilterError, HeatmapError
from heatmap.i18n import TEXT, t
from heatmap.intake import store
from heatmap.intake.demo import build_demo
from heatmap.output import briefing
from heatmap.output.briefing import fonts
from heatmap.output.briefing.frame import wrap_text

MONTH = "2020-09"
DISTRICT = "海淀"  # short name on purpose: the CLI and page accept code, name or short name
KEYS = ["map", "top_ten", "governance", "rates", "problems", "movers", "warning"]


@pytest.fixture(scope="module")
def brief_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("brief") / "demo.duckdb"
    build_demo(db, scale=0.003, seed=11)
    return db


def _build(db: Path, out: Path, **kwargs: object) -> tuple[list[Path], list[str]]:
    con = store.connect(db, read_only=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            files = briefing.build_briefing(con, month=MONTH, out_dir=out, **kwargs)  # type: ignore[arg-type]
    finally:
        con.close()
    return files, [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def city(brief_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[str]]:
    return _build(brief_db, tmp_path_factory.mktemp("city"))


@pytest.fixture(scope="module")
def district(
    brief_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Path], list[str]]:
    return _build(brief_db, tmp_path_factory.mktemp("district"), district=DISTRICT)


def _expected_top(db: Path, district_code: str | None = None) -> list[tuple[int, str]]:
    """(city rank, town) of the month's top ten, computed here from the panel, not the module."""
    con = store.connect(db, read_only=True)
    try:
        panel = queries.monthly_panel(con)
    finally:
        con.close()
    month = panel[(panel["month"] == MONTH) & (panel["volume"] > 0)].sort_values(
        ["rank", "town_code"]
    )
    if district_code is None:
        month = month[month["rank"] <= 10]
    else:
        month = month[month["district_code"] == district_code].head(10)
    return [(int(r), str(n)) for r, n in zip(month["rank"], month["town_name"], strict=True)]


def _pdf_pages(files: list[Path]) -> list[str]:
    pdf = next(p for p in files if p.suffix == ".pdf")
    return [page.extract_text() for page in PdfReader(pdf).pages]


def test_city_briefing_writes_pngs_pdf_and_pptx(city: tuple[list[Path], list[str]]) -> None:
    files, _ = city
    names = [p.name for p in files]
    assert names == [f"briefing_{MONTH}_city_{i:02d}_{k}.png" for i, k in enumerate(KEYS, 1)] + [
        f"briefing_{MONTH}_city.pdf",
        f"briefing_{MONTH}_city.pptx",
    ]
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in files)


def test_pdf_text_has_month_top_ten_and_notices(
    brief_db: Path, city: tuple[list[Path], list[str]]
) -> None:
    pages = _pdf_pages(city[0])
    assert len(pages) == len(KEYS)
    text = "\n".join(pages)
    top = _expected_top(brief_db)
    assert len(top) >= 10
    for rank, town in top:
        assert f"{rank} {town} " in pages[1]  # the top-ten table: "rank town district ..."
        assert town in pages[0]  # the map's list
    for page in pages:
        assert MONTH in page
        assert "演示数据（合成）" in page
        assert "数据来源" in page and "数据版本" in page
    assert "示意边界（非官方）" in pages[0]
    assert "全市" in pages[0]
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)  # no phone number can appear


def test_pngs_are_full_hd_and_not_blank(city: tuple[list[Path], list[str]]) -> None:
    for path in city[0][: len(KEYS)]:
        with Image.open(path) as image:
            assert image.size[0] >= 1920 and image.size[1] >= 1080
            pixels = np.asarray(image.convert("L"), dtype=float)
        assert pixels.std() > 20, path.name
        assert (pixels < 200).mean() > 0.02, path.name  # some ink, not a white page


def test_pptx_has_one_titled_slide_per_figure(city: tuple[list[Path], list[str]]) -> None:
    deck = Presentation(str(city[0][-1]))
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.01
    titles = [slide.shapes.title.text for slide in deck.slides]  # type: ignore[union-attr]
    assert len(titles) == len(KEYS)
    assert titles[0] == f"{MONTH} 全市各街乡镇派单量"
    assert titles[1] == f"{MONTH} 全市接诉量前十街乡镇"
    assert all(title.strip() for title in titles)
    for slide in deck.slides:
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == 1
        assert "示意边界" in slide.notes_slide.notes_text_frame.text


def test_district_briefing_limits_tables_to_the_district_with_city_ranks(
    brief_db: Path, district: tuple[list[Path], list[str]]
) -> None:
    files, _ = district
    assert files[-1].name == f"briefing_{MONTH}_110108.pptx"
    pages = _pdf_pages(files)
    top = _expected_top(brief_db, "110108")
    assert top and top[0][0] > 0
    for rank, town in top:  # a table row reads "rank town district volume ..."
        assert f"{rank} {town} 海淀区 " in pages[1]
    others = [town for _, town in _expected_top(brief_db) if town not in {n for _, n in top}]
    assert not [town for town in others if town in pages[1]]  # other districts' towns left out
    assert all("海淀区" in page for page in pages)


def test_no_glyph_is_missing_while_drawing(
    city: tuple[list[Path], list[str]], district: tuple[list[Path], list[str]]
) -> None:
    for _, caught in (city, district):
        assert not [m for m in caught if "missing from font" in m]


def _cmap(font: briefing.CjkFont) -> set[int]:
    if font.path.suffix.lower() in (".ttc", ".otc"):
        with TTCollection(str(font.path), lazy=True) as collection:
            faces = [f for f in collection.fonts if f["name"].getDebugName(1) == font.family]
            return set((faces or collection.fonts)[0].getBestCmap())
    with TTFont(str(font.path), lazy=True) as single:
        return set(single.getBestCmap())


def test_font_has_a_glyph_for_every_character_the_briefing_writes(brief_db: Path) -> None:
    font = briefing.find_cjk_font()
    cmap = _cmap(font)
    con = store.connect(brief_db, read_only=True)
    try:
        towns = queries.towns(con)
    finally:
        con.close()
    texts = [zh for key, (zh, _) in TEXT.items() if key.startswith(("brief_", "col_", "measure_"))]
    texts += [t(f"cond_{k}") for k in governance.CONDITIONS]
    texts += [t(f"status_{k}") for k in governance.STATUSES]
    texts += list(towns["town_name"]) + list(towns["district_name"])
    texts += ["示意边界（非官方）", "演示数据（合成）", "≤–−—×％%（）：｜、，"]
    missing = sorted({ch for text in texts for ch in text if ch.strip() and ord(ch) not in cmap})
    assert not missing, f"{font.family} lacks {missing}"


def _render(text: str, prop: FontProperties) -> np.ndarray:
    fig = Figure(figsize=(1.2, 1.2), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, text, fontproperties=prop, fontsize=60, ha="center", va="center")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., 0].astype(int)


def test_cjk_characters_do_not_render_as_the_missing_glyph_box() -> None:
    font = briefing.find_cjk_font()
    cjk = FontProperties(fname=str(font.path))
    latin = FontProperties(family="DejaVu Sans")  # matplotlib's own font: no Chinese
    no_last_resort = matplotlib.rc_context({"font.enable_last_resort": False})
    with warnings.catch_warnings(), no_last_resort:
        warnings.simplefilter("ignore")  # the .notdef renderings below warn on purpose
        box = _render("\ue000", cjk)  # a private-use code point: the font's .notdef glyph
        latin_box = _render("\ue000", latin)
        for ch in "治理类街乡镇":
            assert np.abs(_render(ch, cjk) - box).sum() > 50_000, ch
            # the check can see a box: without a CJK font the character is exactly the box
            assert np.abs(_render(ch, latin) - latin_box).sum() == 0, ch


def test_pdf_embeds_the_cjk_font(city: tuple[list[Path], list[str]]) -> None:
    reader = PdfReader(next(p for p in city[0] if p.suffix == ".pdf"))
    fonts = {}
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            fonts[name] = ref.get_object()
    assert fonts
    for font in fonts.values():
        if font["/Subtype"] == "/Type3":
            assert "/CharProcs" in font  # glyphs drawn from the font's outlines
        else:
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert {"/FontFile2", "/FontFile3"} & set(descriptor)


def test_cli_builds_an_english_district_briefing(
    brief_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from heatmap.cli import add_brief_command

    parser = argparse.ArgumentParser(prog="heatmap")
    add_brief_command(parser.add_subparsers())
    args = parser.parse_args(
        ["brief", "--db", str(brief_db), "--month", MONTH, "--district", "110108",
         "--out", str(tmp_path / "out"), "--lang", "en"]
    )  # fmt: skip
    assert args.func(args) == 0
    printed = capsys.readouterr().out.split()
    assert len(printed) == len(KEYS) + 2
    assert all(Path(p).is_file() for p in printed)
    deck = Presentation(printed[-1])
    first = deck.slides[0].shapes.title.text  # type: ignore[union-attr]
    assert first == f"Dispatched by street/township, 海淀区, {MONTH}"


@pytest.mark.parametrize("given", ["110108", "海淀区", "海淀"])
def test_resolve_district_accepts_code_name_and_short_name(brief_db: Path, given: str) -> None:
    con = store.connect(brief_db, read_only=True)
    try:
        assert briefing.resolve_district(con, given) == ("110108", "海淀区")
    finally:
        con.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"month": "2030-01"}, FilterError, "不在数据中"),
        ({"month": "2020-9"}, FilterError, "YYYY-MM"),
        ({"month": MONTH, "district": "火星区"}, FilterError, "未知区"),
        ({"month": MONTH, "lang": "fr"}, HeatmapError, "lang"),
    ],
)
def test_bad_input_is_a_clear_error(
    brief_db: Path, tmp_path: Path, kwargs: dict[str, str], error: type[Exception], match: str
) -> None:
    con = store.connect(brief_db, read_only=True)
    try:
        with pytest.raises(error, match=match):
            briefing.build_briefing(con, out_dir=tmp_path, **kwargs)  # type: ignore[arg-type]
    finally:
        con.close()
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_missing_font_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_font_candidates", lambda: iter([]))
    with pytest.raises(HeatmapError, match="pip install pylopdf-fonts-zh-cn==0.1.1"):
        briefing.find_cjk_font()
    with pytest.raises(HeatmapError, match="apt-get install fonts-noto-cjk"):
        briefing.find_cjk_font()


def test_font_override_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(briefing.FONT_ENV, str(tmp_path / "none.otf"))
    with pytest.raises(HeatmapError, match="HEATMAP_CJK_FONT"):
        briefing.find_cjk_font()


@pytest.mark.parametrize(
    ("text", "width", "lines", "expected"),
    [
        ("甲街道、乙街道、丙街道", 8, 9, "甲街道、乙街道、\n丙街道"),
        ("甲街道、乙街道、丙街道", 8, 1, "甲街道、乙街道等，另有 1 个"),
        ("甲、乙", 10, 9, "甲、乙"),
        ("甲街道、乙街道、丙街道、丁街道", 6, 2, "甲街道、\n乙街道等，另有 2 个"),
    ],
)
def test_wrap_cuts_chinese_lists_after_the_separator(
    text: str, width: int, lines: int, expected: str
) -> None:
    assert wrap_text(text, width, max_lines=lines, sep="、") == expected


def test_wrap_keeps_numbers_whole_and_punctuation_off_line_starts() -> None:
    # 8 ems a line: a Chinese character is 1 em, a digit or Latin letter 0.55
    wrapped = wrap_text("截至 2020-09，累计纳入 26 个街乡镇。", 8)
    assert wrapped.split("\n") == ["截至 2020-09，", "累计纳入 26 个", "街乡镇。"]


def test_the_governance_slide_shows_overdue_work_beside_the_checklist(brief_db: Path) -> None:
    """A supervised town with overdue items is marked in the checklist; one that meets every exit
    condition but has overdue items is named in its own line."""
    import pandas as pd

    from heatmap.output.briefing.data import collect
    from heatmap.output.briefing.slides import governance_slide

    con = store.connect(brief_db, read_only=True)
    try:
        month = queries.available_months(con)[-1]
        data = collect(con, month=month)
        checks = governance.checklist(data.gov, month)
        ranks = data.month_rows.set_index("town_code")["rank"]
        open_ = checks[~checks["all_met"]].assign(
            rank=lambda f: f["town_code"].map(ranks),
            lacks=lambda f: (~f[list(governance.CONDITIONS)].astype(bool)).sum(axis=1),
        )
        lacking = str(open_.sort_values(["lacks", "rank"])["town_code"].iloc[0])  # listed first
        met = checks[checks["all_met"]]["town_code"]
        work = pd.DataFrame(
            {"town_code": [lacking, *met[:1]], "total": 3, "done": 1, "due": 2, "overdue": 2}
        )
        with_work = collect(con, month=month, work=work)
    finally:
        con.close()

    def texts(brief: object) -> str:
        with fonts.font_rc(fonts.find_cjk_font()):  # as build_briefing draws
            figure = governance_slide(brief).figure  # type: ignore[arg-type]
        return "\n".join(a.get_text() for a in figure.findobj(lambda o: hasattr(o, "get_text")))

    joined = texts(with_work)
    name = data.month_rows.set_index("town_code").loc[lacking, "town_name"]
    assert f"{name}（清单逾期 2）" in joined.replace("\n", "")
    if len(met):
        assert "摘帽条件已满足、但督导清单有逾期项" in joined
    assert "清单逾期" not in texts(data)
