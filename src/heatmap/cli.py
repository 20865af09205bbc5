"""Command line: ``python -m heatmap <command>`` (demo store, geography, store info)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from heatmap import paths
from heatmap.errors import HeatmapError


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; errors print a clear message and exit with status 2."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except HeatmapError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m heatmap",
        description="北京 12345 街乡镇诉求热力图：演示数据、边界与数据库工具 "
        "(Beijing 12345 demand by street/township: demo data, boundaries and store tools)",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    demo = sub.add_parser("demo", help="生成合成演示数据库 (build the synthetic demo store)")
    demo.add_argument("--db", help="数据库路径 (default: $HEATMAP_DB or data/demo.duckdb)")
    demo.add_argument("--scale", type=float, default=None, help="规模，1 = 真实量级 (default 0.05)")
    demo.add_argument("--seed", type=int, default=None, help="随机种子 (default 20190501)")
    demo.set_defaults(func=_demo)

    from heatmap.access.commands import (  # argparse only: --help stays light
        add_audit_command,
        add_users_command,
    )

    add_users_command(sub)
    add_audit_command(sub)

    info = sub.add_parser("info", help="显示数据库概况 (show what a store holds)")
    info.add_argument("--db", help="数据库路径")
    info.set_defaults(func=_info)

    ingest = sub.add_parser(
        "ingest", help="导入 12345 工单导出文件 (import complaint exports: CSV, XLSX, Parquet)"
    )
    ingest.add_argument("files", nargs="+", metavar="FILE")
    ingest.add_argument("--db", help="数据库路径（不存在则新建；不能是演示数据库）")
    ingest.add_argument(
        "--crs",
        default="auto",
        help="坐标系：auto / wgs84 / gcj02 / bd09 / EPSG:NNNN（投影坐标，如 EPSG:4527、EPSG:3857；"
        "EPSG:4490 即 CGCS2000，按 WGS84 处理）(default auto)",
    )
    ingest.add_argument(
        "--allow-outside",
        action="store_true",
        help="多数坐标在北京市外时仍导入（默认拒绝整个文件）(import even if most points are outside Beijing)",
    )
    ingest.add_argument("--mapping", help="表头对应关系文件 (TOML [columns] or CSV header,field)")
    ingest.add_argument("--report", help="把导入报告写入 JSON 文件")
    ingest.set_defaults(func=_ingest)

    gov = sub.add_parser(
        "governance",
        help="治理类街乡镇：当月前十与督导台账 (monthly top ten and supervision ledger)",
    )
    gov.add_argument("--db", help="数据库路径")
    gov.add_argument("--month", required=True, help="月份 YYYY-MM")
    gov.add_argument("--format", choices=["json", "csv"], default="json")
    _add_setting_args(gov)
    gov.set_defaults(func=_governance)

    rank = sub.add_parser("rank", help="考核排名 (ranking of towns or districts for a month)")
    rank.add_argument("--db", help="数据库路径")
    rank.add_argument("--month", required=True, help="月份 YYYY-MM")
    rank.add_argument("--level", choices=["town", "district"], default="town")
    rank.add_argument("--format", choices=["json", "csv"], default="csv")
    _add_setting_args(rank)
    rank.set_defaults(func=_rank)

    bnd = sub.add_parser("boundaries", help="街乡镇边界集：导入、启用、列表 (boundary sets)")
    bnd_sub = bnd.add_subparsers(title="boundaries commands", metavar="BOUNDARIES_COMMAND")
    bimp = bnd_sub.add_parser(
        "import", help="导入边界文件 (GeoJSON, zipped Shapefile, GeoPackage, GeoParquet)"
    )
    bimp.add_argument("file")
    bimp.add_argument("--name", required=True, help="边界集名称，如 official_2021")
    bimp.add_argument("--valid-from", required=True, help="生效月份 YYYY-MM")
    for flag in ("name-field", "code-field", "district-field", "population-field"):
        bimp.add_argument(f"--{flag}", default=None)
    bimp.add_argument("--approximate", action="store_true", help="标记为示意边界（非官方）")
    bimp.add_argument("--report", help="把报告写入 JSON 文件")
    bimp.set_defaults(func=_boundaries_import)
    bact = bnd_sub.add_parser(
        "activate", help="在数据库中启用边界集并重建汇总 (make a set active in a store)"
    )
    bact.add_argument("name")
    bact.add_argument("--db", help="数据库路径")
    bact.add_argument(
        "--dry-run", action="store_true", help="只预演，报告变化，不写入 (report only)"
    )
    bact.add_argument(
        "--force", action="store_true", help="即使有工单会失去所属街乡镇也启用 (accept losses)"
    )
    bact.add_argument(
        "--reattribute-history",
        action="store_true",
        help="生效月份之前的工单也重新归属，并报告治理类台账的变化 (re-attribute earlier months)",
    )
    bact.set_defaults(func=_boundaries_activate)

    _add_scale_command(sub)

    _add_privacy_command(sub)

    alias = sub.add_parser("aliases", help="街乡镇名称别名 (town-name aliases)")
    alias_sub = alias.add_subparsers(title="aliases commands", metavar="ALIASES_COMMAND")
    aadd = alias_sub.add_parser("add", help="添加别名并归属未匹配的工单 (add, apply to the store)")
    aadd.add_argument("alias")
    aadd.add_argument("town_code", help="9 位街乡镇代码")
    aadd.add_argument("--by", required=True, help="添加人 (who adds it)")
    aadd.add_argument("--district", default=None, help="只在该区有效的区代码 (optional scope)")
    aadd.add_argument("--db", help="数据库路径")
    aadd.set_defaults(func=_aliases_add)
    alst = alias_sub.add_parser("list", help="列出别名与未匹配的名称 (aliases and unmatched names)")
    alst.add_argument("--db", help="数据库路径")
    alst.set_defaults(func=_aliases_list)
    blist = bnd_sub.add_parser("list", help="列出 geo/ 中的边界集")
    blist.set_defaults(func=_boundaries_list)

    add_topics_command(sub)
    add_warn_command(sub)
    add_brief_command(sub)
    add_bench_command(sub)

    geo = sub.add_parser("geo", help="边界数据工具 (boundary tools)")
    geo_sub = geo.add_subparsers(title="geo commands", metavar="GEO_COMMAND")
    build = geo_sub.add_parser(
        "build-demo", help="由乡镇驻地与社区点位重建演示街乡镇边界 (rebuild demo boundaries)"
    )
    build.set_defaults(func=_geo_build)
    return parser


def _add_privacy_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``privacy scan``: personal data already in a store, counted (and masked with --apply)."""
    privacy = subparsers.add_parser("privacy", help="个人信息检查与清除 (personal data in a store)")
    privacy_sub = privacy.add_subparsers(title="privacy commands", metavar="PRIVACY_COMMAND")
    scan = privacy_sub.add_parser(
        "scan",
        help="统计数据库中残留的身份证号、电话、姓名等；加 --apply 在一个事务中遮蔽 "
        "(count personal data in a store; --apply masks it in one transaction)",
    )
    scan.add_argument("--db", required=True, help="数据库路径")
    scan.add_argument(
        "--apply",
        action="store_true",
        help="遮蔽找到的个人信息并写入（默认只报告）(mask and write)",
    )
    scan.add_argument("--by", default=None, help="操作人，记入审计日志 (default: the OS user)")
    scan.set_defaults(func=_privacy_scan)


