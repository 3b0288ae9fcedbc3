"""Call bombing (呼死你) detection and victim protection.

A bombing platform floods one callee with attempts, from one number or from many rotating
numbers, to make the phone unusable. Evidence is counted on *attempts* (most never connect):
each callee keeps its last ``long_min_attempts`` attempts (:class:`RecentEvents`), so "at least
``min_attempts`` within ``window_s``" or "``long_min_attempts`` within ``long_window_s``" is
exact. An attempt that became a real conversation (answered, at least ``conversation_ms`` of
talk) is re-tagged as such: a line whose recent attempts are largely conversations is a busy
line (a shop, a hotline), not a victim, and no protection starts.

While a callee is under attack and for ``hold_s`` after the last flooding attempt, callers
with no prior relationship with it are refused (the flag is severe); its contacts still ring
through, and so do established callers (numbers that held conversations lately: the carrier's
memory of who knows whom starts empty, and bombing platforms dial fresh numbers that never
talk). A number that made ``bomber_min_attempts`` of the flood's attempts is flagged itself
for ``bomber_hold_s``, whoever it calls next, so a bomber moving to the next victim is stopped.
"""

from __future__ import annotations

import math
from typing import Final

from ringfence.core.detectors import Flag
from ringfence.core.detectors.conversations import Conversations
from ringfence.core.detectors.params import BombingParams
from ringfence.core.reasons import Reason
from ringfence.core.types import Disposition
from ringfence.core.windows import Holds, RecentEvents, Sweep, evict_idle

# Tag of an attempt that became a conversation. A number key is stripped text, so it is never
# a single space: the tag cannot collide with a caller.
_TALKED: Final = " "
_ANSWERED: Final = Disposition.ANSWERED
#: ``Flag.category`` of victim protection (a caller refused because its callee is protected).
VICTIM_PROTECTION: Final = "victim_protection"


class Relationships:
    """Who a subscriber knows: the contacts allowed to reach it while it is under attack.

    ``learn(owner, contact)`` records that ``owner`` called ``contact`` or held a conversation
    with it. Memory is bounded twice: each subscriber keeps at most ``max_contacts`` contacts
    per generation, least recently seen first out (an insertion-ordered dict used as an LRU
    set), and generations of ``ttl_s`` rotate, the oldest dropped whole, so a relationship is
    remembered between ``ttl_s`` and ``2 * ttl_s`` after it was last seen.

    Why exact sets rather than a fixed-size Bloom filter: a Bloom filter is smaller for a very
    large population, but its false positives let some bombers through as "contacts", and a
    hash that is stable across processes (needed for reproducible verdicts) costs more per
    event than a dict look-up. Exact sets are deterministic, and their memory grows with the
    subscribers active in two generations, capped per subscriber.
    """

    __slots__ = ("_cap", "_current", "_epoch", "_previous", "_rotate_at", "_ttl")

    def __init__(self, ttl_s: float, max_contacts: int) -> None:
        self._ttl = ttl_s
        self._cap = max_contacts
        self._epoch: int | None = None  # generation of ``_current``; None before any event
        self._rotate_at = -math.inf  # when ``_current`` ends
        self._current: dict[str, dict[str, None]] = {}
        self._previous: dict[str, dict[str, None]] = {}

    def advance(self, t: float) -> int:
        """Rotate generations up to ``t``; returns how many subscribers' contact sets dropped."""
        e = int(t // self._ttl)
        if self._epoch is not None and e <= self._epoch:
            return 0
        dropped = len(self._previous)
        if self._epoch is not None and e == self._epoch + 1:
            self._previous = self._current
        else:
            dropped += len(self._current)
            self._previous = {}
        self._current = {}
        self._epoch = e
        self._rotate_at = (e + 1) * self._ttl
        return dropped

    def learn(self, owner: str, contact: str, t: float) -> None:
        """Record that ``owner`` will accept calls from ``contact`` (seen at ``t``)."""
        if t >= self._rotate_at:
            self.advance(t)
        contacts = self._current.get(owner)
        if contacts is None:
            self._current[owner] = {contact: None}
            return
        contacts.pop(contact, None)  # re-inserted as the most recent
        contacts[contact] = None
        if len(contacts) > self._cap:
            del contacts[next(iter(contacts))]

    def knows(self, owner: str, contact: str) -> bool:
        """Whether ``owner`` has a remembered relationship with ``contact``."""
        contacts = self._current.get(owner)
        if contacts is not None and contact in contacts:
            return True
        contacts = self._previous.get(owner)
        return contacts is not None and contact in contacts

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)


