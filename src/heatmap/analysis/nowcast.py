"""月末预估 (nowcast): each town's month-end volume from the month's first days, with an interval.

A month's volume is projected as the volume received by day N divided by the share of a month that
days 1..N usually hold. That share comes from history (the ``history`` months before): a weekday
profile (city-wide, each month's days relative to its daily mean) gives the calendar's expected
share, and the ratio of the actual to that expected share in each history month corrects it (point:
the city-wide median ratio; interval: the spread of the town's own ratios, or of the city's for a
town with fewer than :data:`MIN_TOWN_MONTHS` months of volume). Counts follow the aggregates' measure definition
(:func:`heatmap.intake.store.refresh_aggregates`): accepted = every record, dispatched = records
with ``dispatched``; the day is the date of ``received_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from heatmap.analysis.queries import towns as town_table
from heatmap.errors import FilterError, HeatmapError
from heatmap.filters import Filters, check_basis
from heatmap.measures import rank_by

#: History months with any volume the nowcast needs at least.
MIN_HISTORY = 3
#: A town's own share ratios give its interval when it had volume in at least this many months.
MIN_TOWN_MONTHS = 6
#: Floor of a history month's share ratio (a town with nothing in the first days of a month).
MIN_RATIO = 0.05


def nowcast(
    con: duckdb.DuckDBPyConnection,
    month: str,
    day: int,
    *,
    scope: Sequence[str] | None = None,
    scope_towns: Sequence[str] | None = None,
    measure: str = "dispatched",
    history: int = 12,
    level: float = 0.8,
    top_n: int = 10,
) -> pd.DataFrame:
    """Projected month-end volume per town from the records of days 1..``day`` of ``month``.

    Records received after day ``day`` are ignored, so a complete month can be nowcast as it would
    have been on that day. The rank is city-wide; ``scope`` (district codes) and ``scope_towns`` only limit the rows.

    Returns one row per town, by projected rank: town_code, town_name, district_code,
    district_name, month, day, observed (volume so far), expected_share (of the month by ``day``),
    projected_volume, low, high (the ``level`` interval), projected_rank, in_top_ten.
    """
    target = _check(month, day, measure, history, level)
    ref = town_table(con)
    months = [target - k for k in range(history, 0, -1)] + [target]
    end = target.start_time + pd.Timedelta(days=day)
    cube = _cube(con, measure, months, end.date(), ref["town_code"])
    with_data = [i for i in range(history) if cube[i].sum() > 0]
    if len(with_data) < MIN_HISTORY:
        raise HeatmapError(
            f"{month} 之前 {history} 个月中只有 {len(with_data)} 个月有数据，月末预估至少需要 "
            f"{MIN_HISTORY} 个月 (too little history); choose a later month"
        )
    past = [months[i] for i in with_data]
    weights = _weekday_weights(cube[with_data], past)
    city, town = _ratios(cube[with_data], past, day, target.days_in_month, weights)
    expected = _expected_share(target, day, weights)
    observed = cube[-1, :, :day].sum(axis=1)
    frame = ref[["town_code", "town_name", "district_code", "district_name"]].assign(
        month=month, day=day, observed=observed.astype("int64"), expected_share=expected
    )
    frame = frame.assign(
        **_project(observed, expected, city, town, level, complete=day >= target.days_in_month)
    )
    frame["projected_rank"] = rank_by(frame["projected_volume"]).astype("int64")
    frame["in_top_ten"] = (frame["projected_rank"] <= top_n) & (frame["projected_volume"] > 0)
    if scope is not None:
        frame = frame[frame["district_code"].isin(list(scope))]
    if scope_towns is not None:
        frame = frame[frame["town_code"].isin(list(scope_towns))]
    return frame.sort_values(["projected_rank", "town_code"]).reset_index(drop=True)


def _check(month: str, day: int, measure: str, history: int, level: float) -> pd.Period:
    Filters(month, month)  # checks the YYYY-MM form
    check_basis(measure)
    target = pd.Period(month, freq="M")
    if not 1 <= day <= target.days_in_month:
        raise FilterError(
            f"日 {day} 不在 {month} 的 1–{target.days_in_month} 日之内 (day out of month)"
        )
    if history < MIN_HISTORY or not 0 < level < 1:
        raise HeatmapError(
            f"history 须 ≥ {MIN_HISTORY}、level 须在 (0, 1) 内，收到 {history} / {level}"
        )
    return target


def _cube(
    con: duckdb.DuckDBPyConnection,
    measure: str,
    months: list[pd.Period],
    end: date,
    codes: pd.Series,
) -> np.ndarray:
    """Volume as months × towns (in the order of ``codes``) × day of month (0-based), zero-filled:
    records received from the first of ``months`` to the day before ``end``, from the store's daily
    aggregate (13 months of a 2 M-a-month store: 0.4 s from records, ms from it). The month, town
    and day indexes are worked out in the query: no date or code parsing per row in Python; rows
    of one town and day (one per district the town was filed under) are added up by ``np.add.at``."""
    cube = np.zeros((len(months), len(codes), 31))
    first = months[0].start_time.date()
    found = con.execute(
        f"""SELECT (year(a.day) - ?) * 12 + month(a.day) - ? AS m, c.i AS t,
                   day(a.day) - 1 AS d, a.{measure}::DOUBLE AS volume
            FROM agg_town_day a JOIN (SELECT unnest(?::VARCHAR[]) AS town_code,
                                             generate_subscripts(?::VARCHAR[], 1) - 1 AS i) c
                 USING (town_code)
            WHERE a.day >= ? AND a.day < ?""",
        [first.year, first.month, list(codes), list(codes), first, end],
    ).fetchnumpy()
    if len(found["m"]):
        np.add.at(cube, (found["m"], found["t"], found["d"]), found["volume"])
    return cube


def _weekdays(period: pd.Period) -> np.ndarray:
    return np.asarray(pd.date_range(period.start_time, periods=period.days_in_month).day_of_week)


def _weekday_weights(cube: np.ndarray, months: list[pd.Period]) -> np.ndarray:
    """Mean city volume of each weekday (Mon = 0) relative to its month's daily mean; mean 1."""
    sums, counts = np.zeros(7), np.zeros(7)
    for volumes, period in zip(cube, months, strict=True):
        city = volumes.sum(axis=0)[: period.days_in_month]
        np.add.at(sums, _weekdays(period), city / city.mean())
        np.add.at(counts, _weekdays(period), 1)
    weights = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0).clip(1e-6)
    return np.asarray(weights / weights.mean())


