"""Build the demo store once, in a background process that outlives the browser session.

The first visitor's session starts ``python -m heatmap.intake.demo_build --db PATH``, detached (its own
session), and every session shows its progress from a small JSON file beside the store. A file
lock (``flock``) lets one builder run at a time; the store is written to ``PATH.tmp`` and renamed
into place at the end (:func:`heatmap.intake.demo.build_demo`), so a build that is killed leaves no half
store, and the next start removes the leftover and builds again from the beginning.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["build_running", "progress_path", "read_progress", "start_build"]


def lock_path(db: str | os.PathLike[str]) -> Path:
    """The lock file held by the process building ``db``."""
    return Path(f"{db}.build.lock")


def progress_path(db: str | os.PathLike[str]) -> Path:
    """The JSON file where the builder of ``db`` writes its progress."""
    return Path(f"{db}.build.json")


def build_running(db: str | os.PathLike[str]) -> bool:
    """Whether a process holds the build lock of ``db`` now."""
    if not lock_path(db).exists():
        return False
    with _locked(db) as held:  # free when we can take it (and give it back at once)
        return held is None


def read_progress(db: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The builder's last report: fraction, message, state (running / done / failed), pid."""
    try:
        return dict(json.loads(progress_path(db).read_text("utf-8")))
    except (OSError, ValueError):
        return None


def start_build(db: str | os.PathLike[str], *, scale: float | None = None) -> bool:
    """Start the background builder of ``db`` unless one runs; True when one was started.

    The child runs in its own session (``start_new_session``), so neither a browser tab closing
    nor the Streamlit session that started it ending stops it.
    """
    if build_running(db):
        return False
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "heatmap.intake.demo_build", "--db", str(db)]
    if scale is not None:
        command += ["--scale", str(scale)]
    with Path(f"{db}.build.log").open("ab") as log:
        subprocess.Popen(  # our own module, arguments built here
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env={**os.environ, "PYTHONPATH": _package_root()},
        )  # fmt: skip
    return True


def _package_root() -> str:
    """The folder holding this ``heatmap`` package (and nothing else that could shadow it)."""
    root = str(Path(__file__).resolve().parents[2])
    rest = os.environ.get("PYTHONPATH")
    return os.pathsep.join([root, rest]) if rest else root


@contextlib.contextmanager
def _locked(db: str | os.PathLike[str]) -> Iterator[IO[str] | None]:
    """Hold the build lock of ``db``; yields None when another process holds it."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_progress(db: str | os.PathLike[str], **values: Any) -> None:
    path = progress_path(db)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({**values, "pid": os.getpid(), "at": time.time()}), "utf-8")
    os.replace(tmp, path)


def build(db: str | os.PathLike[str], *, scale: float | None = None) -> int:
    """Build ``db`` under the lock (exit code 0), or return 3 when another builder holds it."""
    from heatmap.intake.demo import DEFAULT_SCALE, build_demo

    with _locked(db) as held:
        if held is None:
            return 3
        _write_progress(db, state="running", fraction=0.0, message="开始生成演示数据")
        try:
            counts = build_demo(
                db, scale=DEFAULT_SCALE if scale is None else scale,
                progress=lambda f, m: _write_progress(db, state="running", fraction=f, message=m),
            )  # fmt: skip
        except BaseException as exc:
            _write_progress(
                db, state="failed", fraction=0.0, message=f"{type(exc).__name__}: {exc}"
            )
            raise
        _write_progress(db, state="done", fraction=1.0, message="完成 / done", **counts)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the demo store in the background.")
    parser.add_argument("--db", required=True)
    parser.add_argument("--scale", type=float, default=None)
    args = parser.parse_args(argv)
    return build(args.db, scale=args.scale)


if __name__ == "__main__":
    raise SystemExit(main())
