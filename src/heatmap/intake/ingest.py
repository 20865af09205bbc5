"""Import the 12345 platform's complaint exports (CSV / XLSX / Parquet) with nothing lost and nothing doubled.

A file is read as text, its headers are matched to the canonical fields (Chinese or English, or an
explicit mapping), values are parsed in their real forms, personal fields are dropped, rows that
cannot be used go to the quarantine with their line and reason, towns are assigned (code → name →
point → address), and everything is written in one transaction: a failure leaves the store as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from heatmap.errors import HeatmapError
from heatmap.geo.assign import TownIndex
from heatmap.geo.coords import CRS_NAMES, to_wgs84
from heatmap.geo.geography import load_former_towns
from heatmap.geo.locate import check_coordinates, parse_epsg
from heatmap.geo.names import Gazetteer
from heatmap.intake import store
from heatmap.intake.records import canonicalize
from heatmap.taxonomy import Taxonomy, load_taxonomy

#: Canonical field -> header names seen in real exports (matched after removing spaces, case-insensitive).
HEADERS: dict[str, tuple[str, ...]] = {
    "record_id": ("工单编号", "工单号", "工单id", "编号", "record_id", "ticket_id", "id"),
    "received_at": (
        "受理时间",
        "来电时间",
        "创建时间",
        "登记时间",
        "received_at",
        "created_at",
        "time",
    ),
    "channel": ("来电渠道", "渠道", "诉求渠道", "来源渠道", "channel", "source"),
    "request_type": ("诉求类型", "工单类型", "request_type", "type"),
    "category": ("问题分类", "诉求分类", "分类", "问题类别", "category"),
    "text": ("诉求内容", "工单内容", "内容", "问题描述", "text", "content"),
    "district_raw": ("所属区", "区", "行政区", "所属区县", "district"),
    "town_raw": ("街乡镇", "所属街乡镇", "街道", "乡镇", "街道乡镇", "town", "street"),
    "town_code": ("街乡镇代码", "街道代码", "街乡镇编码", "town_code"),
    "community": ("社区", "社区（村）", "社区村", "community"),
    "address": ("详细地址", "地址", "事发地址", "诉求地址", "address"),
    "lon": ("经度", "lon", "lng", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "src_crs": ("坐标系", "坐标系统", "crs"),
    "unit": ("承办单位", "承办部门", "unit"),
    "dispatched": ("是否派单", "派单", "dispatched"),
    "responded": ("是否响应", "响应", "responded"),
    "evaluated": ("是否回访", "回访", "evaluated"),
    "resolved": ("是否解决", "解决", "resolved"),
    "satisfied": ("是否满意", "满意度", "满意", "satisfied", "satisfaction"),
    "closed_at": ("办结时间", "closed_at"),
    "phone": ("来电号码", "联系电话", "电话", "手机号", "手机", "phone"),
    "name": ("姓名", "来电人", "联系人", "name"),
}
PERSONAL = ("phone", "name")
_QUARANTINE = ("source", "line", "reason", "raw", "loaded_at")
REQUIRED = ("record_id", "received_at")
_TRUE = {"是", "1", "true", "t", "y", "yes", "已响应", "已解决", "满意", "已派单", "已回访", "√"}
_FALSE = {"否", "0", "false", "f", "n", "no", "未响应", "未解决", "不满意", "未派单", "未回访", "×"}
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_CRS_SAMPLE = 20_000  # named points compared per system to decide --crs auto
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}-?)?(\d{3,4})\d{4}(?!\d)")


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file. ``satisfied_values`` and ``satisfied_min_score`` are settings (assumptions)."""

    crs: str = "auto"  # auto / wgs84 / gcj02 / bd09 / EPSG:NNNN (projected or geographic)
    allow_outside: bool = False  # import a file whose points mostly fall outside Beijing
    mapping: dict[str, str] = field(default_factory=dict)  # header -> canonical field
    satisfied_values: tuple[str, ...] = ("满意", "基本满意", "非常满意")
    satisfied_min_score: int = 4  # on a 1–5 score
    resolved_values: tuple[str, ...] = ("是", "已解决", "解决", "1", "true")


