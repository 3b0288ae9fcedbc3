"""``POST /v1/screen`` over HTTP on loopback: throughput, latency, and refusal propagation.

A ``ringfence serve`` process (one uvicorn worker, SQLite registry) is pinned to CPU 0 and
loaded by ``wrk`` pinned to CPU 1, on 127.0.0.1 only, with single attempts and with batches
of 100, every request with fresh call ids and callees:

- throughput: :data:`CONNECTIONS` connections sending back to back (after a short warm-up);
- latency: p50 and p99 at a fixed moderate offered rate (:data:`PACED`): each of a few
  connections waits a fixed pause (wrk's ``delay()``) before its next request, so requests do
  not queue behind each other and the figures are the server's own response time. It starts
  once the server has worked off the throughput run (its CPU time stops growing), and lasts
  as long as the throughput run (8 s: some 400 batches, 8,000 single requests).

The server's CPU time per request (from ``/proc``, during the throughput run) is printed too:
on a machine other people are using it moves far less than the rates do.

The baseline is a bare FastAPI endpoint (same uvicorn, same CPU) that parses the same body
into the same models and returns a fixed verdict (no auth, no screening), measured the same
way in the same run. Without wrk an httpx client in this process is the load generator: it is
slower than the server, so those figures measure the client, not the server (said when run).

Then two ``serve`` processes share the registry: a refusal is posted to one, and the other is
screened until the refusal governs its verdict.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.seeding import put_marketing_enterprise

from ringfence.store import records
from ringfence.store.db import make_engine, migrate, session_factory, transaction

#: The n-th attempt of the workload: a marketing enterprise's trunk calling a fresh number at
#: an event time that advances :data:`EVENT_RATE` calls per second from :data:`START` (10:00
#: in Beijing). Every 100th of the first 100,000 numbers holds a consent (the propagation test
#: calls those); the load runs, numbered from :data:`RUN_OFFSET` on, call numbers without
#: one, so nearly every call takes the marketing checks' full path to NO_CONSENT. A clock that
#: stood still would put every callee called ten times under call-bombing protection.
ATTEMPT = (
    '{"call_id":"b%d","caller":"+862155550001","callee":"+86139%08d","ingress":"enterprise",'
    '"trunk_id":"T1","time":"%s"}'
)
START = 1_898_560_800  # 2030-03-01T02:00:00Z
EVENT_RATE = 5_000
#: Each load run numbers its attempts from its own offset, so that call ids, callees and event
#: times go on from run to run instead of starting over.
RUN_OFFSET = 2_000_000
SERVE = (
    "import sys; from ringfence.api import Settings; from ringfence.server.run import serve; "
    "serve(Settings(db_url=sys.argv[1]), port=int(sys.argv[2]), access_log=False, sip_port=0)"
)
BARE = textwrap.dedent(
    """
    import sys, uvicorn
    from typing import Annotated
    from fastapi import Body, FastAPI
    from ringfence.api.schemas import AttemptBatch, AttemptOrBatch, VerdictBatch, VerdictOut
    app = FastAPI()
    def _v(a):
        return VerdictOut(
            call_id=a.call_id, action="allow", reasons=["ALLOWED"], label="", details=[]
        )
    @app.post("/v1/screen", response_model=VerdictOut | VerdictBatch)
    async def screen(body: Annotated[AttemptOrBatch, Body()]):
        if isinstance(body, AttemptBatch):
            return VerdictBatch(verdicts=[_v(a) for a in body.attempts])
        return _v(body)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    """
)
#: wrk's script: ``-- BATCH TOKEN TEMPLATE FIRST START EVENT_RATE``; attempts as :func:`_attempt`.
WRK_SCRIPT = """
local n, batch, template, start, rate = 0, 1, "", 0, 1
function init(args)
  batch, template = tonumber(args[1]), args[3]
  n, start, rate = tonumber(args[4]), tonumber(args[5]), tonumber(args[6])
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end
function request()
  local items = {}
  for i = 1, batch do
    n = n + 1
    local at = os.date("!%Y-%m-%dT%H:%M:%SZ", start + math.floor(n / rate))
    items[i] = string.format(template, n, n % 100000000, at)
  end
  local body = items[1]
  if batch > 1 then body = '{"attempts":[' .. table.concat(items, ",") .. ']}' end
  return wrk.format(nil, nil, nil, body)
