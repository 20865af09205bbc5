"""The view's filters (months, districts, towns, theme, problem), their SQL, and their URL form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Self

import pandas as pd

from heatmap.errors import FilterError
from heatmap.i18n import t


@dataclass(frozen=True)
class Filters:
    """What the user looks at. Months are inclusive 'YYYY-MM'; districts and towns are codes."""

    month_from: str
    month_to: str
    districts: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    theme: str | None = None
    problem: str | None = None

    def __post_init__(self) -> None:
        for m in (self.month_from, self.month_to):
            _check_month(m)
        if self.month_from > self.month_to:
            raise FilterError(
                f"起始月份 {self.month_from} 晚于结束月份 {self.month_to} (month range reversed)"
            )

    @property
    def months(self) -> list[str]:
        return [str(p) for p in pd.period_range(self.month_from, self.month_to, freq="M")]

    @property
    def is_range(self) -> bool:
        return self.month_from != self.month_to

    def previous(self) -> Self:
        """The same filters on the equally long window just before (for 环比)."""
        n = len(self.months)
        start = pd.Period(self.month_from, freq="M") - n
        return replace(self, month_from=str(start), month_to=str(start + n - 1))

    def year_before(self) -> Self:
        """The same filters twelve months earlier (for 同比)."""
        shift = lambda m: str(pd.Period(m, freq="M") - 12)  # noqa: E731
        return replace(self, month_from=shift(self.month_from), month_to=shift(self.month_to))

    def label(self, lang: str = "zh") -> str:
        if not self.is_range:
            return self.month_from
        return f"{self.month_from}{t('range_to', lang)}{self.month_to}"


#: The volume bases (接诉量口径): records dispatched to a town, or all accepted requests.
VOLUME_BASES = ("dispatched", "accepted")


@dataclass(frozen=True)
class View(Filters):
    """What a page reads: the filters, the volume basis (接诉量口径) and the user's scope.

    ``scope`` is the district codes the user may see (``None`` = the whole city) and
    ``scope_towns`` the towns within them (``None`` = all, a 街乡镇 account lists its own); every
    read over the aggregates applies both, so access rules hold on the server whatever the page
    asks for.
    """

    measure: str = "dispatched"
    scope: tuple[str, ...] | None = None
    scope_towns: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_basis(self.measure)

    @classmethod
    def of(
        cls,
        filters: Filters,
        *,
        measure: str = "dispatched",
        scope: Sequence[str] | None = None,
        scope_towns: Sequence[str] | None = None,
    ) -> View:
        """The view of ``filters`` with a volume basis and a scope."""
        return cls(
            filters.month_from, filters.month_to, filters.districts, filters.towns,
            filters.theme, filters.problem, measure, None if scope is None else tuple(scope),
            None if scope_towns is None else tuple(scope_towns),
        )  # fmt: skip

    def in_scope(self, frame: pd.DataFrame, *, district_totals: bool = False) -> pd.Series:
        """Which rows of ``frame`` the scope lets the user see (the filters left aside).

        A frame without ``town_code`` holds district figures (totals over every town of a
        district): a 街乡镇 scope (``scope_towns``) sees none of them, since they count towns it
        was not granted, unless ``district_totals`` (access policy ``town_sees_district_totals``)
        lets it see its own districts' rows.
        """
        keep = pd.Series(True, index=frame.index)
        if self.scope is not None:
            keep &= frame["district_code"].isin(self.scope)
        if self.scope_towns is not None:
            if "town_code" in frame:
                keep &= frame["town_code"].isin(self.scope_towns)
            elif not district_totals:
                keep &= False
        return keep

    def select(self, frame: pd.DataFrame, *, district_totals: bool = False) -> pd.DataFrame:
        """The rows of ``frame`` in this view's scope, districts and towns (ranks stay as given)."""
        keep = self.in_scope(frame, district_totals=district_totals)
        if self.districts:
            keep &= frame["district_code"].isin(self.districts)
        if self.towns and "town_code" in frame:
            keep &= frame["town_code"].isin(self.towns)
        return frame[keep]


def area_label(
    view: Filters,
    *,
    district_names: Mapping[str, str],
    town_names: Mapping[str, str],
    town_districts: Mapping[str, str],
    lang: str = "zh",
) -> str:
    """The view's geography in words: 北京市, 海淀区, 海淀区 学院路街道, 海淀区、朝阳区 …

    The chosen towns (with their district), else the chosen districts, else the districts or
    towns the account is limited to, else the whole city. More than three names are cut to
    "the first three and N in all".
    """
    towns = list(view.towns)
    districts = list(view.districts)
    if isinstance(view, View) and not towns and not districts:
        towns = list(view.scope_towns or ())
        districts = list(view.scope or ())
    if towns:
        owners = list(dict.fromkeys(town_districts.get(c, "") for c in towns))
        prefix = "、".join(district_names.get(d, d) for d in owners if d) if len(owners) == 1 else ""
        named = _some([town_names.get(c, c) for c in towns], "n_towns", lang)
        return f"{prefix} {named}".strip()
    if districts:
        return _some([district_names.get(d, d) for d in districts], "n_districts", lang)
    return t("city", lang)


