"""一方案三清单: the task list of 每月一题 (read from a town office's CSV) and its progress by month."""

from __future__ import annotations

import io
import re

import pandas as pd

from heatmap.errors import HeatmapError
from heatmap.filters import Filters
from heatmap.i18n import t

TASK_COLUMNS = ("problem", "task", "due_month", "done_month")
#: Chinese headers accepted for the task CSV.
TASK_ALIASES = {
    "问题": "problem",
    "任务": "task",
    "任务名称": "task",
    "计划完成月份": "due_month",
    "计划月份": "due_month",
    "完成月份": "done_month",
    "实际完成月份": "done_month",
}


def read_tasks(data: bytes | str) -> pd.DataFrame:
    """Read a task CSV (UTF-8, UTF-8 with BOM, or GBK) and check it (see :func:`check_tasks`)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise HeatmapError("任务清单无法解码，请保存为 UTF-8 或 GBK 编码的 CSV")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise HeatmapError(f"任务清单不是有效的 CSV：{exc}") from exc
    return check_tasks(frame)


def check_tasks(tasks: pd.DataFrame) -> pd.DataFrame:
    """The task list with canonical columns and months as 'YYYY-MM' (done_month None when open).

    Errors name the missing columns, or the first bad month values with their CSV line numbers
    (the header is line 1).
    """
    frame = tasks.rename(columns=lambda c: TASK_ALIASES.get(str(c).strip(), str(c).strip()))
    missing = [c for c in TASK_COLUMNS if c not in frame.columns]
    if missing:
        raise HeatmapError(
            f"任务清单缺少列：{', '.join(missing)}；需要 {', '.join(TASK_COLUMNS)}"
            f"（或中文表头 问题、任务、计划完成月份、完成月份）。读到的列：{list(tasks.columns)}"
        )
    out = frame[list(TASK_COLUMNS)].copy()
    out["problem"] = out["problem"].astype(str).str.strip()
    out["due_month"] = _months(out["due_month"], "due_month", required=True)
    out["done_month"] = _months(out["done_month"], "done_month", required=False)
    blank = out.index[out["problem"].isin(["", "nan", "None"])]
    if len(blank):
        raise HeatmapError(f"任务清单第 {_lines(blank)} 行的 problem 为空；每项任务须写明所属问题")
    return out.reset_index(drop=True)


def _months(values: pd.Series, column: str, *, required: bool) -> pd.Series:
    text = values.map(lambda v: "" if v is None or v != v else str(v).strip())
    parsed = text.map(_parse_month)
    bad = text.index[(parsed.isna() & (text != "")) | (required & (text == ""))]
    if len(bad):
        shown = "、".join(f"第 {i + 2} 行 {text[i]!r}" for i in bad[:5])
        more = f" 等 {len(bad)} 处" if len(bad) > 5 else ""
        raise HeatmapError(
            f"任务清单 {column} 列的月份无效：{shown}{more}；应为 YYYY-MM（如 2021-05）"
            + ("，且不能为空" if required else "，未完成的任务留空")
        )
    return parsed


_MONTH = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月|[-/.]\s*\d{1,2}\s*日?)?(?:\s+[\d:]+)?$"
)


def _parse_month(value: str) -> str | None:
    """'2021-05', '2021/5', '2021年5月', '2021-05-20' (a date: its month) -> '2021-05'; else None."""
    match = _MONTH.match(value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def _lines(index: pd.Index) -> str:
    return "、".join(str(i + 2) for i in index[:5]) + (
        f" 等 {len(index)} 处" if len(index) > 5 else ""
    )


def task_progress(tasks: pd.DataFrame, month: str) -> pd.DataFrame:
    """Completion of the 一方案三清单 tasks as of ``month``, per problem and in total.

    Columns: problem, tasks (all), planned (due by ``month``), done (done by ``month``, early ones
    included), overdue (due but not done), share (done / tasks), plan_share (share of the due tasks
    that are done = (planned − overdue) / planned, NaN when none is due).
    The last row is the total (problem ``合计``), e.g. 570 of 603 tasks = 94.52 %.
    """
    Filters(month, month)  # checks the YYYY-MM form
    frame = check_tasks(tasks)
    done = frame["done_month"].notna() & (frame["done_month"] <= month)
    planned = frame["due_month"] <= month
    parts = pd.DataFrame(
        {
            "problem": frame["problem"],
            "tasks": 1,
            "planned": planned.astype(int),
            "done": done.astype(int),
            "overdue": (planned & ~done).astype(int),
        }
    )
    per = parts.groupby("problem", sort=False, as_index=False).sum()
    total = pd.DataFrame([{"problem": "合计", **per.drop(columns="problem").sum().to_dict()}])
    out = pd.concat([per, total], ignore_index=True)
    out["share"] = out["done"] / out["tasks"]
    out["plan_share"] = (out["planned"] - out["overdue"]) / out["planned"].where(out["planned"] > 0)
    return out


def progress_sentence(progress: pd.DataFrame, month: str, lang: str = "zh") -> str:
    """「截至 2021-05，已完成 275 项，共 603 项（45.61%）；计划应完成 300 项，逾期 25 项」."""
    total = progress.iloc[-1]
    return t(
        "tasks_sentence",
        lang,
        month=month,
        done=int(total["done"]),
        tasks=int(total["tasks"]),
        share=f"{total['share'] * 100:.2f}",
        planned=int(total["planned"]),
        overdue=int(total["overdue"]),
    )
