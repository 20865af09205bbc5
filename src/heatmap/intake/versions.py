"""Store versions: a writer works on a copy and publishes it at once; readers follow the version.

DuckDB lets one process write a file, and only while no other process has it open. With several
server processes reading the store, an import must not need them to let go. So a write goes into
a draft copy beside the store, under a lock that lets one writer in at a time (across processes),
and the finished draft replaces the store by one atomic rename. A process that has the old
version open goes on reading it (the file lives until its last handle closes); it opens the new one
when :func:`version` tells it the file at the path has changed. A failed write leaves the store as
it was and no draft behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

#: (device, inode, modification time in ns, size) of the file now at a store's path.
Version = tuple[int, int, int, int]


def version(path: str | os.PathLike[str]) -> Version | None:
    """The identity of the store file now at ``path`` (None when there is none).

    A published version is a new file (new inode); the time and size guard against an inode number
    the file system hands out again after an old version is gone.
    """
    try:
        info = os.stat(path)  # through the link: the version file
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


@contextlib.contextmanager
def publishing(path: str | os.PathLike[str], *, publish: bool = True) -> Iterator[Path]:
    """A draft of the store at ``path`` to write; on success it becomes the store, atomically.

    One writer at a time: a second one (another session, another process) waits here for the
    first. The caller opens the yielded path for writing and closes it before the block ends.
    ``publish=False`` (a dry run) throws the draft away. When the block raises, the draft is
    removed and the store is as it was.

    The published draft is kept as ``<name>.v<time>`` and ``path`` becomes a symbolic link to it,
    swapped in by one rename: DuckDB keeps one database per resolved file in a process, so a
    reader in a process that still has the old version open gets the new one when it connects
    to ``path`` again (a plain rename over the old file would hand it the old one).
    """
    target = Path(path)
    draft = target.with_name(f"{target.name}.draft-{os.getpid()}")
    with _writer_lock(target):
        _discard(draft)
        try:
            current = Path(os.path.realpath(target)) if target.exists() else None
            if current is not None:
                _copy(current, draft)
            yield draft
            if publish and draft.exists():
                _settle(draft)
                _swap_in(target, draft, current)
        finally:
            _discard(draft)


def _swap_in(target: Path, draft: Path, current: Path | None) -> None:
    """The draft becomes a version file and ``target`` a link to it; the old version's name goes
    (processes that have it open keep reading it until they let go)."""
    published = target.with_name(f"{target.name}.v{time.time_ns()}")
    os.replace(draft, published)
    link = target.with_name(f"{target.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    os.symlink(published.name, link)
    if current is not None:  # its log was copied into the draft and replayed there
        Path(f"{current}.wal").unlink(missing_ok=True)
    was_link = target.is_symlink()
    os.replace(link, target)
    if was_link and current is not None:  # an earlier published version: its name goes now
        current.unlink(missing_ok=True)
    _fsync_dir(target.parent)


@contextlib.contextmanager
def _writer_lock(target: Path) -> Iterator[None]:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(f"{target.name}.publish.lock"), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _copy(target: Path, draft: Path) -> None:
    """The store and, if a write was cut short, its write-ahead log (replayed when opened)."""
    shutil.copyfile(target, draft)
    wal = Path(f"{target}.wal")
    if wal.exists():
        shutil.copyfile(wal, f"{draft}.wal")


def _settle(draft: Path) -> None:
    """Everything in the one file, on disk: the log checkpointed, the file synced."""
    duckdb.connect(str(draft)).close()  # closing checkpoints: no .wal beside the published file
    with open(draft, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _discard(draft: Path) -> None:
    for leftover in (draft, Path(f"{draft}.wal")):
        leftover.unlink(missing_ok=True)
