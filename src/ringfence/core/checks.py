"""The screening checks: each a small function of (context, registry, live state, policy).

Each check returns the findings it makes (often none). The :class:`Screener` runs them in the
order of :data:`PIPELINE`; the marketing checks live in :mod:`ringfence.core.marketing`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from ringfence.core.auth import AuthOutcome, AuthStatus
from ringfence.core.context import CallContext
from ringfence.core.live import MASS_CALLING, VICTIM_PROTECTION, LiveState
from ringfence.core.policy import Policy
from ringfence.core.reasons import Reason
from ringfence.core.registry import RegistrySnapshot
from ringfence.core.types import Action, Finding, Ingress

Check = Callable[[CallContext, RegistrySnapshot, LiveState, Policy], Sequence[Finding]]
NONE: Final[tuple[Finding, ...]] = ()
#: Flags that do not apply to a registered enterprise's lines: the registry governs them
#: (consent, hours, caps), and a courier calling a protected victim is not a bomber.
NOT_FOR_ENTERPRISES: Final = frozenset({MASS_CALLING, VICTIM_PROTECTION})


def emergency_exemption(ctx: CallContext, policy: Policy) -> Finding | None:
    """Calls to emergency numbers, and callbacks from them, are never blocked.

    A callback must come from inside the country: an "emergency number" arriving through the
    international gateway is a spoof (police impersonation is a classic fraud script).
    """
    if ctx.callee.emergency:
        return Finding(
            Reason.EMERGENCY_EXEMPT, Action.ALLOW, f"call to emergency number {ctx.callee.key}"
        )
    if ctx.caller.emergency and ctx.attempt.ingress is not Ingress.INTERNATIONAL:
        return Finding(Reason.EMERGENCY_EXEMPT, Action.ALLOW, f"callback from {ctx.caller.key}")
    return None


def non_standard_caller(
    ctx: CallContext, registry: RegistrySnapshot, live: LiveState, policy: Policy
) -> Sequence[Finding]:
    """Plan measure 9: a caller number that is not a standard number of any plan."""
    if ctx.caller.standard:
        return NONE
    reason = ctx.caller.reason or "not a valid number"
    detail = f"caller {ctx.attempt.caller!r}: {reason}"
    return (Finding(Reason.INVALID_NUMBER, policy.action_for(Reason.INVALID_NUMBER), detail),)


def spoofed_international(
    ctx: CallContext, registry: RegistrySnapshot, live: LiveState, policy: Policy
) -> Sequence[Finding]:
    """Plan measure 8: a call from the international gateway presenting a domestic number."""
    if ctx.attempt.ingress is not Ingress.INTERNATIONAL or not ctx.caller.domestic:
        return NONE
    detail = f"domestic number {ctx.caller.key} presented on an international gateway"
    action = policy.action_for(Reason.SPOOFED_INTL_DOMESTIC_CLI)
    return (Finding(Reason.SPOOFED_INTL_DOMESTIC_CLI, action, detail),)


def unauthorized_cli(
    ctx: CallContext, registry: RegistrySnapshot, live: LiveState, policy: Policy
) -> Sequence[Finding]:
    """Plan measure 7: an enterprise trunk may only present numbers its enterprise holds."""
    if ctx.attempt.ingress is not Ingress.ENTERPRISE:
        return NONE
    action = policy.action_for(Reason.UNAUTHORIZED_CLI)
    trunk = ctx.trunk
    if trunk is None:
        detail = f"unknown enterprise trunk {ctx.attempt.trunk_id!r}"
        return (Finding(Reason.UNAUTHORIZED_CLI, action, detail),)
    if registry.enterprise_holds(trunk.enterprise_id, ctx.caller.key):
        return NONE
    detail = f"trunk {trunk.trunk_id} presented {ctx.caller.key}, not held by {trunk.enterprise_id}"
    return (Finding(Reason.UNAUTHORIZED_CLI, action, detail),)


def authentication_findings(
    outcome: AuthOutcome, ctx: CallContext, policy: Policy
) -> Sequence[Finding]:
    """Plan measures 6–7: a failed verification is intercepted; a missing one per policy."""
    status = outcome.status
    if status is AuthStatus.FAILED:
        detail = f"Identity verification failed: {outcome.error} {outcome.detail}".strip()
        return (Finding(Reason.AUTH_FAILED, policy.action_for(Reason.AUTH_FAILED), detail),)
    if status is AuthStatus.MISSING and ctx.attempt.ingress in policy.identity_required_on:
        detail = f"no Identity header on {ctx.attempt.ingress.value} interface"
        return (Finding(Reason.AUTH_MISSING, policy.action_for(Reason.AUTH_MISSING), detail),)
    if status is AuthStatus.PASSED and outcome.attest == "C":
        detail = "attestation C: the signer does not vouch for the number"
        return (Finding(Reason.AUTH_MISSING, policy.attest_c_action, detail),)
    return NONE


def sanctioned(
    ctx: CallContext, registry: RegistrySnapshot, live: LiveState, policy: Policy
) -> Sequence[Finding]:
    """Plan measure 12: calls by a sanctioned enterprise, or from a sanctioned number."""
    found = registry.sanction("number", ctx.caller.key, ctx.t)
    if found is None and ctx.enterprise is not None:
        found = registry.sanction("enterprise", ctx.enterprise.enterprise_id, ctx.t)
    if found is None:
        return NONE
    detail = (
        f"{found.subject_type} {found.subject_id} sanctioned by {found.authority}: {found.reason}"
    )
    return (Finding(Reason.SANCTIONED, policy.action_for(Reason.SANCTIONED), detail),)


def behaviour(
    ctx: CallContext, registry: RegistrySnapshot, live: LiveState, policy: Policy
) -> Sequence[Finding]:
    """Plan measures 5, 9, 10: what the online detectors and crowd reports say of this call."""
    a = ctx.attempt
    flags = live.caller_flags(ctx.caller.key, ctx.callee.key, ctx.t, a.ingress, a.trunk_id)
    warning = live.callee_warning(ctx.callee.key, ctx.t)
    if not flags and warning is None:
        return NONE
    findings = []
    registered = ctx.enterprise is not None
    for flag in flags:
        if registered and flag.category in NOT_FOR_ENTERPRISES:
            continue
        action = policy.action_for(flag.reason)
        if flag.severe:
            action = Action.BLOCK
        findings.append(Finding(flag.reason, action, flag.detail, flag.category))
    if warning is not None:
        # The subscriber is calling back a one-ring number: warn, never block their own call.
        findings.append(Finding(warning.reason, Action.LABEL, f"callback: {warning.detail}"))
    return findings


def reputation(
    ctx: CallContext, registry: RegistrySnapshot, live: LiveState, policy: Policy
) -> Sequence[Finding]:
    """A score published by the analytics (``ringfence analyze --publish``)."""
    entry = registry.reputation.get(ctx.caller.key)
    if entry is None or entry[0] < policy.reputation_label_at:
        return NONE
    score, reasons = entry
    action = (
        Action.BLOCK
        if score >= policy.reputation_block_at
        else policy.action_for(Reason.REPUTATION)
    )
    detail = f"analytics score {score:.2f}" + (f" ({reasons})" if reasons else "")
    return (Finding(Reason.REPUTATION, action, detail),)
