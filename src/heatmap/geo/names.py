"""Town names and addresses in their many forms resolved to town codes, never guessed.

A :class:`Gazetteer` holds the towns (街乡镇) of a boundary set or of the 2023 list, their former
names and codes (before the 2020–2021 changes, with their successor) and the aliases a data
administrator added. :meth:`Gazetteer.resolve` reads a town column value (``学院路``,
``海淀区学院路街道办事处``, ``东升镇`` for 东升地区, ``110108001``, a 12-digit code …);
:meth:`Gazetteer.parse_address` reads an address city → district → town, each level consumed
before the next is searched, the town searched only inside the stated or parsed district. A name
that fits two towns is resolved by the district, else by the point's town, else reported as
``ambiguous``: the answer is a :class:`Resolution`, with its status and candidates.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "Gazetteer",
    "Resolution",
    "clean",
    "district_code",
    "district_codes",
    "in_district",
    "normalize",
    "gazetteer_for",
    "resolve_town",
    "DISTRICTS",
]

#: The 16 districts: code -> official name.
DISTRICTS: dict[str, str] = {
    "110101": "东城区", "110102": "西城区", "110105": "朝阳区", "110106": "丰台区",
    "110107": "石景山区", "110108": "海淀区", "110109": "门头沟区", "110111": "房山区",
    "110112": "通州区", "110113": "顺义区", "110114": "昌平区", "110115": "大兴区",
    "110116": "怀柔区", "110117": "平谷区", "110118": "密云区", "110119": "延庆区",
}  # fmt: skip
#: Former district names still seen in addresses (merged 2010, county to district 2015).
FORMER_DISTRICTS: dict[str, str] = {
    "崇文区": "110101", "宣武区": "110102", "密云县": "110118", "延庆县": "110119",
}  # fmt: skip
#: Every district name a text may carry (official and former) -> district code.
_DISTRICT_NAMES: dict[str, str] = {
    **{name: code for code, name in DISTRICTS.items()},
    **FORMER_DISTRICTS,
}
#: Districts without 区 (石景山, 海淀 …), the longest first.
_SHORT_DISTRICTS = tuple(
    sorted(((n[:-1], c) for c, n in DISTRICTS.items()), key=lambda sc: -len(sc[0]))
)
#: Short names and spellings the reports use, mapped to an official 2023 name.
ALIASES: dict[str, str] = {
    "广外": "广安门外街道",
    "广内": "广安门内街道",
    "经开区": "北京经济技术开发区",
    "北京经开区": "北京经济技术开发区",
    "经济技术开发区": "北京经济技术开发区",
    "亦庄经济技术开发区": "北京经济技术开发区",
    "亦庄经济开发区": "北京经济技术开发区",
    "亦庄开发区": "北京经济技术开发区",
    "北京亦庄": "北京经济技术开发区",
    "大兴机场": "大兴国际机场",
}

#: Name endings: (ending, kinds of unit it can name). Longest first; 地区 units are also called 乡 or 镇.
_ENDINGS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (ending, frozenset(kinds))
    for ending, kinds in (
        ("街道办事处", ("街道",)),
        ("地区办事处", ("地区",)),
        ("镇人民政府", ("镇", "地区")),
        ("乡人民政府", ("乡", "地区")),
        ("街道工委", ("街道",)),
        ("街道办", ("街道",)),
        ("办事处", ("街道", "地区")),
        ("镇政府", ("镇", "地区")),
        ("乡政府", ("乡", "地区")),
        ("满族乡", ("乡",)),
        ("回族乡", ("乡",)),
        ("民族乡", ("乡",)),
        ("街道", ("街道",)),
        ("地区", ("地区", "镇", "乡")),
        ("镇", ("镇", "地区")),
        ("乡", ("乡", "地区")),
    )
)
#: A handling unit that is a town's office ends so (its name is read as a town name).
_OFFICE = re.compile(
    r"(街道办事处|街道办|街道工委|街道|地区办事处|办事处|镇人民政府|镇政府|乡人民政府|乡政府|镇|乡|地区)$"
)
_ANY_KIND = frozenset({"街道", "地区", "镇", "乡", "其他"})
_CITY = ("北京市", "北京")
_DROP = re.compile(r"[\s\u3000·•．.,，、:：;；'\"“”‘’\-_/\\|（）()\[\]【】<>《》]+")


@dataclass(frozen=True)
class Resolution:
    """The answer for one name or address.

    ``status`` is ``ok`` (``code`` set), ``ambiguous`` (the text fits several ``candidates``),
    ``outside_district`` (it fits towns, none in the stated district), ``district_only`` (an
    address naming a district but no town) or ``unknown``. ``how`` says what decided.
    """

    code: str | None
    status: str
    how: str = ""
    candidates: tuple[str, ...] = ()
    district: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is not None


_UNKNOWN = Resolution(None, "unknown")


def clean(text: object) -> str:
    """NFKC (full-width to half-width), no spaces or punctuation; '' for missing values."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    return _DROP.sub("", value)


