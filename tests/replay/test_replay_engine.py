"""The replay engine: time order, end events, reports, counts that reconcile."""

from __future__ import annotations

import csv
import heapq
import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.policy import load_policy
from ringfence.replay import replay_bundle
from ringfence.replay.engine import _end_order

CN = load_policy("cn")
CST = timezone(timedelta(hours=8))
NOON = datetime(2019, 3, 1, 12, 0, tzinfo=CST)

Row = dict[str, object]


def cdr(call_id: str, at: datetime, caller: str, callee: str, **extra: object) -> Row:
    """One cdrs row with ordinary defaults (an answered subscriber call)."""
    row: Row = {
        "call_id": call_id,
        "start_time": at,
        "caller": caller,
        "callee": callee,
        "ingress": "subscriber",
        "trunk_id": "",
        "ring_ms": 5_000,
        "talk_ms": 60_000,
        "disposition": "answered",
    }
    row.update(extra)
    return row


def verdicts(out: Path) -> dict[str, dict[str, str]]:
    with (out / "verdicts.csv").open(newline="", encoding="utf-8") as handle:
        return {row["call_id"]: row for row in csv.DictReader(handle)}


def test_every_call_gets_one_verdict_in_the_fixed_columns(
    make_bundle: Callable[..., Path], tmp_path: Path
) -> None:
    rows = [
        cdr(f"c{i}", NOON + timedelta(minutes=i), "+8613800000001", "+8613900000002")
        for i in range(5)
    ]
    out = tmp_path / "out"
    result = replay_bundle(make_bundle(cdrs=rows), out, CN)
    header = (out / "verdicts.csv").read_text("utf-8").splitlines()[0]
    assert header == "call_id,action,reasons,label"
    assert sorted(verdicts(out)) == [f"c{i}" for i in range(5)]
    assert result.calls == 5 and result.by_action["allow"] == 5


def test_end_events_arrive_before_later_attempts(
    make_bundle: Callable[..., Path], tmp_path: Path
) -> None:
    """A one-ring number is blocked once the ends of its first short rings have arrived."""
    wangiri = "+8617099990001"
    rows = [
        cdr(
            f"w{i}",
            NOON + timedelta(seconds=20 * i),
            wangiri,
            f"+86138001{i:05d}",
            ingress="interconnect",
            ring_ms=1_500,
            talk_ms=0,
            disposition="cancelled",
        )
        for i in range(8)
    ]
    # written out of time order: the engine sorts by start_time
    result = replay_bundle(make_bundle(cdrs=rows[::-1]), tmp_path / "out", CN)
    got = verdicts(tmp_path / "out")
    assert got["w0"]["action"] == "allow"
    assert got["w7"]["action"] == "block"
    assert "ONE_RING" in got["w7"]["reasons"].split(";")
    assert result.by_reason["ONE_RING"] >= 1


def test_reports_apply_from_their_time(make_bundle: Callable[..., Path], tmp_path: Path) -> None:
    number = "+8617122223333"
    rows = [
        cdr("before", NOON, number, "+8613900000001"),
        cdr("after", NOON + timedelta(hours=2), number, "+8613900000002"),
    ]
    reports = [
        {
            "reporter": f"r{i}",
            "number": number,
            "category": "fraud",
            "reported_at": NOON + timedelta(hours=1),
        }
        for i in range(3)
    ]
    result = replay_bundle(make_bundle(cdrs=rows, reports=reports), tmp_path / "out", CN)
    got = verdicts(tmp_path / "out")
    assert got["before"]["action"] == "allow"
    assert got["after"]["action"] == "block"
    assert got["after"]["reasons"] == "REPORTED"
    assert result.reports == 3


