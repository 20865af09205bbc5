"""Virtual users over Streamlit's own websocket protocol: the load test of issue 22.

Each virtual user is one browser tab: it fetches ``/`` (the proxy's sticky cookie comes with it),
opens ``/_stcore/stream`` with the subprotocol the frontend uses, and asks for script runs the way
the frontend does (``BackMsg.rerun_script`` with the page's URL name, the query string and the
widget values). The first run opens a page with a month and a district in the query string; every
later run goes to another page and picks another month and district in the sidebar, by the widget
ids the server sent. A run ends at the ``script_finished`` message (a rerun the app asked for is
waited out); its time, bytes and any exception or error notice are recorded. Between runs the user
pauses (exponential, ``mean_pause_s``). Everything is bounded by ``duration_s`` and
``max_runs``, and only loopback addresses are accepted.

``python -m heatmap_bench.load --url http://127.0.0.1:8501 --users 5 --duration 30`` prints the
summary as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

PAGES = ("map", "ranking", "governance", "topics", "warning", "workbench")
_FINISHED = {0: "ok", 1: "compile_error", 3: "ok"}  # ForwardMsg.ScriptFinishedStatus
_EARLY_FOR_RERUN = 2
_VALUE_KINDS = ("selectbox", "radio", "multiselect", "text_input", "checkbox")
_LOOPBACK = ("127.", "localhost", "[::1]", "::1")


@dataclass(frozen=True)
class LoadConfig:
    """What a load run does: whom it targets, how many users, how long, which pages."""

    url: str
    users: int = 5
    duration_s: float = 30.0
    max_runs: int = 10_000
    mean_pause_s: float = 0.0
    pages: tuple[str, ...] = PAGES
    ramp_s: float = 0.0
    run_timeout_s: float = 120.0
    seed: int = 22
    accounts: tuple[tuple[str, str], ...] = ()  # (name, password) per user, round robin; () = demo
    session_runs: int = 0  # > 0: a user closes its tab after so many runs and opens a new one


@dataclass
class RunResult:
    """One script run as a user waited for it."""

    page: str
    seconds: float
    ok: bool
    bytes: int
    reruns: int
    error: str = ""
    worker: str = ""  # the proxy's affinity cookie (SRV), when there is a proxy
    ended: float = 0.0  # time.monotonic() at the end of the run


@dataclass
class LoadReport:
    """What a load run measured (the ``load`` section of the bench JSON, one scenario)."""

    users: int
    mean_pause_s: float
    duration_s: float
    runs: int
    runs_per_s: float
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    errors: int
    error_samples: list[str] = field(default_factory=list)
    by_page: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    mean_bytes: float = 0.0
    sessions: int = 0
    signed_in: bool = False
    runs_by_worker: dict[str, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0  # the load client's own CPU time: it shares the machine's cores


class ProtocolError(RuntimeError):
    """The server did not answer as Streamlit's frontend expects."""


def check_loopback(url: str) -> None:
    """Refuse any target but this machine (the load test never leaves loopback)."""
    host = urllib.parse.urlsplit(url).netloc.rsplit("@", 1)[-1]
    if not host.startswith(_LOOPBACK):
        raise ValueError(f"load target must be a loopback address (127.0.0.0/8, ::1), got {url!r}")


def _sticky_cookie(base: str) -> str:
    """The cookies a browser has before it opens the websocket: the page (the proxy's affinity
    cookie, if any), then the health check (Streamlit's XSRF cookie, needed for uploads)."""
    jar: dict[str, str] = {}
    for path in ("/", "/_stcore/health"):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
        request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                jar[name.strip()] = value.strip()
    return "; ".join(f"{k}={v}" for k, v in jar.items())


