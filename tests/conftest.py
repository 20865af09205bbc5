"""Shared fixtures: a tiny hand-written store and a small seeded demo store."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import h3
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from heatmap.intake import store
from heatmap.intake.demo import build_demo

pytest_plugins = ["pg_fixtures"]  # PostgreSQL and workbench fixtures (tests/supervision)

# Two districts, five towns. 丁 (T4) never has a record; 戊 (T5) has none before 2020-03.
D1, D2 = "110101", "110102"
T1, T2, T3, T4, T5 = "110101001", "110101002", "110102001", "110102002", "110102003"
TOWNS = pd.DataFrame(
    [
        (T1, "甲街道", D1, "东城区", "街道", 20_000.0),
        (T2, "乙街道", D1, "东城区", "街道", 10_000.0),
        (T3, "丙街道", D2, "西城区", "街道", 20_000.0),
        (T4, "丁街道", D2, "西城区", "街道", None),
        (T5, "戊街道", D2, "西城区", "街道", 30_000.0),
    ],
    columns=["town_code", "town_name", "district_code", "district_name", "kind", "population"],
)

THEME_OF = {"噪声扰民": "环境", "停车难": "交通", "物业服务": "住房"}

# Four points a few km apart in central Beijing (WGS84 lon, lat): each in its own H3 cell at res 8.
POINTS = {
    "P1": (116.40, 39.91),
    "P2": (116.36, 39.93),
    "P3": (116.35, 39.90),
    "P4": (116.37, 39.88),
}
H3_RESOLUTION = 8

# (record_id, month, town, problem, flags, point). flags = dispatched, responded, evaluated,
# resolved, satisfied as 0/1 characters; point None = no coordinates (so no H3 cell).
#
# Hand counts of 2020-03 (accepted / dispatched / responded / evaluated / resolved / satisfied):
#   T1 4/2/2/2/1/1   T2 1/1/0/0/0/0   T3 4/4/3/2/2/1   T4 0   T5 3/3/3/2/1/2   no town 1/1/0/0/0/0
# 2020-02 dispatched: T1 4, T2 1, T3 2 (total 7; responded 5, evaluated 5, resolved 3, satisfied 3).
RECORDS = [
    ("r01", "2020-03", T1, "噪声扰民", "11111", "P1"),
    ("r02", "2020-03", T1, "停车难", "11100", "P1"),
    ("r03", "2020-03", T1, "物业服务", "00000", None),
    ("r04", "2020-03", T1, "物业服务", "00000", "P2"),
    ("r05", "2020-03", T2, "停车难", "10000", None),
    ("r06", "2020-03", T3, "噪声扰民", "11111", "P3"),
    ("r07", "2020-03", T3, "噪声扰民", "11110", "P3"),
    ("r08", "2020-03", T3, "停车难", "11000", "P3"),
    ("r09", "2020-03", T3, "物业服务", "10000", None),
    ("r10", "2020-03", T5, "噪声扰民", "11101", "P4"),
    ("r11", "2020-03", T5, "噪声扰民", "11111", "P4"),
    ("r12", "2020-03", T5, "物业服务", "11000", "P4"),
    ("r13", "2020-03", None, "停车难", "10000", None),
    ("r14", "2020-02", T1, "噪声扰民", "11111", "P1"),
    ("r15", "2020-02", T1, "噪声扰民", "11111", "P1"),
    ("r16", "2020-02", T1, "停车难", "10000", "P1"),
    ("r17", "2020-02", T1, "停车难", "10000", None),
    ("r18", "2020-02", T2, "物业服务", "11100", "P2"),
    ("r19", "2020-02", T3, "噪声扰民", "11111", "P3"),
    ("r20", "2020-02", T3, "停车难", "11100", "P3"),
    ("r21", "2019-06", T1, "噪声扰民", "11111", "P1"),
    ("r22", "2019-03", T1, "噪声扰民", "11111", "P1"),
]
FLAG_NAMES = ("dispatched", "responded", "evaluated", "resolved", "satisfied")


def hex_of(point: str, resolution: int = H3_RESOLUTION) -> str:
    """H3 hex id of a named fixture point."""
    lon, lat = POINTS[point]
    return h3.latlng_to_cell(lat, lon, resolution)


def canonical_records(rows: list[tuple] = RECORDS) -> pd.DataFrame:
    """Canonical store records for the hand-written ``rows``."""
    towns = TOWNS.set_index("town_code")
    out = []
    for record_id, month, town, problem, flags, point in rows:
        lon, lat = POINTS[point] if point else (None, None)
        row = {
            "record_id": record_id,
            "received_at": pd.Timestamp(f"{month}-10 09:30"),
            "month": pd.Timestamp(f"{month}-01"),
            "channel": "12345热线电话",
            "request_type": "投诉",
            "theme": THEME_OF[problem],
            "problem": problem,
            "text": f"反映{problem}",
            "district_code": towns.loc[town, "district_code"] if town else None,
            "district_name": towns.loc[town, "district_name"] if town else None,
            "town_code": town,
            "town_name": towns.loc[town, "town_name"] if town else None,
            "address": "某小区" if point else None,
            "lon": lon,
            "lat": lat,
            "src_crs": "wgs84" if point else None,
            "assign_method": "code" if town else "none",
            "point_town_code": None,
            "h3": h3.str_to_int(hex_of(point)) if point else None,
            "content_hash": abs(hash(record_id)),
            "source": "hand",
        }
        row.update({name: flag == "1" for name, flag in zip(FLAG_NAMES, flags, strict=True)})
        out.append(row)
    frame = pd.DataFrame(out)
    # built from the Python ints: a float column would lose the low bits of the 64-bit cell ids
    frame["h3"] = pd.array([row["h3"] for row in out], dtype="UInt64")
    frame["lon"] = frame["lon"].astype("float64")
    frame["lat"] = frame["lat"].astype("float64")
    return frame


@pytest.fixture
def tiny_store(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable store holding :data:`TOWNS` and :data:`RECORDS`, aggregates refreshed."""
    con = store.connect(tmp_path / "tiny.duckdb")
    store.replace_towns(con, TOWNS)
    store.append_records(con, canonical_records())
    store.refresh_aggregates(con)
    yield con
    con.close()