def test_malformed_rows_are_rejected_and_counts_reconcile(
    make_bundle: Callable[..., Path], tmp_path: Path
) -> None:
    bundle = make_bundle(cdrs=[cdr("ok", NOON, "+8613800000001", "+8613900000002")])
    with (bundle / "cdrs.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            "bad1,2019-03-01 12:00,+8613800000001,+8613900000002,subscriber,,1,0,cancelled,\n"
        )
        handle.write("bad2,2019-03-01T12:00:00+08:00,+86138,+86139,teleport,,1,0,cancelled,\n")
    consents = [{"enterprise_id": "e1", "number": "12", "granted_at": NOON, "channel": "web"}]
    bundle_with_consent = bundle
    from ringfence.bundle import write_bundle

    write_bundle(bundle_with_consent, {"consents": consents})
    out = tmp_path / "out"
    result = replay_bundle(bundle_with_consent, out, CN)
    assert result.rows_read == 3
    assert result.calls == 1
    rejected = {(r.table, r.line) for r in result.rejects}
    assert rejected == {("cdrs", 3), ("cdrs", 4), ("consents", 2)}
    assert result.rows_read == result.calls + sum(r.table == "cdrs" for r in result.rejects)
    lines = (out / "rejects.csv").read_text("utf-8").splitlines()
    assert lines[0] == "table,line,reason,row" and len(lines) == 4
    assert any("teleport" in line for line in lines)


def test_replay_is_deterministic(make_bundle: Callable[..., Path], tmp_path: Path) -> None:
    rows = [
        cdr(
            f"c{i}",
            NOON + timedelta(seconds=7 * i),
            f"+86170999900{i % 3:02d}",
            f"+86138001{i:05d}",
            ingress="interconnect",
            ring_ms=1_000,
            talk_ms=0,
            disposition="cancelled",
        )
        for i in range(40)
    ]
    bundle = make_bundle(cdrs=rows)
    replay_bundle(bundle, tmp_path / "a", CN)
    replay_bundle(bundle, tmp_path / "b", CN)
    assert (tmp_path / "a/verdicts.csv").read_bytes() == (tmp_path / "b/verdicts.csv").read_bytes()


def _ends_by_heap(starts: list[float], durations_ms: list[int]) -> list[tuple[int, int]]:
    """(end row, before call) in the order a heap of (end, row) pushed after each screening
    delivers them: the engine's earlier scheduling, kept here as the reference."""
    pending: list[tuple[float, int]] = []
    delivered = []
    for i, t in enumerate(starts):
        while pending and pending[0][0] <= t:
            delivered.append((heapq.heappop(pending)[1], i))
        heapq.heappush(pending, (t + durations_ms[i] / 1000.0, i))
    return delivered


def _ends_by_order(starts: list[float], durations_ms: list[int]) -> list[tuple[int, int]]:
    """The same, the way the engine schedules ends now (a sorted list and a cursor)."""
    rows, times = _end_order(
        np.array(starts, dtype=np.float64),
        np.array(durations_ms, dtype=np.int64),
        np.zeros(len(starts), dtype=np.int64),
    )
    delivered, e = [], 0
    for i, t in enumerate(starts):
        while times[e] <= t and rows[e] < i:
            delivered.append((rows[e], i))
            e += 1
    return delivered


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.sampled_from([0, 0, 1, 500, 1_000, 2_500, 60_000])),
        max_size=60,
    )
)
def test_ends_are_delivered_as_a_heap_would_deliver_them(calls: list[tuple[int, int]]) -> None:
    """Ends sorted once up front reach the screener in the order, and before the attempts,
    that a heap filled call by call gives: ties by start order, a 0 ms call's end after
    its own attempt (even with other calls at the same instant), each end exactly once."""
    calls.sort(key=lambda c: c[0])  # the engine screens in start order
    starts = [1_551_412_800.0 + s * 0.5 for s, _ in calls]
    durations = [d for _, d in calls]
    assert _ends_by_order(starts, durations) == _ends_by_heap(starts, durations)


def test_end_order_ends_with_a_sentinel() -> None:
    rows, times = _end_order(
        np.array([10.0, 10.0, 11.0]), np.array([2_000, 0, 0]), np.array([0, 500, 0])
    )
    assert rows == [1, 2, 0, 3]
    assert times == [10.5, 11.0, 12.0, math.inf]
