"""One-ring (响一声, wangiri) detection: very short unanswered rings fanned out over many callees.

The campaign rings a callee for a second or two and hangs up, hoping to be called back on a
premium number. Evidence comes from call ends: a *short* call ended cancelled or no_answer
after at most ``max_ring_ms`` of ringing; it is *fan-out* when its callee is not among the
last ``recent_callees`` callees this number rang short (re-dialling one person who does not
pick up is not fan-out). Evidence is kept for two kinds of key:

* the calling number — flagged when fan-out calls reach ``min_calls`` in the fast window (or
  ``slow_min_calls`` in the slow window, for campaigns of one call every few minutes) and are
  at least ``min_share`` of all its calls;
* its *origin* — the range (the number with its last ``range_drop_digits`` digits dropped)
  together with ingress and trunk — which catches campaigns rotating through the numbers of a
  rented range, each number ringing only once or twice. The origin needs fan-out from at least
  ``range_min_numbers`` numbers, and the same share test over all the range's calls, so a range
  of ordinary subscribers (who cancel some calls but make mostly normal ones) is never flagged.

Only numbers that made a short call, and origins of such numbers, get state: an ordinary
number costs nothing here until it rings someone briefly. A flag lasts ``hold_s`` after the
last call that supported it; a flagged origin flags every number of it, and anyone calling a
flagged number or range back is warned (:meth:`OneRingDetector.callback_warning`).
"""

from __future__ import annotations

from typing import Final

from ringfence.core.detectors import Flag
from ringfence.core.detectors.params import OneRingParams
from ringfence.core.reasons import Reason
from ringfence.core.types import Disposition, Ingress
from ringfence.core.windows import Holds, Sweep, TwoBucketCounts, evict_idle

_SHORT_ENDS: Final = frozenset({Disposition.CANCELLED, Disposition.NO_ANSWER})

# Quantities counted per window: fan-out calls, all calls, and (origins only) numbers newly
# taking part in fan-out.
_FANOUT: Final = 0
_TOTAL: Final = 1
_NEW_NUMBERS: Final = 2


class _Evidence:
    """Counts of one number or origin over the fast and the slow window."""

    __slots__ = ("counted_at", "fast", "last", "recent", "slow")

    def __init__(self, size: int, t: float, params: OneRingParams) -> None:
        self.fast = TwoBucketCounts(size, t, params.window_s)
        self.slow = TwoBucketCounts(size, t, params.slow_window_s)
        self.last = t
        self.counted_at = -1e18  # when this number last counted as new for its range
        self.recent: list[str] = []  # callees of the latest short calls (numbers only)

    def add(self, t: float, params: OneRingParams, fanout: bool, new_number: bool) -> None:
        """Count one call at ``t`` in both windows."""
        _count(self.fast, t, params.window_s, fanout, new_number)
        _count(self.slow, t, params.slow_window_s, fanout, new_number)
        if t > self.last:
            self.last = t


