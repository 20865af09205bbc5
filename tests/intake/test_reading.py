"""The fast import path equals the row-by-row one on generated hostile exports, cell by cell.

``rowwise_reference`` is the import as it was (csv module row by row, per-row parsing and
masking); ``hostile_corpus`` writes exports with everything wrong at once (see its docstring).
Reading (cells, dtypes, lines, broken rows, errors), parsing (rows, quarantine with line and
reason), town assignment and the whole import into a store must come out the same.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import rowwise_reference as reference
from hostile_corpus import write_hostile_export

from heatmap.errors import HeatmapError
from heatmap.geo.geography import load_boundary_set
from heatmap.geo.names import Gazetteer
from heatmap.intake import ingest, parse, reading, records
from heatmap.intake.demo import town_table
from heatmap.intake.loading import ingest_into
from heatmap.taxonomy import load_taxonomy

SEEDS = range(40)


def _outcome(read: Any, path: Path) -> Any:
    try:
        return read(path)
    except HeatmapError as exc:
        return exc


@pytest.mark.parametrize("seed", SEEDS)
def test_hostile_export_reads_as_row_by_row(tmp_path: Path, seed: int) -> None:
    path = write_hostile_export(tmp_path / f"export_{seed}", seed)
    expected, got = _outcome(reference.read_table, path), _outcome(reading.read_table, path)
    if isinstance(expected, Exception):
        assert type(got) is type(expected) and str(got) == str(expected)
        return
    pd.testing.assert_frame_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[1].dtype == expected[1].dtype
    pd.testing.assert_frame_equal(got[2], expected[2])


@pytest.mark.parametrize("seed", SEEDS)
def test_hostile_export_parses_as_row_by_row(tmp_path: Path, seed: int) -> None:
    path = write_hostile_export(tmp_path / f"export_{seed}", seed)
    raw, lines, _ = reference.read_table(path)
    fields = parse.match_headers(list(raw.columns), {}, source=path.name)
    options, taxonomy = parse.ImportOptions(), load_taxonomy()
    good, bad = parse.parse_rows(raw, lines, fields, options, taxonomy, source=path.name)
    want_good, want_bad = reference.parse_rows(
        raw, lines, fields, options, taxonomy, source=path.name
    )
    pd.testing.assert_frame_equal(good, want_good)
    pd.testing.assert_frame_equal(bad, want_bad)
    assert len(bad) and len(good)  # the corpus has both, so the comparison compares something


def test_most_hostile_exports_take_the_arrow_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparisons above test the Arrow path, not only the row-by-row fallback."""
    fallbacks: list[str] = []
    row_reader = reading.read_rows

    def counted(text: str, delimiter: str, name: str) -> Any:
        fallbacks.append(name)
        return row_reader(text, delimiter, name)

    monkeypatch.setattr(reading, "read_rows", counted)
    for seed in SEEDS:
        _outcome(reading.read_table, write_hostile_export(tmp_path / f"export_{seed}", seed))
    assert 0 < len(fallbacks) <= len(SEEDS) // 5, fallbacks


@pytest.mark.parametrize("seed", range(4))
def test_hostile_import_stores_what_the_row_by_row_import_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    files = [write_hostile_export(tmp_path / f"export_{seed}_{k}", seed * 10 + k) for k in range(3)]
    files = [f for f in files if not isinstance(_outcome(reference.read_table, f), Exception)]
    options = parse.ImportOptions(allow_outside=True)  # the corpus has points anywhere
    fast = ingest_into(tmp_path / "fast.duckdb", files, options=options).as_dict()
    monkeypatch.setattr(ingest, "read_table", reference.read_table)
    monkeypatch.setattr(ingest, "parse_rows", reference.parse_rows)
    monkeypatch.setattr(records, "assign_towns", reference.assign_towns)
    slow = ingest_into(tmp_path / "slow.duckdb", files, options=options).as_dict()
    assert fast == slow
    assert fast["imported"] and fast["quarantined"] and fast["duplicates"]
    assert _tables(tmp_path / "fast.duckdb") == _tables(tmp_path / "slow.duckdb")


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            table: sorted(map(repr, con.execute(f"SELECT * EXCLUDE ({skip}) FROM {table}").fetchall()))
            for table, skip in (
                ("records", "source"), ("quarantine", "loaded_at"),
                ("agg_town_month", "month"), ("agg_cell_month", "month"),
            )
        }  # fmt: skip
    finally:
        con.close()


@pytest.mark.parametrize("seed", range(10))
def test_towns_are_assigned_as_before(seed: int) -> None:
    boundaries = load_boundary_set()
    towns = town_table(boundaries)
    rng = np.random.default_rng(seed)
    n = 400
    names = [*towns["town_name"].sample(20, random_state=seed), "八里庄", "广外", "不存在", None]
    frame = pd.DataFrame(
        {
            "town_code": rng.choice([*towns["town_code"][:30], "110108012000", "123", None], n),
            "town_raw": rng.choice(np.array(names, dtype=object), n),
            "district_raw": rng.choice(
                np.array(["海淀区", "朝阳区", "昌平", None], dtype=object), n
            ),
            "address": rng.choice(
                np.array(["北京市朝阳区望京街道望京西园", "学院路30号", "", None], dtype=object), n
            ),
        }
    )
    at_point = pd.Series(rng.choice(np.array([*towns["town_code"][:40], None], dtype=object), n))
    gaz = Gazetteer(towns)
    got = records.assign_towns(frame, at_point, towns, gazetteer=gaz)
    want = reference.assign_towns(frame, at_point, towns, gazetteer=gaz)
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_series_equal(g, w)


