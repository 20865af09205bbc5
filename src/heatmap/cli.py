"""Command line: ``python -m heatmap <command>`` (demo store, geography, store info)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

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

    info = sub.add_parser("info", help="显示数据库概况 (show what a store holds)")
    info.add_argument("--db", help="数据库路径")
    info.set_defaults(func=_info)

    geo = sub.add_parser("geo", help="边界数据工具 (boundary tools)")
    geo_sub = geo.add_subparsers(title="geo commands", metavar="GEO_COMMAND")
    build = geo_sub.add_parser(
        "build-demo", help="由乡镇驻地与社区点位重建演示街乡镇边界 (rebuild demo boundaries)"
    )
    build.set_defaults(func=_geo_build)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from heatmap.demo import DEFAULT_SCALE, DEFAULT_SEED, build_demo

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
    from heatmap import queries, store

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
    from heatmap.geography import write_demo_townships

    out = write_demo_townships(paths.GEO_DIR / "reference", paths.GEO_DIR)
    print(f"wrote {out}")
    return 0
