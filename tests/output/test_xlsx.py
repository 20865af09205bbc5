"""Tests for heatmap.output.xlsx: the workbook read back by openpyxl and pandas, cell by cell, over
a generated corpus of column kinds and hostile texts."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from heatmap.output import xlsx


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _cells(data: bytes, sheet: str | None = None) -> list[list[object]]:
    book = _book(data)
    ws = book[sheet] if sheet else book.active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_every_kind_of_column_reads_back_as_written() -> None:
    frame = pd.DataFrame(
        {
            "街乡镇": ["崔各庄地区", "  前后空格  ", "=1+1", "a&b<c>\"d'"],
            "量": np.array([1, 0, -7, 2**40], dtype="int64"),
            "率": [0.5, np.nan, 1 / 3, -0.0],
            "可空整数": pd.array([1, None, 3, 4], dtype="Int64"),
            "是否": [True, False, True, False],
            "可空布尔": pd.array([True, None, False, True], dtype="boolean"),
            "时间": pd.to_datetime(["2021-12-01 08:30:00", None, "2020-02-29 00:00:00", "1999-12-31 23:59:59"]),
            "混合": ["文本", 3, 2.5, None],
            "日期": [dt.date(2021, 12, 1), None, dt.date(1900, 3, 1), dt.date(2030, 1, 31)],
            "类别": pd.Categorical(["甲", "乙", "甲", None]),
            "文本列": pd.array(["x", None, "y", "z"], dtype="string"),
        }
    )
    rows = _cells(xlsx.workbook({"Sheet1": frame}))
    assert rows[0] == list(frame.columns)
    assert [r[0] for r in rows[1:]] == ["崔各庄地区", "  前后空格  ", "=1+1", "a&b<c>\"d'"]
    assert [r[1] for r in rows[1:]] == [1, 0, -7, 2**40]
    assert rows[1][2] == 0.5 and rows[2][2] is None and rows[3][2] == pytest.approx(1 / 3)
    assert [r[3] for r in rows[1:]] == [1, None, 3, 4]
    assert [r[4] for r in rows[1:]] == [True, False, True, False]
    assert [r[5] for r in rows[1:]] == [True, None, False, True]
    assert rows[1][6] == dt.datetime(2021, 12, 1, 8, 30) and rows[2][6] is None
    assert rows[3][6] == dt.datetime(2020, 2, 29) and rows[4][6] == dt.datetime(1999, 12, 31, 23, 59, 59)
    assert [r[7] for r in rows[1:]] == ["文本", 3, 2.5, None]
    assert rows[1][8] == dt.datetime(2021, 12, 1) and rows[2][8] is None
    assert [r[9] for r in rows[1:]] == ["甲", "乙", "甲", None]
    assert [r[10] for r in rows[1:]] == ["x", None, "y", "z"]
    # a text that looks like a formula stays a text: openpyxl would read a formula back as "=1+1"
    # with data_type "f"
    ws = _book(xlsx.workbook({"Sheet1": frame})).active
    assert ws["A4"].data_type == "s" and ws["A4"].value == "=1+1"
    assert ws["G2"].number_format == "yyyy-mm-dd hh:mm:ss" and ws["I2"].number_format == "yyyy-mm-dd"


def test_pandas_reads_the_same_table() -> None:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "序号": np.arange(1, 501),
            "名称": [f"街道{i}·测试" for i in range(500)],
            "比例": rng.random(500).round(6),
            "变化": rng.normal(size=500),
        }
    )
    back = pd.read_excel(io.BytesIO(xlsx.workbook({"表": frame})), sheet_name="表")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_hostile_texts_and_excel_limits() -> None:
    texts = ["\x01控制\x1f字符", "回车\r换行\n制表\t", "代理\ud800字", "x" * 40_000, "]]>", "&amp;"]
    rows = _cells(xlsx.workbook({"s": pd.DataFrame({"t": pd.Series(texts, dtype=object)})}))
    got = [r[0] for r in rows[1:]]
    assert got[0] == "控制字符"  # characters XML cannot hold are dropped
    assert got[1] == "回车\r换行\n制表\t"  # kept, the carriage return too
    assert got[2] == "代理字"
    assert got[3] == "x" * xlsx.MAX_TEXT  # Excel's cell limit
    assert got[4:] == ["]]>", "&amp;"]


def test_infinite_and_missing_numbers() -> None:
    frame = pd.DataFrame({"v": [np.inf, -np.inf, np.nan, 1.5], "o": [np.inf, pd.NA, pd.NaT, None]})
    rows = _cells(xlsx.workbook({"s": frame}))
    assert [r[0] for r in rows[1:]] == ["inf", "-inf", None, 1.5]
    assert [r[1] for r in rows[1:]] == ["inf", None, None, None]


def test_several_sheets_in_order_with_names_that_need_escaping() -> None:
    sheets = {"排名 & 比较": pd.DataFrame({"a": [1]}), "第二<表>": pd.DataFrame({"b": ["x"]})}
    book = _book(xlsx.workbook(sheets))
    assert book.sheetnames == ["排名 & 比较", "第二<表>"]
    assert book["第二<表>"]["B1"].value is None and book["第二<表>"]["A2"].value == "x"


def test_empty_tables() -> None:
    assert _cells(xlsx.workbook({"s": pd.DataFrame({"a": [], "b": []})})) == [["a", "b"]]
    assert _cells(xlsx.workbook({"s": pd.DataFrame()})) == []
    assert _cells(xlsx.workbook({"s": pd.DataFrame(index=range(2))})) == []


def test_wide_tables_get_column_letters_past_z() -> None:
    frame = pd.DataFrame([list(range(30))], columns=[f"c{i}" for i in range(30)])
    ws = _book(xlsx.workbook({"s": frame})).active
    assert ws["Z2"].value == 25 and ws["AA2"].value == 26 and ws["AD1"].value == "c29"


def test_header_frozen_bold_and_columns_sized_for_chinese() -> None:
    frame = pd.DataFrame({"街乡镇名称很长很长": ["崔各庄地区"], "n": [1]})
    ws = _book(xlsx.workbook({"s": frame})).active
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert ws.column_dimensions["A"].width == 2 * 9 + 2  # nine CJK characters, two each
    assert ws.column_dimensions["B"].width == 8  # the minimum


def test_a_table_longer_than_a_sheet_is_refused_with_a_reason() -> None:
    class Long(pd.DataFrame):
        def __len__(self) -> int:
            return xlsx.MAX_ROWS

    with pytest.raises(xlsx.XlsxError, match="超过 Excel 单表上限"):
        xlsx.workbook({"s": Long({"a": [1]})})


def test_the_package_is_well_formed() -> None:
    data = xlsx.workbook({"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": ["z"]})})
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = set(package.namelist())
        assert package.testzip() is None
    assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml"} <= names
    assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"} <= names


@pytest.mark.parametrize("seed", range(5))
def test_random_tables_round_trip(seed: int) -> None:
    # a generated corpus: random column kinds, missing values, texts with markup, formula-looking
    # starts and CJK, read back by pandas equal to the table
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    pieces = ["崔各庄", "=", "+", "-", "@", "<b>", "&", "'", '"', " ", "区", "a", "1", "，"]
    columns: dict[str, object] = {}
    for j in range(int(rng.integers(1, 12))):
        kind = rng.choice(["int", "float", "text", "bool"])
        if kind == "int":
            columns[f"c{j}"] = rng.integers(-(10**9), 10**9, n)
        elif kind == "float":
            values = rng.normal(scale=1e4, size=n)
            values[rng.random(n) < 0.2] = np.nan
            columns[f"c{j}"] = values
        elif kind == "bool":
            columns[f"c{j}"] = rng.random(n) < 0.5
        else:
            columns[f"c{j}"] = [
                "".join(rng.choice(pieces, int(rng.integers(1, 8)))) + "x" for _ in range(n)
            ]
    frame = pd.DataFrame(columns)
    back = pd.read_excel(io.BytesIO(xlsx.workbook({"s": frame})))
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