@dataclass
class ImportReport:
    """What an import did; ``as_dict`` is the JSON report."""

    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    matched_by: Counter[str] = field(default_factory=Counter)
    unmatched: int = 0
    conflicts: int = 0
    crs: dict[str, str] = field(default_factory=dict)
    crs_evidence: dict[str, dict[str, float]] = field(default_factory=dict)
    coordinates_by_file: dict[str, dict[str, Any]] = field(default_factory=dict)
    outside_examples: list[dict[str, Any]] = field(default_factory=list)
    crs_notes: dict[str, str] = field(default_factory=dict)
    ambiguous: int = 0
    unmatched_notes: Counter[str] = field(default_factory=Counter)
    personal_fields_dropped: list[str] = field(default_factory=list)
    months: list[str] = field(default_factory=list)

    @property
    def coordinates(self) -> dict[str, int]:
        """located / inside_beijing / outside_beijing / swapped_fixed / zero_or_null, all files."""
        keys = ("located", "inside_beijing", "outside_beijing", "swapped_fixed", "zero_or_null")
        return {k: sum(int(f[k]) for f in self.coordinates_by_file.values()) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "rows_read": self.rows_read,
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "matched_by": {
                k: int(self.matched_by.get(k, 0))
                for k in ("code", "name", "alias", "address", "point")
            },
            "unmatched": self.unmatched,
            "ambiguous": self.ambiguous,
            "unmatched_reasons": dict(self.unmatched_notes.most_common(20)),
            "coordinates": self.coordinates,
            "coordinates_by_file": self.coordinates_by_file,
            "outside_examples": self.outside_examples,
            "crs_notes": self.crs_notes,
            "conflicts": self.conflicts,
            "crs": self.crs,
            "crs_evidence": self.crs_evidence,
            "personal_fields_dropped": sorted(set(self.personal_fields_dropped)),
            "months": self.months,
        }


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[str | os.PathLike[str]],
    *,
    towns: pd.DataFrame,
    index: TownIndex,
    options: ImportOptions | None = None,
    taxonomy: Taxonomy | None = None,
    h3_resolution: int = 8,
    progress: Callable[[float, str], None] | None = None,
    gazetteer: Gazetteer | None = None,
) -> ImportReport:
    """Import ``files`` into the store in one transaction and return the report.

    Raises :class:`HeatmapError` (store unchanged) when a file cannot be read or its layout is unknown.
    """
    options = options or ImportOptions()
    taxonomy = taxonomy or load_taxonomy()
    gazetteer = gazetteer or Gazetteer(towns, former=load_former_towns())
    epsg = _declared_epsg(options.crs)
    report = ImportReport()
    say = progress or (lambda _f, _m: None)
    prepared: list[pd.DataFrame] = []
    quarantine: list[pd.DataFrame] = []
    for i, path in enumerate(files):
        name = Path(path).name
        say(i / max(len(files), 1) * 0.6, f"读取 {name}")
        raw, lines, broken = read_table(path)
        report.files.append(name)
        report.rows_read += len(raw) + len(broken)
        quarantine.append(broken)
        fields = match_headers(list(raw.columns), options.mapping, source=name)
        report.personal_fields_dropped += [f for f in PERSONAL if f in fields.values()]
        good, bad = parse_rows(raw, lines, fields, options, taxonomy, source=name)
        lon, lat, outside, coords = check_coordinates(
            good["lon"], good["lat"], lines=good["line"], epsg=epsg,
            allow_outside=options.allow_outside, source=name,
        )  # fmt: skip
        good["lon"], good["lat"] = lon, lat
        report.coordinates_by_file[name] = coords.as_dict()
        report.outside_examples += [{"file": name, **e} for e in coords.outside_examples]
        if coords.crs_note:
            report.crs_notes[name] = coords.crs_note
        crs_option = "wgs84" if epsg is not None else options.crs
        good, crs, evidence = _decide_crs(good, crs_option, gazetteer, index, outside)
        report.crs[name], report.crs_evidence[name] = crs, evidence
        prepared.append(
            canonicalize(
                good, towns=towns, index=index, source=name, h3_resolution=h3_resolution,
                gazetteer=gazetteer, outside=outside,
            )
        )  # fmt: skip
        quarantine.append(bad)
    say(0.7, "写入数据库")
    records = pd.concat(prepared, ignore_index=True) if prepared else pd.DataFrame()
    bad_rows = pd.concat(quarantine, ignore_index=True) if quarantine else pd.DataFrame()
    _write(con, records, bad_rows, report)
    say(1.0, "完成")
    return report


