"""监测预警: which towns are likely to be in next month's top ten, and how close supervised towns are to exit.

Pure functions over the monthly town panel (:func:`heatmap.analysis.queries.monthly_panel`) and the
governance ledger (:func:`heatmap.analysis.governance.evaluate`). A prediction for the month after
``month`` reads only months up to ``month`` (walk-forward): :func:`risk` cuts the panel there first,
and :func:`walk_forward` refits month by month on features that look back only. The month-end
nowcast from a month's first days is :func:`heatmap.analysis.nowcast.nowcast`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from heatmap.analysis import queries
from heatmap.analysis.governance import (
    CONDITIONS,
    SUPERVISED,
    ExitRules,
    Governance,
    checklist,
    evaluate,
    statuses_in,
)
from heatmap.errors import FilterError, HeatmapError
from heatmap.filters import View
from heatmap.i18n import t

METHODS = ("persistence", "rank_ma", "model")

#: The reasons a town's risk is explained by, in the order they are given (phrases:
#: ``warn_reason_<key>`` in the catalogue).
REASONS = (
    "in_top", "near_cut", "rising", "jump", "rank_move", "last_year", "recent_top", "supervised",
    "problem",
)  # fmt: skip
#: rank_ma: logistic scale (in ranks) of p = 1 / (1 + exp((mean rank - top_n - 0.5) / scale)).
RANK_MA_SCALE = 2.0
#: model: ridge penalty on the standardised features, and the months of pairs it needs at least.
L2_PENALTY = 1.0
MIN_TRAIN_MONTHS = 3
FEATURES = (
    "log_volume", "trend_3m", "gap_to_cut", "log_rank", "log_rank_3m_ago", "months_in_top_12",
    "last_year_log_rank", "last_year_in_top", "response_rate", "resolution_rate",
    "satisfaction_rate", "top_problem_share", "supervised",
)  # fmt: skip
_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
_TOWN_COLUMNS = ["town_code", "town_name", "district_code", "district_name"]


@dataclass(frozen=True)
class _Grid:
    """The panel as months × towns arrays, with the features of every (month, town)."""

    months: list[str]
    towns: pd.DataFrame
    volume: np.ndarray
    rank: np.ndarray
    top: np.ndarray
    supervised: np.ndarray
    problem: np.ndarray
    share: np.ndarray
    features: np.ndarray  # months × towns × FEATURES


# --------------------------------------------------------------------------------------- risk


def risk(
    panel: pd.DataFrame,
    month: str,
    *,
    method: str = "model",
    rules: ExitRules | None = None,
    problems: pd.DataFrame | None = None,
    lang: str = "zh",
    history: History | None = None,
) -> pd.DataFrame:
    """Each town's probability of being in the top ten of the month after ``month``.

    Reads only the rows of ``panel`` up to ``month``. ``method``: ``persistence`` (1 for this
    month's top ten, else 0), ``rank_ma`` (logistic in the 3-month mean rank, see
    :data:`RANK_MA_SCALE`) or ``model`` (a ridge logistic regression on :data:`FEATURES`, fitted on
    every (t, t + 1) pair with t + 1 ≤ ``month``). ``problems`` is :func:`top_problems` (optional:
    without it the top-problem share is 0). ``rules`` gives the top N and the supervision feature.
    ``history`` (from :func:`build_history`, for the same panel and problems) lends its grid of
    the whole panel, so that a month's risk costs one prediction instead of a new grid: every
    feature of month t reads t and earlier only, so the result is the same.

    Returns one row per town, highest probability first: town_code, town_name, district_code,
    district_name, month, target_month, volume, rank, in_top_ten, p_top_ten, projected_volume,
    projected_rank, method, reasons (short phrases in ``lang`` computed from the data).
    """
    rules = rules or ExitRules()
    _check_method(method)
    usable = history is not None and history.rules == rules and history.covers(panel, month)
    grid = history.grid if history is not None and usable else None
    if grid is None:
        grid = _grid(panel[panel["month"] <= month], rules, problems)
    if month not in grid.months:
        raise FilterError(f"面板中没有月份 {month!r} (month not in panel); months: {grid.months}")
    now = grid.months.index(month)  # the grid reads month t and before only: later rows unused
    p, projected = _predict(grid, now, method, rules.top_n)
    frame = grid.towns.assign(
        month=month,
        target_month=_shift(month, 1),
        volume=grid.volume[now].astype("int64"),
        rank=grid.rank[now].astype("int64"),
        in_top_ten=grid.top[now],
        p_top_ten=p,
        projected_volume=projected,
        projected_rank=_rank_rows(projected[None, :])[0].astype("int64"),
        method=method,
        reasons=pd.Series(_reasons(grid, now, rules.top_n, lang), dtype=object),
    )
    order = frame.sort_values(
        ["p_top_ten", "projected_volume", "town_code"], ascending=[False, False, True]
    )
    return order.reset_index(drop=True)


def top_problems(con: duckdb.DuckDBPyConnection, *, measure: str = "dispatched") -> pd.DataFrame:
    """Each town's largest problem per month and its share of the town's volume.

    Columns: month ('YYYY-MM'), town_code, top_problem, top_problem_share.
    """
    months = queries.available_months(con)
    if not months:
        return pd.DataFrame(columns=["month", "town_code", "top_problem", "top_problem_share"])
    whole = View(months[0], months[-1], measure=measure)
    sums = queries.sums(con, whole, by=["month", "town_code", "problem"], positive=True)
    sums = sums.sort_values(
        ["month", "town_code", "volume", "problem"], ascending=[True, True, False, True]
    )
    total = sums.groupby(["month", "town_code"])["volume"].transform("sum")
    sums["top_problem_share"] = sums["volume"] / total
    first = sums.groupby(["month", "town_code"]).head(1).rename(columns={"problem": "top_problem"})
    return first[["month", "town_code", "top_problem", "top_problem_share"]].reset_index(drop=True)


@dataclass(frozen=True)
class Outlook:
    """What the 预警 page, the CLI and the briefing show for a month: the risk of each town for the
    month after, the backtest of every method over the store, and the chosen method."""

    month: str
    method: str
    risk: pd.DataFrame
    backtest: pd.DataFrame
    predictions: pd.DataFrame

    def mean_scores(self) -> pd.DataFrame:
        """Mean precision, recall and new-entrant recall per method (rows: METHODS order)."""
        cols = ["precision", "recall", "new_entrant_recall"]
        means = self.backtest.groupby("method")[cols].mean()
        return means.reindex([m for m in METHODS if m in means.index])

    def beats_persistence(self) -> bool:
        """Whether the chosen method catches more new entrants than persistence does."""
        means = self.mean_scores()["new_entrant_recall"].fillna(0.0)
        return bool(means.get(self.method, 0.0) > means.get("persistence", 0.0))


@dataclass(frozen=True)
class History:
    """What an outlook needs that does not depend on the month asked: the grid of the whole panel,
    the towns' top problems and the backtest over the store. Built once per store and rule
    setting (the 预警 page caches it), so a change of month costs only that month's risk."""

    rules: ExitRules
    grid: _Grid
    problems: pd.DataFrame
    predictions: pd.DataFrame
    backtest: pd.DataFrame

    def covers(self, panel: pd.DataFrame, month: str) -> bool:
        """Whether the grid answers for ``month`` of ``panel``: the month is in it and the towns
        up to it are the grid's (a town first seen later would change an earlier grid)."""
        if month not in self.grid.months:
            return False
        seen = panel.loc[panel["month"] <= month, "town_code"].unique()
        return len(seen) == len(self.grid.towns) and set(seen) == set(self.grid.towns["town_code"])


