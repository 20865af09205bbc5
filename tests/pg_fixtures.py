"""PostgreSQL and workbench fixtures, loaded by tests/conftest.py (``pytest_plugins``).

``postgres_url`` starts one throw-away server for the session with Debian's binaries
(``/usr/lib/postgresql/<version>/bin/initdb`` and ``pg_ctl``; ``scripts/_postgres.sh`` installs
them): a data folder in a new temporary folder, owned by the ``postgres`` system user when the tests
run as root (the server refuses to run as root), trust authentication, listening on 127.0.0.1 and a
free port with its unix socket in the same temporary folder, fsync off. Each test gets a schema of
its own (:func:`new_schema`); the server is stopped (``pg_ctl stop -m fast``) and its folder removed at the end of the
session, whatever the tests did.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from heatmap.supervision.db import WorkStore, locate

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
    "run `source scripts/_postgres.sh && ensure_postgres` as root (Debian's postgresql package)"
)
_SCHEMAS = itertools.count(1)


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL bin folder with initdb and pg_ctl, else one on PATH."""

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", folder.parent.name)) or (0,)

    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user() -> tuple[list[str], tuple[int, int] | None]:
    """The command prefix that runs the server's tools as a non-root user, and its uid/gid."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no `postgres` user to run the server as; "
                    "Debian's postgresql package (scripts/_postgres.sh) creates it")  # fmt: skip
    runner = shutil.which("runuser")
    prefix = (
        [runner, "-u", "postgres", "--"] if runner else ["su", "postgres", "-s", "/bin/sh", "-c"]
    )
    return prefix, (user.pw_uid, user.pw_gid)


def _run(prefix: list[str], command: list[str]) -> subprocess.CompletedProcess[str]:
    if prefix and prefix[0] == "su":  # su takes one shell command line
        command = [" ".join(f"'{part}'" for part in command)]
    return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a running PostgreSQL server's ``postgres`` database (superuser ``heatmap``)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (requirements.txt)")
    folder = postgres_bin()
    if folder is None:
        pytest.skip(INSTALL_HINT)
    prefix, owner = _as_server_user()
    base = Path(tempfile.mkdtemp(prefix="heatmap-pg-"))
    data = base / "data"
    if owner is not None:
        os.chown(base, *owner)
    started = False
    try:
        done = _run(prefix, [str(folder / "initdb"), "-D", str(data), "-U", "heatmap", "-A",
                             "trust", "-E", "UTF8", "--locale=C", "--no-sync"])  # fmt: skip
        assert done.returncode == 0, f"initdb failed:\n{done.stdout}\n{done.stderr}"
        for _attempt in range(3):  # another process may take the free port first
            port = _free_port()
            options = (f"-h 127.0.0.1 -p {port} -k {base} -F -c synchronous_commit=off"
                       " -c full_page_writes=off")  # fmt: skip
            done = _run(prefix, [str(folder / "pg_ctl"), "-D", str(data), "-l",
                                 str(base / "server.log"), "-w", "-t", "30", "-o", options,
                                 "start"])  # fmt: skip
            if done.returncode == 0:
                started = True
                break
        log = (
            (base / "server.log").read_text(errors="replace")
            if (base / "server.log").exists()
            else ""
        )
        assert started, f"pg_ctl start failed:\n{done.stdout}\n{done.stderr}\n{log}"
        yield f"postgresql://heatmap@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _run(prefix, [str(folder / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def new_schema(postgres_url: str) -> str:
    """A new empty schema in the test server's ``work`` database; a URL whose search_path is it.

    A schema per test isolates the tests as a database would, at a fraction of the cost
    (``CREATE DATABASE`` copies a template; ``CREATE SCHEMA`` writes one catalogue row).
    """
    import psycopg

    base = postgres_url.rsplit("/", 1)[0]
    with psycopg.connect(postgres_url, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_database WHERE datname = 'work'").fetchone():
            con.execute("CREATE DATABASE work")
    name = f"t{os.getpid()}_{next(_SCHEMAS)}"
    with psycopg.connect(f"{base}/work", autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {name}")
    return f"{base}/work?options=-csearch_path%3D{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def work(request: pytest.FixtureRequest, tmp_path: Path) -> WorkStore:
    """An empty workbench: the SQLite file beside a store, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return locate(tmp_path / "real.duckdb", env={})
    return WorkStore("postgresql", new_schema(request.getfixturevalue("postgres_url")))


@pytest.fixture
def pg_schema_url(postgres_url: str) -> str:
    """A URL of a new empty schema on the test server (for tests outside this folder's helpers)."""
    return new_schema(postgres_url)
