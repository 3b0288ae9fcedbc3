"""Detectors: rules over a number's signals that fire with a reason code and the evidence.

Each :class:`Detector` is a row of :data:`DETECTORS`: a test over the signals table
(:func:`ringfence.analytics.signals.derive`, one row per number), the reason code it gives
(:class:`ringfence.core.reasons.Reason`), a category, the score a firing earns on its own, and
a sentence of evidence naming the figures that made it fire. Thresholds are the online
detectors' (:mod:`ringfence.core.detectors.params`) where the same idea exists, so that the
screener and the analytics agree on what, say, a one-ring campaign is.

:func:`detect` returns one boolean column per detector; :func:`explain` the evidence of the
detectors that fired on one number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ringfence.core.detectors.params import (
    BombingParams,
    OneRingParams,
    ReportsParams,
    RobocallParams,
)
from ringfence.core.reasons import Reason

_ONE_RING = OneRingParams()
_BOMBING = BombingParams()
_ROBOCALL = RobocallParams()
_REPORTS = ReportsParams()

Test = Callable[[pd.DataFrame], "pd.Series[bool]"]
Evidence = Callable[[pd.Series], str]


@dataclass(frozen=True)
class Detector:
    """One rule: ``test`` over the signals table, and what a firing means.

    ``strength`` is the score the rule gives a number by itself (the final score is at least
    the strongest firing rule's). Rules whose firing is a compliance finding rather than
    proof of a nuisance number (a refusal ignored by an otherwise consented marketer) stay
    below the 0.5 decision threshold: they add a reason without condemning the number.
    """

    name: str
    reason: Reason
    category: str
    strength: float
    test: Test
    evidence: Evidence


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


DETECTORS: tuple[Detector, ...] = (
    Detector(
        "invalid_number",
        Reason.INVALID_NUMBER,
        "fraud",
        0.95,
        lambda s: s.standard == 0,
        lambda r: f"{r.number!r} is not a standard number; it made {r.calls} calls",
    ),
    Detector(
        "spoofed_plus86",
        Reason.SPOOFED_INTL_DOMESTIC_CLI,
        "fraud",
        0.95,
        lambda s: (s.domestic == 1) & (s.intl_share >= 0.5),
        lambda r: (
            f"{r.intl_calls} of {r.calls} calls came through the international gateway "
            "presenting a domestic number"
        ),
    ),
    Detector(
        "unauthorized_cli",
        Reason.UNAUTHORIZED_CLI,
        "spoofer",
        0.95,
        lambda s: (s.unauthorized_calls > 0) & (s.unauthorized_share >= 0.5),
        lambda r: (
            f"trunk of {r.enterprise_id} presented it on {r.unauthorized_calls} calls "
            "though it is outside the enterprise's number blocks"
        ),
    ),
    Detector(
        "sanction_in_force",
        Reason.SANCTIONED,
        "marketing_unconsented",
        0.9,
        lambda s: s.sanctioned > 0,
        lambda r: (
            f"a sanction on the number or on {r.enterprise_id or 'its holder'} was in "
            f"force while it made {r.calls} calls"
        ),
    ),
    Detector(
        "unconsented_marketing",
        Reason.NO_CONSENT,
        "marketing_unconsented",
        0.9,
        lambda s: (s.unconsented_calls >= 5) & (s.unconsented_share >= 0.5),
        lambda r: (
            f"{r.unconsented_calls} of {r.marketing_calls} marketing calls went to "
            "people who never consented"
        ),
    ),
    Detector(
        "refusals_ignored",
        Reason.REFUSED,
        "marketing_compliance",
        0.4,
        lambda s: s.refused_calls > 0,
        lambda r: f"{r.refused_calls} marketing calls to people who had refused",
    ),
    Detector(
        "one_ring",
        Reason.ONE_RING,
        "one_ring",
        0.9,
        lambda s: (
            (s.short_rings >= _ONE_RING.min_calls) & (s.short_ring_share >= _ONE_RING.min_share)
        ),
        lambda r: (
            f"{r.short_rings} of {r.calls} calls were rings of at most "
            f"{_ONE_RING.max_ring_ms // 1000} s, cancelled, to {r.callees} callees"
        ),
    ),
    Detector(
        "one_ring_range",
        Reason.ONE_RING,
        "one_ring",
        0.9,
        lambda s: (
            (s.range_numbers >= _ONE_RING.range_min_numbers)
            & (s.range_short_rings >= _ONE_RING.range_min_calls)
            & (s.range_short_share >= _ONE_RING.min_share)
            & (s.short_ring_share >= _ONE_RING.min_share)
        ),
        lambda r: (
            f"one of {r.range_numbers} numbers of its range rotating one-ring calls: "
            f"{r.range_short_rings} short rings ({_pct(r.range_short_share)} of the range's calls)"
        ),
    ),
    Detector(
        "call_bombing",
        Reason.CALL_BOMBING,
        "call_bomber",
        0.9,
        lambda s: (
            (s.max_to_one >= _BOMBING.long_min_attempts)
            & (s.top_callee_share >= 0.5)
            & (s.answer_rate <= _BOMBING.max_conversation_share)
        ),
        lambda r: f"{r.max_to_one} calls to one callee, {_pct(r.answer_rate)} answered",
    ),
    Detector(
        "call_bombing_participant",
        Reason.CALL_BOMBING,
        "call_bomber",
        0.9,
        lambda s: (
            (s.target_inbound >= _BOMBING.long_min_attempts)
            & (s.target_callers >= _BOMBING.bomber_min_attempts)
            & (s.top_callee_share >= 0.5)
        ),
        lambda r: (
            f"one of {r.target_callers} numbers flooding {r.target} "
            f"({r.target_inbound} attempts); {r.max_to_one} of them from this number"
        ),
    ),
    Detector(
        "sequential_scan",
        Reason.ROBOCALL_PATTERN,
        "robocall",
        0.9,
        lambda s: (
            (s.sequential_steps >= _ROBOCALL.min_sequential)
            & (s.sequential_share >= _ROBOCALL.min_sequential_share)
        ),
        lambda r: (
            f"{r.sequential_steps} of its {r.callees} callees follow another within "
            f"{_ROBOCALL.max_step} numbers (sequential dialling)"
        ),
    ),
    Detector(
        "automated_dialling",
        Reason.ROBOCALL_PATTERN,
        "robocall",
        0.9,
        lambda s: (
            (s.peak_hour >= _ROBOCALL.min_calls)
            & (s.fanout >= _ROBOCALL.min_fanout_share)
            & (s.answer_rate <= _ROBOCALL.max_answer_rate)
            & (s.marketing_calls == 0)
        ),
        lambda r: (
            f"{r.peak_hour} calls in one hour, {_pct(r.answer_rate)} answered, "
            f"mean talk {r.talk_mean_s:.0f} s"
        ),
    ),
    Detector(
        "reported_fraud",
        Reason.REPORTED,
        "fraud",
        0.85,
        lambda s: (
            (s.reporters >= _REPORTS.fraud_block_reporters)
            & (s.fraud_reports >= _REPORTS.fraud_block_reporters)
            & (s.fraud_reports * 2 >= s.reports)
        ),
        lambda r: f"reported for fraud {r.fraud_reports} times by {r.reporters} people",
    ),
    Detector(
        "reported",
        Reason.REPORTED,
        "reported",
        0.4,
        lambda s: s.reporters >= _REPORTS.min_reporters,
        lambda r: f"reported by {r.reporters} people ({r.fraud_reports} reports of fraud)",
    ),
)

BY_NAME: dict[str, Detector] = {d.name: d for d in DETECTORS}


def detect(signals: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per detector (named after it), one row per row of ``signals``."""
    return pd.DataFrame(
        {d.name: d.test(signals).to_numpy(dtype=bool) for d in DETECTORS}, index=signals.index
    )


def explain(row: pd.Series, fired: list[str]) -> list[str]:
    """The evidence sentences of the detectors named in ``fired``, for one signals row."""
    return [BY_NAME[name].evidence(row) for name in fired]
