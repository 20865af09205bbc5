"""Switch a store to a boundary set: partial sets as overlays, a dry run first, history as announced.

A set that covers only some districts (a district office's own 街道 polygons) is laid over the
active set: its polygons where it has them, the previous set's elsewhere, and the notice says
which districts are official. Records from the set's ``valid_from`` month on are attributed
again; earlier months keep the towns they were ranked under unless re-attributing history is
asked for, which reports the governance ledger entries it changes. :func:`activate` with
``dry_run=True`` reports what would change (records changing town, records losing it, the
latest month's top ten) and writes nothing; an activation that would leave records without a
town is refused unless forced.

:func:`attribution` and :func:`reassign` are the steps the scale-out path (``heatmap.scale``,
a Dask job over Parquet partitioned by month) runs too, so both give the same towns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from heatmap.errors import BoundaryError
from heatmap.geo.assign import TownIndex
from heatmap.geo.geography import (
    META_FILE,
    METRIC_CRS,
    SET_FILE,
    BoundarySet,
    _write_geojson,
    _write_json,
    load_boundary_set,
)
from heatmap.geo.names import DISTRICTS, district_codes, in_district
from heatmap.i18n import t
from heatmap.intake import store
from heatmap.paths import GEO_DIR

__all__ = [
    "Attribution", "activate", "attribution", "combine", "overlay", "overlay_report", "plan_of",
    "reassign", "record_switch", "refusal", "save_overlay", "tally", "town_names", "update_records",
]  # fmt: skip

KEEP_SHARE = 0.5  # a previous town keeps its polygon when the new set covers less than half of it
_TOP = 10


def overlay(new: BoundarySet, base: BoundarySet) -> BoundarySet:
    """``new`` laid over ``base``: new polygons where it has them, base polygons elsewhere.

    A base town missing from ``new`` keeps what ``new`` does not cover of it, when that is at
    least half of it; otherwise its area belongs to the new towns (its records follow the
    lineage). When ``new`` covers every district of ``base`` it is returned unchanged.
    """
    covered = sorted(set(new.frame["district_code"]))
    if set(base.frame["district_code"]) <= set(covered):
        return new
    new_union = shapely.union_all(new.frame.to_crs(METRIC_CRS).geometry.values)
    base_m = base.frame[~base.frame["code9"].isin(new.frame["code9"])].to_crs(METRIC_CRS)
    rest = shapely.difference(base_m.geometry.values, new_union)
    keep = shapely.area(rest) >= KEEP_SHARE * shapely.area(base_m.geometry.values)
    kept = gpd.GeoDataFrame(
        base_m.drop(columns="geometry")[keep], geometry=rest[keep], crs=METRIC_CRS
    ).to_crs(4326)
    columns = [c for c in new.frame.columns if c in kept.columns]
    frame = pd.concat([new.frame[columns], kept[columns]], ignore_index=True)
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326).sort_values(
        "code9", ignore_index=True
    )
    official = [] if new.approximate else covered
    others = sorted(set(frame["district_code"]) - set(official))
    meta = {
        **base.meta,
        "name": f"{new.name}__over__{base.name}",
        "overlay_of": [new.name, base.name],
        "valid_from": new.meta.get("valid_from"),
        "official_districts": official,
        "approximate_districts": others,
        "approximate": bool(others) or base.approximate,
        "towns": len(frame),
        "source": f"{new.meta.get('source', new.name)} + {base.meta.get('source', base.name)}",
        "title_zh": f"{_names(official, 'zh')}为官方边界（{new.name}），其余为示意边界（{base.name}）",
        "title_en": f"{_names(official, 'en')}: official ({new.name}); elsewhere approximate",
        "notice_zh": f"{_names(official, 'zh')}为官方边界，其余为示意边界",
        "notice_en": f"Official boundaries in {_names(official, 'en')}; approximate elsewhere",
    }
    return BoundarySet(name=str(meta["name"]), frame=frame, meta=meta)


def activate(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    geo_dir: Path = GEO_DIR,
    dry_run: bool = False,
    force: bool = False,
    reattribute_history: bool = False,
) -> dict[str, Any]:
    """Make boundary set ``name`` (or its overlay on the active set) the store's active set.

    Records from the set's ``valid_from`` month on (all months with ``reattribute_history``)
    are attributed again: records placed by their point follow the new polygons; records placed
    by code, name or address keep their town while it exists, else go to its largest successor
    by area (the lineage, kept in the ``lineage`` table). Aggregates are rebuilt. Records are
    read, attributed and written one month at a time, so memory follows a month, not the
    history. Everything runs in one transaction, rolled back for a dry run or when the
    activation is refused.

    Returns
    -------
    dict
        The plan: ``boundary_set``, ``previous``, ``overlay`` (official / approximate
        districts), ``records_changing_town`` with ``changes`` (before → after per town pair),
        ``records_losing_town`` with ``losing_by_town``, ``top_ten_before``/``top_ten_after``
        of the latest month, ``ledger_changes`` (with ``reattribute_history``), ``applied``.

    Raises
    ------
    BoundaryError
        When the activation would leave records without a town and ``force`` is False.
    """
    att = attribution(con, name, geo_dir=geo_dir)
    target, towns = att.target, att.towns
    valid_from = None if reattribute_history else target.meta.get("valid_from")
    before_top = _latest_top_ten(con)
    before_ledger = _ledger(con) if reattribute_history else None
    names = town_names(con, towns)  # the towns as the store knows them now, and the new ones
    con.execute("BEGIN TRANSACTION")
    try:
        store.replace_towns(con, _with_retired(con, towns, valid_from))
        # one month at a time: a history of 72 M records at once would need ~32 GB
        tallies = []
        for month in _months(con, valid_from):
            rows = _records(con, month)
            new_rows, moved = reassign(rows.copy(), att)
            tallies.append(tally(rows, new_rows, moved))
            _write_reassigned(con, new_rows, month)
            del rows, new_rows
        total = combine(tallies)
        plan = plan_of(total, names)
        if plan["records_losing_town"] and not force and not dry_run:
            raise refusal(target.name, plan)
        store.refresh_aggregates(con)
        record_switch(con, att, reattribute_history=reattribute_history)
        plan["top_ten_after"] = _latest_top_ten(con)
        if before_ledger is not None:
            plan["ledger_changes"] = _ledger_diff(before_ledger, _ledger(con))
        if dry_run:
            con.execute("ROLLBACK")
        else:
            save_overlay(att, geo_dir)
            con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    plan.update(
        boundary_set=target.name, previous=att.previous_name, towns=len(towns),
        applied=not dry_run, valid_from=target.meta.get("valid_from"),
        reattribute_history=reattribute_history, overlay=overlay_report(att),
        top_ten_before=before_top, records_by_point=total["by_point"],
        records_to_successor=total["to_successor"], lineage_links=len(att.links),
    )  # fmt: skip
    return plan


def tally(before: pd.DataFrame, after: pd.DataFrame, moved: int) -> dict[str, Any]:
    """What changed in one part of the records (a month), in the terms of the plan: records,
    by_point, to_successor, gaining, and the (before, after, records) town pairs and
    (town_code, records) losses. :func:`combine` adds parts up."""
    old, new = before["town_code"].astype("object"), after["town_code"].astype("object")
    changed = old.notna() & new.notna() & (old != new)
    lost = old.notna() & new.isna()
    pairs = (
        pd.DataFrame({"before": old[changed], "after": new[changed]})
        .groupby(["before", "after"], as_index=False)
        .size()
    )
    return {
        "records": len(before),
        "by_point": int((after["assign_method"] == "point").sum()),
        "to_successor": moved,
        "gaining": int((old.isna() & new.notna()).sum()),
        "pairs": list(pairs.itertuples(index=False, name=None)),
        "losing": [(str(c), int(n)) for c, n in old[lost].value_counts().items()],
    }


def combine(tallies: list[dict[str, Any]]) -> dict[str, Any]:
    """The tallies of every part summed: counts, and town pairs and losses counted per town."""
    pairs = [p for t in tallies for p in t["pairs"]]
    losing = [p for t in tallies for p in t["losing"]]
    return {
        "files": len(tallies),
        "records": sum(t["records"] for t in tallies),
        "by_point": sum(t["by_point"] for t in tallies),
        "to_successor": sum(t["to_successor"] for t in tallies),
        "gaining": sum(t["gaining"] for t in tallies),
        "pairs": _summed(pd.DataFrame(pairs, columns=["before", "after", "records"]),
                         ["before", "after"]),
        "losing": _summed(pd.DataFrame(losing, columns=["town_code", "records"]), ["town_code"]),
    }  # fmt: skip


def _summed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Records summed per key, most first (ties by key)."""
    summed = frame.groupby(keys, as_index=False).agg(records=("records", "sum"))
    order = [False, *[True] * len(keys)]
    return summed.sort_values(["records", *keys], ascending=order, ignore_index=True)


