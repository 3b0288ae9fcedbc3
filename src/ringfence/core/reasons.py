"""Reason codes: stable strings carried by every verdict, with labels for the person called.

The codes are a fixed interface (DESIGN.md): outside tools match on them. Never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Why a call got its verdict. Ordered by precedence: the first reason names the label."""

    EMERGENCY_EXEMPT = "EMERGENCY_EXEMPT"
    INVALID_NUMBER = "INVALID_NUMBER"
    SPOOFED_INTL_DOMESTIC_CLI = "SPOOFED_INTL_DOMESTIC_CLI"
    UNAUTHORIZED_CLI = "UNAUTHORIZED_CLI"
    AUTH_FAILED = "AUTH_FAILED"
    AUTH_MISSING = "AUTH_MISSING"
    SANCTIONED = "SANCTIONED"
    NO_CONSENT = "NO_CONSENT"
    REFUSED = "REFUSED"
    OUTSIDE_CALLING_HOURS = "OUTSIDE_CALLING_HOURS"
    FREQUENCY_CAP = "FREQUENCY_CAP"
    ONE_RING = "ONE_RING"
    CALL_BOMBING = "CALL_BOMBING"
    ROBOCALL_PATTERN = "ROBOCALL_PATTERN"
    REPORTED = "REPORTED"
    REPUTATION = "REPUTATION"
    ALLOWED = "ALLOWED"


@dataclass(frozen=True, slots=True)
class ReasonLabel:
    """What the person called sees for a reason, in Chinese and in English."""

    zh: str
    en: str

    def text(self) -> str:
        """The bilingual label, Chinese first: ``「响一声」诈骗风险 / one-ring scam risk``."""
        return f"{self.zh} / {self.en}"


LABELS: dict[Reason, ReasonLabel] = {
    Reason.EMERGENCY_EXEMPT: ReasonLabel("紧急呼叫", "emergency call"),
    Reason.INVALID_NUMBER: ReasonLabel("不规范号码", "non-standard number"),
    Reason.SPOOFED_INTL_DOMESTIC_CLI: ReasonLabel(
        "境外来电冒用境内号码", "international call posing as a domestic number"
    ),
    Reason.UNAUTHORIZED_CLI: ReasonLabel("改号/透传号码", "number not authorized for this caller"),
    Reason.AUTH_FAILED: ReasonLabel("主叫号码鉴权失败", "caller authentication failed"),
    Reason.AUTH_MISSING: ReasonLabel("主叫号码未经鉴权", "caller not authenticated"),
    Reason.SANCTIONED: ReasonLabel("失信受限主叫", "sanctioned caller"),
    Reason.NO_CONSENT: ReasonLabel("未经同意的营销电话", "marketing call without consent"),
    Reason.REFUSED: ReasonLabel("已拒绝的营销电话", "marketing call after refusal"),
    Reason.OUTSIDE_CALLING_HOURS: ReasonLabel(
        "非允许时段营销电话", "marketing call outside permitted hours"
    ),
    Reason.FREQUENCY_CAP: ReasonLabel("营销电话过于频繁", "too many marketing calls"),
    Reason.ONE_RING: ReasonLabel("「响一声」诈骗风险", "one-ring scam risk"),
    Reason.CALL_BOMBING: ReasonLabel("「呼死你」呼叫轰炸", "call bombing"),
    Reason.ROBOCALL_PATTERN: ReasonLabel("疑似自动拨号骚扰", "suspected robocall"),
    Reason.REPORTED: ReasonLabel("被多人标记的号码", "reported by many people"),
    Reason.REPUTATION: ReasonLabel("高风险号码", "high-risk number"),
    Reason.ALLOWED: ReasonLabel("", ""),
}

#: Precedence of reasons inside a verdict (lower index first).
PRECEDENCE: dict[Reason, int] = {reason: index for index, reason in enumerate(Reason)}

#: Labels of crowd-report categories (a REPORTED label names the category people reported).
REPORT_CATEGORY_LABELS: dict[str, ReasonLabel] = {
    "fraud": ReasonLabel("诈骗电话", "fraud"),
    "marketing": ReasonLabel("营销推广", "marketing"),
    "harassment": ReasonLabel("骚扰电话", "harassment"),
    "one_ring": ReasonLabel("「响一声」", "one-ring"),
    "robocall": ReasonLabel("自动拨号", "robocall"),
    "real_estate": ReasonLabel("房产中介", "real estate agent"),
    "finance": ReasonLabel("贷款理财", "loans and finance"),
    "other": ReasonLabel("其他骚扰", "other nuisance"),
}


def parse_reasons(text: str) -> tuple[Reason, ...]:
    """Parse a ``;``-separated list of reason codes; raises ValueError naming an unknown code."""
    out: list[Reason] = []
    for part in text.split(";"):
        code = part.strip()
        if not code:
            continue
        try:
            out.append(Reason(code))
        except ValueError:
            raise ValueError(f"unknown reason code {code!r}") from None
    return tuple(out)
