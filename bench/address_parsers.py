"""Evaluate jionlp and cpca against the project's town resolver on the town-name corpus.

Not part of the test suite (it installs two libraries the product does not use). To re-run:
  python3 -m venv /tmp/libeval/venv && /tmp/libeval/venv/bin/pip install jionlp cpca pandas
  /tmp/libeval/venv/bin/python bench/address_parsers.py
The figures of the last run are in bench/address_parsers.json and bench/RESULTS.md.
It runs the baseline itself in a subprocess with /work/main/.venv/bin/python (mode `baseline`),
because the project's package lives in that environment. Nothing under /work/main is written.

Outputs (in /tmp/libeval): results.csv (one row per corpus row, every system's answer and the
libraries' raw district/town), summary.json (figures), baseline_out.csv (baseline answers).

Systems
  ours          Gazetteer.resolve (field=town) / Gazetteer.parse_address (field=address)
  jionlp        jio.parse_location(text, town_village=True, change2new=True); input = raw text,
                prefixed with the district column when the row has one and the text lacks it
  jionlp_best   same call, input cleaned the way a user would help it: NFKC (full-width ->
                half-width), whitespace removed, and "北京市" prefixed when the text has no "北京"
                (without a province jionlp cannot pick Beijing's 朝阳区/通州区 over the namesakes
                in 长春/南通, and then returns no town)
  cpca          cpca.transform(list) -> 省/市/区/地址/adcode; no cpca version has a town level,
                so the town answer is always NONE (district-level accuracy is reported too)
  cpca_best     cpca with the cleaned input and umap={every Beijing district name: its code}
Adapter: the library's district (must be a Beijing district) + its town name -> look up the
2023 list by exact official name within that district; a bare core (no 街道/地区/镇/乡 ending) is
tried as core + 街道/镇/乡/地区 (several hits -> AMBIGUOUS); a full name not in the list, or no
town -> NONE. (Swapping the ending of a full pre-2021 name was tried and rejected: it turned
南苑地区 -> 南苑街道 and 长辛店镇 -> 长辛店街道, both wrong codes.)
"""
# ruff: noqa: SIM115, B905, E501


from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import unicodedata

import pandas as pd

HERE = "/tmp/libeval"
CORPUS = "/work/main/tests/data/town_name_corpus.csv"
TOWNS = "/work/main/geo/reference/beijing_townships_nbs2023.csv"
MAIN_PY = "/work/main/.venv/bin/python"


def load_corpus() -> pd.DataFrame:
    return pd.read_csv(CORPUS, dtype=str, keep_default_na=False, encoding="utf-8")


# --------------------------------------------------------------------------- baseline
def run_baseline() -> None:
    sys.path.insert(0, "/work/main/src")
    from heatmap.geo.geography import load_former_towns, load_township_list
    from heatmap.geo.names import Gazetteer

    t0 = time.perf_counter()
    lst = load_township_list().rename(columns={"code9": "town_code", "name": "town_name"})
    g = Gazetteer(lst, former=load_former_towns())
    build = time.perf_counter() - t0
    d = load_corpus()
    out = []
    t0 = time.perf_counter()
    for r in d.itertuples(index=False):
        fn = g.resolve if r.field == "town" else g.parse_address
        res = fn(r.text, district=r.district or None, point_town=r.point_town or None)
        out.append(res.code or ("AMBIGUOUS" if res.status == "ambiguous" else "NONE"))
    secs = time.perf_counter() - t0
    pd.DataFrame({"got": out}).to_csv(f"{HERE}/baseline_out.csv", index=False)
    json.dump({"seconds": secs, "setup_seconds": build, "rows": len(d)},
              open(f"{HERE}/baseline_time.json", "w"))


# --------------------------------------------------------------------------- adapters
REF = pd.read_csv(TOWNS, dtype=str, keep_default_na=False)
DISTRICT_CODE = dict(zip(REF.district_name, REF.district_code))  # 16 official district names
BY_DISTRICT: dict[str, dict[str, str]] = {}
for _r in REF.itertuples(index=False):
    BY_DISTRICT.setdefault(_r.district_code, {})[_r.name] = _r.code9
SUFFIXES = ("街道", "地区", "镇", "乡")


