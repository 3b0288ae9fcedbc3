"""Online behavioural detectors: one-ring, call bombing, robocall pattern and crowd reports.

Each detector is a class fed plain values (canonical number keys, float epoch seconds, ints)
in time order, with no clock and no I/O; :class:`ringfence.core.live.LiveState` combines them
for the screener. A detector answers with :class:`Flag` values, built once when the evidence
changes and returned as is on every query, so the per-call query allocates nothing.

This package module defines only :class:`Flag` (the submodules import it from here).
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.reasons import Reason


@dataclass(frozen=True, slots=True)
class Flag:
    """A detector's conclusion about a number, with the evidence in words.

    ``category`` is set for REPORTED (the most reported category); ``severe`` asks for a block
    instead of a label where the policy distinguishes (call bombing, fraud reports).
    """

    reason: Reason
    detail: str
    category: str = ""
    severe: bool = False