def read_table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The file as text cells, each row's line number in the file, and the rows that are broken.

    Broken rows (more fields than the header) are returned with their line and reason, never dropped.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    none = _quarantine_frame([], path.name)
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
            return _strip(frame), np.arange(len(frame)) + 2, none
        if suffix == ".parquet":
            frame = pd.read_parquet(path).astype("string").fillna("").astype(object)
            return _strip(frame), np.arange(len(frame)) + 1, none
        if suffix in (".csv", ".txt", ".tsv"):
            return _read_csv(path)
    except (OSError, ValueError, ImportError) as exc:
        raise HeatmapError(f"无法读取文件 {path.name}：{exc} (cannot read the file)") from exc
    raise HeatmapError(f"不支持的文件类型 {suffix!r}（{path.name}）；支持 CSV、XLSX、Parquet")


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    data = path.read_bytes()
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise HeatmapError(
            f"{path.name} 既不是 UTF-8 也不是 GBK/GB18030 编码 (unknown text encoding)"
        )
    reader = csv.reader(io.StringIO(text), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
    header = next(reader, None)
    if not header:
        raise HeatmapError(f"{path.name} 是空文件 (empty file)")
    width = len(header)
    personal = {i for i, h in enumerate(header) if _key(h) in _PERSONAL_KEYS}
    rows: list[list[str]] = []
    lines: list[int] = []
    broken: list[tuple[int, str, str]] = []
    start = reader.line_num + 1
    for row in reader:
        if not any(cell.strip() for cell in row):
            start = reader.line_num + 1
            continue
        if len(row) > width:
            kept = ["" if i in personal else cell for i, cell in enumerate(row)]
            broken.append((start, f"字段数 {len(row)} 多于表头 {width}", ",".join(kept)))
        else:
            rows.append(row + [""] * (width - len(row)))
            lines.append(start)
        start = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=[str(h) for h in header], dtype=object)
    return _strip(frame), np.asarray(lines, dtype="int64"), _quarantine_frame(broken, path.name)


def _quarantine_frame(rows: list[tuple[int, str, str]], source: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": pd.Series([source] * len(rows), dtype="object"),
            "line": pd.Series([r[0] for r in rows], dtype="int64"),
            "reason": pd.Series([r[1] for r in rows], dtype="object"),
            "raw": pd.Series([mask_personal(r[2]) for r in rows], dtype="object"),
        }
    )


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        return frame
    return frame.apply(lambda col: col.astype(str).str.strip())


def match_headers(headers: list[str], mapping: dict[str, str], *, source: str) -> dict[str, str]:
    """Header -> canonical field; an unknown layout raises with the headers seen and expected."""
    lookup = {_key(alias): name for name, aliases in HEADERS.items() for alias in aliases}
    out: dict[str, str] = {}
    for header in headers:
        target = mapping.get(header) or lookup.get(_key(header))
        if target and target not in out.values():
            out[header] = target
    missing = [f for f in REQUIRED if f not in out.values()]
    located = {"town_raw", "town_code", "lon", "address"} & set(out.values())
    if missing or not located:
        expected = (
            "、".join(HEADERS[f][0] for f in (*REQUIRED, "街乡镇/经纬度/详细地址") if f in HEADERS)
            or ""
        )
        raise HeatmapError(
            f"{source} 的表头无法识别：缺少 {missing or ['街乡镇 / 经度纬度 / 详细地址 之一']}。"
            f"读到的表头：{headers}；至少需要：工单编号、受理时间，以及街乡镇、经纬度或详细地址之一 {expected}。"
            "可用 --mapping 文件指定对应关系 (unknown layout; pass a mapping file)"
        )
    return out


def _key(header: str) -> str:
    return re.sub(r"[\s_\-（）()]", "", header).lower()


_PERSONAL_KEYS = {_key(alias) for name in PERSONAL for alias in HEADERS[name]}


