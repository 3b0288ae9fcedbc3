"""Parameters of the online detectors: one frozen dataclass per detector, built from a policy pack.

A policy pack configures the detectors with the tables ``[detectors.one_ring]``,
``[detectors.call_bombing]``, ``[detectors.robocall]`` and ``[detectors.reports]``; a key left
out keeps its default. Times are in seconds (``*_s``) or milliseconds (``*_ms``), shares are
fractions in (0, 1], counts are integers. Every value is checked when a dataclass is built, so
a malformed pack fails at load time with a :class:`PolicyError` naming the table and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, get_type_hints

from ringfence.core.errors import PolicyError

_DAY_S = 86_400.0


def _share(default: float) -> Any:
    """A fraction in (0, 1]."""
    return field(default=default, metadata={"max": 1.0})


def _validate(params: Any) -> None:
    """Check types and ranges of every field of a params dataclass, then its own invariants.

    Every parameter is strictly positive; a field declared with :func:`_share` is at most 1.
    Raises PolicyError naming ``[table]``, the key and the reason.
    """
    table = params.TABLE
    hints = get_type_hints(type(params))
    for f in fields(params):
        value = getattr(params, f.name)
        expected = hints[f.name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PolicyError(f"[{table}] {f.name} = {value!r}: expected a number")
        if expected is int and not isinstance(value, int):
            raise PolicyError(f"[{table}] {f.name} = {value!r}: expected an integer")
        if value <= 0:
            raise PolicyError(f"[{table}] {f.name} = {value!r}: must be greater than 0")
        maximum = f.metadata.get("max")
        if maximum is not None and value > maximum:
            raise PolicyError(f"[{table}] {f.name} = {value!r}: must be at most {maximum}")
    for key, reason in params.invariants():
        raise PolicyError(f"[{table}] {key} = {getattr(params, key)!r}: {reason}")


@dataclass(frozen=True, slots=True)
class OneRingParams:
    """One-ring (响一声, wangiri): very short unanswered rings fanned out over many callees.

    A call is *short* when it ended cancelled or no_answer after at most ``max_ring_ms`` of
    ringing. A number is flagged when, in the fast window, it made ``min_calls`` short calls to
    distinct callees that are at least ``min_share`` of all its calls; or likewise in the slow
    window with ``slow_min_calls`` (a slow campaign). An origin (the number's range with the last
    ``range_drop_digits`` digits dropped, plus ingress and trunk) is flagged with the
    ``range_*`` thresholds when at least ``range_min_numbers`` of its numbers took part. A flag
    lasts ``hold_s`` after the last call that supported it (victims call back for hours).
    """

    TABLE: ClassVar[str] = "detectors.one_ring"

    max_ring_ms: int = 5_000
    window_s: float = 600.0
    min_calls: int = 5
    slow_window_s: float = 7_200.0
    slow_min_calls: int = 12
    min_share: float = _share(0.8)
    recent_callees: int = 4
    range_drop_digits: int = 3
    range_min_calls: int = 8
    range_slow_min_calls: int = 10
    range_min_numbers: int = 3
    hold_s: float = 21_600.0

    def __post_init__(self) -> None:
        _validate(self)

    def invariants(self) -> list[tuple[str, str]]:
        """Cross-field problems as (key, reason) pairs; empty when consistent."""
        out = []
        if self.slow_window_s <= self.window_s:
            out.append(("slow_window_s", f"must exceed window_s = {self.window_s}"))
        return out


@dataclass(frozen=True, slots=True)
class BombingParams:
    """Call bombing (呼死你): a callee flooded with attempts from one or many numbers.

    A callee is under attack when it received ``min_attempts`` attempts within ``window_s`` or
    ``long_min_attempts`` within ``long_window_s``, or ``repeat_min_attempts`` within
    ``long_window_s`` from one caller it has no relationship with (attempts that became a
    conversation of at least ``conversation_ms`` are marked, and a callee whose marked share of
    recent attempts reaches ``max_conversation_share`` is a busy line, not a victim). While
    under attack and for ``hold_s`` after, callers without a prior relationship are refused.
    A number that made ``bomber_min_attempts`` of the attempts in the long window is flagged
    for ``bomber_hold_s``.
    Relationships are remembered between ``relationship_ttl_s`` and twice that, at most
    ``max_contacts`` per subscriber and generation.
    """

    TABLE: ClassVar[str] = "detectors.call_bombing"

    window_s: float = 300.0
    min_attempts: int = 10
    long_window_s: float = 1_800.0
    long_min_attempts: int = 20
    hold_s: float = 1_800.0
    conversation_ms: int = 20_000
    max_conversation_share: float = _share(0.3)
    bomber_min_attempts: int = 3
    repeat_min_attempts: int = 8
    bomber_hold_s: float = 7_200.0
    relationship_ttl_s: float = 30 * _DAY_S
    max_contacts: int = 64

    def __post_init__(self) -> None:
        _validate(self)

    def invariants(self) -> list[tuple[str, str]]:
        """Cross-field problems as (key, reason) pairs; empty when consistent."""
        out = []
        if self.long_window_s < self.window_s:
            out.append(("long_window_s", f"must be at least window_s = {self.window_s}"))
        if self.long_min_attempts < self.min_attempts:
            out.append(
                ("long_min_attempts", f"must be at least min_attempts = {self.min_attempts}")
            )
        return out


@dataclass(frozen=True, slots=True)
class RobocallParams:
    """Automated dialling: per calling number over ``window_s``.

    *Dialler*: at least ``min_calls`` calls, ``min_fanout_share`` of them to a callee other than
    the previous one, an answer rate below ``max_answer_rate`` and a mean talk time of answered
    calls below ``max_mean_talk_s``. *Scanner*: at least ``min_sequential`` calls (and
    ``min_sequential_share`` of all) to a callee within ``max_step`` of the previous callee's
    number. *Mass calling*: ``mass_min_callees`` callees (each other than the previous one)
    within one to two windows by a number that answered no conversation (the carrier's own
    subscribers: ``mass_min_callees_subscriber``). A flag lasts
    ``hold_s`` after the last call that supported it.
    """

    TABLE: ClassVar[str] = "detectors.robocall"

    window_s: float = 3_600.0
    min_calls: int = 60
    min_fanout_share: float = _share(0.8)
    max_answer_rate: float = _share(0.2)
    max_mean_talk_s: float = 10.0
    max_step: int = 10
    min_sequential: int = 20
    min_sequential_share: float = _share(0.5)
    mass_min_callees: int = 6
    mass_min_callees_subscriber: int = 12
    hold_s: float = 3_600.0

    def __post_init__(self) -> None:
        _validate(self)

    def invariants(self) -> list[tuple[str, str]]:
        """Cross-field problems as (key, reason) pairs; empty when consistent."""
        return []


@dataclass(frozen=True, slots=True)
class ReportsParams:
    """Crowd reports: ``min_reporters`` distinct reporters within ``window_s`` flag a number.

    Fraud reported by ``fraud_block_reporters`` distinct reporters asks for a block. Only the
    ``max_reporters`` most recent distinct reporters of a number are kept (the category is the
    most reported among them), so both thresholds must fit in it.
    """

    TABLE: ClassVar[str] = "detectors.reports"

    window_s: float = 7 * _DAY_S
    min_reporters: int = 3
    fraud_block_reporters: int = 3
    max_reporters: int = 16

    def __post_init__(self) -> None:
        _validate(self)

    def invariants(self) -> list[tuple[str, str]]:
        """Cross-field problems as (key, reason) pairs; empty when consistent."""
        needed = max(self.min_reporters, self.fraud_block_reporters)
        if self.max_reporters < needed:
            return [("max_reporters", f"must be at least the thresholds ({needed})")]
        return []


_TABLES: dict[str, type[Any]] = {
    "one_ring": OneRingParams,
    "call_bombing": BombingParams,
    "robocall": RobocallParams,
    "reports": ReportsParams,
}


@dataclass(frozen=True, slots=True)
class DetectorParams:
    """The parameters of every online detector."""

    one_ring: OneRingParams = field(default_factory=OneRingParams)
    bombing: BombingParams = field(default_factory=BombingParams)
    robocall: RobocallParams = field(default_factory=RobocallParams)
    reports: ReportsParams = field(default_factory=ReportsParams)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DetectorParams:
        """Build from a pack's ``[detectors]`` table (sub-tables keyed by detector name).

        Missing tables and keys keep their defaults; an unknown table or key, a value of the
        wrong type or out of range raises PolicyError naming the table, the key and the reason.
        """
        unknown = sorted(set(data) - set(_TABLES))
        if unknown:
            raise PolicyError(
                f"[detectors] unknown table {unknown[0]!r}; expected one of {sorted(_TABLES)}"
            )
        built: dict[str, Any] = {}
        for name, params_cls in _TABLES.items():
            table = data.get(name, {})
            if not isinstance(table, Mapping):
                raise PolicyError(f"[detectors.{name}] must be a table, got {table!r}")
            known = {f.name for f in fields(params_cls)}
            for key in table:
                if key not in known:
                    raise PolicyError(
                        f"[detectors.{name}] unknown key {key!r}; known keys: {sorted(known)}"
                    )
            built[name] = params_cls(**table)
        return cls(
            one_ring=built["one_ring"],
            bombing=built["call_bombing"],
            robocall=built["robocall"],
            reports=built["reports"],
        )

    @property
    def longest_window_s(self) -> float:
        """The longest time any detector keeps state after its last event (windows and holds)."""
        o, b, r, p = self.one_ring, self.bombing, self.robocall, self.reports
        return max(
            o.slow_window_s,
            o.hold_s,
            b.long_window_s,
            b.hold_s,
            b.bomber_hold_s,
            2 * b.relationship_ttl_s,
            r.window_s,
            r.hold_s,
            p.window_s,
        )
