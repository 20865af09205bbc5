"""Seeded synthetic 12345 records calibrated to the published figures (演示数据，合成).

Everything here is made up on purpose and labelled so: volumes follow the yearly totals of the
seeds (DOMAIN.md), the towns the reports name are hot when the reports say, and rates rise along
the reported city-wide figures. Same seed and scale give the same records.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from heatmap.geo.assign import TownIndex
from heatmap.geo.coords import from_wgs84
from heatmap.geo.geography import BoundarySet, load_boundary_set, load_community_points
from heatmap.intake import store
from heatmap.intake.records import RAW_COLUMNS, canonicalize
from heatmap.taxonomy import Taxonomy, load_taxonomy

FIRST_MONTH = "2019-01"
N_MONTHS = 36
DEFAULT_SCALE = 0.05
DEFAULT_SEED = 20190501
CENTRAL_DISTRICTS = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区")

# Yearly totals at scale 1 (seeds): accepted 6.96 M / 11.03 M / 13.35 M (2021 to end Nov),
# dispatched 13.01 M over 2019-01..2021-11 with ~4.5 M in 2020; 4.24 M requests about COVID rules.
_ACCEPTED = {2019: 6.96e6, 2020: 11.03e6, 2021: 13.35e6}
_DISPATCHED = {2019: 3.31e6, 2020: 4.50e6, 2021: 5.20e6}
_COVID_BY_MONTH = {  # accepted requests about COVID rules (seed total 4.24 M), mostly consultations
    "2020-01": 0.15e6, "2020-02": 0.79e6, "2020-03": 0.60e6, "2020-04": 0.35e6, "2020-05": 0.25e6,
    "2020-06": 0.35e6, "2020-07": 0.20e6, "2020-08": 0.10e6, "2020-09": 0.06e6, "2020-10": 0.06e6,
    "2020-11": 0.10e6, "2020-12": 0.18e6, "2021-01": 0.40e6, "2021-02": 0.14e6, "2021-03": 0.06e6,
    "2021-04": 0.04e6, "2021-05": 0.04e6, "2021-06": 0.04e6, "2021-07": 0.06e6, "2021-08": 0.12e6,
    "2021-09": 0.03e6, "2021-10": 0.04e6, "2021-11": 0.08e6,
}  # fmt: skip
# City-wide rates (seeds): resolution 53.1 % -> 75.0 % and satisfaction 64.6 % -> 87.3 % in 2019,
# 89 % and 92 % by 2021-11. Response rate is not in the seeds: an assumption rising 90 % -> 99 %.
_RATE_ANCHORS = {  # month index: (response, resolution, satisfaction)
    0: (0.900, 0.531, 0.646),
    11: (0.960, 0.750, 0.873),
    34: (0.990, 0.890, 0.920),
    35: (0.991, 0.892, 0.922),
}
_EVALUATED_SHARE = 0.6  # assumption: share of dispatched callers reached in the callback survey


@dataclass(frozen=True)
class ScriptedTown:
    """A town whose months in the top ten follow the reports' story (inclusive month windows)."""

    name: str
    district: str
    windows: tuple[tuple[str, str], ...]
    after: str  # "exit": volume falls, rates improve from `improves`; "near": stays just below the top ten
    improves: str | None = None  # month from which an "exit" town's rates beat the city's


