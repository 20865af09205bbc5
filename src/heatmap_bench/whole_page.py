"""Whole pages: each page's complete script run (Streamlit's AppTest), as a user waits for it.

A run starts from a page already shown once (imports done, geometry and reference tables cached,
as in a running server) and changes the month, so that the page's data caches that depend on the
month miss, as they do when a user picks a new month (the cached reads taking a ``view``, a
``month`` or ``months``; geometry, the connection and the whole-history panel stay cached, as
they do in the server). The page's compiled code is kept between runs, as the server's script
cache keeps it (AppTest alone would compile the page anew on every run). The breakdown splits the run into the time spent in the page's
read functions (``ui.views``, ``ui.topic_views``: data) and the rest (figures, decks, tables and
their serialisation into Streamlit's messages). Browser payload per interaction is the size of
the messages the run produced.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from heatmap.paths import REPO_ROOT
from heatmap_bench.common import DISTRICT

#: The pages measured (file under ``pages/``) and a label.
PAGES = (
    ("heat_map.py", "heatmap"),
    ("ranking.py", "ranking"),
    ("governance.py", "governance"),
    ("topics.py", "topic"),
    ("categories.py", "categories"),
    ("warning.py", "warning"),
    # the pages whose content does not follow the month (the briefing is built on a click,
    # the workbench follows the chosen spell): measured too, so that every page is
    ("briefing.py", "briefing"),
    ("workbench.py", "workbench"),
    ("data.py", "data"),
    ("audit.py", "audit"),
    ("about.py", "about"),
)


def bench_whole_pages(
    db: str, months: Sequence[str], *, repeats: int, district: str = DISTRICT
) -> dict[str, Any]:
    """p50 / p95 of each page's whole run for the city and one district, with and without a town
    selected on the heat map, over ``repeats`` month changes; with the data/rest breakdown."""
    import sys

    from ui import topic_views, views, warning_views

    main = sys.modules["__main__"]  # a page run by AppTest becomes __main__: put it back after,
    try:  # or a process spawned later (the scale stage's Dask workers) runs the page again
        return _bench_whole_pages(db, months, repeats=repeats, district=district,
                                  modules=(views, topic_views, warning_views))  # fmt: skip
    finally:
        sys.modules["__main__"] = main


def _bench_whole_pages(
    db: str, months: Sequence[str], *, repeats: int, district: str, modules: tuple[Any, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {"repeats": repeats, "district": district, "pages": {}}
    recent = list(months[-12:])
    for file, label in PAGES:
        if not (REPO_ROOT / "pages" / file).exists():
            continue
        for scope_name, scope in (("city", None), ("district", district)):
            variants: list[tuple[str, str | None]] = [("", None)]
            if label == "heatmap":
                variants.append(("_town", "first"))
            for suffix, town in variants:
                with _env("HEATMAP_DB", db), _env("HEATMAP_SCOPE", scope):
                    figures = _measure_page(
                        file, recent, repeats=repeats, town=town, modules=modules
                    )
                out["pages"].setdefault(f"{label}{suffix}", {})[scope_name] = figures
    from ui.frame import release_connection

    release_connection(db)  # the store stays free for whoever writes next
    worst = max(
        (v["p95_ms"], f"{page}.{scope}")
        for page, scopes in out["pages"].items()
        for scope, v in scopes.items()
    )
    out["worst_p95_ms"], out["worst_page"] = worst
    return out


def _measure_page(
    file: str, months: list[str], *, repeats: int, town: str | None, modules: tuple[Any, ...]
) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO_ROOT / "pages" / file), default_timeout=600)
    at.run()
    if at.exception:
        raise RuntimeError(f"{file}: {at.exception[0].message}")
    if town == "first":
        options = [o for o in at.selectbox(key="selected_town").options if o]
        if options:
            at.session_state["selected_town"] = at.selectbox(key="selected_town").options[1]
    totals, data, payload = [], [], []
    with _timing(modules) as spent, _compiled_once():
        for i in range(repeats):
            month = months[(len(months) - 2 - i) % len(months)]
            if month == at.session_state["f_month"]:
                month = months[(len(months) - 1 - i) % len(months)]
            at.session_state["f_month"] = month
            spent.clear()
            for cached in spent.month_dependent:  # a new month: the page's month reads miss
                cached.clear()
            started = time.perf_counter()
            at.run()
            totals.append((time.perf_counter() - started) * 1000)
            data.append(sum(spent))
            payload.append(_payload_bytes(at))
            if at.exception:
                raise RuntimeError(f"{file}: {at.exception[0].message}")
    rest = [t - d for t, d in zip(totals, data, strict=True)]
    return {
        "p50_ms": _pct(totals, 50),
        "p95_ms": _pct(totals, 95),
        "max_ms": round(max(totals), 1),
        "data_p50_ms": _pct(data, 50),
        "build_and_render_p50_ms": _pct(rest, 50),
        "payload_bytes_p50": int(np.percentile(payload, 50)),
        "n": repeats,
        "runs_ms": [round(v, 1) for v in totals],
    }


def _payload_bytes(at: Any) -> int:
    """Bytes of the element protos the run produced (what the browser receives for it)."""
    total = 0
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
    return total


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


class _Spent(list[float]):
    """Milliseconds spent in each read function called, and the cached functions measured."""

    cached: list[Any]
    month_dependent: list[Any]


@contextmanager
def _timing(modules: tuple[Any, ...]) -> Iterator[_Spent]:
    """Time spent in the pages' cached read functions (their bodies run only on a cache miss)."""
    spent = _Spent()
    spent.cached = list(
        {id(fn): fn for m in modules for fn in vars(m).values() if _is_cached(fn)}.values()
    )
    spent.month_dependent = [fn for fn in spent.cached if _reads_month(fn)]
    originals = [fn._info.func for fn in spent.cached]
    for fn, original in zip(spent.cached, originals, strict=True):
        fn._info.func = _timed(original, spent)
    try:
        yield spent
    finally:
        for fn, original in zip(spent.cached, originals, strict=True):
            fn._info.func = original


def _is_cached(fn: Any) -> bool:
    return hasattr(fn, "__wrapped__") and hasattr(fn, "clear") and hasattr(fn, "_info")


#: Parameters through which a cached read depends on the month picked.
_MONTH_PARAMETERS = frozenset({"view", "month", "months"})


def _reads_month(fn: Any) -> bool:
    """A cached read whose result changes with the month (``st.cache_data`` taking one)."""
    import inspect

    from streamlit.runtime.caching.cache_type import CacheType

    if fn._info.cache_type is not CacheType.DATA:
        return False
    return bool(_MONTH_PARAMETERS & set(inspect.signature(fn._info.func).parameters))


def _timed(inner: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    # wraps: Streamlit names the cache key's arguments from the signature; without it every
    # cached value of the page would miss on the first measured run (keys built with no names)
    @functools.wraps(inner)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - started) * 1000)

    return timed


@contextmanager
def _compiled_once() -> Iterator[None]:
    """One script cache for the runs, as a server has (AppTest makes a new one per run, so it
    parses and compiles the page again every time: 10–35 ms a run that a server spends once)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import local_script_runner

    shared = ScriptCache()
    before = local_script_runner.ScriptCache
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        local_script_runner.ScriptCache = before  # type: ignore[misc]


@contextmanager
def _env(key: str, value: str | None) -> Iterator[None]:
    before = os.environ.get(key)
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def _pct(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 1)
