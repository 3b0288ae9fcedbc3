"""Domain types that flow through the screener: attempts, call ends, verdicts.

The per-call values are immutable NamedTuples rather than frozen dataclasses: one is built
for every call on the hot path, and a NamedTuple is built four times faster.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final, NamedTuple

from ringfence.core.reasons import LABELS, PRECEDENCE, REPORT_CATEGORY_LABELS, Reason


class Ingress(StrEnum):
    """Where a call entered the carrier's network."""

    SUBSCRIBER = "subscriber"  # one of the carrier's own subscribers
    ENTERPRISE = "enterprise"  # an enterprise customer's trunk
    INTERCONNECT = "interconnect"  # another domestic carrier
    INTERNATIONAL = "international"  # an international gateway


class Disposition(StrEnum):
    """How a call ended."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    FAILED = "failed"


class Action(StrEnum):
    """What happens to a call."""

    ALLOW = "allow"
    LABEL = "label"
    BLOCK = "block"


ACTION_RANK: Final[dict[Action, int]] = {Action.ALLOW: 0, Action.LABEL: 1, Action.BLOCK: 2}


class CallAttempt(NamedTuple):
    """A call as signalled when it is set up: numbers exactly as received (may be malformed).

    ``time`` is timezone-aware. ``identity`` is the SIP Identity header value, if any.
    """

    call_id: str
    caller: str
    callee: str
    time: datetime
    ingress: Ingress
    trunk_id: str = ""
    identity: str = ""


class CallEnd(NamedTuple):
    """The end of a call: the event the behavioural detectors learn from.

    ``start`` is when the call was attempted; the end happened at ``start + ring_ms + talk_ms``.
    """

    call_id: str
    caller: str
    callee: str
    start: datetime
    ring_ms: int
    talk_ms: int
    disposition: Disposition
    ingress: Ingress = Ingress.SUBSCRIBER
    trunk_id: str = ""


class Finding(NamedTuple):
    """One check's conclusion about an attempt: a reason and the action it asks for."""

    reason: Reason
    action: Action
    detail: str = ""
    #: For REPORTED: the category people reported, which names the label.
    category: str = ""


class Verdict(NamedTuple):
    """The screener's answer for one attempt."""

    call_id: str
    action: Action
    reasons: tuple[Reason, ...]
    label: str = ""
    details: tuple[str, ...] = ()

    def reasons_text(self) -> str:
        """Reasons as the ``;``-separated string of verdicts.csv."""
        return ";".join(self.reasons)


def verdict_from_findings(call_id: str, findings: list[Finding]) -> Verdict:
    """Combine findings into one verdict: the strongest action wins; reasons in precedence order.

    No findings means ALLOWED. The label is the bilingual label of the first reason that
    asks for more than ``allow`` (a REPORTED label names the reported category).
    """
    if not findings:
        return Verdict(call_id, Action.ALLOW, (Reason.ALLOWED,))
    if len(findings) == 1:  # the common case: no ordering, no duplicates to merge
        f = findings[0]
        action = f.action
        label = "" if action is Action.ALLOW else label_text(f.reason, f.category)
        return Verdict(call_id, action, (f.reason,), label, (f.detail,) if f.detail else ())
    ordered = sorted(findings, key=_precedence)
    action = Action.ALLOW
    for f in ordered:
        if f.action is Action.BLOCK:
            action = Action.BLOCK
            break
        if f.action is Action.LABEL:
            action = Action.LABEL
    reasons = tuple(dict.fromkeys([f.reason for f in ordered]))
    label = ""
    if action is not Action.ALLOW:
        head = next(f for f in ordered if f.action is not Action.ALLOW)
        label = label_text(head.reason, head.category)
    details = tuple([f.detail for f in ordered if f.detail])
    return Verdict(call_id, action, reasons, label, details)


def _precedence(finding: Finding) -> int:
    return PRECEDENCE[finding.reason]


def label_text(reason: Reason, category: str = "") -> str:
    """The bilingual label shown to the person called for ``reason``."""
    if reason is Reason.REPORTED and category:
        cat = REPORT_CATEGORY_LABELS.get(category, REPORT_CATEGORY_LABELS["other"])
        return f"被多人标记为{cat.zh} / reported as {cat.en}"
    return _LABEL_TEXTS[reason]


_LABEL_TEXTS: Final[dict[Reason, str]] = {reason: label.text() for reason, label in LABELS.items()}
