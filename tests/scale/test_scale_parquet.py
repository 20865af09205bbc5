"""The store's records as Parquet partitioned by month."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from heatmap.errors import ScaleError
from heatmap.scale.parquet import JOB_COLUMNS, export_parquet, month_files, month_of


def test_one_partition_per_month_with_the_job_columns(
    tiny_store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    files = export_parquet(tiny_store, tmp_path / "pq")
    assert [f.parent.name for f in files] == [
        "month=2019-03", "month=2019-06", "month=2020-02", "month=2020-03"
    ]  # fmt: skip
    counts = {
        month_of(f): tiny_store.execute("SELECT count(*) FROM read_parquet(?)", [str(f)]).fetchone()[0]
        for f in files
    }  # fmt: skip
    assert counts == {"2019-03": 1, "2019-06": 1, "2020-02": 7, "2020-03": 13}  # conftest RECORDS
    names = [r[0] for r in tiny_store.execute(
        "DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(files[0])]
    ).fetchall()]  # fmt: skip
    assert names == list(JOB_COLUMNS)
    h3 = tiny_store.execute(
        "SELECT h3 FROM read_parquet(?) WHERE record_id = 'r01'", [str(files[-1])]
    ).fetchone()
    stored = tiny_store.execute("SELECT h3 FROM records WHERE record_id = 'r01'").fetchone()
    assert h3 == stored  # the 64-bit cell ids survive (UBIGINT, no float)


def test_export_replaces_a_previous_one(tiny_store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    export_parquet(tiny_store, tmp_path / "pq")
    (tmp_path / "pq" / "month=1999-01").mkdir()
    assert len(export_parquet(tiny_store, tmp_path / "pq")) == 4


@pytest.mark.parametrize(
    ("columns", "match"),
    [(("record_id", "colour"), r"bad export columns.*colour"), (("month",), r"\['month'\]")],
)
def test_bad_columns(
    tiny_store: duckdb.DuckDBPyConnection, tmp_path: Path, columns: tuple[str, ...], match: str
) -> None:
    with pytest.raises(ScaleError, match=match):
        export_parquet(tiny_store, tmp_path / "pq", columns=columns)


def test_month_of_and_missing_directory(tmp_path: Path) -> None:
    assert month_of(tmp_path / "month=2020-03" / "data_0.parquet") == "2020-03"
    with pytest.raises(ScaleError, match=r"not in a month partition.*month=YYYY-MM"):
        month_of(tmp_path / "2020-03" / "data_0.parquet")
    with pytest.raises(ScaleError, match=r"no Parquet directory.*export the store first"):
        month_files(tmp_path / "absent")
