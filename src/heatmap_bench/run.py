"""The benchmark's command and run: every stage in order, the machine, the JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from heatmap.errors import HeatmapError
from heatmap.intake.demo import DEFAULT_SEED
from heatmap_bench.common import (
    FULL,
    QUICK,
    SIZE_KEYS,
    Setup,
    Sizes,
    max_rss_bytes,
    peak_rss,
    stderr_log,
)
from heatmap_bench.importing import bench_import, build_bench_store
from heatmap_bench.pages import add_raw_baselines, run_app_stage
from heatmap_bench.report import check_targets, summary_lines
from heatmap_bench.scale import run_scale_stage
from heatmap_bench.spatial import bench_spatial
from heatmap_bench.whole_page import bench_whole_pages

# --------------------------------------------------------------------------- command line


def run_bench_command(args: argparse.Namespace) -> int:
    """Run the benchmark the ``bench`` command describes and write its JSON."""
    sizes = parse_sizes(args.sizes, quick=args.quick)
    command = "python -m heatmap bench" + (" --quick" if args.quick else "")
    if args.sizes:
        command += " --sizes " + " ".join(args.sizes)
    if args.work:
        command += f" --work {args.work}"
    command += f" --json {args.json}"
    run_bench(
        sizes,
        json_out=Path(args.json),
        work_dir=Path(args.work) if args.work else None,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        command=command,
    )
    return 0


def parse_sizes(items: Sequence[str] | None, *, quick: bool = False) -> Sizes:
    """Sizes of the variant (full or quick) with ``KEY=N`` overrides (N like 500k, 2M, 1e6)."""
    sizes = QUICK if quick else FULL
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or key not in SIZE_KEYS:
            raise HeatmapError(
                f"--sizes 项 {item!r} 无效 (bad size); expected KEY=N with KEY one of "
                f"{sorted(SIZE_KEYS)}, e.g. per_month=500k"
            )
        if key == "spatial":
            sizes = replace(sizes, spatial=tuple(_count(v, item) for v in value.split(",")))
        elif key == "import":
            sizes = replace(sizes, import_records=_count(value, item))
        elif key == "months":
            sizes = replace(sizes, months=_count(value, item))
        elif key == "per_month":
            sizes = replace(sizes, per_month=_count(value, item))
        else:
            sizes = replace(sizes, repeats=_count(value, item))
    if sizes.months < 1 or sizes.repeats < 1:
        raise HeatmapError(f"months 与 repeats 须 ≥ 1 (got {sizes.label()})")
    return sizes


def _count(text: str, item: str) -> int:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise HeatmapError(
            f"--sizes 项 {item!r} 的数量无效 (bad count {text!r}); use 500k, 2M or 1e6"
        )
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    value = int(round(float(match.group(1)) * factor))
    if value < 1:
        raise HeatmapError(f"--sizes 项 {item!r} 须为正数 (count must be positive)")
    return value


def run_bench(
    sizes: Sizes,
    *,
    json_out: Path | None = None,
    work_dir: Path | None = None,
    seed: int = DEFAULT_SEED,
    isolate: bool = True,
    command: str = "",
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run every measurement, print a summary, write ``json_out`` and return the results.

    ``isolate`` runs the page queries and map payloads in a fresh process, so that its peak
    memory is that of an app process (store open, every page's data functions, decks built).
    """
    say = log or stderr_log
    result: dict[str, Any] = {"machine": machine_info(), "command": command}
    result["sizes"] = asdict(sizes)
    started = time.perf_counter()
    setup = Setup.create(seed=seed)
    with tempfile.TemporaryDirectory(prefix="heatmap-bench-") as tmp:
        work = Path(work_dir) if work_dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        phases: dict[str, int | None] = {}
        with peak_rss(phases, "spatial"):
            result["spatial"] = [bench_spatial(n, setup=setup, log=say) for n in sizes.spatial]
        db = work / f"bench_{sizes.months}x{sizes.per_month}_{seed}.duckdb"
        with peak_rss(phases, "store_build"):
            result["store"] = build_bench_store(
                db, setup=setup, months=sizes.months, per_month=sizes.per_month, log=say
            )
        say("queries and payload (app-like process)")
        app = run_app_stage(db, repeats=sizes.repeats, isolate=isolate)
        say("baselines from the raw records")
        result["queries"], result["payload"] = add_raw_baselines(
            db, app["queries"], app["payload"], repeats=max(2, sizes.repeats // 5)
        )
        with peak_rss(phases, "import"):
            result["import"] = bench_import(
                sizes.import_records, setup=setup, db=db, work_dir=work, month_index=sizes.months,
                log=say,
            )  # fmt: skip
        with peak_rss(phases, "scale"):
            result["scale"] = run_scale_stage(db, work_dir=work, log=say)
        say("whole pages (AppTest: each page's complete script run)")
        result["whole_page"] = bench_whole_pages(
            str(db), app["queries"]["months_rotated"], repeats=sizes.repeats
        )
    result["memory"] = {
        "app_peak_rss_bytes": app["peak_rss_bytes"],
        "app_isolated": isolate,
        "bench_peak_rss_bytes": max_rss_bytes(),
        "bench_phase_peak_rss_bytes": phases,
    }
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"]["load_average_end"] = list(os.getloadavg())
    result["targets"] = check_targets(result, full_scale=sizes == FULL)
    for line in summary_lines(result):
        print(line)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return result



def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and library versions, and the load when the run starts."""
    import duckdb
    import h3
    import pyarrow
    import shapely

    cpu = platform.processor() or platform.machine()
    memory = None
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
        cpu = found.group(1).strip() if found else cpu
        meminfo = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        memory = int(meminfo.group(1)) * 1024 if meminfo else None
    except OSError:
        pass
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "cpu": cpu,
        "cores": len(affinity(0)) if affinity else os.cpu_count(),
        "memory_bytes": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "duckdb": duckdb.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "geopandas": gpd.__version__,
            "shapely": shapely.__version__,
            "h3": h3.__version__,
            "pyarrow": pyarrow.__version__,
        },  # fmt: skip
        "load_average_start": list(os.getloadavg()),
    }
