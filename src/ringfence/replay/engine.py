"""The replay engine: every call of a bundle through the screener, in time order.

A call is an attempt at ``start_time``; its end event arrives at ``start_time + ring_ms +
talk_ms``; a crowd report arrives at ``reported_at``. Events due at the same instant are
applied ends first, then reports, then the attempt (what is known before the call rings).
"""

from __future__ import annotations

import csv
import gc
import heapq
import math
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ringfence.bundle import Bundle, Reject, write_rejects
from ringfence.core.auth import CallerAuthenticator
from ringfence.core.numberplan import NumberPlan
from ringfence.core.policy import Policy
from ringfence.core.screener import Screener
from ringfence.core.types import CallAttempt, Disposition, Ingress
from ringfence.replay.registry_loader import load_registry

VERDICT_COLUMNS = ("call_id", "action", "reasons", "label")
INGRESS = {member.value: member for member in Ingress}
DISPOSITION = {member.value: member for member in Disposition}
Progress = Callable[[int, int], None]


@dataclass
class ReplayResult:
    """What a replay did: counts that reconcile, and how long it took."""

    calls: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    reports: int = 0
    seconds: float = 0.0
    registry: dict[str, int] = field(default_factory=dict)

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0


def replay_bundle(
    bundle_dir: Path,
    out_dir: Path,
    policy: Policy,
    *,
    authenticator: CallerAuthenticator | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Screen every call of the bundle; write verdicts.csv and rejects.csv to ``out_dir``."""
    started = time.perf_counter()
    bundle = Bundle(bundle_dir)
    plan = NumberPlan(policy.country)
    registry, registry_rejects = load_registry(bundle, plan)
    screener = Screener(policy, registry, plan=plan, authenticator=authenticator)
    cdrs = bundle.read("cdrs")
    reports = bundle.read("reports")
    result = ReplayResult(rows_read=cdrs.read, registry=registry.counts())

    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "verdicts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(VERDICT_COLUMNS)
        with _no_cyclic_gc():
            _run(screener, cdrs.table, reports.table, writer, result, progress)
    result.rejects = [*bundle.rejects(), *registry_rejects]
    write_rejects(out_dir / "rejects.csv", result.rejects)
    result.seconds = time.perf_counter() - started
    return result


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for the screening loop.

    The loop allocates millions of small containers that never form cycles (reference
    counting frees them), while the collector would rescan the detectors' growing state over
    and over: about a sixth of the replay's time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run(
    screener: Screener,
    cdrs: pa.Table,
    reports: pa.Table,
    writer: Any,
    result: ReplayResult,
    progress: Progress | None,
) -> None:
    cdrs = cdrs.take(pc.sort_indices(cdrs, sort_keys=[("start_time", "ascending")]))
    total = cdrs.num_rows
    # Columns become plain lists once; times also as epoch floats (no datetime arithmetic).
    epochs = (cdrs.column("start_time").cast(pa.int64()).to_numpy() / 1e6).tolist()
    starts = _datetimes(epochs)
    call_ids, callers, callees = (
        cdrs.column(c).to_pylist() for c in ("call_id", "caller", "callee")
    )
    ingress = [INGRESS[v] for v in cdrs.column("ingress").to_pylist()]
    disposition = [DISPOSITION[v] for v in cdrs.column("disposition").to_pylist()]
    trunk = [v or "" for v in cdrs.column("trunk_id").to_pylist()]
    identity = [v or "" for v in cdrs.column("identity").to_pylist()]
    ring, talk = cdrs.column("ring_ms").to_pylist(), cdrs.column("talk_ms").to_pylist()
    report_rows = _sorted_reports(reports)
    next_report = report_rows[0][0] if report_rows else math.inf
    report_i = 0
    classify = screener.plan.classify
    keys: list[tuple[str, str]] = [("", "")] * total  # (caller, callee) keys, for the end event
    pending: list[tuple[float, int]] = []  # (end epoch, row)
    by_action, by_reason = result.by_action, result.by_reason
    screen, observe_keys, writerow = screener.screen_at, screener.observe_keys, writer.writerow
    # CallAttempt values are built by map (from C, one per row as the loop asks for it)
    attempts = map(CallAttempt, call_ids, callers, callees, starts, ingress, trunk, identity)
    for i, attempt in enumerate(attempts):
        t = epochs[i]
        while pending and pending[0][0] <= t:
            j = heapq.heappop(pending)[1]
            caller_key, callee_key = keys[j]
            observe_keys(
                caller_key,
                callee_key,
                epochs[j],
                ring[j],
                talk[j],
                disposition[j],
                ingress[j],
                trunk[j],
            )
        while next_report <= t:
            _, reporter, number, category, at = report_rows[report_i]
            screener.report(reporter, number, category, at)
            report_i += 1
            result.reports += 1
            next_report = report_rows[report_i][0] if report_i < len(report_rows) else math.inf
        verdict = screen(attempt, t)
        reasons = verdict.reasons
        writerow((verdict.call_id, verdict.action, ";".join(reasons), verdict.label))
        by_action[verdict.action] += 1
        for reason in reasons:
            by_reason[reason] += 1
        keys[i] = (classify(callers[i]).key, classify(callees[i]).key)
        heapq.heappush(pending, (t + (ring[i] + talk[i]) / 1000.0, i))
        if progress is not None and i % 10_000 == 0:
            progress(i, total)
    result.calls = total
    if progress is not None:
        progress(total, total)


def _datetimes(epochs: list[float]) -> list[datetime]:
    """UTC datetimes of epoch seconds (the bundle's times are microseconds in UTC).

    Fourteen times faster than pyarrow's ``to_pylist``, which resolves the time zone again
    for every value; exact, since a double holds an epoch to well under half a microsecond.
    """
    return [datetime.fromtimestamp(epoch, UTC) for epoch in epochs]


def _sorted_reports(reports: pa.Table) -> list[tuple[float, str, str, str, datetime]]:
    if reports.num_rows == 0:
        return []
    rows = reports.to_pylist()
    out = [
        (
            r["reported_at"].timestamp(),
            str(r["reporter"]),
            str(r["number"]),
            str(r["category"]),
            r["reported_at"],
        )
        for r in rows
    ]
    out.sort(key=lambda r: r[0])
    return out
