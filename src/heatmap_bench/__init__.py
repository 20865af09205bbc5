"""Benchmark at Beijing scale, outside the runtime package: spatial assignment, the monthly import,
page data and whole pages, map payloads and app memory.

Every figure is measured against a baseline measured in the same run and printed as a ratio
beside the absolute figures. The data are built with the demo generator at stated sizes (never
read from ``data/demo.duckdb``). Nothing here asserts a speed: ``bench/RESULTS.md`` records the
figures and the targets. Run it with ``python -m heatmap bench`` (see ``bench/README.md``).
"""

from heatmap_bench.common import FULL, QUICK, Sizes
from heatmap_bench.report import check_targets
from heatmap_bench.run import parse_sizes, run_bench, run_bench_command

__all__ = ["FULL", "QUICK", "Sizes", "check_targets", "parse_sizes", "run_bench", "run_bench_command"]
