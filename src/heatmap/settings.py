"""One settings object: every setting with its name, default and help; assumptions are marked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from heatmap.errors import HeatmapError
from heatmap.i18n import t


@dataclass(frozen=True)
class Setting:
    """A named setting; ``assumption`` marks defaults not published in the sources (shown on screen)."""

    name: str
    default: Any
    assumption: bool = False

    def help(self, lang: str = "zh") -> str:
        """What the setting does, from the catalogue (``setting_<name>``)."""
        return t(f"setting_{self.name}", lang)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "volume_measure",
        "dispatched",
    ),
    Setting(
        "h3_resolution",
        8,
    ),
    Setting(
        "weight_response",
        0.10,
        assumption=True,
    ),
    Setting(
        "weight_resolution",
        0.45,
        assumption=True,
    ),
    Setting(
        "weight_satisfaction",
        0.45,
        assumption=True,
    ),
    Setting(
        "governance_start_month",
        "2019-05",
    ),
    Setting(
        "governance_top_n",
        10,
    ),
    Setting(
        "governance_months_out",
        3,
        assumption=True,
    ),
    Setting(
        "governance_volume_drop",
        0.20,
        assumption=True,
    ),
    Setting(
        "governance_score_margin",
        0.0,
        assumption=True,
    ),
    Setting(
        "governance_low_share",
        0.20,
        assumption=True,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Values of all settings; build with :func:`make_settings` so unknown keys are rejected."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        if name not in _BY_NAME:
            raise HeatmapError(f"未知设置 {name!r} (unknown setting); known: {', '.join(_BY_NAME)}")
        return self.values.get(name, _BY_NAME[name].default)


def make_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Return settings with ``overrides`` applied; an unknown key is an error, not a silent default."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(_BY_NAME))
    if unknown:
        raise HeatmapError(
            f"未知设置 {', '.join(unknown)} (unknown setting); expected one of: {', '.join(_BY_NAME)}"
        )
    if overrides.get("volume_measure", "dispatched") not in ("dispatched", "accepted"):
        raise HeatmapError(
            f"volume_measure 应为 dispatched 或 accepted，收到 {overrides['volume_measure']!r}"
        )
    return Settings(values=overrides)


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """``name=value`` strings (from ``--set``) to typed overrides, typed like each setting's default."""
    out: dict[str, Any] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or name not in _BY_NAME:
            raise HeatmapError(
                f"设置应写作 name=value，且 name 为已知设置；收到 {item!r}. Known: {', '.join(_BY_NAME)}"
            )
        kind = type(_BY_NAME[name].default)
        try:
            out[name] = kind(raw)
        except ValueError as exc:
            raise HeatmapError(f"设置 {name} 应为 {kind.__name__}，收到 {raw!r}") from exc
    return out


def score_weights(settings: Settings) -> tuple[float, float, float]:
    """(response, resolution, satisfaction) weights of the composite score."""
    return (
        float(settings["weight_response"]),
        float(settings["weight_resolution"]),
        float(settings["weight_satisfaction"]),
    )


def governance_values(settings: Settings) -> dict[str, Any]:
    """The ``governance_*`` settings in force (for :meth:`heatmap.analysis.governance.ExitRules.from_settings`)."""
    return {s.name: settings[s.name] for s in SETTINGS if s.name.startswith("governance_")}