class BombingDetector:
    """Finds flooded callees from attempts, protects them, and flags the bombers."""

    def __init__(self, params: BombingParams, conversations: Conversations) -> None:
        self.params = params
        # Read on every attempt and call end, so held as the detector's own (compiled:
        # native) attributes: params is a plain dataclass, whose attributes are looked up by name.
        self._capacity = params.long_min_attempts
        self._gate = 2 * min(params.min_attempts, params.repeat_min_attempts)
        self._conversation_ms = params.conversation_ms
        self.conversations = conversations
        self.relationships = Relationships(params.relationship_ttl_s, params.max_contacts)
        self._callees: dict[str, RecentEvents] = {}
        self._attacks: Holds[Flag] = Holds()  # victims under protection
        self._bombers: Holds[Flag] = Holds()
        # callees: tracked (each added key is reported); the holds: snapshots
        self._sweeps = (Sweep(tracked=True), Sweep(), Sweep())

    def on_attempt(self, caller: str, callee: str, t: float) -> None:
        """Count one attempt (whatever its verdict) and start protection on a flood."""
        p = self.params
        attempts = self._callees.get(callee)
        if attempts is None:
            attempts = self._callees[callee] = RecentEvents()
            self._sweeps[0].arrived(callee)
        attempts.add(t, caller, self._capacity)
        if len(attempts) < self._gate:
            return  # a cheap gate: too few recent attempts for any rule
        if attempts.reached(p.min_attempts, t, p.window_s) or attempts.reached(
            p.long_min_attempts, t, p.long_window_s
        ):
            self._flood(caller, callee, attempts, t, "")
            return
        # One stranger redialling the same callee over and over, slower than a flood.
        own = attempts.within(t, p.long_window_s, caller)
        if own >= p.repeat_min_attempts and not self.relationships.knows(callee, caller):
            self._flood(caller, callee, attempts, t, f"{own} attempts by {caller}")

    def _flood(
        self, caller: str, callee: str, attempts: RecentEvents, t: float, repeated: str
    ) -> None:
        """A flood threshold is met at ``t``: protect the callee and flag a repeat caller.

        ``repeated`` describes a single caller's redialling when that is what was met.
        """
        p = self.params
        total = attempts.within(t, p.long_window_s)
        if attempts.within(t, p.long_window_s, _TALKED) >= p.max_conversation_share * total:
            return  # a busy line taking real calls, not a victim
        fast = attempts.within(t, p.window_s)
        n, width = (fast, p.window_s) if fast >= p.min_attempts else (total, p.long_window_s)
        flood = f"{repeated or f'{n} attempts'} in {width / 60:g} min"
        self._attacks.put(
            callee,
            t + p.hold_s,
            Flag(
                Reason.CALL_BOMBING,
                f"{callee} is under call bombing ({flood}); the caller has no prior "
                "relationship with it",
                VICTIM_PROTECTION,
                severe=True,
            ),
        )
        own = attempts.within(t, p.long_window_s, caller)
        if own >= p.bomber_min_attempts:
            self._bombers.put(
                caller,
                t + p.bomber_hold_s,
                Flag(
                    Reason.CALL_BOMBING,
                    f"{caller} took part in call bombing of {callee} ({own} of {flood})",
                    severe=True,
                ),
            )

    def on_end(
        self, caller: str, callee: str, start: float, talk_ms: int, disposition: Disposition
    ) -> None:
        """Learn relationships from a call end (``start`` is when the call was attempted).

        The caller knows whoever it called; the callee knows the caller once they held a
        conversation (at least ``conversation_ms``): a victim who picks up a bomber's call
        and hangs up does not make the bomber a contact.
        """
        self.relationships.learn(caller, callee, start)
        if disposition is _ANSWERED and talk_ms >= self._conversation_ms:
            self.relationships.learn(callee, caller, start)
            attempts = self._callees.get(callee)
            if attempts is not None:
                attempts.retag(caller, _TALKED)

    def caller_flag(self, caller: str, callee: str, t: float) -> Flag | None:
        """CALL_BOMBING when ``caller`` is a bomber, or ``callee`` is protected from it."""
        # Runs on every attempt: Holds.active written out (a hold is active until its time).
        held = self._bombers.get(caller)
        if held is not None and held[0] >= t:
            return held[1]
        held = self._attacks.get(callee)
        if (
            held is None
            or held[0] < t
            or self.relationships.knows(callee, caller)
            or self.conversations.established(caller, t)
        ):
            return None
        return held[1]

    def under_attack(self, callee: str, t: float) -> bool:
        """Whether ``callee`` is protected at ``t``."""
        return self._attacks.active(callee, t) is not None

    def evict(self, t: float, budget: int = 0) -> int:
        """Drop attempt histories idle longer than the long window, expired holds, old contacts
        (``budget``: see :meth:`OneRingDetector.evict`)."""
        callees, attacks, bombers = self._sweeps
        return (
            evict_idle(self._callees, t - self.params.long_window_s, callees, budget)
            + self._attacks.evict(t, attacks, budget)
            + self._bombers.evict(t, bombers, budget)
            + self.relationships.advance(t)
        )

    def stats(self) -> dict[str, int]:
        """Sizes of the detector's structures."""
        return {
            "bombing_callees": len(self._callees),
            "bombing_victims": len(self._attacks),
            "bombing_bombers": len(self._bombers),
            "relationship_subscribers": len(self.relationships),
        }