def _split_ending(name: str, *, min_core: int = 2) -> tuple[str, frozenset[str]]:
    """(core, kinds the ending allows); the whole name and any kind when no ending is found.

    ``长哨营满族乡人民政府`` -> (长哨营, 乡); ``张镇`` -> (张, 镇) only with ``min_core=1``.
    """
    for ending, kinds in _ENDINGS:
        if name.endswith(ending) and len(name) >= len(ending) + min_core:
            core = name[: -len(ending)]
            for ethnic in ("满族", "回族"):
                if core.endswith(ethnic) and len(core) >= len(ethnic) + min_core:
                    return core[: -len(ethnic)], kinds
            return core, kinds
    return name, _ANY_KIND


def normalize(name: str) -> str:
    """The core of a town name: no city/district prefix, no 街道/地区/镇/乡 ending, no spaces."""
    text = _drop_city(clean(name))
    for district in sorted([*DISTRICTS.values(), *FORMER_DISTRICTS], key=len, reverse=True):
        if text.startswith(district) and len(text) >= len(district) + 2:
            text = text[len(district) :]
            break
    return _split_ending(text)[0]


@dataclass
class _Town:
    code: str
    name: str
    district: str
    kind: str
    core: str


@dataclass
class Gazetteer:
    """Towns, former names and aliases, indexed for :meth:`resolve` and :meth:`parse_address`.

    Parameters
    ----------
    towns : pandas.DataFrame
        ``town_code``, ``town_name``, ``district_code``, ``kind`` (``district_name`` optional);
        the towns a name may resolve to.
    former : pandas.DataFrame, optional
        ``old_code9``, ``old_name``, ``district_code``, ``successor_code9``: units before the
        2020–2021 changes and the current unit that took them over.
    aliases : pandas.DataFrame, optional
        ``alias``, ``town_code`` and optionally ``district_code`` (the alias holds only there).
    """

    towns: pd.DataFrame
    former: pd.DataFrame | None = None
    aliases: pd.DataFrame | None = None
    _by_code: dict[str, _Town] = field(init=False, repr=False)
    _by_core: dict[str, list[str]] = field(init=False, repr=False)
    _by_name: dict[str, list[str]] = field(init=False, repr=False)
    _old_codes: dict[str, str] = field(init=False, repr=False)
    _alias: dict[str, list[tuple[str, str | None]]] = field(init=False, repr=False)
    _short: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code, self._by_core, self._by_name = {}, {}, {}
        frame = self.towns
        district_codes = frame.get("district_code", frame["town_code"].astype(str).str[:6])
        kinds = frame["kind"] if "kind" in frame else pd.Series("", index=frame.index)
        for code, name, district, kind in zip(
            frame["town_code"].astype(str), frame["town_name"].astype(str),
            district_codes.astype(str), kinds.fillna("").astype(str), strict=True,
        ):  # fmt: skip
            town = _Town(code, clean(name), district, kind or _kind_of(name), "")
            town.core = (
                _split_ending(town.name, min_core=1)[0] if town.kind != "其他" else town.name
            )
            self._by_code[code] = town
            self._by_core.setdefault(town.core, []).append(code)
            self._by_name.setdefault(town.name, []).append(code)
        self._old_codes = {}
        self._former_names: dict[str, list[tuple[str, str]]] = {}
        if self.former is not None:
            for row in self.former.itertuples(index=False):
                successor = str(row.successor_code9)
                if successor not in self._by_code:
                    continue
                self._old_codes[str(row.old_code9)] = successor
                self._former_names.setdefault(clean(row.old_name), []).append(
                    (successor, str(row.district_code))
                )
        self._alias, self._short = {}, {}
        for key, code in ALIASES.items():
            for target in self._by_name.get(clean(code), []):
                self._short.setdefault(clean(key), []).append(target)
        if self.aliases is not None and len(self.aliases):
            scopes = self.aliases.get("district_code", pd.Series(None, index=self.aliases.index))
            for alias, code, district in zip(
                self.aliases["alias"], self.aliases["town_code"].astype(str), scopes, strict=True
            ):
                if code in self._by_code:
                    scope = str(district) if isinstance(district, str) and district else None
                    self._alias.setdefault(clean(alias), []).append((code, scope))
        self._forms = _Forms(self._address_forms())
        self._district_pattern = _alternation(_DISTRICT_NAMES)

    # ------------------------------------------------------------------ public
    def resolve(
        self, text: object, *, district: object = None, point_town: str | None = None
    ) -> Resolution:
        """Resolve a town column value; ``district`` is the row's district, ``point_town`` its point's."""
        value, stated = self._start(text, district)
        if not value:
            return _UNKNOWN
        code = self._from_code(value)
        if code:
            return self._narrow([code], stated, point_town, how="code")
        value = self._without_city(value)
        prefix, rest = self._district_prefix(value)
        if prefix and stated and prefix != stated:
            return Resolution(None, "outside_district", "district", (), stated)
        readings = [(prefix or stated, rest)] if prefix else []
        readings.append((stated, value))
        short = self._short_district(value)
        if short and not prefix and (stated is None or short[0] == stated):
            readings.append(short)
        best = _UNKNOWN
        for where, name in readings:
            found = self._resolve_name(name, where, point_town)
            if found.ok or found.status in ("ambiguous", "outside_district"):
                if found.ok or best.status == "unknown":
                    best = found
                if found.ok:
                    break
        if best.status == "unknown" and len(value) > 4:  # 学院路街道（海淀区）, …街道二里庄社区
            found = self.parse_address(text, district=district, point_town=point_town)
            if found.ok or found.status == "ambiguous":
                return Resolution(
                    found.code, found.status, "name", found.candidates, found.district
                )
        return best

    def parse_address(
        self, text: object, *, district: object = None, point_town: str | None = None
    ) -> Resolution:
        """Resolve the town of an address: city, then district, then a town of that district."""
        value, stated = self._start(text, district)
        if not value:
            return _UNKNOWN
        value = self._without_city(value)
        prefix, rest = self._district_prefix(value)
        if prefix is None:
            short = self._short_district(value)
            if short and self._forms.at(short[1], 0):
                prefix, rest = short
        if prefix and stated and prefix != stated:
            return Resolution(None, "outside_district", "district", (), stated)
        where = prefix or stated
        if where is None:
            hint = {_DISTRICT_NAMES[m.group(0)] for m in self._district_pattern.finditer(rest)}
            where = hint.pop() if len(hint) == 1 else None
        for form in self._forms.scan(rest):
            found = self._resolve_name(form, where, point_town)
            if found.ok or found.status == "ambiguous":
                how = "address+alias" if found.how.startswith("alias") else "address"
                return Resolution(found.code, found.status, how, found.candidates, where)
        return Resolution(None, "district_only" if where else "unknown", "address", (), where)

    def parse_text(
        self, text: object, *, district: object = None, point_town: str | None = None
    ) -> Resolution:
        """The town a free text names (a request's 诉求内容), never guessed.

        Every town form of three characters or more in the text (the forms an address may
        carry, read by the rule :meth:`resolve` uses) is resolved in the row's district, else in
        the one district the text names. One town found: ``ok``; several towns, or a form that
        fits several: ``ambiguous`` with all the candidates; none: ``unknown``.
        """
        value, stated = self._start(text, district)
        if not value:
            return _UNKNOWN
        where = stated
        if where is None:
            hint = {_DISTRICT_NAMES[m.group(0)] for m in self._district_pattern.finditer(value)}
            where = hint.pop() if len(hint) == 1 else None
        found: list[str] = []
        candidates: list[str] = []
        for form in self._forms.scan(value):
            if len(form) < 3:
                continue
            res = self._resolve_name(form, where, point_town)
            if res.ok and res.code is not None:
                found.append(res.code)
            elif res.status == "ambiguous":
                candidates += res.candidates
        codes = tuple(dict.fromkeys(found))
        if len(codes) == 1 and (not candidates or codes[0] in candidates):
            return Resolution(codes[0], "ok", "text", codes, where)
        if codes or candidates:
            return Resolution(
                None, "ambiguous", "text", tuple(dict.fromkeys([*codes, *candidates])), where
            )
        return Resolution(None, "unknown", "text", (), where)

    def resolve_unit(
        self, text: object, *, district: object = None, point_town: str | None = None
    ) -> Resolution:
        """The town whose office a handling unit is (学院路街道办事处, 回龙观镇人民政府, 东风乡
        政府, 学院路街道); any other unit (区城管委, 市公安局) is not read: ``unknown``."""
        value = clean(text)
        if not _OFFICE.search(value):
            return _UNKNOWN
        return self.resolve(value, district=district, point_town=point_town)

    def name_of(self, code: str) -> str:
        """The official name of ``code`` (the code itself when unknown)."""
        town = self._by_code.get(code)
        return town.name if town else code

    def label(self, code: str) -> str:
        """``八里庄街道（海淀区）``: the name with its district, for notes and messages."""
        town = self._by_code.get(code)
        if town is None:
            return code
        return f"{town.name}（{DISTRICTS.get(town.district, town.district)}）"

    # ------------------------------------------------------------------ plumbing
    def _without_city(self, value: str) -> str:
        """``value`` without 北京市 / 北京, unless a unit's name starts so (北京经济技术开发区)."""
        named = self._forms.at(value, 0)
        return value if named and named.startswith(_CITY) else _drop_city(value)

    def _start(self, text: object, district: object) -> tuple[str, str | None]:
        """The cleaned text and the code of the row's district (None when absent or unreadable)."""
        return clean(text), district_code(district) if district is not None else None

    def _from_code(self, value: str) -> str | None:
        if not value.isdigit() or len(value) not in (9, 12):
            return None
        code = value[:9]
        if len(value) == 12 and value[9:] != "000" and code not in self._by_code:
            return self._old_codes.get(code)
        return code if code in self._by_code else self._old_codes.get(code)

    def _district_prefix(self, value: str) -> tuple[str | None, str]:
        match = self._district_pattern.match(value)
        if match and len(value) > len(match.group(0)):
            return _DISTRICT_NAMES[match.group(0)], value[match.end() :]
        return None, value

    def _short_district(self, value: str) -> tuple[str, str] | None:
        """A district named without 区 (海淀学院路): only when a town follows."""
        for short, code in _SHORT_DISTRICTS:
            if value.startswith(short) and len(value) >= len(short) + 2:
                return code, value[len(short) :]
        return None

    def _resolve_name(self, name: str, district: str | None, point_town: str | None) -> Resolution:
        if name in self._alias:
            codes = [c for c, scope in self._alias[name] if scope in (None, district)]
            if codes:
                return self._narrow(codes, district, point_town, how="alias")
        if name in self._by_name:
            return self._narrow(self._by_name[name], district, point_town, how="name")
        if name in self._short:
            return self._narrow(self._short[name], district, point_town, how="name")
        if name in self._former_names:
            pairs = self._former_names[name]
            return self._narrow([c for c, _ in pairs], district, point_town, how="former_name")
        core, kinds = _split_ending(name, min_core=1)
        if name in self._by_core:  # 花乡, 良乡, 杨镇: the ending is part of the core
            core, kinds = name, _ANY_KIND
        if core in self._alias and kinds is not _ANY_KIND:
            codes = [c for c, scope in self._alias[core] if scope in (None, district)]
            if codes:
                return self._narrow(codes, district, point_town, how="alias")
        if core in self._short and kinds is not _ANY_KIND:  # 广外街道
            fitting = [c for c in self._short[core] if self._by_code[c].kind in kinds]
            if fitting:
                return self._narrow(fitting, district, point_town, how="name")
        codes = self._by_core.get(core, [])
        if not codes:
            return _UNKNOWN
        if len(codes) > 1:  # an ending that fits one kind only picks among same-core towns
            fitting = [c for c in codes if self._by_code[c].kind in kinds]
            codes = fitting or codes
        if kinds is _ANY_KIND and district is None and core + "区" in _DISTRICT_NAMES:
            return Resolution(None, "ambiguous", "district_name", tuple(codes))
        return self._narrow(codes, district, point_town, how="name")

    def _narrow(
        self, codes: list[str], district: str | None, point_town: str | None, *, how: str
    ) -> Resolution:
        unique = tuple(dict.fromkeys(codes))
        if district:
            inside = tuple(c for c in unique if self._by_code[c].district == district)
            if not inside:
                return Resolution(None, "outside_district", how, unique, district)
            unique = inside
        if len(unique) == 1:
            return Resolution(unique[0], "ok", how, unique, district)
        if point_town in unique:
            return Resolution(point_town, "ok", how + "+point", unique, district)
        return Resolution(None, "ambiguous", how, unique, district)

    def _address_forms(self) -> list[str]:
        """Every town form :meth:`resolve` accepts, as an address or a text may carry it.

        Official and former names; each core with every ending (回龙观镇 for 回龙观街道: a unit
        renamed from 镇 to 街道 or 地区 keeps its old name in addresses, and ``resolve`` reads
        it); the short names of :data:`ALIASES` with the endings of their unit (广外街道) and,
        from three characters, alone (经开区); an administrator's aliases alone (from three
        characters) and with every ending.
        """
        forms = set(self._by_name) | set(self._former_names)
        endings = [ending for ending, _ in _ENDINGS]
        for town in self._by_code.values():
            if town.kind != "其他":
                forms |= {town.core + ending for ending in endings}
        for short, codes in self._short.items():
            kinds = {self._by_code[c].kind for c in codes}
            forms |= {short + e for e, allowed in _ENDINGS if kinds & allowed}
        for alias in self._alias:
            forms |= {alias + ending for ending in endings}
        forms |= {a for a in [*self._alias, *self._short] if len(a) >= 3}
        return sorted(f for f in forms if len(f) >= 2)


