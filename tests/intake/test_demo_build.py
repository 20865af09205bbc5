"""The demo store is built by one detached background process, whatever the browser does."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from heatmap.intake import demo_build, store

SCALE = 0.002


def _wait_done(db: Path, timeout: float = 240) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = demo_build.read_progress(db) or {}
        if status.get("state") in ("done", "failed") and not demo_build.build_running(db):
            return status
        time.sleep(0.2)
    raise AssertionError(f"no build finished in {timeout} s: {demo_build.read_progress(db)}")


def test_background_build_is_detached_locked_and_atomic(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    assert demo_build.start_build(db, scale=SCALE) is True
    deadline = time.time() + 60
    while not demo_build.build_running(db) and time.time() < deadline:
        time.sleep(0.05)
    assert demo_build.build_running(db)
    status = demo_build.read_progress(db) or {}
    # the builder runs in a session of its own: the session that started it may end
    assert os.getsid(int(status["pid"])) != os.getsid(0)
    assert demo_build.start_build(db, scale=SCALE) is False  # one builder at a time
    assert demo_build.build(db, scale=SCALE) == 3  # a second builder gives way
    assert not db.exists() or status["state"] == "running"
    done = _wait_done(db)
    assert done["state"] == "done" and done["records"] > 0
    assert not Path(f"{db}.tmp").exists()
    con = store.connect(db, read_only=True)
    assert store.record_count(con) == done["records"]
    con.close()


def test_an_interrupted_build_restarts_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    Path(f"{db}.tmp").write_bytes(b"half a store")  # what a killed build leaves behind
    demo_build.progress_path(db).write_text(
        json.dumps({"state": "running", "fraction": 0.4, "pid": 999_999, "at": 0}), "utf-8"
    )
    assert not demo_build.build_running(db)  # nobody holds the lock: the old builder is gone
    assert demo_build.build(db, scale=SCALE) == 0
    assert (demo_build.read_progress(db) or {})["state"] == "done"
    assert not Path(f"{db}.tmp").exists()
    con = store.connect(db, read_only=True)
    assert store.record_count(con) > 0
    con.close()


def test_first_run_page_waits_for_the_background_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from heatmap import paths

    db = tmp_path / "demo.duckdb"
    monkeypatch.setenv("HEATMAP_DB", str(db))
    monkeypatch.setenv("HEATMAP_BUILD_DEMO", "1")
    monkeypatch.setenv("HEATMAP_DEMO_SCALE", str(SCALE))
    at = AppTest.from_file(str(paths.REPO_ROOT / "pages" / "ranking.py"), default_timeout=240)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert db.exists() and (demo_build.read_progress(db) or {})["state"] == "done"
    assert at.dataframe  # the page rendered on the new store
