"""Marketing calls: consent, refusals, calling hours and frequency caps (plan measures 2–4, 11).

A call is a marketing call when it comes from a marketing trunk or presents a number from a
marketing-purpose block. The counters of the frequency cap are the only state here; they are
kept per (enterprise, callee, callee-local day) and forgotten once the day is over.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from mypy_extensions import mypyc_attr

from ringfence.core.context import CallContext
from ringfence.core.policy import Policy
from ringfence.core.reasons import Reason
from ringfence.core.registry import RegistrySnapshot
from ringfence.core.types import Finding

NONE: Final[tuple[Finding, ...]] = ()


@mypyc_attr(allow_interpreted_subclasses=True)  # shared_live replicates it
class MarketingLedger:
    """Counts the marketing calls each enterprise put through to each callee per local day."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        self._zones: dict[str, ZoneInfo] = {}
        self._latest_day = 0

    def zone(self, name: str, default: ZoneInfo) -> ZoneInfo:
        """The ZoneInfo for an IANA name (cached), or ``default`` when the name is empty."""
        if not name:
            return default
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = ZoneInfo(name)
        return zone

    def local_time(self, ctx: CallContext, policy: Policy) -> datetime:
        """The attempt's time in the callee's local time zone."""
        return ctx.attempt.time.astimezone(
            self.zone(ctx.callee.time_zone, policy.default_time_zone)
        )

    def count(self, enterprise_id: str, callee: str, day: int) -> int:
        return self._counts.get((enterprise_id, callee, day), 0)

    def record(self, enterprise_id: str, callee: str, day: int) -> None:
        """Count one call put through; days more than one behind the latest are dropped."""
        key = (enterprise_id, callee, day)
        self._counts[key] = self._counts.get(key, 0) + 1
        if day > self._latest_day:
            self._latest_day = day
            self._counts = {k: v for k, v in self._counts.items() if k[2] >= day - 1}

    def __len__(self) -> int:
        return len(self._counts)


def marketing_checks(
    ctx: CallContext, registry: RegistrySnapshot, ledger: MarketingLedger, policy: Policy
) -> Sequence[Finding]:
    """Consent (2), refusal (4), hours (3), cap (3) for a marketing call; nothing otherwise."""
    if not ctx.marketing or ctx.enterprise is None:
        return NONE
    enterprise = ctx.enterprise
    rules = policy.marketing_rules(enterprise.industry)
    callee = ctx.callee.key
    findings: list[Finding] = []
    consent = registry.consent_at(enterprise.enterprise_id, callee, ctx.t)
    refusal = registry.refusal_at(enterprise.enterprise_id, callee, ctx.t)
    if refusal is not None and (consent is None or refusal >= consent):
        stamp = datetime.fromtimestamp(refusal, policy.default_time_zone).isoformat()
        detail = f"{callee} refused marketing by {enterprise.enterprise_id} at {stamp}"
        findings.append(Finding(Reason.REFUSED, policy.action_for(Reason.REFUSED), detail))
    if consent is None and rules.consent_required:
        detail = f"no consent record of {callee} for {enterprise.enterprise_id}"
        findings.append(Finding(Reason.NO_CONSENT, policy.action_for(Reason.NO_CONSENT), detail))
    local = ledger.local_time(ctx, policy)
    if not rules.within_hours(local.hour * 60 + local.minute):
        detail = (
            f"{local:%H:%M} callee local time; {enterprise.industry} may call {rules.hours_text()}"
        )
        action = policy.action_for(Reason.OUTSIDE_CALLING_HOURS)
        findings.append(Finding(Reason.OUTSIDE_CALLING_HOURS, action, detail))
    day = local.toordinal()
    calls = ledger.count(enterprise.enterprise_id, callee, day)
    if calls >= rules.max_calls_per_callee_per_day:
        detail = (
            f"{enterprise.enterprise_id} already called {callee} {calls} time(s) today "
            f"(cap {rules.max_calls_per_callee_per_day})"
        )
        findings.append(
            Finding(Reason.FREQUENCY_CAP, policy.action_for(Reason.FREQUENCY_CAP), detail)
        )
    return findings