def build_history(
    con: duckdb.DuckDBPyConnection,
    *,
    measure: str = "dispatched",
    rules: ExitRules | None = None,
    panel: pd.DataFrame | None = None,
) -> History:
    """The month-independent part of :func:`outlook`: the backtest over every month of the store
    from the second year of supervision (each predicted from the months before it only): on the
    demo, 2020-05 onwards (the ranking starts 2019-05); on a store of 13 months or fewer, none.
    """
    rules = rules or ExitRules()
    months = queries.available_months(con)
    if panel is None:
        panel = queries.monthly_panel(con, measure=measure)
    problems = top_problems(con, measure=measure)
    grid = _grid(panel, rules, problems)
    first = max(_shift(rules.start_month, 12), months[min(12, len(months) - 1)]) if months else ""
    tested = [m for m in months[1:] if m >= first] if len(months) > 12 else []
    predictions = walk_forward(panel, tested, METHODS, rules=rules, problems=problems)
    return History(rules, grid, problems, predictions, score(predictions))


def outlook(
    con: duckdb.DuckDBPyConnection,
    month: str,
    *,
    method: str = "model",
    measure: str = "dispatched",
    rules: ExitRules | None = None,
    panel: pd.DataFrame | None = None,
    lang: str = "zh",
    history: History | None = None,
) -> Outlook:
    """The month's risk (for the month after) and the backtest of :func:`build_history`.

    ``panel`` is the caller's :func:`~heatmap.analysis.queries.monthly_panel` (with its score
    weights), read here when not given; ``history`` is :func:`build_history` for the same store,
    panel and rules (built here when not given).
    """
    rules = rules or ExitRules()
    queries.require_month(con, month)
    if panel is None:
        panel = queries.monthly_panel(con, measure=measure)
    past = history or build_history(con, measure=measure, rules=rules, panel=panel)
    found = risk(
        panel, month, method=method, rules=rules, problems=past.problems, lang=lang, history=past
    )
    return Outlook(month, method, found, past.backtest, past.predictions)


