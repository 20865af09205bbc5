"""The app served by Streamlit on loopback for the headless-Chromium tests: started, waited for, stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_app(
    env: Mapping[str, str], *, port: int | None = None, log: Path | None = None
) -> Iterator[str]:
    """``app.py`` served on 127.0.0.1 with ``env`` added to this environment; yields its base URL.

    ``HEATMAP_AUTH``, ``HEATMAP_SCOPE`` and ``HEATMAP_WORK_DB`` are cleared unless ``env`` sets
    them. The server is stopped when the block ends, whatever happened in it.
    """
    port = port or free_port()
    cleared = ("HEATMAP_AUTH", "HEATMAP_SCOPE", "HEATMAP_WORK_DB")
    full = {k: v for k, v in os.environ.items() if k not in cleared} | dict(env)
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=full, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        "streamlit did not answer on its health endpoint within 60 s"
                    ) from None
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()  # type: ignore[union-attr]
