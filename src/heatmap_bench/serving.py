"""The ``load`` stage: N workers behind the proxy (scripts/serve.sh), driven by the load client.

One run measures, side by side on the same store and machine: page runs/s of one worker against
two (the same users, no pause), p50/p95 at 1, 5, 20 and 50 users for each worker count, the
workers' resident memory after 500 sessions have come and gone, and memory per idle session.
Every server it starts listens on 127.0.0.1 and is stopped at the end.

``python -m heatmap_bench.serving --json bench/load.json [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import psutil

from heatmap_bench.load import LoadConfig, Tab, run_load

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Plan:
    """What the stage runs (seconds per scenario, the users of each, the sessions of the leak test)."""

    warmup_s: float = 30.0
    throughput_users: int = 6
    throughput_s: float = 60.0
    latency: tuple[tuple[int, float, float], ...] = (  # users, mean pause, seconds
        (1, 0.0, 45.0), (5, 0.0, 45.0), (20, 10.0, 90.0), (50, 10.0, 90.0),
    )  # fmt: skip
    leak_sessions: int = 500
    idle_sessions: int = 50
    workers: tuple[int, ...] = (1, 2)
    signed_in: tuple[int, float, float] = (20, 10.0, 90.0)  # users, mean pause, seconds
    import_load: tuple[int, float, float] = (20, 10.0, 120.0)  # users while a month is imported
    import_records: int = 45_000  # one demo month at the default scale


QUICK = Plan(
    warmup_s=5.0, throughput_users=2, throughput_s=8.0, latency=((1, 0.0, 6.0), (3, 1.0, 6.0)),
    leak_sessions=10, idle_sessions=3, workers=(1, 2), signed_in=(2, 0.5, 6.0),
    import_load=(2, 0.5, 15.0), import_records=500,
)  # fmt: skip

#: Accounts of the signed-in scenario: half city, half district (name, password, role, district).
ACCOUNTS = (
    ("city_a", "load-city-pass-1", "city", ()), ("qu_hd", "load-qu-pass-1", "district", ("110108",)),
    ("city_b", "load-city-pass-2", "city", ()), ("qu_cy", "load-qu-pass-2", "district", ("110105",)),
)  # fmt: skip


class Servers:
    """``scripts/serve.sh --workers N`` on loopback ports, stopped on exit."""

    def __init__(self, workers: int, *, port: int, run_dir: Path, env: dict[str, str]) -> None:
        self.workers, self.port, self.run_dir = workers, port, run_dir
        self.url = f"http://127.0.0.1:{port}"
        run_dir.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            ["bash", str(REPO / "scripts" / "serve.sh"), "--workers", str(workers),
             "--port", str(port), "--worker-port", str(port + 1)],
            cwd=REPO, env={**os.environ, **env, "HEATMAP_RUN_DIR": str(run_dir)},
            stdout=(run_dir / "serve.out").open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def __enter__(self) -> Servers:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"serve.sh ended: {(self.run_dir / 'serve.out').read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:  # noqa: S310
                    if r.status == 200 and len(self.worker_pids()) == self.workers:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the proxy on {self.url} did not answer within 180 s")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        """The Streamlit worker processes (children of serve.sh)."""
        try:
            children = psutil.Process(self._proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        return [c.pid for c in children if "streamlit" in " ".join(_cmdline(c))]

    def rss_bytes(self) -> list[int]:
        """Resident memory of each worker."""
        out = []
        for pid in self.worker_pids():
            with contextlib.suppress(psutil.NoSuchProcess):
                out.append(psutil.Process(pid).memory_info().rss)
        return out


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return list(proc.cmdline())
    except psutil.Error:
        return []


def _load(url: str, users: int, pause: float, seconds: float, **kw: Any) -> dict[str, Any]:
    cfg = LoadConfig(url=url, users=users, mean_pause_s=pause, duration_s=seconds,
                     ramp_s=max(min(pause, seconds / 4), 0.3 * users), **kw)  # fmt: skip
    return asdict(asyncio.run(run_load(cfg)))


def _log(text: str) -> None:
    print(f"[load] {text}", file=sys.stderr, flush=True)


def bench_workers(workers: int, plan: Plan, *, port: int, run_dir: Path) -> dict[str, Any]:
    """Throughput and latency scenarios against ``workers`` workers."""
    env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "10"}
    with Servers(workers, port=port, run_dir=run_dir / f"w{workers}", env=env) as servers:
        _log(f"{workers} worker(s): warm-up {plan.warmup_s:.0f} s")
        _load(servers.url, 2 * workers, 0.0, plan.warmup_s)
        out: dict[str, Any] = {"workers": workers, "rss_after_warmup_bytes": servers.rss_bytes()}
        _log(f"{workers} worker(s): throughput, {plan.throughput_users} users without pause")
        out["throughput"] = _load(servers.url, plan.throughput_users, 0.0, plan.throughput_s)
        out["latency"] = []
        for users, pause, seconds in plan.latency:
            _log(f"{workers} worker(s): {users} users, mean pause {pause} s, {seconds:.0f} s")
            out["latency"].append(_load(servers.url, users, pause, seconds))
        out["rss_end_bytes"] = servers.rss_bytes()
        return out


def bench_memory(plan: Plan, *, port: int, run_dir: Path) -> dict[str, Any]:
    """One worker: memory after ``leak_sessions`` sessions come and go, and per idle session."""
    env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "5"}
    with Servers(1, port=port, run_dir=run_dir / "memory", env=env) as servers:
        _load(servers.url, 2, 0.0, plan.warmup_s)  # imports and caches, as in a running server
        time.sleep(8)
        start = servers.rss_bytes()[0]
        _log(f"memory: {plan.leak_sessions} sessions, one run each, then closed")
        churn = _load(servers.url, 4, 0.0, 900.0, max_runs=plan.leak_sessions, session_runs=1)
        time.sleep(12)  # the disconnected sessions' TTL (5 s) and the cleanup after it
        after = servers.rss_bytes()[0]
        _log(f"memory: {plan.idle_sessions} idle sessions held open")
        before_idle = after
        held = asyncio.run(_idle_sessions(servers.url, plan.idle_sessions))
        return {
            "rss_start_bytes": start, "rss_after_sessions_bytes": after,
            "sessions": churn["sessions"], "churn_errors": churn["errors"],
            "growth_ratio": round(after / start - 1, 4),
            "idle_sessions": plan.idle_sessions,
            "rss_with_idle_bytes": held,
            "per_idle_session_bytes": round((held - before_idle) / plan.idle_sessions),
            "disconnected_session_ttl_s": 5,
        }  # fmt: skip


async def _idle_sessions(url: str, n: int) -> int:
    """Open ``n`` tabs (one page run each, pages in turn), keep them open, return worker RSS."""
    from heatmap_bench.load import PAGES

    tabs = [Tab(url, timeout_s=120) for _ in range(n)]
    try:
        for i, tab in enumerate(tabs):
            await tab.open()
            await tab.run(PAGES[i % len(PAGES)], query="")
        await asyncio.sleep(3)
        pids = [p for p in psutil.process_iter(["cmdline"]) if _is_worker_on(p, url)]
        return sum(p.memory_info().rss for p in pids)
    finally:
        for tab in tabs:
            await tab.close()


def _is_worker_on(proc: psutil.Process, url: str) -> bool:
    port = int(url.rsplit(":", 1)[1]) + 1
    cmd = proc.info.get("cmdline") or []
    return "streamlit" in " ".join(cmd) and str(port) in cmd


def bench_signed_in(plan: Plan, workers: int, *, port: int, run_dir: Path) -> dict[str, Any]:
    """The users sign in (half city, half district accounts) on a copy of the store served with
    sign-in required, then work as in the other scenarios."""
    from heatmap import paths
    from heatmap.access import accounts

    folder = run_dir / "signed_in"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "city.duckdb"
    shutil.copyfile(paths.db_path(), db)
    for name, password, role, districts in ACCOUNTS:
        accounts.add_user(db, name, password, role=role, districts=districts)
    env = {"HEATMAP_DB": str(db), "HEATMAP_AUTH": "local",
           "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "10"}  # fmt: skip
    users, pause, seconds = plan.signed_in
    logins = tuple((name, password) for name, password, _, _ in ACCOUNTS)
    with Servers(workers, port=port, run_dir=folder, env=env) as servers:
        _load(servers.url, 2 * workers, 0.0, plan.warmup_s, accounts=logins)
        _log(f"signed in, {workers} worker(s): {users} users, mean pause {pause} s")
        result = _load(servers.url, users, pause, seconds, accounts=logins)
    return {"workers": workers, "accounts": [a[2] for a in ACCOUNTS], **result}


def bench_import_under_load(
    plan: Plan, workers: int, *, port: int, run_dir: Path
) -> dict[str, Any]:
    """Signed-in users work while an administrator imports the next month from the data page.

    The store is a copy of the demo marked as real data (the page refuses imports into a synthetic
    store); the month (2022-01) is made by the demo generator and uploaded as the platform exports
    it. Reported: the import's run, the users' runs overlapping it (p95, errors) and the others,
    and whether a session opened after the import sees the new month.
    """
    from heatmap import paths
    from heatmap.access import accounts
    from heatmap.intake import store
    from heatmap_bench.common import Setup
    from heatmap_bench.importing import month_frame, write_platform_export

    folder = run_dir / "import"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "city.duckdb"
    shutil.copyfile(paths.db_path(), db)
    con = store.connect(db)
    store.set_meta(con, synthetic=False)  # this copy is served as real data: imports allowed
    con.close()
    for name, password, role, districts in ACCOUNTS:
        accounts.add_user(db, name, password, role=role, districts=districts)
    accounts.add_user(db, "admin_load", "load-admin-pass-1", role="admin")
    csv = folder / "export_2022-01.csv"
    write_platform_export(month_frame(Setup.create(), 36, plan.import_records), csv)
    env = {"HEATMAP_DB": str(db), "HEATMAP_AUTH": "local",
           "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "10"}  # fmt: skip
    users, pause, seconds = plan.import_load
    logins = tuple((name, password) for name, password, _, _ in ACCOUNTS)
    with Servers(workers, port=port, run_dir=folder, env=env) as servers:
        _load(servers.url, 2 * workers, 0.0, plan.warmup_s, accounts=logins)
        _log(f"import under load, {workers} worker(s): {users} users, {csv.stat().st_size:,} bytes")
        cfg = LoadConfig(url=servers.url, users=users, mean_pause_s=pause, duration_s=seconds,
                         ramp_s=min(pause, seconds / 4), accounts=logins)  # fmt: skip
        out = asyncio.run(_import_while_working(cfg, csv, delay=seconds / 3))
    return {"workers": workers, "records": plan.import_records, "csv_bytes": csv.stat().st_size,
            **out}  # fmt: skip


async def _import_while_working(cfg: LoadConfig, csv: Path, *, delay: float) -> dict[str, Any]:
    from heatmap.i18n import t
    from heatmap_bench.load import RunResult, _pct, sign_in

    results: list[RunResult] = []
    load = asyncio.create_task(run_load(cfg, results=results))
    await asyncio.sleep(delay)
    admin = Tab(cfg.url, timeout_s=600)
    await admin.open()
    await sign_in(admin, "admin_load", "load-admin-pass-1", "data", "")
    await admin.upload(t("data_files", "zh"), csv.name, csv.read_bytes())
    await admin.run("data")
    began = time.monotonic()
    done = await admin.run("data", values={t("data_run", "zh"): True})
    ended = time.monotonic()
    await admin.close()
    report = await load
    during = sorted(
        r.seconds for r in results if r.ok and r.ended >= began and r.ended - r.seconds <= ended
    )
    other = sorted(
        r.seconds for r in results if r.ok and (r.ended < began or r.ended - r.seconds > ended)
    )
    check = Tab(cfg.url, timeout_s=120)
    await check.open()
    await sign_in(check, *cfg.accounts[0], "map", "")
    months = [o for w in check.widgets.values() for o in w["options"] if o == "2022-01"]
    await check.close()
    return {
        "import_s": round(done.seconds, 2), "import_ok": done.ok, "import_error": done.error,
        "import_worker": done.worker, "users": asdict(report),
        "during_import": {"runs": len(during), "p50_s": _pct(during, 50), "p95_s": _pct(during, 95),
                          "errors": sum(1 for r in results if not r.ok and r.ended >= began and r.ended <= ended + 1)},
        "outside_import": {"runs": len(other), "p50_s": _pct(other, 50), "p95_s": _pct(other, 95)},
        "new_month_seen_after": bool(months),
    }  # fmt: skip


async def wire_sizes(url: str, *, months: int = 3) -> dict[str, dict[str, int]]:
    """Bytes one month change sends to the browser, per page, for the city and for 海淀区: the
    page opened on the latest month, then the month picked in its sidebar (median of ``months``)."""
    from heatmap_bench.load import PAGES

    out: dict[str, dict[str, int]] = {}
    for page in PAGES:
        for scope, query in (("city", ""), ("district", "d=110108")):
            tab = Tab(url, timeout_s=120)
            await tab.open()
            try:
                await tab.run(page, query=query)
                label = next(k for k, w in tab.widgets.items() if w["options"] and all(
                    len(o) == 7 and o[4] == "-" for o in w["options"]))  # fmt: skip
                sizes = []
                for month in tab.widgets[label]["options"][1 : months + 1]:
                    sizes.append((await tab.run(page, values={label: month})).bytes)
                out.setdefault(page, {})[scope] = sorted(sizes)[len(sizes) // 2]
            finally:
                await tab.close()
    return out


def run_load_stage(plan: Plan, *, port: int = 8700, run_dir: Path) -> dict[str, Any]:
    """The ``load`` section: every worker count of the plan, the ratio, memory."""
    started = time.time()
    load1 = os.getloadavg()
    by_workers = [
        bench_workers(n, plan, port=port + 10 * i, run_dir=run_dir)
        for i, n in enumerate(plan.workers)
    ]
    memory = bench_memory(plan, port=port + 50, run_dir=run_dir)
    with Servers(1, port=port + 80, run_dir=run_dir / "wire", env={}) as servers:
        wire = asyncio.run(wire_sizes(servers.url))
    signed = bench_signed_in(plan, max(plan.workers), port=port + 60, run_dir=run_dir)
    imported = bench_import_under_load(plan, max(plan.workers), port=port + 70, run_dir=run_dir)
    rate = {w["workers"]: w["throughput"]["runs_per_s"] for w in by_workers}
    return {
        "plan": asdict(plan),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_start": load1, "loadavg_end": os.getloadavg(),
                    "shared": "the 2 cores were shared with other engineers' processes"},
        "by_workers": by_workers,
        "throughput_ratio_2_over_1": round(rate[2] / rate[1], 3) if rate.get(1) and rate.get(2) else None,
        "memory": memory,
        "signed_in": signed,
        "import_under_load": imported,
        "wire_bytes_per_month_change": wire,
        "seconds": round(time.time() - started, 1),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """``python -m heatmap_bench.serving``: the load stage alone, into ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", required=True, metavar="OUT")
    parser.add_argument("--quick", action="store_true", help="seconds, not minutes (the test)")
    parser.add_argument("--port", type=int, default=8700, help="proxy port of the first run")
    parser.add_argument("--run-dir", default="/tmp/heatmap-load", help="servers' logs")
    parser.add_argument("--workers", default=None, help="e.g. 1,2 (default: the plan's)")
    parser.add_argument(
        "--only-import", action="store_true", help="the import-under-load stage alone"
    )
    parser.add_argument("--only-wire", action="store_true", help="bytes per month change alone")
    parser.add_argument("--only-throughput", action="store_true", help="1 vs 2 workers, saturated")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    plan = QUICK if args.quick else Plan()
    if args.workers:
        plan = replace(plan, workers=tuple(int(w) for w in args.workers.split(",")))
    if args.only_throughput:
        plan = replace(plan, latency=())
        runs = [bench_workers(n, plan, port=args.port + 10 * i, run_dir=Path(args.run_dir))
                for i, n in enumerate(plan.workers)]  # fmt: skip
        rate = {w["workers"]: w["throughput"]["runs_per_s"] for w in runs}
        out = {"by_workers": runs, "throughput_ratio_2_over_1": round(rate[2] / rate[1], 3),
               "loadavg_end": os.getloadavg()}  # fmt: skip
        Path(args.json).write_text(json.dumps({"load": out}, ensure_ascii=False, indent=1))
        print(json.dumps({"rate": rate, "ratio": out["throughput_ratio_2_over_1"]}))
        return 0
    if args.only_wire:
        with Servers(1, port=args.port, run_dir=Path(args.run_dir) / "wire", env={}) as servers:
            wire = asyncio.run(wire_sizes(servers.url))
        Path(args.json).write_text(json.dumps({"load": {"wire_bytes_per_month_change": wire}}))
        print(json.dumps(wire, indent=1))
        return 0
    if args.only_import:
        out = bench_import_under_load(
            plan, max(plan.workers), port=args.port, run_dir=Path(args.run_dir)
        )
        Path(args.json).write_text(
            json.dumps({"load": {"import_under_load": out}}, ensure_ascii=False, indent=1)
        )
        print(
            json.dumps({k: v for k, v in out.items() if k != "users"}, ensure_ascii=False, indent=1)
        )
        return 0
    section = run_load_stage(plan, port=args.port, run_dir=Path(args.run_dir))
    Path(args.json).write_text(json.dumps({"load": section}, ensure_ascii=False, indent=1))
    print(json.dumps(_summary(section), ensure_ascii=False, indent=1))
    return 0


def _summary(section: dict[str, Any]) -> dict[str, Any]:
    rows = {}
    for w in section["by_workers"]:
        rows[f"{w['workers']}w_throughput"] = w["throughput"]["runs_per_s"]
        for s in w["latency"]:
            rows[f"{w['workers']}w_{s['users']}u"] = (
                s["runs_per_s"],
                s["p50_s"],
                s["p95_s"],
                s["errors"],
            )
    rows["ratio"] = section["throughput_ratio_2_over_1"]
    rows["memory"] = section["memory"]
    sig = section["signed_in"]
    rows["signed_in"] = (sig["users"], sig["runs_per_s"], sig["p50_s"], sig["p95_s"], sig["errors"])
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