def town_names(con: duckdb.DuckDBPyConnection, towns: pd.DataFrame) -> dict[str, str]:
    """Town code -> name: the store's towns before the switch, then the new set's."""
    names = dict(con.execute("SELECT town_code, town_name FROM towns").fetchall())
    names.update(zip(towns["town_code"], towns["town_name"], strict=True))
    return names


def plan_of(total: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The plan's counts from :func:`combine`'s total (the first 50 pairs and losses, named)."""
    pairs: pd.DataFrame = total["pairs"].copy()
    pairs["before_name"] = pairs["before"].map(names)
    pairs["after_name"] = pairs["after"].map(names)
    losing: pd.DataFrame = total["losing"].copy()
    losing["town_name"] = losing["town_code"].map(names)
    return {
        "records_considered": total["records"],
        "records_changing_town": int(pairs["records"].sum()),
        "changes": pairs.head(50).to_dict("records"),
        "records_losing_town": int(losing["records"].sum()),
        "losing_by_town": losing.head(50).to_dict("records"),
        "records_gaining_town": total["gaining"],
    }


@dataclass(frozen=True)
class Attribution:
    """What re-attributing records to a boundary set needs, built once per activation.

    ``target`` is the set made active (an overlay on ``base`` when the named set is partial),
    ``towns`` its town table, ``index`` the point-in-town index of its polygons, ``links`` the
    lineage from the previous set and ``successor`` each retired town's largest successor.
    """

    target: BoundarySet
    base: BoundarySet | None
    previous_name: str | None
    links: pd.DataFrame
    successor: dict[str, str]
    towns: pd.DataFrame
    index: TownIndex

    @property
    def codes(self) -> set[str]:
        """The town codes of the target set."""
        return set(self.towns["town_code"])


def attribution(
    con: duckdb.DuckDBPyConnection, name: str, *, geo_dir: Path = GEO_DIR
) -> Attribution:
    """The :class:`Attribution` for making boundary set ``name`` active in the store ``con``."""
    from heatmap.intake.demo import town_table

    target, base = _target_set(con, name, geo_dir)
    old_name = store.get_meta(con).get("boundary_set")
    links = _lineage_from(old_name, target, geo_dir)
    successor = links.sort_values("share", ascending=False).drop_duplicates("old_code")
    successor = successor[~successor["old_code"].isin(target.frame["code9"])]
    return Attribution(
        target=target, base=base, previous_name=old_name, links=links,
        successor=dict(zip(successor["old_code"], successor["new_code"], strict=True)),
        towns=town_table(target), index=TownIndex.from_frame(target.frame, code_field="code9"),
    )  # fmt: skip


def reassign(rows: pd.DataFrame, att: Attribution) -> tuple[pd.DataFrame, int]:
    """``rows`` (town_code, assign_method, lon, lat, district_raw) attributed under ``att``.

    Returns the rows with new ``town_code``, ``assign_method``, ``point_town`` and
    ``point_town_code``, and how many records went to a successor town. A pure function of
    its arguments: the single-machine activation and the scale-out job both call it.
    """
    return _reassign(rows, att.index, att.codes, att.successor)


def refusal(name: str, plan: dict[str, Any]) -> BoundaryError:
    """The error refusing an activation that would leave ``plan['records_losing_town']`` without a town."""
    return BoundaryError(
        f"启用边界集 {name} 会使 {plan['records_losing_town']:,} 条工单失去所属街乡镇"
        f"（{_losing_text(plan)}）。请先预演（--dry-run）查看，确认后加 --force 启用 "
        "(activation would leave records without a town; pass force)"
    )


def record_switch(
    con: duckdb.DuckDBPyConnection, att: Attribution, *, reattribute_history: bool
) -> None:
    """Write the lineage and make ``att.target`` the active set in the store's metadata."""
    target = att.target
    _record_lineage(con, att.links, target)
    history = list(store.get_meta(con).get("boundary_history") or [])
    history.append({"name": target.name, "valid_from": target.meta.get("valid_from"),
                    "reattributed_history": reattribute_history})  # fmt: skip
    store.set_meta(
        con, boundary_set=target.name, boundary_approximate=target.approximate,
        boundary_history=history,
    )  # fmt: skip


def save_overlay(att: Attribution, geo_dir: Path) -> None:
    """Save the target set beside the others when it is an overlay (its name is new)."""
    if att.base is not None:
        _save_overlay(att.target, geo_dir)


def overlay_report(att: Attribution) -> dict[str, Any] | None:
    """Official and approximate districts of an overlay, None when the set is whole."""
    if att.base is None:
        return None
    meta = att.target.meta
    return {"official_districts": meta.get("official_districts"),
            "approximate_districts": meta.get("approximate_districts")}  # fmt: skip


def _target_set(
    con: duckdb.DuckDBPyConnection, name: str, geo_dir: Path
) -> tuple[BoundarySet, BoundarySet | None]:
    """The set to activate: ``name`` itself, or its overlay on the active set when partial."""
    new = _load(name, geo_dir)
    old_name = store.get_meta(con).get("boundary_set")
    if not old_name or old_name == name:
        return new, None
    try:
        base = _load(str(old_name), geo_dir)
    except BoundaryError:
        return new, None
    target = overlay(new, base)
    return target, (base if target is not new else None)


def _load(name: str, geo_dir: Path) -> BoundarySet:
    for where in dict.fromkeys((Path(geo_dir), GEO_DIR)):
        if (where / name / META_FILE).exists():
            return load_boundary_set(name, geo_dir=where)
    return load_boundary_set(name, geo_dir=geo_dir)  # raises with the missing path


def _save_overlay(target: BoundarySet, geo_dir: Path) -> None:
    out = Path(geo_dir) / target.name
    out.mkdir(parents=True, exist_ok=True)
    _write_geojson(target.frame, out / SET_FILE)
    _write_json(target.meta, out / META_FILE)


def _months(con: duckdb.DuckDBPyConnection, valid_from: str | None) -> list[Any]:
    """The months of the records to attribute again (from ``valid_from`` on, or all)."""
    sql = "SELECT DISTINCT month FROM records"
    params: list[Any] = []
    if valid_from:
        sql += " WHERE month >= CAST(? AS DATE)"
        params.append(f"{valid_from}-01")
    return [r[0] for r in con.execute(sql + " ORDER BY month NULLS LAST", params).fetchall()]


def _records(con: duckdb.DuckDBPyConnection, month: Any) -> pd.DataFrame:
    return con.execute(
        """SELECT record_id, strftime(month, '%Y-%m') AS month, town_code, assign_method,
           lon, lat, district_raw FROM records WHERE month IS NOT DISTINCT FROM ?""",
        [month],
    ).df()


def _reassign(
    rows: pd.DataFrame, index: TownIndex, codes: set[str], successor: dict[str, str]
) -> tuple[pd.DataFrame, int]:
    """New town, method and conflict flag per record under the new polygons (see :func:`activate`).

    A point outside the district the record names is not used (the name's rule holds here too).
    """
    ok = rows["lon"].notna().to_numpy()
    at_point = np.full(len(rows), None, dtype=object)
    if ok.any():
        at_point[ok] = index.lookup(rows["lon"].to_numpy()[ok], rows["lat"].to_numpy()[ok])
    rows["point_town"] = at_point
    fits = in_district(rows["point_town"].astype("object"), district_codes(rows["district_raw"]))
    by_point = rows["assign_method"].isin(["point", "none"]) & rows["point_town"].notna() & fits
    rows.loc[by_point, "town_code"] = rows.loc[by_point, "point_town"]
    rows.loc[by_point, "assign_method"] = "point"
    gone = ~by_point & rows["town_code"].notna() & ~rows["town_code"].isin(codes)
    handed = gone & rows["town_code"].isin(successor)
    rows.loc[handed, "town_code"] = rows.loc[handed, "town_code"].map(successor)
    lost = gone & ~handed
    rows.loc[lost, "town_code"] = None
    rows.loc[lost, "assign_method"] = "none"
    rows["point_town_code"] = rows["point_town"].where(
        rows["point_town"].notna()
        & rows["town_code"].notna()
        & (rows["point_town"] != rows["town_code"])
    )
    return rows, int(handed.sum())


def _losing_text(plan: dict[str, Any]) -> str:
    parts = [f"{r['town_name'] or r['town_code']} {r['records']:,} 条" for r in plan["losing_by_town"][:5]]
    return "、".join(parts)


def _write_reassigned(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, month: Any) -> None:
    con.register("_reassigned", rows[["record_id", "town_code", "assign_method", "point_town_code"]])
    try:
        update_records(con, "_reassigned", month=month)
    finally:
        con.unregister("_reassigned")


_UNSET = object()


def update_records(con: duckdb.DuckDBPyConnection, source: str, *, month: Any = _UNSET) -> None:
    """Set each record's town, method and flag from the view or table named ``source``.

    ``source`` holds record_id, town_code, assign_method, point_town_code; the town's name
    and district come from the ``towns`` table (NULL for a record without a town). With
    ``month`` (a date, or None for records without one) only that month's records are looked
    at: the store's month-ordered row groups spare the others.
    """
    if not source.isidentifier():
        raise ValueError(f"source must be a table or view name, got {source!r}")
    in_month = "" if month is _UNSET else " AND records.month IS NOT DISTINCT FROM ?"
    con.execute(
        f"""UPDATE records SET town_code = r.town_code, assign_method = r.assign_method,
        point_town_code = r.point_town_code, town_name = t.town_name,
        district_code = t.district_code, district_name = t.district_name
        FROM {source} r LEFT JOIN towns t USING (town_code)
        WHERE records.record_id = r.record_id{in_month}""",
        [] if month is _UNSET else [month],
    )


def _with_retired(
    con: duckdb.DuckDBPyConnection, towns: pd.DataFrame, valid_from: str | None
) -> pd.DataFrame:
    """The new towns plus those earlier months still name (history kept as ranked)."""
    if not valid_from:
        return towns
    kept = con.execute(
        """SELECT DISTINCT t.* FROM towns t JOIN records r USING (town_code)
        WHERE r.month < CAST(? AS DATE)""",
        [f"{valid_from}-01"],
    ).df()
    kept = kept[~kept["town_code"].isin(towns["town_code"])]
    return pd.concat([towns, kept[towns.columns]], ignore_index=True) if len(kept) else towns


def _record_lineage(
    con: duckdb.DuckDBPyConnection, links: pd.DataFrame, target: BoundarySet
) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS lineage (old_code VARCHAR, new_code VARCHAR, share DOUBLE, valid_from VARCHAR)"
    )
    if len(links):
        con.register("_links", links.assign(valid_from=target.meta.get("valid_from")))
        try:
            con.execute("INSERT INTO lineage SELECT old_code, new_code, share, valid_from FROM _links")
        finally:
            con.unregister("_links")


