"""The ground truth's vocabulary: every kind of call and every role of a calling number.

``KINDS`` is what an evaluator needs to report "stop rate by kind": whether a kind is a
nuisance, the reasons a correct screener gives for it, the action it deserves, and whether it
is *behavioural* (only visible after an online detector has seen some of the campaign's calls,
so a replay cannot stop its first calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ringfence.core.reasons import Reason
from ringfence.core.types import Action


class Role(StrEnum):
    """What a calling number is (``truth_numbers.role``, fixed by DESIGN.md)."""

    LEGIT = "legit"
    MARKETING_CONSENTED = "marketing_consented"
    MARKETING_UNCONSENTED = "marketing_unconsented"
    ROBOCALL = "robocall"
    ONE_RING = "one_ring"
    CALL_BOMBER = "call_bomber"
    SPOOFER = "spoofer"
    FRAUD = "fraud"


@dataclass(frozen=True, slots=True)
class KindInfo:
    """What one ``truth_calls.kind`` means.

    ``reasons`` are the reason codes a correct screener gives for such a call, the most
    specific first; a verdict carrying any of them is right about *why*. ``action`` is the
    least action the call deserves (a nuisance is blocked; a one-ring callback is labelled).
    """

    nuisance: bool
    description: str
    reasons: tuple[Reason, ...]
    behavioural: bool
    action: Action


def _legit(description: str, reasons: tuple[Reason, ...] = (Reason.ALLOWED,)) -> KindInfo:
    return KindInfo(False, description, reasons, behavioural=False, action=Action.ALLOW)


def _rule(description: str, *reasons: Reason) -> KindInfo:
    """A nuisance that a rule catches on the very first call (registry or number plan)."""
    return KindInfo(True, description, reasons, behavioural=False, action=Action.BLOCK)


def _pattern(description: str, *reasons: Reason) -> KindInfo:
    """A nuisance that only its calling pattern (or its reports) gives away."""
    return KindInfo(True, description, reasons, behavioural=True, action=Action.BLOCK)


KINDS: dict[str, KindInfo] = {
    "social": _legit("a contact calling (own subscriber or another domestic carrier's)"),
    "abroad": _legit("a relative or friend calling from abroad through the international gateway"),
    "service": _legit("an enterprise service call (courier, bank 95xxx) from its own numbers"),
    "consented_marketing": _legit(
        "a marketing call with consent, within calling hours, first of the day to that callee"
    ),
    "emergency": _legit("a subscriber calling 110/119/120", (Reason.EMERGENCY_EXEMPT,)),
    "emergency_callback": _legit(
        "an emergency service calling back a subscriber who called it",
        (Reason.EMERGENCY_EXEMPT, Reason.ALLOWED),
    ),
    "one_ring_callback": KindInfo(
        False,
        "a one-ring victim calling the number back (to be warned, not blocked)",
        (Reason.ONE_RING,),
        behavioural=True,
        action=Action.LABEL,
    ),
    "unconsented_marketing": _rule(
        "a marketing trunk calling someone who never consented", Reason.NO_CONSENT
    ),
    "refused_marketing": _rule(
        "a marketing call to someone who refused (this enterprise or all marketing)",
        Reason.REFUSED,
    ),
    "out_of_hours_marketing": _rule(
        "a consented marketing call outside the industry's calling hours",
        Reason.OUTSIDE_CALLING_HOURS,
    ),
    "over_frequency_marketing": _rule(
        "a consented marketing call beyond one per enterprise per callee per day",
        Reason.FREQUENCY_CAP,
    ),
    "sanctioned": _rule(
        "a call from a sanctioned enterprise or number",
        Reason.SANCTIONED,
        Reason.NO_CONSENT,
    ),
    "cli_spoofing": _rule(
        "an enterprise trunk presenting a number outside its blocks (透传/改号)",
        Reason.UNAUTHORIZED_CLI,
    ),
    "fake_plus86": _rule(
        "a call from abroad presenting a +86 number", Reason.SPOOFED_INTL_DOMESTIC_CLI
    ),
    "invalid_number": _rule("a call presenting a non-standard number", Reason.INVALID_NUMBER),
    "one_ring": _pattern(
        "响一声: rings of a few seconds to many callees, several a minute", Reason.ONE_RING
    ),
    "one_ring_slow": _pattern(
        "响一声, low and slow: one short ring every few minutes for hours", Reason.ONE_RING
    ),
    "call_bombing": _pattern(
        "呼死你: one number calling one victim dozens of times", Reason.CALL_BOMBING
    ),
    "call_bombing_rotating": _pattern(
        "呼死你 from many rotating numbers at one victim", Reason.CALL_BOMBING
    ),
    "robocall": _pattern(
        "automated dialling of consecutive numbers, hundreds an hour, short talk",
        Reason.ROBOCALL_PATTERN,
    ),
    "auth_failed": _rule(
        "a call over the interconnect whose Identity header fails verification (a PASSporT "
        "signed for another number, an altered signature, or a stale one replayed)",
        Reason.AUTH_FAILED,
    ),
    "fraud": _pattern(
        "fraudsters calling strangers at volume; victims report them",
        Reason.REPORTED,
        Reason.REPUTATION,
    ),
}
