"""Zip archives (XLSX workbooks, zipped Shapefiles, any zip) checked from the central directory.

Before a reader opens an archive, :func:`check_sizes` holds its member count, the declared
uncompressed total and each large member's compression ratio to limits, from the central
directory alone (nothing is unpacked); :func:`check_workbook` adds what makes a zip an XLSX
workbook. A zip bomb (a 1.5 MB workbook that unpacks to 318 MB took 80–90 s and ~650 MB of
memory in ``pandas.read_excel``) is refused in milliseconds. Declared sizes cannot be used to go
past a limit: Python's ``zipfile`` stops a member at its declared size, and
:func:`heatmap.intake.uploads.extract_zip_safely` counts what it writes.

Every upload path goes through here: exports (:func:`heatmap.intake.reading.read_table`), the
workbench's sheets (:mod:`heatmap.supervision.sheets`), boundary zips
(:mod:`heatmap.intake.uploads`).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from heatmap.errors import HeatmapError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What an archive may hold: members, declared uncompressed bytes, compression ratio.

    ``ratio`` applies to members larger than ``ratio_floor_bytes`` (a small file of blank padding
    compresses far more and cannot hurt).
    """

    members: int = 1_000
    total_bytes: int = 1024 * MB
    ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MB


#: Zipped Shapefiles (boundary uploads).
SHAPEFILE_LIMITS = Limits()
#: Complaint exports as XLSX: 256 MB of XML is already ~1 million rows of an export.
WORKBOOK_LIMITS = Limits(members=500, total_bytes=256 * MB)
#: The workbench's lists (at most 5 000 rows): 32 MB of XML is ample.
SHEET_LIMITS = Limits(members=200, total_bytes=32 * MB)

_WORKBOOK_PARTS = ("[Content_Types].xml", "xl/workbook.xml")

Source = str | os.PathLike[str] | bytes | BinaryIO


def check_sizes(
    infos: list[zipfile.ZipInfo],
    label: str,
    limits: Limits,
    *,
    error: type[HeatmapError] = HeatmapError,
) -> int:
    """Refuse too many members, too large a declared total, or a member compressed too far.

    Returns the declared uncompressed total in bytes.
    """
    if len(infos) > limits.members:
        raise error(
            f"{label} 含 {len(infos)} 个文件，超过上限 {limits.members}；已拒绝 "
            f"(too many members: {len(infos)} > {limits.members})"
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.ratio:
                raise error(
                    f"{label} 中 {info.filename!r} 压缩比 {ratio:.0f}:1，超过上限 "
                    f"{limits.ratio:.0f}:1，疑似压缩炸弹；已拒绝 "
                    f"(compression ratio {ratio:.0f} over {limits.ratio:.0f}: a zip bomb?)"
                )
    if total > limits.total_bytes:
        raise error(
            f"{label} 解压后共 {total / MB:.1f} MB，超过上限 {limits.total_bytes / MB:.0f} MB；"
            f"请拆分后分批上传 (uncompressed size {total / MB:.1f} MB over the limit)"
        )
    return total


def check_workbook(
    source: Source,
    *,
    label: str | None = None,
    limits: Limits = WORKBOOK_LIMITS,
    error: type[HeatmapError] = HeatmapError,
) -> None:
    """Refuse an ``.xlsx`` that is no zip, no workbook (another zip renamed), or a zip bomb.

    Only the central directory is read.

    Raises
    ------
    HeatmapError
        (or ``error``) in Chinese, naming the file, what was found and the fix.
    """
    label = label or _label(source)
    with open_zip(source, label, error=error, what="XLSX 工作簿") as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        missing = [part for part in _WORKBOOK_PARTS if part not in names]
        if missing:
            raise error(
                f"{label} 是 zip 压缩包，但不是 Excel 工作簿（缺少 {'、'.join(missing)}）；"
                "请在 Excel/WPS 中打开后另存为 .xlsx 再上传 (a zip archive, not an XLSX workbook)"
            )
        check_sizes(infos, label, limits, error=error)


@contextmanager
def open_zip(
    source: Source, label: str, *, error: type[HeatmapError], what: str = "zip 压缩包"
) -> Iterator[zipfile.ZipFile]:
    """The archive opened from its central directory, or ``error`` for a file that is none."""
    stream: str | os.PathLike[str] | BinaryIO = (
        io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    )
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise error(
            f"{label} 不是有效的 {what}，或已损坏/不完整（{exc}）；请重新保存或重新下载 "
            "(not a zip archive, or truncated)"
        ) from exc
    with archive:
        yield archive


def _label(source: Source) -> str:
    if isinstance(source, (bytes, bytearray)):
        return "上传的文件"
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return str(getattr(source, "name", "上传的文件"))