def _privacy_scan(args: argparse.Namespace) -> int:
    import getpass

    from heatmap.access import audit
    from heatmap.errors import StoreError
    from heatmap.intake import store
    from heatmap.intake.scrub import scan_store

    db = Path(args.db)
    if not db.exists():
        raise StoreError(f"数据库文件不存在: {db} (store not found); 请检查 --db")
    by = args.by or getpass.getuser()
    action = "privacy_clean" if args.apply else "privacy_scan"
    con = store.connect(db, read_only=not args.apply)
    try:
        report = scan_store(con, apply=args.apply)
    except Exception as exc:
        audit.record(db, by, action, target=db.name, outcome="failed", detail=str(exc)[:500])
        raise
    finally:
        con.close()
    found = report.as_dict()
    audit.record(db, by, action, target=db.name, detail=json.dumps(found["found"]))
    print(json.dumps(found, ensure_ascii=False, indent=2))
    return 0


def _store_and_month(parser: argparse.ArgumentParser) -> None:
    """The ``--db`` and ``--month`` every per-month report takes."""
    parser.add_argument("--db", help="数据库路径 (default: $HEATMAP_DB or data/demo.duckdb)")
    parser.add_argument("--month", required=True, help="月份 YYYY-MM")


def _volume_basis(parser: argparse.ArgumentParser) -> None:
    """``--measure``: the volume basis (接诉量口径) of a per-month report."""
    parser.add_argument(
        "--measure", choices=["dispatched", "accepted"], default="dispatched",
        help="接诉量口径 (default dispatched, as the reports count)",
    )  # fmt: skip


