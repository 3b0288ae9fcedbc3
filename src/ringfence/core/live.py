"""The live state the screener consults: every online detector behind one facade.

The screener feeds events in time order — each attempt (:meth:`LiveState.on_attempt`),
each call end (:meth:`LiveState.on_end`), each crowd report (:meth:`LiveState.on_report`) —
and asks for flags on every attempt (:meth:`LiveState.caller_flags`,
:meth:`LiveState.callee_warning`). Numbers are canonical keys, times float epoch seconds.
Everything is deterministic: no clock, no randomness, no string hashing that varies between
processes in any decision.

Memory is proportional to the numbers active within the detectors' windows, not to the calls
seen; :meth:`LiveState.evict` drops what went idle: with a budget, a slice of each structure
per call (the screener's step every few calls); without one, a whole sweep costing O(entries).
"""

from __future__ import annotations

from typing import Final

from mypy_extensions import mypyc_attr

from ringfence.core.detectors import Flag
from ringfence.core.detectors.bombing import VICTIM_PROTECTION, BombingDetector
from ringfence.core.detectors.conversations import Conversations
from ringfence.core.detectors.one_ring import OneRingDetector
from ringfence.core.detectors.params import DetectorParams
from ringfence.core.detectors.reports import ReportsDetector
from ringfence.core.detectors.robocall import MASS_CALLING, RobocallDetector
from ringfence.core.types import Disposition, Ingress

__all__ = ["MASS_CALLING", "VICTIM_PROTECTION", "Flag", "LiveState"]

_ANSWERED: Final = Disposition.ANSWERED
_NO_FLAGS: Final = (None, None, None, None)


@mypyc_attr(allow_interpreted_subclasses=True)  # shared_live replicates it
class LiveState:
    """The online detectors (one-ring, call bombing, robocall, crowd reports) for the screener."""

    def __init__(self, params: DetectorParams) -> None:
        self.params = params
        b = params.bombing
        self.conversations = Conversations(b.relationship_ttl_s, b.conversation_ms)
        self.one_ring = OneRingDetector(params.one_ring)
        self.bombing = BombingDetector(b, self.conversations)
        self.robocall = RobocallDetector(params.robocall, self.conversations)
        self.reports = ReportsDetector(params.reports)

    def on_attempt(
        self, caller: str, callee: str, t: float, ingress: Ingress, trunk_id: str
    ) -> None:
        """Count an attempt at ``t``, whatever its verdict (floods are counted on attempts).

        ``ingress`` and ``trunk_id`` are part of the screener's contract; a flood counts
        whatever the route of its attempts, so they are not used today.
        """
        self.bombing.on_attempt(caller, callee, t)

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
        """Learn from a call end; ``start`` is the time of its attempt."""
        self.one_ring.on_end(end_caller, end_callee, start, ring_ms, disposition, ingress, trunk_id)
        self.robocall.on_end(end_caller, end_callee, start, talk_ms, disposition, ingress)
        self.bombing.on_end(end_caller, end_callee, start, talk_ms, disposition)
        if disposition is _ANSWERED:  # only answered calls can be conversations: saves a call
            self.conversations.on_end(end_caller, end_callee, start, talk_ms, disposition)

    def on_report(self, reporter: str, number: str, category: str, t: float) -> None:
        """Record a crowd report of ``number`` by ``reporter``."""
        self.reports.on_report(reporter, number, category, t)

    def caller_flags(
        self, caller: str, callee: str, t: float, ingress: Ingress, trunk_id: str
    ) -> list[Flag]:
        """The flags on this attempt's calling side at ``t``, in the detectors' order.

        ONE_RING (the number or its origin range), CALL_BOMBING (the caller is a bomber, or
        the callee is under attack and the caller has no prior relationship with it),
        ROBOCALL_PATTERN and REPORTED. Empty for an ordinary call.
        """
        found = (
            self.one_ring.caller_flag(caller, t, ingress, trunk_id),
            self.bombing.caller_flag(caller, callee, t),
            self.robocall.caller_flag(caller, t),
            self.reports.caller_flag(caller, t),
        )
        if found == _NO_FLAGS:  # the ordinary call: one comparison instead of four tests
            return []
        return [flag for flag in found if flag is not None]

    def callee_warning(self, callee: str, t: float) -> Flag | None:
        """A ONE_RING warning when a subscriber calls back a number (or range) flagged one-ring."""
        return self.one_ring.callback_warning(callee, t)

    def evict(self, t: float, budget: int = 0) -> int:
        """Drop state idle at ``t`` for longer than its window; returns how many entries dropped.

        ``budget`` 0 sweeps everything at once; otherwise each structure visits at most
        ``budget`` more keys of an incremental pass (a screener in the call path sweeps a
        slice every few calls instead of pausing for a whole sweep).
        """
        return (
            self.one_ring.evict(t, budget)
            + self.bombing.evict(t, budget)
            + self.robocall.evict(t, budget)
            + self.reports.evict(t, budget)
            + self.conversations.evict(t, budget)
        )

    def stats(self) -> dict[str, int]:
        """Sizes of every structure (numbers, origins, victims, relationships, flags...)."""
        return {
            **self.one_ring.stats(),
            **self.bombing.stats(),
            **self.robocall.stats(),
            **self.reports.stats(),
            "conversation_numbers": len(self.conversations),
        }
