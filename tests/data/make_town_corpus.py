"""Generate the adversarial corpus of town names and addresses from the 2023 list.

Run from the repository root: ``python tests/data/make_town_corpus.py`` writes
``tests/data/town_name_corpus.csv`` (see ``town_name_corpus.README.md``). Every unit gets every
name form, with and without its district, alone and inside address templates; every pair whose
core names nest (景山 / 石景山区, 密云镇 / 密云区, 永定 / 永定路 …) and every name shared by two
districts gets its own cases. The expected answer is worked out here from the list alone, by the
rule stated in the README, not by the resolver under test.
"""

from __future__ import annotations

import csv
import itertools
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIST = ROOT / "geo" / "reference" / "beijing_townships_nbs2023.csv"
FORMER = ROOT / "geo" / "reference" / "beijing_townships_pre2021.csv"
OUT = Path(__file__).with_name("town_name_corpus.csv")

AMBIGUOUS, NONE = "AMBIGUOUS", "NONE"
KINDS = ("街道", "地区", "镇", "乡")
# ending -> kinds of unit it can name (a 地区 unit is also called 乡 or 镇; 地区 also said of 乡/镇)
ENDINGS = {
    "街道": {"街道"}, "街道办事处": {"街道"}, "街道办": {"街道"}, "办事处": {"街道", "地区"},
    "地区": {"地区", "镇", "乡"}, "地区办事处": {"地区"},
    "镇": {"镇", "地区"}, "镇人民政府": {"镇", "地区"}, "镇政府": {"镇", "地区"},
    "乡": {"乡", "地区"}, "乡人民政府": {"乡", "地区"}, "乡政府": {"乡", "地区"},
}  # fmt: skip
FORMS_OF = {  # the endings a unit of each kind is written with in the field
    "街道": ("街道", "街道办事处", "街道办", "办事处"),
    "地区": ("地区", "地区办事处", "乡", "镇", "乡人民政府", "镇人民政府", "办事处"),
    "镇": ("镇", "镇人民政府", "镇政府"),
    "乡": ("乡", "乡人民政府", "乡政府"),
}
ADDRESS = (
    "北京市{d}{t}幸福里小区3号楼2单元",
    "{d}{t}东侧路口",
    "北京{d}{t}某某村委会附近",
    "{t}辖区内某小区门口",
    "北京市{d}{t}",
)


def core_of(name: str, kind: str) -> str:
    if kind == "其他":
        return name
    for ethnic in ("回族乡", "满族乡"):
        if name.endswith(ethnic):
            return name[: -len(ethnic)]
    return name[: -len(kind)] if name.endswith(kind) else name


