"""治理类街乡镇: the monthly top ten put under municipal supervision, and their exit (降量、提率、脱低).

Pure functions over a monthly town panel (see :func:`heatmap.analysis.queries.monthly_panel`). The rule of
the reports: from May 2019 the ten towns with the highest monthly volume are supervised "until they
leave the top ten"; exit (摘帽) requires 降量、提率、脱低. The thresholds are not published, so each is a
named parameter of :class:`ExitRules` whose default is an assumption shown on screen.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from heatmap.errors import HeatmapError
from heatmap.i18n import t

#: Exit conditions in the order they are shown (labels: ``cond_<key>`` in the catalogue).
CONDITIONS: tuple[str, ...] = ("out_of_top", "volume_down", "rates_up", "out_of_low")

#: Status of a town in a month (labels: ``status_<key>`` in the catalogue).
STATUSES: tuple[str, ...] = (
    "new", "continuing", "re_entered", "supervised_out", "exited", "released",
)  # fmt: skip
SUPERVISED = ("new", "continuing", "re_entered", "supervised_out")


@dataclass(frozen=True)
class ExitRules:
    """Parameters of the governance rule. Defaults marked *assumption* are not in the sources.

    Parameters
    ----------
    start_month
        First month of the ranking (2019-05, from the reports).
    top_n
        Towns per month put under supervision (10, from the reports). A tie at rank ``top_n`` keeps
        every tied town.
    months_out
        退出前十: consecutive months out of the top ``top_n`` (*assumption*: 3).
    volume_drop
        降量: the month's volume at least this fraction below the entry month's (*assumption*: 0.20).
    score_margin
        提率: the month's composite score at least the city's plus this margin (*assumption*: 0.0).
    low_share
        脱低: the month's composite-score rank not in the city's worst ``low_share`` (*assumption*: 0.20).
    """

    start_month: str = "2019-05"
    top_n: int = 10
    months_out: int = 3
    volume_drop: float = 0.20
    score_margin: float = 0.0
    low_share: float = 0.20

    def __post_init__(self) -> None:
        if self.top_n < 1 or self.months_out < 1:
            raise HeatmapError(f"top_n 与 months_out 须 ≥ 1，收到 {self.top_n} / {self.months_out}")
        if not 0 <= self.volume_drop < 1 or not 0 <= self.low_share < 1:
            raise HeatmapError(
                f"volume_drop 与 low_share 须在 [0, 1) 内，收到 {self.volume_drop} / {self.low_share}"
            )

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> ExitRules:
        """Rules from settings named ``governance_*`` (see :mod:`heatmap.settings`)."""
        prefix = "governance_"
        known = {f.name for f in cls.__dataclass_fields__.values()}  # type: ignore[attr-defined]
        kwargs = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
        unknown = sorted(f"{prefix}{k}" for k in set(kwargs) - known)
        if unknown:
            raise HeatmapError(
                f"未知治理规则设置 {unknown} (unknown governance setting); known: "
                + ", ".join(f"{prefix}{k}" for k in sorted(known))
            )
        return cls(**kwargs)

    def describe(self, lang: str = "zh") -> dict[str, str]:
        """Each condition's rule in words (``rule_<key>`` in the catalogue), with the values in force."""
        values = {
            "top_n": self.top_n, "months_out": self.months_out, "drop": f"{self.volume_drop:.0%}",
            "margin": f"{self.score_margin * 100:+.1f}", "share": f"{self.low_share:.0%}",
        }  # fmt: skip
        return {key: t(f"rule_{key}", lang, **values) for key in CONDITIONS}


@dataclass(frozen=True)
class Governance:
    """The computed supervision history: spells (ledger), month × town statuses, and checks."""

    ledger: pd.DataFrame
    status: pd.DataFrame
    checks: pd.DataFrame
    rules: ExitRules
    months: list[str] = field(default_factory=list)


_PANEL_COLUMNS = (
    "month", "town_code", "town_name", "district_code", "district_name", "volume", "rank",
    "score", "city_score", "score_rank", "n_towns",
    "response_rate", "resolution_rate", "satisfaction_rate",
)  # fmt: skip


