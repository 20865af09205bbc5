"""What the briefing reads: the month's aggregates for a scope, ranks, rates, problems and movers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from heatmap.analysis import governance, queries, warning
from heatmap.analysis.governance import ExitRules, Governance
from heatmap.errors import FilterError
from heatmap.filters import View
from heatmap.geo.geography import BoundarySet, load_boundary_set
from heatmap.i18n import t
from heatmap.intake import store
from heatmap.measures import add_rates
from heatmap.output.briefing.style import MOVERS, RATE_LINES, TREND_MONTHS
from heatmap.settings import Settings, governance_values, make_settings, score_weights


@dataclass(frozen=True)
class BriefData:
    """Everything the figures show, for one month and scope (aggregates only: no personal data)."""

    month: str
    lang: str
    measure: str
    district_code: str | None
    district_name: str | None
    month_rows: pd.DataFrame  # every town in the month: volume, city rank, 环比, status (city-wide)
    gov: Governance
    rates: pd.DataFrame  # month, the three rates in scope (and city_* for a district)
    problems: pd.DataFrame  # theme, problem, volume, previous_volume, mom
    meta: dict[str, Any]
    boundaries: BoundarySet
    settings: Settings
    outlook: warning.Outlook  # 监测预警: the risk for the month after, and its backtest
    work: pd.DataFrame | None = None  # 督导工作台 per town: total, done, due, overdue (or None)

    def overdue(self, town_code: str) -> int:
        """Items and projects of the town's lists overdue at the month (0 without a workbench)."""
        if self.work is None or self.work.empty:
            return 0
        rows = self.work[self.work["town_code"] == town_code]
        return int(rows["overdue"].sum()) if not rows.empty else 0

    @property
    def scope(self) -> str:
        return self.district_name or t("brief_scope_city", self.lang)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic"))

    def in_scope(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows of the scope's district (all rows for the whole city); ranks stay city-wide."""
        if self.district_code is None:
            return frame
        return frame[frame["district_code"] == self.district_code]


def collect(
    con: duckdb.DuckDBPyConnection,
    *,
    month: str,
    district: str | None = None,
    lang: str = "zh",
    settings: Settings | None = None,
    boundaries: BoundarySet | None = None,
    work: pd.DataFrame | None = None,
) -> BriefData:
    """Read what the briefing shows: check the month and district, then query the aggregates."""
    settings = settings or make_settings()
    measure = str(settings["volume_measure"])
    months = _check_month(con, month)
    code, name = resolve_district(con, district) if district else (None, None)
    meta = store.get_meta(con)
    panel = queries.monthly_panel(con, measure=measure, weights=score_weights(settings))
    gov = governance.evaluate(panel, ExitRules.from_settings(governance_values(settings)))
    month_rows = panel[panel["month"] == month].merge(
        governance.statuses_in(gov, month)[["town_code", "status"]], on="town_code", how="left"
    )
    return BriefData(
        month=month,
        lang=lang,
        measure=measure,
        district_code=code,
        district_name=name,
        month_rows=month_rows.sort_values(["rank", "town_code"]).reset_index(drop=True),
        gov=gov,
        rates=_rate_trend(con, month, months, code),
        problems=_problems(con, month, code, measure),
        meta=meta,
        boundaries=boundaries or load_boundary_set(meta.get("boundary_set", "demo_townships_2023")),
        settings=settings,
        outlook=warning.outlook(
            con, month, measure=measure, rules=gov.rules, panel=panel, lang=lang
        ),
        work=work,
    )


def _check_month(con: duckdb.DuckDBPyConnection, month: str) -> list[str]:
    return queries.require_month(con, month)


def resolve_district(con: duckdb.DuckDBPyConnection, district: str) -> tuple[str, str]:
    """(code, name) of a district given as code (110108), name (海淀区) or short name (海淀)."""
    ref = queries.districts(con)
    wanted = district.strip()
    for code, name in zip(ref["district_code"], ref["district_name"], strict=True):
        if wanted in (code, name) or (len(wanted) >= 2 and name.removesuffix("区") == wanted):
            return str(code), str(name)
    raise FilterError(
        f"未知区 {district!r} (unknown district); expected a code or name such as 110108 / 海淀区: "
        + "、".join(ref["district_name"])
    )


def _rate_trend(
    con: duckdb.DuckDBPyConnection, month: str, months: list[str], code: str | None
) -> pd.DataFrame:
    window = [m for m in months if m <= month][-TREND_MONTHS:]
    rates = _monthly_rates(con, window, (code,) if code else ())
    if code:
        city = _monthly_rates(con, window, ()).add_prefix("city_")
        rates = rates.join(city)
    return rates.reset_index()


def _monthly_rates(
    con: duckdb.DuckDBPyConnection, window: list[str], districts: tuple[str, ...]
) -> pd.DataFrame:
    sums = queries.sums(con, View(window[0], window[-1], districts), by=["month"], months=window)
    rated = add_rates(sums).set_index("month").reindex(window)
    return rated[[rate for rate, _, _ in RATE_LINES]]


def _problems(
    con: duckdb.DuckDBPyConnection, month: str, code: str | None, measure: str
) -> pd.DataFrame:
    now = View(month, month, (code,) if code else (), measure=measure)
    frames = []
    for label, window in (("volume", now), ("previous_volume", now.previous())):
        sums = queries.sums(con, window, by=["theme", "problem"], topic=False)
        frames.append(
            sums.set_index(["theme", "problem"])[["volume"]].rename(columns={"volume": label})
        )
    out = frames[0].join(frames[1], how="left").reset_index()
    out["mom"] = (out["volume"] - out["previous_volume"]) / out["previous_volume"].where(
        out["previous_volume"] > 0
    )
    out["share"] = out["volume"] / max(float(out["volume"].sum()), 1.0)
    return out.sort_values(["volume", "problem"], ascending=[False, True]).reset_index(drop=True)


def movers(data: BriefData, n: int = MOVERS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scope's towns with the largest month-on-month increase and decrease (in requests)."""
    rows = data.in_scope(data.month_rows).copy()
    rows["delta"] = rows["volume"] - rows["previous_volume"]
    rows = rows[rows["previous_volume"].notna()]
    up = rows[rows["delta"] > 0].sort_values(["delta", "town_code"], ascending=[False, True])
    down = rows[rows["delta"] < 0].sort_values(["delta", "town_code"], ascending=[True, True])
    return up.head(n).reset_index(drop=True), down.head(n).reset_index(drop=True)


def top_rows(data: BriefData, n: int = 10) -> pd.DataFrame:
    """The city's top ten (ties at rank ten kept), or the district's ten best-ranked towns."""
    rows = data.in_scope(data.month_rows)
    rows = rows[rows["volume"] > 0]
    if data.district_code is None:
        return rows[rows["rank"] <= data.gov.rules.top_n].reset_index(drop=True)
    return rows.head(n).reset_index(drop=True)
