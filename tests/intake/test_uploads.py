"""Upload checks: size, type, content and name of an upload; zip archives refused or unpacked safely."""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon

from heatmap.errors import BoundaryError, HeatmapError
from heatmap.intake import uploads
from heatmap.intake.uploads import MB, check_upload, check_zip, extract_zip_safely, safe_name

DATA = Path(__file__).resolve().parents[1] / "data"
SHAPEFILE = {  # the members of a zipped Shapefile; the checks look at names and sizes only
    "towns.shp": b"\x00\x00\x27\x0a" + bytes(96),
    "towns.shx": b"\x00\x00\x27\x0a" + bytes(96),
    "towns.dbf": b"\x03" + b"name      " * 20,
    "towns.prj": b'GEOGCS["GCS_WGS_1984"]',
}


def _zip(
    path: Path,
    members: dict[str, bytes] | list[tuple[str | zipfile.ZipInfo, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    items = list(members.items()) if isinstance(members, dict) else members
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: wanted here
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, data in items:
                archive.writestr(name, data)
    return path


def _symlink(name: str, target: bytes) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the mode is in the high 16 bits
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target


# ---------------------------------------------------------------------------------- check_upload


@pytest.mark.parametrize(
    ("name", "size", "kind", "max_bytes", "match"),
    [
        ("export.csv", 501 * MB, "export", None, r"大小 501\.0 MB，超过上限 500 MB；请按月份拆分"),
        ("towns.geojson", 200 * MB + 1, "boundary", None, r"超过上限 200 MB；请简化边界"),
        ("tasks.csv", 21 * MB, "table", None, r"超过上限 20 MB"),
        ("export.csv", 2 * MB, "export", MB, r"大小 2\.0 MB，超过上限 1 MB"),
        ("export.csv", 0, "export", None, r"export\.csv 是空文件（0 字节）"),
        ("towns.zip", 0, "boundary", None, r"空文件"),
    ],
)
def test_size_is_capped_and_empty_is_refused(
    name: str, size: int, kind: uploads.UploadKind, max_bytes: int | None, match: str
) -> None:
    error = BoundaryError if kind == "boundary" else HeatmapError
    with pytest.raises(error, match=match):
        check_upload(name, size, kind=kind, max_bytes=max_bytes)


@pytest.mark.parametrize(
    ("name", "kind", "match"),
    [
        (
            "payload.exe",
            "export",
            r"不接受 \.exe 文件.*可接受：\.csv、\.tsv、\.txt、\.xlsx、\.parquet",
        ),
        ("old.xls", "export", r"不接受 \.xls 文件.*另存为 \.xlsx"),
        ("macro.xlsm", "export", r"不接受 \.xlsm 文件"),
        ("report.csv.exe", "export", r"不接受 \.exe"),
        ("README", "export", r"不接受 无后缀 文件"),
        ("towns.shp", "boundary", r"Shapefile 请把 \.shp、\.shx、\.dbf、\.prj.*压缩成一个 zip"),
        ("towns.kml", "boundary", r"可接受：\.geojson、\.json、\.gpkg、\.parquet、\.zip"),
        ("tasks.xlsx", "table", r"CSV 表格不接受 \.xlsx 文件"),
    ],
)
def test_other_types_are_refused(name: str, kind: uploads.UploadKind, match: str) -> None:
    error = BoundaryError if kind == "boundary" else HeatmapError
    with pytest.raises(error, match=match):
        check_upload(name, 100, kind=kind)


@pytest.mark.parametrize(
    ("name", "kind", "head", "match"),
    [
        ("export.csv", "export", b"MZ\x90\x00\x03\x00\x00\x00", r"Windows 可执行文件"),
        ("export.txt", "export", b"\x7fELF\x02\x01\x01", r"Linux 可执行文件"),
        ("export.xlsx", "export", b"MZ\x90\x00", r"可执行文件"),
        ("towns.zip", "boundary", b"\x7fELF\x02\x01", r"可执行文件"),
        (
            "export.xlsx",
            "export",
            "镇,数量\n".encode(),
            r"内容不是 XLSX 工作簿.*开头应为 b'PK\\x03\\x04'",
        ),
        ("export.xlsx", "export", b"<html><body><table>", r"收到 网页 \(HTML\)"),
        ("export.parquet", "export", b"town,count\n", r"不是 Parquet 文件"),
        ("towns.gpkg", "boundary", b"PK\x03\x04\x14\x00", r"不是 GeoPackage"),
        ("towns.zip", "boundary", b'{"type": ', r"不是 zip 压缩包"),
        ("export.csv", "export", b"<!DOCTYPE html>\n<html>", r"是网页 \(HTML\).*网页另存为"),
        ("export.csv", "export", b"\xef\xbb\xbf  <html lang=zh>", r"是网页 \(HTML\)"),
        ("export.csv", "export", b"\xff\xfe\x3a\x5e", r"UTF-16 编码.*CSV UTF-8"),
        ("export.csv", "export", b"a\x00\x00\x00b\x00\x00\x00", r"含大量空字节"),
        ("export.csv", "export", b"%PDF-1.7\n", r"内容是 PDF 文件，不是 \.csv 文本"),
        ("export.csv", "export", b"PK\x03\x04\x14\x00", r"zip 压缩包或 XLSX 工作簿"),
        ("export.csv", "export", b"\xd0\xcf\x11\xe0\xa1\xb1", r"旧版 Office 文件"),
        ("towns.geojson", "boundary", b"type,coordinates\n", r"不是 JSON"),
    ],
)
def test_content_must_match_the_suffix(
    name: str, kind: uploads.UploadKind, head: bytes, match: str
) -> None:
    error = BoundaryError if kind == "boundary" else HeatmapError
    with pytest.raises(error, match=match):
        check_upload(name, 1000, kind=kind, head=head)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("../../etc/cron.d/x.csv", r"不含路径的文件名.*收到 '\.\./\.\./etc/cron\.d/x\.csv'"),
        ("..\\..\\x.csv", r"不含路径的文件名"),
        ("/tmp/x.csv", r"不含路径的文件名"),
        ("..", r"不含路径的文件名"),
        ("", r"不含路径的文件名"),
        ("export\x00.exe.csv", r"文件名含控制字符或空字符"),
        ("export\x1b[31m.csv", r"文件名含控制字符"),
        ("export\n.csv", r"文件名含控制字符"),
    ],
)
def test_crafted_names_are_refused(name: str, match: str) -> None:
    with pytest.raises(HeatmapError, match=match):
        check_upload(name, 100, kind="export", head=b"a,b\n")


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"kind 应为 .*收到 'images'"):
        check_upload("a.csv", 1, kind="images")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "kind", "head"),
    [
        ("2020-09 导出.csv", "export", "\ufeff工单号,诉求内容\n".encode()),
        ("EXPORT.CSV", "export", b"a,b\n"),
        ("export.tsv", "export", b"a\tb\n"),
        ("export.csv", "export", b"=1+1,<b>\n"),  # formulas and tags in cells: read as text
        ("export.xlsx", "export", b"PK\x03\x04\x14\x00\x06\x00"),
        ("export.parquet", "export", b"PAR1\x15\x04"),
        ("towns.zip", "boundary", b"PK\x03\x04\x14\x00"),
        ("towns.gpkg", "boundary", b"SQLite format 3\x00\x10\x00"),
        ("towns.geojson", "boundary", b'\xef\xbb\xbf\n {"type": "FeatureCollection"'),
        ("towns.json", "boundary", b'[{"type": "Feature"}]'),
        ("tasks.csv", "table", b"problem,task\n"),
        ("export.csv", "export", "MZ编号,数量\n".encode()),  # the letters MZ, not a DOS header
        ("export.csv", "export", b""),  # no head: the content is not looked at
    ],
)
def test_good_uploads_pass_and_give_their_name(
    name: str, kind: uploads.UploadKind, head: bytes
) -> None:
    assert check_upload(name, 1000, kind=kind, head=head) == name


