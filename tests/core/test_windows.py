"""Sliding-window primitives: two-bucket sums, recent events, holds, idle eviction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.windows import (
    PASS_SLICES,
    Holds,
    RecentEvents,
    Sweep,
    TwoBucketCounts,
    evict_idle,
)

W = 600.0


def test_two_bucket_steady_rate_is_estimated_exactly() -> None:
    counts = TwoBucketCounts(1, 0.0, W)
    # one event a minute for 25 minutes: the window ending at 25 min holds 10 of them
    for minute in range(25):
        i = counts.offset(minute * 60.0, W)
        counts[i] += 1
    assert counts.estimate(24 * 60.0 + 59.0, W)[0] == pytest.approx(10, abs=0.2)


@pytest.mark.parametrize(
    ("t", "expected_offset"),
    [
        (10.0, 0),  # same bucket
        (W + 10.0, 0),  # next bucket: rolls forward
        (-W + 10.0, 1),  # previous bucket: slightly out of order
        (-2 * W + 10.0, -1),  # older: ignored
    ],
)
def test_two_bucket_offset(t: float, expected_offset: int) -> None:
    counts = TwoBucketCounts(1, 0.0, W)
    assert counts.offset(t, W) == expected_offset


def test_two_bucket_roll_keeps_previous_and_forgets_older() -> None:
    counts = TwoBucketCounts(2, 0.0, W)
    counts[counts.offset(1.0, W) + 1] += 4
    counts[counts.offset(W + 1.0, W) + 1] += 1  # rolled: previous bucket holds the 4
    assert list(counts) == [0, 1, 0, 4]
    assert counts.upper(1) == 5
    assert counts.estimate(1.5 * W, W)[1] == pytest.approx(1 + 4 * 0.5)
    assert counts.estimate(2.5 * W, W)[1] == pytest.approx(0.5)  # only the newer bucket left
    assert counts.estimate(3.5 * W, W) == [0.0, 0.0]
    counts.offset(5 * W, W)  # a jump of several buckets clears both
    assert list(counts) == [0, 0, 0, 0]


def test_recent_events_threshold_is_exact_up_to_capacity() -> None:
    events = RecentEvents()
    for i in range(30):
        events.add(float(i), f"c{i % 3}", capacity=10)
    assert len(events) == 20  # ten (time, tag) pairs
    assert events.last == 29.0
    assert events.reached(10, 29.0, 10.0)  # times 20..29 are within (19, 29]
    assert not events.reached(10, 29.0, 9.0)
    assert not events.reached(11, 29.0, 100.0)  # beyond capacity: unknown, so not reached
    assert events.within(29.0, 5.0) == 5
    assert events.within(29.0, 100.0, "c0") == 3  # 21, 24, 27 among the kept 20..29


def test_recent_events_retag_changes_the_latest_only() -> None:
    events = RecentEvents()
    for t, tag in [(1.0, "a"), (2.0, "b"), (3.0, "a")]:
        events.add(t, tag, capacity=5)
    assert events.retag("a", "talked")
    assert list(events) == [1.0, "a", 2.0, "b", 3.0, "talked"]
    assert not events.retag("zzz", "talked")


@given(
    st.lists(st.floats(min_value=0, max_value=1_000, allow_nan=False), max_size=40),
    st.integers(min_value=1, max_value=8),
    st.floats(min_value=0.5, max_value=500),
)
def test_recent_events_reached_matches_brute_force(gaps: list[float], k: int, width: float) -> None:
    events = RecentEvents()
    times: list[float] = []
    t = 0.0
    for gap in gaps:
        t += gap
        times.append(t)
        events.add(t, "x", capacity=8)
    brute = sum(1 for s in times if s > t - width) >= k
    assert events.reached(k, t, width) == brute


def test_holds_expire_and_evict() -> None:
    holds: Holds[str] = Holds()
    holds.put("a", 100.0, "flag-a")
    holds.put("b", 200.0, "flag-b")
    assert holds.active("a", 100.0) == "flag-a"
    assert holds.active("a", 100.5) is None
    assert holds.active("missing", 0.0) is None
    assert holds.evict(150.0) == 1
    assert list(holds) == ["b"]


class _State:
    def __init__(self, last: float) -> None:
        self.last = last


def test_evict_idle_drops_only_stale_entries() -> None:
    states = {"old": _State(10.0), "new": _State(50.0)}
    assert evict_idle(states, 20.0) == 1
    assert list(states) == ["new"]


def test_evict_idle_with_a_sweep_goes_a_slice_at_a_time() -> None:
    states = {f"k{i}": _State(10.0) for i in range(5)}
    sweep = Sweep()
    assert evict_idle(states, 20.0, sweep, 2) == 2  # a pass over a snapshot: k0, k1
    assert list(states) == ["k2", "k3", "k4"]
    states["late"] = _State(10.0)  # added during the pass: visited by the next one
    states["k2"] = _State(30.0)  # renewed before its visit: judged as it is then
    assert evict_idle(states, 20.0, sweep, 2) == 1  # k2 (kept), k3
    assert evict_idle(states, 20.0, sweep, 2) == 1  # k4: the pass ends here
    assert list(states) == ["k2", "late"]
    assert evict_idle(states, 20.0, sweep, 2) == 1  # a new pass: k2 (kept), late
    assert list(states) == ["k2"]


def test_holds_evict_with_a_sweep_drops_what_a_whole_sweep_drops() -> None:
    holds: Holds[str] = Holds()
    whole: Holds[str] = Holds()
    for i in range(7):
        holds.put(f"k{i}", 100.0 * i, "flag")
        whole.put(f"k{i}", 100.0 * i, "flag")
    sweep = Sweep()
    dropped = sum(holds.evict(350.0, sweep, 3) for _ in range(3))  # one pass of 7 keys
    assert dropped == whole.evict(350.0) == 4
    assert holds == whole


def test_a_budget_of_zero_sweeps_everything_at_once() -> None:
    states = {f"k{i}": _State(float(i)) for i in range(10)}
    assert evict_idle(states, 5.0, Sweep(), 0) == 5
    assert sorted(states) == [f"k{i}" for i in range(5, 10)]


def test_a_sweep_keeps_up_however_fast_keys_arrive() -> None:
    """Two new keys per call against a budget of one: each pass still ends within
    ``pass_slices`` calls, so the dict stays near the keys of the last two passes."""
    states: dict[str, _State] = {}
    sweep = Sweep(pass_slices=50)
    for call in range(20_000):
        t = float(call)
        states[f"a{call}"] = _State(t)
        states[f"b{call}"] = _State(t)
        evict_idle(states, t - 10.0, sweep, 1)  # idle for 10 calls: stale
    # keys added over the last two passes (two a call), at most: a fixed slice of one key a
    # call would have kept ~20,000
    assert len(states) <= 2 * 50 * 2


def test_a_slice_is_a_share_of_a_large_snapshot() -> None:
    states = {f"k{i}": _State(0.0) for i in range(10 * PASS_SLICES)}
    sweep = Sweep()
    assert len(sweep.take(states, 1)) == 10
    assert len(sweep.take(states, 100)) == 10  # the slice is fixed for the whole pass


def _add(states: dict[str, _State], sweep: Sweep, key: str, last: float) -> None:
    """What a tracked dict's owner does when it adds a key."""
    states[key] = _State(last)
    sweep.arrived(key)