# Ten slots, each a succession of towns: 30 towns in 10 districts pass through the top ten from
# 2019-05; 16 leave it for good by 2020-05 and their rates improve from 2020-08 (广外 in 2020-09,
# 13 of them by 2021-05, the last three in the second half of 2021), so under the default exit rules
# 13 have exited by May 2021 and 16 by Dec 2021; 崔各庄 leaves, exits and comes back.
GOVERNANCE_SCRIPT: tuple[ScriptedTown, ...] = (
    ScriptedTown("广安门外街道", "西城区", (("2019-01", "2020-05"),), "exit", "2020-09"),
    ScriptedTown("宋庄镇", "通州区", (("2020-06", "2021-12"),), "near"),
    ScriptedTown("回龙观街道", "昌平区", (("2019-01", "2019-12"),), "exit", "2020-08"),
    ScriptedTown("旧宫地区", "大兴区", (("2020-01", "2020-03"),), "exit", "2021-02"),
    ScriptedTown("马驹桥镇", "通州区", (("2020-04", "2021-12"),), "near"),
    ScriptedTown("西红门地区", "大兴区", (("2019-01", "2020-02"),), "exit", "2020-10"),
    ScriptedTown("新村街道", "丰台区", (("2020-03", "2020-05"),), "exit", "2021-11"),
    ScriptedTown("大红门街道", "丰台区", (("2020-06", "2021-06"),), "near"),
    ScriptedTown("霍营街道", "昌平区", (("2021-07", "2021-12"),), "near"),
    ScriptedTown("北太平庄街道", "海淀区", (("2019-01", "2019-10"),), "exit", "2020-08"),
    ScriptedTown("清河街道", "海淀区", (("2019-11", "2020-02"),), "exit", "2021-01"),
    ScriptedTown("黑庄户地区", "朝阳区", (("2020-03", "2020-05"),), "exit", "2021-05"),
    ScriptedTown(
        "崔各庄地区", "朝阳区", (("2020-06", "2021-02"), ("2021-10", "2021-12")), "exit", "2021-06"
    ),
    ScriptedTown("瀛海地区", "大兴区", (("2021-03", "2021-12"),), "near"),
    ScriptedTown("东小口地区", "昌平区", (("2019-01", "2019-08"),), "exit", "2020-11"),
    ScriptedTown("长阳镇", "房山区", (("2019-09", "2020-04"),), "exit", "2021-03"),
    ScriptedTown("天通苑南街道", "昌平区", (("2020-05", "2021-02"),), "near"),
    ScriptedTown("亦庄地区", "大兴区", (("2021-03", "2021-12"),), "near"),
    ScriptedTown("卢沟桥街道", "丰台区", (("2019-01", "2019-09"),), "exit", "2020-12"),
    ScriptedTown("鲁谷街道", "石景山区", (("2019-10", "2020-05"),), "exit", "2021-04"),
    ScriptedTown("北七家镇", "昌平区", (("2020-06", "2021-12"),), "near"),
    ScriptedTown("天通苑北街道", "昌平区", (("2019-01", "2019-10"),), "exit", "2021-01"),
    ScriptedTown("十八里店地区", "朝阳区", (("2019-11", "2020-01"),), "exit", "2021-07"),
    ScriptedTown("后沙峪地区", "顺义区", (("2020-02", "2020-05"),), "exit", "2021-09"),
    ScriptedTown("西北旺地区", "海淀区", (("2020-06", "2021-07"),), "near"),
    ScriptedTown("台湖镇", "通州区", (("2021-08", "2021-12"),), "near"),
    ScriptedTown("沙河地区", "昌平区", (("2019-01", "2021-09"),), "near"),
    ScriptedTown("永顺镇", "通州区", (("2019-01", "2021-12"),), "near"),
    ScriptedTown("南磨房地区", "朝阳区", (("2019-01", "2019-05"),), "exit", "2020-10"),
    ScriptedTown("梨园镇", "通州区", (("2019-06", "2021-12"),), "near"),
)

_CHANNELS = (
    ("12345热线电话", 0.70), ("12345微信公众号", 0.08), ("12345网站", 0.05), ("北京通App", 0.05),
    ("12345小程序", 0.05), ("政务微博", 0.03), ("人民网留言板", 0.02), ("其他渠道", 0.02),
)  # fmt: skip
_TYPES_DISPATCHED = (("投诉", 0.45), ("求助", 0.35), ("举报", 0.10), ("建议", 0.05), ("咨询", 0.05))
_TYPES_OTHER = (("咨询", 0.75), ("求助", 0.10), ("投诉", 0.08), ("建议", 0.07))
_CRS_SHARE = (("wgs84", 0.70), ("gcj02", 0.20), ("bd09", 0.10))
_POOL_SIZE = 1500


def months() -> list[str]:
    """The demo's 36 months, 'YYYY-MM'."""
    return [str(p) for p in pd.period_range(FIRST_MONTH, periods=N_MONTHS, freq="M")]