class Tab:
    """One browser tab: a websocket session that asks for script runs and records widgets."""

    def __init__(self, base: str, *, timeout_s: float) -> None:
        self.base = base.rstrip("/")
        self.timeout_s = timeout_s
        self.widgets: dict[str, dict[str, Any]] = {}  # label -> {id, kind, options, value}
        self.query = ""
        self.cookie = ""
        self.session_id = ""
        self.downloads: dict[str, str] = {}  # download button label -> its /media/ URL
        self.files: dict[str, list[Any]] = {}  # file uploader id -> the files put there
        self.sent: dict[str, Any] = {}  # widget id -> the value last sent (the browser keeps it)
        self._ws: Any = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.cookie = await asyncio.to_thread(_sticky_cookie, self.base)
        ws_url = "ws" + self.base[len("http") :] + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self._ws = await connect(
            ws_url, subprotocols=["streamlit"], additional_headers=headers,  # type: ignore[list-item]
            max_size=None, open_timeout=30, ping_interval=None,
        )  # fmt: skip

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def run(
        self, page: str, *, query: str | None = None, values: dict[str, Any] | None = None
    ) -> RunResult:
        """Ask for one run of ``page`` (query string and widget values as given) and wait for it."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query if query is None else query
        state.page_name = page
        state.page_script_hash = ""
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "Asia/Shanghai", -480, "zh-CN"
        info.url = f"{self.base}/{page}" + (f"?{state.query_string}" if state.query_string else "")
        self._widget_states(state.widget_states, values or {})
        started = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        size, reruns, error = await asyncio.wait_for(self._until_finished(), self.timeout_s)
        worker = next((c[4:] for c in self.cookie.split("; ") if c.startswith("SRV=")), "")
        seconds = time.perf_counter() - started
        return RunResult(page, seconds, not error, size, reruns, error, worker, time.monotonic())

    def _widget_states(self, out: Any, values: dict[str, Any]) -> None:
        """The values of the widgets seen so far, with ``values`` (by label) changed."""
        for label, widget in self.widgets.items():
            kind = widget["kind"]
            if kind == "files":
                value = self.files.get(widget["id"])
            elif label in values:
                value = self.sent[widget["id"]] = values[label]
            else:
                value = self.sent.get(widget["id"], widget.get("value"))
            if value is None or kind == "trigger":
                if kind == "trigger" and values.get(label):
                    out.widgets.add(id=widget["id"], trigger_value=True)
                continue
            state = out.widgets.add(id=widget["id"])
            if kind == "string":
                state.string_value = str(value)
            elif kind == "strings":
                state.string_array_value.data.extend(str(v) for v in value)
            elif kind == "bool":
                state.bool_value = bool(value)
            elif kind == "files":
                for info in self.files.get(widget["id"], []):
                    state.file_uploader_state_value.uploaded_file_info.append(info)

    async def _until_finished(self) -> tuple[int, int, str]:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        size = reruns = 0
        errors: list[str] = []
        while True:
            data = await self._ws.recv()
            size += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "delta":
                self._element(msg.delta, errors)
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "new_session":  # a run begins: its widgets are sent again
                self.widgets, self.downloads = {}, {}
                self.session_id = msg.new_session.initialize.session_id or self.session_id
            elif kind == "script_finished":
                if msg.script_finished == _EARLY_FOR_RERUN:
                    reruns += 1
                    continue
                if _FINISHED.get(msg.script_finished) != "ok":
                    errors.append(f"script_finished={msg.script_finished}")
                return size, reruns, "; ".join(errors)

    def _element(self, delta: Any, errors: list[str]) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            errors.append(f"exception: {element.exception.type}: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == 1:  # Alert.ERROR: the page said no
            errors.append(f"error notice: {element.alert.body[:200]}")
        elif kind in ("selectbox", "radio"):
            w = getattr(element, kind)
            value = w.raw_value if _has(w, "raw_value") else None
            if value is None and _has(w, "default"):
                value = w.options[w.default] if w.default < len(w.options) else None
            self.widgets[w.label] = {"id": w.id, "kind": "string", "options": list(w.options),
                                     "value": value}  # fmt: skip
        elif kind == "multiselect":
            w = element.multiselect
            value = list(w.raw_values) or [w.options[i] for i in w.default]
            self.widgets[w.label] = {"id": w.id, "kind": "strings", "options": list(w.options),
                                     "value": value}  # fmt: skip
        elif kind == "text_input":
            w = element.text_input
            self.widgets[w.label] = {"id": w.id, "kind": "string", "options": [],
                                     "value": w.value if _has(w, "value") else None}  # fmt: skip
        elif kind in ("checkbox", "toggle"):
            w = element.checkbox
            self.widgets[w.label] = {"id": w.id, "kind": "bool", "options": [], "value": w.value}
        elif kind == "button":
            self.widgets[element.button.label] = {"id": element.button.id, "kind": "trigger",
                                                  "options": [], "value": None,
                                                  "form": element.button.is_form_submitter}  # fmt: skip
        if kind in _VALUE_KINDS:  # the browser shows the value it was first sent, or set to
            w = getattr(element, kind)
            entry = self.widgets[w.label]
            if entry["id"] not in self.sent or getattr(w, "set_value", False):
                self.sent[entry["id"]] = entry["value"]
        if kind == "download_button":  # a file made on every run (url), or on click (deferred)
            button = element.download_button
            self.downloads[button.label] = button.url or f"deferred:{button.deferred_file_id}"
        elif kind == "file_uploader":
            w = element.file_uploader
            self.widgets[w.label] = {"id": w.id, "kind": "files", "options": [], "value": None}

    async def upload(self, label: str, name: str, data: bytes) -> None:
        """Put a file into the file uploader ``label`` as the browser does: ask for an upload URL
        over the websocket, PUT the file there (same cookies, XSRF token), then set the widget."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.Common_pb2 import UploadedFileInfo
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.file_urls_request.request_id = "upload-1"
        msg.file_urls_request.file_names.append(name)
        msg.file_urls_request.session_id = self.session_id
        await self._ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(self._ws.recv(), self.timeout_s))
            if reply.WhichOneof("type") == "file_urls_response":
                break
        if reply.file_urls_response.error_msg:
            raise ProtocolError(f"upload refused: {reply.file_urls_response.error_msg}")
        urls = reply.file_urls_response.file_urls[0]
        await asyncio.to_thread(self._put, urls.upload_url, name, data)
        info = UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id)
        info.file_urls.CopyFrom(urls)
        self.files[self.widgets[label]["id"]] = [info]  # sent with every run from now on

    def _put(self, url: str, name: str, data: bytes) -> None:
        boundary = "heatmapbench7d1f"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        xsrf = dict(c.split("=", 1) for c in self.cookie.split("; ") if "=" in c)
        request = urllib.request.Request(  # noqa: S310 - loopback only (check_loopback)
            self.base + url if url.startswith("/") else url, data=body, method="PUT",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                     "Cookie": self.cookie, "X-Xsrftoken": xsrf.get("_streamlit_xsrf", "")},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
            response.read()

    async def download(self, label: str) -> bytes:
        """The file behind the download button ``label`` (from the worker that made it).

        A button whose file is made on click (``data=callable``) is clicked as the browser does:
        a deferred-file request over the websocket, answered with the file's URL."""
        url = self.downloads[label]
        if url.startswith("deferred:"):
            url = await self._deferred_url(url.removeprefix("deferred:"))
        return await asyncio.to_thread(self._get, url)

    async def _deferred_url(self, file_id: str) -> str:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        request = msg.backend_operation_request
        request.request_id = f"download-{file_id}"
        request.session_id = self.session_id
        request.deferred_file.file_id = file_id
        await self._ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(self._ws.recv(), self.timeout_s))
            answer = reply.backend_operation_response
            if reply.WhichOneof("type") == "backend_operation_response" and (
                answer.request_id == request.request_id
            ):
                if answer.error_msg:
                    raise ProtocolError(f"download refused: {answer.error_msg}")
                return str(answer.deferred_file.url)

    def _get(self, url: str) -> bytes:
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.base + url if url.startswith("/") else url, headers={"Cookie": self.cookie}
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
            return bytes(response.read())