# --------------------------------------------------------------------------- pieces


def test_whitespace_set_is_pythons() -> None:
    wide = {c for c in range(128, 0x110000) if not 0xD800 <= c < 0xE000 and chr(c).isspace()}
    assert wide == set(reading.WIDE_SPACES)
    assert all(chr(c).encode()[0] in (0xC2, 0xE1, 0xE2, 0xE3) for c in wide)


@pytest.mark.parametrize("pad", ["", "a", "学", "ab"])
def test_a_cell_with_space_at_either_end_is_trimmed(pad: str) -> None:
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    cells = [f"{s}{pad}" for s in spaces] + [f"{pad}{s}" for s in spaces]
    long = "长" * 100  # long texts are looked at before they are trimmed
    for cell in [*cells, f"学。{pad}", pad]:
        column = pa.array([long, cell, "学"], pa.large_string())
        assert reading._trimmed(column).to_pylist() == [long, cell.strip(), "学"]
        untouched = pa.array([long, cell.strip() or "y", "学。"], pa.large_string())
        assert reading._trimmed(untouched) is untouched  # nothing to trim: no copy


@pytest.mark.parametrize(
    "odd", ["", "2021-01-01 23:59:60", "2021-02-29 00:00:00", "0000-01-01 00:00:00", "44321.5"]
)
def test_parse_times_of_iso_times_equals_the_rules(odd: str) -> None:
    times = pd.date_range("2019-12-31 22:00", periods=500, freq="37min").strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    values = pd.Series([*times, *([odd] if odd else [])], dtype="str", name="received_at")
    pd.testing.assert_series_equal(parse.parse_times(values), reference.parse_times(values))


def test_parse_times_on_mixed_layouts_equals_the_rules_value_by_value() -> None:
    rng = np.random.default_rng(7)
    pool = np.array(reference_times(), dtype=object)
    for _ in range(60):
        values = pd.Series(rng.choice(pool, int(rng.integers(1, 40))), dtype="str")
        pd.testing.assert_series_equal(parse.parse_times(values), reference.parse_times(values))


def reference_times() -> list[str]:
    iso = [f"2021-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}" for m, d, h, mi, s in
           [(5, 3, 10, 22, 1), (2, 29, 0, 0, 0), (13, 1, 0, 0, 0), (12, 31, 23, 59, 59),
            (1, 1, 24, 0, 0), (6, 30, 12, 60, 0), (1, 1, 23, 59, 60), (4, 31, 0, 0, 0)]]  # fmt: skip
    return [*iso, "2099-01-01 00:00:00", "1999-05-03 10:00:00", "2021/5/4 9:05", "44321.5",
            "44321", "44322.35434027778", "44322.354340277774", "20210503", "20210503102201", "2021年5月6日 8时30分", "x", "", " 2021-05-03 ",
            "2021-05-03 10:22:01.123456789", "2021-05-03T10:22"]  # fmt: skip


def test_mask_column_equals_masking_each_cell() -> None:
    rng = np.random.default_rng(3)
    digits = "0123456789" + "０１２３４５６７８９" + "٠١٢٣٤٥٦٧٨٩"
    cells = []
    for _ in range(3000):
        run = "".join(rng.choice(list(digits), int(rng.integers(0, 13))))
        cells.append(
            str(rng.choice(["请回电", "座机0", "", "x-"])) + run + str(rng.choice(["", "号", "1"]))
        )
    values = pd.Series([*cells, "13812345678", "010-62345678", ""], dtype="str")
    pd.testing.assert_series_equal(parse.mask_column(values), values.map(reference.mask_personal))
    with_na = values.replace("", None)
    pd.testing.assert_series_equal(
        parse.mask_column(with_na),
        with_na.map(lambda a: reference.mask_personal(a) if isinstance(a, str) else a),
    )


def test_numbers_equal_to_numeric() -> None:
    rng = np.random.default_rng(5)
    plain = [f"{v:.{k}f}" for k in range(1, 16) for v in rng.uniform(0, 200, 200)]
    odd = [
        "",
        "x",
        "1e3",
        "-0",
        "-0.0",
        "+1",
        " 1.5",
        "inf",
        "nan",
        "116,3",
        "99999999999999999999",
    ]
    values = pd.Series(plain + odd + ["116", "40"], dtype="str")
    want = pd.to_numeric(values, errors="coerce").to_numpy("float64")
    got = parse._numbers(values)
    assert got.tobytes() == want.tobytes()  # to the bit: -0.0 stays -0.0


def test_a_bare_carriage_return_is_left_to_the_csv_module(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes("工单编号,受理时间,街乡镇\rA1,2021-05-03,学院路\n".encode())
    with pytest.raises(Exception, match=re.escape("new-line character seen in unquoted field")):
        reading.read_table(path)
