"""Checks every uploaded file passes before it is read: size, type, and zip archives.

:func:`check_upload` looks at what the browser sent (name, size, first bytes) for one of three
kinds of upload: a complaint ``export`` (what :func:`heatmap.intake.reading.read_table` reads), a
``boundary`` file (what :func:`heatmap.intake.boundaries.read_boundaries` reads), a small CSV
``table`` (tasks, the official list of supervised towns). :func:`safe_name` is the base name to
store it under. A zipped Shapefile is checked by :func:`check_zip` from its central directory
only, then unpacked by :func:`extract_zip_safely`, which counts the bytes it really writes:
GDAL's ``zip://`` would unpack a zip bomb, a ``../`` member or a symbolic link as they come.

Refusals are :class:`~heatmap.errors.HeatmapError` for exports and tables (as ``reading`` raises)
and :class:`~heatmap.errors.BoundaryError` for boundary files and zip archives.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from heatmap.errors import BoundaryError, HeatmapError
from heatmap.intake.archives import Limits, check_sizes

UploadKind = Literal["export", "boundary", "table", "sheet"]
MB = 1024 * 1024
#: The largest upload of each kind, in MB (Streamlit's own ``server.maxUploadSize`` defaults to
#: 200 MB and refuses a larger file before this check sees it).
MAX_UPLOAD_MB: dict[str, int] = {"export": 500, "boundary": 200, "table": 20, "sheet": 20}
#: The suffixes each kind accepts (lower case): what the readers read. No ``.xls`` (no reader),
#: no macro-enabled ``.xlsm`` and no bare ``.shp`` (its ``.dbf``/``.shx`` cannot come with it).
SUFFIXES: dict[str, tuple[str, ...]] = {
    "export": (".csv", ".tsv", ".txt", ".xlsx", ".parquet"),
    "boundary": (".geojson", ".json", ".gpkg", ".parquet", ".zip"),
    "table": (".csv",),
    "sheet": (".xlsx", ".csv"),  # the 督导工作台's lists as a town office keeps them
}
_WHAT = {"export": "诉求导出文件", "boundary": "边界文件", "table": "CSV 表格", "sheet": "清单表格"}
#: How many leading bytes :func:`check_upload` wants to see.
HEAD_BYTES = 512
#: Zip archives: members, declared uncompressed total, and compression ratio of a large member.
MAX_ZIP_MEMBERS = 1_000
MAX_ZIP_TOTAL_BYTES = 1024 * MB
MAX_ZIP_RATIO = 100
#: Members smaller than this are not held to the ratio (a small DBF of blank padding compresses
#: more than 100:1 and cannot hurt).
RATIO_FLOOR_BYTES = 1 * MB
MAX_NAME_CHARS = 255

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member first; an empty archive
_MAGIC: dict[str, tuple[tuple[bytes, ...], str]] = {
    ".xlsx": (_ZIP_MAGIC[:1], "XLSX 工作簿 (a zip package)"),
    ".zip": (_ZIP_MAGIC, "zip 压缩包"),
    ".parquet": ((b"PAR1",), "Parquet 文件"),
    ".gpkg": ((b"SQLite format 3\x00",), "GeoPackage (SQLite) 数据库"),
}
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".geojson", ".json")
#: Signatures of executables, refused under any suffix (``MZ`` only with the zero bytes of a
#: DOS header after it: a CSV may start with the letters MZ).
_EXECUTABLES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 可执行文件"),
    (b"\x7fELF", "Linux 可执行文件"),
    (b"\xca\xfe\xba\xbe", "macOS 可执行文件"),
    (b"\xcf\xfa\xed\xfe", "macOS 可执行文件"),
)
#: Signatures of other files that are never text: refused under a text suffix.
_BINARY: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "zip 压缩包或 XLSX 工作簿"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文件 (.xls/.doc)"),
    (b"%PDF", "PDF 文件"),
    (b"\x1f\x8b", "gzip 压缩文件"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"SQLite format 3\x00", "SQLite 数据库"),
    (b"PAR1", "Parquet 文件"),
)
_HTML = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|script)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')
_NESTED = (".zip", ".7z", ".rar", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zst", ".kmz")
_SIDECAR_JUNK = "__MACOSX/"  # Finder's resource forks (``._towns.shp``): skipped
_CHUNK = 1 * MB


def check_upload(
    name: str,
    size: int,
    *,
    kind: UploadKind,
    head: bytes = b"",
    max_bytes: int | None = None,
) -> str:
    """Refuse an upload that is too large, empty, of another type, or has a crafted name.

    Parameters
    ----------
    name
        The file name the browser sent.
    size
        Its size in bytes.
    kind
        ``"export"``, ``"boundary"`` or ``"table"`` (see :data:`SUFFIXES`).
    head
        Its first bytes (:data:`HEAD_BYTES` suffice); without them the content is not checked.
    max_bytes
        The cap in bytes; default :data:`MAX_UPLOAD_MB` of the kind.

    Returns
    -------
    str
        :func:`safe_name` of ``name``: the name to store the file under.

    Raises
    ------
    HeatmapError
        For an export or table (:class:`~heatmap.errors.BoundaryError` for a boundary file).
    """
    if kind not in SUFFIXES:
        raise ValueError(f"kind 应为 {sorted(SUFFIXES)} 之一，收到 {kind!r}")
    error = BoundaryError if kind == "boundary" else HeatmapError
    _check_name(name, error)
    suffix = PurePosixPath(name).suffix.lower()
    _check_suffix(name, suffix, kind, error)
    _check_size(name, size, kind, max_bytes, error)
    if head:
        _check_content(name, suffix, head, error)
    return safe_name(name)


def safe_name(name: str) -> str:
    """A base name safe to store a file under: no directory, control character or reserved sign.

    ``"../../a.csv"`` -> ``"a.csv"``, ``"C:\\\\x\\\\b.csv"`` -> ``"b.csv"``, ``".."`` -> ``"upload"``;
    a leading dot is dropped (no hidden file), the name is cut to :data:`MAX_NAME_CHARS`
    keeping its suffix.
    """
    base = re.split(r"[/\\]", name)[-1]
    base = _WINDOWS_RESERVED.sub("_", _CONTROL.sub("", base)).strip().lstrip(".").strip()
    if not base:
        return "upload"
    if len(base) > MAX_NAME_CHARS:
        _, dot, suffix = base.rpartition(".")
        keep = f".{suffix}" if dot and len(suffix) <= 16 else ""
        base = base[: MAX_NAME_CHARS - len(keep)] + keep
    return base


def _check_name(name: str, error: type[HeatmapError]) -> None:
    if _CONTROL.search(name):
        raise error(
            f"文件名含控制字符或空字符：{name!r}；请重命名后再上传 "
            "(file name with control or NUL characters)"
        )
    parts = re.split(r"[/\\]", name)
    if len(parts) > 1 or name.strip() in ("", ".", ".."):
        raise error(
            f"文件名应是不含路径的文件名（如 export.csv），收到 {name!r}；请重命名后再上传 "
            "(expected a bare file name, without '/', '\\\\' or '..')"
        )


def _check_suffix(name: str, suffix: str, kind: str, error: type[HeatmapError]) -> None:
    accepted = SUFFIXES[kind]
    if suffix in accepted:
        return
    hint = ""
    if kind == "boundary" and suffix in (".shp", ".dbf", ".shx", ".prj"):
        hint = "；Shapefile 请把 .shp、.shx、.dbf、.prj（和 .cpg）一起压缩成一个 zip 上传"
    elif suffix in (".xls", ".xlsm"):
        hint = "；请在 Excel/WPS 中另存为 .xlsx 或 CSV (UTF-8)"
    raise error(
        f"{_WHAT[kind]}不接受 {suffix or '无后缀'} 文件（{name}）；可接受：{'、'.join(accepted)}{hint} "
        f"(unsupported file type {suffix or 'without suffix'!s}; expected {', '.join(accepted)})"
    )


def _check_size(
    name: str, size: int, kind: str, max_bytes: int | None, error: type[HeatmapError]
) -> None:
    if size <= 0:
        raise error(f"{name} 是空文件（0 字节）；请检查导出是否完成 (empty file)")
    cap = MAX_UPLOAD_MB[kind] * MB if max_bytes is None else max_bytes
    if size > cap:
        fix = (
            "请简化边界（GIS 中抽稀）或压缩后上传"
            if kind == "boundary"
            else "请按月份拆分后分批导入"
        )
        raise error(
            f"{name} 大小 {size / MB:.1f} MB，超过上限 {cap / MB:.0f} MB；{fix} "
            f"(file too large: {size / MB:.1f} MB, the limit is {cap / MB:.0f} MB)"
        )


def _check_content(name: str, suffix: str, head: bytes, error: type[HeatmapError]) -> None:
    """The first bytes agree with the suffix; an executable is refused under any suffix."""
    for magic, what in _EXECUTABLES:
        if head.startswith(magic) and (magic != b"MZ" or b"\x00" in head[:64]):
            raise error(
                f"{name} 的内容是 {what}，不是数据文件；已拒绝 (an executable is never read)"
            )
    if suffix in _MAGIC:
        magics, what = _MAGIC[suffix]
        if not head.startswith(magics):
            seen = "网页 (HTML)" if _HTML.match(head) else repr(head[:8])
            raise error(
                f"{name} 的内容不是 {what}（开头应为 {magics[0]!r}，收到 {seen}）；"
                f"请确认文件未改过后缀、下载完整 (content does not match the suffix {suffix})"
            )
        return
    if suffix in _TEXT_SUFFIXES:
        _check_text(name, suffix, head, error)


def _check_text(name: str, suffix: str, head: bytes, error: type[HeatmapError]) -> None:
    for magic, what in _BINARY:
        if head.startswith(magic):
            raise error(
                f"{name} 的内容是 {what}，不是 {suffix} 文本；请上传原始导出文件，或改用正确的后缀 "
                f"(binary content under a text suffix)"
            )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error(
            f"{name} 是 UTF-16 编码的文本；请在 Excel/WPS 中另存为“CSV UTF-8（逗号分隔）” "
            "(UTF-16 text: save as UTF-8 CSV)"
        )
    if head.count(0) > len(head) // 4:
        raise error(f"{name} 含大量空字节，不是文本文件 (binary content under a text suffix)")
    if _HTML.match(head.removeprefix(b"\xef\xbb\xbf")):
        raise error(
            f"{name} 是网页 (HTML)，不是 {suffix} 数据；系统“导出”按钮给出的文件才可导入，"
            "请勿使用浏览器的“网页另存为” (an HTML page, not data)"
        )
    if suffix in (".geojson", ".json"):
        start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
        if start not in (b"{", b"["):
            raise error(
                f"{name} 不是 JSON（应以 {{ 开头，收到 {head[:8]!r}）；请上传 GeoJSON 文件 "
                "(not JSON)"
            )


@dataclass(frozen=True)
class ZipListing:
    """What a checked zip archive holds (directories and ``__MACOSX/`` left out)."""

    members: tuple[str, ...]
    shapefiles: tuple[str, ...]
    total_bytes: int  # declared, uncompressed


ZipSource = str | os.PathLike[str] | bytes | BinaryIO


def check_zip(
    source: ZipSource,
    *,
    max_total_bytes: int = MAX_ZIP_TOTAL_BYTES,
    max_ratio: float = MAX_ZIP_RATIO,
    max_members: int = MAX_ZIP_MEMBERS,
    require_shapefile: bool = True,
) -> ZipListing:
    """Refuse a zip archive that is corrupt, a bomb, or would write outside where it is unpacked.

    Only the central directory is read (nothing is unpacked): absolute, ``..`` and drive-letter
    member names, backslash traversal, control characters, symbolic links, encrypted members,
    duplicate names, nested archives, overlapping members (the "better zip bomb"), more than
    ``max_members`` members, a declared total over ``max_total_bytes``, and a member of more than
    :data:`RATIO_FLOOR_BYTES` compressed more than ``max_ratio`` times are refused. Declared
    sizes can lie: :func:`extract_zip_safely` counts what it writes.

    Parameters
    ----------
    source
        A path, the bytes, or a binary file object.
    max_total_bytes, max_ratio, max_members
        The caps.
    require_shapefile
        Refuse an archive without a ``.shp`` member (default).

    Returns
    -------
    ZipListing
        The members and the ``.shp`` layers (several are listed, not refused).

    Raises
    ------
    BoundaryError
    """
    label = _label(source)
    with _open_zip(source, label) as archive:
        return _check_archive(archive, label, max_total_bytes, max_ratio, max_members,
                              require_shapefile)  # fmt: skip


def extract_zip_safely(
    source: ZipSource,
    dest_dir: str | os.PathLike[str],
    *,
    max_total_bytes: int = MAX_ZIP_TOTAL_BYTES,
    max_ratio: float = MAX_ZIP_RATIO,
    max_members: int = MAX_ZIP_MEMBERS,
    require_shapefile: bool = True,
) -> list[Path]:
    """Check a zip archive (:func:`check_zip`), then unpack it into ``dest_dir`` by streaming.

    Each member is written in chunks while the bytes are counted: past ``max_total_bytes`` in
    all, or past a member's declared size, or on a bad checksum, the unpacking stops, the files
    written are removed and the archive is refused. A member whose content is itself a zip
    archive is refused. ``__MACOSX/`` entries are skipped.

    Parameters
    ----------
    source
        A path, the bytes, or a binary file object.
    dest_dir
        An existing directory (a fresh temporary one).
    max_total_bytes, max_ratio, max_members, require_shapefile
        As for :func:`check_zip`.

    Returns
    -------
    list of Path
        The files written, in archive order (pick the layer with ``p.suffix.lower() == ".shp"``).

    Raises
    ------
    BoundaryError
    """
    dest = Path(dest_dir).resolve()
    if not dest.is_dir():
        raise BoundaryError(f"解压目录 {dest} 不存在 (the directory to unpack into must exist)")
    label = _label(source)
    written: list[Path] = []
    with _open_zip(source, label) as archive:
        listing = _check_archive(archive, label, max_total_bytes, max_ratio, max_members,
                                 require_shapefile)  # fmt: skip
        members = set(listing.members)
        try:
            budget = max_total_bytes
            for info in archive.infolist():
                if info.filename not in members:
                    continue
                target = _target(dest, info.filename, label)
                target.parent.mkdir(parents=True, exist_ok=True)
                budget -= _stream(archive, info, target, budget, max_total_bytes, label, written)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    return written


def _label(source: ZipSource) -> str:
    if isinstance(source, (bytes, bytearray)):
        return "zip 压缩包"
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return str(getattr(source, "name", "zip 压缩包"))


@contextmanager
def _open_zip(source: ZipSource, label: str) -> Iterator[zipfile.ZipFile]:
    stream: str | os.PathLike[str] | BinaryIO = (
        io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    )
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise BoundaryError(
            f"{label} 不是有效的 zip 压缩包，或已损坏/不完整（{exc}）；请重新压缩或重新下载 "
            "(not a zip archive, or truncated)"
        ) from exc
    with archive:
        yield archive


def _check_archive(
    archive: zipfile.ZipFile,
    label: str,
    max_total_bytes: int,
    max_ratio: float,
    max_members: int,
    require_shapefile: bool,
) -> ZipListing:
    infos = archive.infolist()
    limits = Limits(max_members, max_total_bytes, max_ratio, RATIO_FLOOR_BYTES)
    total = check_sizes(infos, label, limits, error=BoundaryError)  # the one size check
    names: set[str] = set()
    kept: list[str] = []
    for info in infos:
        _check_member(info, label)
        key = info.filename.replace("\\", "/").lower()
        if key in names:
            raise BoundaryError(
                f"{label} 中文件 {info.filename!r} 出现不止一次；请重新压缩 (duplicate member)"
            )
        names.add(key)
        if info.is_dir() or _is_junk(info.filename):
            continue
        kept.append(info.filename)
    _check_overlaps(infos, label)
    shapefiles = tuple(n for n in kept if n.lower().endswith(".shp"))
    if require_shapefile and not shapefiles:
        raise BoundaryError(
            f"{label} 中没有 .shp 文件；收到：{kept[:10]}。请把 .shp、.shx、.dbf、.prj 一起压缩上传 "
            "(no .shp layer in the zip)"
        )
    return ZipListing(tuple(kept), shapefiles, total)


def _check_member(info: zipfile.ZipInfo, label: str) -> None:
    name = info.filename
    parts = re.split(r"[/\\]", name)
    if _CONTROL.search(name):
        raise BoundaryError(
            f"{label} 中文件名 {name!r} 含控制字符；已拒绝 (control characters in a member name)"
        )
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise BoundaryError(
            f"{label} 中文件 {name!r} 会解压到目录之外（绝对路径或 ..）；已拒绝，请重新压缩 "
            "(a member path outside the archive: absolute, drive letter or '..')"
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise BoundaryError(
            f"{label} 中 {name!r} 是符号链接；已拒绝，请压缩文件本身 (symbolic link member)"
        )
    if info.flag_bits & 0x1:
        raise BoundaryError(f"{label} 中 {name!r} 已加密；请去掉密码后重新压缩 (encrypted member)")
    if name.lower().endswith(_NESTED) and not _is_junk(name):
        raise BoundaryError(f"{label} 中含压缩包 {name!r}；请解开后只压缩一层 (nested archive)")


def _check_overlaps(infos: list[zipfile.ZipInfo], label: str) -> None:
    """Members whose data overlap (several directory entries over one stream: a zip bomb)."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.header_offset + before.compress_size > after.header_offset:
            raise BoundaryError(
                f"{label} 中 {before.filename!r} 与 {after.filename!r} 的数据重叠，疑似压缩炸弹；"
                "已拒绝 (overlapping members)"
            )


