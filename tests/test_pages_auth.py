"""Sign-in and scope through the app: local accounts, roles, refused links, expiry, the audit page."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT, page_texts
from streamlit.testing.v1 import AppTest

from heatmap.access import accounts, audit
from heatmap.access.roles import Principal
from ui.auth import KEY, Session

PASSWORD = "district-pass-1"


def _towns(db: Path) -> dict[str, tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT town_code, town_name, district_code FROM towns").fetchall()
    con.close()
    return {code: (name, district) for code, name, district in rows}


def _two_districts(db: Path) -> tuple[str, str]:
    districts = sorted({d for _, d in _towns(db).values()})
    return districts[0], districts[1]


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    return at


def _sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.run()
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def _as(principal: Principal, path: str = "app.py", **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    now = time.time()
    at.session_state[KEY] = Session(principal, now, now)
    return at.run()


def test_real_store_shows_only_the_sign_in_form(real_like: Path) -> None:
    at = _app().run()
    assert not at.exception
    assert [h.value for h in at.subheader] == ["登录"]
    assert len(at.text_input) == 2
    assert not at.get("deck_gl_json_chart")
    assert not at.dataframe


def test_wrong_password_is_refused_and_logged(real_like: Path) -> None:
    accounts.add_user(real_like, "cy", PASSWORD, role="city")
    at = _sign_in(_app(), "cy", "not-the-password")
    assert [e.value for e in at.error] == ["登录失败：账号或密码错误"]
    assert not at.get("deck_gl_json_chart")
    events = audit.read(real_like)
    assert events.iloc[0][["user", "action", "outcome"]].tolist() == ["cy", "sign_in", "refused"]


def test_district_account_sees_only_its_district(real_like: Path) -> None:
    own, other = _two_districts(real_like)
    accounts.add_user(real_like, "qu", PASSWORD, role="district", districts=(own,))
    at = _sign_in(_app(**{"d": other}), "qu", PASSWORD)
    assert not at.exception
    assert any("无权查看链接中的区或街乡镇" in e.value and other in e.value for e in at.error)
    con = duckdb.connect(str(real_like), read_only=True)
    names = dict(con.execute("SELECT DISTINCT district_code, district_name FROM towns").fetchall())
    con.close()
    assert at.multiselect(key="f_districts").options == [names[own]]
    options = at.multiselect(key="f_towns").options
    assert options and all(o.endswith(f"（{names[own]}）") for o in options)
    others = {name for name, d in _towns(real_like).values() if d != own}
    text = page_texts(at) + "".join(str(df.value) for df in at.dataframe)
    leaked = [n for n in others if n in text]
    assert not leaked
    refused = audit.read(real_like, actions=("scope_refused",))
    assert refused["user"].tolist() == ["qu"] and other in refused["target"].iloc[0]


def test_district_account_has_no_data_page_and_the_page_refuses_it(real_like: Path) -> None:
    own, _ = _two_districts(real_like)
    at = _as(Principal("qu", "district", districts=(own,)), "pages/data.py")
    assert [e.value for e in at.error] == [
        "区级账号无权执行此操作（导入与边界管理），请联系数据管理员"
    ]
    assert not at.get("file_uploader")
    assert audit.read(real_like, actions=("role_refused",))["user"].tolist() == ["qu"]


def test_viewer_gets_no_downloads(real_like: Path) -> None:
    at = _as(Principal("ro", "viewer"), "pages/ranking.py")
    assert not at.exception
    assert not at.get("download_button")
    assert "只读账号不能导出或生成简报。" in page_texts(at)


def test_expired_session_asks_to_sign_in_again(real_like: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    old = time.time() - 3600
    at.session_state[KEY] = Session(Principal("cy", "city"), old, old)
    at.run()
    assert [w.value for w in at.warning] == ["登录已超时，请重新登录。"]
    assert not at.get("deck_gl_json_chart")
    assert audit.read(real_like)["action"].iloc[0] == "session_expired"


def test_town_account_ranking_has_its_towns_and_a_masked_city_top_ten(real_like: Path) -> None:
    towns = _towns(real_like)
    mine = sorted(towns)[0]
    at = _as(Principal("jz", "town", towns=(mine,)), "pages/ranking.py")
    assert not at.exception
    ranked = at.dataframe[0].value
    assert len(ranked) == 1
    top = at.dataframe[1].value
    names = set(top["街乡镇"])
    assert names <= {towns[mine][0], "（外区街乡镇）"}


def test_demo_store_needs_no_sign_in_and_says_so(app_env: Path) -> None:
    at = _app().run()
    assert not at.exception
    assert any("演示模式，未启用登录" in i.value for i in at.sidebar.info)


def test_city_account_sees_every_district(real_like: Path) -> None:
    at = _as(Principal("shi", "city"), "pages/heat_map.py")
    assert not at.exception
    con = duckdb.connect(str(real_like), read_only=True)
    n = con.execute("SELECT count(DISTINCT district_code) FROM towns").fetchone()[0]
    con.close()
    assert len(at.multiselect(key="f_districts").options) == n


def test_audit_page_for_the_administrator_lists_what_happened(real_like: Path) -> None:
    accounts.add_user(real_like, "qu", PASSWORD, role="district", districts=("110105",))
    with pytest.raises(Exception, match="账号或密码错误"):
        accounts.sign_in(real_like, "qu", "wrong-password-9")
    audit.record(real_like, "qu", "export", role="district", target="ranking_town_2021-12.csv",
                 scope="110105", detail="table")  # fmt: skip
    at = _as(Principal("ops", "admin"), "pages/audit.py")
    assert not at.exception
    events = at.dataframe[0].value
    assert events["事件"].tolist()[:3] == ["导出", "登录", "新建账号"]
    assert events["结果"].tolist()[:3] == ["成功", "拒绝", "成功"]
    assert events["角色"].tolist()[:2] == ["区级", "区级"]
    assert "共 3 条，其中被拒绝 1 条" in page_texts(at)
    users = at.dataframe[1].value
    assert users.iloc[0].tolist() == ["qu", "区级", "110105", "正常"]
    assert len(at.get("download_button")) == 2  # CSV and Excel of the trail