def add_warn_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``warn --db PATH --month YYYY-MM [--method M] [--format json|csv]``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "warn",
        help="监测预警：下月可能进入前十的街乡镇及回测 (risk of entering next month's top ten)",
    )
    _store_and_month(parser)
    parser.add_argument(
        "--method", choices=["persistence", "rank_ma", "model"], default="model",
        help="预测方法 (default model; the backtest covers all three)",
    )  # fmt: skip
    parser.add_argument("--format", choices=["json", "csv"], default="json")
    _volume_basis(parser)
    parser.set_defaults(func=_warn)
    return parser


def _warn(args: argparse.Namespace) -> int:
    from heatmap.analysis import warning
    from heatmap.intake import store

    con = store.connect(paths.db_path(args.db), read_only=True)
    try:
        found = warning.outlook(con, args.month, method=args.method, measure=args.measure)
    finally:
        con.close()
    towns = [
        {
            "town_code": str(r["town_code"]), "town_name": str(r["town_name"]),
            "district": str(r["district_name"]), "district_code": str(r["district_code"]),
            "p_top_ten": round(float(r["p_top_ten"]), 6),
            "projected_volume": round(float(r["projected_volume"]), 1),
            "projected_rank": int(r["projected_rank"]), "reasons": list(r["reasons"]),
        }
        for r in found.risk.to_dict("records")
    ]  # fmt: skip
    if args.format == "csv":
        rows = [{**r, "reasons": "、".join(map(str, r["reasons"]))} for r in towns]  # type: ignore[call-overload]
        import pandas as pd

        sys.stdout.write(_csv(pd.DataFrame(rows)))
        return 0
    backtest = [
        {
            "month": str(r["month"]), "method": str(r["method"]),
            "precision": _fraction(r["precision"]), "recall": _fraction(r["recall"]),
            "new_entrant_recall": _fraction(r["new_entrant_recall"]),
        }
        for r in found.backtest.to_dict("records")
    ]  # fmt: skip
    target = towns and str(found.risk["target_month"].iloc[0])
    out = {
        "month": args.month, "target_month": target, "method": args.method, "towns": towns,
        "backtest": backtest, "beats_persistence_on_new_entrants": found.beats_persistence(),
    }  # fmt: skip
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def add_topics_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``topics --db PATH --month YYYY-MM --format json|csv [--year Y]``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "topics",
        help="每月一题：清单问题的当月接诉量与环比 (the 每月一题 problems of a month and their change)",
    )
    _store_and_month(parser)
    parser.add_argument("--format", choices=["json", "csv"], default="json")
    parser.add_argument(
        "--year",
        type=int,
        default=None,
        help="清单年份 (default: the month's year or the latest before)",
    )
    _volume_basis(parser)
    parser.set_defaults(func=_topics)
    return parser


def add_brief_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``brief --month YYYY-MM --out DIR [--district D] [--lang zh|en] [--set K=V]``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "brief",
        help="月度简报：PNG、PDF、PPTX (the monthly briefing's figures for a month and scope)",
    )
    _store_and_month(parser)
    parser.add_argument("--district", help="区名称或代码，如 海淀区 / 110108（默认全市）")
    parser.add_argument("--out", required=True, help="输出目录 (created when missing)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument(
        "--set", action="append", metavar="NAME=VALUE",
        help="覆盖设置，如 governance_months_out=4 或 volume_measure=accepted",
    )  # fmt: skip
    parser.set_defaults(func=_brief)
    return parser