def monthly_totals(scale: float = 1.0) -> pd.DataFrame:
    """Accepted, dispatched and COVID-rule requests per month at ``scale`` (1 = the real volume)."""
    rows = []
    for month in months():
        year, mo = int(month[:4]), int(month[5:])
        share = _month_weights(year)[mo - 1]
        ref_year = 2021 if month == "2021-12" else year
        ref_share = _month_weights(2021)[10] * 1.02 if month == "2021-12" else share
        rows.append(
            {
                "month": month,
                # COVID-rule requests are placed by month; the rest of the year's volume by season
                "accepted": (_ACCEPTED[ref_year] - _covid_total(ref_year)) * ref_share
                + _COVID_BY_MONTH.get(month, 0.0),
                "dispatched": _DISPATCHED[ref_year] * ref_share,
                "covid": _COVID_BY_MONTH.get(month, 0.0),
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("accepted", "dispatched", "covid"):
        frame[col] = (frame[col] * scale).round().astype("int64")
    return frame


def _covid_total(year: int) -> float:
    return sum(v for m, v in _COVID_BY_MONTH.items() if m.startswith(str(year)))


def _month_weights(year: int) -> np.ndarray:
    """Share of a year's volume falling in each month (2021: of its first 11 months)."""
    mo = np.arange(1, 13)
    growth = 1 + 0.25 * (mo - 6.5) / 11  # volumes grew within each year
    heating = np.where((mo <= 3) | (mo >= 11), 1.08, 1.0)
    w = growth * heating
    if year == 2021:
        return w / w[:11].sum()
    return w / w.sum()


def rate_targets(month_index: int) -> tuple[float, float, float]:
    """City-wide (response, resolution, satisfaction) the demo aims at for a month index."""
    keys = sorted(_RATE_ANCHORS)
    values = np.array([_RATE_ANCHORS[k] for k in keys])
    return tuple(float(np.interp(month_index, keys, values[:, j])) for j in range(3))  # type: ignore[return-value]


def build_demo(
    db: str | os.PathLike[str],
    *,
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    boundary_set: str = "demo_townships_2023",
    h3_resolution: int = 8,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, int]:
    """Write a synthetic demo store at ``db`` (replacing any store there) and return its counts.

    The store is built in a temporary file and moved into place at the end, so an interrupted
    build never leaves a half-filled store behind.
    """
    report = progress or (lambda _f, _m: None)
    target = Path(db)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    boundaries = load_boundary_set(boundary_set)
    towns = town_table(boundaries)
    model = DemoModel.create(boundaries, load_taxonomy(), seed=seed)
    index = TownIndex.from_frame(boundaries.frame, code_field="code9")
    totals = monthly_totals(scale)
    con = store.connect(tmp)
    try:
        store.replace_towns(con, towns)
        for i, month in enumerate(totals["month"]):
            report(i / N_MONTHS, f"正在生成 {month} 的演示数据")
            row = totals.iloc[i]
            raw = model.month_records(
                month, i, int(row["dispatched"]), int(row["accepted"]), int(row["covid"])
            )
            store.append_records(
                con,
                canonicalize(
                    raw, towns=towns, index=index, source="demo", h3_resolution=h3_resolution
                ),
            )
        report(0.98, "汇总月度指标 / building monthly aggregates")
        store.refresh_aggregates(con)
        store.set_meta(
            con,
            dataset="demo",
            synthetic=True,
            seed=seed,
            scale=scale,
            boundary_set=boundary_set,
            boundary_approximate=boundaries.approximate,
            h3_resolution=h3_resolution,
            first_month=totals["month"].iloc[0],
            last_month=totals["month"].iloc[-1],
            vintage="演示数据（合成），按 2019-01 至 2021-11 公开报道数字校准",
        )
        counts = {"records": store.record_count(con), "towns": len(towns)}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, target)
    report(1.0, "完成 / done")
    return counts


def town_table(boundaries: BoundarySet) -> pd.DataFrame:
    """The store's town reference table from a boundary set."""
    frame = boundaries.frame
    population = frame.get("population", np.nan)
    return pd.DataFrame(
        {
            "town_code": frame["code9"].astype(str),
            "town_name": frame["name"],
            "district_code": frame["district_code"].astype(str),
            "district_name": frame["district_name"],
            "kind": frame["kind"],
            "population": population,
        }
    )


@dataclass
class DemoModel:
    """Fixed per-town traits drawn once from the seed; months are drawn from (seed, month)."""

    codes: np.ndarray
    districts: np.ndarray
    base: np.ndarray  # relative dispatched volume, sums to 1
    rate_offset: np.ndarray  # per-town offset to resolution/satisfaction probabilities
    problem_mix: np.ndarray  # towns x problems relative weights
    problems: list[tuple[str, str, float, str | None]]  # theme, problem, trend, season
    covid_problem: int
    script: list[tuple[int, ScriptedTown, float]]  # town row, story, boost factor
    pool_lon: list[np.ndarray]
    pool_lat: list[np.ndarray]
    pool_address: list[np.ndarray]
    seed: int

    @classmethod
    def create(cls, boundaries: BoundarySet, taxonomy: Taxonomy, *, seed: int) -> DemoModel:
        rng = np.random.default_rng([seed, 0])
        frame = boundaries.frame.reset_index(drop=True)
        communities = load_community_points()
        n_comm = frame["code9"].map(communities.groupby("town_code9_2016").size()).fillna(0)
        central = frame["district_name"].isin(CENTRAL_DISTRICTS).to_numpy()
        base = (1.0 + n_comm.to_numpy()) ** 0.8 * rng.lognormal(0.0, 0.55, len(frame))
        base = _rebalance(base, central, central_share=0.6)
        problems = [(p.theme, p.name, p.trend, p.season) for p in taxonomy.problems]
        weights = np.array([p.weight for p in taxonomy.problems])
        mix = weights[None, :] * rng.lognormal(0.0, 0.4, (len(frame), len(weights)))
        covid = next((i for i, p in enumerate(problems) if p[3] == "covid"), -1)
        script = _resolve_script(frame, rng)
        pools = [
            _point_pool(row.geometry, row.code9, f"{row.district_name}{row.name}", communities, rng)
            for row in frame.itertuples()
        ]
        return cls(
            codes=frame["code9"].astype(str).to_numpy(),
            districts=frame["district_name"].to_numpy(),
            base=base,
            rate_offset=rng.normal(0.0, 0.03, len(frame)),
            problem_mix=mix,
            problems=problems,
            covid_problem=covid,
            script=script,
            pool_lon=[p[0] for p in pools],
            pool_lat=[p[1] for p in pools],
            pool_address=[p[2] for p in pools],
            seed=seed,
        )

    def town_weights(self, month: str) -> tuple[np.ndarray, np.ndarray]:
        """Dispatched-volume weights of each town and its rate offset for ``month``."""
        weights = self.base.copy()
        offset = self.rate_offset.copy()
        scripted = np.zeros(len(weights), dtype=bool)
        scripted[[row for row, _, _ in self.script]] = True
        ceiling = weights[~scripted].max()
        for row, story, boost in self.script:
            state = _story_state(story, month)
            if state == "in":
                weights[row] = ceiling * boost
                offset[row] = -0.12
            elif state == "before":
                weights[row] = min(weights[row], ceiling * 0.8)
            elif (
                story.after == "near"
            ):  # slipped just below the top ten, volume and rates unchanged
                weights[row] = ceiling * (0.84 + 0.1 * (boost - 1.45))
                offset[row] = -0.12
            else:  # left: volume down at once; rates beat the city's from `improves` on
                weights[row] = ceiling * 0.55
                improved = story.improves is not None and month >= story.improves
                offset[row] = 0.06 if improved else -0.12
        return weights / weights.sum(), offset

    def month_records(
        self, month: str, index: int, dispatched: int, accepted: int, covid: int
    ) -> pd.DataFrame:
        """Export-shaped records of one month (raw coordinates in their source system)."""
        rng = np.random.default_rng([self.seed, 1000 + index])
        weights, offset = self.town_weights(month)
        covid_dispatched = int(round(covid * 0.1))
        n_disp = max(dispatched - covid_dispatched, 0)
        n_other = max(accepted - dispatched - (covid - covid_dispatched), 0)
        town = np.concatenate(
            [
                rng.choice(len(weights), size=n_disp, p=weights),
                rng.choice(len(weights), size=n_other, p=_flatten(weights)),
                rng.choice(len(weights), size=covid, p=_flatten(weights)),
            ]
        )
        is_disp = np.zeros(len(town), dtype=bool)
        is_disp[:n_disp] = True
        is_disp[n_disp + n_other : n_disp + n_other + covid_dispatched] = True
        problem = self._problems(rng, month, index, town)
        problem[n_disp + n_other :] = self.covid_problem
        return self._frame(rng, month, index, town, is_disp, problem, offset)

    def _problems(
        self, rng: np.random.Generator, month: str, index: int, town: np.ndarray
    ) -> np.ndarray:
        factor = np.ones(len(self.problems))
        mo = int(month[5:])
        for j, (_, _, trend, season) in enumerate(self.problems):
            if index >= 24:  # 每月一题 problems were worked on through 2021
                factor[j] *= max(1 + trend * (index - 23) / 12, 0.2)
            if season == "heating":
                factor[j] *= 2.5 if (mo <= 3 or mo >= 11) else 0.15
            if season == "covid":
                factor[j] = 0.0
        # month-to-month swings per problem (campaigns, weather, news), so some fall and some rise
        factor *= np.random.default_rng([self.seed, 2000 + index]).lognormal(0.0, 0.07, len(factor))
        probs = self.problem_mix * factor[None, :]
        cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
        u = rng.random(len(town))
        return (u[:, None] > cum[town]).sum(axis=1).clip(0, len(self.problems) - 1)

    def _frame(
        self,
        rng: np.random.Generator,
        month: str,
        index: int,
        town: np.ndarray,
        is_disp: np.ndarray,
        problem: np.ndarray,
        offset: np.ndarray,
    ) -> pd.DataFrame:
        n = len(town)
        resp, res, sat = rate_targets(index)
        shift = offset - np.average(offset, weights=np.bincount(town, minlength=len(offset)) + 1e-9)
        evaluated = is_disp & (rng.random(n) < _EVALUATED_SHARE)
        resolved = evaluated & (rng.random(n) < np.clip(res + shift[town], 0.02, 0.995))
        satisfied = evaluated & (
            rng.random(n)
            < np.clip(
                sat + shift[town] + np.where(resolved, 0.1 * (1 - res), -0.1 * res), 0.02, 0.995
            )
        )
        lon, lat, address = self._points(rng, town)
        crs = _pick(rng, _CRS_SHARE, n)
        raw_lon, raw_lat = lon.copy(), lat.copy()
        for name in ("gcj02", "bd09"):
            rows = crs == name
            raw_lon[rows], raw_lat[rows] = from_wgs84(lon[rows], lat[rows], name)
        code = self.codes[town].astype(object)
        code[rng.random(n) < 0.15] = None  # these rows name no town: assigned by point
        start = pd.Timestamp(f"{month}-01")
        seconds = rng.integers(0, int(pd.Timedelta(days=start.days_in_month).total_seconds()), n)
        order = np.argsort(seconds, kind="stable")
        theme = np.array([p[0] for p in self.problems], dtype=object)[problem]
        name = np.array([p[1] for p in self.problems], dtype=object)[problem]
        frame = pd.DataFrame(
            {
                "received_at": start + pd.to_timedelta(seconds, unit="s"),
                "channel": _pick(rng, _CHANNELS, n),
                "request_type": np.where(
                    is_disp, _pick(rng, _TYPES_DISPATCHED, n), _pick(rng, _TYPES_OTHER, n)
                ),
                "theme": theme,
                "problem": name,
                "text": [
                    f"市民反映{a}附近{p}问题，希望尽快解决。"
                    for a, p in zip(address, name, strict=True)
                ],
                "town_code": code,
                "address": address,
                "lon": raw_lon.round(6),
                "lat": raw_lat.round(6),
                "src_crs": crs,
                "dispatched": is_disp,
                "responded": is_disp & (rng.random(n) < resp),
                "evaluated": evaluated,
                "resolved": resolved,
                "satisfied": satisfied,
            }
        )
        frame = frame.iloc[order].reset_index(drop=True)
        frame["record_id"] = [f"{month.replace('-', '')}{i:08d}" for i in range(n)]  # 工单编号
        return frame[list(RAW_COLUMNS)]

    def _points(
        self, rng: np.random.Generator, town: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pick = rng.integers(0, _POOL_SIZE, len(town))
        lon = np.empty(len(town))
        lat = np.empty(len(town))
        address = np.empty(len(town), dtype=object)
        for t in np.unique(town):
            rows = town == t
            lon[rows] = self.pool_lon[t][pick[rows]]
            lat[rows] = self.pool_lat[t][pick[rows]]
            address[rows] = self.pool_address[t][pick[rows]]
        return lon, lat, address


def _rebalance(base: np.ndarray, central: np.ndarray, *, central_share: float) -> np.ndarray:
    out = base.copy()
    out[central] *= central_share / base[central].sum()
    out[~central] *= (1 - central_share) / base[~central].sum()
    return out / out.sum()


def _flatten(weights: np.ndarray) -> np.ndarray:
    """Accepted-but-not-dispatched requests follow the towns' sizes less steeply."""
    w = np.sqrt(weights)
    return w / w.sum()


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([name for name, _ in table], dtype=object)
    probs = np.array([p for _, p in table])
    return names[rng.choice(len(names), size=n, p=probs / probs.sum())]


def _story_state(story: ScriptedTown, month: str) -> str:
    if any(a <= month <= b for a, b in story.windows):
        return "in"
    if month < story.windows[0][0]:
        return "before"
    return "after"


def _resolve_script(
    frame: gpd.GeoDataFrame, rng: np.random.Generator
) -> list[tuple[int, ScriptedTown, float]]:
    rows = {
        (n, d): i
        for i, (n, d) in enumerate(zip(frame["name"], frame["district_name"], strict=True))
    }
    out = []
    for story in GOVERNANCE_SCRIPT:
        row = rows.get((story.name, story.district))
        if row is not None:  # a boundary set without the town simply leaves it out of the story
            out.append((row, story, float(rng.uniform(1.45, 2.0))))
    return out


def _point_pool(
    geom: shapely.Geometry,
    code: str,
    prefix: str,
    communities: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate points inside a town: clustered around its communities, the rest uniform."""
    inner = shapely.buffer(geom, -1e-5)  # ~1 m inside the edge
    shapely.prepare(inner)
    mine = communities[communities["town_code9_2016"] == code]
    minx, miny, maxx, maxy = geom.bounds
    lon: list[np.ndarray] = []
    lat: list[np.ndarray] = []
    label: list[np.ndarray] = []
    have = 0
    while have < _POOL_SIZE:
        k = _POOL_SIZE * 2
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        names = np.full(k, "", dtype=object)
        if len(mine):
            near = rng.random(k) < 0.65
            pick = rng.integers(0, len(mine), k)
            x[near] = mine["lon"].to_numpy()[pick[near]] + rng.normal(0, 0.004, near.sum())
            y[near] = mine["lat"].to_numpy()[pick[near]] + rng.normal(0, 0.003, near.sum())
            names[near] = mine["name"].to_numpy()[pick[near]]
        x, y = x.round(6), y.round(6)  # as exported: rounding must not move a point across an edge
        inside = shapely.contains_xy(inner, x, y)
        lon.append(x[inside])
        lat.append(y[inside])
        label.append(names[inside])
        have += int(inside.sum())
    lon_all = np.concatenate(lon)[:_POOL_SIZE]
    lat_all = np.concatenate(lat)[:_POOL_SIZE]
    labels = np.concatenate(label)[:_POOL_SIZE]
    labels = np.array([prefix + _community_short(n) for n in labels], dtype=object)
    return lon_all, lat_all, labels


def _community_short(name: str) -> str:
    for suffix in ("社区居委会", "村委会", "居委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + ("社区" if suffix != "村委会" else "村")
    return name or "辖区内"