def main() -> None:
    towns = list(csv.DictReader(LIST.open(encoding="utf-8")))
    for town in towns:
        town["core"] = core_of(town["name"], town["kind"])
    districts = {t["district_code"]: t["district_name"] for t in towns}
    short_districts = {name[:-1] for name in districts.values()}
    rows: list[dict[str, str]] = []

    def named_by(core: str, ending: str | None, district: str | None) -> list[str]:
        """The units a core with this ending can name in the district (None: anywhere)."""
        kinds = ENDINGS[ending] if ending else {*KINDS, "其他"}
        same = [t for t in towns if t["core"] == core and (district is None or t["district_code"] == district)]
        fitting = [t for t in same if t["kind"] in kinds]
        return [t["code9"] for t in (fitting or same)]

    def expect(core: str, ending: str | None, district: str | None) -> str:
        codes = named_by(core, ending, district)
        if not codes:
            return NONE
        if ending is None and district is None and core in short_districts:
            return AMBIGUOUS  # 海淀 alone is the district as much as 海淀街道
        return codes[0] if len(codes) == 1 else AMBIGUOUS

    def add(field: str, text: str, expected: str, form: str, case: str, district: str = "",
            point: str = "") -> None:  # fmt: skip
        rows.append({"field": field, "text": text, "district": district, "point_town": point,
                     "expected": expected, "form": form, "case": case})  # fmt: skip

    for town in towns:
        code, name, kind, core = town["code9"], town["name"], town["kind"], town["core"]
        dcode, dname = town["district_code"], town["district_name"]
        add("town", code, code, "code9", "code")
        add("town", town["code12"], code, "code12", "code")
        add("town", code[:6] + "".join(chr(ord(c) + 0xFEE0) for c in code[6:]), code,
            "code9_fullwidth", "code")  # fmt: skip
        if kind == "其他":
            forms = [(name, None)]
        else:
            forms = [(name, kind if not name.endswith(("回族乡", "满族乡")) else "乡")]
            forms += [(core + e, e) for e in FORMS_OF[kind]]
            forms += [(core, None)]
            if name.endswith(("回族乡", "满族乡")):
                forms += [(name + "人民政府", "乡人民政府")]
        for text, ending in dict.fromkeys(forms):
            here = core if kind != "其他" else name
            end = ending if kind != "其他" else None
            if kind == "其他":
                alone = code if sum(t["name"] == name for t in towns) == 1 else AMBIGUOUS
                with_d = alone
            else:
                alone, with_d = expect(here, end, None), expect(here, end, dcode)
            label = f"{kind}:{ending or 'bare'}"
            add("town", text, alone, label, "name")
            add("town", text, with_d, label, "name+district_column", district=dname)
            add("town", text, with_d, label, "name+short_district_column", district=dname[:-1])
            add("town", dname + text, with_d, label, "district_prefixed")
            add("town", "北京市" + dname + text, with_d, label, "city_district_prefixed")
            add("town", " ".join(text), alone, label, "spaced")
            add("town", unicodedata.normalize("NFKC", text).replace("", "\u3000")[1:-1], alone,
                label, "fullwidth_spaces")  # fmt: skip
            if len(text) >= 3 and ending is not None:  # a district without 区 before a full name
                add("town", dname[:-1] + text, with_d, label, "short_district_prefixed")
            if ending is None and kind != "其他":
                continue  # a bare core in an address is a road or a place, not a town
            for template in ADDRESS:
                has_d = "{d}" in template
                address = template.format(d=dname if has_d else "", t=text)
                add("address", address, with_d if has_d else alone, label, "address")
                if not has_d:
                    add("address", address, with_d, label, "address+district_column",
                        district=dname)  # fmt: skip
            add("address", dname[:-1] + text + "某小区", with_d, label, "address_short_district")

    # Wrong district: a town named with a district that does not hold it is never chosen.
    for town in towns[::7]:
        other = next(d for d in districts if d != town["district_code"])
        add("town", town["name"], NONE, "official", "wrong_district_column",
            district=districts[other])  # fmt: skip
        add("address", "北京市" + districts[other] + town["name"] + "某小区", NONE, "official",
            "address_wrong_district")  # fmt: skip

    # Shared names: resolved by district, else by the point's town, else ambiguous.
    by_core: dict[str, list[dict[str, str]]] = {}
    for town in towns:
        by_core.setdefault(town["core"], []).append(town)
    for core, group in by_core.items():
        if len(group) < 2:
            continue
        third = next(t["code9"] for t in towns if t["core"] != core)
        for town in group:
            for ending in ("办事处", None):
                text = core + (ending or "")
                add("town", text, town["code9"], f"shared:{ending or 'bare'}", "shared+point",
                    point=town["code9"])  # fmt: skip
                add("town", text, AMBIGUOUS, f"shared:{ending or 'bare'}",
                    "shared+point_elsewhere", point=third)  # fmt: skip
            add("address", core + "办事处附近某小区", town["code9"], "shared", "address_shared+point",
                point=town["code9"])  # fmt: skip

    # Nested cores: one unit's core inside another unit's name or a district's name.
    for a, b in itertools.permutations(towns, 2):
        if a["kind"] == "其他" or b["kind"] == "其他" or a["core"] == b["core"]:
            continue
        if a["core"] in b["core"]:
            add("address", f"北京市{b['district_name']}{b['name']}{a['core']}路口",
                b["code9"], f"{a['core']}⊂{b['core']}", "nested_core")  # fmt: skip
            add("town", b["name"], b["code9"], f"{a['core']}⊂{b['core']}", "nested_core")
    for town in towns:
        for dname in districts.values():
            if town["kind"] != "其他" and town["core"] in dname and town["district_name"] != dname:
                for other in (t for t in towns if t["district_name"] == dname and t["kind"] != "其他"):
                    add("address", f"北京市{dname}{other['name']}某号", other["code9"],
                        f"{town['core']}⊂{dname}", "core_in_district_name")  # fmt: skip

    # Former names and codes (before the 2020–2021 changes) go to their successor.
    if FORMER.exists():
        for old in csv.DictReader(FORMER.open(encoding="utf-8")):
            successor = old["successor_code9"]
            if successor not in {t["code9"] for t in towns}:
                continue
            if old["old_name"] in {t["name"] for t in towns}:
                continue  # the name now belongs to a current unit (卢沟桥街道): that unit wins
            add("town", old["old_code9"], successor, "former_code", "former")
            add("town", old["old_name"], successor, "former_name", "former",
                district=districts.get(old["district_code"], ""))  # fmt: skip

    # Things that name no town at all.
    for text in ("不详", "北京市", "海淀区", "110108", "110199001", "某某街道", "学院", "12345"):
        add("town", text, NONE if text != "海淀区" else NONE, "not_a_town", "noise")
    for text in ("北京市海淀区学院路30号", "北京市朝阳区建国路88号", "海淀区中关村大街1号", "北京市"):
        add("address", text, NONE, "street_only", "noise")

    unique = {(r["field"], r["text"], r["district"], r["point_town"]): r for r in rows}
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(unique.values())
    print(f"{len(unique)} cases -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
