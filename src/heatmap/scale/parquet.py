"""The store's records as Parquet partitioned by month (hive style: ``month=YYYY-MM/``)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

from heatmap.errors import ScaleError
from heatmap.intake.store import column_names

__all__ = ["JOB_COLUMNS", "export_parquet", "month_files", "month_of"]

#: The columns the re-attribution and the aggregates read (``month`` is the partition key).
JOB_COLUMNS = (
    "record_id", "received_at", "theme", "problem", "town_code", "assign_method", "lon", "lat",
    "district_raw", "h3", "dispatched", "responded", "evaluated", "resolved", "satisfied",
)  # fmt: skip
_MONTH_DIR = re.compile(r"month=(\d{4}-\d{2})")


def export_parquet(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | Path,
    *,
    columns: Sequence[str] = JOB_COLUMNS,
) -> list[Path]:
    """Write the records' ``columns`` to ``out_dir/month=YYYY-MM/*.parquet``; return the files.

    ``out_dir`` is replaced when it exists. One DuckDB ``COPY … PARTITION_BY (month)``.
    """
    unknown = sorted(set(columns) - set(column_names()))
    if unknown or "month" in columns:
        raise ScaleError(
            f"导出列无效 (bad export columns): {unknown or ['month']}; expected record columns "
            f"other than month (the partition key), e.g. {list(JOB_COLUMNS[:3])}"
        )
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    selected = ", ".join([*columns, "strftime(month, '%Y-%m') AS month"])
    con.execute(
        f"COPY (SELECT {selected} FROM records) TO '{_quoted(out)}' "
        "(FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd)"
    )
    return month_files(out)


def month_files(parquet_dir: str | Path) -> list[Path]:
    """The Parquet files of ``parquet_dir``'s month partitions, in month order."""
    root = Path(parquet_dir)
    if not root.is_dir():
        raise ScaleError(
            f"Parquet 目录不存在 (no Parquet directory): {root}; export the store first "
            "(heatmap.scale.parquet.export_parquet, or `python -m heatmap scale`)"
        )
    return sorted(root.glob("month=*/*.parquet"))


def month_of(path: str | Path) -> str:
    """``'YYYY-MM'`` of a file under a ``month=YYYY-MM`` directory."""
    found = _MONTH_DIR.fullmatch(Path(path).parent.name)
    if not found:
        raise ScaleError(
            f"文件不在月份分区目录中 (not in a month partition): {path}; expected a parent "
            "directory named month=YYYY-MM"
        )
    return found.group(1)


def _quoted(path: Path) -> str:
    """A path as the body of a SQL string literal (COPY takes no bind parameter for its target)."""
    return str(path).replace("'", "''")