def load_mapping(path: str | os.PathLike[str]) -> dict[str, str]:
    """A mapping file (TOML ``[columns]`` table or CSV ``header,field``) of header -> canonical field."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".toml":
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("columns", {})
        else:
            rows = pd.read_csv(path, dtype=str, header=None, encoding="utf-8-sig")
            table = dict(zip(rows[0], rows[1], strict=True))
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise HeatmapError(f"无法读取对应关系文件 {path}：{exc}") from exc
    unknown = sorted(set(table.values()) - set(HEADERS))
    if unknown:
        raise HeatmapError(
            f"对应关系文件 {path} 中的字段 {unknown} 未知；可用字段：{', '.join(HEADERS)}"
        )
    return {str(k): str(v) for k, v in table.items()}


def parse_rows(
    raw: pd.DataFrame,
    lines: np.ndarray,
    fields: dict[str, str],
    options: ImportOptions,
    taxonomy: Taxonomy,
    *,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Export-shaped rows (usable) and quarantine rows (with line and reason)."""
    frame = raw[list(fields)].rename(columns=fields)
    for personal in PERSONAL:
        frame = frame.drop(columns=personal, errors="ignore")
    raw_safe = raw.drop(columns=[h for h, f in fields.items() if f in PERSONAL])
    frame["line"] = lines
    reasons = pd.Series("", index=frame.index, dtype="object")
    record_id = frame["record_id"].str.strip()
    reasons[record_id == ""] = "缺少工单编号"
    received = parse_times(frame["received_at"])
    reasons[(reasons == "") & received.isna()] = "受理时间无法识别"
    out = pd.DataFrame({"record_id": record_id, "received_at": received, "line": frame["line"]})
    for col in ("channel", "request_type", "address", "town_code", "town_raw", "district_raw"):
        out[col] = frame[col].replace("", None) if col in frame else None
    out["text"] = frame["text"].map(mask_personal) if "text" in frame else None
    out["address"] = out["address"].map(lambda a: mask_personal(a) if isinstance(a, str) else a)
    out["theme"], out["problem"] = _problems(frame, taxonomy)
    lon, lat, crs_col = _coordinates(frame)
    out["lon"], out["lat"], out["src_crs"] = lon, lat, crs_col
    bad_coords = frame.get("lon", pd.Series("", index=frame.index)).ne("") & np.isnan(lon)
    out["bad_coordinates"] = bad_coords.to_numpy()
    out["dispatched"] = parse_flags(frame["dispatched"]) if "dispatched" in frame else True
    out["responded"] = parse_flags(frame["responded"]) if "responded" in frame else False
    satisfied, sat_known = parse_satisfaction(frame.get("satisfied"), options, index=frame.index)
    resolved = (
        parse_flags(frame["resolved"])
        if "resolved" in frame
        else pd.Series(False, index=frame.index)
    )
    res_known = (
        frame["resolved"].ne("") if "resolved" in frame else pd.Series(False, index=frame.index)
    )
    evaluated = parse_flags(frame["evaluated"]) if "evaluated" in frame else (sat_known | res_known)
    out["evaluated"] = evaluated & out["dispatched"]
    out["resolved"] = resolved & out["evaluated"]
    out["satisfied"] = satisfied & out["evaluated"]
    out["responded"] = out["responded"] & out["dispatched"]
    bad = reasons != ""
    quarantine = pd.DataFrame(
        {
            "source": source,
            "line": frame.loc[bad, "line"].astype("int64"),
            "reason": reasons[bad],
            "raw": [json.dumps(r, ensure_ascii=False) for r in raw_safe[bad].to_dict("records")],
        }
    )
    return out[~bad].reset_index(drop=True), quarantine.reset_index(drop=True)


def parse_times(values: pd.Series) -> pd.Series:
    """Timestamps from text in common layouts or Excel serial numbers; NaT where unreadable."""
    original = values.astype(str).str.strip()
    serial = pd.to_numeric(original, errors="coerce")
    text = original.str.replace(r"[年月/]", "-", regex=True).str.replace("日", " ", regex=False)
    for unit, sep in (("时", ":"), ("分", ":"), ("秒", "")):
        text = text.str.replace(unit, sep, regex=False)
    text = text.str.strip().str.rstrip(":-")
    out = pd.to_datetime(text, errors="coerce", format="mixed")
    compact = text.str.fullmatch(r"\d{14}|\d{12}|\d{8}")
    if compact.any():
        out[compact] = pd.to_datetime(
            text[compact].str.pad(14, "right", "0"), format="%Y%m%d%H%M%S", errors="coerce"
        )
    excel = serial.between(20_000, 80_000) & ~compact
    if excel.any():
        out[excel] = pd.Timestamp("1899-12-30") + pd.to_timedelta(serial[excel], unit="D")
    plausible = out.between(pd.Timestamp("2000-01-01"), pd.Timestamp.now() + pd.Timedelta(days=1))
    return out.where(plausible)


def parse_flags(values: pd.Series) -> pd.Series:
    """是/否, 1/0, true/false, 已响应/未响应 … to bool (anything else False)."""
    text = values.astype(str).str.strip().str.lower()
    return text.isin(_TRUE)