@pytest.mark.parametrize("fixture", ["export_bd09.xlsx", "export_gbk.csv"])
def test_the_real_export_fixtures_pass(fixture: str) -> None:
    path = DATA / fixture
    head = path.read_bytes()[: uploads.HEAD_BYTES]
    assert check_upload(fixture, path.stat().st_size, kind="export", head=head) == fixture


def test_files_written_by_pandas_pass(tmp_path: Path) -> None:
    frame = pd.DataFrame({"town": ["甲"], "n": [1]})
    frame.to_excel(tmp_path / "a.xlsx", index=False)
    frame.to_parquet(tmp_path / "a.parquet")
    for path in (tmp_path / "a.xlsx", tmp_path / "a.parquet"):
        head = path.read_bytes()[: uploads.HEAD_BYTES]
        assert check_upload(path.name, path.stat().st_size, kind="export", head=head)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("朝阳区 2020-09.csv", "朝阳区 2020-09.csv"),
        ("../../a.csv", "a.csv"),
        ("C:\\Users\\王\\b.csv", "b.csv"),
        ("..", "upload"),
        ("", "upload"),
        ("a/..", "upload"),
        (".hidden.csv", "hidden.csv"),
        ("a\x00b\x1f.csv", "ab.csv"),
        ('a<b>:"|?*.csv', "a_b______.csv"),
        ("x" * 300 + ".csv", "x" * 251 + ".csv"),
    ],
)
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected


# ------------------------------------------------------------------------------------- check_zip


def test_a_shapefile_zip_is_listed(tmp_path: Path) -> None:
    members = {
        **{f"bj/{n}": d for n, d in SHAPEFILE.items()},
        "bj/old.shp": SHAPEFILE["towns.shp"],
        "__MACOSX/bj/._towns.shp": b"\x00\x05\x16\x07",
        "bj/._towns.shp": b"\x00\x05\x16\x07",
    }
    listing = check_zip(_zip(tmp_path / "towns.zip", members))
    assert listing.shapefiles == ("bj/towns.shp", "bj/old.shp")  # two layers: listed, not refused
    assert listing.members == (*(f"bj/{n}" for n in SHAPEFILE), "bj/old.shp")
    assert listing.total_bytes == sum(len(d) for d in members.values())


def test_check_zip_reads_bytes_and_file_objects(tmp_path: Path) -> None:
    data = _zip(tmp_path / "towns.zip", SHAPEFILE).read_bytes()
    assert check_zip(data).shapefiles == ("towns.shp",)
    assert check_zip(io.BytesIO(data)).shapefiles == ("towns.shp",)


HOSTILE_NAMES = [
    ("../../evil.shp", r"'\.\./\.\./evil\.shp' 会解压到目录之外"),
    ("/etc/passwd", r"'/etc/passwd' 会解压到目录之外"),
    ("..\\..\\evil.shp", r"会解压到目录之外"),
    ("C:/Windows/evil.shp", r"会解压到目录之外"),
    ("bj/../../evil.shp", r"会解压到目录之外"),
    ("\\\\server\\share\\evil.shp", r"会解压到目录之外"),
    ("tow\x01ns.shp", r"含控制字符"),
    ("inner.zip", r"含压缩包 'inner\.zip'"),
    ("layers.7z", r"含压缩包"),
]


@pytest.mark.parametrize(("name", "match"), HOSTILE_NAMES)
def test_hostile_member_names_are_refused(tmp_path: Path, name: str, match: str) -> None:
    archive = _zip(tmp_path / "towns.zip", {**SHAPEFILE, name: b"x"})
    with pytest.raises(BoundaryError, match=match):
        check_zip(archive)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BoundaryError, match=match):
        extract_zip_safely(archive, dest)
    assert not any(dest.rglob("*")) and not (tmp_path / "evil.shp").exists()


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "towns.zip", [*SHAPEFILE.items(), _symlink("towns.cpg", b"/etc/passwd")]
    )
    with pytest.raises(BoundaryError, match=r"'towns\.cpg' 是符号链接"):
        check_zip(archive)


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    data = bytearray(
        _zip(tmp_path / "towns.zip", {**SHAPEFILE, "towns.cpg": b"UTF-8"}).read_bytes()
    )
    last = _central_entries(bytes(data))[-1]  # towns.cpg: its "encrypted" flag bit set
    struct.pack_into("<H", data, last + 8, struct.unpack_from("<H", data, last + 8)[0] | 0x1)
    archive = tmp_path / "locked.zip"
    archive.write_bytes(bytes(data))
    with pytest.raises(BoundaryError, match=r"'towns\.cpg' 已加密"):
        check_zip(archive)