def _kind_of(name: str) -> str:
    for kind in ("街道", "地区", "镇", "乡"):
        if name.endswith(kind):
            return kind
    return "其他"


def _drop_city(value: str) -> str:
    """``value`` without a leading 北京市 / 北京 (kept when nothing would follow)."""
    for city in _CITY:
        if value.startswith(city) and len(value) > len(city):
            return value[len(city) :]
    return value


def district_code(text: object) -> str | None:
    """The district code for a district column value (海淀区, 海淀, 北京市海淀区, 110108, 宣武区)."""
    value = _drop_city(clean(text))
    if value[:6] in DISTRICTS and value.isdigit():
        return value[:6]
    if value in _DISTRICT_NAMES:
        return _DISTRICT_NAMES[value]
    return dict(_SHORT_DISTRICTS).get(value)


def district_codes(values: pd.Series) -> pd.Series:
    """:func:`district_code` of each row's district column (None when absent or unreadable)."""
    distinct = {v: district_code(v) for v in values.dropna().unique()}
    return values.map(distinct).astype("object")


def in_district(codes: pd.Series, stated: pd.Series) -> pd.Series:
    """True where no district is stated, or the town code lies in the stated district."""
    out = stated.isna()
    some = ~out & codes.notna()
    if some.any():
        out[some] = codes[some].astype(str).str[:6] == stated[some]
    return out


