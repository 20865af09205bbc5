"""The measures a page shows, and the pure functions over aggregate frames: rates, ranks, change.

:data:`MEASURES` is the one list of what a user can map, rank, chart and export. A new rate over the
aggregate counts is one entry here plus its label (``metric_<key>``) in :mod:`heatmap.i18n`:
the heat map, the rankings, the KPI row, the exports, the briefing's rate chart and the CLI read
this list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

#: The counts each aggregate row holds (the volume bases are two of them).
COUNT_COLUMNS = ("accepted", "dispatched", "responded", "evaluated", "resolved", "satisfied")


@dataclass(frozen=True)
class Measure:
    """One figure of a town: its column, how it reads, and how it is coloured.

    ``kind`` decides the formatter and the map's colour scale (count, rate, per_10k); a rate has
    its ``parts`` (numerator and denominator counts); ``colour`` is its line in charts.
    """

    key: str
    kind: Literal["count", "rate", "per_10k"]
    parts: tuple[str, str] | None = None
    colour: str = "#636363"


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("volume", "count"),
        Measure("per_10k", "per_10k"),
        Measure("response_rate", "rate", ("responded", "dispatched"), "#2c7fb8"),
        Measure("resolution_rate", "rate", ("resolved", "evaluated"), "#d95f0e"),
        Measure("satisfaction_rate", "rate", ("satisfied", "evaluated"), "#31a354"),
    )
}
#: The rates, in the order pages show them.
RATES = tuple(k for k, m in MEASURES.items() if m.kind == "rate")
#: The rates the composite score weighs (the assessment's three, in the weights' order): a new
#: rate is shown everywhere but does not enter the score.
SCORE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
RATE_PARTS = {k: m.parts for k, m in MEASURES.items() if m.parts is not None}


def add_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the three rates (NaN where the denominator is 0): 响应率、解决率、满意率."""
    out = frame.copy()
    for rate, (num, den) in RATE_PARTS.items():
        den_values = out[den].astype("float64")
        out[rate] = np.where(den_values > 0, out[num] / den_values.where(den_values > 0), np.nan)
    return out


def rank_by(values: pd.Series) -> pd.Series:
    """Rank 1 = highest value; ties share the best rank ('min'): 9, 5, 5, 2 -> 1, 2, 2, 4.

    The result depends only on the values, never on row order, so a tie at the cut-off (e.g. two
    towns sharing rank 10) keeps both.
    """
    return values.rank(method="min", ascending=False).astype("Int64")


def change(current: pd.Series, previous: pd.Series) -> pd.Series:
    """Relative change (e.g. -0.12 for -12 %); NaN where the previous value is 0 or missing."""
    prev = previous.astype("float64")
    return (current.astype("float64") - prev) / prev.where(prev > 0)


def per_10k(volume: pd.Series, population: pd.Series) -> pd.Series:
    """万人诉求比: requests per 10,000 residents; NaN where population is unknown."""
    pop = population.astype("float64")
    return volume.astype("float64") / pop.where(pop > 0) * 10_000


def composite_score(frame: pd.DataFrame, weights: tuple[float, float, float]) -> pd.Series:
    """Weighted mean of (response, resolution, satisfaction) rates; weights are normalised to 1.

    NaN where any rate is unknown (no dispatched or no evaluated requests).
    """
    total = sum(weights)
    if total <= 0:
        raise ValueError(f"score weights must sum to more than 0, got {weights}")
    w = [x / total for x in weights]
    score = pd.Series(0.0, index=frame.index)
    for weight, rate in zip(w, SCORE_RATES, strict=True):
        score = score + weight * frame[rate]
    return score