def parse_satisfaction(
    values: pd.Series | None, options: ImportOptions, *, index: pd.Index | None = None
) -> tuple[pd.Series, pd.Series]:
    """(satisfied, answered) from 是/否, 满意/基本满意/不满意 or a 1–5 score."""
    if values is None:
        none = pd.Series(False, index=index, dtype=bool)
        return none, none
    text = values.astype(str).str.strip()
    score = pd.to_numeric(text, errors="coerce")
    is_score = score.between(1, 5) & ~text.isin(["0", "1"])
    satisfied = text.isin(options.satisfied_values) | parse_flags(text)
    satisfied = satisfied.where(~is_score, score >= options.satisfied_min_score)
    return satisfied.astype(bool), text.ne("")


def mask_personal(text: Any) -> Any:
    """Phone numbers in free text masked (138****5678); landlines keep only the area code."""
    if not isinstance(text, str):
        return text
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1) or ''}{'*' * 7}", text)


def _problems(frame: pd.DataFrame, taxonomy: Taxonomy) -> tuple[pd.Series, pd.Series]:
    """Theme and problem from the export's category (levels split on > / ／ -), else the text classifier."""
    names = {p.name: p.theme for p in taxonomy.problems}
    def from_category(cat: str) -> str | None:
        levels = [s.strip() for s in re.split(r"[>／/\-|]", str(cat)) if s.strip()]
        return next((lvl for lvl in reversed(levels) if lvl in names), None)

    if "category" in frame:
        problem = frame["category"].map(from_category).astype("object")
    else:
        problem = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    missing = problem.isna()
    if missing.any() and "text" in frame:
        problem[missing] = _classify(frame.loc[missing, "text"], taxonomy)
    problem = problem.where(problem.isin(list(names)), "其他" if "其他" in names else None)
    return problem.map(names), problem


def _classify(texts: pd.Series, taxonomy: Taxonomy) -> pd.Series:
    try:
        from heatmap.intake.classify import classify  # the keyword classifier (每月一题 issue)
    except ImportError:
        return pd.Series([None] * len(texts), index=texts.index, dtype="object")
    return classify(texts)