def test_a_duplicate_member_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "towns.zip", [*SHAPEFILE.items(), ("TOWNS.SHP", b"x")])
    with pytest.raises(BoundaryError, match=r"'TOWNS\.SHP' 出现不止一次"):
        check_zip(archive)


def test_a_high_ratio_member_is_a_bomb(tmp_path: Path) -> None:
    """50 MB of zeros deflate to about 50 KB: a ratio near 1000, ten times the cap."""
    archive = _zip(tmp_path / "towns.zip", {**SHAPEFILE, "towns.dbf": bytes(50 * MB)})
    assert archive.stat().st_size < 100_000
    with pytest.raises(
        BoundaryError, match=r"'towns\.dbf' 压缩比 \d{3,4}:1，超过上限 100:1，疑似压缩炸弹"
    ):
        check_zip(archive)


def test_a_small_member_is_not_held_to_the_ratio(tmp_path: Path) -> None:
    """A DBF of blank padding under 1 MB compresses far more than 100:1 and is fine."""
    archive = _zip(tmp_path / "towns.zip", {**SHAPEFILE, "towns.dbf": b" " * (MB - 1)})
    assert check_zip(archive).shapefiles == ("towns.shp",)


def test_too_many_members(tmp_path: Path) -> None:
    members = {**SHAPEFILE, **{f"m/{i}.txt": b"" for i in range(10_000)}}
    with pytest.raises(BoundaryError, match=r"含 10004 个文件，超过上限 1000"):
        check_zip(_zip(tmp_path / "many.zip", members, compression=zipfile.ZIP_STORED))


def test_the_declared_total_is_capped(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "towns.zip", {**SHAPEFILE, "towns.dbf": os.urandom(4000)})
    with pytest.raises(BoundaryError, match=r"解压后共 0\.0 MB，超过上限 0 MB"):
        check_zip(archive, max_total_bytes=3000)


def test_a_zip_without_a_layer(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "towns.zip", {"readme.txt": b"hi", "towns.dbf": b"x"})
    with pytest.raises(
        BoundaryError, match=r"没有 \.shp 文件；收到：\['readme\.txt', 'towns\.dbf'\]"
    ):
        check_zip(archive)
    assert check_zip(archive, require_shapefile=False).members == ("readme.txt", "towns.dbf")


