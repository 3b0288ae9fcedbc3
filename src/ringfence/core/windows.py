"""Sliding-window primitives for the online detectors: small, exact where it matters, O(1) memory.

The detectors keep state per active number, so the primitives are chosen for compactness and
for a per-event cost of a few plain-arithmetic operations (no datetime, no per-event objects):

* :class:`TwoBucketCounts` — sums of a few quantities over a sliding window, estimated from two
  fixed buckets of the window's width (the "sliding window counter" of rate limiters):
  ``estimate = current + previous * (1 - elapsed share of the current bucket)``. Memory is two
  short lists whatever the rate. The estimate is exact for steady traffic; for a burst it can
  undercount by up to the previous bucket's share already elapsed (a burst spread evenly over
  exactly one window, straddling a bucket edge, is seen at about 3/4 of its size). Used where a
  ratio over many calls matters more than the exact instant a threshold is crossed.
* :class:`RecentEvents` — the last *capacity* events of one key (time and a tag). "At least *k*
  events within *w*" is then exact for every ``k <= capacity`` (the *k*-th most recent event is
  younger than *w*), in constant memory. Used for floods, where the threshold is the evidence.
* :class:`Holds` — keys flagged until a time (a flag outlives the evidence by a hold time).
* :func:`evict_idle` — drops per-key state idle for longer than its window.

Eviction is a scan, done when the owner calls ``evict`` (periodically), instead of a
re-ordering on every event; it copes with events whose times are slightly out of order (a call
end carries its start time). A whole scan costs O(entries) at once: some 30 ms per 200,000
entries, a pause a server in the call path cannot afford. With a :class:`Sweep` the scan goes
a slice of keys per step instead, so a screener sweeps some keys every so many calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Protocol, TypeVar

from mypy_extensions import mypyc_attr


# A list subclass (one allocation per key): an ordinary Python class when compiled by mypyc.
@mypyc_attr(native_class=False)
class TwoBucketCounts(list[float]):
    """Sliding-window sums of ``size`` quantities, estimated from two fixed buckets.

    The object *is* the list of the ``2 * size`` sums (the current bucket's, then the previous
    bucket's): one allocation per key, and subclasses add their own slots to it. The window's
    width is passed in by the owner (one width serves many keys, so it is not stored per key).
    Bucket ``e`` covers ``[e * width, (e + 1) * width)``.
    """

    __slots__ = ("epoch",)

    def __init__(self, size: int, t: float, width: float) -> None:
        # extend, not super().__init__: a C call, where super() builds an object and looks
        # the method up (a detector creates one per number that starts calling)
        self.extend((0,) * (2 * size))
        self.epoch = int(t // width)

    def offset(self, t: float, width: float) -> int:
        """Where to add an event at ``t``: ``self[offset + i] += amount`` (rolls forward first).

        An event of the previous bucket (slightly out of order) goes to that bucket; an older
        one gets -1 and is to be ignored (its weight in any estimate would be zero).
        """
        e = int(t // width)
        epoch = self.epoch
        if e == epoch:
            return 0
        size = len(self) >> 1
        if e > epoch:
            self[size:] = self[:size] if e == epoch + 1 else (0,) * size
            self[:size] = (0,) * size
            self.epoch = e
            return 0
        return size if e == epoch - 1 else -1

    def estimate(self, t: float, width: float) -> list[float]:
        """The estimated sums over the window ending at ``t`` (``t`` not before the last event)."""
        sums: list[float] = self  # see RecentEvents.add
        size = len(sums) >> 1
        e = int(t // width)
        remaining = 1.0 - (t / width - e)  # share of the previous bucket still inside the window
        if e == self.epoch:
            return [sums[i] + sums[size + i] * remaining for i in range(size)]
        if e == self.epoch + 1:
            return [sums[i] * remaining for i in range(size)]
        return [0.0] * size

    def upper(self, i: int) -> float:
        """An upper bound of quantity ``i`` over any window (both buckets in full): a cheap gate."""
        return self[i] + self[(len(self) >> 1) + i]


@mypyc_attr(native_class=False)
class RecentEvents(list[Any]):
    """The most recent events of one key, in arrival order, each a time and a string tag.

    Stored flat, ``[t0, tag0, t1, tag1, ...]``, in the object itself: one allocation per key.
    The owner passes the capacity on each :meth:`add`, so "at least ``k`` events within ``w``"
    (:meth:`reached`) is exact for any ``k`` up to that capacity.
    """

    __slots__ = ()

    def add(self, t: float, tag: str, capacity: int) -> None:
        """Record an event, forgetting the oldest beyond ``capacity``."""
        # Through a name typed as a list: compiled, these are list operations, where on self
        # (an ordinary Python class) they would go through the generic protocol.
        events: list[Any] = self
        events.append(t)
        events.append(tag)
        if len(events) > 2 * capacity:
            del events[:2]

    def reached(self, k: int, t: float, width: float) -> bool:
        """Whether at least ``k`` of the kept events fall in ``(t - width, t]``."""
        events: list[Any] = self  # see add
        return len(events) >= 2 * k and events[-2 * k] > t - width

    def within(self, t: float, width: float, tag: str | None = None) -> int:
        """How many kept events (with ``tag``, if given) fall in ``(t - width, t]``."""
        events: list[Any] = self  # see add
        since = t - width
        n = 0
        for i in range(len(events) - 2, -1, -2):
            if events[i] <= since:
                break
            if tag is None or events[i + 1] == tag:
                n += 1
        return n

    def retag(self, old: str, new: str) -> bool:
        """Re-tag the most recent event tagged ``old``; False when there is none."""
        events: list[Any] = self  # see add
        for i in range(len(events) - 1, 0, -2):
            if events[i] == old:
                events[i] = new
                return True
        return False

    @property
    def last(self) -> float:
        """Time of the most recent event (the owner never keeps an empty one)."""
        events: list[Any] = self  # see add
        time: float = events[-2]
        return time


V = TypeVar("V")


class Holds(dict[str, tuple[float, V]]):
    """Keys flagged until a time, each with a value (the flag to report): ``key -> (until, value)``.

    A dict, so the hot path can test ``key in holds`` (no Python call) before :meth:`active`.
    """

    __slots__ = ()

    def put(self, key: str, until: float, value: V) -> None:
        """Hold ``key`` until ``until`` with ``value`` (replacing any earlier hold)."""
        self[key] = (until, value)

    def active(self, key: str, t: float) -> V | None:
        """The value held for ``key`` at ``t``, or None when not held (or expired)."""
        entry = self.get(key)
        if entry is None or entry[0] < t:
            return None
        return entry[1]

    def evict(self, t: float, sweep: Sweep | None = None, budget: int = 0) -> int:
        """Drop holds expired before ``t`` (with ``sweep``: among its next ``budget`` keys);
        returns how many."""
        stale = 0
        keys, kept = sweep_keys(self, sweep, budget)
        for key in keys:
            entry = self.get(key)
            if entry is None:
                continue
            if entry[0] < t:
                del self[key]
                stale += 1
            elif kept is not None:
                kept.append(key)
        return stale


#: The most steps one eviction pass takes. With a screener's step every 100 calls, a pass
#: takes at most 200,000 calls: a dict of 10^6 keys gets 500 keys a step.
PASS_SLICES: Final = 2_000


class Sweep:
    """Where an incremental eviction pass over one dict stands.

    A pass visits the dict's keys a slice per step (:func:`sweep_keys`). A visited key is
    judged on its state at the time of the visit, so a key dropped or renewed in between is
    handled right. A slice is at least the caller's budget and at least 1/``pass_slices``
    (:data:`PASS_SLICES`) of the pass: however fast keys arrive, a pass ends within that many
    steps, so idle keys wait at most two passes (a fixed budget alone would fall behind a
    dict gaining more keys per pass than the budget visits: it would grow without bound).

    Which keys a pass visits depends on the mode:

    * by default, a snapshot of the dict's keys taken when the pass begins (keys added since
      wait for the next pass). Taking it is O(keys) at once: 10-30 ms per 10^6 keys, a pause
      the screener takes once per pass. Fine for small dicts (flags);
    * ``tracked``: the owner reports each key it adds to the dict (:meth:`arrived`), and a
      pass visits the keys the previous pass kept and those that arrived since; a visit
      that keeps its key puts it back for the next pass (the list :func:`sweep_keys` returns
      with the slice). No step costs more than its slice, whatever the dict's size: the
      large per-number dicts of the detectors sweep this way. Every key the owner adds must
      be reported, or it is never visited (``tests/core/test_live_sweep.py`` checks each
      detector's).
    """

    __slots__ = (
        "_keys",
        "_later",
        "_next",
        "_pass_slices",
        "_queue",
        "_slice",
        "_spent",
        "tracked",
    )

    def __init__(self, pass_slices: int = PASS_SLICES, *, tracked: bool = False) -> None:
        self._pass_slices = pass_slices
        self.tracked = tracked
        # A tuple: the cycle collector untracks a tuple of strings the first time it meets it,
        # where it traverses a list again in every young and middle collection until the list
        # is promoted (for 10^5-10^6 keys, some 10-30 ms each time).
        self._keys: tuple[str, ...] = ()
        self._next = 0
        self._slice = 0
        # Tracked: three lists that take turns and are never replaced, so the cycle collector
        # promotes them once, empty, and young collections never traverse them again.
        self._queue: list[str] = []  # this pass's keys, visited from _next on
        self._later: list[str] = []  # the next pass's: keys kept by visits, and arrivals
        self._spent: list[str] = []  # the last pass's, emptied a slice per step

    def arrived(self, key: str) -> None:
        """A tracked dict gained ``key`` (call once per key added, not per update)."""
        self._later.append(key)

    def take(self, states: dict[str, Any], budget: int) -> Sequence[str]:
        """The next slice of the pass over ``states`` (a new pass when the previous one is
        done): ``budget`` keys, or more for a pass of over ``budget * pass_slices``."""
        if self.tracked:
            return self._take_tracked(budget)
        start = self._next
        if start >= len(self._keys):
            self._keys = tuple(states)
            self._slice = max(budget, -(-len(self._keys) // self._pass_slices))
            start = 0
        self._next = start + self._slice
        return self._keys[start : self._next]

    def _take_tracked(self, budget: int) -> list[str]:
        start = self._next
        if start >= len(self._queue):
            # The pass is over: the next one visits what it kept and what arrived meanwhile.
            spent = self._spent
            if spent:
                del spent[:]  # what is left of the pass before (little: see below)
            self._spent, self._queue, self._later = self._queue, self._later, spent
            self._slice = max(budget, -(-len(self._queue) // self._pass_slices))
            start = 0
        end = start + self._slice
        self._next = end
        # The walked pass's references go a slice per step (from its end, no moving), not
        # all at once when the list is next reused: that would touch every key again.
        spent = self._spent
        if spent:
            del spent[-self._slice :]
        return self._queue[start:end]

    def kept(self) -> list[str] | None:
        """Where a visit that keeps its key puts it (tracked: the next pass), else None."""
        return self._later if self.tracked else None


def sweep_keys(
    states: dict[str, Any], sweep: Sweep | None, budget: int
) -> tuple[Sequence[str], list[str] | None]:
    """The keys an eviction visits, and where the visit puts the keys it keeps (None: nowhere).

    All of the keys (no ``sweep``, or a ``budget`` of 0), else the next slice of ``sweep``'s
    pass; a tracked sweep wants its kept keys back (see :class:`Sweep`).
    """
    if sweep is None or budget <= 0:
        return list(states), None
    keys = sweep.take(states, budget)
    return keys, sweep.kept()


class Stamped(Protocol):
    """Per-key state that knows the time of its last event."""

    @property
    def last(self) -> float: ...


S = TypeVar("S", bound=Stamped)


def evict_idle(
    states: dict[str, S], cutoff: float, sweep: Sweep | None = None, budget: int = 0
) -> int:
    """Drop every entry whose last event is before ``cutoff`` (with ``sweep``: among its next
    ``budget`` keys); returns how many were dropped."""
    stale = 0
    keys, kept = sweep_keys(states, sweep, budget)
    for key in keys:
        state = states.get(key)
        if state is None:
            continue
        if state.last < cutoff:
            del states[key]
            stale += 1
        elif kept is not None:
            kept.append(key)
    return stale