def _is_junk(name: str) -> bool:
    return name.replace("\\", "/").startswith(_SIDECAR_JUNK) or PurePosixPath(
        name.replace("\\", "/")
    ).name.startswith("._")


def _target(dest: Path, name: str, label: str) -> Path:
    target = (dest / PurePosixPath(name.replace("\\", "/"))).resolve()
    if not target.is_relative_to(dest) or target == dest:
        raise BoundaryError(
            f"{label} 中文件 {name!r} 会解压到目录之外；已拒绝 (a member path outside the archive)"
        )
    return target


def _stream(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: Path,
    budget: int,
    cap: int,
    label: str,
    written: list[Path],
) -> int:
    """Write one member in chunks (a new file, added to ``written``); the bytes written."""
    done = 0
    try:
        with archive.open(info) as src, target.open("xb") as out:
            written.append(target)
            while chunk := src.read(_CHUNK):
                if done == 0 and chunk.startswith(b"PK\x03\x04"):
                    raise BoundaryError(
                        f"{label} 中 {info.filename!r} 本身是 zip 压缩包；请解开后只压缩一层 "
                        "(nested archive)"
                    )
                done += len(chunk)
                if done > budget:
                    raise BoundaryError(
                        f"{label} 解压的数据超过上限 {cap / MB:.0f} MB（目录中申报的大小不实），"
                        "疑似压缩炸弹；已拒绝 (more data than declared: a zip bomb?)"
                    )
                if done > info.file_size:
                    raise BoundaryError(
                        f"{label} 中 {info.filename!r} 的数据多于申报的 {info.file_size} 字节；"
                        "已拒绝 (more data than declared)"
                    )
                out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise BoundaryError(
            f"{label} 中 {info.filename!r} 无法解压（{exc}）：内容与目录不符或已损坏；请重新压缩 "
            "(member data does not match its directory entry)"
        ) from exc
    return done
