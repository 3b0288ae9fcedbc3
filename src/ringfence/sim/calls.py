"""Calls as the generators make them: simulation time, how calls end, and the call log.

Time inside the simulator is an integer number of seconds since the local midnight the
simulation starts at (Hangzhou time), so "09:00 on day 2" is ``2 * 86400 + 9 * 3600`` and the
local hour of a call is plain arithmetic. ISO strings are made once, when tables are built.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

import numpy as np

from ringfence.core.types import Disposition, Ingress
from ringfence.sim.kinds import KINDS

DAY = 86_400
HOUR = 3_600
Row = dict[str, object]


class Clock:
    """Converts simulation seconds to aware datetimes and ISO 8601 strings in +08:00."""

    def __init__(self, start: datetime, days: int) -> None:
        self.start = start
        self.end = days * DAY
        self._naive = np.datetime64(start.replace(tzinfo=None), "s")
        self._offset = start.isoformat()[19:]
        self._epoch = round(start.timestamp())

    def at(self, day: int, hour: float) -> int:
        """Seconds of ``hour`` (local, may be fractional) on simulation day ``day``."""
        return day * DAY + round(hour * HOUR)

    def epoch(self, t: int) -> int:
        """``t`` as Unix time (seconds), e.g. for a PASSporT ``iat``."""
        return self._epoch + t

    def iso(self, t: int) -> str:
        """``t`` as ``2019-03-01T09:30:00+08:00``."""
        return (self.start + timedelta(seconds=t)).isoformat()

    def iso_many(self, times: list[int]) -> list[str]:
        """Many times as ISO strings at once (numpy formats them; the offset is appended)."""
        local = self._naive + np.asarray(times, dtype="timedelta64[s]")
        return [text + self._offset for text in np.datetime_as_string(local, unit="s").tolist()]


@dataclass(frozen=True)
class CallProfile:
    """How the calls of one sort end.

    ``outcomes`` are ``(disposition, weight, ring_low_s, ring_high_s)``; a disposition may
    appear twice with different ring ranges (most people let a call ring ≥ 3 s before giving
    up, a few hang up at once). Talk time of answered calls is lognormal around
    ``talk_median_s``, clipped to ``talk_range_s``.
    """

    outcomes: tuple[tuple[Disposition, float, float, float], ...]
    talk_median_s: float = 60.0
    talk_sigma: float = 1.0
    talk_range_s: tuple[float, float] = (2.0, 3600.0)
    _cum: list[float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cum", list(accumulate(o[1] for o in self.outcomes)))

    def draw(self, rng: random.Random) -> tuple[int, int, Disposition]:
        """One call's ``(ring_ms, talk_ms, disposition)``."""
        disposition, _, low, high = rng.choices(self.outcomes, cum_weights=self._cum)[0]
        ring_ms = round(rng.uniform(low, high) * 1000)
        talk_ms = 0
        if disposition is Disposition.ANSWERED:
            talk = rng.lognormvariate(math.log(self.talk_median_s), self.talk_sigma)
            talk_ms = round(min(max(talk, self.talk_range_s[0]), self.talk_range_s[1]) * 1000)
        return ring_ms, talk_ms, disposition

    def draw_many(
        self, rng: np.random.Generator, n: int
    ) -> tuple[list[int], list[int], list[Disposition]]:
        """``n`` calls' ring times, talk times and dispositions, drawn at once."""
        weights = np.array([o[1] for o in self.outcomes], dtype=float)
        pick = rng.choice(len(self.outcomes), n, p=weights / weights.sum())
        low = np.array([o[2] for o in self.outcomes])[pick]
        high = np.array([o[3] for o in self.outcomes])[pick]
        ring = np.rint((low + (high - low) * rng.random(n)) * 1000).astype(np.int64)
        answered = np.array([o[0] is Disposition.ANSWERED for o in self.outcomes])[pick]
        talk_s = rng.lognormal(math.log(self.talk_median_s), self.talk_sigma, n)
        talk_s = np.clip(talk_s, *self.talk_range_s)
        talk = np.where(answered, np.rint(talk_s * 1000), 0).astype(np.int64)
        dispositions = [self.outcomes[i][0] for i in range(len(self.outcomes))]
        return ring.tolist(), talk.tolist(), [dispositions[i] for i in pick.tolist()]