DEMO_SCALE = 0.003
DEMO_SEED = 7


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded demo store, built once per session (about 2 s)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, scale=DEMO_SCALE, seed=DEMO_SEED)
    return path


@pytest.fixture(scope="session")
def demo_con(demo_store_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the session demo store."""
    con = store.connect(demo_store_path, read_only=True)
    yield con
    con.close()


# --------------------------------------------------------------------------- pages (AppTest)


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Put pytest's ``__main__`` back after each test.

    A script AppTest runs becomes ``sys.modules["__main__"]`` and stays so; a process started
    later with multiprocessing's spawn (Dask's workers, the workbench's concurrency test) runs
    the main module's file again first, so it ran that page, or a deleted temporary script,
    and failed to start.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def page_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo store every page's AppTest reads (built once per session)."""
    db = tmp_path_factory.mktemp("pages") / "demo.duckdb"
    build_demo(db, scale=0.003, seed=11)
    return db


@pytest.fixture
def real_like(page_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the page store served with sign-in required (as a real store would be)."""
    db = tmp_path / "real.duckdb"
    shutil.copy(page_db, db)
    monkeypatch.setenv("HEATMAP_DB", str(db))
    monkeypatch.setenv("HEATMAP_AUTH", "local")
    monkeypatch.delenv("HEATMAP_SCOPE", raising=False)
    return db


@pytest.fixture
def app_env(page_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at ``page_db`` with no district scope."""
    monkeypatch.setenv("HEATMAP_DB", str(page_db))
    monkeypatch.delenv("HEATMAP_SCOPE", raising=False)
    monkeypatch.delenv("HEATMAP_AUTH", raising=False)
    return page_db


def run_page(path: str, *, timeout: float = 60, **params: str) -> AppTest:
    """Run a page script (relative to the repository) with the given URL query parameters."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def page_texts(at: AppTest) -> str:
    """Subheaders, captions and markdown of a run page, one per line."""
    parts = (
        [e.value for e in at.subheader]
        + [e.value for e in at.caption]
        + [e.value for e in at.markdown]
    )
    return "\n".join(str(p) for p in parts)