def _coordinates(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Numeric lon/lat (NaN when missing or unreadable; sanity is checked per file later) and the
    per-row system if given."""
    empty = pd.Series(np.nan, index=frame.index)
    lon = pd.to_numeric(frame.get("lon", empty), errors="coerce").to_numpy("float64", copy=True)
    lat = pd.to_numeric(frame.get("lat", empty), errors="coerce").to_numpy("float64", copy=True)
    aliases = {"gcj-02": "gcj02", "bd-09": "bd09", "wgs-84": "wgs84", "cgcs2000": "wgs84"}
    if "src_crs" in frame:
        crs = frame["src_crs"].str.lower().map(lambda v: aliases.get(v, v) if v else None)
    else:
        crs = pd.Series([None] * len(frame), dtype="object")
    return lon, lat, crs.reset_index(drop=True)


def _declared_epsg(crs: str) -> int | None:
    """The EPSG number of ``--crs EPSG:NNNN``; None for auto / wgs84 / gcj02 / bd09."""
    if crs in ("auto", *CRS_NAMES):
        return None
    epsg = parse_epsg(crs)
    if epsg is None:
        raise HeatmapError(
            f"--crs 应为 auto / wgs84 / gcj02 / bd09 或 EPSG:NNNN（如 EPSG:4527、EPSG:3857），"
            f"收到 {crs!r} (unknown coordinate system)"
        )
    return epsg


def _decide_crs(
    rows: pd.DataFrame,
    requested: str,
    gazetteer: Gazetteer,
    index: TownIndex,
    outside: np.ndarray,
) -> tuple[pd.DataFrame, str, dict[str, float]]:
    """Fill the coordinate system: per-row column, else ``requested``, else (auto) the system that puts
    the most named points inside their named town (the evidence: agreement share per system)."""
    has_point = np.isfinite(rows["lon"].to_numpy("float64")) & ~outside
    unset = rows["src_crs"].isna() & has_point
    if requested != "auto":
        rows.loc[unset, "src_crs"] = requested
        return rows, requested, {}
    if not unset.any():
        given = sorted(rows["src_crs"].dropna().unique())
        return rows, "per-row" if len(given) > 1 else (given[0] if given else "none"), {}
    located = np.flatnonzero(has_point)[:_CRS_SAMPLE * 3]  # names are read for a sample only
    named = _named_towns(rows.iloc[located], gazetteer).to_numpy()
    keep = pd.notna(named)
    sample, named = located[keep][:_CRS_SAMPLE], named[keep][:_CRS_SAMPLE]
    evidence: dict[str, float] = {}
    if len(sample):
        lon = rows["lon"].to_numpy("float64")[sample]
        lat = rows["lat"].to_numpy("float64")[sample]
        for crs in CRS_NAMES:
            x, y = (lon, lat) if crs == "wgs84" else to_wgs84(lon, lat, crs)
            evidence[crs] = round(float(np.mean(index.lookup(x, y) == named)), 4)
    best = max(evidence, key=lambda k: evidence[k]) if evidence else "wgs84"  # ties: WGS84 first
    rows.loc[unset, "src_crs"] = best
    return rows, best, evidence


def _named_towns(rows: pd.DataFrame, gazetteer: Gazetteer) -> pd.Series:
    """The town each row names by code or name alone (None where absent or not one town)."""
    out = pd.Series([None] * len(rows), index=rows.index, dtype="object")
    keys = rows[["town_code", "town_raw", "district_raw"]].astype("object")
    cache: dict[tuple[Any, Any, Any], str | None] = {}
    for i, (code, town, district) in zip(rows.index, keys.itertuples(index=False), strict=True):
        key = (code, town, district)
        if key not in cache:
            where = district if isinstance(district, str) else None
            found = gazetteer.resolve(code, district=where) if isinstance(code, str) else None
            if (found is None or not found.ok) and isinstance(town, str):
                found = gazetteer.resolve(town, district=where)
            cache[key] = found.code if found is not None else None
        out[i] = cache[key]
    return out


def _write(
    con: duckdb.DuckDBPyConnection, records: pd.DataFrame, bad: pd.DataFrame, report: ImportReport
) -> None:
    """One transaction: new records inserted, changed ones replaced, quarantine kept, aggregates refreshed."""
    report.quarantined = len(bad)
    report.quarantine_reasons.update(bad["reason"].tolist() if len(bad) else [])
    if records.empty and bad.empty:
        return
    # within the files: the last row of an id wins; identical repeats are duplicates
    records = records.drop_duplicates("record_id", keep="last").reset_index(drop=True)
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_incoming_ids", records[["record_id", "content_hash"]])
        existing = con.execute(
            """SELECT i.record_id, r.content_hash = i.content_hash AS same, strftime(r.month, '%Y-%m') AS month
            FROM _incoming_ids i JOIN records r USING (record_id)"""
        ).df()
        con.unregister("_incoming_ids")
        same = set(existing.loc[existing["same"], "record_id"])
        changed = existing.loc[~existing["same"]]
        fresh = records[~records["record_id"].isin(same)]
        if len(changed):
            con.register("_changed", changed[["record_id"]])
            con.execute("DELETE FROM records WHERE record_id IN (SELECT record_id FROM _changed)")
            con.unregister("_changed")
        store.append_records(con, fresh)
        if len(bad):  # a row quarantined by an earlier import of the same file is kept once
            con.register("_bad", bad.assign(loaded_at=pd.Timestamp.now())[list(_QUARANTINE)])
            con.execute(
                """INSERT INTO quarantine SELECT * FROM _bad b WHERE NOT EXISTS (
                SELECT 1 FROM quarantine q WHERE q.source = b.source AND q.line = b.line
                AND q.reason = b.reason AND q.raw = b.raw)"""
            )
            con.unregister("_bad")
        months = sorted(set(fresh["month"].dt.strftime("%Y-%m")) | set(changed["month"]))
        store.refresh_aggregates(con, months)
        report.updated = len(changed)
        report.imported = len(fresh) - len(changed)
        report.duplicates = report.rows_read - report.quarantined - report.imported - report.updated
        report.matched_by.update(fresh["assign_method"].tolist())
        report.unmatched = int(fresh["assign_method"].isin(["none", "ambiguous"]).sum())
        report.ambiguous = int((fresh["assign_method"] == "ambiguous").sum())
        notes = fresh.loc[fresh["town_code"].isna(), "assign_note"]
        report.unmatched_notes.update(notes.fillna("无街乡镇、地址或坐标信息").tolist())
        report.conflicts = int(fresh["point_town_code"].notna().sum())
        report.months = months
        con.execute(
            "INSERT INTO imports VALUES (?, ?, ?)",
            [
                pd.Timestamp.now(),
                json.dumps(report.files, ensure_ascii=False),
                json.dumps(report.as_dict(), ensure_ascii=False),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