def spread(rng: random.Random, start: int, end: int, n: int) -> list[int]:
    """``n`` sorted times drawn uniformly in ``[start, end)``."""
    return sorted(rng.randrange(start, end) for _ in range(n))


class CallLog:
    """Every simulated call with its truth, kept column-wise until the tables are built."""

    def __init__(self) -> None:
        self.t: list[int] = []
        self.caller: list[str] = []
        self.callee: list[str] = []
        self.ingress: list[Ingress] = []
        self.trunk_id: list[str] = []
        self.ring_ms: list[int] = []
        self.talk_ms: list[int] = []
        self.disposition: list[Disposition] = []
        self.kind: list[str] = []

    def __len__(self) -> int:
        return len(self.t)

    def add(
        self,
        t: int,
        caller: str,
        callee: str,
        ingress: Ingress,
        outcome: tuple[int, int, Disposition],
        kind: str,
        trunk_id: str = "",
    ) -> None:
        """Log one call starting at ``t``; ``outcome`` is (ring_ms, talk_ms, disposition)."""
        if kind not in KINDS:
            raise ValueError(f"call kind {kind!r} is not one of KINDS")
        self.t.append(t)
        self.caller.append(caller)
        self.callee.append(callee)
        self.ingress.append(ingress)
        self.trunk_id.append(trunk_id)
        self.ring_ms.append(outcome[0])
        self.talk_ms.append(outcome[1])
        self.disposition.append(outcome[2])
        self.kind.append(kind)

    def extend(
        self,
        t: list[int],
        caller: list[str],
        callee: list[str],
        ingress: list[Ingress],
        outcomes: tuple[list[int], list[int], list[Disposition]],
        kind: list[str],
    ) -> None:
        """Log many calls at once (columns of equal length, no trunk)."""
        if not len(t) == len(caller) == len(callee) == len(ingress) == len(kind):
            raise ValueError("call columns must have equal lengths")
        self.t += t
        self.caller += caller
        self.callee += callee
        self.ingress += ingress
        self.trunk_id += [""] * len(t)
        self.ring_ms += outcomes[0]
        self.talk_ms += outcomes[1]
        self.disposition += outcomes[2]
        self.kind += kind

    def sort(self) -> None:
        """Put calls in start-time order (ties keep the order they were logged in)."""
        order = np.argsort(np.asarray(self.t, dtype=np.int64), kind="stable").tolist()
        for name in vars(self):
            column = getattr(self, name)
            setattr(self, name, [column[i] for i in order])

    def tables(self, clock: Clock, identity: list[str]) -> tuple[list[Row], list[Row]]:
        """The ``cdrs`` and ``truth_calls`` rows, call ids ``c0000001``… in the current order;
        ``identity`` holds each call's Identity header value ("" for none)."""
        width = max(7, len(str(len(self))))
        ids = [f"c{i:0{width}d}" for i in range(1, len(self) + 1)]
        cdrs: list[Row] = [
            {
                "call_id": call_id,
                "start_time": start_time,
                "caller": caller,
                "callee": callee,
                "ingress": str(ingress),
                "trunk_id": trunk,
                "ring_ms": ring,
                "talk_ms": talk,
                "disposition": str(disposition),
                "identity": signed,
            }
            for (
                call_id,
                start_time,
                caller,
                callee,
                ingress,
                trunk,
                ring,
                talk,
                disposition,
                signed,
            ) in zip(
                ids,
                clock.iso_many(self.t),
                self.caller,
                self.callee,
                self.ingress,
                self.trunk_id,
                self.ring_ms,
                self.talk_ms,
                self.disposition,
                identity,
                strict=True,
            )
        ]
        truth: list[Row] = [
            {"call_id": call_id, "nuisance": KINDS[kind].nuisance, "kind": kind}
            for call_id, kind in zip(ids, self.kind, strict=True)
        ]
        return cdrs, truth