async def sign_in(tab: Tab, name: str, password: str, page: str, query: str) -> RunResult:
    """Fill the sign-in form (its widgets as the server sent them) and submit it, as a person does."""
    first = await tab.run(page, query=query)
    inputs = [
        label for label, w in tab.widgets.items() if w["kind"] == "string" and not w["options"]
    ]
    submit = [label for label, w in tab.widgets.items() if w["kind"] == "trigger" and w["form"]]
    if len(inputs) < 2 or not submit:
        raise ProtocolError(f"no sign-in form on {page} (widgets seen: {list(tab.widgets)})")
    result = await tab.run(page, values={inputs[0]: name, inputs[1]: password, submit[0]: True})
    result.seconds += first.seconds
    return result


def _has(message: Any, name: str) -> bool:
    try:
        return bool(message.HasField(name))
    except ValueError:  # a proto3 field without presence: always set
        return True


def _month_and_district(tab: Tab, rng: random.Random) -> dict[str, Any]:
    """A month and a district picked in the sidebar (by the options it offers), as a person does."""
    values: dict[str, Any] = {}
    for label, w in tab.widgets.items():
        options = w["options"]
        if w["kind"] == "string" and options and all(_is_month(o) for o in options):
            values[label] = rng.choice(options[:24])
        elif w["kind"] == "strings" and options and any(o.endswith("区") for o in options):
            values[label] = [rng.choice(options)] if rng.random() < 0.7 else []
    return values