end
"""
#: Appended to pace each connection: wrk looks for ``delay`` before ``init`` runs.
WRK_PAUSE = "function delay() return %d end\n"
#: Connections for the throughput runs: enough to keep one server process always busy.
CONNECTIONS = 32
#: (connections, pause ms) of the latency runs, by batch size: about 1,000 single requests/s,
#: and 50 batches of 100 per second (5,000 calls/s).
PACED = {1: (10, 10), 100: (2, 40)}
SERVER_CPU, CLIENT_CPU = 0, 1
#: A load generator: (url, token, batch size, seconds, server pid) -> figures.
Load = Callable[[str, str, int, int, int], dict[str, float]]


def _attempt(n: int) -> str:
    """The n-th attempt's JSON (what the wrk script sends)."""
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START + n // EVENT_RATE))
    return ATTEMPT % (n, n % 100_000_000, at)


#: First attempt numbers of successive load runs.
_RUNS = itertools.count(0, RUN_OFFSET)


def _pin(cpu: int) -> list[str]:
    """A ``taskset`` prefix pinning a command to ``cpu``, where there are two CPUs to pin to."""
    if shutil.which("taskset") and len(os.sched_getaffinity(0)) >= 2:
        return ["taskset", "-c", str(cpu)]
    return []


@contextmanager
def _pinned(cpu: int) -> Iterator[None]:
    """This process on ``cpu`` only, for the duration of the block (where there are two)."""
    before = os.sched_getaffinity(0)
    if len(before) >= 2:
        os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _start(code: str, *args: str, cpu: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    pin = [] if cpu is None else _pin(cpu)
    process = subprocess.Popen(
        [*pin, sys.executable, "-c", code, *args, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    _wait(url + "/healthz", process)
    return process, url


def _seed(db: str) -> str:
    engine = make_engine(db)
    migrate(engine)
    at = time.time()
    with transaction(session_factory(engine)) as s:
        put_marketing_enterprise(s, actor="b", at=at)
        for i in range(0, 100_000, 100):
            records.add_consent(
                s,
                actor="b",
                at=at,
                enterprise_id="E1",
                number=f"+86139{i:08d}",
                granted_at=at - 86_400,
                channel="web",
                evidence_sha256="f" * 64,
            )
        token, _ = records.create_principal(s, actor="b", at=at, role="carrier")
    engine.dispose()
    return token


def _wrk(
    url: str, token: str, batch: int, seconds: int, connections: int, pause_ms: int = 0
) -> dict[str, float]:
    """One wrk run (pinned to the client CPU); requests/s, p50/p99 ms and failed requests."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT + (WRK_PAUSE % pause_ms if pause_ms else ""))
    command = [
        *_pin(CLIENT_CPU),
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        f.name,
        url + "/v1/screen",
        "--",
        str(batch),
        token,
        ATTEMPT,
        str(next(_RUNS)),
        str(START),
        str(EVENT_RATE),
    ]
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    figures = {"requests": 0.0, "requests_s": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0.0}
    for line in out.splitlines():
        words = line.replace(",", "").split()
        if words[1:3] == ["requests", "in"]:
            figures["requests"] = float(words[0])
        elif line.startswith("Requests/sec:"):
            figures["requests_s"] = float(words[1])
        elif words[:1] in (["50%"], ["99%"]):
            figures[f"p{words[0][:2]}_ms"] = _ms(words[1])
        elif line.startswith("  Non-2xx"):
            figures["errors"] += float(words[-1])
        elif line.startswith("  Socket errors:"):
            figures["errors"] += sum(float(w) for w in words[3::2])
    return figures


def _ms(text: str) -> float:
    for unit, factor in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settle(pid: int, quiet_s: float = 0.2, limit_s: float = 5.0) -> None:
    """Wait until the server has worked off what the busy run left queued (its CPU time stops
    growing for ``quiet_s``), so that the paced run measures latency at the paced rate and
    not the tail of a saturation: up to 32 requests still in the server when wrk stops."""
    deadline = time.perf_counter() + limit_s
    before = _cpu_s(pid)
    while time.perf_counter() < deadline:
        time.sleep(quiet_s)
        now = _cpu_s(pid)
        if now == before:
            return
        before = now


def _load_wrk(url: str, token: str, batch: int, seconds: int, pid: int) -> dict[str, float]:
    """Throughput with :data:`CONNECTIONS` back-to-back connections (and the server's CPU time
    per request), then latency at the paced rate of :data:`PACED`."""
    _wrk(url, token, batch, 1, CONNECTIONS)  # warm-up: first-call costs, caches, allocator
    cpu = _cpu_s(pid)
    busy = _wrk(url, token, batch, seconds, CONNECTIONS)
    cpu = _cpu_s(pid) - cpu
    _settle(pid)
    connections, pause = PACED[batch]
    paced = _wrk(url, token, batch, seconds, connections, pause)
    return {
        "requests_s": busy["requests_s"],
        "cpu_us": cpu / max(busy["requests"], 1) * 1e6,
        "busy_p50_ms": busy["p50_ms"],
        "busy_p99_ms": busy["p99_ms"],
        "paced_requests_s": paced["requests_s"],
        "p50_ms": paced["p50_ms"],
        "p99_ms": paced["p99_ms"],
        "errors": busy["errors"] + paced["errors"],
    }


def _load_httpx(url: str, token: str, batch: int, seconds: int, pid: int) -> dict[str, float]:
    """The fallback load generator: 16 concurrent httpx clients for ``seconds``. It is slower
    than the server, so its rates and latencies are the client's, not the server's."""

    async def run() -> tuple[int, list[float], int]:
        latencies: list[float] = []
        errors = 0
        n = next(_RUNS)
        stop = time.perf_counter() + seconds
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:

            async def worker() -> None:
                nonlocal n, errors
                while time.perf_counter() < stop:
                    items = []
                    for _ in range(batch):
                        n += 1
                        items.append(_attempt(n))
                    body = items[0] if batch == 1 else '{"attempts":[' + ",".join(items) + "]}"
                    t = time.perf_counter()
                    answer = await client.post(url + "/v1/screen", content=body)
                    latencies.append(time.perf_counter() - t)
                    errors += answer.status_code >= 300

            await asyncio.gather(*(worker() for _ in range(16)))
        return len(latencies), latencies, errors

    cpu = _cpu_s(pid)
    with _pinned(CLIENT_CPU):
        count, latencies, errors = asyncio.run(run())
    cpu = _cpu_s(pid) - cpu
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests_s": count / seconds,
        "cpu_us": cpu / max(count, 1) * 1e6,
        "busy_p50_ms": q[49] * 1e3,
        "busy_p99_ms": q[98] * 1e3,
        "errors": float(errors),
    }


def _propagation(db: str, token: str, rounds: int) -> list[float]:
    """Seconds from a refusal's 201 on server A to the first REFUSED verdict on server B."""
    a, url_a = _start(SERVE, db)
    b, url_b = _start(SERVE, db)
    delays = []
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(headers=headers, timeout=10) as client:
            for i in range(rounds):
                number = f"+86139{i * 100:08d}"  # consented: allowed until refused
                attempt = json.loads(_attempt(i * 100))
                refusal = {"number": number, "enterprise_id": "E1", "channel": "sms"}
                assert client.post(url_a + "/v1/refusals", json=refusal).status_code == 201
                acknowledged = time.perf_counter()
                while (
                    "REFUSED"
                    not in client.post(url_b + "/v1/screen", json=attempt).json()["reasons"]
                ):
                    if time.perf_counter() - acknowledged > 5:
                        raise RuntimeError("refusal did not propagate in 5 s")
                delays.append(time.perf_counter() - acknowledged)
    finally:
        for p in (a, b):
            p.terminate()
            p.wait()
    return delays


def _in_process(db: str, calls: int) -> float:
    """Calls/s of the screening service itself (no HTTP), on the same registry and mix."""
    from datetime import UTC, datetime

    from ringfence.api.app import policy_from
    from ringfence.core.types import CallAttempt, Ingress
    from ringfence.server.screening import ScreeningService

    engine = make_engine(db)
    service = ScreeningService(policy_from("cn"), session_factory(engine))
    first = next(_RUNS)
    attempts = [
        CallAttempt(
            f"b{n}",
            "+862155550001",
            f"+86139{n % 100_000_000:08d}",
            datetime.fromtimestamp(START + n // EVENT_RATE, UTC),
            Ingress.ENTERPRISE,
            "T1",
        )
        for n in range(first, first + calls)
    ]
    with _pinned(SERVER_CPU):
        started = time.perf_counter()
        for i in range(0, calls, 100):
            service.screen(attempts[i : i + 100])
        rate = calls / (time.perf_counter() - started)
    engine.dispose()
    return rate


def _stack() -> str:
    """The event loop and HTTP parser uvicorn picks here (``auto``: the fast ones if installed)."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"{loop} + {http}"


def _serve_and_load(
    name: str, code: str, args: tuple[str, ...], load: Load, token: str, seconds: int
) -> dict[str, float]:
    """Start one server (pinned), load it with single attempts then batches, print its lines."""
    figures: dict[str, float] = {}
    process, url = _start(code, *args, cpu=SERVER_CPU)
    try:
        for batch in (1, 100):
            f = load(url, token, batch, seconds, process.pid)
            key = f"{name}_{'single' if batch == 1 else 'batch100'}"
            figures[f"{key}_calls_s"] = calls = f["requests_s"] * batch
            figures[f"{key}_cpu_us_per_request"] = f["cpu_us"]
            line = f"  {name:9} batch {batch:3}: {calls:10,.0f} calls/s "
            line += f"({f['requests_s']:,.0f} req/s, server CPU {f['cpu_us']:,.0f} us/req"
            line += f", p50 {f['busy_p50_ms']:.2f} ms, p99 {f['busy_p99_ms']:.2f} ms)"
            if "p50_ms" in f:
                paced = f["paced_requests_s"] * batch
                figures[f"{key}_p50_ms"] = f["p50_ms"]
                figures[f"{key}_p99_ms"] = f["p99_ms"]
                line += f"; at {paced:,.0f} calls/s: p50 {f['p50_ms']:.2f} ms"
                line += f", p99 {f['p99_ms']:.2f} ms"
            print(f"{line}; errors {f['errors']:.0f}", flush=True)
    finally:
        process.terminate()
        process.wait()
    return figures


def main(quick: bool = False) -> dict[str, float]:
    """Throughput and latency of POST /v1/screen against the bare-FastAPI baseline, and the
    refusal propagation delay between two processes."""
    seconds = 3 if quick else 8
    wrk = shutil.which("wrk") is not None
    load: Load = _load_wrk if wrk else _load_httpx
    pinned = f"server on CPU {SERVER_CPU}, client on CPU {CLIENT_CPU}" if _pin(0) else "unpinned"
    print(f"api: POST /v1/screen, one uvicorn worker ({_stack()}), {pinned}")
    if wrk:
        single, batched = (f"{c} connections x 1 request per {p} ms" for c, p in PACED.values())
        print(
            f"  wrk on loopback: throughput with {CONNECTIONS} busy connections (its p50/p99 are "
            f"queueing), latency paced (single: {single}; batch: {batched})"
        )
    else:
        print(
            "  wrk is not installed (apt-get install wrk): the load generator is an httpx client "
            "in Python, slower than the server, so these figures are CLIENT-BOUND: they measure "
            "the client, not the server, and understate every rate"
        )
    print("  goal: >= 3,000 single screens/s, >= 50,000 calls/s in batches, p99 < 10 ms")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'registry.db'}"
        token = _seed(db)
        figures |= _serve_and_load("ringfence", SERVE, (db,), load, token, seconds)
        figures |= _serve_and_load("bare", BARE, (), load, token, seconds)
        figures["in_process_calls_s"] = _in_process(db, 20_000 if quick else 100_000)
        print(
            f"  screening service alone (no HTTP): {figures['in_process_calls_s']:10,.0f} calls/s"
        )
        for kind in ("single", "batch100"):
            ratio = figures[f"ringfence_{kind}_calls_s"] / figures[f"bare_{kind}_calls_s"]
            cpu = (
                figures[f"ringfence_{kind}_cpu_us_per_request"]
                / figures[f"bare_{kind}_cpu_us_per_request"]
            )
            figures[f"ratio_{kind}"] = ratio
            figures[f"cpu_ratio_{kind}"] = cpu
            print(
                f"  ratio to bare FastAPI ({kind}): {ratio:.2f} "
                f"(server CPU per request: {cpu:.2f}x)"
            )
        delays = _propagation(db, token, 5 if quick else 20)
        figures["propagation_p50_ms"] = statistics.median(delays) * 1e3
        figures["propagation_max_ms"] = max(delays) * 1e3
        print(
            f"api: refusal on process A → REFUSED on process B: median "
            f"{figures['propagation_p50_ms']:.1f} ms, max {figures['propagation_max_ms']:.1f} ms "
            "(goal < 100 ms; the same process: the very next call)"
        )
    return figures


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
