"""The import's reading, parsing and town assignment as they were, kept as the reference to equal.

A verbatim copy of ``heatmap.intake.ingest`` (``read_table`` … ``_coordinates``) and of
``heatmap.intake.records.assign_towns`` before the reading moved to Arrow, the parsing went per
distinct value and the assignment to numpy (csv module row by row, ``Series.map`` per row,
masked writes to Series): the tests compare the two on generated hostile files, cell by cell and
dtype by dtype.

One rule changed since the copy (issue 23): personal data are masked by
:func:`heatmap.intake.privacy.mask_text`, cell by cell, in every free-text column kept and in
every cell of a quarantined row (it was phone numbers in the text and address only).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from heatmap.errors import HeatmapError
from heatmap.geo.names import Gazetteer, Resolution, district_codes, in_district
from heatmap.intake.parse import (
    _PERSONAL_KEYS,
    CATEGORY_LEVELS,
    FREE_TEXT,
    KEPT_TEXT,
    PERSONAL,
    ImportOptions,
    _key,
    category_paths,
    made_ids,
)
from heatmap.intake.privacy import mask_text
from heatmap.intake.records import _codes, _row
from heatmap.taxonomy import Taxonomy

_TRUE = {"是", "1", "true", "t", "y", "yes", "已响应", "已解决", "满意", "已派单", "已回访", "√"}


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
    frame = pd.DataFrame(
        {
            "source": pd.Series([source] * len(rows), dtype="object"),
            "line": pd.Series([r[0] for r in rows], dtype="int64"),
            "reason": pd.Series([r[1] for r in rows], dtype="object"),
            "raw": pd.Series([mask_personal(r[2]) for r in rows], dtype="object"),
        }
    )
    frame.attrs["personal_masked"] = dict(_count(pd.Series([r[2] for r in rows], dtype="object")))
    return frame


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        return frame
    return frame.apply(lambda col: col.astype(str).str.strip())


def parse_rows(
    raw: pd.DataFrame,
    lines: np.ndarray,
    fields: dict[str, str],
    options: ImportOptions,
    taxonomy: Taxonomy,
    *,
    source: str,
    masked: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Export-shaped rows (usable) and quarantine rows (with line and reason)."""
    frame = raw[list(fields)].rename(columns=fields)
    for personal in PERSONAL:
        frame = frame.drop(columns=personal, errors="ignore")
    raw_safe = raw.drop(columns=[h for h, f in fields.items() if f in PERSONAL])
    frame["line"] = lines
    if any(level in frame for level in CATEGORY_LEVELS):  # (issue 23: layouts of real exports)
        frame["category"] = category_paths(frame)
    reasons = pd.Series("", index=frame.index, dtype="object")
    record_id = frame["record_id"].str.strip() if "record_id" in frame else made_ids(frame)
    reasons[record_id == ""] = "缺少工单编号"
    received = parse_times(frame["received_at"])
    reasons[(reasons == "") & received.isna()] = "受理时间无法识别"
    out = pd.DataFrame({"record_id": record_id, "received_at": received, "line": frame["line"]})
    for col in ("channel", "request_type", "address", "town_code", "town_raw", "district_raw"):
        out[col] = frame[col].replace("", None) if col in frame else None
    for col, name in (("category_path", "category"), *((c, c) for c in KEPT_TEXT)):
        out[col] = frame[name].replace("", None) if name in frame else None
    out["text"] = frame["text"].map(mask_personal) if "text" in frame else None
    for col in FREE_TEXT[1:]:
        out[col] = out[col].map(lambda a: mask_personal(a) if isinstance(a, str) else a)
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
    if masked is not None:  # counted cell by cell: the usable rows' columns, the quarantined cells
        for col in FREE_TEXT:
            if col in frame:
                cells = frame[col][~bad].replace("", None) if col != "text" else frame[col][~bad]
                masked.update(_count(cells))
        for col in raw_safe.columns:
            masked.update(_count(raw_safe.loc[bad, col]))
    quarantine = pd.DataFrame(
        {
            "source": source,
            "line": frame.loc[bad, "line"].astype("int64"),
            "reason": reasons[bad],
            "raw": [
                json.dumps({k: mask_personal(v) for k, v in r.items()}, ensure_ascii=False)
                for r in raw_safe[bad].to_dict("records")
            ],
        }
    )
    return out[~bad].reset_index(drop=True), quarantine.reset_index(drop=True)