def _is_month(text: str) -> bool:
    return len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()


def _first_query(rng: random.Random, months: list[str], districts: list[str]) -> str:
    params = {}
    if months:
        params["m"] = rng.choice(months[-24:])
    if districts and rng.random() < 0.7:
        params["d"] = rng.choice(districts)
    return urllib.parse.urlencode(params)


async def _user(
    index: int, cfg: LoadConfig, deadline: float, results: list[RunResult], state: dict[str, Any]
) -> None:
    rng = random.Random(cfg.seed * 1000 + index)
    await asyncio.sleep(cfg.ramp_s * index / max(cfg.users, 1))
    while time.monotonic() < deadline and len(results) < cfg.max_runs:
        tab = Tab(cfg.url, timeout_s=cfg.run_timeout_s)
        try:
            await tab.open()
            state["sessions"] += 1
            page = rng.choice(cfg.pages)
            query = _first_query(rng, state["months"], state["districts"])
            if cfg.accounts:
                name, password = cfg.accounts[index % len(cfg.accounts)]
                results.append(await sign_in(tab, name, password, page, query))
            else:
                results.append(await tab.run(page, query=query))
            runs = 1
            while time.monotonic() < deadline and len(results) < cfg.max_runs:
                if cfg.session_runs and runs >= cfg.session_runs:
                    break
                if cfg.mean_pause_s > 0:
                    pause = rng.expovariate(1 / cfg.mean_pause_s)
                    await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
                    if time.monotonic() >= deadline:
                        break
                # another page from the menu (its sidebar starts again from the defaults: the
                # frame's widgets belong to each page), then another month and district there
                page = rng.choice(cfg.pages)
                results.append(await tab.run(page, query=""))
                results.append(await tab.run(page, values=_month_and_district(tab, rng)))
                runs += 2
        except (TimeoutError, OSError, ProtocolError) as exc:
            results.append(
                RunResult("?", cfg.run_timeout_s, False, 0, 0, f"{type(exc).__name__}: {exc}")
            )
            await asyncio.sleep(1.0)
        except Exception as exc:  # noqa: BLE001 - a closed socket etc.: counted, the user goes on
            results.append(RunResult("?", 0.0, False, 0, 0, f"{type(exc).__name__}: {exc}"))
            await asyncio.sleep(1.0)
        finally:
            await tab.close()
        if not cfg.session_runs:
            break