def _count(counts: TwoBucketCounts, t: float, width: float, fanout: bool, new_number: bool) -> None:
    # most events fall in the current bucket: offset() only when they do not (saves a call)
    i = 0 if int(t // width) == counts.epoch else counts.offset(t, width)
    sums: list[float] = counts  # compiled, list operations (see RecentEvents.add)
    if i >= 0:
        sums[i + _TOTAL] += 1
        if fanout:
            sums[i + _FANOUT] += 1
        if new_number:
            sums[i + _NEW_NUMBERS] += 1


def range_prefix(number: str, drop_digits: int) -> str:
    """The range of a number key: the key without its last ``drop_digits`` characters.

    A key too short to hold a range (some invalid numbers) is its own range. (The per-call
    paths of :class:`OneRingDetector` write this expression out.)
    """
    return number[:-drop_digits] if len(number) > drop_digits + 3 else number


class OneRingDetector:
    """Flags one-ring numbers and origins from call ends; answers for callers and callbacks."""

    def __init__(self, params: OneRingParams) -> None:
        self.params = params
        # Read on every call end and attempt, so held as the detector's own (compiled: native)
        # attributes: params is a plain dataclass, whose attributes are looked up by name.
        self._max_ring_ms = params.max_ring_ms
        self._drop = params.range_drop_digits
        self._numbers: dict[str, _Evidence] = {}
        self._origins: dict[str, _Evidence] = {}
        self._number_flags: Holds[tuple[Flag, Flag]] = Holds()  # (as caller, callback warning)
        self._origin_flags: Holds[Flag] = Holds()
        self._range_warnings: Holds[Flag] = Holds()  # by range prefix, whatever the ingress
        # numbers and origins: tracked (each added key is reported); the flags: snapshots
        self._sweeps = (Sweep(tracked=True), Sweep(tracked=True), Sweep(), Sweep(), Sweep())

    def on_end(
        self,
        caller: str,
        callee: str,
        start: float,
        ring_ms: int,
        disposition: Disposition,
        ingress: Ingress,
        trunk_id: str,
    ) -> None:
        """Learn from one call end (``start`` is when the call was attempted)."""
        p = self.params
        short = ring_ms <= self._max_ring_ms and disposition in _SHORT_ENDS
        number = self._numbers.get(caller)
        if number is None and short:
            number = self._numbers[caller] = _Evidence(2, start, p)
            self._sweeps[0].arrived(caller)
        fanout = new_number = False
        if number is not None:
            if short and callee not in number.recent:
                fanout = True
                # A number counts for its range once per slow window, however often it rings
                # in it: campaigns keep rotating through the same numbers all day.
                new_number = start - number.counted_at >= p.slow_window_s
                if new_number:
                    number.counted_at = start
                number.recent.append(callee)
                if len(number.recent) > p.recent_callees:
                    del number.recent[0]
            number.add(start, p, fanout, False)
            if fanout:
                self._judge_number(caller, number, start)
        origins = self._origins
        if not fanout and not origins:
            return
        drop = self._drop
        prefix = caller[:-drop] if len(caller) > drop + 3 else caller  # range_prefix
        # origin key: concatenation, not an f-string (formatting an enum member runs Python)
        key = prefix + "|" + ingress + "|" + trunk_id
        origin = origins.get(key)
        if origin is None:
            if not fanout:
                return
            origin = origins[key] = _Evidence(3, start, p)
            self._sweeps[1].arrived(key)
        origin.add(start, p, fanout, new_number)
        if fanout:
            self._judge_origin(key, prefix, origin, start, ingress, trunk_id)

    def _fires(
        self, ev: _Evidence, t: float, fast_min: int, slow_min: int, min_numbers: int
    ) -> tuple[list[float], float] | None:
        """The estimates and width of the first window whose thresholds are met.

        ``min_numbers`` (origins only; 0 for a number) is how many numbers must take part.
        """
        p = self.params
        for counts, width, minimum in (
            (ev.fast, p.window_s, fast_min),
            (ev.slow, p.slow_window_s, slow_min),
        ):
            if counts.upper(_FANOUT) < minimum:
                continue  # cheap gate: even both buckets in full are not enough
            est = counts.estimate(t, width)
            fanout = est[_FANOUT]
            if (
                fanout >= minimum
                and fanout >= p.min_share * est[_TOTAL]
                and (not min_numbers or est[_NEW_NUMBERS] >= min_numbers)
            ):
                return est, width
        return None

    def _judge_number(self, caller: str, ev: _Evidence, t: float) -> None:
        p = self.params
        fired = self._fires(ev, t, p.min_calls, p.slow_min_calls, 0)
        if fired is None:
            return
        est, width = fired
        evidence = (
            f"{est[_FANOUT]:.0f} short rings (<= {p.max_ring_ms / 1000:g} s, unanswered) to "
            f"distinct callees in {width / 60:g} min, {_share(est)} of its calls"
        )
        self._number_flags.put(
            caller,
            t + p.hold_s,
            (
                Flag(Reason.ONE_RING, f"{caller}: {evidence}"),
                Flag(Reason.ONE_RING, f"calling back {caller}, flagged for one-ring: {evidence}"),
            ),
        )

    def _judge_origin(
        self, key: str, prefix: str, ev: _Evidence, t: float, ingress: Ingress, trunk_id: str
    ) -> None:
        p = self.params
        fired = self._fires(ev, t, p.range_min_calls, p.range_slow_min_calls, p.range_min_numbers)
        if fired is None:
            return
        est, width = fired
        shown = prefix + "x" * (p.range_drop_digits if prefix else 0)
        via = f"{ingress}, trunk {trunk_id}" if trunk_id else f"{ingress}"
        evidence = (
            f"{est[_FANOUT]:.0f} short rings to distinct callees from {est[_NEW_NUMBERS]:.0f} "
            f"numbers of range {shown} ({via}) in {width / 60:g} min, {_share(est)} of the "
            "range's calls"
        )
        until = t + p.hold_s
        self._origin_flags.put(key, until, Flag(Reason.ONE_RING, evidence))
        self._range_warnings.put(
            prefix,
            until,
            Flag(Reason.ONE_RING, f"calling back a one-ring range: {evidence}"),
        )

    # The two queries run on every attempt: Holds.active and range_prefix are written out
    # (a hold is active while its time is not before ``t``) to save their calls.
    def caller_flag(self, caller: str, t: float, ingress: Ingress, trunk_id: str) -> Flag | None:
        """The ONE_RING flag of ``caller`` at ``t`` (its own or its origin's), or None."""
        held = self._number_flags.get(caller)
        if held is not None and held[0] >= t:
            return held[1][0]
        origin_flags = self._origin_flags
        if not origin_flags:
            return None
        drop = self._drop
        prefix = caller[:-drop] if len(caller) > drop + 3 else caller
        entry = origin_flags.get(prefix + "|" + ingress + "|" + trunk_id)
        return entry[1] if entry is not None and entry[0] >= t else None

    def callback_warning(self, callee: str, t: float) -> Flag | None:
        """A ONE_RING warning when ``callee`` is a flagged number or in a flagged range."""
        held = self._number_flags.get(callee)
        if held is not None and held[0] >= t:
            return held[1][1]
        warnings = self._range_warnings
        if not warnings:
            return None
        drop = self._drop
        entry = warnings.get(callee[:-drop] if len(callee) > drop + 3 else callee)
        return entry[1] if entry is not None and entry[0] >= t else None

    def evict(self, t: float, budget: int = 0) -> int:
        """Drop evidence idle for longer than the slow window and expired flags (``budget``:
        at most that many keys of each structure, continuing the last call's pass; 0: all)."""
        cutoff = t - self.params.slow_window_s
        numbers, origins, number_flags, origin_flags, ranges = self._sweeps
        return (
            evict_idle(self._numbers, cutoff, numbers, budget)
            + evict_idle(self._origins, cutoff, origins, budget)
            + self._number_flags.evict(t, number_flags, budget)
            + self._origin_flags.evict(t, origin_flags, budget)
            + self._range_warnings.evict(t, ranges, budget)
        )

    def stats(self) -> dict[str, int]:
        """Sizes of the detector's structures."""
        return {
            "one_ring_numbers": len(self._numbers),
            "one_ring_origins": len(self._origins),
            "one_ring_flagged_numbers": len(self._number_flags),
            "one_ring_flagged_origins": len(self._origin_flags),
            "one_ring_flagged_ranges": len(self._range_warnings),
        }


def _share(est: list[float]) -> str:
    """The fan-out share of all calls, as a percentage."""
    return f"{est[_FANOUT] / est[_TOTAL]:.0%}" if est[_TOTAL] else "100%"
