"""Robocall pattern detection: automated dialling seen from one calling number's call ends.

Two signatures, per calling number over ``window_s``:

* *dialler* — hundreds of calls, fanned out (each callee other than the previous one), hardly
  answered (answer rate below ``max_answer_rate``) and, when answered, hung up within seconds
  (mean talk below ``max_mean_talk_s``). Both the answer rate and the talk time must be low:
  couriers and banks (answer 60–85 %, talk 20–120 s) and consented call centres (answer
  30–50 %, talk 30–300 s) call many strangers too, and are not robocallers;
* *scanner* — a large share of calls to a callee whose number is within ``max_step`` of the
  previous callee's (dialling through a range); people and call centres dial in no such order;
* *mass calling* — a number that called ``mass_min_callees`` different callees within one to
  two windows (``mass_min_callees_subscriber`` for the carrier's own subscribers, whose
  holders it knows by name and can reach by other means) and never answered a conversation
  (:class:`Conversations`): the high-frequency outbound calling that carriers watch
  personal numbers for (fraud scripts, slow diallers). People who call that many also get
  called; registered enterprise lines are judged by the registry instead (the screener drops
  this flag for them: ``MASS_CALLING``).

Per number the state is one :class:`TwoBucketCounts` of five sums plus the previous callee's
digits and the time of the last call. The rules are evaluated only once the counts could reach
a threshold, so an ordinary caller costs a few additions per call.
"""

from __future__ import annotations

from typing import Final

from mypy_extensions import mypyc_attr

from ringfence.core.detectors import Flag
from ringfence.core.detectors.conversations import Conversations
from ringfence.core.detectors.params import RobocallParams
from ringfence.core.reasons import Reason
from ringfence.core.types import Disposition, Ingress
from ringfence.core.windows import Holds, Sweep, TwoBucketCounts, evict_idle

_CALLS: Final = 0
_FANOUT: Final = 1
_ANSWERED: Final = 2
_TALK_S: Final = 3
_SEQUENTIAL: Final = 4
_SIZE: Final = 5  # quantities per bucket: the previous bucket's sums start at _SIZE
_ZEROS: Final = (0,) * (2 * _SIZE)
#: ``Flag.category`` of a mass-calling flag (not for registered enterprise lines).
MASS_CALLING: Final = "mass_calling"
_ANSWERED_CALL: Final = Disposition.ANSWERED


def number_digits(number: str) -> int:
    """The digits of a number key (``+8613812345678``) as an integer; -1 for any other key.

    ``int`` parses the key directly (it accepts the leading ``+``); what else it tolerates
    (``_`` separators, other scripts' digits) only matters for nonsense keys, which are never
    sequential with a real number anyway.
    """
    try:
        digits = int(number)
    except ValueError:
        return -1
    return digits if digits >= 0 else -1


