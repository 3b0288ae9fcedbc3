"""Replicated detector windows, in process: two states over one Redis stream stay equal."""

from __future__ import annotations

import pytest
import redis
from tests.services import redis_url, unique_key

from ringfence.core.detectors.params import DetectorParams
from ringfence.core.live import LiveState
from ringfence.core.types import Disposition, Ingress
from ringfence.server.shared_live import RedisEventLog, ReplicatedLiveState

T0 = 1_900_000_000.0
VICTIM = "+8613800000001"


@pytest.fixture
def pair() -> tuple[ReplicatedLiveState, ReplicatedLiveState]:
    url = redis_url()
    key = unique_key("ringfence:test:live")
    states = tuple(
        ReplicatedLiveState(DetectorParams(), RedisEventLog(url, key=key)) for _ in range(2)
    )
    yield states  # type: ignore[misc]
    redis.Redis.from_url(url).delete(key)


def test_alternate_events_give_both_the_windows_of_one(
    pair: tuple[ReplicatedLiveState, ReplicatedLiveState],
) -> None:
    alone = LiveState(DetectorParams())
    for i in range(12):
        state = pair[i % 2]
        state.sync()
        caller, t = f"+86171000000{i:02d}", T0 + 10 * i
        for live in (state, alone):
            live.on_attempt(caller, VICTIM, t, Ingress.INTERCONNECT, "")
            live.on_end(caller, VICTIM, t, 2000, 0, Disposition.CANCELLED, Ingress.INTERCONNECT, "")
        state.flush()
        state.ledger.record("E1", VICTIM, 42)
        made = i + 1
        state.flush()
    for state in pair:
        state.sync()
        assert state.stats() == alone.stats()
        flags = state.caller_flags("+8617199999999", VICTIM, T0 + 130, Ingress.INTERCONNECT, "")
        assert [f.reason for f in flags] == ["CALL_BOMBING"]
        assert state.ledger.count("E1", VICTIM, 42) == made
