"""One settings object: every setting with its name, default and help; assumptions are marked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from heatmap.errors import HeatmapError


@dataclass(frozen=True)
class Setting:
    """A named setting; ``assumption`` marks defaults not published in the sources (shown on screen)."""

    name: str
    default: Any
    help_zh: str
    help_en: str
    assumption: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "volume_measure",
        "dispatched",
        "接诉量口径：dispatched=派单量（默认），accepted=受理量",
        "Which volume counts: dispatched (default) or accepted requests",
    ),
    Setting(
        "h3_resolution",
        8,
        "密度图六边形 H3 分辨率（7≈5 km²，8≈0.7 km²）",
        "H3 resolution of the density layer",
    ),
    Setting(
        "weight_response",
        0.10,
        "综合得分中响应率的权重",
        "Weight of the response rate in the composite score",
        assumption=True,
    ),
    Setting(
        "weight_resolution",
        0.45,
        "综合得分中解决率的权重",
        "Weight of the resolution rate in the composite score",
        assumption=True,
    ),
    Setting(
        "weight_satisfaction",
        0.45,
        "综合得分中满意率的权重",
        "Weight of the satisfaction rate in the composite score",
        assumption=True,
    ),
    Setting(
        "governance_start_month",
        "2019-05",
        "治理类街乡镇起始月份",
        "First month of the governance ranking",
    ),
    Setting(
        "governance_top_n",
        10,
        "每月纳入治理类的街乡镇数（前 N 名）",
        "Towns per month put under supervision",
    ),
    Setting(
        "governance_months_out",
        3,
        "摘帽条件·退出前十：连续几个月不在前十",
        "Exit: consecutive months out of the top ten",
        assumption=True,
    ),
    Setting(
        "governance_volume_drop",
        0.20,
        "摘帽条件·降量：接诉量较入选当月至少下降的比例",
        "Exit: volume drop against the entry month",
        assumption=True,
    ),
    Setting(
        "governance_score_margin",
        0.0,
        "摘帽条件·提率：综合得分至少高出全市的幅度",
        "Exit: composite score margin over the city's",
        assumption=True,
    ),
    Setting(
        "governance_low_share",
        0.20,
        "摘帽条件·脱低：综合得分排名不得在全市后多少比例",
        "Exit: composite-score rank not in this worst share of towns",
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