def evaluate(panel: pd.DataFrame, rules: ExitRules | None = None) -> Governance:
    """Run the rule over every town and month of ``panel`` from ``rules.start_month``.

    ``panel`` has one row per town and month with the columns of :data:`_PANEL_COLUMNS` (missing
    months of a town count as volume 0 and unknown rates, so they can neither enter nor satisfy a
    rate condition).
    """
    rules = rules or ExitRules()
    _check_panel(panel)
    frame = panel[panel["month"] >= rules.start_month].sort_values(["town_code", "month"])
    months = sorted(frame["month"].unique())
    # only towns that ever enter the top N can have a spell: walk those alone (identical result)
    entered = frame.loc[
        (frame["volume"] > 0) & (frame["rank"] <= rules.top_n), "town_code"
    ].unique()
    frame = frame[frame["town_code"].isin(entered)]
    spells: list[dict[str, Any]] = []
    status_rows: list[tuple[str, str, str, int]] = []
    check_rows: list[dict[str, Any]] = []
    for _, town in frame.groupby("town_code", sort=True):
        _walk_town(town.set_index("month").reindex(months), rules, spells, status_rows, check_rows)
    checks = pd.DataFrame(check_rows, columns=_CHECK_COLUMNS)
    status = pd.DataFrame(status_rows, columns=["month", "town_code", "status", "spell"])
    ledger = _ledger(pd.DataFrame(spells, columns=_SPELL_COLUMNS), checks)
    return Governance(ledger=ledger, status=status, checks=checks, rules=rules, months=months)


