"""How a verdict is said in SIP: the response code and the headers the switch acts on.

    allow  ──> 302 Moved Temporarily   Contact: <callee>   P-Asserted-Identity: caller;verstat=…
    label  ──> 302 as above, the label as the P-Asserted-Identity display name, Call-Info per
               reason (urn:ringfence:reason:CODE) and a Warning naming the reasons
    block  ──> AUTH_FAILED:  the RFC 8224 code of the failure (403/428/436/437/438)
               AUTH_MISSING: 428 Use Identity Header
               analytics (one-ring, bombing, robocall, reports, reputation):
                             608 Rejected, Call-Info <appeal URL>;purpose=jwscard (RFC 8688)
               rules (invalid/spoofed/unauthorized number, sanctions, marketing rules):
                             603 Decline

``verstat`` (ATIS-1000074 §5.3.1, 3GPP TS 24.229) goes into the user part of the caller's
URI in P-Asserted-Identity, as the terminating network expects it.
"""

from __future__ import annotations

from typing import Final

from ringfence.core.policy import Policy
from ringfence.core.reasons import Reason
from ringfence.core.types import Action, CallAttempt, Verdict
from ringfence.sip.auth import IdentityCheck
from ringfence.sip.message import quote

#: Reasons that come from analytics and behaviour rather than from a rule (RFC 8688's 608).
ANALYTICS_REASONS: Final = frozenset(
    {
        Reason.ONE_RING,
        Reason.CALL_BOMBING,
        Reason.ROBOCALL_PATTERN,
        Reason.REPORTED,
        Reason.REPUTATION,
    }
)
DEFAULT_APPEAL_URL: Final = "https://appeal.ringfence.example/v1/appeal"


class Answer:
    """A final response: status, reason phrase and the header lines beyond the transaction
    ones, rendered (``Name: value`` and CRLF each), ready to go into the response."""

    __slots__ = ("headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: str) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.reason!r}, {self.headers!r})"


def _host(uri: str) -> str:
    """The host part of a sip/sips URI (``""`` for tel and others)."""
    scheme, _, rest = uri.partition(":")
    if scheme.lower() not in ("sip", "sips"):
        return ""
    host = rest.rpartition("@")[2]
    return host.split(";", 1)[0].split("?", 1)[0]


def caller_uri(number: str, host: str, verstat: str) -> str:
    """``sip:NUMBER;verstat=V@HOST;user=phone`` (or a tel URI when there is no host)."""
    user = f"{number};verstat={verstat}" if verstat else number
    return f"sip:{user}@{host};user=phone" if host else f"tel:{user}"


def head_reason(verdict: Verdict, policy: Policy) -> Reason:
    """The reason that names the answer: the first one the policy blocks, else the first."""
    for reason in verdict.reasons:
        if policy.action_for(reason) is Action.BLOCK:
            return reason
    return verdict.reasons[0]


def _warning(verdict: Verdict) -> str:
    return f'Warning: 399 ringfence "{verdict.reasons_text()}"\r\n'


def block_answer(reason: Reason, verdict: Verdict, check: IdentityCheck, appeal_url: str) -> Answer:
    """The rejection for a blocked call whose leading reason is ``reason``."""
    warning = _warning(verdict)
    if reason is Reason.AUTH_FAILED and check.sip_status:
        return Answer(check.sip_status, check.sip_reason, warning)
    if reason is Reason.AUTH_MISSING:
        return Answer(428, "Use Identity Header", warning)
    if reason in ANALYTICS_REASONS:
        info = f"Call-Info: <{appeal_url}>;purpose=jwscard\r\n"
        return Answer(608, "Rejected", info + warning)
    return Answer(603, "Decline", warning)


def redirect_answer(
    attempt: CallAttempt,
    verdict: Verdict,
    check: IdentityCheck,
    request_uri: str,
    identity: str = "",
    contact_host: str = "",
) -> Answer:
    """The 302 for an allowed or labelled call (``identity``: one this server signed).

    The Contact names the callee at ``contact_host`` (default: the Request-URI's host).
    """
    host = contact_host or _host(request_uri)
    contact = f"sip:{attempt.callee}@{host};user=phone" if host else f"tel:{attempt.callee}"
    pai = f"<{caller_uri(attempt.caller, host, check.verstat)}>"
    if verdict.action is Action.LABEL:
        infos = ", ".join(
            f"<urn:ringfence:reason:{r}>;purpose=info" for r in verdict.reasons if r in _LABELS
        )
        pai = f"{quote(verdict.label)} {pai}"
        tail = (f"Call-Info: {infos}\r\n" if infos else "") + _warning(verdict)
    else:
        tail = ""
    if identity:
        tail += f"Identity: {identity}\r\n"
    return Answer(
        302, "Moved Temporarily", f"Contact: <{contact}>\r\nP-Asserted-Identity: {pai}\r\n{tail}"
    )


_LABELS: Final = frozenset(Reason) - {Reason.ALLOWED}


def answer_for(
    attempt: CallAttempt,
    verdict: Verdict,
    check: IdentityCheck,
    *,
    policy: Policy,
    request_uri: str,
    appeal_url: str = DEFAULT_APPEAL_URL,
    identity: str = "",
    contact_host: str = "",
) -> Answer:
    """The final response for a screened INVITE (see the module docstring)."""
    if verdict.action is Action.BLOCK:
        return block_answer(head_reason(verdict, policy), verdict, check, appeal_url)
    return redirect_answer(attempt, verdict, check, request_uri, identity, contact_host)
