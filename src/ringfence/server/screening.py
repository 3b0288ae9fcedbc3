"""The screening service: one :class:`Screener` kept current by the registry's change feed.

    store writes ──> audit log (seq) ──> catch_up() ──> RegistrySnapshot ──> screen()
                                          ▲ after every API write, and every ``poll_s``

A write acknowledged by the API is applied to this process's snapshot before the response
(:meth:`ScreeningService.catch_up` runs in the request), so the very next call it screens
obeys it; other processes sharing the database pick it up within one poll interval. One lock
guards the screener: screening is CPU work of tens of microseconds, and the lock keeps the
feed's writes from interleaving with a check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from ringfence.core.context import CallContext
from ringfence.core.detectors import Flag
from ringfence.core.detectors.reports import ReportsDetector
from ringfence.core.live import LiveState
from ringfence.core.marketing import marketing_checks
from ringfence.core.numberplan import NumberInfo, NumberPlan
from ringfence.core.policy import Policy
from ringfence.core.reasons import Reason
from ringfence.core.screener import Screener
from ringfence.core.types import (
    Action,
    CallAttempt,
    CallEnd,
    Finding,
    Ingress,
    Verdict,
    verdict_from_findings,
)
from ringfence.server.shared_live import ReplicatedLiveState
from ringfence.store import queries
from ringfence.store.errors import UnknownReference
from ringfence.store.feed import (
    Change,
    Effect,
    FeedProbe,
    apply_change,
    changes,
    load_snapshot,
)


@dataclass(frozen=True, slots=True)
class ScrubResult:
    """Whether an enterprise may place a marketing call to ``number`` now, and why not."""

    number: str
    callable: bool
    reasons: tuple[Reason, ...]
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NumberLook:
    """What a handset shows for a number: its label and the live flags behind it."""

    number: str
    label: str
    flags: tuple[Flag, ...]


class ScreeningService:
    """A screener, its registry snapshot and the feed position the snapshot is current to."""

    def __init__(
        self,
        policy: Policy,
        sessions: sessionmaker[Session],
        *,
        live: LiveState | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.sessions = sessions
        self.plan = NumberPlan(policy.country)
        self.clock = clock
        self.lock = threading.RLock()
        self.screener = Screener(policy, plan=self.plan, live=live)
        self._shared: AbstractContextManager[object] = nullcontext()
        if isinstance(live, ReplicatedLiveState):
            self.screener.ledger = live.ledger
            self._shared = _Shared(live)
        self.seq = 0
        #: Called when the feed brings a token revocation (the API's principal cache).
        self.on_revoke: list[Callable[[], None]] = []
        self.reload()
        with self.lock, self._shared:
            pass  # a new process replays the shared windows first

    # -- the feed -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Load a fresh snapshot of the whole registry, and the reports still in their window."""
        with self.sessions() as session:
            snapshot, seq = load_snapshot(session)
        with self.lock:
            self.screener.registry = snapshot
            self.seq = seq
            self._reset_reports()

    def catch_up(self) -> int:
        """Apply every change written since the snapshot's position; returns the new position."""
        with self.sessions() as session:
            pending = changes(session, after=self.seq)
        with self.lock:
            for change in pending:
                if change.seq <= self.seq:
                    continue  # applied by a concurrent catch_up, or in a reloaded snapshot
                self._apply(change)
                self.seq = max(self.seq, change.seq)  # a reload may have gone further
            return self.seq

    def poll(self, probe: FeedProbe) -> int:
        """:meth:`catch_up` when ``probe`` shows writes past the snapshot's position (the
        poller's tick: most ticks find nothing and cost one cheap query)."""
        if probe.latest() > self.seq:
            return self.catch_up()
        return self.seq

    def _apply(self, change: Change) -> None:
        effect = apply_change(self.screener.registry, change)
        if effect is Effect.REVOKED:
            for forget in self.on_revoke:
                forget()
        elif effect is Effect.RELOAD:
            self.reload()
        elif effect is Effect.REPORT:
            r = change.record
            key = r["number"]
            self.screener.live.on_report(r["reporter"], key, r["category"], r["reported_at"])
        elif effect is Effect.REPORTS_CLEARED:
            self._reset_reports()

    def _reset_reports(self) -> None:
        """Rebuild the crowd-report detector from the reports that still count."""
        params = self.policy.detectors.reports
        since = self.clock() - params.window_s
        with self.sessions() as session:
            reports = queries.live_reports(session, since=since)
        live = self.screener.live
        live.reports = ReportsDetector(params)
        for r in reports:
            live.on_report(r.reporter, r.number, r.category, r.reported_at)

    # -- screening ------------------------------------------------------------------------------
    def screen(self, attempts: Sequence[CallAttempt]) -> list[Verdict]:
        """Verdicts for ``attempts``, screened in order (each one counted by the detectors)."""
        screen = self.screener.screen
        with self.lock, self._shared:
            return [screen(a) for a in attempts]

    def observe(self, ends: Sequence[CallEnd]) -> None:
        """Feed call ends to the detectors, in order."""
        observe = self.screener.observe
        with self.lock, self._shared:
            for end in ends:
                observe(end)

    # -- look-ups -------------------------------------------------------------------------------
    def look_up(self, number: NumberInfo, t: float) -> NumberLook:
        """The live flags of ``number`` at ``t`` and the label a handset shows for it."""
        with self.lock, self._shared:
            live = self.screener.live
            flags = list(live.caller_flags(number.key, "", t, Ingress.INTERCONNECT, ""))
            warning = live.callee_warning(number.key, t)
        if warning is not None and not any(f.reason is warning.reason for f in flags):
            flags.append(warning)
        findings = [Finding(f.reason, Action.LABEL, f.detail, f.category) for f in flags]
        sanction = self.screener.registry.sanction("number", number.key, t)
        if sanction is not None:
            detail = f"sanctioned by {sanction.authority}: {sanction.reason}"
            findings.append(Finding(Reason.SANCTIONED, Action.LABEL, detail))
        verdict = verdict_from_findings(number.key, findings)
        return NumberLook(number.key, verdict.label, tuple(flags))

    def scrub(self, enterprise_id: str, numbers: Sequence[str], t: datetime) -> list[ScrubResult]:
        """Whether ``enterprise_id`` may place a marketing call to each number at ``t``.

        The same rules as screening a marketing call (refusal, consent, calling hours in the
        callee's local time, frequency cap) plus a sanction on the enterprise.
        """
        registry = self.screener.registry
        enterprise = registry.enterprises.get(enterprise_id)
        if enterprise is None:
            raise UnknownReference(f"scrub: no enterprise {enterprise_id!r} in the registry")
        ts = t.timestamp()
        sanction = registry.sanction("enterprise", enterprise_id, ts)
        results = []
        with self.lock:
            for raw in numbers:
                info = self.plan.classify(raw)
                findings: list[Finding] = []
                if not info.standard:
                    detail = info.reason or "not a standard number"
                    findings.append(Finding(Reason.INVALID_NUMBER, Action.BLOCK, detail))
                else:
                    attempt = CallAttempt("scrub", "", raw, t, Ingress.ENTERPRISE)
                    ctx = CallContext(attempt, ts, info, info, None, enterprise, None, True)
                    ledger = self.screener.ledger
                    findings.extend(marketing_checks(ctx, registry, ledger, self.policy))
                if sanction is not None:
                    detail = f"{enterprise_id} sanctioned by {sanction.authority}"
                    findings.append(Finding(Reason.SANCTIONED, Action.BLOCK, detail))
                blocking = [f for f in findings if f.action is Action.BLOCK]
                results.append(
                    ScrubResult(
                        info.key,
                        not blocking,
                        tuple(f.reason for f in blocking),
                        tuple(f.detail for f in blocking),
                    )
                )
        return results


class _Shared:
    """Around each use of the windows: first what other processes shared, then ours."""

    def __init__(self, live: ReplicatedLiveState) -> None:
        self.live = live

    def __enter__(self) -> None:
        self.live.sync()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.live.flush()


def now_utc(clock: Callable[[], float]) -> datetime:
    """The clock's time as an aware datetime."""
    return datetime.fromtimestamp(clock(), UTC)
