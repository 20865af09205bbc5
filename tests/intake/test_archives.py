"""Zip archives refused from their central directory: bombs, too many members, renamed zips."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from heatmap.errors import HeatmapError, WorkError
from heatmap.intake import archives, reading
from heatmap.intake.archives import Limits, check_workbook
from heatmap.intake.reading import read_table

MB = 1024 * 1024


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["街乡镇", "诉求内容"])
    book.active.append(["甲街道", "噪声"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_member(data: bytes, name: str, payload: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(name, payload, compress_type=method)
    return out.getvalue()


def _bomb() -> bytes:
    """A real workbook plus 64 MB of blanks that deflate to ~64 KB (ratio ~1000:1)."""
    return _with_member(_workbook(), "xl/worksheets/sheet2.xml", b" " * (64 * MB))


def test_a_good_workbook_passes_and_reads() -> None:
    check_workbook(_workbook())


def test_a_workbook_bomb_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(_bomb())
    assert path.stat().st_size < 2 * MB
    monkeypatch.setattr(reading.pd, "read_excel", lambda *a, **k: pytest.fail("read"))
    began = time.perf_counter()
    with pytest.raises(HeatmapError, match=r"export\.xlsx 中 'xl/worksheets/sheet2\.xml' 压缩比 \d+:1，超过上限 100:1，疑似压缩炸弹"):
        read_table(path)
    assert time.perf_counter() - began < 1.0


def test_a_workbook_over_the_total_is_refused() -> None:
    data = _with_member(_workbook(), "xl/media/a.bin", b"\x00" * (2 * MB), zipfile.ZIP_STORED)
    with pytest.raises(HeatmapError, match=r"解压后共 2\.\d MB，超过上限 1 MB"):
        check_workbook(data, label="a.xlsx", limits=Limits(total_bytes=1 * MB))


def test_a_workbook_with_too_many_members_is_refused() -> None:
    data = _workbook()
    for i in range(12):
        data = _with_member(data, f"xl/x{i}.xml", b"<x/>")
    with pytest.raises(HeatmapError, match=r"a\.xlsx 含 \d+ 个文件，超过上限 10"):
        check_workbook(data, label="a.xlsx", limits=Limits(members=10))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 but not really a zip", "不是有效的 XLSX 工作簿，或已损坏/不完整"),
        (b"", "不是有效的 XLSX 工作簿"),
    ],
)
def test_not_a_zip_named_xlsx_is_refused_in_chinese(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "a.xlsx"
    path.write_bytes(data)
    with pytest.raises(HeatmapError, match=message):
        read_table(path)


def test_another_zip_renamed_xlsx_is_refused_in_chinese_not_a_key_error(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("towns.shp", b"x")
    path = tmp_path / "export.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(HeatmapError, match=r"export\.xlsx 是 zip 压缩包，但不是 Excel 工作簿（缺少 \[Content_Types\]\.xml、xl/workbook\.xml）"):
        read_table(path)


def test_a_workbook_missing_a_part_it_names_is_refused_in_chinese(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info.filename))
    path = tmp_path / "export.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(HeatmapError, match=r"(无法读取文件 export\.xlsx|export\.xlsx 工作簿已损坏)"):
        read_table(path)


def test_a_60_mb_csv_field_is_refused_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"a,b\n1,\"" + b"x" * (60 * MB) + b"\"\n")
    with pytest.raises(HeatmapError, match=r"export\.csv 中有字段超过 128 KB 的上限"):
        read_table(path)


def test_the_workbench_sheet_path_uses_the_stricter_sheet_limits() -> None:
    from heatmap.supervision import sheets

    data = _with_member(_workbook(), "xl/media/a.bin", b"\x01" * (33 * MB), zipfile.ZIP_STORED)
    with pytest.raises(WorkError, match=r"清单\.xlsx 解压后共 33\.\d MB，超过上限 32 MB"):
        sheets._read(data, "清单.xlsx")
    assert archives.SHEET_LIMITS.total_bytes < archives.WORKBOOK_LIMITS.total_bytes


def test_boundary_zips_are_held_to_the_same_size_check() -> None:
    from heatmap.errors import BoundaryError
    from heatmap.intake.uploads import check_zip

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("towns.shp", b"\x00" * (8 * MB))
    with pytest.raises(BoundaryError, match="疑似压缩炸弹"):
        check_zip(out.getvalue())


def test_a_frame_reads_as_before() -> None:
    frame = pd.read_excel(io.BytesIO(_workbook()), dtype=str)
    assert frame.columns.tolist() == ["街乡镇", "诉求内容"]


def test_a_workbook_with_malformed_xml_is_refused_in_chinese(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, b"<worksheet><sheetData><row>" if "sheet1" in info.filename else data)
    path = tmp_path / "export.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(HeatmapError, match=r"export\.xlsx 工作簿已损坏或不完整"):
        read_table(path)


def test_the_workbench_stops_reading_a_workbook_past_its_row_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from heatmap.supervision import sheets

    book = openpyxl.Workbook()
    book.active.append(["街乡镇代码", "督办起始月", "事项名称"])
    for n in range(50):
        book.active.append(["110101001", "2026-09", f"事项{n}"])
    out = io.BytesIO()
    book.save(out)
    seen: list[int] = []
    real = reading.pd.read_excel

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        frame = real(*args, **kwargs)
        seen.append(len(frame))
        return frame

    monkeypatch.setattr(reading.pd, "read_excel", counted)
    monkeypatch.setattr(sheets, "MAX_ROWS", 10)
    with pytest.raises(WorkError, match="^表格超过上限 10 行；请分批导入$"):
        sheets._read(out.getvalue(), "清单.xlsx")
    assert seen == [11]  # 50 rows in the file, 11 read
