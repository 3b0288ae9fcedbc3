"""One-ring detector: fires on fan-out of short unanswered rings, silent on ordinary callers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ringfence.core.detectors.one_ring import OneRingDetector, range_prefix
from ringfence.core.detectors.params import OneRingParams
from ringfence.core.reasons import Reason
from ringfence.core.types import Disposition, Ingress

T0 = 1_551_403_800.0
INTL = Ingress.INTERNATIONAL
SUB = Ingress.SUBSCRIBER
CANCELLED, NO_ANSWER, ANSWERED = Disposition.CANCELLED, Disposition.NO_ANSWER, Disposition.ANSWERED


@dataclass(frozen=True)
class End:
    caller: str
    callee: str
    t: float
    ring_ms: int = 1_500
    disposition: Disposition = CANCELLED
    ingress: Ingress = INTL
    trunk: str = "GW1"


def callee(i: int) -> str:
    return f"+86139{i:08d}"


def single_number() -> Iterator[End]:
    for i in range(7):
        yield End("+23276123456", callee(i), T0 + 60 * i)


def rotating_range() -> Iterator[End]:
    # 20 numbers of one range, each ringing once or twice
    for i in range(30):
        yield End(f"+23276120{i % 20:03d}", callee(i), T0 + 20 * i)


def slow_campaign() -> Iterator[End]:
    # one short ring every 7 minutes for 2 hours: never 5 in 10 minutes
    for i in range(17):
        yield End("+23276999888", callee(i), T0 + 420 * i)


def no_answer_short() -> Iterator[End]:
    for i in range(7):
        yield End("+23276123456", callee(i), T0 + 60 * i, 2_000, NO_ANSWER)


def ordinary_subscriber() -> Iterator[End]:
    # mostly answered calls, a few cancelled ones
    for i in range(40):
        short = i % 5 == 0
        yield End(
            "+8613812345678",
            callee(i),
            T0 + 30 * i,
            2_000 if short else 8_000,
            CANCELLED if short else ANSWERED,
            SUB,
            "",
        )


def redialler() -> Iterator[End]:
    # the same two people, cancelled again and again
    for i in range(12):
        yield End("+8613812345678", callee(i % 2), T0 + 30 * i, 2_000, CANCELLED, SUB, "")


def long_rings() -> Iterator[End]:
    for i in range(10):
        yield End("+8613812345678", callee(i), T0 + 30 * i, 30_000, NO_ANSWER, SUB, "")


def normal_range() -> Iterator[End]:
    # 300 subscribers of one range, 15 % of their calls cancelled after a short ring
    for i in range(3_000):
        short = i % 7 == 0
        yield End(
            f"+8613812345{i % 300:03d}",
            callee(i),
            T0 + 2 * i,
            2_000 if short else 9_000,
            CANCELLED if short else ANSWERED,
            SUB,
            "",
        )


def run(events: Iterator[End], params: OneRingParams | None = None) -> OneRingDetector:
    detector = OneRingDetector(params or OneRingParams())
    for e in events:
        detector.on_end(e.caller, e.callee, e.t, e.ring_ms, e.disposition, e.ingress, e.trunk)
    return detector


@pytest.mark.parametrize(
    ("scenario", "caller", "flagged"),
    [
        (single_number, "+23276123456", True),
        (rotating_range, "+23276120005", True),
        (rotating_range, "+23276120777", True),  # a number of the range never seen before
        (slow_campaign, "+23276999888", True),
        (no_answer_short, "+23276123456", True),
        (ordinary_subscriber, "+8613812345678", False),
        (redialler, "+8613812345678", False),
        (long_rings, "+8613812345678", False),
        (normal_range, "+8613812345001", False),
    ],
)
def test_scenarios(scenario: object, caller: str, flagged: bool) -> None:
    events = list(scenario())  # type: ignore[operator]
    last = events[-1]
    detector = run(iter(events))
    flag = detector.caller_flag(caller, last.t + 1, last.ingress, last.trunk)
    assert (flag is not None) == flagged
    if flag is not None:
        assert flag.reason is Reason.ONE_RING
        assert "short rings" in flag.detail


def test_range_flag_is_per_origin() -> None:
    detector = run(rotating_range())
    t = T0 + 3_600
    assert detector.caller_flag("+23276120005", t, INTL, "GW1") is not None
    assert detector.caller_flag("+23276120005", t, INTL, "GW2") is None  # another trunk
    assert detector.caller_flag("+23276130005", t, INTL, "GW1") is None  # another range
    assert "range +23276120xxx" in str(detector.caller_flag("+23276120001", t, INTL, "GW1"))


def test_callback_warning_for_number_and_range() -> None:
    detector = run(single_number())
    warning = detector.callback_warning("+23276123456", T0 + 3_600)
    assert warning is not None and warning.reason is Reason.ONE_RING
    assert "calling back" in warning.detail
    assert detector.callback_warning(callee(1), T0 + 3_600) is None
    ranged = run(rotating_range())
    assert ranged.callback_warning("+23276120999", T0 + 3_600) is not None


def test_flag_expires_after_hold() -> None:
    params = OneRingParams(hold_s=3_600)
    detector = run(single_number(), params)
    assert detector.caller_flag("+23276123456", T0 + 3_000, INTL, "GW1") is not None
    assert detector.caller_flag("+23276123456", T0 + 6 * 60 + 3_601, INTL, "GW1") is None


@pytest.mark.parametrize(("min_calls", "flagged"), [(7, True), (8, False)])
def test_threshold_comes_from_params(min_calls: int, flagged: bool) -> None:
    detector = run(single_number(), OneRingParams(min_calls=min_calls, slow_min_calls=50))
    assert (detector.caller_flag("+23276123456", T0 + 400, INTL, "GW1") is not None) == flagged


def test_eviction_drops_idle_state() -> None:
    detector = run(rotating_range())
    assert detector.stats()["one_ring_numbers"] == 20
    dropped = detector.evict(T0 + 30 * 86_400)
    assert dropped > 20
    assert not any(detector.stats().values())


@pytest.mark.parametrize(
    ("number", "prefix"),
    [("+8613812345678", "+8613812345"), ("12345", "12345"), ("", "")],
)
def test_range_prefix(number: str, prefix: str) -> None:
    assert range_prefix(number, 3) == prefix


def test_the_share_test_is_what_spares_a_range_of_subscribers() -> None:
    lax = run(normal_range(), OneRingParams(min_share=0.1))
    assert lax.caller_flag("+8613812345001", T0 + 6_000, SUB, "") is not None