def _ledger(spells: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """One row per spell: identity and entry figures, plus what the supervised months' checks say."""
    keys = ["town_code", "spell"]
    ordered = checks.sort_values("month")
    span = ordered.groupby(keys).agg(
        last_month=("month", "max"),
        months_supervised=("month", "count"),
        best_rank=("rank", "min"),
        worst_rank=("rank", "max"),
    )
    latest = (
        ordered.groupby(keys)
        .tail(1)
        .set_index(keys)[["volume", "score", "resolution_rate", "satisfaction_rate"]]
        .add_prefix("latest_")
    )
    ledger = spells.join(span, on=keys).join(latest, on=keys)
    ledger["exit_month"] = (
        ledger["exit_month"].astype(object).where(ledger["exit_month"].notna(), None)
    )
    return (
        ledger.reindex(columns=_LEDGER_COLUMNS)
        .sort_values(["entry_month", "town_code", "spell"])
        .reset_index(drop=True)
    )


_SPELL_COLUMNS = [
    "town_code", "town_name", "district_code", "district_name", "spell", "entry_month", "exit_month",
    "entry_rank", "entry_volume", "entry_score", "entry_resolution_rate", "entry_satisfaction_rate",
]  # fmt: skip
_LEDGER_COLUMNS = [
    "town_code", "town_name", "district_code", "district_name", "spell", "entry_month", "exit_month",
    "last_month", "months_supervised", "entry_rank", "best_rank", "worst_rank", "entry_volume", "latest_volume",
    "entry_score", "latest_score", "entry_resolution_rate", "latest_resolution_rate",
    "entry_satisfaction_rate", "latest_satisfaction_rate",
]  # fmt: skip
_CHECK_COLUMNS = [
    "month", "town_code", "spell", "in_top", "months_out", "rank", "volume", "entry_volume", "score",
    "city_score", "score_rank", "n_towns", "resolution_rate", "satisfaction_rate",
    *CONDITIONS, "all_met",
]  # fmt: skip


def _walk_town(
    town: pd.DataFrame,
    rules: ExitRules,
    spells: list[dict[str, Any]],
    status_rows: list[tuple[str, str, str, int]],
    check_rows: list[dict[str, Any]],
) -> None:
    """The state machine of one town over the months (index 'YYYY-MM')."""
    code = str(town["town_code"].dropna().iloc[0])
    names = town[["town_name", "district_code", "district_name"]].dropna().iloc[0]
    spell: dict[str, Any] | None = None
    released = False
    months_out = 0
    for label, row in town.iterrows():
        month = str(label)
        volume = 0 if pd.isna(row["volume"]) else int(row["volume"])
        in_top = volume > 0 and not pd.isna(row["rank"]) and int(row["rank"]) <= rules.top_n
        if spell is None:
            if in_top:
                spell = _open_spell(
                    code,
                    names,
                    month,
                    row,
                    volume,
                    len([s for s in spells if s["town_code"] == code]) + 1,
                )
                months_out = 0
                status_rows.append(
                    (month, code, "re_entered" if spell["spell"] > 1 else "new", spell["spell"])
                )
                _record_check(check_rows, month, code, spell, row, volume, in_top, 0, rules)
            elif released:
                status_rows.append((month, code, "released", spells[-1]["spell"] if spells else 0))
            continue
        months_out = 0 if in_top else months_out + 1
        met = _record_check(check_rows, month, code, spell, row, volume, in_top, months_out, rules)
        if met:
            spell["exit_month"] = month
            spells.append(spell)
            status_rows.append((month, code, "exited", spell["spell"]))
            spell, released = None, True
        else:
            status_rows.append(
                (month, code, "continuing" if in_top else "supervised_out", spell["spell"])
            )
    if spell is not None:
        spells.append(spell)


def _open_spell(
    code: str, names: pd.Series, month: str, row: pd.Series, volume: int, number: int
) -> dict[str, Any]:
    return {
        "town_code": code,
        "town_name": names["town_name"],
        "district_code": names["district_code"],
        "district_name": names["district_name"],
        "spell": number,
        "entry_month": month,
        "exit_month": None,
        "entry_rank": int(row["rank"]),
        "entry_volume": volume,
        "entry_score": _float(row["score"]),
        "entry_resolution_rate": _float(row["resolution_rate"]),
        "entry_satisfaction_rate": _float(row["satisfaction_rate"]),
    }


def _record_check(
    rows: list[dict[str, Any]],
    month: str,
    code: str,
    spell: dict[str, Any],
    row: pd.Series,
    volume: int,
    in_top: bool,
    months_out: int,
    rules: ExitRules,
) -> bool:
    score, city = _float(row["score"]), _float(row["city_score"])
    score_rank, n = row["score_rank"], row["n_towns"]
    conditions = {
        "out_of_top": months_out >= rules.months_out,
        "volume_down": volume <= (1 - rules.volume_drop) * spell["entry_volume"],
        "rates_up": score is not None and city is not None and score >= city + rules.score_margin,
        "out_of_low": not pd.isna(score_rank) and int(score_rank) <= (1 - rules.low_share) * int(n),
    }
    all_met = all(conditions.values())
    rows.append(
        {
            "month": month, "town_code": code, "spell": spell["spell"], "in_top": in_top,
            "months_out": months_out, "rank": None if pd.isna(row["rank"]) else int(row["rank"]),
            "volume": volume, "entry_volume": spell["entry_volume"], "score": score, "city_score": city,
            "resolution_rate": _float(row["resolution_rate"]),
            "satisfaction_rate": _float(row["satisfaction_rate"]),
            "score_rank": None if pd.isna(score_rank) else int(score_rank),
            "n_towns": None if pd.isna(n) else int(n),
            **conditions, "all_met": all_met,
        }
    )  # fmt: skip
    return all_met


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _check_panel(panel: pd.DataFrame) -> None:
    missing = [c for c in _PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise HeatmapError(
            f"月度面板缺少字段 {missing} (panel lacks columns); build it with queries.monthly_panel"
        )


def as_of(gov: Governance, month: str) -> pd.DataFrame:
    """The ledger as known at the end of ``month``: spells entered by then, exits after it undone."""
    spells = gov.ledger[gov.ledger["entry_month"] <= month].reindex(columns=_SPELL_COLUMNS).copy()
    spells.loc[spells["exit_month"].notna() & (spells["exit_month"] > month), "exit_month"] = None
    return _ledger(spells, gov.checks[gov.checks["month"] <= month])


def _months_between(a: str, b: str) -> int:
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])


def statuses_in(gov: Governance, month: str) -> pd.DataFrame:
    """Each town's status in ``month`` (towns never supervised by then are absent)."""
    return gov.status[gov.status["month"] == month].reset_index(drop=True)


def top_ten(gov: Governance, panel: pd.DataFrame, month: str) -> pd.DataFrame:
    """The month's top ``top_n`` by volume with their status (新进入 / 持续在榜 / 再次进入)."""
    frame = panel[
        (panel["month"] == month) & (panel["volume"] > 0) & (panel["rank"] <= gov.rules.top_n)
    ]
    frame = frame.merge(
        statuses_in(gov, month)[["town_code", "status"]], on="town_code", how="left"
    )
    cols = ["town_code", "town_name", "district_name", "volume", "rank", "mom", "status"]
    return frame.reindex(columns=cols).sort_values(["rank", "town_code"]).reset_index(drop=True)


