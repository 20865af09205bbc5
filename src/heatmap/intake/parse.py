"""Match an export's headers to the canonical fields and parse its text cells into export-shaped rows.

Values are parsed once per distinct value (dates, flags, satisfaction, categories, coordinate
systems) by the same rules, value by value; plain decimals and ``YYYY-MM-DD hh:mm:ss`` times are
read by Arrow, which reads them exactly as those rules do; personal data are masked
(:mod:`heatmap.intake.privacy`) in every free-text column kept and in the quarantined rows, only
in the cells its prefilter finds. ``tests/intake/test_reading.py`` holds the proof: the same rows
as the row-by-row import on generated hostile exports.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from heatmap.errors import HeatmapError, LayoutError
from heatmap.intake import privacy
from heatmap.taxonomy import Taxonomy

#: Canonical field -> header names seen in real exports (matched after removing spaces, case-insensitive).
#: Where several headers of a file name one field, the one listed first here is taken (创建时间
#: before 派单时间).
HEADERS: dict[str, tuple[str, ...]] = {
    "record_id": (
        "工单编号", "工单号", "工单编码", "工单id", "诉求编号", "受理编号", "编号", "record_id",
        "ticket_id", "id",
    ),
    "seq": ("序号", "行号", "no"),
    "received_at": (
        "受理时间", "来电时间", "创建时间", "登记时间", "工单创建时间", "派单时间", "received_at",
        "created_at", "time",
    ),
    "channel": ("来电渠道", "渠道", "诉求渠道", "来源渠道", "channel", "source"),
    "request_type": ("诉求类型", "工单类型", "request_type", "type"),
    "category": ("问题分类", "诉求分类", "分类", "问题类别", "分类路径", "category"),
    "category_1": ("一级分类", "一级类别", "一级问题分类", "一级诉求分类", "category_1"),
    "category_2": ("二级分类", "二级类别", "二级问题分类", "二级诉求分类", "category_2"),
    "category_3": ("三级分类", "三级类别", "三级问题分类", "三级诉求分类", "category_3"),
    "text": (
        "诉求内容", "主要内容", "工单内容", "内容", "问题描述", "诉求描述", "反映内容", "来电内容",
        "text", "content",
    ),
    "district_raw": ("所属区", "区", "行政区", "所属区县", "被反映区", "所在区", "district"),
    "town_raw": (
        "街乡镇", "被反映街乡镇", "所属街乡镇", "反映街乡镇", "所在街乡镇", "街乡镇名称", "街道",
        "乡镇", "街道乡镇", "town", "street",
    ),
    "town_code": ("街乡镇代码", "街道代码", "街乡镇编码", "town_code"),
    "community": (
        "社区", "所在村社区", "社区（村）", "社区村", "村社区", "村（社区）", "所在社区", "所属社区",
        "村居", "community",
    ),
    "address": (
        "详细地址", "地址", "事发地址", "诉求地址", "被反映地址", "事发地点", "问题地址", "address",
    ),
    "lon": ("经度", "lon", "lng", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "src_crs": ("坐标系", "坐标系统", "crs"),
    "unit": ("承办单位", "一级承办单位", "承办部门", "主办单位", "unit"),
    "unit2": ("二级承办单位简称", "二级承办单位", "二级承办单位名称", "承办单位简称", "unit2"),
    "dispatched": ("是否派单", "派单", "dispatched"),
    "responded": ("是否响应", "响应", "responded"),
    "evaluated": ("是否回访", "回访", "evaluated"),
    "resolved": ("是否解决", "解决", "resolved"),
    "satisfied": ("是否满意", "满意度", "满意", "satisfied", "satisfaction"),
    "closed_at": ("办结时间", "closed_at"),
    "phone": ("来电号码", "联系电话", "电话", "手机号", "手机", "phone"),
    "name": ("姓名", "来电人", "联系人", "name"),
}  # fmt: skip
PERSONAL = ("phone", "name")
REQUIRED = ("record_id", "received_at")
#: Columns any of which lets the import find a record's town (in the order of
#: :func:`heatmap.intake.records.assign_towns`).
LOCATING = ("town_raw", "town_code", "address", "text", "unit2", "unit", "lon")
#: The category levels, joined with ``>`` into one category path.
CATEGORY_LEVELS = ("category_1", "category_2", "category_3")
_TRUE = {"是", "1", "true", "t", "y", "yes", "已响应", "已解决", "满意", "已派单", "已回访", "√"}
_FALSE = {"否", "0", "false", "f", "n", "no", "未响应", "未解决", "不满意", "未派单", "未回访", "×"}
#: Values that say "no value" (不详, 无, 未知, —, 空, N/A …): missing, never a name or an alias.
PLACEHOLDERS = frozenset(
    {"不详", "无", "未知", "—", "——", "-", "--", "－", "空", "n/a", "na", "null", "none", "nan",
     "暂无", "/", "不明", "无数据", "未填", "未填写", "?", "？", "#n/a", "（空）", "(空)"}
)  # fmt: skip
#: Columns naming a place or a unit, where a placeholder is a missing value.
PLACE_COLUMNS = (
    "town_code", "town_raw", "district_raw", "address", "community", "unit", "unit2",
)  # fmt: skip
#: Text columns kept beside the canonical ones: the community (stored) and the handling units
#: (a clue to the town, not stored).
KEPT_TEXT = ("community", "unit", "unit2")
#: Free-text columns masked for personal data (every kept column that is not a code, a number,
#: a time or a flag).
FREE_TEXT = (
    "text", "address", "town_raw", "district_raw", "channel", "request_type", "category_path",
    *KEPT_TEXT,
)  # fmt: skip
_ISO_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
_DECIMAL = r"^[0-9]{1,15}(\.[0-9]+)?$"  # read alike by Arrow and pandas, to the last bit


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file. ``satisfied_values`` and ``satisfied_min_score`` are settings (assumptions)."""

    crs: str = "auto"  # auto / wgs84 / gcj02 / bd09 / EPSG:NNNN (projected or geographic)
    allow_outside: bool = False  # import a file whose points mostly fall outside Beijing
    mapping: dict[str, str] = field(default_factory=dict)  # header -> canonical field
    satisfied_values: tuple[str, ...] = ("满意", "基本满意", "非常满意")
    satisfied_min_score: int = 4  # on a 1–5 score
    resolved_values: tuple[str, ...] = ("是", "已解决", "解决", "1", "true")
    #: category path or level -> problem (None: ``config/category_map.toml``)
    category_map: dict[str, str] | None = None


