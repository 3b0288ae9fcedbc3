"""Call-bombing detector: floods, victim protection, bombers, bounded relationships."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ringfence.core.detectors.bombing import BombingDetector, Relationships
from ringfence.core.detectors.conversations import Conversations
from ringfence.core.detectors.params import BombingParams
from ringfence.core.reasons import Reason
from ringfence.core.types import Disposition

T0 = 1_551_403_800.0
VICTIM = "+8613800000001"
FRIEND = "+8613800000002"
STRANGER = "+8613800000003"
BOMBER = "+8617099990000"
ANSWERED, CANCELLED, REJECTED = Disposition.ANSWERED, Disposition.CANCELLED, Disposition.REJECTED


def detector_with_history(params: BombingParams | None = None) -> BombingDetector:
    """The victim has a friend it talked to and a shop it called last week."""
    detector = BombingDetector(params or BombingParams(), Conversations(86_400.0, 20_000))
    detector.on_end(FRIEND, VICTIM, T0 - 86_400, 120_000, ANSWERED)
    detector.on_end(VICTIM, "+8657112345678", T0 - 86_400, 0, CANCELLED)
    return detector


def single_bomber(d: BombingDetector) -> float:
    for i in range(12):
        t = T0 + 15 * i
        d.on_attempt(BOMBER, VICTIM, t)
        d.on_end(BOMBER, VICTIM, t, 0, REJECTED)
    return T0 + 15 * 11


def rotating_bombers(d: BombingDetector) -> float:
    # 25 numbers, one attempt each, over 20 minutes: only the long window sees a flood
    for i in range(25):
        d.on_attempt(f"+86170999{i:05d}", VICTIM, T0 + 48 * i)
    return T0 + 48 * 24


def busy_line(d: BombingDetector) -> float:
    # a shop: many different callers, most calls are real conversations
    for i in range(30):
        caller, t = f"+86138{i:08d}", T0 + 40 * i
        d.on_attempt(caller, VICTIM, t)
        d.on_end(caller, VICTIM, t, 90_000 if i % 4 else 0, ANSWERED if i % 4 else CANCELLED)
    return T0 + 40 * 29


def ordinary_callee(d: BombingDetector) -> float:
    for i in range(6):
        d.on_attempt(f"+86138{i:08d}", VICTIM, T0 + 300 * i)
    return T0 + 300 * 5


@pytest.mark.parametrize(
    ("scenario", "attacked"),
    [
        (single_bomber, True),
        (rotating_bombers, True),
        (busy_line, False),
        (ordinary_callee, False),
    ],
)
def test_protection_starts_only_on_floods(
    scenario: Callable[[BombingDetector], float], attacked: bool
) -> None:
    d = detector_with_history()
    t = scenario(d) + 1
    assert d.under_attack(VICTIM, t) == attacked
    stranger = d.caller_flag(STRANGER, VICTIM, t)
    assert (stranger is not None) == attacked
    if stranger is not None:
        assert stranger.reason is Reason.CALL_BOMBING and stranger.severe
        assert "no prior relationship" in stranger.detail


@pytest.mark.parametrize("scenario", [single_bomber, rotating_bombers])
@pytest.mark.parametrize("contact", [FRIEND, "+8657112345678"])
def test_contacts_ring_through_during_an_attack(
    scenario: Callable[[BombingDetector], float], contact: str
) -> None:
    d = detector_with_history()
    t = scenario(d) + 1
    assert d.caller_flag(contact, VICTIM, t) is None


def test_single_bomber_is_flagged_calling_anyone() -> None:
    d = detector_with_history()
    t = single_bomber(d) + 60
    flag = d.caller_flag(BOMBER, "+8613955555555", t)
    assert flag is not None and flag.severe
    assert BOMBER in flag.detail and VICTIM in flag.detail


def test_rotating_bombers_calling_once_are_not_flagged_elsewhere() -> None:
    d = detector_with_history()
    t = rotating_bombers(d) + 60
    assert d.caller_flag("+8617099900003", "+8613955555555", t) is None


def test_protection_lasts_hold_after_the_flood() -> None:
    d = detector_with_history(BombingParams(hold_s=600))
    t = single_bomber(d)
    assert d.caller_flag(STRANGER, VICTIM, t + 599) is not None
    assert d.caller_flag(STRANGER, VICTIM, t + 601) is None


def test_answering_a_bomber_briefly_does_not_make_it_a_contact() -> None:
    d = detector_with_history(BombingParams(bomber_min_attempts=100))
    d.on_end(BOMBER, VICTIM, T0 - 3_600, 2_000, ANSWERED)
    t = single_bomber(d) + 1
    assert d.caller_flag(BOMBER, VICTIM, t) is not None


@pytest.mark.parametrize(("min_attempts", "attacked"), [(12, True), (13, False)])
def test_thresholds_come_from_params(min_attempts: int, attacked: bool) -> None:
    params = BombingParams(min_attempts=min_attempts, long_min_attempts=40, repeat_min_attempts=40)
    d = detector_with_history(params)
    t = single_bomber(d) + 1
    assert d.under_attack(VICTIM, t) == attacked


def test_eviction_drops_idle_state() -> None:
    d = detector_with_history()
    single_bomber(d)
    stats = d.stats()
    assert stats["bombing_callees"] == 1 and stats["bombing_victims"] == 1
    assert stats["bombing_bombers"] == 1 and stats["relationship_subscribers"] == 3
    assert d.evict(T0 + 4 * 3_600) == 3  # attempts, victim, bomber; relationships kept
    assert d.stats()["relationship_subscribers"] == 3
    d.evict(T0 + 61 * 86_400)
    assert not any(d.stats().values())


def test_relationships_are_lru_bounded() -> None:
    rel = Relationships(ttl_s=1_000, max_contacts=3)
    for contact in ["a", "b", "c"]:
        rel.learn("me", contact, 10.0)
    rel.learn("me", "a", 11.0)  # refreshed: now the most recent
    rel.learn("me", "d", 12.0)  # evicts the least recently seen, "b"
    assert [rel.knows("me", c) for c in "abcd"] == [True, False, True, True]
    assert not rel.knows("someone", "a")


def test_relationships_rotate_by_generation() -> None:
    rel = Relationships(ttl_s=1_000, max_contacts=8)
    rel.learn("me", "old", 10.0)
    rel.learn("me", "new", 1_500.0)  # next generation: "old" is still remembered
    assert rel.knows("me", "old") and rel.knows("me", "new")
    assert rel.advance(2_500.0) == 1  # the generation holding "old" is dropped
    assert not rel.knows("me", "old") and rel.knows("me", "new")
    assert rel.advance(10_000.0) == 1
    assert len(rel) == 0


def _redial(d: BombingDetector, caller: str, times: int, every_s: float) -> float:
    t = T0
    for i in range(times):
        t = T0 + every_s * i
        d.on_attempt(caller, VICTIM, t)
        d.on_end(caller, VICTIM, t, 0, REJECTED)
    return t


@pytest.mark.parametrize(("times", "attacked"), [(7, False), (8, True)])
def test_a_stranger_redialling_slowly_is_bombing(times: int, attacked: bool) -> None:
    """One call a minute never floods, but a stranger redialling 8 times in 30 min does."""
    d = detector_with_history()
    t = _redial(d, BOMBER, times, 60.0)
    assert d.under_attack(VICTIM, t + 1) == attacked
    flag = d.caller_flag(BOMBER, "+8613800000099", t + 1)
    assert (flag is not None) == attacked
    if flag is not None:
        assert f"{times} attempts by {BOMBER}" in flag.detail


def test_a_contact_redialling_is_not_bombing() -> None:
    d = detector_with_history()
    t = _redial(d, FRIEND, 12, 60.0)
    assert not d.under_attack(VICTIM, t + 1)
    assert d.caller_flag(FRIEND, "+8613800000099", t + 1) is None