def restrict(gov: Governance, towns: Collection[str] | None) -> Governance:
    """The history of ``towns`` alone (``None``: every town): what a scoped account may read.

    Statuses and ranks stay those of the whole city (a town is supervised because of its city
    rank); only the rows of other towns are gone, so every figure, table and map built from the
    result counts and names the scope's towns alone.
    """
    if towns is None:
        return gov
    keep = set(towns)
    return replace(
        gov,
        ledger=gov.ledger[gov.ledger["town_code"].isin(keep)].reset_index(drop=True),
        status=gov.status[gov.status["town_code"].isin(keep)].reset_index(drop=True),
        checks=gov.checks[gov.checks["town_code"].isin(keep)].reset_index(drop=True),
    )


def masked_top_ten(
    top: pd.DataFrame, mine: Collection[str] | None, *, names: bool, hidden: str
) -> pd.DataFrame:
    """:func:`top_ten` as a scoped account may see it: its own towns in full; of the others the
    rank alone, with the name and district only when ``names`` (access policy
    ``other_district_names``), else ``hidden``; never their code, volume, 环比 or status.
    ``mine`` ``None`` (the whole city) leaves the table as it is.
    """
    if mine is None:
        return top
    out = top.astype(object).copy()
    other = ~top["town_code"].isin(set(mine))
    out.loc[other, ["town_code", "volume", "mom", "status"]] = None
    if not names:
        out.loc[other, "town_name"] = hidden
        out.loc[other, "district_name"] = "—"
    return out


def checklist(gov: Governance, month: str) -> pd.DataFrame:
    """Exit conditions of every town supervised in ``month`` (and of those exiting in it)."""
    return gov.checks[gov.checks["month"] == month].reset_index(drop=True)


def summary(gov: Governance, month: str, *, population: pd.Series | None = None) -> dict[str, Any]:
    """The figures the reports state, as of ``month``.

    ``ever_supervised`` towns and their ``districts``; ``exited``: towns whose latest spell has ended
    (re-entered towns count as supervised); ``supervised_now``; ``out_of_top_12_months``: towns ever
    supervised whose last month in the top ten is at least 12 months before; ``population_share``
    when ``population`` (by town code) is given.
    """
    ledger = as_of(gov, month)
    latest = ledger.sort_values("spell").groupby("town_code").tail(1)
    in_top = gov.checks[(gov.checks["month"] <= month) & gov.checks["in_top"]]
    last_in_top = in_top.groupby("town_code")["month"].max()
    out_12 = int(sum(_months_between(m, month) >= 12 for m in last_in_top))
    share = None
    if population is not None and population.notna().any():
        share = float(population.reindex(latest["town_code"]).sum() / population.sum())
    return {
        "month": month,
        "ever_supervised": int(latest["town_code"].nunique()),
        "districts": int(latest["district_code"].nunique()),
        "exited": int(latest["exit_month"].notna().sum()),
        "exits": int(ledger["exit_month"].notna().sum()),
        "supervised_now": int(latest["exit_month"].isna().sum()),
        "out_of_top_12_months": out_12,
        "population_share": share,
        "rules": asdict(gov.rules),
    }


#: Headers an official list may use (Chinese as the offices write them, or the English names).
OFFICIAL_HEADERS = {
    "town": ("town", "街乡镇", "街道", "街乡镇名称", "名称", "街乡镇代码"),
    "entry_month": ("entry_month", "纳入月份", "进入月份", "纳入时间"),
    "exit_month": ("exit_month", "摘帽月份", "退出月份", "摘帽时间"),
}


def official_columns(official: pd.DataFrame) -> pd.DataFrame:
    """An uploaded official list with its headers named ``town``, ``entry_month``, ``exit_month``.

    Raises :class:`HeatmapError` naming the missing columns and the headers seen.
    """
    found: dict[str, str] = {}
    for column in official.columns:
        key = str(column).strip()
        for name, forms in OFFICIAL_HEADERS.items():
            if key in forms and name not in found.values():
                found[column] = name
    missing = [n for n in ("town", "entry_month") if n not in found.values()]
    if missing:
        wanted = "、".join(OFFICIAL_HEADERS[n][1] for n in missing)
        seen = "、".join(str(c) for c in official.columns)
        raise HeatmapError(f"官方名单缺少列：{wanted}；读到的表头：{seen}")
    return official.rename(columns=found)