def add_bench_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``bench [--quick] --json OUT [--sizes KEY=N ...]`` on ``subparsers``."""
    bench = subparsers.add_parser(
        "bench",
        help="性能基准：空间匹配、月度导入、页面查询、载荷与内存 (benchmark at Beijing scale)",
        description="Build demo data at stated sizes and measure, each against a baseline "
        "measured in the same run (sizes: bench/README.md; --quick for CI).",
    )
    bench.add_argument("--quick", action="store_true", help="small sizes (CI smoke test, < 2 min)")
    bench.add_argument("--json", required=True, metavar="OUT", help="write the results here")
    bench.add_argument(
        "--sizes",
        nargs="+",
        metavar="KEY=N",
        help="override sizes: spatial=1e6,1e7 import=2M months=36 per_month=500k repeats=20",
    )
    bench.add_argument(
        "--work",
        metavar="DIR",
        help="keep the bench stores here and reuse a matching one (default: a temporary dir)",
    )
    bench.add_argument(
        "--seed", type=int, default=None, help="demo generator seed (default 20190501)"
    )
    bench.set_defaults(func=_bench)
    return bench


def _topics(args: argparse.Namespace) -> int:
    return run_topics_command(args)


def _brief(args: argparse.Namespace) -> int:
    from heatmap.output.briefing import run_brief_command

    return run_brief_command(args)


def _bench(args: argparse.Namespace) -> int:
    from heatmap_bench import run_bench_command

    return run_bench_command(args)


def _demo(args: argparse.Namespace) -> int:
    from heatmap.intake.demo import DEFAULT_SCALE, DEFAULT_SEED, build_demo

    db = paths.db_path(args.db)
    scale = DEFAULT_SCALE if args.scale is None else args.scale
    if not 0 < scale <= 5:
        raise HeatmapError(f"--scale 应在 (0, 5] 之间，收到 {scale} (1 = the real volume)")
    started = time.perf_counter()

    def report(fraction: float, message: str) -> None:
        print(f"\r[{fraction:5.0%}] {message}", end="", file=sys.stderr, flush=True)

    counts = build_demo(
        db, scale=scale, seed=DEFAULT_SEED if args.seed is None else args.seed, progress=report
    )
    print(file=sys.stderr)
    print(
        json.dumps(
            {"db": str(db), **counts, "seconds": round(time.perf_counter() - started, 1)},
            ensure_ascii=False,
        )
    )
    return 0


def _info(args: argparse.Namespace) -> int:
    from heatmap.analysis import queries
    from heatmap.intake import store

    db = paths.db_path(args.db)
    con = store.connect(db, read_only=True)
    try:
        meta = store.get_meta(con)
        months = queries.available_months(con)
        out = {
            "db": str(db),
            "records": store.record_count(con),
            "months": [months[0], months[-1]] if months else [],
            **meta,
        }
    finally:
        con.close()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _geo_build(args: argparse.Namespace) -> int:
    from heatmap.geo.geography import write_demo_townships

    out = write_demo_townships(paths.GEO_DIR / "reference", paths.GEO_DIR)
    print(f"wrote {out}")
    return 0


def _add_setting_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="覆盖设置，如 governance_months_out=4 或 volume_measure=accepted (override a setting)",
    )


def _panel(args: argparse.Namespace, level: str = "town") -> tuple[Any, Any]:
    from heatmap.analysis import queries
    from heatmap.intake import store
    from heatmap.settings import make_settings, parse_overrides, score_weights

    settings = make_settings(parse_overrides(args.set))
    con = store.connect(paths.db_path(args.db), read_only=True)
    try:
        queries.require_month(con, args.month)
        panel = queries.monthly_panel(
            con, measure=settings["volume_measure"], weights=score_weights(settings), level=level
        )
    finally:
        con.close()
    return panel, settings


def _governance(args: argparse.Namespace) -> int:
    from heatmap.analysis import governance
    from heatmap.settings import governance_values

    panel, settings = _panel(args)
    gov = governance.evaluate(
        panel, governance.ExitRules.from_settings(governance_values(settings))
    )
    top = governance.top_ten(gov, panel, args.month)
    ledger = governance.as_of(gov, args.month)
    summary = governance.summary(gov, args.month)
    top_rows = [
        {"town_code": r["town_code"], "town_name": r["town_name"], "district": r["district_name"],
         "volume": int(r["volume"]), "rank": int(r["rank"]),
         "status": r["status"] if isinstance(r["status"], str) else None}
        for r in top.to_dict("records")
    ]  # fmt: skip
    ledger_rows = [
        {"town_code": r["town_code"], "town_name": r["town_name"], "district": r["district_name"],
         "spell": int(r["spell"]), "entry_month": r["entry_month"],
         "exit_month": r["exit_month"] if isinstance(r["exit_month"], str) else None,
         "months_supervised": int(r["months_supervised"])}
        for r in ledger.to_dict("records")
    ]  # fmt: skip
    if args.format == "json":
        out = {"month": args.month, "top_ten": top_rows, "ledger": ledger_rows, "summary": summary}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        import pandas as pd

        sys.stdout.write(_csv(pd.DataFrame(top_rows)))
        sys.stdout.write("\n")
        sys.stdout.write(_csv(pd.DataFrame(ledger_rows)))
    return 0


def _rank(args: argparse.Namespace) -> int:
    from heatmap.measures import MEASURES, RATES

    panel, _ = _panel(args, level=args.level)
    key = "town_code" if args.level == "town" else "district_code"
    cols = [key, *(["town_name"] if args.level == "town" else []), "district_name", "volume", "rank",
            "previous_rank", "mom", "yoy", *RATES, "score", "score_rank",
            *[m for m in MEASURES if m not in ("volume", *RATES)]]  # fmt: skip
    month = panel[panel["month"] == args.month].sort_values(["rank", key])[cols]
    if args.format == "json":
        print(month.to_json(orient="records", force_ascii=False, indent=2))
    else:
        sys.stdout.write(_csv(month, float_format="%.4f"))
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from heatmap.intake.ingest import ImportOptions, load_mapping
    from heatmap.intake.loading import ingest_into

    options = ImportOptions(
        crs=args.crs,
        mapping=load_mapping(args.mapping) if args.mapping else {},
        allow_outside=args.allow_outside,
    )
    report = ingest_into(paths.db_path(args.db), args.files, options=options)
    text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
    if args.report:
        Path(args.report).write_text(text, encoding="utf-8")
    print(text)
    return 0


def _boundaries_import(args: argparse.Namespace) -> int:
    from heatmap.intake.boundaries import import_boundaries

    report = import_boundaries(
        args.file, name=args.name, valid_from=args.valid_from, name_field=args.name_field,
        code_field=args.code_field, district_field=args.district_field,
        population_field=args.population_field, approximate=args.approximate,
    )  # fmt: skip
    text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str)
    if args.report:
        Path(args.report).write_text(text, encoding="utf-8")
    print(text)
    return 0


def _boundaries_activate(args: argparse.Namespace) -> int:
    from heatmap.analysis.activation import activate
    from heatmap.intake import store

    con = store.connect(paths.db_path(args.db))
    try:
        plan = activate(
            con, args.name, dry_run=args.dry_run, force=args.force,
            reattribute_history=args.reattribute_history,
        )  # fmt: skip
        print(json.dumps(plan, ensure_ascii=False, indent=2, default=str))
    finally:
        con.close()
    return 0


def _add_scale_command(sub: Any) -> None:
    scale = sub.add_parser(
        "scale",
        help="用 Dask 集群重新归属全部历史工单并重建汇总，需 pip install '.[scale]' "
        "(re-attribute the whole history and rebuild the aggregates as a Dask job)",
    )
    scale.add_argument("--db", help="数据库路径")
    scale.add_argument("--boundaries", required=True, metavar="NAME", help="要启用的边界集名称")
    scale.add_argument("--workers", type=int, default=2, help="本机 Dask 工作进程数 (default 2)")
    scale.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="已有 Dask 调度器地址，如 tcp://10.0.0.5:8786（不填则在本机启动 --workers 个进程）",
    )  # fmt: skip
    scale.add_argument(
        "--work", metavar="DIR",
        help="按月分区的 Parquet 与作业结果目录（默认在数据库旁建临时目录，完成后删除；"
        "用集群时须为各节点共享的路径）",
    )  # fmt: skip
    scale.add_argument(
        "--force", action="store_true", help="即使有工单会失去所属街乡镇也启用 (accept losses)"
    )
    scale.add_argument("--geo-dir", help="边界集所在目录 (default: geo/)")
    scale.add_argument("--report", help="把报告写入 JSON 文件")
    scale.set_defaults(func=_scale)


def _scale(args: argparse.Namespace) -> int:
    import tempfile

    from heatmap.intake import store
    from heatmap.scale.job import require_dask

    require_dask()
    from heatmap.scale.switch import scale_out

    db = Path(paths.db_path(args.db))
    con = store.connect(db)
    try:
        with tempfile.TemporaryDirectory(prefix="heatmap-scale-", dir=db.parent) as tmp:
            report = scale_out(
                con, args.boundaries, work_dir=Path(args.work or tmp), workers=args.workers,
                scheduler=args.scheduler, force=args.force,
                geo_dir=Path(args.geo_dir) if args.geo_dir else paths.GEO_DIR,
            )  # fmt: skip
    finally:
        con.close()
    for line in _scale_lines(report, args):
        print(line)
    if args.report:
        Path(args.report).write_text(
            json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", "utf-8"
        )
    return 0


def _scale_lines(report: dict[str, Any], args: argparse.Namespace) -> list[str]:
    where = f"调度器 {args.scheduler}" if args.scheduler else f"本机 {args.workers} 个工作进程"
    rows, secs = report["aggregate_rows"], report["seconds"]
    return [
        f"已用 Dask 将 {report['records_considered']:,} 条工单（{report['months']} 个月）"
        f"重新归属到边界集 {report['boundary_set']}（{where}）：",
        f"  {report['records_changing_town']:,} 条改变所属街乡镇"
        f"（其中 {report['records_to_successor']:,} 条按沿革归入继承街乡镇），"
        f"{report['records_gaining_town']:,} 条新获街乡镇，"
        f"{report['records_losing_town']:,} 条失去街乡镇。",
        "  汇总表已重建：" + "，".join(f"{t} {n:,} 行" for t, n in rows.items()) + "。",
        f"  用时：导出 Parquet {secs['export']:.1f} 秒，Dask 作业 {secs['job']:.1f} 秒，"
        f"写回数据库 {secs['load_back']:.1f} 秒。",
    ]


def _aliases_add(args: argparse.Namespace) -> int:
    from heatmap.intake import store
    from heatmap.intake.aliases import add_alias

    con = store.connect(paths.db_path(args.db))
    try:
        result = add_alias(
            con, args.alias, args.town_code, added_by=args.by, district_code=args.district
        )
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        con.close()
    return 0


def _aliases_list(args: argparse.Namespace) -> int:
    from heatmap.intake import store
    from heatmap.intake.aliases import list_aliases, unresolved_names

    con = store.connect(paths.db_path(args.db), read_only=True)
    try:
        out = {
            "aliases": list_aliases(con).astype(str).to_dict("records"),
            "unresolved": unresolved_names(con, limit=50).to_dict("records"),
        }
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    finally:
        con.close()
    return 0


def _boundaries_list(args: argparse.Namespace) -> int:
    from heatmap.intake.boundaries import list_sets

    print(json.dumps(list_sets(), ensure_ascii=False, indent=2))
    return 0


# --------------------------------------------------------------------------- 每月一题 output


def run_topics_command(args: argparse.Namespace) -> int:
    """Print the month's 每月一题 report as JSON or CSV."""
    from heatmap.analysis.topics import month_report
    from heatmap.filters import View
    from heatmap.intake import store

    con = store.connect(paths.db_path(args.db), read_only=True)
    try:
        view = View(args.month, args.month, measure=args.measure)
        report = month_report(con, args.month, year=args.year, view=view)
    finally:
        con.close()
    if args.format == "json":
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(report_csv(report))
    return 0


