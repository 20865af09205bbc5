"""What every stage of the benchmark shares: sizes, targets, the setup, timing and memory."""

from __future__ import annotations

import re
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from heatmap.geo.assign import TownIndex
from heatmap.geo.geography import BoundarySet, load_boundary_set
from heatmap.intake.demo import DEFAULT_SEED, DemoModel, town_table
from heatmap.taxonomy import load_taxonomy

BOUNDARY_SET = "demo_townships_2023"
H3_RESOLUTION = 8
DISTRICT = "110108"  # 海淀区: the district scope measured beside the city
UNIFORM_SHARE = 0.1  # share of spatial-bench points drawn uniformly over the boundaries' bbox

#: Issue 7's targets for the full-scale store (72 M records) on a 2-core machine.
TARGETS = {
    "spatial_ratio": 20.0,  # TownIndex points/s over geopandas sjoin points/s, exact
    "import_seconds": 60.0,  # one 2 M-record month, CSV to store with aggregates refreshed
    "page_p95_ms": 300.0,  # every page's data functions
    "whole_page_p95_ms": 300.0,  # every page's complete script run (issue 13)
    "payload_bytes": 5_000_000,  # map JSON sent to the browser
    "app_rss_bytes": 3 * 1024**3,  # peak memory of the app process
}


@dataclass(frozen=True)
class Sizes:
    """What the benchmark builds: spatial points, import records, store months × records/month."""

    spatial: tuple[int, ...] = (1_000_000, 10_000_000)
    import_records: int = 2_000_000
    months: int = 36
    per_month: int = 2_000_000
    repeats: int = 20

    def label(self) -> str:
        """The ``--sizes`` text that reproduces these sizes."""
        spatial = ",".join(str(n) for n in self.spatial)
        return (
            f"spatial={spatial} import={self.import_records} months={self.months}"
            f" per_month={self.per_month} repeats={self.repeats}"
        )


FULL = Sizes()
QUICK = Sizes(spatial=(100_000,), import_records=50_000, months=13, per_month=50_000, repeats=10)
SIZE_KEYS = {"spatial", "import", "months", "per_month", "repeats"}


@dataclass
class Setup:
    """What every stage shares: boundaries, the town table, the demo model and the town index."""

    boundaries: BoundarySet
    towns: pd.DataFrame
    model: DemoModel
    index: TownIndex
    index_build_s: float
    seed: int

    @classmethod
    def create(cls, *, seed: int = DEFAULT_SEED, boundary_set: str = BOUNDARY_SET) -> Setup:
        boundaries = load_boundary_set(boundary_set)
        model = DemoModel.create(boundaries, load_taxonomy(), seed=seed)
        started = time.perf_counter()
        index = TownIndex.from_frame(boundaries.frame, code_field="code9")
        build_s = time.perf_counter() - started
        return cls(boundaries, town_table(boundaries), model, index, build_s, seed)


# --------------------------------------------------------------------------- memory and timing


@contextmanager
def timed(stages: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - started


@contextmanager
def peak_rss(phases: dict[str, int | None], name: str) -> Iterator[None]:
    """Peak RSS of this process during the block (Linux: VmHWM after resetting it), else None."""
    reset = True
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        reset = False
    try:
        yield
    finally:
        phases[name] = vm_hwm_bytes() if reset else None


def vm_hwm_bytes() -> int | None:
    try:
        found = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    except OSError:
        return None
    return int(found.group(1)) * 1024 if found else None


def max_rss_bytes() -> int:
    """Peak RSS of this process since it started (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)

def stderr_log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
