"""监测预警 on an imported store: platform-shaped CSV exports in through the import, the warn command out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from heatmap import cli
from heatmap.intake.loading import ingest_into


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from heatmap_bench.common import Setup
    from heatmap_bench.importing import month_frame, month_label, write_platform_export

    work = tmp_path_factory.mktemp("warn_imported")
    setup = Setup.create()
    files = []
    for index in range(21, 36):  # 2020-10 .. 2021-12, the export columns of the platform
        path = work / f"export_{month_label(index)}.csv"
        write_platform_export(month_frame(setup, index, 4_000), path)
        files.append(path)
    db = work / "imported.duckdb"
    ingest_into(db, files)
    return db


def test_warn_json_on_an_imported_store(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["warn", "--db", str(imported), "--month", "2021-12", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["month"], out["target_month"], out["method"]) == ("2021-12", "2022-01", "model")
    assert len(out["towns"]) == 331
    first = out["towns"][0]
    assert set(first) >= {"town_code", "town_name", "district", "p_top_ten", "projected_volume",
                          "projected_rank"}  # fmt: skip
    assert 0.0 <= first["p_top_ten"] <= 1.0
    p = [t["p_top_ten"] for t in out["towns"]]
    assert p == sorted(p, reverse=True)  # most at risk first
    assert min(t["projected_rank"] for t in out["towns"]) == 1
    # a year of history is needed before the first backtested month: 2021-10 .. 2021-12
    assert sorted({b["month"] for b in out["backtest"]}) == ["2021-10", "2021-11", "2021-12"]
    assert {b["method"] for b in out["backtest"]} == {"persistence", "rank_ma", "model"}
