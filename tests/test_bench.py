"""Smoke test of the benchmark (tiny sizes, nothing about speed), its sizes and its target checks."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from heatmap.cli import add_bench_command
from heatmap.errors import HeatmapError
from heatmap_bench import QUICK, Sizes, check_targets, parse_sizes

TINY = ["spatial=2k", "import=1000", "months=5", "per_month=400", "repeats=1"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m heatmap")
    add_bench_command(parser.add_subparsers())
    return parser


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    work = tmp_path_factory.mktemp("bench")
    out = work / "bench.json"
    args = _parser().parse_args(
        ["bench", "--quick", "--sizes", *TINY, "--work", str(work), "--json", str(out)]
    )
    assert args.func(args) == 0
    return json.loads(out.read_text("utf-8")), str(out)


def test_json_has_the_issue_keys(tiny_run):
    result, out = tiny_run
    assert {"machine", "spatial", "import", "queries", "payload", "memory", "targets"} <= set(
        result
    )
    assert result["command"] == f"python -m heatmap bench --quick --sizes {' '.join(TINY)} " + (
        f"--work {Path(out).parent} --json {out}"
    )
    assert result["sizes"] == {
        "spatial": [2000], "import_records": 1000, "months": 5, "per_month": 400, "repeats": 1
    }  # fmt: skip
    assert result["machine"]["cores"] >= 1


def test_spatial_is_exact(tiny_run):
    (spatial,) = tiny_run[0]["spatial"]
    assert {"points", "ours_per_s", "sjoin_per_s", "ratio", "identical"} <= set(spatial)
    assert spatial["points"] == 2000
    assert spatial["identical"] is True
    assert 0 < spatial["outside"] < 2000  # the uniform share falls outside Beijing too


def test_import_paths_agree(tiny_run):
    imp = tiny_run[0]["import"]
    assert imp["records"] == 1000
    assert imp["month"] == "2019-06"  # the month after the store's five
    assert imp["store_records_before"] == 5 * 400
    assert imp["ingest"]["records_added"] == imp["core"]["records_added"] == 1000
    assert imp["identical_towns"] is True
    assert imp["identical_aggregates"] is True
    assert set(imp["core"]["stages_s"]) == {
        "read_csv", "canonicalize", "append", "refresh_aggregates", "checkpoint"
    }  # fmt: skip


def test_every_page_is_timed_for_city_and_district(tiny_run):
    queries = tiny_run[0]["queries"]
    assert set(queries["pages"]) == {
        "heatmap", "heatmap_12_months", "heatmap_town", "ranking", "ranking_district_level",
        "governance", "topic",
    }  # fmt: skip
    for scopes in queries["pages"].values():
        assert set(scopes) == {"city", "district"}
        assert all({"p50_ms", "p95_ms"} <= set(v) for v in scopes.values())
    assert set(queries["ratio_vs_raw"]) == {"heatmap", "ranking"}


def test_payload_and_memory(tiny_run):
    result = tiny_run[0]
    city = result["payload"]["city"]
    assert city["with_density_r8_bytes"] > city["without_density_bytes"] > 0
    assert result["payload"]["district"]["towns"] < city["towns"] == 331
    assert result["memory"]["app_peak_rss_bytes"] > 0
    assert result["memory"]["app_isolated"] is True


def test_the_store_is_left_as_built_and_reused(tiny_run, tmp_path_factory):
    result, out = tiny_run
    assert result["store"]["records"] == 5 * 400
    args = _parser().parse_args(
        ["bench", "--sizes", *TINY, "--work", str(Path(out).parent), "--json", out]
    )
    assert args.func(args) == 0
    again = json.loads(Path(out).read_text("utf-8"))
    assert again["store"]["reused"] is True
    assert again["store"]["records"] == 5 * 400


def test_sizes():
    assert parse_sizes(None, quick=True) == QUICK
    assert parse_sizes(None) == Sizes()
    sizes = parse_sizes(["spatial=1e6,10M", "per_month=500k", "import=2.5k"])
    assert sizes.spatial == (1_000_000, 10_000_000)
    assert (sizes.per_month, sizes.import_records, sizes.months) == (500_000, 2_500, 36)


@pytest.mark.parametrize(
    ("item", "match"),
    [
        ("rows=5", r"bad size.*per_month"),
        ("months", r"bad size"),
        ("months=lots", r"bad count 'lots'"),
        ("months=0", r"positive"),
    ],
)
def test_bad_sizes_raise(item, match):
    with pytest.raises(HeatmapError, match=match):
        parse_sizes([item])


def test_json_is_required():
    with pytest.raises(SystemExit):
        _parser().parse_args(["bench", "--quick"])


def test_targets_by_hand():
    result = {
        "spatial": [{"ratio": 25.0, "identical": True}, {"ratio": 19.5, "identical": True}],
        "import": {"seconds": 61.0, "records": 2_000_000},
        "queries": {
            "pages": {
                "heatmap": {"city": {"p95_ms": 40.0}, "district": {"p95_ms": 20.0}},
                "governance": {"city": {"p95_ms": 310.0}, "district": {"p95_ms": 290.0}},
            }
        },
        "payload": {"city": {"without_density_bytes": 1_000_000, "with_density_r8_bytes": 2_800_000,
                             "towns": 331}},
        "memory": {"app_peak_rss_bytes": 1_000_000_000},
    }  # fmt: skip
    targets = check_targets(result, full_scale=True)
    assert targets["spatial_ratio"] == {"value": 19.5, "target": 20.0, "met": False}
    assert targets["spatial_identical"] is True
    assert targets["import_seconds"]["met"] is False
    assert targets["page_p95_ms"]["value"] == 310.0
    assert targets["page_p95_ms"]["worst"] == "governance (city)"
    assert targets["payload_bytes"] == {"value": 2_800_000, "target": 5_000_000, "met": True}
    assert targets["app_rss_bytes"]["met"] is True


def test_whole_pages_are_measured_through_the_pages(tiny_run):
    whole = tiny_run[0]["whole_page"]
    assert {"heatmap", "heatmap_town", "ranking", "governance", "topic", "categories"} <= set(
        whole["pages"]
    )
    for scopes in whole["pages"].values():
        for figures in scopes.values():
            assert figures["n"] == 1
            assert figures["p95_ms"] >= figures["data_p50_ms"] >= 0
            assert figures["payload_bytes_p50"] > 0
    assert tiny_run[0]["targets"]["whole_page_p95_ms"]["target"] == 300.0


def test_bench_is_outside_the_runtime_package() -> None:
    import heatmap

    assert not (Path(heatmap.__file__).parent / "bench.py").exists()


def test_scale_out_paths_agree(tiny_run):
    scale = tiny_run[0]["scale"]
    assert scale["paths"] == ["single", "dask"] and scale["records"] == 5 * 400
    assert scale["identical"] is True and scale["plans_agree"] is True
    assert set(scale["mismatches"]) == {
        "records", "agg_town_month", "agg_cell_month", "agg_town_day", "towns", "lineage"
    }  # fmt: skip
    assert scale["single_s"] > 0 and scale["dask_s"] > 0 and scale["months"] == 5
    assert {"cluster_start", "export", "job", "load_back"} == set(scale["dask"]["phases_s"])