def test_a_tracked_sweep_visits_kept_keys_and_arrivals_without_a_snapshot() -> None:
    states: dict[str, _State] = {}
    sweep = Sweep(tracked=True)
    for i in range(5):
        _add(states, sweep, f"k{i}", 10.0)
    assert evict_idle(states, 20.0, sweep, 2) == 2  # the pass of the arrivals: k0, k1
    assert list(states) == ["k2", "k3", "k4"]
    _add(states, sweep, "late", 10.0)  # added during the pass: visited by the next one
    states["k2"].last = 30.0  # renewed before its visit: judged as it is then
    assert evict_idle(states, 20.0, sweep, 2) == 1  # k2 (kept), k3
    assert evict_idle(states, 20.0, sweep, 2) == 1  # k4: the pass ends here
    assert list(states) == ["k2", "late"]
    assert evict_idle(states, 20.0, sweep, 2) == 1  # a new pass: late, then k2 (kept)
    assert list(states) == ["k2"]
    states["k2"].last = 10.0
    assert evict_idle(states, 20.0, sweep, 2) == 1  # k2 came back for this pass
    assert states == {}
    assert evict_idle(states, 20.0, sweep, 2) == 0  # nothing left to visit
    assert sweep.take(states, 2) == []


def test_a_tracked_sweep_keeps_up_however_fast_keys_arrive() -> None:
    """As the snapshot sweep: each pass ends within ``pass_slices`` steps."""
    states: dict[str, _State] = {}
    sweep = Sweep(pass_slices=50, tracked=True)
    for call in range(20_000):
        t = float(call)
        _add(states, sweep, f"a{call}", t)
        _add(states, sweep, f"b{call}", t)
        evict_idle(states, t - 10.0, sweep, 1)
    assert len(states) <= 2 * 50 * 2


def test_a_tracked_step_visits_its_slice_only() -> None:
    """No step visits more than its slice (no snapshot of the whole dict), and the last
    pass's list of keys is let go a slice per step, not all at once."""
    states: dict[str, _State] = {}
    sweep = Sweep(pass_slices=10, tracked=True)
    for i in range(1_000):
        _add(states, sweep, f"k{i}", 50.0)
    sizes = [len(sweep.take(states, 1)) for _ in range(10)]  # a pass of 1,000: 100 a step
    assert sizes == [100] * 10
    kept = sweep.kept()
    assert kept is not None
    kept.extend(states)  # the visits kept them all
    assert len(sweep.take(states, 1)) == 100  # the next pass: same slice
    assert len(sweep._spent) == 900  # the walked pass's list, less one slice


def test_a_key_dropped_elsewhere_is_let_go_at_its_visit() -> None:
    states: dict[str, _State] = {}
    sweep = Sweep(tracked=True)
    _add(states, sweep, "gone", 50.0)
    _add(states, sweep, "here", 50.0)
    del states["gone"]
    assert evict_idle(states, 20.0, sweep, 5) == 0  # gone: not kept; here: kept
    assert sweep.take(states, 5) == ["here"]
