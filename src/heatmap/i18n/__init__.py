"""Interface text in Simplified Chinese (default) and English.

Where a string goes: every key is an entry ``"key": ("中文", "English")`` in one catalogue module of
this package, the one of the area that shows it:

- ``_frame``: title, page names (``page_*``), sidebar filters, notices, punctuation, shared words;
- ``_measures``: ``metric_<key>`` of :data:`heatmap.measures.MEASURES`, volume counts (``measure_*``);
- ``_columns``: table headers ``col_<column>`` (tables are renamed through them by column name);
- ``_map``, ``_ranking``, ``_governance``, ``_warning``, ``_topics`` (每月一题 and 类别分析),
  ``_briefing``, ``_data``, ``_access`` (sign-in, scope, audit), ``_about`` (数据说明, settings' help):
  the page or output of that name.

A key says where it is used (``warn_…`` on 预警, ``brief_…`` in the briefing); :func:`t` formats
``{name}`` placeholders. A key defined in two catalogues, or an entry without one text per language,
stops the import with an error naming it. A new area gets a module here and a line in ``_CATALOGUES``.

Adding a language: append its code to :data:`LANGS`, add its text as the next item of every entry in
every catalogue (and widen ``tuple[str, str]`` in the annotations here and there); the import check
names the first entry still short. :func:`t` picks the text by the position of ``lang`` in :data:`LANGS` and falls
back to Chinese for an unknown code.
"""

from __future__ import annotations

from collections.abc import Mapping

from heatmap.i18n import (
    _about,
    _access,
    _briefing,
    _columns,
    _data,
    _frame,
    _governance,
    _map,
    _measures,
    _ranking,
    _topics,
    _warning,
    _work,
)
from heatmap.measures import MEASURES, SCORE_RATES

__all__ = [
    "LANGS", "TEXT", "count", "decimal", "measure_value", "percent", "points", "rank", "setting",
    "signed_percent", "t", "weights_text",
]  # fmt: skip

LANGS = ("zh", "en")

_CATALOGUES = (
    _frame, _measures, _columns, _map, _ranking, _governance, _warning, _topics, _briefing, _data,
    _access, _about, _work,
)  # fmt: skip


def _merge(catalogues: Mapping[str, Mapping[str, tuple[str, str]]]) -> dict[str, tuple[str, str]]:
    """One table from the area catalogues; a key defined twice or a missing language is an error."""
    merged: dict[str, tuple[str, str]] = {}
    origin: dict[str, str] = {}
    for name, catalogue in catalogues.items():
        for key, texts in catalogue.items():
            if key in merged:
                raise ValueError(
                    f"interface text {key!r} is defined in both {origin[key]} and {name}; "
                    "keep one of them (or rename the other key)"
                )
            if len(texts) != len(LANGS) or not all(isinstance(s, str) for s in texts):
                raise ValueError(
                    f"interface text {key!r} in {name} should have one string per language "
                    f"{LANGS}, got {texts!r}; add the missing text"
                )
            merged[key] = texts
            origin[key] = name
    return merged


TEXT: dict[str, tuple[str, str]] = _merge({c.__name__: c.TEXT for c in _CATALOGUES})


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang`` ('zh' or 'en'), formatted with ``values``."""
    texts = TEXT[key]
    text = texts[LANGS.index(lang)] if lang in LANGS else texts[0]
    return text.format(**values) if values else text


# The house format of numbers: one function per kind, used by pages, tables' text, charts' labels,
# exports and slides. Missing values are '—'; a minus is the real minus sign (U+2212).
MINUS = "\u2212"


def _missing(value: object) -> bool:
    return value is None or value != value  # None or NaN (pd.NA compares as NA: caught below)


def percent(value: float | None, digits: int = 1) -> str:
    """A rate or share given as a fraction: '87.3%' (one decimal), or '—'."""
    if _missing(value):
        return "—"
    return f"{float(value) * 100:.{digits}f}%".replace("-", MINUS)  # type: ignore[arg-type]


def signed_percent(value: float | None) -> str:
    """A relative change given as a fraction: '+12.0%' / '−3.5%' / '0.0%', or '—'."""
    if _missing(value):
        return "—"
    shown = f"{float(value) * 100:+.1f}%"  # type: ignore[arg-type]
    return "0.0%" if shown in ("+0.0%", "-0.0%") else shown.replace("-", MINUS)


def points(value: float | None, lang: str = "zh") -> str:
    """A change of a rate, given as a fraction: '+1.2 个百分点' / '−0.4 pp', or '—'."""
    if _missing(value):
        return "—"
    shown = f"{float(value) * 100:+.1f}"  # type: ignore[arg-type]
    shown = "0.0" if shown in ("+0.0", "-0.0") else shown.replace("-", MINUS)
    return f"{shown} {t('unit_points', lang)}"


def count(value: float | None) -> str:
    """A count: '28,242' (thousands separated), or '—'."""
    if _missing(value):
        return "—"
    return f"{round(float(value)):,}".replace("-", MINUS)  # type: ignore[arg-type]


def signed_count(value: float | None) -> str:
    """A change of a count: '+1,204' / '−37' / '0', or '—'."""
    if _missing(value):
        return "—"
    n = round(float(value))  # type: ignore[arg-type]
    return "0" if n == 0 else f"{n:+,}".replace("-", MINUS)


def rank(value: float | None) -> str:
    """A rank: '12' (an integer), or '—'."""
    return "—" if _missing(value) else str(int(float(value)))  # type: ignore[arg-type]


def decimal(value: float | None, digits: int = 1) -> str:
    """A ratio such as 万人诉求比: '12.3', or '—'."""
    if _missing(value):
        return "—"
    return f"{float(value):,.{digits}f}".replace("-", MINUS)  # type: ignore[arg-type]


def setting(value: object) -> str:
    """A setting's value: whole numbers without decimals ('30', '500'), others as written ('0.2')."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def measure_value(metric: str, value: float | None) -> str:
    """A value of one of :data:`heatmap.measures.MEASURES`, formatted by its kind."""
    kind = MEASURES[metric].kind
    if kind == "rate":
        return percent(value)
    if kind == "per_10k":
        return decimal(value)
    return count(value)


def weights_text(weights: tuple[float, float, float], lang: str = "zh") -> str:
    """The composite score's formula in words: '10%×响应率 + 45%×解决率 + 45%×满意率'."""
    total = sum(weights) or 1.0
    names = [t(f"metric_{rate}", lang) for rate in SCORE_RATES]
    return " + ".join(f"{x / total:.0%}×{n}" for x, n in zip(weights, names, strict=True))
