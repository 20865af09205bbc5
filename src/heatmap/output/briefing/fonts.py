"""The CJK font: found on disk (PyPI package, then Debian's), registered with matplotlib by path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager

from heatmap.errors import HeatmapError
from heatmap.output.briefing.style import FONT_ENV, FONT_PACKAGE, SYSTEM_FONTS


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
def font_rc(font: CjkFont) -> Iterator[None]:
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


