"""Targets met or missed, and the summary printed at the end of a run."""

from __future__ import annotations

from typing import Any

from heatmap_bench.common import TARGETS
from heatmap_bench.scale import scale_lines

# --------------------------------------------------------------------------- report


def check_targets(result: dict[str, Any], *, full_scale: bool) -> dict[str, Any]:
    """Each target of issue 7 with the measured value and whether it is met at these sizes."""
    spatial = result.get("spatial") or []
    pages = result.get("queries", {}).get("pages", {})
    worst_page = max(
        ((p, s, v["p95_ms"]) for p, scopes in pages.items() for s, v in scopes.items()),
        key=lambda x: x[2],
        default=("", "", 0.0),
    )
    payload = result.get("payload", {})
    payload_max = max(
        (v for s in ("city", "district") for k, v in payload.get(s, {}).items()
         if k.endswith("_bytes")),
        default=0,
    )  # fmt: skip
    imp = result.get("import", {})
    app_rss = result.get("memory", {}).get("app_peak_rss_bytes") or 0
    out: dict[str, Any] = {
        "full_scale": full_scale,
        "spatial_ratio": _target(
            min((s["ratio"] for s in spatial), default=0.0), TARGETS["spatial_ratio"], higher=True
        ),
        "spatial_identical": all(s["identical"] for s in spatial),
        "import_seconds": _target(imp.get("seconds", 0.0), TARGETS["import_seconds"]),
        "page_p95_ms": {
            **_target(worst_page[2], TARGETS["page_p95_ms"]),
            "worst": f"{worst_page[0]} ({worst_page[1]})",
        },
        "payload_bytes": _target(payload_max, TARGETS["payload_bytes"]),
        "app_rss_bytes": _target(app_rss, TARGETS["app_rss_bytes"]),
    }
    whole = result.get("whole_page")
    if whole:
        out["whole_page_p95_ms"] = {
            **_target(whole["worst_p95_ms"], TARGETS["whole_page_p95_ms"]),
            "worst": whole["worst_page"],
        }
    out["import_seconds"]["records"] = imp.get("records")
    return out


def _target(value: float, target: float, *, higher: bool = False) -> dict[str, Any]:
    met = value >= target if higher else value <= target
    return {"value": value, "target": target, "met": bool(met)}


def summary_lines(result: dict[str, Any]) -> list[str]:
    """Human-readable lines: ratios beside the absolute figures."""
    m = result["machine"]
    lines = [f"machine: {m['cpu']}, {m['cores']} cores, {_size(m['memory_bytes'])} RAM, {m['os']}"]
    for s in result.get("spatial", []):
        lines.append(
            f"spatial {s['points']:>12,} points: ours {s['ours_per_s'] / 1e6:.2f} M/s vs sjoin "
            f"{s['sjoin_per_s'] / 1e6:.2f} M/s = {s['ratio']}x (first call {s['ratio_first_call']}x,"
            f" with building the points {s['ratio_with_points']}x); identical={s['identical']}"
        )
    st = result.get("store", {})
    if st:
        built = "reused" if st["reused"] else f"built in {st['build_s']} s"
        lines.append(
            f"store   {st['months']} months x {st['per_month']:,} = {st['records']:,} records, "
            f"{_size(st['file_bytes'])}, {built}; aggregates {st['agg_town_month_rows']:,} town "
            f"rows, {st['agg_cell_month_rows']:,} cell rows"
        )
    imp = result.get("import", {})
    if imp:
        for path in ("ingest", "core"):
            e = imp[path]
            stages = ", ".join(f"{k} {v}" for k, v in e["stages_s"].items())
            lines.append(
                f"import  {imp['records']:>12,} records, {path:<6}: {e['seconds']} s "
                f"({e['rows_per_s']:,} rows/s) [{stages}]"
            )
        b = imp["baseline"]
        lines.append(
            f"import  baseline read_csv+sjoin: {b['seconds']} s ({b['rows_per_s']:,} rows/s): "
            f"ingest {imp['ratio']}x, core {imp['core']['ratio']}x; identical towns="
            f"{imp['identical_towns']}, identical aggregates={imp['identical_aggregates']}"
        )
    lines += scale_lines(result.get("scale"))
    q = result.get("queries", {})
    for page, scopes in q.get("pages", {}).items():
        text = "; ".join(
            f"{s} p50 {v['p50_ms']} ms p95 {v['p95_ms']} ms" for s, v in scopes.items()
        )
        ratio = q.get("ratio_vs_raw", {}).get(page)
        lines.append(
            f"page    {page:<24} {text}" + (f"; {ratio}x faster than raw records" if ratio else "")
        )
    for page, scopes in result.get("whole_page", {}).get("pages", {}).items():
        text = "; ".join(
            f"{s} p50 {v['p50_ms']} ms p95 {v['p95_ms']} ms (data {v['data_p50_ms']} ms, "
            f"build+render {v['build_and_render_p50_ms']} ms, {_size(v['payload_bytes_p50'])})"
            for s, v in scopes.items()
        )
        lines.append(f"whole   {page:<24} {text}")
    p = result.get("payload", {})
    for scope in ("city", "district"):
        if scope in p:
            e = p[scope]
            lines.append(
                f"payload heatmap {scope:<8} {_size(e['without_density_bytes'])} without density, "
                f"{_size(e['with_density_r8_bytes'])} with r8 ({e['hexagons_r8']:,} hexagons), "
                f"{_size(e['with_density_r7_bytes'])} with r7"
            )
    if "baseline_raw_points" in p:
        b = p["baseline_raw_points"]
        lines.append(
            f"payload raw points of the month: {b['points']:,} points = {_size(b['bytes'])} "
            f"({p['ratio_vs_raw_points']}x the heat map with density)"
        )
    mem = result.get("memory", {})
    if mem:
        lines.append(
            f"memory  app process peak {_size(mem['app_peak_rss_bytes'])}; bench process peak "
            f"{_size(mem['bench_peak_rss_bytes'])}"
        )
    targets = result.get("targets", {})
    if targets and not targets.get("full_scale"):
        lines.append("target  (not the full sizes: the targets below are for information only)")
    for key, t in targets.items():
        if isinstance(t, dict):
            lines.append(
                f"target  {key}: {t['value']} vs {t['target']} -> {'met' if t['met'] else 'MISSED'}"
            )
    lines.append(f"total   {result.get('seconds')} s")
    return lines


def _size(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