# ----------------------------------------------------------------------------------- backtest


def walk_forward(
    panel: pd.DataFrame,
    months: list[str],
    methods: tuple[str, ...] | list[str] = METHODS,
    *,
    rules: ExitRules | None = None,
    problems: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Predictions for each of ``months`` (the predicted month) from the month before it.

    One row per month × method × town: month, method, town_code, p_top_ten, projected_volume,
    predicted (among the top N by p, ties by projected volume, then code), actual (in the month's
    top N), previous (in the top N the month before).
    """
    rules = rules or ExitRules()
    for method in methods:
        _check_method(method)
    if not months:  # a store too short to backtest
        return pd.DataFrame(columns=_PREDICTION_COLUMNS)
    grid = _grid(panel, rules, problems)
    codes = grid.towns["town_code"].to_numpy()
    frames = []
    for month in months:
        if month not in grid.months or grid.months.index(month) == 0:
            raise FilterError(
                f"回测月份 {month!r} 不在面板中或没有上月数据 (month missing or first); "
                f"choose among {grid.months[1:]}"
            )
        target = grid.months.index(month)
        for method in methods:
            p, projected = _predict(grid, target - 1, method, rules.top_n)
            predicted = np.zeros(len(codes), dtype=bool)
            predicted[np.lexsort((codes, -projected, -p))[: rules.top_n]] = True
            frames.append(pd.DataFrame({
                "month": month, "method": method, "town_code": codes, "p_top_ten": p,
                "projected_volume": projected, "predicted": predicted,
                "actual": grid.top[target], "previous": grid.top[target - 1],
            }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


_PREDICTION_COLUMNS = [
    "month", "method", "town_code", "p_top_ten", "projected_volume", "predicted", "actual",
    "previous",
]  # fmt: skip


def score(predictions: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall and new-entrant recall per month and method of :func:`walk_forward`.

    new_entrant_recall is the recall over towns in the month's top N that were not in it the month
    before (NaN when there are none).
    """
    frame = predictions.assign(
        hit=predictions["predicted"] & predictions["actual"],
        new=predictions["actual"] & ~predictions["previous"],
    )
    frame["new_hit"] = frame["hit"] & frame["new"]
    sums = frame.groupby(["month", "method"], sort=False)[
        ["predicted", "actual", "hit", "new", "new_hit"]
    ].sum()
    out = pd.DataFrame({
        "precision": sums["hit"] / sums["predicted"].where(sums["predicted"] > 0),
        "recall": sums["hit"] / sums["actual"].where(sums["actual"] > 0),
        "new_entrant_recall": sums["new_hit"] / sums["new"].where(sums["new"] > 0),
        "hits": sums["hit"], "n_actual": sums["actual"], "n_new": sums["new"],
        "new_hits": sums["new_hit"],
    })  # fmt: skip
    return out.reset_index()


def backtest(
    panel: pd.DataFrame,
    months: list[str],
    methods: tuple[str, ...] | list[str] = METHODS,
    *,
    rules: ExitRules | None = None,
    problems: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`score` of :func:`walk_forward`: month, method, precision, recall, new_entrant_recall,
    hits, n_actual, n_new, new_hits."""
    return score(walk_forward(panel, months, methods, rules=rules, problems=problems))


def calibration(predictions: pd.DataFrame, *, bins: int = 10) -> pd.DataFrame:
    """Predicted probability against observed frequency, per method, in ``bins`` equal bins of p.

    Columns: method, p_low, p_high, n, mean_p, observed (share of the bin in the actual top N).
    """
    if bins < 1:
        raise HeatmapError(f"bins 须 ≥ 1，收到 {bins}")
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, predictions["p_top_ten"], side="right") - 1, 0, bins - 1)
    frame = predictions.assign(bin=index, actual=predictions["actual"].astype(float))
    out = frame.groupby(["method", "bin"], sort=False).agg(
        n=("actual", "size"), mean_p=("p_top_ten", "mean"), observed=("actual", "mean")
    )
    out = out.reset_index().sort_values(["method", "bin"])
    out.insert(1, "p_low", edges[out["bin"]])
    out.insert(2, "p_high", edges[out["bin"] + 1])
    return out.drop(columns="bin").reset_index(drop=True)


# ------------------------------------------------------------------------------ close to exit


def close_to_exit(
    gov: Governance,
    panel: pd.DataFrame,
    month: str,
    *,
    window: int = 6,
    horizon: int = 24,
    lang: str = "zh",
) -> pd.DataFrame:
    """For each town supervised in ``month``, each exit condition: holds now, and when at the trend.

    The trend is a straight line through the relevant figure over the last ``window`` months up to
    ``month`` (volume for 降量, score minus city score for 提率, score rank for 脱低, volume rank for
    退出前十, which then needs ``months_out`` months out). ``projected_month`` is the first month
    after ``month`` where the line meets the rule (None when the line goes the wrong way or needs
    more than ``horizon`` months). ``blocking`` marks the one condition met last (the first that is
    never met); ``projected_exit`` is when all are met (None when one never is).

    One row per town × condition: month, town_code, town_name, district_name, spell, entry_month,
    condition, label, holds, value, target, slope, projected_month, blocking, projected_exit.
    """
    if not 2 <= window <= 24:
        raise HeatmapError(f"window 应在 2–24 个月之间，收到 {window}")
    rules = gov.rules
    status = statuses_in(gov, month)
    current = status.loc[status["status"].isin(SUPERVISED), "town_code"].tolist()
    # plain dicts and arrays from here on: pandas indexing per town and condition cost ~25 ms
    checks = checklist(gov, month).set_index("town_code").to_dict("index")
    recent = panel[
        (panel["month"] <= month)
        & (panel["month"] > _shift(month, -window))
        & panel["town_code"].isin(current)
    ]
    recent = recent.assign(gap=recent["score"] - recent["city_score"]).sort_values(
        ["town_code", "month"]
    )
    figures = ["volume", "gap", "score_rank", "rank"]
    values = {c: recent[c].astype("float64").to_numpy() for c in figures}  # <NA> -> NaN
    codes = recent["town_code"].to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])[: len(codes)]
    ends = np.r_[starts[1:], len(codes)][: len(starts)]
    by_town = {
        str(codes[a]): {c: v[a:b] for c, v in values.items()}
        for a, b in zip(starts, ends, strict=True)
    }
    empty = {c: np.empty(0) for c in figures}
    named = panel[panel["town_code"].isin(current)].drop_duplicates("town_code")
    names = {
        code: {"town_name": town, "district_code": district, "district_name": district_name}
        for code, town, district, district_name in zip(
            named["town_code"], named["town_name"], named["district_code"],
            named["district_name"], strict=True,
        )
    }  # fmt: skip
    spells = gov.ledger.set_index(["town_code", "spell"])["entry_month"].to_dict()
    labels = {key: t(f"cond_{key}", lang) for key in CONDITIONS}
    rows = []
    for code in current:
        check, name = checks[code], names[code]
        series = by_town.get(code, empty)
        found = {key: _condition(key, check, series, rules, horizon) for key in labels}
        blocking, exit_month = _blocking(found, month)
        for key, (holds, value, target, slope, steps) in found.items():
            rows.append({
                "month": month, "town_code": code, "town_name": name["town_name"],
                "district_code": name["district_code"],
                "district_name": name["district_name"], "spell": int(check["spell"]),
                "entry_month": spells.get((code, int(check["spell"]))), "condition": key,
                "label": labels[key], "holds": holds, "value": value,
                "target": target, "slope": slope,
                "projected_month": month if holds else _shift(month, steps) if steps else None,
                "blocking": key == blocking, "projected_exit": exit_month,
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=_EXIT_COLUMNS)
    for column in ("entry_month", "projected_month", "projected_exit"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


_EXIT_COLUMNS = [
    "month", "town_code", "town_name", "district_code", "district_name", "spell", "entry_month",
    "condition",
    "label", "holds", "value", "target", "slope", "projected_month", "blocking", "projected_exit",
]  # fmt: skip


def _condition(
    key: str,
    check: Mapping[Hashable, Any],
    series: Mapping[str, np.ndarray],
    rules: ExitRules,
    horizon: int,
) -> tuple[bool, float, float, float, int | None]:
    """(holds, value this month, threshold, slope per month, months until met at the trend).

    ``check`` is the town's checklist row, ``series`` its last months' volume, gap (score minus the
    city's), score_rank and rank as float arrays (NaN where missing), oldest first.
    """
    holds = bool(check[key])
    if key == "volume_down":
        values, target = series["volume"], (1 - rules.volume_drop) * float(check["entry_volume"])
    elif key == "rates_up":
        values, target = series["gap"], rules.score_margin
    elif key == "out_of_low":
        values, target = series["score_rank"], math.floor((1 - rules.low_share) * check["n_towns"])
    else:  # out_of_top: the volume rank must pass top_n, then stay there months_out months
        values, target = series["rank"], float(rules.top_n + 1)
    level, slope = _line(values)
    value = float(values[-1]) if len(values) else math.nan
    if holds:
        return True, value, target, slope, 0
    steps = _steps_to(level, slope, target, key in _DOWN, horizon)
    if key == "out_of_top":
        months_out = int(check["months_out"])
        if months_out:  # already out: met after the missing months if the line stays out
            missing = rules.months_out - months_out
            steps = missing if level + slope * missing >= target else None
        elif steps is not None:
            steps += rules.months_out - 1
        steps = steps if steps is not None and steps <= horizon else None
    return False, value, target, slope, steps


_DOWN = ("volume_down", "out_of_low")  # conditions met from above (the others from below)


def _line(values: np.ndarray) -> tuple[float, float]:
    """The least-squares line through ``values`` (one a month, NaN skipped): (value now, slope)."""
    x = np.arange(len(values), dtype=float) - (len(values) - 1)
    ok = ~np.isnan(values)
    if ok.sum() == 0:
        return math.nan, math.nan
    if ok.sum() == 1:
        return float(values[ok][0]), math.nan
    slope, level = np.polyfit(x[ok], values[ok], 1)
    return float(level), float(slope)


def _steps_to(level: float, slope: float, target: float, down: bool, horizon: int) -> int | None:
    """Months until the line ``level + slope * k`` meets ``target`` (from above when ``down``).

    None when the line is flat, goes the wrong way, or needs more than ``horizon`` months.
    """
    if math.isnan(level) or math.isnan(slope) or slope == 0 or (slope < 0) != down:
        return None
    k = max(1, math.ceil((target - level) / slope - 1e-9))
    return k if k <= horizon else None


def _blocking(
    conditions: dict[str, tuple[bool, float, float, float, int | None]], month: str
) -> tuple[str | None, str | None]:
    """The condition met last (the first never met) and the month all are met."""
    pending = {k: v[4] for k, v in conditions.items() if not v[0]}
    if not pending:
        return None, month
    never = [k for k, steps in pending.items() if steps is None]
    if never:
        return never[0], None
    last = max(pending, key=lambda k: pending[k] or 0)
    return last, _shift(month, pending[last] or 0)


# ------------------------------------------------------------------------------------ helpers


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise HeatmapError(f"未知预测方法 {method!r} (unknown method); use one of {METHODS}")


def _shift(month: str, k: int) -> str:
    return str(pd.Period(month, freq="M") + k)


def _rank_rows(values: np.ndarray) -> np.ndarray:
    """Per row, rank 1 = highest, ties share the best rank (as :func:`heatmap.measures.rank_by`)."""
    return pd.DataFrame(values).rank(axis=1, method="min", ascending=False).to_numpy()


def _lag(values: np.ndarray, k: int) -> np.ndarray:
    """``values`` k months earlier; the first k months (no history) keep their own value."""
    out = values.copy()
    if k < len(values):
        out[k:] = values[:-k]
    return out


def _wide(panel: pd.DataFrame, column: str, months: list[str], codes: pd.Index) -> np.ndarray:
    table = panel.pivot_table(
        index="month", columns="town_code", values=column, aggfunc="first", dropna=False
    )
    return table.reindex(index=months, columns=codes).to_numpy(dtype=float)


def _grid(panel: pd.DataFrame, rules: ExitRules, problems: pd.DataFrame | None) -> _Grid:
    """Arrays and features of ``panel``; each month's features read that month and earlier only."""
    months = sorted(panel["month"].unique())
    if not months:
        raise FilterError("月度面板为空 (empty panel); build it with queries.monthly_panel")
    towns = panel.drop_duplicates("town_code").sort_values("town_code")[_TOWN_COLUMNS]
    codes = pd.Index(towns["town_code"])
    volume = np.nan_to_num(_wide(panel, "volume", months, codes))
    rank = _rank_rows(volume)
    top = (volume > 0) & (rank <= rules.top_n)
    supervised = np.zeros_like(top)
    if months[-1] >= rules.start_month:  # the rule's walk is causal: month t reads t and before
        status = evaluate(panel, rules).status
        status = status[status["status"].isin(SUPERVISED)].assign(flag=1.0)
        supervised = np.nan_to_num(_wide(status, "flag", months, codes)) > 0
    problem = np.full(volume.shape, None, dtype=object)
    share = np.zeros(volume.shape)
    if problems is not None and len(problems):
        share = np.nan_to_num(_wide(problems, "top_problem_share", months, codes))
        table = problems.pivot(index="month", columns="town_code", values="top_problem")
        problem = table.reindex(index=months, columns=codes).to_numpy(dtype=object)
    rates = [_month_mean_filled(_wide(panel, c, months, codes)) for c in _RATES]
    features = _features(volume, rank, top, rules.top_n, [*rates, share, supervised])
    return _Grid(
        months,
        towns.reset_index(drop=True),
        volume,
        rank,
        top,
        supervised,
        problem,
        share,
        features,
    )


def _features(
    volume: np.ndarray, rank: np.ndarray, top: np.ndarray, top_n: int, extra: list[np.ndarray]
) -> np.ndarray:
    """Months × towns × :data:`FEATURES`; ``extra`` are the rates, top-problem share, supervised."""
    log_volume = np.log1p(volume)
    cut = np.sort(volume, axis=1)[:, -min(top_n, volume.shape[1])]  # the N-th volume of each month
    so_far = np.cumsum(top, axis=0)
    year_ago = np.vstack([np.zeros((12, top.shape[1])), so_far[:-12]])[: len(volume)]
    has_year = (np.arange(len(volume)) >= 11)[:, None]  # the target month has a last year
    return np.stack(
        [
            log_volume,
            (log_volume - _lag(log_volume, 2)) / 2,
            log_volume - np.log1p(cut)[:, None],
            np.log(rank),
            np.log(_lag(rank, 3)),
            so_far - year_ago,
            np.log(np.where(has_year, _lag(rank, 11), rank)),
            np.where(has_year, _lag(top, 11), False),
            *extra,
        ],
        axis=-1,
    ).astype(float)


def _month_mean_filled(rates: np.ndarray) -> np.ndarray:
    """Unknown rates (no requests) as the month's mean over towns (0 when none is known)."""
    known = ~np.isnan(rates)
    counts = known.sum(axis=1, keepdims=True)
    mean = np.where(known, rates, 0).sum(axis=1, keepdims=True) / np.maximum(counts, 1)
    return np.where(known, rates, mean)


def _predict(grid: _Grid, now: int, method: str, top_n: int) -> tuple[np.ndarray, np.ndarray]:
    """(p of the top N in month ``now + 1``, projected volume) from months up to ``now``."""
    recent = grid.volume[max(0, now - 2) : now + 1]
    if method == "persistence":
        return grid.top[now].astype(float), grid.volume[now].copy()
    if method == "rank_ma":
        mean_rank = grid.rank[max(0, now - 2) : now + 1].mean(axis=0)
        return _sigmoid((top_n + 0.5 - mean_rank) / RANK_MA_SCALE), recent.mean(axis=0)
    if now < MIN_TRAIN_MONTHS:
        raise HeatmapError(
            f"模型至少需要 {MIN_TRAIN_MONTHS + 1} 个月的数据，{grid.months[now]} 之前只有 {now} 个月 "
            "(too little history for the model); choose a later month or method persistence"
        )
    x = grid.features[:now].reshape(-1, len(FEATURES))
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    design = np.column_stack([np.ones(len(x)), (x - mean) / std])
    current = np.column_stack([np.ones(grid.volume.shape[1]), (grid.features[now] - mean) / std])
    beta = _fit_logistic(design, grid.top[1 : now + 1].ravel().astype(float))
    ridge = _fit_ridge(design, np.log1p(grid.volume[1 : now + 1].ravel()))
    return _sigmoid(current @ beta), np.clip(np.expm1(current @ ridge), 0, None)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35, 35))), dtype=float)