def _lineage_from(old_name: str | None, new: BoundarySet, geo_dir: Path) -> pd.DataFrame:
    from heatmap.intake.boundaries import lineage

    empty = pd.DataFrame({"old_code": [], "new_code": [], "share": []})
    if not old_name or old_name == new.name:
        return empty
    try:
        old = _load(old_name, geo_dir)
    except BoundaryError:
        return empty
    return lineage(old.frame, new.frame)


def _latest_top_ten(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The latest month's ten towns by dispatched volume (ties share the rank)."""
    rows = con.execute(
        """WITH latest AS (SELECT max(month) AS m FROM agg_town_month),
        v AS (SELECT a.town_code, sum(a.dispatched) AS volume FROM agg_town_month a, latest
              WHERE a.month = latest.m AND a.town_code IS NOT NULL GROUP BY 1)
        SELECT v.town_code, t.town_name, v.volume, rank() OVER (ORDER BY v.volume DESC) AS rank,
               strftime((SELECT m FROM latest), '%Y-%m') AS month
        FROM v LEFT JOIN towns t USING (town_code) QUALIFY rank <= ? ORDER BY rank, v.town_code""",
        [_TOP],
    ).df()
    return [
        {str(k): (int(v) if k in ("volume", "rank") else v) for k, v in r.items()}
        for r in rows.to_dict("records")
    ]


def _ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    from heatmap.analysis import governance, queries

    panel = queries.monthly_panel(con)
    return governance.evaluate(panel).ledger[["town_code", "entry_month", "exit_month"]]


def _ledger_diff(before: pd.DataFrame, after: pd.DataFrame) -> list[dict[str, Any]]:
    """Spells present in one ledger and not the other (town, entry, exit)."""
    key = ["town_code", "entry_month", "exit_month"]

    def months(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[key].astype(object).where(frame[key].notna(), None).astype(str)

    both = months(before).merge(months(after), on=key, how="outer", indicator=True)
    changed = both[both["_merge"] != "both"]
    side = {"left_only": "removed", "right_only": "added"}
    return [
        {**{k: (None if r[k] == "None" else r[k]) for k in key}, "effect": side[str(r["_merge"])]}
        for r in changed.to_dict("records")
    ]


def _names(codes: list[str], lang: str) -> str:
    if not codes:
        return t("no_district", lang)
    return t("list_sep", lang).join(DISTRICTS.get(c, c) for c in codes)