def _some(names: list[str], key: str, lang: str) -> str:
    shown = t("list_sep", lang).join(names[:3])
    return shown if len(names) <= 3 else t(key, lang, names=shown, n=len(names))


def view_label(area: str, months: str, *extra: str) -> str:
    """The one caption of a view: '海淀区 学院路街道 · 2021-05 · 派单量' (titles, files, slides)."""
    return " · ".join(p for p in (area, months, *extra) if p)


def check_basis(measure: str) -> None:
    """Refuse a volume basis other than :data:`VOLUME_BASES` (the one place this is checked)."""
    if measure not in VOLUME_BASES:
        raise FilterError(f"接诉量口径应为 dispatched 或 accepted，收到 {measure!r}")


def _check_month(value: str) -> None:
    try:
        ok = len(value) == 7 and str(pd.Period(value, freq="M")) == value
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise FilterError(f"月份格式应为 YYYY-MM，收到 {value!r} (expected e.g. 2020-09)")


def where_clause(
    filters: Filters,
    *,
    scope: Sequence[str] | None = None,
    months: Sequence[str] | None = None,
    geography: bool = True,
    topic: bool = True,
    scoped: bool = True,
) -> tuple[str, list[Any]]:
    """SQL ``WHERE`` text with ``?`` parameters for the aggregate tables.

    ``scope`` (district codes the user may see) always applies; a :class:`View` brings its own
    (``scoped=False`` leaves it out, to rank a town among all towns of the city before the rows
    are limited). ``geography=False`` leaves out the district/town filters, ``topic=False`` the
    theme/problem.
    """
    scope_towns = None
    if scoped and isinstance(filters, View):
        scope = filters.scope if scope is None else scope
        scope_towns = filters.scope_towns
    clauses: list[str] = []
    params: list[Any] = []
    months = list(months if months is not None else filters.months)
    clauses.append("month IN (" + ", ".join("CAST(? AS DATE)" for _ in months) + ")")
    params += [f"{m}-01" for m in months]
    if scope is not None:
        clauses.append(_in("district_code", scope, params))
    if scope_towns is not None:
        clauses.append(_in("town_code", scope_towns, params))
    if geography and filters.districts:
        clauses.append(_in("district_code", filters.districts, params))
    if geography and filters.towns:
        clauses.append(_in("town_code", filters.towns, params))
    if topic and filters.theme:
        clauses.append("theme = ?")
        params.append(filters.theme)
    if topic and filters.problem:
        clauses.append("problem = ?")
        params.append(filters.problem)
    return "WHERE " + " AND ".join(clauses), params


def _in(column: str, values: Sequence[str], params: list[Any]) -> str:
    if not values:
        return "false"
    params += list(values)
    return f"{column} IN ({', '.join('?' for _ in values)})"


@dataclass(frozen=True)
class Choices:
    """What the store offers, to validate a URL against."""

    months: Sequence[str]
    districts: Sequence[str]
    towns: Mapping[str, str] = field(default_factory=dict)  # town code -> district code
    themes: Sequence[str] = ()
    problems: Mapping[str, str] = field(default_factory=dict)  # problem -> theme


def to_query_params(filters: Filters) -> dict[str, str]:
    """URL form of the filters (short keys, only what differs from empty)."""
    out = {"from": filters.month_from, "to": filters.month_to}
    if filters.districts:
        out["d"] = ",".join(filters.districts)
    if filters.towns:
        out["t"] = ",".join(filters.towns)
    if filters.theme:
        out["theme"] = filters.theme
    if filters.problem:
        out["problem"] = filters.problem
    return out


def from_query_params(params: Mapping[str, str], choices: Choices) -> tuple[Filters, list[str]]:
    """Filters from a URL, keeping what is valid; returns the filters and the values dropped."""
    dropped: list[str] = []
    latest = choices.months[-1]
    start = params.get("from") or params.get("m") or latest
    if start not in choices.months:
        dropped.append(f"from={start}")
        start = latest
    end = params.get("to") or params.get("m") or start
    if end not in choices.months or end < start:
        dropped.append(f"to={end}")
        end = start
    districts = _keep(params.get("d"), choices.districts, "d", dropped)
    towns = _keep(params.get("t"), choices.towns, "t", dropped)
    if districts:
        dropped += [f"t={t}" for t in towns if choices.towns[t] not in districts]
        towns = tuple(t for t in towns if choices.towns[t] in districts)
    theme = params.get("theme") or None
    if theme and theme not in choices.themes:
        dropped.append(f"theme={theme}")
        theme = None
    problem = params.get("problem") or None
    if problem and (
        problem not in choices.problems or (theme and choices.problems[problem] != theme)
    ):
        dropped.append(f"problem={problem}")
        problem = None
    return Filters(start, end, districts, towns, theme, problem), dropped


def _keep(
    raw: str | None, valid: Sequence[str] | Mapping[str, str], key: str, dropped: list[str]
) -> tuple[str, ...]:
    if not raw:
        return ()
    values = [v for v in raw.split(",") if v]
    dropped += [f"{key}={v}" for v in values if v not in valid]
    return tuple(v for v in values if v in valid)