def parse_times(values: pd.Series) -> pd.Series:
    """Timestamps from text in common layouts or Excel serial numbers; NaT where unreadable.

    One rule changed since the copy (issue 13): the result is in microseconds whatever the
    layouts (it was the unit pandas inferred, so the same time hashed differently by layout,
    and a noisy Excel serial among second-precision times raised TypeError), and an Excel
    serial is taken to the nearest second.
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
        out[excel] = (pd.Timestamp("1899-12-30") + pd.to_timedelta(seconds, unit="s")).astype(
            "datetime64[us]"
        )
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


def _count(cells: pd.Series) -> Counter[str]:
    total: Counter[str] = Counter()
    for cell in cells:
        if isinstance(cell, str):
            total.update(mask_text(cell)[1])
    return total


def mask_personal(text: Any) -> Any:
    """Personal data in free text masked (the privacy rule, cell by cell)."""
    if not isinstance(text, str):
        return text
    return mask_text(text)[0]


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


def assign_towns(
    frame: pd.DataFrame,
    at_point: pd.Series,
    towns: pd.DataFrame,
    *,
    gazetteer: Gazetteer | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Town code, method and note per row: code → name → address → point, never guessed.

    The row's own district (``district_raw``) bounds every step: a town outside it is never
    chosen. A name that fits several towns is decided by the district, else by the point's
    town, else the row stays unassigned with method ``ambiguous`` and a note naming the
    candidates. Methods: ``code``, ``name``, ``alias``, ``address``, ``point``, ``ambiguous``,
    ``none``.
    """
    gaz = gazetteer or Gazetteer(towns)
    n = len(frame)
    code = pd.Series([None] * n, dtype="object")
    method = pd.Series(["none"] * n, dtype="object")
    note = pd.Series([None] * n, dtype="object")
    at_point = at_point.reset_index(drop=True)
    district = frame["district_raw"].reset_index(drop=True).astype("object")
    stated = district_codes(district)
    known = set(towns["town_code"])
    given = frame["town_code"].reset_index(drop=True).astype("object")
    odd = given.notna() & ~given.isin(known)
    if odd.any():  # 12-digit, full-width or former codes
        given[odd] = _codes(given[odd], gaz)
    by_code = given.isin(known) & in_district(given, stated)
    code[by_code], method[by_code] = given[by_code], "code"
    for column, parse in (("town_raw", gaz.resolve), ("address", gaz.parse_address)):
        todo = code.isna()
        values = frame[column].reset_index(drop=True)
        todo &= values.notna() & (values.astype(str).str.strip() != "")
        if not todo.any():
            continue
        rows = np.flatnonzero(todo.to_numpy())
        found = _resolve_distinct(
            values.iloc[rows], district.iloc[rows], at_point.iloc[rows], parse, gaz,
            address=column == "address",
        )  # fmt: skip
        hit = found["code"].notna().to_numpy()
        code.iloc[rows[hit].tolist()] = found["code"].to_numpy(dtype=object)[hit].tolist()
        method.iloc[rows[hit].tolist()] = found["method"].to_numpy(dtype=object)[hit].tolist()
        note.iloc[rows[hit].tolist()] = None
        ambiguous = (found["status"] == "ambiguous").to_numpy() & ~hit
        ambiguous &= (method.iloc[rows] != "ambiguous").to_numpy()
        method.iloc[rows[ambiguous]] = "ambiguous"
        note.iloc[rows[ambiguous]] = found["note"].to_numpy()[ambiguous]
        outside = (found["status"] == "outside_district").to_numpy() & ~hit
        outside &= note.iloc[rows].isna().to_numpy()
        note.iloc[rows[outside]] = found["note"].to_numpy()[outside]
    todo = code.isna() & at_point.notna() & (method != "ambiguous")
    inside = todo & in_district(at_point, stated)
    code[inside], method[inside], note[inside] = at_point[inside], "point", None
    away = todo & ~inside
    note[away] = "坐标所在街乡镇不在所属区内 (the point lies outside the stated district)"
    silent = code.isna() & note.isna()
    named = frame["town_raw"].reset_index(drop=True).notna()
    addressed = frame["address"].reset_index(drop=True).notna()
    note[silent & named] = "街乡镇名称无法识别，可在数据导入页添加别名 (unknown town name)"
    note[silent & ~named & addressed] = "地址中没有可识别的街乡镇 (no town in the address)"
    return code, method, note


def _resolve_distinct(
    values: pd.Series,
    district: pd.Series,
    at_point: pd.Series,
    parse: Callable[..., Resolution],
    gaz: Gazetteer,
    *,
    address: bool,
) -> pd.DataFrame:
    """code, method, status and note per row, each distinct (value, district) resolved once.

    The point is consulted only for rows whose name is ambiguous, once per distinct point town.
    """
    text = values.astype(str).to_numpy()
    where = district.fillna("").astype(str).to_numpy()
    keys, uniques = pd.MultiIndex.from_arrays([text, where]).factorize()
    solved = [parse(v, district=d or None) for v, d in uniques]
    table = pd.DataFrame(
        [_row(r, v, d, gaz, address) for r, (v, d) in zip(solved, uniques, strict=True)]
    )
    out = table.iloc[keys].reset_index(drop=True)
    points = at_point.to_numpy(dtype=object)
    retry = np.flatnonzero((out["status"] == "ambiguous").to_numpy() & pd.notna(points))
    cache: dict[tuple[str, str, str], dict[str, Any]] = {}
    decided = []
    for i in retry:
        key = (text[i], where[i], str(points[i]))
        if key not in cache:
            res = parse(key[0], district=key[1] or None, point_town=key[2])
            cache[key] = _row(res, key[0], key[1], gaz, address)
        decided.append(cache[key])
    if decided:
        out.iloc[retry] = pd.DataFrame(decided, index=out.index[retry])[out.columns]
    return out
