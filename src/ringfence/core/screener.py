"""The Screener: runs the checks on every attempt and feeds the detectors with every call end.

    attempt ──> context (numbers classified, registry facts) ──> checks in order ──> Verdict
    call end ──> live state (one-ring, bombing, robocall windows, relationships)
    report   ──> live state (distinct reporters per number)

It is pure: the caller passes events in time order and gets values back.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Final

from ringfence.core.auth import MISSING, NOT_CHECKED, AuthOutcome, CallerAuthenticator
from ringfence.core.checks import (
    authentication_findings,
    behaviour,
    emergency_exemption,
    non_standard_caller,
    reputation,
    sanctioned,
    spoofed_international,
    unauthorized_cli,
)
from ringfence.core.context import CallContext
from ringfence.core.live import LiveState
from ringfence.core.marketing import MarketingLedger, marketing_checks
from ringfence.core.numberplan import NumberPlan, Validity
from ringfence.core.policy import Policy
from ringfence.core.reasons import Reason
from ringfence.core.registry import HolderType, Purpose, RegistrySnapshot
from ringfence.core.types import (
    Action,
    CallAttempt,
    CallEnd,
    Disposition,
    Finding,
    Ingress,
    Verdict,
    verdict_from_findings,
)

# Final: compiled, a module constant becomes a C static (otherwise every use on the hot path
# is a look-up in the module's dict).
_VALID: Final = Validity.VALID
_INTERNATIONAL: Final = Ingress.INTERNATIONAL
_ENTERPRISE: Final = Ingress.ENTERPRISE
_BLOCK: Final = Action.BLOCK
_ALLOW: Final = Action.ALLOW
_ENTERPRISE_HOLDER: Final = HolderType.ENTERPRISE
_MARKETING: Final = Purpose.MARKETING
_ALLOWED: Final = (Reason.ALLOWED,)  # the reasons of every ordinary call (one shared tuple)
_new_tuple: Final = tuple.__new__
_VERDICT: Final = Verdict

#: Every so many screened calls, the eviction of idle detector state goes on for one more
#: slice of each structure: EVICT_BUDGET keys, or 1/PASS_SLICES of a larger structure (so a
#: pass over it takes at most 200,000 calls). Steps small enough for the call path (some
#: 0.3 ms at 6 x 10^5 keys, where a whole sweep at once paused a screener for some 30 ms per
#: 200,000 keys), few enough that a step's fixed cost stays small (some 5 us: a call into
#: each of fifteen structures; every 10 calls, that was 3 % of a replay's time).
EVICT_EVERY: Final = 100
EVICT_BUDGET: Final = 100


class Screener:
    """Screens attempts against one policy, a registry snapshot and the live detectors."""

    def __init__(
        self,
        policy: Policy,
        registry: RegistrySnapshot | None = None,
        *,
        plan: NumberPlan | None = None,
        authenticator: CallerAuthenticator | None = None,
        live: LiveState | None = None,
    ) -> None:
        self.policy = policy
        self.registry = registry if registry is not None else RegistrySnapshot()
        self.plan = plan if plan is not None else NumberPlan(policy.country)
        self.authenticator = authenticator
        self.live = live if live is not None else LiveState(policy.detectors)
        self.ledger = MarketingLedger()
        self.counts: Counter[str] = Counter()
        self._since_evict = 0

    # -- events -------------------------------------------------------------------------
    def screen(self, attempt: CallAttempt) -> Verdict:
        """Decide what happens to ``attempt``; the attempt is also counted by the detectors."""
        return self.screen_at(attempt, attempt.time.timestamp())

    def screen_at(
        self, attempt: CallAttempt, t: float, outcome: AuthOutcome | None = None
    ) -> Verdict:
        """:meth:`screen` for a caller that already has the attempt's time as epoch seconds.

        ``outcome``: the attempt's Identity header already verified (by the authenticator, or
        MISSING for an attempt without one); None asks the screener's authenticator.
        """
        return self.screen_context(self.context(attempt, t), outcome)

    def screen_context(self, ctx: CallContext, outcome: AuthOutcome | None = None) -> Verdict:
        """:meth:`screen_at` for a caller that built the attempt's context (:meth:`context`)
        and wants it afterwards (the numbers' keys, say)."""
        verdict = self._decide(ctx, outcome)
        action = verdict.action
        attempt = ctx.attempt
        self.live.on_attempt(
            ctx.caller.key, ctx.callee.key, ctx.t, attempt.ingress, attempt.trunk_id
        )
        if ctx.marketing and ctx.enterprise is not None and action is not _BLOCK:
            day = self.ledger.local_time(ctx, self.policy).toordinal()
            self.ledger.record(ctx.enterprise.enterprise_id, ctx.callee.key, day)
        self.counts[action] += 1
        self._since_evict += 1
        if self._since_evict >= EVICT_EVERY:
            self._since_evict = 0
            self.live.evict(ctx.t, EVICT_BUDGET)
        return verdict

    def observe(self, end: CallEnd) -> None:
        """Learn from a call that ended (detectors and relationships)."""
        classify = self.plan.classify
        self.observe_keys(
            classify(end.caller).key,
            classify(end.callee).key,
            end.start.timestamp(),
            end.ring_ms,
            end.talk_ms,
            end.disposition,
            end.ingress,
            end.trunk_id,
        )

    def observe_keys(
        self,
        caller: str,
        callee: str,
        start: float,
        ring_ms: int,
        talk_ms: int,
        disposition: Disposition,
        ingress: Ingress,
        trunk_id: str,
    ) -> None:
        """:meth:`observe` for a caller that already has the numbers' keys and epoch seconds."""
        self.live.on_end(caller, callee, start, ring_ms, talk_ms, disposition, ingress, trunk_id)

    def report(self, reporter: str, number: str, category: str, at: datetime) -> None:
        """A person reported ``number`` as ``category`` (a crowd report)."""
        key = self.plan.classify(number).key
        self.live.on_report(reporter, key, category, at.timestamp())

    # -- the pipeline -------------------------------------------------------------------
    def context(self, attempt: CallAttempt, t: float) -> CallContext:
        """Classify the numbers and look up the registry facts the checks need (``t``: epoch)."""
        registry = self.registry
        classify = self.plan.classify
        caller = classify(attempt.caller)
        callee = classify(attempt.callee)
        trunk_id = attempt.trunk_id
        trunk = registry.trunks.get(trunk_id) if trunk_id else None
        block = None
        if caller.validity is _VALID:
            held = registry.blocks.holding(caller.key)  # registry.block_of, one call fewer
            if held:
                block = held[0]
        enterprise = None
        if trunk is not None:
            enterprise = registry.enterprises.get(trunk.enterprise_id)
        elif block is not None and block.holder_type is _ENTERPRISE_HOLDER:
            enterprise = registry.enterprises.get(block.holder_id)
        marketing = (trunk is not None and trunk.marketing) or (
            block is not None and block.purpose is _MARKETING
        )
        return CallContext(attempt, t, caller, callee, trunk, enterprise, block, marketing)

    def _decide(self, ctx: CallContext, outcome: AuthOutcome | None = None) -> Verdict:
        """Run the checks in their fixed order and combine what they find.

        Hot path: each check is called only when a cheap test shows it could find something
        (the check itself re-tests the same condition first), so an ordinary call costs a few
        comparisons, the behaviour check, and one shared ALLOWED verdict.
        """
        attempt = ctx.attempt
        call_id = attempt.call_id
        caller, callee = ctx.caller, ctx.callee
        if callee.emergency or caller.emergency:
            exempt = emergency_exemption(ctx, self.policy)
            if exempt is not None:
                return Verdict(call_id, _ALLOW, (Reason.EMERGENCY_EXEMPT,), "", (exempt.detail,))
        registry, policy = self.registry, self.policy
        live = self.live  # the checks are called with their arguments spelled out: compiled,
        # that is a direct call, where f(*args) looks the function up and unpacks a tuple
        findings: list[Finding] = []
        if caller.validity is not _VALID:
            findings.extend(non_standard_caller(ctx, registry, live, policy))
        ingress = attempt.ingress
        if ingress is _INTERNATIONAL:
            findings.extend(spoofed_international(ctx, registry, live, policy))
        elif ingress is _ENTERPRISE:
            findings.extend(unauthorized_cli(ctx, registry, live, policy))
        if outcome is None and (
            self.authenticator is not None
            # without a verifier only a missing header on a required interface is a finding
            or (not attempt.identity and ingress in policy.identity_required_on)
        ):
            outcome = self._authenticate(attempt)
        if outcome is not None:
            findings.extend(authentication_findings(outcome, ctx, policy))
        enterprise = ctx.enterprise
        sanctioned_ids = registry.sanctioned_ids
        if caller.key in sanctioned_ids or (
            enterprise is not None and enterprise.enterprise_id in sanctioned_ids
        ):
            findings.extend(sanctioned(ctx, registry, live, policy))
        if ctx.marketing and enterprise is not None:
            findings.extend(marketing_checks(ctx, registry, self.ledger, policy))
        findings.extend(behaviour(ctx, registry, live, policy))
        if caller.key in registry.reputation:
            findings.extend(reputation(ctx, registry, live, policy))
        if not findings:
            # tuple.__new__ builds it from C: a NamedTuple's own __new__ is Python code
            return _new_tuple(_VERDICT, (call_id, _ALLOW, _ALLOWED, "", ()))
        return verdict_from_findings(call_id, findings)

    def _authenticate(self, attempt: CallAttempt) -> AuthOutcome:
        if self.authenticator is not None:
            return self.authenticator.verify(attempt)
        # Without a verifier only the absence of an Identity header can be judged.
        return NOT_CHECKED if attempt.identity else MISSING

    def stats(self) -> dict[str, int]:
        """Sizes of the screener's state (for memory accounting and metrics)."""
        return {**self.live.stats(), "marketing_ledger": len(self.ledger), **self.counts}