def lookup(district_code: str | None, town: str | None) -> str:
    """Library's (district, town name) -> 9-digit code / AMBIGUOUS / NONE."""
    if not town or not district_code or district_code not in BY_DISTRICT:
        return "NONE"
    names = BY_DISTRICT[district_code]
    if town in names:
        return names[town]
    if town.endswith(SUFFIXES + ("办事处",)):
        return "NONE"  # a full name that is not in the 2023 list (e.g. a pre-2021 name)
    # a bare core: try core + 街道/地区/镇/乡 (several hits -> AMBIGUOUS)
    hits = sorted({names[town + s] for s in SUFFIXES if town + s in names})
    if len(hits) == 1:
        return hits[0]
    return "AMBIGUOUS" if hits else "NONE"


def prefixed(text: str, district: str) -> str:
    return district + text if district and district not in text else text


WS = re.compile(r"\s+")


def cleaned(text: str) -> str:
    t = WS.sub("", unicodedata.normalize("NFKC", text))
    return t if "北京" in t else "北京市" + t


def run_jionlp(inputs: list[str]) -> tuple[list[dict], float, float]:
    import jionlp as jio

    t0 = time.perf_counter()
    jio.parse_location("北京市海淀区学院路街道", town_village=True)  # loads the 5-level dictionary
    setup = time.perf_counter() - t0
    raw = []
    t0 = time.perf_counter()
    for s in inputs:
        raw.append(jio.parse_location(s, town_village=True, change2new=True))
    return raw, time.perf_counter() - t0, setup


def jionlp_answer(r: dict) -> tuple[str, str, str]:
    prov, county, town = r.get("province"), r.get("county"), r.get("town")
    dcode = DISTRICT_CODE.get(county) if prov in (None, "北京市") else None
    return lookup(dcode, town), county or "", town or ""


def run_cpca(inputs: list[str], umap: dict) -> tuple[pd.DataFrame, float]:
    import cpca

    t0 = time.perf_counter()
    df = cpca.transform(inputs, umap=umap)
    return df, time.perf_counter() - t0


# --------------------------------------------------------------------------- metrics
def kind(e: str) -> str:
    return e if e in ("AMBIGUOUS", "NONE") else "code"


def metrics(d: pd.DataFrame, col: str, secs: float) -> dict:
    got, exp = d[col], d["expected"]
    ok = got == exp
    isc = got.str.fullmatch(r"\d{9}")
    wrong = isc & ~ok
    k = exp.map(kind)
    m = {
        "accuracy": round(ok.mean(), 4),
        "correct": int(ok.sum()),
        "rows": len(d),
        "code_rows_correct_share": round(ok[k == "code"].mean(), 4),
        "code_rows_n": int((k == "code").sum()),
        "ambiguous_rows_reported_ambiguous_share": round(ok[k == "AMBIGUOUS"].mean(), 4),
        "ambiguous_rows_n": int((k == "AMBIGUOUS").sum()),
        "none_rows_correct_share": round(ok[k == "NONE"].mean(), 4),
        "none_rows_n": int((k == "NONE").sum()),
        "wrong_total": int(wrong.sum()),
        "wrong_town": int((wrong & (d.field == "town")).sum()),
        "wrong_address": int((wrong & (d.field == "address")).sum()),
        "accuracy_town_field": round(ok[d.field == "town"].mean(), 4),
        "accuracy_address_field": round(ok[d.field == "address"].mean(), 4),
        "accuracy_excluding_code_form_rows": round(ok[d.case != "code"].mean(), 4),
        "rows_per_second": round(len(d) / secs, 1) if secs else None,
        "seconds": round(secs, 2),
    }
    return m


def examples(d: pd.DataFrame, col: str, n: int = 5) -> list[dict]:
    """Typical failures: the most frequent failing `case`s first, wrong codes preferred."""
    bad = d[d[col] != d.expected].copy()
    if bad.empty:
        return []
    bad["is_wrong"] = bad[col].str.fullmatch(r"\d{9}")
    order = bad.case.value_counts().index.tolist()
    picks = []
    for c in order:
        sub = bad[bad.case == c].sort_values("is_wrong", ascending=False)
        picks.append(sub.sample(1, random_state=7) if not sub.is_wrong.any() else sub.head(1))
        if len(picks) == n:
            break
    out = pd.concat(picks)
    return [
        {"field": r.field, "text": r.text, "district": r.district, "expected": r.expected,
         "got": r[col], "case": r.case, "failing_rows_of_this_case": int((bad.case == r.case).sum())}
        for _, r in out.iterrows()
    ]