def compare_official(
    ledger: pd.DataFrame,
    official: pd.DataFrame,
    towns: pd.DataFrame,
    *,
    within: Collection[str] | None = None,
) -> pd.DataFrame:
    """Compare an official list (town, entry_month, exit_month) with the computed ledger.

    ``town`` may be a 9-digit code or a name in any common form (学院路 / 学院路街道 / 海淀区学院路街道;
    广外街道 for 广安门外街道). Each official row is matched to the computed spell of the same town
    with the nearest entry month. Result columns: town_code, town_name, official_entry,
    official_exit, computed_entry, computed_exit, verdict (一致 / 进入月份不同 / 退出月份不同 /
    仅官方名单 / 仅计算结果 / 无法识别).

    ``within`` (town codes of the account's scope; ``None`` = the city) keeps the comparison to
    those towns: the ledger's other spells are not compared, and official rows naming a town
    outside are left out (their number in ``result.attrs["outside"]``, never their names).
    """
    from heatmap.geo.names import gazetteer_for

    gazetteer = gazetteer_for(towns)  # built once for every row

    rows: list[dict[str, Any]] = []
    keep = None if within is None else set(within)
    if keep is not None:
        ledger = ledger[ledger["town_code"].isin(keep)]
    spells = ledger.to_dict("records")
    used: set[int] = set()
    outside = 0
    for rec in official.to_dict("records"):
        code = gazetteer.resolve(str(rec["town"])).code
        if code and keep is not None and code not in keep:
            outside += 1
            continue
        entry = _month_or_none(rec.get("entry_month"))
        exit_ = _month_or_none(rec.get("exit_month"))
        mine = [i for i, s in enumerate(spells) if s["town_code"] == code and i not in used]
        if not mine:
            verdict = "仅官方名单" if code else "无法识别"
            rows.append(_verdict_row(code, rec["town"], towns, entry, exit_, None, None, verdict))
            continue
        best = min(
            mine,
            key=lambda i: abs(
                _months_between(spells[i]["entry_month"], entry or spells[i]["entry_month"])
            ),
        )
        used.add(best)
        spell = spells[best]
        computed_exit = spell["exit_month"] if isinstance(spell["exit_month"], str) else None
        verdict = "一致"
        if spell["entry_month"] != entry:
            verdict = "进入月份不同"
        elif computed_exit != exit_:
            verdict = "退出月份不同"
        rows.append(
            _verdict_row(
                code, rec["town"], towns, entry, exit_, spell["entry_month"], computed_exit, verdict
            )
        )
    for i, spell in enumerate(spells):
        if i not in used:
            exit_month = spell["exit_month"] if isinstance(spell["exit_month"], str) else None
            rows.append(
                _verdict_row(
                    spell["town_code"],
                    spell["town_name"],
                    towns,
                    None,
                    None,
                    spell["entry_month"],
                    exit_month,
                    "仅计算结果",
                )
            )
    result = pd.DataFrame(rows, columns=_VERDICT_COLUMNS)
    result.attrs["outside"] = outside
    return result


_VERDICT_COLUMNS = [
    "town_code", "town_name", "official_entry", "official_exit", "computed_entry",
    "computed_exit", "verdict",
]  # fmt: skip


def _verdict_row(code: str | None, raw: Any, towns: pd.DataFrame, entry: str | None, exit_: str | None,
                 c_entry: str | None, c_exit: str | None, verdict: str) -> dict[str, Any]:  # fmt: skip
    names = dict(zip(towns["town_code"], towns["town_name"], strict=True))
    return {
        "town_code": code,
        "town_name": names.get(code, str(raw)) if code else str(raw),
        "official_entry": entry,
        "official_exit": exit_,
        "computed_entry": c_entry,
        "computed_exit": c_exit if isinstance(c_exit, str) else None,
        "verdict": verdict,
    }


def _month_or_none(value: Any) -> str | None:
    if (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or str(value).strip() in ("", "nan", "None")
    ):
        return None
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return str(pd.Period(text, freq="M"))
    except ValueError as exc:
        raise HeatmapError(f"月份 {value!r} 无法识别，应为 YYYY-MM (e.g. 2020-09)") from exc
