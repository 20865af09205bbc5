"""Several server processes write the same entry at once: no update is lost, every loser is told.

Each of 4 OS processes (``spawn``, as separate app servers) makes 50 read-modify-write changes of
one entry, as a page does: read the entry (one transaction), append its token to the note, save
with the version it read (another transaction), and on a conflict read again and retry. If any
save overwrote another unseen, a token would be missing from the final note.
"""

from __future__ import annotations

import multiprocessing
import random
import time

import pytest

from heatmap.errors import ConflictError
from heatmap.supervision import work as w
from heatmap.supervision.db import WorkStore, transaction

PROCESSES = 4
UPDATES = 50


def _writer(where: WorkStore, entry_id: int, worker: int, start, results) -> None:
    """One server process: UPDATES saves, each retried until it lands; (worker, saved, conflicts)."""
    saved = conflicts = 0
    start.wait()
    for i in range(UPDATES):
        while True:
            with transaction(where, write=False) as con:
                seen = w.get_entry(con, entry_id)
            try:
                with transaction(where) as con:
                    w.update_entry(con, entry_id, expected_version=seen.version, by=f"p{worker}",
                                   changes={"note": f"{seen.note}{worker}.{i};"})  # fmt: skip
            except ConflictError:
                conflicts += 1
                time.sleep(random.uniform(0, 0.002 * worker))  # a person reloads, then saves again
                continue
            saved += 1
            break
    results.put((worker, saved, conflicts))


def test_processes_writing_one_entry_lose_no_update(work):
    with transaction(work) as con:
        entry = w.add_entry(con, town_code="110101001", spell_start="2026-09", kind="item",
                            title="并发", by="setup")  # fmt: skip
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(work, entry.id, n, start, results))
               for n in range(PROCESSES)]  # fmt: skip
    began = time.perf_counter()
    for p in workers:
        p.start()
    outcome = sorted(results.get(timeout=120) for _ in workers)
    for p in workers:
        p.join(timeout=30)
        assert p.exitcode == 0
    elapsed = time.perf_counter() - began
    saved = sum(o[1] for o in outcome)
    conflicts = sum(o[2] for o in outcome)
    with transaction(work, write=False) as con:
        final = w.get_entry(con, entry.id)
        changes = w.history(con, entry.id)
    assert saved == PROCESSES * UPDATES
    assert final.version == 1 + saved
    assert [c.version for c in changes] == list(range(1, final.version + 1))
    tokens = final.note.split(";")[:-1]
    assert sorted(tokens) == sorted(f"{n}.{i}" for n in range(PROCESSES) for i in range(UPDATES))
    for n in range(PROCESSES):  # each process's saves landed in its own order
        assert [t for t in tokens if t.startswith(f"{n}.")] == [f"{n}.{i}" for i in range(UPDATES)]
    print(f"\n{work.dialect}: {saved} saves, {conflicts} conflicts retried, {elapsed:.1f} s")


def test_a_save_whose_read_went_stale_inside_the_transaction_is_a_conflict(work, monkeypatch):
    """The compare-and-set itself: the version check in UPDATE ... WHERE version = ? holds even
    when the entry moved between the read and the write (PostgreSQL's READ COMMITTED)."""
    with transaction(work) as con:
        e = w.add_entry(
            con, town_code="110101001", spell_start="2026-09", kind="item", title="x", by="a"
        )
    with transaction(work) as con:
        w.update_entry(con, e.id, expected_version=1, changes={"status": "推进中"}, by="王工")
    monkeypatch.setattr(w, "_current", lambda *args: e)  # the stale read of version 1
    with (
        pytest.raises(ConflictError, match="该条目已被 王工 于 .* 修改（版本 2）"),
        transaction(work) as con,
    ):
        w.update_entry(con, e.id, expected_version=1, changes={"status": "已完成"}, by="张工")
    with transaction(work, write=False) as con:
        assert w.get_entry(con, e.id).status == "推进中"
        assert len(w.history(con, e.id)) == 2