# --------------------------------------------------------------------------- headers


def match_headers(headers: list[str], mapping: dict[str, str], *, source: str) -> dict[str, str]:
    """Header -> canonical field; an unknown layout raises :class:`LayoutError` naming every
    field the import needs that is missing, and the headers seen."""
    rank = {
        _key(alias): (name, i)
        for name, aliases in HEADERS.items()
        for i, alias in enumerate(aliases)
    }
    best: dict[str, tuple[int, str]] = {}  # field -> (rank, header)
    for header in headers:
        if header in mapping:
            found: tuple[str, int] | None = (mapping[header], -1)
        else:
            found = rank.get(_key(header))
        if found and (found[0] not in best or found[1] < best[found[0]][0]):
            best[found[0]] = (found[1], header)
    out = {
        header: name
        for name, (_, header) in sorted(best.items(), key=lambda kv: headers.index(kv[1][1]))
    }
    _check_layout(headers, set(out.values()), source)
    return out


def _check_layout(headers: list[str], fields: set[str], source: str) -> None:
    """Raise :class:`LayoutError` naming every missing field the import needs."""
    missing = []
    if "record_id" not in fields and "text" not in fields:  # an id is made from time and text
        missing.append("工单编号（工单编号/工单号/诉求编号；无编号时由受理时间与诉求内容生成）")
    if "received_at" not in fields:
        missing.append("受理时间（受理时间/来电时间/创建时间/派单时间）")
    if not set(LOCATING) & fields:
        missing.append(
            "街乡镇或可定位的列（街乡镇/被反映街乡镇、街乡镇代码、详细地址、诉求内容/主要内容、"
            "承办单位/二级承办单位简称、经度纬度）"
        )
    if missing and "text" not in fields:
        missing.append("诉求内容（诉求内容/主要内容）")
    if missing:
        raise LayoutError(
            f"{source} 的表头无法识别：缺少 {'；'.join(missing)}。读到的表头：{headers}。"
            "可用 --mapping 文件指定对应关系，或改表头后重新导入；未写入任何数据 "
            "(unknown layout: the missing fields are named above; pass a mapping file)",
            missing=missing,
            seen=headers,
        )


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