@mypyc_attr(native_class=False)
class _Dialling(TwoBucketCounts):
    """A calling number's sums over the window, its previous callee and its last call time."""

    __slots__ = ("last", "last_digits")

    def __init__(self, t: float, width: float) -> None:
        self.extend(_ZEROS)  # TwoBucketCounts.__init__ written out (no super() call)
        self.epoch = int(t // width)
        self.last = t
        self.last_digits = -1


class RobocallDetector:
    """Flags calling numbers whose calls look automated."""

    def __init__(self, params: RobocallParams, conversations: Conversations) -> None:
        self.params = params
        # Read on every call end, so held as the detector's own (compiled: native) attributes:
        # params is a plain dataclass, whose attributes are looked up by name.
        self._width = params.window_s
        self._min_calls = params.min_calls
        self._min_sequential = params.min_sequential
        self._max_step = params.max_step
        self.conversations = conversations
        self._callers: dict[str, _Dialling] = {}
        self._flags: Holds[Flag] = Holds()
        self._mass: Holds[Flag] = Holds()
        # callers: tracked (each added key is reported); the holds: snapshots
        self._sweeps = (Sweep(tracked=True), Sweep(), Sweep())
        #: The lower of the two mass-calling thresholds: below it no caller can be flagged.
        self._mass_min = min(params.mass_min_callees, params.mass_min_callees_subscriber)

    def on_end(
        self,
        caller: str,
        callee: str,
        start: float,
        talk_ms: int,
        disposition: Disposition,
        ingress: Ingress = Ingress.INTERCONNECT,
    ) -> None:
        """Learn from one call end (``start`` is when the call was attempted)."""
        width = self._width
        state = self._callers.get(caller)
        if state is None:
            state = self._callers[caller] = _Dialling(start, width)
            self._sweeps[0].arrived(caller)
        digits = number_digits(callee)
        previous = state.last_digits
        new_callee = digits < 0 or digits != previous
        # The sums as a list: compiled, indexing it is a list operation, where indexing the
        # _Dialling (an ordinary Python class) goes through the generic protocol.
        sums: list[float] = state
        # most ends fall in the current bucket: offset() only when not (saves a call)
        i = 0 if int(start // width) == state.epoch else state.offset(start, width)
        if i >= 0:
            sums[i + _CALLS] += 1
            if new_callee:
                sums[i + _FANOUT] += 1
            if disposition is _ANSWERED_CALL:
                sums[i + _ANSWERED] += 1
                sums[i + _TALK_S] += talk_ms // 1000
            if previous >= 0 and digits >= 0 and 0 < abs(digits - previous) <= self._max_step:
                sums[i + _SEQUENTIAL] += 1
        state.last_digits = digits
        if start > state.last:
            state.last = start
        # Cheap gates before the rules: upper bounds (TwoBucketCounts.upper written out, both
        # buckets in full), and mass calling needs a held flag or enough callees.
        if (
            sums[_CALLS] + sums[_SIZE + _CALLS] >= self._min_calls
            or sums[_SEQUENTIAL] + sums[_SIZE + _SEQUENTIAL] >= self._min_sequential
        ):
            self._judge(caller, state, start)
        if new_callee:
            fanout = sums[_FANOUT] + sums[_SIZE + _FANOUT]
            if fanout >= self._mass_min or caller in self._mass:
                self._judge_mass(caller, fanout, start, ingress)

    def _judge_mass(self, caller: str, fanout: float, t: float, ingress: Ingress) -> None:
        """Flag mass calling; a flagged number that goes on calling strangers keeps its flag,
        even when it slows down below the threshold."""
        p = self.params
        held = self._mass.active(caller, t) if caller in self._mass else None
        if held is None:
            minimum = (
                p.mass_min_callees_subscriber
                if ingress is Ingress.SUBSCRIBER
                else p.mass_min_callees
            )
            if fanout < minimum:
                return
            detail = (
                f"{caller}: {fanout:.0f} callees in {p.window_s / 60:g}–"
                f"{2 * p.window_s / 60:g} min, never called back"
            )
            held = Flag(Reason.ROBOCALL_PATTERN, detail, MASS_CALLING)
        self._mass.put(caller, t + p.hold_s, held)

    def _judge(self, caller: str, state: _Dialling, t: float) -> None:
        p = self.params
        est = state.estimate(t, p.window_s)
        calls = est[_CALLS]
        answered = est[_ANSWERED]
        mean_talk = est[_TALK_S] / answered if answered else 0.0
        minutes = f"{p.window_s / 60:g} min"
        if (
            calls >= p.min_calls
            and est[_FANOUT] >= p.min_fanout_share * calls
            and answered < p.max_answer_rate * calls
            and mean_talk < p.max_mean_talk_s
        ):
            detail = (
                f"{caller}: {calls:.0f} calls in {minutes} to {est[_FANOUT]:.0f} callees, "
                f"{answered / calls:.0%} answered, mean talk {mean_talk:.0f} s"
            )
        elif est[_SEQUENTIAL] >= p.min_sequential and est[_SEQUENTIAL] >= (
            p.min_sequential_share * calls
        ):
            detail = (
                f"{caller}: {est[_SEQUENTIAL]:.0f} of {calls:.0f} calls in {minutes} to "
                f"sequential numbers (step <= {p.max_step})"
            )
        else:
            return
        self._flags.put(caller, t + p.hold_s, Flag(Reason.ROBOCALL_PATTERN, detail))

    def caller_flag(self, caller: str, t: float) -> Flag | None:
        """The ROBOCALL_PATTERN flag of ``caller`` at ``t``, or None.

        A mass-calling flag holds only while the caller has not answered a conversation.
        """
        # Runs on every attempt: Holds.active written out (a hold is active until its time).
        held = self._flags.get(caller)
        if held is not None and held[0] >= t:
            return held[1]
        held = self._mass.get(caller)
        if held is not None and held[0] >= t and not self.conversations.received(caller, t):
            return held[1]
        return None

    def evict(self, t: float, budget: int = 0) -> int:
        """Drop callers idle longer than the window and expired flags (``budget``: see
        :meth:`OneRingDetector.evict`)."""
        callers, flags, mass = self._sweeps
        return (
            evict_idle(self._callers, t - self.params.window_s, callers, budget)
            + self._flags.evict(t, flags, budget)
            + self._mass.evict(t, mass, budget)
        )

    def stats(self) -> dict[str, int]:
        """Sizes of the detector's structures."""
        return {
            "robocall_numbers": len(self._callers),
            "robocall_flagged": len(self._flags) + len(self._mass),
        }
