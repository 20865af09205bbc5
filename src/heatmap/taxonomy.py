"""Themes and problems of 12345 requests, read from a replaceable TOML file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from heatmap.errors import HeatmapError

DEFAULT_TAXONOMY = Path(__file__).with_name("config") / "taxonomy.toml"


@dataclass(frozen=True)
class Problem:
    """One problem (问题) under a theme, with its 每月一题 list years and demo shaping."""

    theme: str
    name: str
    name_en: str
    lists: tuple[int, ...]
    lead: str
    weight: float
    trend: float
    season: str | None


@dataclass(frozen=True)
class Taxonomy:
    """An ordered list of problems; themes are derived from them."""

    problems: tuple[Problem, ...]
    source: Path
    theme_en: tuple[tuple[str, str], ...] = ()

    @property
    def themes(self) -> list[str]:
        return list(dict.fromkeys(p.theme for p in self.problems))

    def problems_of(self, theme: str | None = None) -> list[Problem]:
        return [p for p in self.problems if theme is None or p.theme == theme]

    def theme_of(self, problem: str) -> str:
        for p in self.problems:
            if p.name == problem:
                return p.theme
        raise HeatmapError(f"问题 {problem!r} 不在分类表 {self.source} 中 (unknown problem)")

    def display(self, name: str, lang: str = "zh") -> str:
        """A theme or problem as the user reads it: its name, or its English name in English.

        The names are data of the taxonomy file (both languages given there), not interface text.
        """
        return self.english(name) if lang == "en" else name

    def english(self, name: str) -> str:
        """English name of a theme or problem (the Chinese name when none is given)."""
        for p in self.problems:
            if p.name == name:
                return p.name_en
        return dict(self.theme_en).get(name, name)


def load_taxonomy(path: str | os.PathLike[str] | None = None) -> Taxonomy:
    """Read the taxonomy file (argument, else ``HEATMAP_TAXONOMY``, else the packaged default)."""
    source = Path(path or os.environ.get("HEATMAP_TAXONOMY") or DEFAULT_TAXONOMY)
    try:
        doc = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HeatmapError(
            f"无法读取分类表 {source}: {exc}. Expected a TOML file with [[theme]] tables; "
            f"see {DEFAULT_TAXONOMY} for the layout."
        ) from exc
    problems = []
    theme_en = []
    for theme in doc.get("theme", []):
        theme_en.append((theme["name"], theme.get("name_en", theme["name"])))
        for item in theme.get("problems", []):
            problems.append(
                Problem(
                    theme=theme["name"],
                    name=item["name"],
                    name_en=item.get("name_en", item["name"]),
                    lists=tuple(item.get("lists", ())),
                    lead=item.get("lead", ""),
                    weight=float(item.get("weight", 1.0)),
                    trend=float(item.get("trend", 0.0)),
                    season=item.get("season"),
                )
            )
    if not problems:
        raise HeatmapError(
            f"分类表 {source} 没有任何问题 (no problems found); expected [[theme]] tables"
        )
    return Taxonomy(problems=tuple(problems), source=source, theme_en=tuple(theme_en))