class _Forms:
    """Literal town forms found in a text: leftmost first, the longest form at each position.

    A dictionary scan (set look-ups per position and candidate length), the same matches as a
    regex alternation of the forms sorted longest first, about ten times faster on 2 k forms.
    """

    def __init__(self, forms: Iterable[str]) -> None:
        self._set = set(forms)
        lengths: dict[str, set[int]] = {}
        for form in self._set:
            lengths.setdefault(form[0], set()).add(len(form))
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}

    def at(self, text: str, i: int) -> str | None:
        """The longest form starting at ``text[i]``, or None."""
        for length in self._lengths.get(text[i], ()) if i < len(text) else ():
            piece = text[i : i + length]
            if len(piece) == length and piece in self._set:
                return piece
        return None

    def scan(self, text: str) -> Iterable[str]:
        """Non-overlapping forms in ``text``, left to right."""
        i = 0
        while i < len(text):
            form = self.at(text, i)
            if form:
                yield form
                i += len(form)
            else:
                i += 1


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """A regex matching any of ``words``, the longest first at each position."""
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in ordered) or "(?!)")


def resolve_town(text: str, towns: pd.DataFrame) -> str | None:
    """The town code for a code or a name in any common form; None when unknown or ambiguous.

    A district named in the text (``房山区城关街道``) narrows a shared name. For many values,
    build one :class:`Gazetteer` and call :meth:`Gazetteer.resolve`.
    """
    return gazetteer_for(towns).resolve(text).code


def gazetteer_for(towns: pd.DataFrame) -> Gazetteer:
    """A :class:`Gazetteer` of ``towns`` (``district_code`` derived from ``district_name`` if absent)."""
    frame = towns.copy()
    if "district_code" not in frame:
        by_name = {n: c for c, n in DISTRICTS.items()}
        if "district_name" in frame:
            frame["district_code"] = frame["district_name"].map(by_name).fillna("")
        else:
            frame["district_code"] = ""
    from heatmap.geo.geography import load_former_towns  # the reference table in geo/

    return Gazetteer(frame, former=load_former_towns())
