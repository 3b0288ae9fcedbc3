"""Every key a detector adds to a tracked dict is reported to its sweep, so incremental
eviction alone empties the detectors once everything has gone idle.

A key added without being reported would never be visited by a tracked sweep (there is no
snapshot of the dict): eviction in steps would keep it for ever while a whole sweep drops it.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.live import LiveState
from ringfence.core.policy import load_policy
from ringfence.core.types import Disposition, Ingress

PARAMS = load_policy("cn").detectors
T0 = 1_551_412_800.0  # 2019-03-01 04:00 UTC
NUMBERS = [f"+86138000{i:05d}" for i in range(12)] + ["+8695588", "12345"]

event = st.tuples(
    st.sampled_from(["attempt", "end", "report"]),
    st.sampled_from(NUMBERS),
    st.sampled_from(NUMBERS),
    st.integers(0, 3_600),  # seconds after T0
    st.sampled_from([0, 1_000, 3_000, 20_000]),  # ring ms
    st.sampled_from([0, 5_000, 120_000]),  # talk ms
    st.sampled_from(list(Disposition)),
    st.sampled_from(list(Ingress)),
)


def _sizes(live: LiveState) -> dict[str, int]:
    return {name: size for name, size in live.stats().items() if size}


@settings(max_examples=60, deadline=None)
@given(st.lists(event, min_size=1, max_size=120))
def test_eviction_in_steps_empties_what_a_whole_sweep_empties(
    events: list[tuple[str, str, str, int, int, int, Disposition, Ingress]],
) -> None:
    stepped, whole = LiveState(PARAMS), LiveState(PARAMS)
    for kind, a, b, dt, ring, talk, disposition, ingress in sorted(events, key=lambda e: e[3]):
        t = T0 + dt
        for live in (stepped, whole):
            if kind == "attempt":
                live.on_attempt(a, b, t, ingress, "")
            elif kind == "end":
                live.on_end(a, b, t, ring, talk, disposition, ingress, "")
            else:
                live.on_report(a, b, "fraud", t)
            live.evict(t, 3)  # a screener's steps, while events arrive
    later = T0 + 90 * 86_400  # every window, hold and memory over (reports: 7 days)
    whole.evict(later)
    for _ in range(400):  # passes of a few keys each: the keys of the last pass and arrivals
        stepped.evict(later, 3)
    assert _sizes(stepped) == _sizes(whole)


def test_the_detectors_per_number_dicts_are_tracked() -> None:
    """The dicts that grow with the numbers seen sweep without snapshots."""
    live = LiveState(dataclasses.replace(PARAMS))
    tracked = [
        live.one_ring._sweeps[0],
        live.one_ring._sweeps[1],
        live.bombing._sweeps[0],
        live.robocall._sweeps[0],
        live.reports._sweep,
        live.conversations._sweep,
    ]
    assert all(sweep.tracked for sweep in tracked)
