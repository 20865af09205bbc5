"""Town names in their many forms (学院路 / 学院路街道 / 学院路街道办事处 / 海淀区学院路街道) to codes."""

from __future__ import annotations

import re

import pandas as pd

#: Short or former names the reports use, mapped to the official 2023 name.
ALIASES: dict[str, str] = {
    "广外": "广安门外",
    "广内": "广安门内",
    "西红门镇": "西红门地区",
    "沙河镇": "沙河地区",
    "回龙观镇": "回龙观街道",
    "永顺地区": "永顺镇",
    "梨园地区": "梨园镇",
}

_SUFFIXES = ("街道办事处", "地区办事处", "办事处", "街道", "地区", "镇", "乡")
_DISTRICTS = "东城|西城|朝阳|丰台|石景山|海淀|门头沟|房山|通州|顺义|昌平|大兴|怀柔|平谷|密云|延庆"
_DISTRICT = re.compile(rf"^(北京市)?({_DISTRICTS})区(?=[\u4e00-\u9fff]{{2,}})")


def normalize(name: str) -> str:
    """The core of a town name: no city/district prefix, no 街道/地区/镇/乡 suffix, no spaces."""
    text = re.sub(r"\s+", "", str(name))
    text = _DISTRICT.sub("", text)
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def resolve_town(text: str, towns: pd.DataFrame) -> str | None:
    """The town code for a code or a name in any common form; None when unknown or ambiguous."""
    value = str(text).strip()
    codes = set(towns["town_code"].astype(str))
    if value in codes:
        return value
    if value[:9] in codes and value.isdigit() and len(value) == 12:
        return value[:9]
    core = normalize(ALIASES.get(value, value))
    core = normalize(ALIASES.get(core, core))
    index: dict[str, list[str]] = {}
    for code, name in zip(towns["town_code"], towns["town_name"], strict=True):
        index.setdefault(normalize(name), []).append(str(code))
    hits = index.get(core, [])
    if len(hits) == 1:
        return hits[0]
    district = _DISTRICT.match(re.sub(r"\s+", "", value))
    if hits and district and "district_name" in towns:
        wanted = district.group(0).removeprefix("北京市")
        narrowed = [
            c for c in hits if towns.loc[towns["town_code"] == c, "district_name"].iloc[0] == wanted
        ]
        if len(narrowed) == 1:
            return narrowed[0]
    return None
