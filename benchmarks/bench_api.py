"""``POST /v1/screen`` over HTTP on loopback: throughput, latency, and refusal propagation.

A ``ringfence serve`` process (one uvicorn worker, SQLite registry) is loaded by ``wrk`` (or
by an httpx async client when wrk is not installed) on 127.0.0.1 only, with single attempts
and with batches of 100; the baseline is a bare FastAPI endpoint in another process that
parses the same request body and returns a fixed verdict (no auth, no screening), loaded the
same way in the same run. Then two ``serve`` processes share the registry: a refusal is
posted to one, and the other is screened until the refusal governs its verdict.
"""

from __future__ import annotations

import asyncio
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
from pathlib import Path

import httpx

from ringfence.store import records
from ringfence.store.db import make_engine, migrate, session_factory, transaction

ATTEMPT = (
    '{"call_id":"b%d","caller":"+862155550001","callee":"+86139%08d","ingress":"enterprise",'
    '"trunk_id":"T1","time":"2030-03-01T10:00:00+08:00"}'
)
SERVE = (
    "import sys; from ringfence.api import Settings; from ringfence.server.run import serve; "
    "serve(Settings(db_url=sys.argv[1]), port=int(sys.argv[2]), access_log=False)"
)
BARE = textwrap.dedent(
    """
    import sys, uvicorn
    from fastapi import FastAPI
    from ringfence.api.schemas import Attempt, AttemptBatch, VerdictBatch, VerdictOut
    app = FastAPI()
    def _v(a):
        return VerdictOut(
            call_id=a.call_id, action="allow", reasons=["ALLOWED"], label="", details=[]
        )
    @app.post("/v1/screen", response_model=VerdictOut | VerdictBatch)
    async def screen(body: Attempt | AttemptBatch):
        if isinstance(body, AttemptBatch):
            return VerdictBatch(verdicts=[_v(a) for a in body.attempts])
        return _v(body)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    """
)
WRK_SCRIPT = """
local n = 0
local batch = %d
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  local items = {}
  for i = 1, batch do
    n = n + 1
    items[i] = string.format('%s', n, n %% 100000)
  end
  local body = items[1]
  if batch > 1 then body = '{"attempts":[' .. table.concat(items, ",") .. ']}' end
  return wrk.format(nil, nil, nil, body)
end
"""


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


def _start(code: str, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args, str(port)],
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
        records.put_enterprise(s, actor="b", at=at, enterprise_id="E1", name="E1", industry="hr")
        records.put_trunk(s, actor="b", at=at, trunk_id="T1", enterprise_id="E1", marketing=True)
        records.add_block(
            s,
            actor="b",
            at=at,
            first="+862155550000",
            last="+862155559999",
            holder_type="enterprise",
            holder_id="E1",
            purpose="marketing",
        )
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


def _load_wrk(url: str, token: str, batch: int, seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_SCRIPT % (batch, token, ATTEMPT))
    out = subprocess.run(
        ["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", "-s", f.name, url + "/v1/screen"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    figures = {"requests_s": 0.0, "p50_ms": 0.0, "p99_ms": 0.0, "errors": 0.0}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            figures["requests_s"] = float(words[1])
        elif words[:1] in (["50%"], ["99%"]):
            figures[f"p{words[0][:2]}_ms"] = _ms(words[1])
        elif line.startswith("Non-2xx"):
            figures["errors"] = float(words[-1])
    return figures


def _ms(text: str) -> float:
    for unit, factor in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def _load_httpx(url: str, token: str, batch: int, seconds: int) -> dict[str, float]:
    """The fallback load generator: 16 concurrent httpx clients for ``seconds``."""

    async def run() -> tuple[int, list[float], int]:
        latencies: list[float] = []
        errors = 0
        n = 0
        stop = time.perf_counter() + seconds
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:

            async def worker() -> None:
                nonlocal n, errors
                while time.perf_counter() < stop:
                    items = []
                    for _ in range(batch):
                        n += 1
                        items.append(ATTEMPT % (n, n % 100_000))
                    body = items[0] if batch == 1 else '{"attempts":[' + ",".join(items) + "]}"
                    t = time.perf_counter()
                    answer = await client.post(url + "/v1/screen", content=body)
                    latencies.append(time.perf_counter() - t)
                    errors += answer.status_code >= 300

            await asyncio.gather(*(worker() for _ in range(16)))
        return len(latencies), latencies, errors

    count, latencies, errors = asyncio.run(run())
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests_s": count / seconds,
        "p50_ms": q[49] * 1e3,
        "p99_ms": q[98] * 1e3,
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
                attempt = json.loads(ATTEMPT % (i, i * 100))
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
    from datetime import datetime

    from ringfence.api.app import policy_from
    from ringfence.core.types import CallAttempt, Ingress
    from ringfence.server.screening import ScreeningService

    engine = make_engine(db)
    service = ScreeningService(policy_from("cn"), session_factory(engine))
    t = datetime.fromisoformat("2030-03-01T10:00:00+08:00")
    attempts = [
        CallAttempt(
            f"b{n}", "+862155550001", f"+86139{n % 100_000:08d}", t, Ingress.ENTERPRISE, "T1"
        )
        for n in range(calls)
    ]
    started = time.perf_counter()
    for i in range(0, calls, 100):
        service.screen(attempts[i : i + 100])
    rate = calls / (time.perf_counter() - started)
    engine.dispose()
    return rate


def main(quick: bool = False) -> dict[str, float]:
    """Throughput and latency of POST /v1/screen against the bare-FastAPI baseline, and the
    refusal propagation delay between two processes."""
    seconds = 3 if quick else 8
    load = _load_wrk if shutil.which("wrk") else _load_httpx
    generator = "wrk" if load is _load_wrk else "httpx"
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'registry.db'}"
        token = _seed(db)
        print(f"api: POST /v1/screen, one uvicorn worker, {generator} on loopback, 16 connections")
        for name, code, args in (("ringfence", SERVE, (db,)), ("bare", BARE, ())):
            process, url = _start(code, *args)
            try:
                for batch in (1, 100):
                    f = load(url, token, batch, seconds)
                    calls = f["requests_s"] * batch
                    key = f"{name}_{'single' if batch == 1 else 'batch100'}"
                    figures[f"{key}_calls_s"] = calls
                    figures[f"{key}_p50_ms"] = f["p50_ms"]
                    figures[f"{key}_p99_ms"] = f["p99_ms"]
                    print(
                        f"  {name:9} batch {batch:3}: {calls:10,.0f} calls/s "
                        f"({f['requests_s']:,.0f} req/s), p50 {f['p50_ms']:.2f} ms, "
                        f"p99 {f['p99_ms']:.2f} ms, errors {f['errors']:.0f}"
                    )
            finally:
                process.terminate()
                process.wait()
        figures["in_process_calls_s"] = _in_process(db, 20_000 if quick else 100_000)
        print(
            f"  screening service alone (no HTTP): {figures['in_process_calls_s']:10,.0f} calls/s"
        )
        for kind in ("single", "batch100"):
            ratio = figures[f"ringfence_{kind}_calls_s"] / figures[f"bare_{kind}_calls_s"]
            figures[f"ratio_{kind}"] = ratio
            print(f"  ratio to bare FastAPI ({kind}): {ratio:.2f}")
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
