"""The replay engine: every call of a bundle through the screener, in time order.

A call is an attempt at ``start_time``; its end event arrives at ``start_time + ring_ms +
talk_ms``; a crowd report arrives at ``reported_at``. Events due at the same instant are
applied ends first, then reports, then the attempt (what is known before the call rings).
"""

from __future__ import annotations

import csv
import heapq
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ringfence.bundle import Bundle, Reject, write_rejects
from ringfence.core.auth import CallerAuthenticator
from ringfence.core.numberplan import NumberPlan
from ringfence.core.policy import Policy
from ringfence.core.screener import Screener
from ringfence.core.types import CallAttempt, CallEnd, Disposition, Ingress
from ringfence.replay.registry_loader import load_registry

VERDICT_COLUMNS = ("call_id", "action", "reasons", "label")
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
        _run(screener, cdrs.table, reports.table, writer, result, progress)
    result.rejects = [*bundle.rejects(), *registry_rejects]
    write_rejects(out_dir / "rejects.csv", result.rejects)
    result.seconds = time.perf_counter() - started
    return result


def _run(
    screener: Screener,
    cdrs: pa.Table,
    reports: pa.Table,
    writer: Any,
    result: ReplayResult,
    progress: Progress | None,
) -> None:
    order = pc.sort_indices(cdrs, sort_keys=[("start_time", "ascending")])
    cdrs = cdrs.take(order)
    col = {name: cdrs.column(name).to_pylist() for name in cdrs.column_names}
    identity = col.get("identity") or [""] * cdrs.num_rows
    starts: list[datetime] = col["start_time"]
    report_rows = _sorted_reports(reports)
    report_i = 0
    pending: list[tuple[float, int]] = []  # (end epoch, row)
    total = cdrs.num_rows
    ingress = [Ingress(v) for v in col["ingress"]]
    disposition = [Disposition(v) for v in col["disposition"]]
    trunk = [v or "" for v in col["trunk_id"]]
    ring, talk = col["ring_ms"], col["talk_ms"]
    by_action, by_reason = result.by_action, result.by_reason
    for i in range(total):
        start = starts[i]
        t = start.timestamp()
        while pending and pending[0][0] <= t:
            _, j = heapq.heappop(pending)
            screener.observe(_end(col, j, starts[j], ingress[j], disposition[j], trunk[j]))
        while report_i < len(report_rows) and report_rows[report_i][0] <= t:
            _, reporter, number, category, at = report_rows[report_i]
            screener.report(reporter, number, category, at)
            report_i += 1
            result.reports += 1
        attempt = CallAttempt(
            col["call_id"][i],
            col["caller"][i],
            col["callee"][i],
            start,
            ingress[i],
            trunk[i],
            identity[i] or "",
        )
        verdict = screener.screen(attempt)
        writer.writerow(
            (verdict.call_id, verdict.action.value, verdict.reasons_text(), verdict.label)
        )
        by_action[verdict.action.value] += 1
        for reason in verdict.reasons:
            by_reason[reason.value] += 1
        heapq.heappush(pending, (t + (ring[i] + talk[i]) / 1000.0, i))
        if progress is not None and i % 10_000 == 0:
            progress(i, total)
    result.calls = total
    if progress is not None:
        progress(total, total)


def _end(
    col: dict[str, list[Any]],
    j: int,
    start: datetime,
    ingress: Ingress,
    disposition: Disposition,
    trunk: str,
) -> CallEnd:
    return CallEnd(
        col["call_id"][j],
        col["caller"][j],
        col["callee"][j],
        start,
        col["ring_ms"][j],
        col["talk_ms"][j],
        disposition,
        ingress,
        trunk,
    )


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
