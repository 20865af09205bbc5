"""Tests of heatmap.intake.demo: calibration of the model, the governance script, and a small seeded build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import DEMO_SCALE, DEMO_SEED

from heatmap.geo.assign import TownIndex
from heatmap.geo.geography import load_boundary_set
from heatmap.intake import store
from heatmap.intake.demo import (
    DEFAULT_SEED,
    GOVERNANCE_SCRIPT,
    build_demo,
    monthly_totals,
    rate_targets,
)

DEMO_MONTHS = [str(p) for p in pd.period_range("2019-01", "2021-12", freq="M")]
AGG_ORDERED = "SELECT * FROM agg_town_month ORDER BY ALL"

# --------------------------------------------------------------------------- model functions


@pytest.fixture(scope="module")
def totals() -> pd.DataFrame:
    return monthly_totals(1.0)


def test_monthly_totals_months(totals: pd.DataFrame) -> None:
    assert totals["month"].tolist() == DEMO_MONTHS
    assert (totals[["accepted", "dispatched", "covid"]] >= 0).all().all()


@pytest.mark.parametrize(
    ("column", "first", "last", "seed_total"),
    [
        ("accepted", "2019-01", "2021-11", 31.34e6),  # 6.96 + 11.03 + 13.35 M
        ("dispatched", "2019-01", "2021-11", 13.01e6),
        ("dispatched", "2020-01", "2020-12", 4.5e6),
        ("accepted", "2020-01", "2020-12", 11.03e6),
    ],
)
def test_monthly_totals_match_the_seeds(
    totals: pd.DataFrame, column: str, first: str, last: str, seed_total: float
) -> None:
    window = totals[(totals["month"] >= first) & (totals["month"] <= last)]
    assert window[column].sum() == pytest.approx(seed_total, rel=0.005)


def test_monthly_totals_scale(totals: pd.DataFrame) -> None:
    small = monthly_totals(0.01)
    assert (small["dispatched"] - (totals["dispatched"] * 0.01).round()).abs().max() <= 1
    assert (totals["dispatched"] < totals["accepted"]).all()


@pytest.mark.parametrize(
    ("index", "expected"),
    [(0, (0.9, 0.531, 0.646)), (11, (0.96, 0.75, 0.873)), (35, (0.991, 0.892, 0.922))],
)
def test_rate_targets_at_anchors(index: int, expected: tuple[float, float, float]) -> None:
    assert rate_targets(index) == pytest.approx(expected)


def test_rate_targets_interpolate_and_rise() -> None:
    resolution = [rate_targets(i)[1] for i in range(36)]
    assert resolution[11] == pytest.approx(0.75)
    assert rate_targets(5)[1] == pytest.approx(0.531 + (0.75 - 0.531) * 5 / 11)
    assert all(b >= a for a, b in zip(resolution, resolution[1:], strict=False))


# --------------------------------------------------------------------------- governance script


def _in_top_ten(month: str) -> list[str]:
    return [s.name for s in GOVERNANCE_SCRIPT if any(a <= month <= b for a, b in s.windows)]


@pytest.mark.parametrize("month", [m for m in DEMO_MONTHS if m >= "2019-05"])
def test_script_has_ten_towns_in_each_month(month: str) -> None:
    assert len(_in_top_ten(month)) == 10


def test_script_towns_and_districts() -> None:
    assert len({(s.name, s.district) for s in GOVERNANCE_SCRIPT}) == 30
    assert len({s.district for s in GOVERNANCE_SCRIPT}) == 10
    assert {s.after for s in GOVERNANCE_SCRIPT} == {"exit", "near"}
    exits = [s for s in GOVERNANCE_SCRIPT if s.after == "exit"]
    assert all(s.improves for s in exits)  # every exiting town says when its rates improve
    assert sum(s.improves <= "2021-05" for s in exits) == 13  # 13 exited by May 2021 (seeds)


def test_script_guanwai_leaves_before_september_2020() -> None:
    (guanwai,) = [s for s in GOVERNANCE_SCRIPT if s.name == "广安门外街道"]
    assert guanwai.district == "西城区"
    assert max(end for _, end in guanwai.windows) < "2020-09"


def test_script_towns_exist_in_demo_boundaries() -> None:
    frame = load_boundary_set().frame
    known = set(zip(frame["name"], frame["district_name"], strict=True))
    assert {(s.name, s.district) for s in GOVERNANCE_SCRIPT} <= known


# --------------------------------------------------------------------------- the small build


def test_demo_meta(demo_con: duckdb.DuckDBPyConnection) -> None:
    meta = store.get_meta(demo_con)
    assert meta["synthetic"] is True
    assert (meta["seed"], meta["scale"]) == (DEMO_SEED, DEMO_SCALE)
    assert (meta["first_month"], meta["last_month"]) == ("2019-01", "2021-12")


def test_demo_towns_table(demo_con: duckdb.DuckDBPyConnection) -> None:
    n_boundaries = len(load_boundary_set().frame)
    assert demo_con.execute("SELECT count(*) FROM towns").fetchall() == [(n_boundaries,)]


def test_demo_monthly_volumes_follow_the_model(demo_con: duckdb.DuckDBPyConnection) -> None:
    got = demo_con.execute(
        """SELECT strftime(month, '%Y-%m') AS month, sum(accepted) AS accepted,
                  sum(dispatched) AS dispatched
           FROM agg_town_month GROUP BY 1 ORDER BY 1"""
    ).df()
    want = monthly_totals(DEMO_SCALE)
    assert got["month"].tolist() == DEMO_MONTHS
    both = got.merge(want, on="month", suffixes=("", "_model"))
    off = both[
        (both["accepted"] != both["accepted_model"])
        | (both["dispatched"] != both["dispatched_model"])
    ]
    assert off.empty, f"store volumes differ from monthly_totals:\n{off.to_string()}"


def test_demo_points_lie_in_their_towns(demo_con: duckdb.DuckDBPyConnection) -> None:
    records = demo_con.execute("SELECT town_code, lon, lat FROM records").df()
    index = TownIndex.from_frame(load_boundary_set().frame, code_field="code9")
    records["found"] = index.lookup(records["lon"].to_numpy(), records["lat"].to_numpy())
    wrong = records[records["found"].ne(records["town_code"])]
    assert wrong.empty, f"{len(wrong)} records outside their own town:\n{wrong.to_string()}"


def test_demo_source_coordinate_systems(demo_con: duckdb.DuckDBPyConnection) -> None:
    rows = demo_con.execute(
        "SELECT src_crs, count(*) / sum(count(*)) OVER () FROM records GROUP BY 1"
    ).fetchall()
    share = dict(rows)
    assert set(share) == {"wgs84", "gcj02", "bd09"}
    assert share["gcj02"] == pytest.approx(0.2, abs=0.02)
    assert share["bd09"] == pytest.approx(0.1, abs=0.02)


def test_demo_assign_methods(demo_con: duckdb.DuckDBPyConnection) -> None:
    rows = demo_con.execute("SELECT assign_method, count(*) FROM records GROUP BY 1").fetchall()
    share = {m: n for m, n in rows}
    total = sum(share.values())
    # 15 % of demo records come without a town code: their address names the town (address
    # before point since the approximate boundaries are the weaker evidence)
    assert set(share) <= {"code", "address", "point"}
    located = share.get("address", 0) + share.get("point", 0)
    assert located / total == pytest.approx(0.15, abs=0.02)
    conflicts = demo_con.execute("SELECT count(*) FROM records WHERE point_town_code IS NOT NULL")
    assert conflicts.fetchall() == [(0,)]  # every demo point lies in the town its address names


def test_demo_every_record_has_a_cell(demo_con: duckdb.DuckDBPyConnection) -> None:
    assert demo_con.execute("SELECT count(*) FROM records WHERE h3 IS NULL").fetchall() == [(0,)]


def test_demo_rates_near_targets(demo_con: duckdb.DuckDBPyConnection) -> None:
    row = demo_con.execute(
        """SELECT sum(resolved) / sum(evaluated), sum(satisfied) / sum(evaluated)
           FROM agg_town_month WHERE month = DATE '2019-01-01'"""
    ).fetchall()[0]
    _, resolution, satisfaction = rate_targets(0)
    assert row[0] == pytest.approx(resolution, abs=0.05)
    assert row[1] == pytest.approx(satisfaction, abs=0.05)


def test_same_seed_gives_the_same_store(
    demo_con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    again = tmp_path / "again.duckdb"
    build_demo(again, scale=DEMO_SCALE, seed=DEMO_SEED)
    con = store.connect(again, read_only=True)
    pd.testing.assert_frame_equal(con.execute(AGG_ORDERED).df(), demo_con.execute(AGG_ORDERED).df())
    con.close()


def test_other_seed_gives_another_store(
    demo_con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    other = tmp_path / "other.duckdb"
    counts = build_demo(other, scale=DEMO_SCALE, seed=DEMO_SEED + 1)
    con = store.connect(other, read_only=True)
    a = con.execute(AGG_ORDERED).df()
    b = demo_con.execute(AGG_ORDERED).df()
    con.close()
    assert counts["towns"] == len(load_boundary_set().frame)
    assert not a.equals(b)
    assert a["dispatched"].sum() == b["dispatched"].sum()  # the same totals, drawn differently


def test_build_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "d.duckdb"
    path.write_bytes(b"not a store")
    calls: list[float] = []
    counts = build_demo(path, scale=0.0005, seed=1, progress=lambda f, _m: calls.append(f))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb"]
    assert (calls[0], calls[-1]) == (0.0, 1.0)
    con = store.connect(path, read_only=True)
    assert con.execute("SELECT count(*) FROM records").fetchall() == [(counts["records"],)]
    con.close()


def test_default_scale_store_tells_the_governance_story(tmp_path: Path) -> None:
    """At the default scale the monthly top ten is the scripted one (noise may swap a town rarely)."""
    db = tmp_path / "default.duckdb"
    build_demo(db, seed=DEFAULT_SEED)
    con = duckdb.connect(str(db), read_only=True)
    counts = con.execute(
        """SELECT strftime(month, '%Y-%m') AS month, t.town_name, t.district_name, sum(dispatched) AS v
        FROM agg_town_month JOIN towns t USING (town_code) GROUP BY ALL"""
    ).df()
    con.close()
    counts = counts.sort_values(["month", "v", "town_name"], ascending=[True, False, True])
    top = counts.groupby("month").head(10)
    supervised = top[top["month"] >= "2019-05"]
    agree = sum(
        set(group["town_name"])
        == {s.name for s in GOVERNANCE_SCRIPT if any(a <= month <= b for a, b in s.windows)}
        for month, group in supervised.groupby("month")
    )
    assert agree >= 30  # of 32 months
    assert 28 <= supervised["town_name"].nunique() <= 32  # "about 30 towns"
    assert supervised["district_name"].nunique() == 10
    last_guanwai = supervised.loc[supervised["town_name"] == "广安门外街道", "month"].max()
    assert last_guanwai < "2020-09"
