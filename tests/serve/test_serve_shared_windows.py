"""Two ``serve`` processes sharing one Redis, fed alternate calls, give the verdicts of one
process fed every call: the detectors' windows and the frequency cap are shared."""

from __future__ import annotations

import time as clock
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.seeding import put_marketing_enterprise
from tests.serve.conftest import Server, token
from tests.services import redis_url, unique_key

from ringfence.store import records
from ringfence.store.db import make_engine, migrate, session_factory, transaction

CST = timezone(timedelta(hours=8))
T0 = datetime(2030, 3, 1, 10, 0, tzinfo=CST)
VICTIM, FRIEND, BOMBER, STRANGER = (
    "+8613800000001",
    "+8613800000002",
    "+8617100000003",
    "+8613800000004",
)
RINGER = "+8617000000009"
CUSTOMER = "+8613800000005"  # consented to E1's marketing
E1_NUMBER = "+862155550001"

Call = dict[str, Any]


def _call(at: float, caller: str, callee: str, ring_s: float, talk_s: float, **kw: Any) -> Call:
    return {
        "start": T0 + timedelta(seconds=at),
        "caller": caller,
        "callee": callee,
        "ring_ms": int(ring_s * 1000),
        "talk_ms": int(talk_s * 1000),
        "disposition": "answered" if talk_s else "cancelled",
        "ingress": kw.get("ingress", "subscriber"),
        "trunk_id": kw.get("trunk_id", ""),
    }


def bundle() -> list[Call]:
    """A small day: a friendship, a call-bombing attack, a one-ring sweep, marketing calls."""
    calls = [_call(0, VICTIM, FRIEND, 5, 120), _call(200, FRIEND, VICTIM, 4, 60)]
    calls += [_call(600 + 25 * i, BOMBER, VICTIM, 2, 0) for i in range(24)]
    calls += [_call(900, FRIEND, VICTIM, 3, 30), _call(905, STRANGER, VICTIM, 3, 0)]
    calls += [
        _call(1000 + 40 * i, RINGER, f"+86139000001{i:02d}", 1.5, 0, ingress="interconnect")
        for i in range(10)
    ]
    calls += [_call(1500, "+8613900000150", RINGER, 3, 10)]  # a call back to the ringer
    calls += [
        _call(1600 + 300 * i, E1_NUMBER, CUSTOMER, 5, 60, ingress="enterprise", trunk_id="T1")
        for i in range(3)
    ]
    calls += [
        _call(2000 + 7 * i, f"+86138000010{i:02d}", f"+86139000010{i:02d}", 4, 90)
        for i in range(10)
    ]
    return calls


def events(calls: list[Call]) -> list[tuple[datetime, int, str, dict[str, Any]]]:
    """Attempts at their start, ends at start + ring + talk, in time order, with call index."""
    out = []
    for i, c in enumerate(calls):
        attempt = {
            "call_id": f"c{i}",
            "caller": c["caller"],
            "callee": c["callee"],
            "ingress": c["ingress"],
            "trunk_id": c["trunk_id"],
            "time": c["start"].isoformat(),
        }
        end = {
            "call_id": f"c{i}",
            "start_time": c["start"].isoformat(),
            **{k: c[k] for k in ("caller", "callee", "ingress", "trunk_id", "ring_ms", "talk_ms")},
            "disposition": c["disposition"],
        }
        ended = c["start"] + timedelta(milliseconds=c["ring_ms"] + c["talk_ms"])
        out += [(c["start"], i, "/v1/screen", attempt), (ended, i, "/v1/events", end)]
    out.sort(key=lambda e: (e[0], e[2] == "/v1/screen", e[1]))
    return out


def feed(servers: list[Server], carrier: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Send every event, call ``i`` to server ``i % len(servers)``; the verdicts by call."""
    verdicts = {}
    for _t, i, path, body in events(bundle()):
        answer = servers[i % len(servers)].post(path, carrier, body)
        assert answer.status_code < 300, answer.text
        if path == "/v1/screen":
            v = answer.json()
            verdicts[v["call_id"]] = (v["action"], tuple(v["reasons"]))
    return verdicts


def _seed(db: str) -> None:
    engine = make_engine(db)
    migrate(engine)
    at = clock.time()
    with transaction(session_factory(engine)) as s:
        put_marketing_enterprise(s, actor="t", at=at)
        records.add_consent(
            s,
            actor="t",
            at=at,
            enterprise_id="E1",
            number=CUSTOMER,
            granted_at=(T0 - timedelta(days=10)).timestamp(),
            channel="web",
            evidence_sha256="e" * 64,
        )
    engine.dispose()


def test_two_processes_sharing_redis_answer_as_one(servers: list[Server], tmp_path: Path) -> None:
    url = redis_url()
    key = unique_key("ringfence:test:live")
    db = f"sqlite:///{tmp_path / 'registry.db'}"
    _seed(db)
    carrier = token(db, "carrier")
    single = Server(["--db", db], tmp_path / "single.log")
    shared = [
        Server(["--db", db, "--redis", url, "--redis-key", key], tmp_path / f"shared{n}.log")
        for n in range(2)
    ]
    servers += [single, *shared]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(Server.start, servers))
    try:
        alone = feed([single], carrier)
        together = feed(shared, carrier)
    finally:
        import redis

        redis.Redis.from_url(url).delete(key)
    assert together == alone
    reasons = {r for _action, rs in alone.values() for r in rs}
    assert {"CALL_BOMBING", "ONE_RING", "FREQUENCY_CAP"} <= reasons, reasons
    # the friend still gets through to the victim under attack; the stranger does not
    by_caller = {
        c["caller"]: i for i, c in enumerate(bundle()) if c["start"] == T0 + timedelta(seconds=900)
    }
    assert alone[f"c{by_caller[FRIEND]}"][0] == "allow"