# --------------------------------------------------------------------------- parsing


def parse_rows(
    raw: pd.DataFrame,
    lines: np.ndarray,
    fields: dict[str, str],
    options: ImportOptions,
    taxonomy: Taxonomy,
    *,
    source: str,
    masked: Counter[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Export-shaped rows (usable) and quarantine rows (with line and reason).

    Personal data in the free-text columns (:data:`FREE_TEXT`) and in the quarantined rows are
    masked by :mod:`heatmap.intake.privacy`; ``masked`` (when given) is increased by the count
    of each kind masked.
    """
    counts: Counter[str] = Counter() if masked is None else masked
    frame = raw[list(fields)].rename(columns=fields)
    for personal in PERSONAL:
        frame = frame.drop(columns=personal, errors="ignore")
    frame["line"] = lines
    if any(level in frame for level in CATEGORY_LEVELS):
        frame["category"] = category_paths(frame)
    record_id = frame["record_id"].str.strip() if "record_id" in frame else made_ids(frame)
    received = parse_times(frame["received_at"])
    no_id = (record_id == "").to_numpy(dtype=bool)
    bad = no_id | received.isna().to_numpy(dtype=bool)
    out = pd.DataFrame({"record_id": record_id, "received_at": received, "line": frame["line"]})
    for col in ("channel", "request_type", "address", "town_code", "town_raw", "district_raw"):
        out[col] = frame[col].replace("", None) if col in frame else None
    for col, name in (("category_path", "category"), *((c, c) for c in KEPT_TEXT)):
        out[col] = frame[name].replace("", None) if name in frame else None
    for col in PLACE_COLUMNS:
        out[col] = without_placeholders(out[col])
    free = [c for c in FREE_TEXT if c != "text" and out[c].notna().any()]
    usable = ~bad if bad.any() else slice(None)  # the quarantine masks (and counts) its own rows
    with ThreadPoolExecutor(max_workers=1) as pool:  # Arrow's scans for digits run beside the rest
        text = pool.submit(privacy.mask_column, frame["text"][usable]) if "text" in frame else None
        columns = [out[c][usable] for c in free]  # (taken here: ``out`` grows meanwhile)
        others = pool.submit(lambda: [privacy.mask_column(c) for c in columns])
        out["text"] = None  # (filled below; the columns keep their order)
        _flags_and_values(frame, out, options, taxonomy)
        if text is not None:
            out["text"], found = text.result()
            counts.update(found)
        for col, (values, found) in zip(free, others.result(), strict=True):
            out[col] = values
            counts.update(found)
    quarantine = _quarantine(raw, fields, frame, bad, no_id, source, counts)
    return (out[~bad] if bad.any() else out).reset_index(drop=True), quarantine


def without_placeholders(values: pd.Series) -> pd.Series:
    """``values`` with every placeholder (:data:`PLACEHOLDERS`, any width or case) made missing."""
    if not isinstance(values, pd.Series) or not values.notna().any():
        return values

    def placeholder(v: pd.Series) -> pd.Series:
        key = v.astype("object").where(v.notna(), "").astype(str)
        return key.str.normalize("NFKC").str.strip().str.lower().isin(PLACEHOLDERS)

    found = by_value(values, placeholder).to_numpy(dtype=bool)  # each distinct value once
    return values.where(~found, None) if found.any() else values


def category_paths(frame: pd.DataFrame) -> pd.Series:
    """The levels 一级/二级/三级分类 joined ``一级>二级>三级`` (empty levels left out); where no
    level is given, the one-column category (if any)."""
    levels = [frame[c].fillna("").astype(str).str.strip() for c in CATEGORY_LEVELS if c in frame]
    joined = levels[0]
    for level in levels[1:]:
        joined = joined.str.cat(level, sep=">")
    joined = joined.str.replace(r">{2,}", ">", regex=True).str.strip(">")
    if "category" in frame:
        joined = joined.where(joined != "", frame["category"].fillna("").astype(str))
    return joined


def made_ids(frame: pd.DataFrame) -> pd.Series:
    """Record ids for an export without 工单编号: ``H`` and 16 hex digits of a hash of the time,
    text, town, community and address as written ('' where the text is empty: no id)."""
    parts = [c for c in ("received_at", "text", "town_raw", "community", "address") if c in frame]
    hashed = pd.util.hash_pandas_object(frame[parts].astype(str), index=False).to_numpy()
    ids = pd.Series([f"H{h:016x}" for h in hashed], index=frame.index, dtype=frame["text"].dtype)
    return ids.where(frame["text"].str.strip() != "", "")


def _flags_and_values(
    frame: pd.DataFrame, out: pd.DataFrame, options: ImportOptions, taxonomy: Taxonomy
) -> None:
    """Theme and problem, coordinates, and the five flags of ``frame`` into ``out``."""
    out["theme"], out["problem"] = _problems(frame, taxonomy, options.category_map)
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


def _quarantine(
    raw: pd.DataFrame,
    fields: dict[str, str],
    frame: pd.DataFrame,
    bad: np.ndarray,
    no_id: np.ndarray,
    source: str,
    counts: Counter[str],
) -> pd.DataFrame:
    """Rows without an id or a readable time, with line, reason and the row (personal fields out,
    personal data in every other cell masked and counted into ``counts``)."""
    rows = np.flatnonzero(bad)
    picked = raw.iloc[rows] if len(rows) else raw.iloc[:0]  # (a take copies every column)
    raw_safe = picked.drop(columns=[h for h, f in fields.items() if f in PERSONAL])
    if len(raw_safe):
        raw_safe = raw_safe.astype("object")
        for col in raw_safe.columns:
            values, found = privacy.mask_values(raw_safe[col].tolist())
            raw_safe[col] = pd.Series(values, index=raw_safe.index, dtype="object")
            counts.update(found)
    reason = np.where(no_id[rows], "缺少工单编号", "受理时间无法识别")
    quarantine = pd.DataFrame(
        {
            "source": source,
            "line": frame["line"].iloc[rows].astype("int64"),
            "reason": pd.Series(reason, index=frame.index[rows], dtype="object"),
            "raw": [json.dumps(r, ensure_ascii=False) for r in raw_safe.to_dict("records")],
        }
    )
    return quarantine.reset_index(drop=True)


def by_value(values: pd.Series, parse: Callable[[pd.Series], Any]) -> Any:
    """``parse(values)`` computed once per distinct value: ``parse`` must work value by value.

    ``parse`` returns a Series or a tuple of Series over its argument; the same comes back over
    ``values`` (same index), each distinct value parsed once.
    """
    codes, uniques = _distinct(values)
    if len(uniques) == len(values):
        return parse(values)
    found = parse(uniques)
    if isinstance(found, tuple):
        return tuple(_spread(c, codes, values) for c in found)
    return _spread(found, codes, values)


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each value's position among the distinct values, and those (same dtype, NA included)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, pd.Series(uniques, dtype=values.dtype)


def _spread(found: pd.Series, codes: np.ndarray, values: pd.Series) -> pd.Series:
    """Per-distinct results back over the rows of ``values``."""
    taken = found.array.take(codes)
    return pd.Series(taken, index=values.index, name=values.name, dtype=found.dtype, copy=False)


def parse_times(values: pd.Series) -> pd.Series:
    """Timestamps from text in common layouts or Excel serial numbers; NaT where unreadable.

    Values written ``YYYY-MM-DD hh:mm:ss`` (an export's usual layout) are read by Arrow's ISO 8601
    reader, the others once per distinct value by :func:`_parse_times`; both read them alike.
    """
    if isinstance(values.dtype, pd.StringDtype) and len(values):
        text = pa.array(values.array)
        if pc.all(pc.match_substring_regex(text, _ISO_TIME).fill_null(False)).as_py():
            found = _iso_times(text, values)
            if found is not None:
                return found
    return by_value(values, _parse_times_fast)


def _iso_times(text: pa.Array | pa.ChunkedArray, values: pd.Series) -> pd.Series | None:
    """Arrow's reading of ``YYYY-MM-DD hh:mm:ss`` values, None when it refuses one.

    It refuses what :func:`_parse_times` leaves unread (February 30, hour 24, a 60th second,
    year 0), and reads every other value to the same microsecond.
    """
    try:
        stamps = pc.cast(text, pa.timestamp("us"))
    except pa.ArrowInvalid:
        return None
    out = pd.Series(stamps.to_numpy(zero_copy_only=False), index=values.index, name=values.name)
    return out.where(_plausible(out))


def _parse_times_fast(values: pd.Series) -> pd.Series:
    if not isinstance(values.dtype, pd.StringDtype) or values.empty:
        return _parse_times(values)
    text = pa.array(values.array)
    iso = pc.match_substring_regex(text, _ISO_TIME).fill_null(False).to_numpy(zero_copy_only=False)
    fixed = _iso_times(text.filter(pa.array(iso)), values[iso]) if iso.any() else None
    if fixed is None:
        return _parse_times(values)
    if iso.all():
        return fixed
    rest = _parse_times(values[~iso])  # the other layouts by the rules
    merged = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]", name=values.name)
    merged[~iso] = rest.to_numpy()
    merged[iso] = fixed.to_numpy()
    return merged


def _plausible(times: pd.Series) -> pd.Series:
    return times.between(pd.Timestamp("2000-01-01"), pd.Timestamp.now() + pd.Timedelta(days=1))


def _parse_times(values: pd.Series) -> pd.Series:
    """Value by value: each layout tried in turn (see :func:`parse_times`).

    Always in microseconds (what the store keeps), whatever the layouts of the values beside;
    an Excel serial number is taken to the nearest second (its float carries noise below that,
    and a time written as text in the same export has whole seconds).
    """
    original = values.astype(str).str.strip()
    serial = pd.to_numeric(original, errors="coerce")
    text = original.str.replace(r"[年月/]", "-", regex=True).str.replace("日", " ", regex=False)
    for unit, sep in (("时", ":"), ("分", ":"), ("秒", "")):
        text = text.str.replace(unit, sep, regex=False)
    text = text.str.strip().str.rstrip(":-")
    out = pd.to_datetime(text, errors="coerce", format="mixed").astype("datetime64[us]")
    compact = text.str.fullmatch(r"\d{14}|\d{12}|\d{8}")
    if compact.any():
        out[compact] = pd.to_datetime(
            text[compact].str.pad(14, "right", "0"), format="%Y%m%d%H%M%S", errors="coerce"
        ).astype("datetime64[us]")
    excel = serial.between(20_000, 80_000) & ~compact
    if excel.any():
        seconds = (serial[excel] * 86_400).round()
        out[excel] = (EXCEL_EPOCH + pd.to_timedelta(seconds, unit="s")).astype("datetime64[us]")
    return out.where(_plausible(out))


#: Day 0 of Excel's serial dates (1900 system, with its leap-year bug: serials from 61 on).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def parse_flags(values: pd.Series) -> pd.Series:
    """是/否, 1/0, true/false, 已响应/未响应 … to bool (anything else False)."""
    return by_value(values, _flags)


def _flags(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.lower()
    return text.isin(_TRUE)


def parse_satisfaction(
    values: pd.Series | None, options: ImportOptions, *, index: pd.Index | None = None
) -> tuple[pd.Series, pd.Series]:
    """(satisfied, answered) from 是/否, 满意/基本满意/不满意 or a 1–5 score."""
    if values is None:
        none = pd.Series(False, index=index, dtype=bool)
        return none, none

    def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = values.astype(str).str.strip()
        score = pd.to_numeric(text, errors="coerce")
        is_score = score.between(1, 5) & ~text.isin(["0", "1"])
        satisfied = text.isin(options.satisfied_values) | _flags(text)
        satisfied = satisfied.where(~is_score, score >= options.satisfied_min_score)
        return satisfied.astype(bool), text.ne("")

    found: tuple[pd.Series, pd.Series] = by_value(values, parse)
    return found


def mask_personal(text: Any) -> Any:
    """Personal data in free text masked (:func:`heatmap.intake.privacy.mask_text`); other
    values as they are."""
    if not isinstance(text, str):
        return text
    return privacy.mask_text(text)[0]


def mask_column(values: pd.Series) -> pd.Series:
    """``values.map(mask_personal)``, reading only the cells the privacy prefilter finds."""
    return privacy.mask_column(values)[0]


#: The editable category mapping shipped with the package.
CATEGORY_MAP = Path(__file__).parents[1] / "config" / "category_map.toml"


def load_category_map(
    path: str | os.PathLike[str] | None = None, *, taxonomy: Taxonomy | None = None
) -> dict[str, str]:
    """The category mapping (``[paths]`` of a TOML file: path or level -> problem), each problem
    checked against ``taxonomy`` when given."""
    path = Path(path) if path is not None else CATEGORY_MAP
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("paths", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HeatmapError(f"无法读取分类对应文件 {path}：{exc}") from exc
    if taxonomy is not None:
        known = {p.name for p in taxonomy.problems}
        unknown = sorted({str(v) for v in table.values()} - known)
        if unknown:
            raise HeatmapError(
                f"分类对应文件 {path} 指向未知的问题 {unknown}；应为 taxonomy.toml 中的问题名称 "
                "(unknown problems in the category map)"
            )
    return {str(k).strip(): str(v) for k, v in table.items()}


def map_category(path: object, names: Any, mapping: dict[str, str]) -> str | None:
    """The problem a category path names: the whole path in ``mapping``, else each level from
    the last, a problem's own name or a level in ``mapping``; None when nothing fits."""
    text = str(path).strip() if isinstance(path, str) else ""
    if not text:
        return None
    levels = [s.strip() for s in re.split(r"[>／/\-|]", text) if s.strip()]
    whole = ">".join(levels)
    if whole in mapping:
        return mapping[whole]
    for level in reversed(levels):
        if level in names:
            return level
        if level in mapping:
            return mapping[level]
    return None


def _problems(
    frame: pd.DataFrame, taxonomy: Taxonomy, mapping: dict[str, str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Theme and problem from the export's category (levels split on > / ／ -, looked up in the
    category mapping), else the text classifier."""
    names = {p.name: p.theme for p in taxonomy.problems}
    mapping = load_category_map() if mapping is None else mapping

    def from_category(cat: str) -> str | None:
        return map_category(cat, names, mapping)

    other = "其他" if "其他" in names else None

    def finish(problem: pd.Series) -> tuple[pd.Series, pd.Series]:
        problem = problem.where(problem.isin(list(names)), other)
        return problem.map(names), problem

    if "category" in frame:
        codes, categories = _distinct(frame["category"])
        per_category = categories.map(from_category).astype("object")
        if "text" not in frame or not per_category.isna().any():  # the category says it all
            theme, problem = finish(per_category)
            return _spread(theme, codes, frame["category"]), _spread(
                problem, codes, frame["category"]
            )
        problem = _spread(per_category, codes, frame["category"])
    else:
        problem = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    missing = problem.isna()
    if missing.any() and "text" in frame:
        problem[missing] = _classify(frame.loc[missing, "text"], taxonomy)
    found: tuple[pd.Series, pd.Series] = by_value(problem, finish)
    return found


def _classify(texts: pd.Series, taxonomy: Taxonomy) -> pd.Series:
    try:
        from heatmap.intake.classify import classify  # the keyword classifier (每月一题 issue)
    except ImportError:
        return pd.Series([None] * len(texts), index=texts.index, dtype="object")
    return classify(texts)


def _coordinates(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Numeric lon/lat (NaN when missing or unreadable; sanity is checked per file later) and the
    per-row system if given."""
    lon = _numbers(frame["lon"]) if "lon" in frame else np.full(len(frame), np.nan)
    lat = _numbers(frame["lat"]) if "lat" in frame else np.full(len(frame), np.nan)
    aliases = {"gcj-02": "gcj02", "bd-09": "bd09", "wgs-84": "wgs84", "cgcs2000": "wgs84"}
    if "src_crs" in frame:
        crs = by_value(
            frame["src_crs"],
            lambda v: v.str.lower().map(lambda c: aliases.get(c, c) if c else None),
        )
    else:
        crs = pd.Series([None] * len(frame), dtype="object")
    return lon, lat, crs.reset_index(drop=True)


def _numbers(values: pd.Series) -> np.ndarray:
    """``pd.to_numeric(values, errors="coerce")`` as float64; plain decimals read by Arrow."""
    if not isinstance(values.dtype, pd.StringDtype):
        return pd.to_numeric(values, errors="coerce").to_numpy("float64", copy=True)
    text = pa.array(values.array)
    plain = pc.match_substring_regex(text, _DECIMAL).fill_null(False)
    out = np.full(len(values), np.nan)
    rows = plain.to_numpy(zero_copy_only=False)
    out[rows] = pc.cast(text.filter(plain), pa.float64()).to_numpy(zero_copy_only=False)
    if not rows.all():
        other = values[~rows]
        out[~rows] = by_value(other, lambda v: pd.to_numeric(v, errors="coerce")).to_numpy(
            "float64"
        )
    return out