def _expected_share(period: pd.Period, day: int, weights: np.ndarray) -> float:
    """Share of ``period``'s volume in days 1..``day`` by the weekday profile alone."""
    w = weights[_weekdays(period)]
    return float(w[:day].sum() / w.sum())


def _ratios(
    cube: np.ndarray, months: list[pd.Period], day: int, days_in_target: int, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Actual over expected share by day N of each history month: city (months), town (months × towns).

    N is ``day`` (at most the month's length), or the whole month when ``day`` ends the target
    month; a town's ratio is NaN in a month without volume.
    """
    city, town = np.empty(len(months)), np.full(cube.shape[:2], np.nan)
    for i, (volumes, period) in enumerate(zip(cube, months, strict=True)):
        n = period.days_in_month if day >= days_in_target else min(day, period.days_in_month)
        expected = _expected_share(period, n, weights)
        totals = volumes.sum(axis=1)
        city[i] = volumes[:, :n].sum() / totals.sum() / expected
        has = totals > 0
        town[i, has] = volumes[has, :n].sum(axis=1) / totals[has] / expected
    return city, np.maximum(town, MIN_RATIO)


def _project(
    observed: np.ndarray,
    expected: float,
    city: np.ndarray,
    town: np.ndarray,
    level: float,
    *,
    complete: bool,
) -> dict[str, np.ndarray]:
    """Point and interval of the month-end volume (observed / share), never below ``observed``."""
    if complete:
        return {"projected_volume": observed, "low": observed, "high": observed}
    bounds = _order_bounds(np.tile(city[:, None], (1, town.shape[1])), level)
    own = np.sum(~np.isnan(town), axis=0) >= MIN_TOWN_MONTHS
    bounds[:, own] = _order_bounds(town[:, own], level)
    point = observed / min(1.0, expected * float(np.median(city)))
    low = observed / np.minimum(1.0, expected * bounds[1])
    high = observed / np.minimum(1.0, expected * np.maximum(bounds[0], MIN_RATIO))
    return {
        "projected_volume": point,
        "low": np.maximum(np.minimum(low, point), observed),
        "high": np.maximum(high, point),
    }


def _order_bounds(ratios: np.ndarray, level: float) -> np.ndarray:
    """Per column, the j-th lowest and highest of its n ratios (NaN skipped): a distribution-free
    prediction interval covering a new month with probability (n + 1 - 2j) / (n + 1) ≥ ``level``
    (j at least 1, so 12 months give their minimum and maximum, 85 %)."""
    ordered = np.sort(ratios, axis=0)  # NaN last
    n = np.sum(~np.isnan(ratios), axis=0)
    j = np.maximum(1, np.floor((n + 1) * (1 - level) / 2)).astype(int)
    columns = np.arange(ratios.shape[1])
    return np.vstack([ordered[j - 1, columns], ordered[np.maximum(n - j, 0), columns]])
