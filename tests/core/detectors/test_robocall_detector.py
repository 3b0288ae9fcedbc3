"""Robocall detector: diallers and scanners flagged; couriers, banks and call centres not.

Registered high-volume callers (couriers, banks, call centres) do reach the mass-calling
threshold; that flag is for personal numbers and the screener drops it for enterprise lines
(tests/core/test_screener.py), so here they must get no *robocall* flag.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest

from ringfence.core.detectors.conversations import Conversations
from ringfence.core.detectors.params import RobocallParams
from ringfence.core.detectors.robocall import MASS_CALLING, RobocallDetector, number_digits
from ringfence.core.reasons import Reason
from ringfence.core.types import Disposition, Ingress

T0 = 1_551_403_800.0
CALLER = "+8640012345678"

Call = tuple[str, float, int, Disposition]  # callee, start, talk_ms, disposition


def traffic(
    calls_per_hour: int,
    answer_rate: float,
    talk_s: tuple[int, int],
    sequential: bool = False,
    hours: float = 1.0,
) -> Iterator[Call]:
    """Calls of one number at an even pace, with the given answer rate and talk times."""
    rng = random.Random(calls_per_hour)
    n = int(calls_per_hour * hours)
    for i in range(n):
        callee = f"+86139{(10_000_000 + i) if sequential else rng.randrange(10**8):08d}"
        answered = rng.random() < answer_rate
        talk = rng.randint(*talk_s) * 1_000 if answered else 0
        disposition = Disposition.ANSWERED if answered else Disposition.NO_ANSWER
        yield callee, T0 + 3_600 * hours * i / n, talk, disposition


SCENARIOS = {
    "dialler": (lambda: traffic(400, 0.1, (1, 8)), True),
    "sequential scanner, some answers": (lambda: traffic(60, 0.4, (5, 40), sequential=True), True),
    "courier": (lambda: traffic(25, 0.75, (20, 120), hours=8), False),
    "bank": (lambda: traffic(30, 0.8, (30, 120), hours=8), False),
    "consented call centre": (lambda: traffic(300, 0.4, (30, 300)), False),
    "busy call centre, short calls": (lambda: traffic(300, 0.35, (8, 60)), False),
    "ordinary subscriber": (lambda: traffic(6, 0.7, (10, 600)), False),
}


@pytest.mark.parametrize(("calls", "flagged"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_scenarios(calls: Callable[[], Iterator[Call]], flagged: bool) -> None:
    detector = RobocallDetector(RobocallParams(), Conversations(86_400.0, 20_000))
    last = T0
    for callee, start, talk_ms, disposition in calls():
        detector.on_end(CALLER, callee, start, talk_ms, disposition)
        last = start
    flag = detector.caller_flag(CALLER, last + 1)
    if flag is not None and flag.category == MASS_CALLING:
        flag = None
    assert (flag is not None) == flagged
    if flag is not None:
        assert flag.reason is Reason.ROBOCALL_PATTERN and not flag.severe
        assert CALLER in flag.detail


def test_redialling_one_callee_is_not_fan_out() -> None:
    detector = RobocallDetector(RobocallParams(), Conversations(86_400.0, 20_000))
    for i in range(200):
        detector.on_end(CALLER, "+8613900000000", T0 + 10 * i, 0, Disposition.NO_ANSWER)
    assert detector.caller_flag(CALLER, T0 + 2_000) is None


@pytest.mark.parametrize(("min_calls", "flagged"), [(100, True), (500, False)])
def test_threshold_comes_from_params(min_calls: int, flagged: bool) -> None:
    detector = RobocallDetector(
        RobocallParams(min_calls=min_calls), Conversations(86_400.0, 20_000)
    )
    for callee, start, talk_ms, disposition in traffic(400, 0.1, (1, 8)):
        detector.on_end(CALLER, callee, start, talk_ms, disposition)
    flag = detector.caller_flag(CALLER, T0 + 3_600)
    assert (flag is not None and flag.category != MASS_CALLING) == flagged


def test_eviction_drops_idle_state() -> None:
    detector = RobocallDetector(RobocallParams(), Conversations(86_400.0, 20_000))
    for callee, start, talk_ms, disposition in traffic(400, 0.1, (1, 8)):
        detector.on_end(CALLER, callee, start, talk_ms, disposition)
    detector.on_end("+8613812345678", "+8613900000000", T0 + 3_000, 60_000, Disposition.ANSWERED)
    assert detector.stats() == {"robocall_numbers": 2, "robocall_flagged": 2}  # dialler + mass
    assert detector.evict(T0 + 3 * 3_600) == 4
    assert detector.stats() == {"robocall_numbers": 0, "robocall_flagged": 0}


@pytest.mark.parametrize(
    ("key", "digits"),
    [("+8613812345678", 8613812345678), ("10086", 10086), ("anonymous", -1), ("", -1), ("-5", -1)],
)
def test_number_digits(key: str, digits: int) -> None:
    assert number_digits(key) == digits


def _fraud_like(detector: RobocallDetector, callers: int = 12) -> float:
    """A personal number calling ``callers`` strangers in an hour, half answered, long talks."""
    t = T0
    for i in range(callers):
        t = T0 + 300 * i
        answered = i % 2 == 0
        disposition = Disposition.ANSWERED if answered else Disposition.NO_ANSWER
        detector.on_end(CALLER, f"+861390000{i:04d}", t, 120_000 if answered else 0, disposition)
    return t


def test_mass_calling_flags_a_number_nobody_talks_back_to() -> None:
    detector = RobocallDetector(RobocallParams(), Conversations(86_400.0, 20_000))
    t = _fraud_like(detector)
    flag = detector.caller_flag(CALLER, t + 1)
    assert flag is not None and flag.category == MASS_CALLING
    assert "6 callees" in flag.detail  # the evidence when the threshold was met


def test_mass_calling_spares_a_number_that_answers_calls() -> None:
    conversations = Conversations(86_400.0, 20_000)
    detector = RobocallDetector(RobocallParams(), conversations)
    conversations.on_end("+8613900000001", CALLER, T0 - 600, 90_000, Disposition.ANSWERED)
    t = _fraud_like(detector)
    assert detector.caller_flag(CALLER, t + 1) is None


@pytest.mark.parametrize(("callees", "flagged"), [(5, False), (6, True)])
def test_mass_calling_threshold(callees: int, flagged: bool) -> None:
    detector = RobocallDetector(RobocallParams(), Conversations(86_400.0, 20_000))
    t = _fraud_like(detector, callees)
    assert (detector.caller_flag(CALLER, t + 1) is not None) == flagged


@pytest.mark.parametrize(("callees", "flagged"), [(11, False), (12, True)])
def test_own_subscribers_have_a_higher_mass_calling_threshold(callees: int, flagged: bool) -> None:
    detector = RobocallDetector(RobocallParams(), Conversations(86_400.0, 20_000))
    for i in range(callees):
        detector.on_end(
            CALLER, f"+861390000{i:04d}", T0 + 300 * i, 0, Disposition.NO_ANSWER, Ingress.SUBSCRIBER
        )
    assert (detector.caller_flag(CALLER, T0 + 300 * callees) is not None) == flagged