async def _probe(cfg: LoadConfig) -> dict[str, Any]:
    """One tab opens the map page: the months the sidebar offers (for the users' first links)."""
    from heatmap.geo.names import DISTRICTS

    tab = Tab(cfg.url, timeout_s=cfg.run_timeout_s)
    await tab.open()
    try:
        if cfg.accounts:
            await sign_in(tab, *cfg.accounts[0], "map", "")
        else:
            await tab.run("map", query="")
        months: list[str] = []
        for w in tab.widgets.values():
            if w["kind"] == "string" and w["options"] and all(_is_month(o) for o in w["options"]):
                months = sorted(w["options"])
    finally:
        await tab.close()
    return {"months": months, "districts": sorted(DISTRICTS), "sessions": 0}


async def run_load(cfg: LoadConfig, *, results: list[RunResult] | None = None) -> LoadReport:
    """Run ``cfg.users`` virtual users against ``cfg.url`` until the time or run budget is spent
    (every run is appended to ``results`` when given)."""
    check_loopback(cfg.url)
    state = await _probe(cfg)
    cpu = time.process_time()
    results = [] if results is None else results
    started = time.monotonic()
    deadline = started + cfg.duration_s
    users = [asyncio.create_task(_user(i, cfg, deadline, results, state)) for i in range(cfg.users)]
    await asyncio.wait(users, timeout=cfg.duration_s + cfg.run_timeout_s + 10)
    for task in users:
        task.cancel()
    elapsed = time.monotonic() - started
    report = summarize(results, cfg, elapsed, sessions=state["sessions"])
    report.client_cpu_s = round(time.process_time() - cpu, 2)
    return report


def summarize(
    results: list[RunResult], cfg: LoadConfig, elapsed: float, *, sessions: int
) -> LoadReport:
    """Page runs/s, percentiles over the successful runs, errors and a few of their texts."""
    ok = sorted(r.seconds for r in results if r.ok)
    errors = [r.error for r in results if not r.ok]
    by_page: dict[str, dict[str, float | int | None]] = {}
    for page in sorted({r.page for r in results}):
        times = sorted(r.seconds for r in results if r.page == page and r.ok)
        by_page[page] = {"runs": len(times), "p50_s": _pct(times, 50), "p95_s": _pct(times, 95)}
    return LoadReport(
        users=cfg.users, mean_pause_s=cfg.mean_pause_s, duration_s=round(elapsed, 2),
        runs=len(ok), runs_per_s=round(len(ok) / elapsed, 3) if elapsed else 0.0,
        p50_s=_pct(ok, 50), p95_s=_pct(ok, 95), max_s=round(ok[-1], 3) if ok else None,
        errors=len(errors), error_samples=sorted(set(errors))[:5], by_page=by_page,
        mean_bytes=round(sum(r.bytes for r in results) / max(len(results), 1)),
        sessions=sessions, signed_in=bool(cfg.accounts),
        runs_by_worker={w: sum(1 for r in results if r.ok and r.worker == w)
                        for w in sorted({r.worker for r in results if r.worker})},
    )  # fmt: skip


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    k = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return round(values[k], 3)


def main(argv: list[str] | None = None) -> int:
    """``python -m heatmap_bench.load``: one load run, its summary as JSON on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501", help="loopback only")
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds")
    parser.add_argument("--max-runs", type=int, default=10_000)
    parser.add_argument("--pause", type=float, default=0.0, help="mean pause between runs (s)")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--ramp", type=float, default=0.0, help="seconds over which users start")
    parser.add_argument("--session-runs", type=int, default=0)
    parser.add_argument("--account", action="append", default=[], metavar="NAME:PASSWORD")
    args = parser.parse_args(argv)
    cfg = LoadConfig(
        url=args.url.rstrip("/"), users=args.users, duration_s=args.duration,
        max_runs=args.max_runs, mean_pause_s=args.pause, pages=tuple(args.pages.split(",")),
        ramp_s=args.ramp, session_runs=args.session_runs,
        accounts=tuple(tuple(a.split(":", 1)) for a in args.account),  # type: ignore[misc]
    )  # fmt: skip
    report = asyncio.run(run_load(cfg))
    json.dump(asdict(report), sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0 if report.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
