"""Open or create a store of real data and import files into it (shared by the CLI and the data page)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from heatmap.errors import StoreError
from heatmap.geo.assign import TownIndex
from heatmap.geo.geography import load_boundary_set
from heatmap.intake import store
from heatmap.intake.aliases import store_gazetteer
from heatmap.intake.demo import town_table
from heatmap.intake.ingest import ImportOptions, ImportReport, ingest_files

DEFAULT_BOUNDARY_SET = "demo_townships_2023"


def ingest_into(
    db: str | os.PathLike[str],
    files: Sequence[str | os.PathLike[str]],
    *,
    options: ImportOptions | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> ImportReport:
    """Import ``files`` into the real-data store at ``db`` (created on first use).

    A synthetic demo store is refused: real requests are never mixed with made-up ones. A store
    created by this call is removed again when the import fails: nothing is left behind.
    """
    fresh = not Path(db).exists()
    con = open_real_store(db)
    try:
        meta = store.get_meta(con)
        boundaries = load_boundary_set(meta["boundary_set"])
        towns = pd.DataFrame(con.execute("SELECT * FROM towns").df())
        index = TownIndex.from_frame(boundaries.frame, code_field="code9")
        report = ingest_files(
            con, files, towns=towns, index=index, options=options, progress=progress,
            gazetteer=store_gazetteer(con),
        )  # fmt: skip
        months = [m for m in (store.get_meta(con).get("months") or [])]
        all_months = sorted(set(months) | set(report.months))
        if all_months:
            store.set_meta(
                con,
                months=all_months,
                vintage=f"导入数据 {all_months[0]} 至 {all_months[-1]}（最近导入：{'、'.join(report.files)}）",
            )
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        if fresh:
            for leftover in (Path(db), Path(f"{db}.wal")):
                leftover.unlink(missing_ok=True)
        raise
    con.close()
    return report


def open_real_store(db: str | os.PathLike[str], *, boundary_set: str = DEFAULT_BOUNDARY_SET):
    """Connect to a real-data store, creating it (towns from ``boundary_set``) when absent."""
    path = Path(db)
    fresh = not path.exists()
    con = store.connect(path)
    meta = store.get_meta(con)
    if meta.get("synthetic"):
        con.close()
        raise StoreError(
            f"{path} 是演示数据库（合成数据），不能导入真实工单。请指定新的数据库，例如 "
            f"`python -m heatmap ingest FILE --db data/real.duckdb` (the demo store is synthetic)"
        )
    if fresh or "boundary_set" not in meta:
        boundaries = load_boundary_set(boundary_set)
        store.replace_towns(con, town_table(boundaries))
        store.set_meta(
            con,
            dataset="real",
            synthetic=False,
            boundary_set=boundary_set,
            boundary_approximate=boundaries.approximate,
            h3_resolution=8,
            vintage="导入数据（尚无记录）",
        )
    return con
