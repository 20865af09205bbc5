"""Pure measures over aggregate frames: rates, ranks, month-on-month change."""

from __future__ import annotations

import numpy as np
import pandas as pd

RATE_PARTS = {
    "response_rate": ("responded", "dispatched"),
    "resolution_rate": ("resolved", "evaluated"),
    "satisfaction_rate": ("satisfied", "evaluated"),
}


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
    return (
        w[0] * frame["response_rate"]
        + w[1] * frame["resolution_rate"]
        + w[2] * frame["satisfaction_rate"]
    )
