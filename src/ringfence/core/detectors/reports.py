"""Crowd reports: numbers that several different people reported as a nuisance.

A number is flagged REPORTED once ``min_reporters`` *distinct* reporters reported it within
``window_s``; a reporter counts once however often it reports (its latest report counts), so
one person reporting a number fifty times cannot get it labelled. The label names the category
reported by most reporters (ties go to the most recently reported); fraud reported by
``fraud_block_reporters`` distinct reporters makes the flag severe (a block).

Memory per number is bounded: only the ``max_reporters`` most recent distinct reporters are
kept (the thresholds only need to know whether the counts reached them). The flag is computed
when a report arrives and again only when the oldest kept report leaves the window, so the
per-call query is a dict look-up.
"""

from __future__ import annotations

import math
from typing import Final

from ringfence.core.detectors import Flag
from ringfence.core.detectors.params import ReportsParams
from ringfence.core.reasons import Reason
from ringfence.core.windows import Sweep, evict_idle

FRAUD: Final = "fraud"


class _Reported:
    """The recent distinct reporters of one number and the flag they add up to."""

    __slots__ = ("by_reporter", "flag", "last", "recheck_at")

    def __init__(self, t: float) -> None:
        self.by_reporter: dict[str, tuple[float, str]] = {}  # reporter -> (time, category)
        self.flag: Flag | None = None
        self.last = t
        self.recheck_at = math.inf  # when the oldest counted report leaves the window


class ReportsDetector:
    """Flags numbers reported by enough distinct people."""

    def __init__(self, params: ReportsParams) -> None:
        self.params = params
        self._numbers: dict[str, _Reported] = {}
        self._sweep = Sweep(tracked=True)  # every number it adds is reported

    def on_report(self, reporter: str, number: str, category: str, t: float) -> None:
        """Record that ``reporter`` reported ``number`` as ``category`` at ``t``."""
        state = self._numbers.get(number)
        if state is None:
            state = self._numbers[number] = _Reported(t)
            self._sweep.arrived(number)
        by_reporter = state.by_reporter
        by_reporter.pop(reporter, None)  # re-inserted as the most recent
        by_reporter[reporter] = (t, category)
        if len(by_reporter) > self.params.max_reporters:
            del by_reporter[next(iter(by_reporter))]
        state.last = max(state.last, t)
        self._judge(state, t)

    def _judge(self, state: _Reported, t: float) -> None:
        p = self.params
        since = t - p.window_s
        counts: dict[str, int] = {}
        latest: dict[str, float] = {}
        oldest = math.inf
        for when, category in state.by_reporter.values():
            if when > since:
                counts[category] = counts.get(category, 0) + 1
                latest[category] = max(latest.get(category, when), when)
                oldest = min(oldest, when)
        state.recheck_at = oldest + p.window_s
        reporters = sum(counts.values())
        if reporters < p.min_reporters:
            state.flag = None
            return
        category = max(counts, key=lambda c: (counts[c], latest[c]))
        fraud = counts.get(FRAUD, 0)
        state.flag = Flag(
            Reason.REPORTED,
            f"reported by {reporters} distinct people in {p.window_s / 86_400:g} days, "
            f"{counts[category]} as {category}"
            + (f", {fraud} as fraud" if fraud and category != FRAUD else ""),
            category=category,
            severe=fraud >= p.fraud_block_reporters,
        )

    def caller_flag(self, number: str, t: float) -> Flag | None:
        """The REPORTED flag of ``number`` at ``t``, or None."""
        state = self._numbers.get(number)
        if state is None:
            return None
        if t >= state.recheck_at:
            self._judge(state, t)
        return state.flag

    def evict(self, t: float, budget: int = 0) -> int:
        """Drop numbers whose latest report left the window (``budget``: see
        :meth:`OneRingDetector.evict`)."""
        return evict_idle(self._numbers, t - self.params.window_s, self._sweep, budget)

    def stats(self) -> dict[str, int]:
        """Sizes of the detector's structures."""
        return {"report_numbers": len(self._numbers)}