def main() -> None:
    from importlib.metadata import version

    d = load_corpus()
    # baseline in the project's own venv
    subprocess.run([MAIN_PY, os.path.abspath(__file__), "baseline"], check=True)
    d["got_ours"] = pd.read_csv(f"{HERE}/baseline_out.csv", dtype=str, keep_default_na=False).got
    bt = json.load(open(f"{HERE}/baseline_time.json"))
    secs = {"ours": bt["seconds"]}
    setup = {"ours": bt["setup_seconds"]}

    plain = [prefixed(t, dist) for t, dist in zip(d.text, d.district)]
    best = [cleaned(s) for s in plain]
    d["input_plain"], d["input_best"] = plain, best

    for name, inputs in (("jionlp", plain), ("jionlp_best", best)):
        raw, s, st = run_jionlp(inputs)
        ans = [jionlp_answer(r) for r in raw]
        d[f"got_{name}"] = [a[0] for a in ans]
        d[f"{name}_district"] = [a[1] for a in ans]
        d[f"{name}_town"] = [a[2] for a in ans]
        secs[name], setup[name] = s, st

    bj_umap = {name: code for name, code in DISTRICT_CODE.items()}
    for name, inputs, umap in (("cpca", plain, {}), ("cpca_best", best, bj_umap)):
        df, s = run_cpca(inputs, umap)
        d[f"{name}_district"] = df["区"].fillna("").tolist()
        d[f"{name}_adcode"] = df["adcode"].fillna("").astype(str).tolist()
        d[f"got_{name}"] = "NONE"  # cpca has no town level in any version
        secs[name] = s

    systems = ["ours", "jionlp", "jionlp_best", "cpca", "cpca_best"]
    summary = {
        "versions": {"jionlp": version("jionlp"), "cpca": version("cpca"),
                     "pandas(libeval venv)": version("pandas")},
        "corpus_rows": len(d),
        "systems": {},
    }
    coded = d.expected.str.fullmatch(r"\d{9}")
    for s in systems:
        m = metrics(d, f"got_{s}", secs[s])
        if s in setup:
            m["setup_seconds"] = round(setup[s], 2)
        if s != "ours":  # district-level: the library's district vs the expected town's district
            if s.startswith("jionlp"):
                dc = d[f"{s}_district"].map(lambda x: DISTRICT_CODE.get(x, ""))
            else:
                dc = d[f"{s}_adcode"].str[:6]
            m["district_correct_share_on_code_rows"] = round(
                (dc[coded] == d.expected[coded].str[:6]).mean(), 4)
        m["failure_examples"] = examples(d, f"got_{s}")
        summary["systems"][s] = m
    # where jionlp returned a town name the adapter could not place
    for s in ("jionlp", "jionlp_best"):
        un = d[(d[f"{s}_town"] != "") & (d[f"got_{s}"] == "NONE")]
        summary["systems"][s]["town_returned_but_unmapped"] = int(len(un))
        summary["systems"][s]["town_returned_rows"] = int((d[f"{s}_town"] != "").sum())
    cols = ["field", "text", "district", "point_town", "expected", "form", "case",
            "got_ours", "input_plain", "got_jionlp", "jionlp_district", "jionlp_town",
            "input_best", "got_jionlp_best", "jionlp_best_district", "jionlp_best_town",
            "got_cpca", "cpca_district", "cpca_adcode", "got_cpca_best", "cpca_best_district",
            "cpca_best_adcode"]
    d[cols].to_csv(f"{HERE}/results.csv", index=False, encoding="utf-8")
    json.dump(summary, open(f"{HERE}/summary.json", "w"), ensure_ascii=False, indent=1)
    for s in systems:
        m = {k: v for k, v in summary["systems"][s].items() if k != "failure_examples"}
        print(s, json.dumps(m, ensure_ascii=False))


if __name__ == "__main__":
    if sys.argv[1:] == ["baseline"]:
        run_baseline()
    else:
        main()
