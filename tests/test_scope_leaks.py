"""What a scoped account's page sends, searched whole: no town outside the scope by name or code.

Every page a role may open is run as the city, a district account (海淀 110108), a town account
(中关村) and the read-only account, and everything the run sent (:func:`sent.sent_text`: every
element's message, deck JSON, Plotly specs, dataframe contents, widget options) is searched for
the name and the 9-digit code of every town outside the account's scope, and for the store's folder. Access policy as
shipped: ``other_district_names`` and ``town_sees_district_totals`` off.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import ROOT
from sent import sent_text
from streamlit.testing.v1 import AppTest

from heatmap.access.roles import Principal
from heatmap.analysis import governance
from ui.auth import KEY, Session

HAIDIAN = "110108"


def _towns(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    frame = con.execute("SELECT town_code, town_name, district_code FROM towns").df()
    con.close()
    return frame


def _zhongguancun(towns: pd.DataFrame) -> str:
    return str(towns.loc[towns["town_name"].str.startswith("中关村"), "town_code"].iloc[0])


def _principal(role: str, towns: pd.DataFrame) -> Principal:
    if role == "district":
        return Principal("qu", "district", districts=(HAIDIAN,))
    if role == "town":
        return Principal("jz", "town", towns=(_zhongguancun(towns),))
    if role == "viewer":
        return Principal("ro", "viewer", districts=(HAIDIAN,))
    return Principal("shi", role)


def _outside(principal: Principal, towns: pd.DataFrame) -> pd.DataFrame:
    """The towns outside the scope whose names cannot be confused with text inside it."""
    if principal.role == "town":
        inside = towns["town_code"].isin(principal.towns)
    elif principal.districts:
        inside = towns["district_code"].isin(principal.districts)
    else:
        return towns.iloc[0:0]
    allowed = " ".join(towns.loc[inside, "town_name"])
    out = towns[~inside]
    return out[[name not in allowed for name in out["town_name"]]]


def _run(page: str, principal: Principal, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    now = time.time()
    at.session_state[KEY] = Session(principal, now, now)
    return at.run()


def _leaks(at: AppTest, outside: pd.DataFrame) -> list[str]:
    text = sent_text(at)
    codes = set(re.findall(r"(?<!\d)\d{9}(?!\d)", text)) & set(outside["town_code"])
    names = [n for n in outside["town_name"] if n in text]
    return sorted(codes) + names


PAGES = [
    "pages/governance.py",
    "pages/ranking.py",
    "pages/heat_map.py",
    "pages/topics.py",
    "pages/categories.py",
    "pages/warning.py",
    "pages/workbench.py",
    "pages/briefing.py",
]


@pytest.mark.parametrize("role", ["district", "town", "viewer"])
@pytest.mark.parametrize("page", PAGES)
def test_a_scoped_page_sends_no_town_outside_the_scope(
    real_like: Path, page: str, role: str
) -> None:
    towns = _towns(real_like)
    principal = _principal(role, towns)
    at = _run(page, principal)
    assert not at.exception
    outside = _outside(principal, towns)
    assert len(outside) > 250  # the test has teeth: most of the city is outside
    assert not _leaks(at, outside)
    assert str(real_like.parent) not in sent_text(at)  # no server path either


@pytest.mark.parametrize("role", ["town", "district"])
def test_ranking_at_district_level_sends_no_other_district(real_like: Path, role: str) -> None:
    towns = _towns(real_like)
    principal = _principal(role, towns)
    at = _run("pages/ranking.py", principal)
    at.radio(key="rank_level").set_value("district").run()
    assert not at.exception
    shown = at.dataframe[0].value
    if role == "town":  # its district's totals count towns it was not granted (policy off)
        assert shown.empty
        assert any("不显示区级汇总" in i.value for i in at.info)
    else:
        assert len(shown) == 1
    assert not _leaks(at, _outside(principal, towns))


def test_city_governance_page_names_the_city_top_ten(real_like: Path) -> None:
    at = _run("pages/governance.py", Principal("shi", "city"))
    assert not at.exception
    top = at.dataframe[0].value
    assert len(top) >= 10 and "（外区街乡镇）" not in set(top.iloc[:, 1])


def test_district_governance_top_ten_masks_others_figures(real_like: Path) -> None:
    towns = _towns(real_like)
    at = _run("pages/governance.py", _principal("district", towns))
    assert not at.exception
    top = at.dataframe[0].value
    haidian = set(towns.loc[towns["district_code"] == HAIDIAN, "town_name"])
    others = top[~top.iloc[:, 1].isin(haidian)]
    assert len(top) >= 10 and len(others) > 0
    assert set(others.iloc[:, 1]) == {"（外区街乡镇）"}
    assert others.iloc[:, 3].isna().all()  # no volume
    assert set(others.iloc[:, 4]) == {"—"} and set(others.iloc[:, 5]) == {""}  # no 环比, status
    deck = at.get("deck_gl_json_chart")[0].proto.json
    assert '"town_code"' in deck and all(c not in deck for c in towns["town_code"][
        towns["district_code"] != HAIDIAN])  # fmt: skip


def test_official_list_comparison_keeps_to_the_scope() -> None:
    towns = pd.DataFrame(
        {"town_code": ["110108001", "110108002", "110101001"],
         "town_name": ["甲街道", "乙街道", "丙街道"], "district_code": ["110108"] * 2 + ["110101"]}
    )  # fmt: skip
    ledger = pd.DataFrame(
        {"town_code": ["110108001", "110101001", "110108002"], "town_name": ["甲街道", "丙街道", "乙街道"],
         "entry_month": ["2020-01", "2020-02", "2020-03"], "exit_month": [None, None, None]}
    )  # fmt: skip
    official = pd.DataFrame(
        {"town": ["甲街道", "丙街道", "不存在街道"], "entry_month": ["2020-01", "2020-02", "2020-05"]}
    )
    out = governance.compare_official(ledger, official, towns, within={"110108001", "110108002"})
    assert out["town_name"].tolist() == ["甲街道", "不存在街道", "乙街道"]
    assert out["verdict"].tolist() == ["一致", "无法识别", "仅计算结果"]
    assert out.attrs["outside"] == 1
    assert "丙" not in out.to_csv()
    city = governance.compare_official(ledger, official, towns)
    assert "丙街道" in set(city["town_name"]) and city.attrs["outside"] == 0
