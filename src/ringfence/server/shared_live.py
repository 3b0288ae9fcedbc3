"""Detector windows shared by several ``serve`` processes through Redis.

Design: a replicated state machine. The detectors (``ringfence.core.detectors``) stay as they
are, in each process's memory; what is shared is the *sequence of events* that feeds them.
Every event a process produces — an attempt counted, a call end, a marketing call put through
(the frequency cap's ledger) — is appended to one Redis stream, and every process applies
every event of the stream in the stream's order. The detectors are deterministic functions of
their event sequence (no clock, no randomness), so all processes hold the same windows and
reach the same verdicts as one process fed all the events: exactly the same counting
semantics, thresholds and hold times, with ``ringfence.core`` untouched and free of Redis.

Per request a process makes two round trips: :meth:`ReplicatedLiveState.sync` (``XRANGE``
after the last entry it applied) before deciding, and :meth:`ReplicatedLiveState.flush` (one
Lua script: append the request's events and return any entry another process appended in
between) after. When requests of different processes truly overlap, the entries appended in
between are applied by this process after its own events and by the others before them: the
windows' counts are the same either way (they add up), only the order of the few most recent
events of a key may differ for that moment. Sequential traffic (each request answered before
the next is sent, whichever process takes it) gives exactly one order everywhere.

Crowd reports are not replicated here: they are written to the registry, whose change feed
reaches every process already.

The stream is capped at ``maxlen`` entries (approximately, as Redis trims whole nodes); a
process that starts replays the stream, so a newcomer holds the windows of the last
``maxlen`` events.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from ringfence.core.detectors.params import DetectorParams
from ringfence.core.live import LiveState
from ringfence.core.marketing import MarketingLedger
from ringfence.core.types import Disposition, Ingress

# Append the events (ARGV[3..]) after returning what others appended since ARGV[1]:
# one atomic step, so no entry can slip between what we read and what we write.
_FLUSH = """
local foreign = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')
local last = ARGV[1]
for i = 3, #ARGV do
  last = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[i])
end
return {foreign, last}
"""

_ATTEMPT, _END, _LEDGER = "a", "e", "m"
Entry = tuple[str, str]  # (stream id, event JSON)


class RedisEventLog:
    """The shared stream of detector events: read after an id, append atomically."""

    def __init__(self, url: str, *, key: str = "ringfence:live", maxlen: int = 1_000_000) -> None:
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.key = key
        self.maxlen = maxlen
        self._flush = self.client.register_script(_FLUSH)

    def read_after(self, last_id: str) -> list[Entry]:
        """Entries after ``last_id`` in stream order."""
        raw: list[Any] = self.client.xrange(self.key, f"({last_id}", "+")  # type: ignore[assignment]
        return _entries(raw)

    def append(self, last_id: str, events: list[str]) -> tuple[list[Entry], str]:
        """Append ``events``; returns the entries others appended after ``last_id`` before
        them, and the id of the last event appended."""
        foreign, last = self._flush(keys=[self.key], args=[last_id, self.maxlen, *events])
        return _entries(foreign), str(last)


def _entries(raw: list[Any]) -> list[Entry]:
    return [
        (entry_id, fields["e"] if isinstance(fields, dict) else fields[1])
        for entry_id, fields in raw
    ]


class ReplicatedLedger(MarketingLedger):
    """The frequency cap's ledger whose records are replicated like the detectors' events."""

    def __init__(self, live: ReplicatedLiveState) -> None:
        super().__init__()
        self._live = live

    def record(self, enterprise_id: str, callee: str, day: int) -> None:
        super().record(enterprise_id, callee, day)
        self._live.pending.append(json.dumps([_LEDGER, enterprise_id, callee, day]))

    def replay(self, enterprise_id: str, callee: str, day: int) -> None:
        """Apply a record another process made."""
        super().record(enterprise_id, callee, day)


class ReplicatedLiveState(LiveState):
    """A :class:`LiveState` whose events are shared through a :class:`RedisEventLog`.

    Give the screener both this and its :attr:`ledger`; call :meth:`sync` before screening or
    observing and :meth:`flush` after (the service holding the screener does).
    """

    def __init__(self, params: DetectorParams, log: RedisEventLog) -> None:
        super().__init__(params)
        self.log = log
        self.ledger = ReplicatedLedger(self)
        self.pending: list[str] = []
        self.last_id = "0-0"

    # -- events made here: applied now, shared at flush ---------------------------------------
    def on_attempt(
        self, caller: str, callee: str, t: float, ingress: Ingress, trunk_id: str
    ) -> None:
        super().on_attempt(caller, callee, t, ingress, trunk_id)
        self.pending.append(json.dumps([_ATTEMPT, caller, callee, t, ingress, trunk_id]))

    def on_end(
        self,
        end_caller: str,
        end_callee: str,
        start: float,
        ring_ms: int,
        talk_ms: int,
        disposition: Disposition,
        ingress: Ingress,
        trunk_id: str,
    ) -> None:
        super().on_end(
            end_caller, end_callee, start, ring_ms, talk_ms, disposition, ingress, trunk_id
        )
        event = [_END, end_caller, end_callee, start, ring_ms, talk_ms, disposition, ingress]
        self.pending.append(json.dumps([*event, trunk_id]))

    # -- sharing ------------------------------------------------------------------------------
    def sync(self) -> int:
        """Apply what other processes appended since the last sync or flush; returns how many."""
        entries = self.log.read_after(self.last_id)
        self._apply(entries)
        return len(entries)

    def flush(self) -> int:
        """Share the events made since the last flush; returns how many foreign ones applied."""
        if not self.pending:
            return 0
        events, self.pending = self.pending, []
        foreign, last = self.log.append(self.last_id, events)
        self._apply(foreign)
        self.last_id = last
        return len(foreign)

    def _apply(self, entries: list[Entry]) -> None:
        for entry_id, text in entries:
            event = json.loads(text)
            kind = event[0]
            if kind == _ATTEMPT:
                LiveState.on_attempt(
                    self, event[1], event[2], event[3], Ingress(event[4]), event[5]
                )
            elif kind == _END:
                caller, callee, start, ring_ms, talk_ms, disposition, ingress, trunk = event[1:]
                LiveState.on_end(
                    self,
                    caller,
                    callee,
                    start,
                    ring_ms,
                    talk_ms,
                    Disposition(disposition),
                    Ingress(ingress),
                    trunk,
                )
            else:
                self.ledger.replay(event[1], event[2], event[3])
            self.last_id = entry_id
