"""LiveState: the facade the screener calls, end to end, and its bounded state."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.detectors.params import (
    BombingParams,
    DetectorParams,
    OneRingParams,
    ReportsParams,
    RobocallParams,
)
from ringfence.core.live import Flag, LiveState
from ringfence.core.reasons import Reason
from ringfence.core.types import Disposition, Ingress

T0 = 1_551_403_800.0
SUB, INTL = Ingress.SUBSCRIBER, Ingress.INTERNATIONAL
ANSWERED, CANCELLED = Disposition.ANSWERED, Disposition.CANCELLED


def call(
    live: LiveState,
    caller: str,
    callee: str,
    t: float,
    ring_ms: int = 8_000,
    talk_ms: int = 60_000,
    disposition: Disposition = ANSWERED,
    ingress: Ingress = SUB,
) -> list[Flag]:
    """One call as the screener sees it: attempt, flags, then its end."""
    live.on_attempt(caller, callee, t, ingress, "")
    flags = live.caller_flags(caller, callee, t, ingress, "")
    live.on_end(caller, callee, t, ring_ms, talk_ms, disposition, ingress, "")
    return flags


def test_ordinary_calls_get_no_flags() -> None:
    live = LiveState(DetectorParams())
    for i in range(50):
        assert call(live, f"+86138{i:08d}", f"+86139{i:08d}", T0 + i) == []
    assert live.callee_warning("+8613800000001", T0 + 60) is None


def test_one_ring_caller_and_callback() -> None:
    live = LiveState(DetectorParams())
    wangiri = "+23276123456"
    for i in range(8):
        call(live, wangiri, f"+86139{i:08d}", T0 + 30 * i, 1_000, 0, CANCELLED, INTL)
    flags = live.caller_flags(wangiri, "+8613900000099", T0 + 300, INTL, "")
    # eight strangers rung and never called back is also mass calling; one-ring comes first
    assert [f.reason for f in flags] == [Reason.ONE_RING, Reason.ROBOCALL_PATTERN]
    warning = live.callee_warning(wangiri, T0 + 3_600)
    assert warning is not None and warning.reason is Reason.ONE_RING


def test_bombing_protects_the_victim_but_not_from_its_contacts() -> None:
    live = LiveState(DetectorParams())
    victim, friend, bomber = "+8613800000001", "+8613800000002", "+8617000000009"
    call(live, victim, friend, T0 - 3_600)
    for i in range(12):
        call(live, bomber, victim, T0 + 10 * i, 2_000, 0, Disposition.REJECTED)
    t = T0 + 200
    assert call(live, friend, victim, t) == []
    stranger = live.caller_flags("+8613800000003", victim, t, SUB, "")
    assert [(f.reason, f.severe) for f in stranger] == [(Reason.CALL_BOMBING, True)]
    moved_on = live.caller_flags(bomber, "+8613800000004", t, SUB, "")
    assert [f.reason for f in moved_on] == [Reason.CALL_BOMBING]


def test_robocall_and_reports_through_the_facade() -> None:
    live = LiveState(DetectorParams())
    dialler = "+8640000000001"
    for i in range(150):
        call(live, dialler, f"+86139{i * 7919 % 10**8:08d}", T0 + 20 * i, 20_000, 0, CANCELLED)
    for reporter in ["a", "b", "c"]:
        live.on_report(reporter, dialler, "fraud", T0 + 3_000)
    flags = live.caller_flags(dialler, "+8613900000000", T0 + 3_001, SUB, "")
    assert [f.reason for f in flags] == [Reason.ROBOCALL_PATTERN, Reason.REPORTED]
    assert flags[1].category == "fraud" and flags[1].severe


def test_eviction_shrinks_stats() -> None:
    live = LiveState(DetectorParams())
    for i in range(20):
        call(live, f"+86138{i:08d}", f"+86139{i:08d}", T0 + i, 1_000, 0, CANCELLED)
    before = live.stats()
    assert before["robocall_numbers"] == 20 and before["bombing_callees"] == 20
    assert live.evict(T0 + 3 * 3_600) > 0
    after = live.stats()
    assert after["robocall_numbers"] == 0 and after["bombing_callees"] == 0
    assert after["relationship_subscribers"] == 20  # relationships outlive the windows


TOUCHY = DetectorParams(
    one_ring=OneRingParams(min_calls=2, slow_min_calls=3, range_min_calls=2, range_min_numbers=1),
    bombing=BombingParams(min_attempts=2, long_min_attempts=3, bomber_min_attempts=1),
    robocall=RobocallParams(min_calls=2, min_sequential=1),
    reports=ReportsParams(min_reporters=1, fraud_block_reporters=1),
)
NUMBERS = ["+8613800000001", "+8613800000002", "+8613800000011", "+23276123456", "abc", ""]

events = st.lists(
    st.tuples(
        st.sampled_from(["attempt", "end", "report", "flags", "evict"]),
        st.floats(min_value=0, max_value=900, allow_nan=False),
        st.sampled_from(NUMBERS),
        st.sampled_from(NUMBERS),
        st.integers(min_value=0, max_value=60_000),
        st.integers(min_value=0, max_value=600_000),
        st.sampled_from(list(Disposition)),
        st.sampled_from(list(Ingress)),
        st.sampled_from(["fraud", "marketing"]),
    ),
    max_size=60,
)


Event = tuple[str, float, str, str, int, int, Disposition, Ingress, str]


def feed(live: LiveState, event: Event, t: float) -> None:
    """Apply an attempt, end or report event of the generated sequence at ``t``."""
    kind, _, a, b, ring_ms, talk_ms, disposition, ingress, category = event
    if kind == "attempt":
        live.on_attempt(a, b, t, ingress, "T")
    elif kind == "end":
        start = t - (ring_ms + talk_ms) / 1000
        live.on_end(a, b, start, ring_ms, talk_ms, disposition, ingress, "T")
    elif kind == "report":
        live.on_report(b, a, category, t)


@settings(max_examples=150, deadline=None)
@given(events, st.sampled_from([DetectorParams(), TOUCHY]))
def test_any_event_sequence_is_handled_and_fully_evicted(
    sequence: list[Event], params: DetectorParams
) -> None:
    live = LiveState(params)
    t = T0
    for event in sequence:
        kind, gap, a, b, *_, ingress, _ = event
        t += gap
        feed(live, event, t)
        if kind == "flags":
            assert all(isinstance(f, Flag) for f in live.caller_flags(a, b, t, ingress, "T"))
            live.callee_warning(b, t)
        elif kind == "evict":
            live.evict(t)
    live.evict(t + params.longest_window_s + 1)
    assert not any(live.stats().values())


@settings(max_examples=150, deadline=None)
@given(events, st.sampled_from([DetectorParams(), TOUCHY]), st.integers(min_value=1, max_value=3))
def test_evicting_a_slice_at_a_time_never_changes_a_flag(
    sequence: list[Event], params: DetectorParams, budget: int
) -> None:
    """Eviction drops only state that can no longer count: a screener sweeping a few keys
    every few calls flags exactly what one sweeping everything at once flags."""
    whole, sliced = LiveState(params), LiveState(params)
    t = T0
    for event in sequence:
        kind, gap, a, b, *_, ingress, _ = event
        t += gap
        feed(whole, event, t)
        feed(sliced, event, t)
        if kind == "flags":
            assert whole.caller_flags(a, b, t, ingress, "T") == sliced.caller_flags(
                a, b, t, ingress, "T"
            )
            assert whole.callee_warning(b, t) == sliced.callee_warning(b, t)
        elif kind == "evict":
            whole.evict(t)
            sliced.evict(t, budget)