@pytest.mark.parametrize(
    ("cut", "match"),
    [
        (lambda d: d[: len(d) // 2], r"不是有效的 zip 压缩包，或已损坏/不完整"),  # truncated
        (lambda d: d[:-22], r"不是有效的 zip 压缩包"),  # no end-of-directory record
        (lambda d: os.urandom(2048), r"不是有效的 zip 压缩包"),  # noise
        (lambda d: b"", r"不是有效的 zip 压缩包"),
    ],
)
def test_a_corrupt_zip(tmp_path: Path, cut: object, match: str) -> None:
    data = _zip(tmp_path / "towns.zip", SHAPEFILE).read_bytes()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(cut(data))  # type: ignore[operator]
    with pytest.raises(BoundaryError, match=match):
        check_zip(broken)


def _central_entries(data: bytes) -> list[int]:
    """Offsets of the central-directory file headers (signature PK\\x01\\x02)."""
    found, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        found.append(at)
        at = data.find(b"PK\x01\x02", at + 4)
    return found


def test_overlapping_members_are_a_bomb(tmp_path: Path) -> None:
    """Fifield's "better zip bomb": several directory entries over the same compressed data."""
    data = bytearray(_zip(tmp_path / "towns.zip", SHAPEFILE).read_bytes())
    for entry in _central_entries(bytes(data))[1:]:
        struct.pack_into("<I", data, entry + 42, 0)  # every member's local header at offset 0
    bomb = tmp_path / "overlap.zip"
    bomb.write_bytes(bytes(data))
    with pytest.raises(BoundaryError, match=r"的数据重叠，疑似压缩炸弹"):
        check_zip(bomb)


def test_a_lying_declared_size_is_caught_while_unpacking(tmp_path: Path) -> None:
    """The directory says 100 bytes, the stream holds 5 MB: the directory check is fooled
    (100 bytes pass every cap), the unpacking stops at the declared size and the checksum fails."""
    data = bytearray(
        _zip(tmp_path / "towns.zip", {**SHAPEFILE, "towns.dbf": b"A" * (5 * MB)}).read_bytes()
    )
    entries = _central_entries(bytes(data))
    for entry in entries:
        name_len = struct.unpack_from("<H", data, entry + 28)[0]
        if bytes(data[entry + 46 : entry + 46 + name_len]) == b"towns.dbf":
            offset = struct.unpack_from("<I", data, entry + 42)[0]
            struct.pack_into("<I", data, entry + 24, 100)  # uncompressed size in the directory
            struct.pack_into("<I", data, offset + 22, 100)  # and in the local header
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    assert check_zip(liar).total_bytes < 1000
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BoundaryError, match=r"'towns\.dbf' 无法解压（Bad CRC-32.*内容与目录不符"):
        extract_zip_safely(liar, dest)
    assert not any(dest.rglob("*"))  # what was written is removed


def test_the_running_cap_holds_when_the_directory_is_not_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with the directory check out of the way, no more than the cap is ever written."""
    archive = _zip(tmp_path / "towns.zip", {**SHAPEFILE, "towns.dbf": os.urandom(3 * MB)})
    listing = check_zip(archive)
    monkeypatch.setattr(uploads, "_check_archive", lambda *args: listing)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BoundaryError, match=r"解压的数据超过上限 2 MB"):
        extract_zip_safely(archive, dest, max_total_bytes=2 * MB)
    assert not any(p.is_file() for p in dest.rglob("*"))


def test_a_zip_inside_a_member_with_another_name(tmp_path: Path) -> None:
    inner = _zip(tmp_path / "inner.zip", SHAPEFILE).read_bytes()
    archive = _zip(tmp_path / "towns.zip", {**SHAPEFILE, "towns.cpg": inner})
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(BoundaryError, match=r"'towns\.cpg' 本身是 zip 压缩包"):
        extract_zip_safely(archive, dest)
    assert not any(p.is_file() for p in dest.rglob("*"))


def test_extract_needs_an_existing_directory(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "towns.zip", SHAPEFILE)
    with pytest.raises(BoundaryError, match=r"解压目录 .* 不存在"):
        extract_zip_safely(archive, tmp_path / "missing")


def test_a_real_zipped_shapefile_is_unpacked_and_read(tmp_path: Path) -> None:
    towns = gpd.GeoDataFrame(
        {"name": ["甲街道", "乙街道"]},
        geometry=[
            Polygon([(116.0, 39.0), (116.1, 39.0), (116.1, 39.1), (116.0, 39.1)]),
            Polygon([(116.1, 39.0), (116.2, 39.0), (116.2, 39.1), (116.1, 39.1)]),
        ],
        crs=4326,
    )
    layer = tmp_path / "layer"
    layer.mkdir()
    towns.to_file(layer / "towns.shp", encoding="utf-8")
    archive = tmp_path / "towns.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(layer.iterdir()):
            zf.write(part, f"边界/{part.name}")
        zf.writestr("__MACOSX/边界/._towns.shp", b"\x00\x05\x16\x07")
    dest = tmp_path / "out"
    dest.mkdir()
    written = extract_zip_safely(archive, dest)
    assert sorted(p.name for p in written) == sorted(p.name for p in layer.iterdir())
    assert all(p.parent == (dest / "边界").resolve() for p in written)
    shp = [p for p in written if p.suffix.lower() == ".shp"]
    read = gpd.read_file(shp[0])
    assert read["name"].tolist() == ["甲街道", "乙街道"]
    assert not (dest / "__MACOSX").exists()