def report_json(report: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of :func:`month_report` (fractions, null where the previous value is 0)."""
    rows = [
        {
            "theme": r["theme"],
            "problem": r["problem"],
            "lead": r.get("lead", ""),
            "volume": int(r["volume"]),
            "previous_volume": int(r["previous_volume"]),
            "mom_change": _fraction(r["mom_change"]),
            "year_ago_volume": int(r["year_ago_volume"]),
            "yoy_change": _fraction(r["yoy_change"]),
        }
        for r in report["table"].to_dict("records")
    ]
    keys = (
        "month",
        "year",
        "measure",
        "previous_in_store",
        "total",
        "fell",
        "fell_over_10pct",
        "rose",
    )
    return {**{k: report[k] for k in keys}, "problems": rows}


def report_csv(report: dict[str, Any]) -> str:
    columns = ["theme", "problem", "lead", "volume", "previous_volume", "mom_change",
               "year_ago_volume", "yoy_change"]  # fmt: skip
    table = report["table"].reindex(columns=columns)
    return _csv(table, float_format="%.4f")


def _fraction(value: Any) -> float | None:
    return None if value is None or value != value else round(float(value), 6)


def _csv(frame: Any, **options: Any) -> str:
    """CSV text of a frame for stdout, formula-like cells neutralised (as every export)."""
    from heatmap.output.safe import neutralise_frame

    return str(neutralise_frame(frame).to_csv(index=False, **options))
