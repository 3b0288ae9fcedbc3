"""Who has held real conversations lately: the evidence that a number is a person's line.

Two detectors need it. Victim protection lets an *established* caller through (one that held
a conversation of at least ``conversation_ms`` with anyone), because a carrier's memory of who
knows whom starts empty and a contact's first call would otherwise be refused; bombing
platforms dial fresh numbers that never talk. The mass-calling rule spares a number that
*received* a conversation: fraud and robocall lines call out and are never called back.

Per number one packed int: the minute of its last conversation times two, plus one when it
was ever the answering side while remembered. Entries idle longer than ``memory_s`` go.
"""

from __future__ import annotations

from typing import Final

from ringfence.core.types import Disposition
from ringfence.core.windows import Sweep, sweep_keys

_ANSWERED: Final = Disposition.ANSWERED


class Conversations:
    """The numbers that held a conversation within ``memory_s``, and which of them answered one."""

    __slots__ = ("_last", "_memory_min", "_min_talk_ms", "_sweep")

    def __init__(self, memory_s: float, min_talk_ms: int) -> None:
        self._memory_min = memory_s / 60.0
        self._min_talk_ms = min_talk_ms
        self._last: dict[str, int] = {}
        self._sweep = Sweep(tracked=True)  # every number it adds is reported

    def on_end(
        self, caller: str, callee: str, start: float, talk_ms: int, disposition: Disposition
    ) -> None:
        """Learn from a call end: an answered call of ``min_talk_ms`` or more is a conversation."""
        if disposition is not _ANSWERED or talk_ms < self._min_talk_ms:
            return
        minute = int(start // 60) << 1
        last = self._last
        previous = last.get(caller)
        if previous is None:
            last[caller] = minute
            self._sweep.arrived(caller)
        else:
            last[caller] = max(minute | (previous & 1), previous)
        previous = last.get(callee)
        if previous is None:
            last[callee] = minute | 1
            self._sweep.arrived(callee)
        else:
            last[callee] = max(minute, previous) | 1

    def established(self, number: str, t: float) -> bool:
        """Whether ``number`` held a conversation within ``memory_s`` before ``t``."""
        packed = self._last.get(number)
        return packed is not None and (packed >> 1) >= t / 60.0 - self._memory_min

    def received(self, number: str, t: float) -> bool:
        """Whether ``number`` answered a conversation and is still remembered at ``t``."""
        packed = self._last.get(number)
        return (
            packed is not None and packed & 1 == 1 and (packed >> 1) >= t / 60.0 - self._memory_min
        )

    def evict(self, t: float, budget: int = 0) -> int:
        """Forget numbers whose last conversation is older than ``memory_s`` (``budget``: at
        most that many numbers, continuing the last call's pass; 0: all)."""
        cutoff = t / 60.0 - self._memory_min
        last = self._last
        stale = 0
        numbers, kept = sweep_keys(last, self._sweep, budget)
        for number in numbers:
            packed = last.get(number)
            if packed is None:
                continue
            if (packed >> 1) < cutoff:
                del last[number]
                stale += 1
            elif kept is not None:
                kept.append(number)
        return stale

    def __len__(self) -> int:
        return len(self._last)