def _penalty(n: int) -> np.ndarray:
    penalty = np.full(n, L2_PENALTY)
    penalty[0] = 1e-9  # the intercept is not shrunk
    return np.diag(penalty)


def _fit_logistic(design: np.ndarray, y: np.ndarray, *, iterations: int = 50) -> np.ndarray:
    """Ridge logistic regression by Newton steps (IRLS); column 0 of ``design`` is the intercept."""
    beta = np.zeros(design.shape[1])
    penalty = _penalty(design.shape[1])
    for _ in range(iterations):
        p = _sigmoid(design @ beta)
        gradient = design.T @ (y - p) - penalty @ beta
        hessian = (design.T * (p * (1 - p))) @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def _fit_ridge(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.solve(design.T @ design + _penalty(design.shape[1]), design.T @ y)


def _reasons(grid: _Grid, now: int, top_n: int, lang: str) -> list[list[str]]:
    """Short phrases from the data behind each town's risk (at most four, in :data:`REASONS` order)."""
    volume, rank = grid.volume, grid.rank.astype(int)
    cut = np.sort(volume[now])[-min(top_n, volume.shape[1])]
    out = []
    for j in range(volume.shape[1]):
        found: list[tuple[str, dict[str, object]]] = []
        if grid.top[now, j]:
            found.append(("in_top", {"rank": rank[now, j]}))
        elif rank[now, j] <= top_n + 5 and volume[now, j] > 0:
            found.append(("near_cut", {"top_n": top_n, "gap": int(cut - volume[now, j])}))
        rises = 0
        while rises < now and volume[now - rises, j] > volume[now - rises - 1, j]:
            rises += 1
        if rises >= 2:
            found.append(("rising", {"n": rises}))
        elif rises == 1 and volume[now - 1, j] > 0 and volume[now, j] >= 1.15 * volume[now - 1, j]:
            found.append(("jump", {"pct": volume[now, j] / volume[now - 1, j] - 1}))
        if now >= 3 and rank[now - 3, j] - rank[now, j] >= 2 and rank[now, j] <= 3 * top_n:
            found.append(("rank_move", {"before": rank[now - 3, j], "now": rank[now, j]}))
        if now >= 11 and grid.top[now - 11, j]:
            found.append(("last_year", {"rank": rank[now - 11, j]}))
        k = int(grid.top[max(0, now - 11) : now + 1, j].sum())
        if k and not grid.top[now, j]:
            found.append(("recent_top", {"k": k, "top_n": top_n}))
        if grid.supervised[now, j]:
            found.append(("supervised", {}))
        if grid.problem[now, j] is not None and grid.share[now, j] >= 0.3:
            found.append(
                ("problem", {"problem": grid.problem[now, j], "share": grid.share[now, j]})
            )
        out.append([t(f"warn_reason_{key}", lang, **kw) for key, kw in found[:4]])
    return out
