"""The command line: demo determinism, governance JSON/CSV, ranking CSV, clear errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from heatmap.cli import main


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "a.duckdb"
    assert main(["demo", "--db", str(db), "--scale", "0.01", "--seed", "7"]) == 0
    return db


def _counts(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            """SELECT month, town_code, sum(accepted), sum(dispatched), sum(resolved), sum(satisfied)
            FROM agg_town_month GROUP BY ALL ORDER BY ALL"""
        ).fetchall()
    finally:
        con.close()


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("demo", "info", "governance", "rank", "geo"):
        assert command in out


def test_same_seed_gives_identical_town_month_counts(cli_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "b.duckdb"
    assert main(["demo", "--db", str(other), "--scale", "0.01", "--seed", "7"]) == 0
    assert _counts(cli_db) == _counts(other)


def test_governance_json(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["governance", "--db", str(cli_db), "--month", "2021-12", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["month"] == "2021-12"
    assert len(out["top_ten"]) >= 10
    assert set(out["top_ten"][0]) >= {
        "town_code",
        "town_name",
        "district",
        "volume",
        "rank",
        "status",
    }
    assert [r["rank"] for r in out["top_ten"]] == sorted(r["rank"] for r in out["top_ten"])
    assert set(out["ledger"][0]) >= {
        "town_code",
        "town_name",
        "district",
        "entry_month",
        "exit_month",
        "months_supervised",
    }
    summary = out["summary"]
    assert summary["ever_supervised"] == len({r["town_code"] for r in out["ledger"]})
    assert summary["supervised_now"] == sum(r["exit_month"] is None for r in out["ledger"])


def test_governance_setting_changes_the_ledger(
    cli_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["governance", "--db", str(cli_db), "--month", "2021-12"])
    default = json.loads(capsys.readouterr().out)
    main(
        [
            "governance",
            "--db",
            str(cli_db),
            "--month",
            "2021-12",
            "--set",
            "governance_volume_drop=0.9",
        ]
    )
    strict = json.loads(capsys.readouterr().out)
    assert strict["summary"]["rules"]["volume_drop"] == 0.9
    assert strict["summary"]["exited"] <= default["summary"]["exited"]
    assert strict["ledger"] != default["ledger"] or default["summary"]["exited"] == 0


def test_governance_csv(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["governance", "--db", str(cli_db), "--month", "2020-09", "--format", "csv"]) == 0
    top, ledger = capsys.readouterr().out.split("\n\n", 1)
    assert next(csv.reader(io.StringIO(top)))[:5] == [
        "town_code",
        "town_name",
        "district",
        "volume",
        "rank",
    ]
    assert "entry_month" in ledger.splitlines()[0]


@pytest.mark.parametrize("level, rows", [("town", 331), ("district", 16)])
def test_rank_csv(cli_db: Path, capsys: pytest.CaptureFixture[str], level: str, rows: int) -> None:
    assert (
        main(
            ["rank", "--db", str(cli_db), "--month", "2020-09", "--level", level, "--format", "csv"]
        )
        == 0
    )
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == rows
    assert table[0]["rank"] == "1"
    volumes = [int(r["volume"]) for r in table]
    assert volumes == sorted(volumes, reverse=True)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["rank", "--month", "2030-01"], "不在数据中"),
        (["governance", "--month", "2020-09", "--set", "nope=1"], "设置应写作"),
        (["governance", "--month", "2020-09", "--set", "governance_top_n=ten"], "应为 int"),
        (["demo", "--scale", "0"], "--scale"),
    ],
)
def test_errors_are_clear(
    cli_db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([*argv, "--db", str(cli_db)]) == 2
    assert message in capsys.readouterr().err


def test_missing_store_says_how_to_build_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "python -m heatmap demo" in capsys.readouterr().err


def test_warn_json(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["warn", "--db", str(cli_db), "--month", "2021-11", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["month"], out["target_month"], out["method"]) == ("2021-11", "2021-12", "model")
    assert set(out["towns"][0]) >= {
        "town_code", "town_name", "district", "p_top_ten", "projected_volume", "projected_rank"
    }  # fmt: skip
    ps = [t["p_top_ten"] for t in out["towns"]]
    assert ps == sorted(ps, reverse=True) and all(0 <= p <= 1 for p in ps)
    months = sorted({r["month"] for r in out["backtest"]})
    assert (months[0], months[-1]) == ("2020-05", "2021-12")
    assert {r["method"] for r in out["backtest"]} == {"persistence", "rank_ma", "model"}
    persistence = [r for r in out["backtest"] if r["method"] == "persistence"]
    assert all(r["precision"] == r["recall"] for r in persistence)  # ten predicted, ten actual
    assert isinstance(out["beats_persistence_on_new_entrants"], bool)


def test_warn_refuses_a_month_not_in_the_store(cli_db: Path, capsys) -> None:
    assert main(["warn", "--db", str(cli_db), "--month", "2031-01"]) == 2
    assert "月份 2031-01 不在数据中" in capsys.readouterr().err
