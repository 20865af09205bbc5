"""scripts/serve.sh: two workers behind the proxy, driven over Streamlit's websocket (issue 22).

Through the proxy on loopback: sign-ins, a page, its CSV download (from the worker that made it),
and an import from the data page of one worker while a session on the other worker keeps reading;
that session sees the new month at its next run. Also the load client's quick run (no timing
assertions: the figures are the benchmark's).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from heatmap.i18n import t
from heatmap_bench.load import LoadConfig, Tab, run_load, sign_in
from heatmap_bench.serving import Servers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
PASSWORD = "serve-pass-1234"

pytestmark = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed")


def _free_port_block(n: int) -> int:
    """A port p with p .. p+n free on 127.0.0.1 (proxy and workers)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + n < 65000 and all(_free(base + i) for i in range(n + 1)):
            return base
    raise RuntimeError("no block of free loopback ports")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Servers, Path]]:
    """A real store with one month (2021-05) and two accounts, served by two workers."""
    from heatmap.access import accounts
    from heatmap.intake.loading import ingest_into

    tmp = tmp_path_factory.mktemp("serve")
    db = tmp / "real.duckdb"
    ingest_into(db, [DATA / "export_gbk.csv"])
    accounts.add_user(db, "city1", PASSWORD, role="city")
    accounts.add_user(db, "admin1", PASSWORD, role="admin")
    env = {
        "HEATMAP_DB": str(db), "HEATMAP_AUTH": "local", "HEATMAP_VENV": sys.prefix,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }  # fmt: skip
    with Servers(2, port=_free_port_block(2), run_dir=tmp / "run", env=env) as servers:
        yield servers, tmp


def _worker(tab: Tab) -> str:
    """The worker the proxy's cookie pins ``tab`` to (w1, w2 …)."""
    return next(c.split("=", 1)[1] for c in tab.cookie.split("; ") if c.startswith("SRV="))


async def _tab_on_other_worker(url: str, than: str) -> Tab:
    """A tab that the proxy pins to another worker than ``than`` (bounded tries)."""
    for _ in range(6):
        tab = Tab(url, timeout_s=120)
        await tab.open()
        if _worker(tab) != than:
            return tab
        await tab.close()
    raise AssertionError(f"the proxy sent every new browser to the same worker ({than})")


def _new_month_csv(path: Path) -> Path:
    rows = [f"B{i:03d},2021-06-{i + 1:02d} 10:00,海淀区,学院路街道,116.360546,40.00675" for i in range(6)]
    path.write_text("工单编号,受理时间,所属区,街乡镇,经度,纬度\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_through_the_proxy_sign_in_page_download_and_import_while_another_reads(
    served: tuple[Servers, Path],
) -> None:
    servers, tmp = served
    assert len(servers.worker_pids()) == 2
    upload = _new_month_csv(tmp / "june.csv")

    async def scenario() -> None:
        reader = Tab(servers.url, timeout_s=120)
        await reader.open()
        assert "SRV=w" in reader.cookie  # the proxy's affinity cookie
        first = await sign_in(reader, "city1", PASSWORD, "ranking", "m=2021-05")
        assert first.ok, first.error
        months = next(w["options"] for w in reader.widgets.values() if "2021-05" in w["options"])
        assert "2021-06" not in months
        # the ranking's CSV, served by the worker that made it (sticky cookie on /media/)
        csv_label = t("download_csv", "zh")
        assert csv_label in reader.downloads, reader.downloads
        assert "街乡镇" in (await reader.download(csv_label)).decode("utf-8-sig")

        writer = await _tab_on_other_worker(servers.url, _worker(reader))  # another process
        assert (await sign_in(writer, "admin1", PASSWORD, "data", "")).ok
        await writer.upload(t("data_files", "zh"), upload.name, upload.read_bytes())
        assert (await writer.run("data")).ok
        importing = asyncio.create_task(writer.run("data", values={t("data_run", "zh"): True}))
        reads = 0
        while not importing.done() or reads < 2:  # the other session reads all along
            result = await reader.run("ranking" if reads % 2 else "map")
            assert result.ok, result.error
            reads += 1
        done = await importing
        assert done.ok, done.error
        result = await reader.run("ranking")  # its next run: the new month is there
        assert result.ok, result.error
        months = next(w["options"] for w in reader.widgets.values() if "2021-05" in w["options"])
        assert "2021-06" in months
        await reader.close()
        await writer.close()

    asyncio.run(scenario())


def test_the_load_client_quick_run(served: tuple[Servers, Path]) -> None:
    servers, _ = served
    cfg = LoadConfig(
        url=servers.url, users=2, duration_s=6, max_runs=12, mean_pause_s=0.2,
        pages=("map", "ranking"), accounts=(("city1", PASSWORD),),
    )  # fmt: skip
    report = asyncio.run(run_load(cfg))
    assert report.errors == 0, report.error_samples
    assert report.runs >= 2 and report.signed_in
    assert report.p95_s is not None and report.runs_per_s > 0


def test_loopback_only() -> None:
    from heatmap_bench.load import check_loopback

    check_loopback("http://127.0.0.1:8501")
    check_loopback("http://localhost:8501")
    with pytest.raises(ValueError, match="loopback"):
        check_loopback("http://10.0.0.5:8501")
