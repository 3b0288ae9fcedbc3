"""Policy packs: the rules of one regime (hours, caps, actions, thresholds) as data.

A pack is a TOML file. ``cn`` (China's 2018 plan) and ``us`` (TCPA) ship with ringfence;
a carrier may load its own with :func:`load_policy_file`. Every problem in a pack is a
:class:`PolicyError` naming the table, the key and what was expected.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ringfence.core.detectors.params import DetectorParams
from ringfence.core.errors import PolicyError
from ringfence.core.reasons import Reason
from ringfence.core.types import Action, Ingress

INDUSTRIES = ("finance", "real_estate", "medical", "hr", "tourism", "other")
BUILTIN_PACKS = ("cn", "us")

#: Reasons whose action is fixed: they are not decisions a pack can make.
E = TypeVar("E", Action, Ingress)

_FIXED = {Reason.EMERGENCY_EXEMPT: Action.ALLOW, Reason.ALLOWED: Action.ALLOW}


@dataclass(frozen=True, slots=True)
class MarketingRules:
    """Calling hours and caps for one industry (hours: [start, end) minutes after midnight)."""

    hours: tuple[tuple[int, int], ...]
    max_calls_per_callee_per_day: int
    consent_required: bool = True

    def within_hours(self, minute_of_day: int) -> bool:
        """Whether a call at ``minute_of_day`` (callee local) is inside a permitted window."""
        for start, end in self.hours:  # noqa: SIM110 (any() over a generator: 3x slower)
            if start <= minute_of_day < end:
                return True
        return False

    def hours_text(self) -> str:
        """The permitted windows as ``09:00–20:00``."""
        return ", ".join(f"{_hhmm(s)}–{_hhmm(e)}" for s, e in self.hours)


@dataclass(frozen=True, slots=True)
class Policy:
    """One regime's rules, loaded from a pack."""

    name: str
    title: str
    country: str
    default_time_zone: ZoneInfo
    actions: Mapping[Reason, Action]
    marketing: Mapping[str, MarketingRules]
    identity_required_on: frozenset[Ingress]
    attest_c_action: Action
    reputation_label_at: float
    reputation_block_at: float
    detectors: DetectorParams = field(default_factory=DetectorParams)

    def action_for(self, reason: Reason) -> Action:
        """The action this pack takes for ``reason``."""
        return self.actions[reason]

    def marketing_rules(self, industry: str) -> MarketingRules:
        """The rules for ``industry``, falling back to the pack's defaults."""
        return self.marketing.get(industry) or self.marketing["*"]


def load_policy(name: str = "cn") -> Policy:
    """Load a built-in pack by name (``cn`` or ``us``)."""
    if name not in BUILTIN_PACKS:
        raise PolicyError(
            f"unknown policy pack {name!r}: built-in packs are {', '.join(BUILTIN_PACKS)}"
        )
    text = resources.files("ringfence.core.packs").joinpath(f"{name}.toml").read_text("utf-8")
    return parse_policy(text, source=f"pack {name}")


def load_policy_file(path: Path) -> Policy:
    """Load a pack from a TOML file given by its path."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy pack {str(path)!r}: {exc.strerror}") from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str = "policy pack") -> Policy:
    """Parse and validate a pack's TOML text; raises PolicyError naming what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    reader = _Reader(source)
    pack = reader.table(data, "pack")
    marketing_defaults = reader.table(data, "marketing")
    defaults = _marketing_rules(reader, marketing_defaults, "marketing", None)
    marketing: dict[str, MarketingRules] = {"*": defaults}
    for industry, table in reader.table(data, "industries", required=False).items():
        if industry not in INDUSTRIES:
            raise PolicyError(
                f"{source}: [industries.{industry}]: unknown industry; "
                f"expected one of {', '.join(INDUSTRIES)}"
            )
        where = f"industries.{industry}"
        marketing[industry] = _marketing_rules(
            reader, reader.as_table(table, where), where, defaults
        )
    screening = reader.table(data, "screening", required=False)
    auth = reader.table(data, "authentication", required=False)
    reputation = reader.table(data, "reputation", required=False)
    try:
        detectors = DetectorParams.from_mapping(reader.table(data, "detectors", required=False))
    except PolicyError as exc:
        raise PolicyError(f"{source}: {exc}") from None
    return Policy(
        name=reader.string(pack, "pack", "name"),
        title=reader.string(pack, "pack", "title"),
        country=reader.string(pack, "pack", "country"),
        default_time_zone=reader.zone(pack, "pack", "default_time_zone"),
        actions=_actions(reader, reader.table(data, "actions")),
        marketing=marketing,
        identity_required_on=frozenset(
            reader.enum_list(screening, "screening", "identity_required_on", Ingress)
        ),
        attest_c_action=reader.enum(
            auth, "authentication", "attest_c_action", Action, Action.LABEL
        ),
        reputation_label_at=reader.fraction(reputation, "reputation", "label_at", 0.5),
        reputation_block_at=reader.fraction(reputation, "reputation", "block_at", 0.9),
        detectors=detectors,
    )


def _actions(reader: _Reader, table: Mapping[str, Any]) -> dict[Reason, Action]:
    actions: dict[Reason, Action] = dict(_FIXED)
    for key in table:
        try:
            reason = Reason(key)
        except ValueError:
            raise PolicyError(f"{reader.source}: [actions]: unknown reason code {key!r}") from None
        if reason in _FIXED:
            raise PolicyError(f"{reader.source}: [actions]: the action of {key} is fixed")
        actions[reason] = reader.enum(table, "actions", key, Action, None)
    missing = [r.value for r in Reason if r not in actions]
    if missing:
        raise PolicyError(f"{reader.source}: [actions]: no action for {', '.join(missing)}")
    return actions


def _marketing_rules(
    reader: _Reader, table: Mapping[str, Any], where: str, defaults: MarketingRules | None
) -> MarketingRules:
    known = {"hours", "max_calls_per_callee_per_day", "consent_required"}
    for key in table:
        if key not in known:
            raise PolicyError(f"{reader.source}: [{where}]: unknown key {key!r}")
    if "hours" in table:
        hours = reader.hours(table["hours"], where)
    elif defaults is not None:
        hours = defaults.hours
    else:
        raise PolicyError(f"{reader.source}: [{where}]: missing 'hours'")
    cap_default = defaults.max_calls_per_callee_per_day if defaults else None
    cap = reader.integer(table, where, "max_calls_per_callee_per_day", cap_default)
    consent_default = defaults.consent_required if defaults else True
    consent = table.get("consent_required", consent_default)
    if not isinstance(consent, bool):
        raise PolicyError(f"{reader.source}: [{where}]: consent_required must be true or false")
    return MarketingRules(hours, cap, consent)


class _Reader:
    """Typed access to TOML tables with errors that name the source, table and key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> PolicyError:
        return PolicyError(f"{self.source}: [{where}]: {message}")

    def as_table(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, not {type(value).__name__}")
        return value

    def table(self, data: Mapping[str, Any], key: str, required: bool = True) -> Mapping[str, Any]:
        if key not in data:
            if required:
                raise PolicyError(f"{self.source}: missing table [{key}]")
            return {}
        return self.as_table(data[key], key)

    def string(self, table: Mapping[str, Any], where: str, key: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"{key!r} must be a non-empty string, got {value!r}")
        return value

    def zone(self, table: Mapping[str, Any], where: str, key: str) -> ZoneInfo:
        name = self.string(table, where, key)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(where, f"{key!r}: unknown time zone {name!r}") from None

    def integer(self, table: Mapping[str, Any], where: str, key: str, default: int | None) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(where, f"{key!r} must be a non-negative integer, got {value!r}")
        return value

    def fraction(self, table: Mapping[str, Any], where: str, key: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.fail(where, f"{key!r} must be a number in [0, 1], got {value!r}")
        return float(value)

    def enum(
        self, table: Mapping[str, Any], where: str, key: str, kind: type[E], default: E | None
    ) -> E:
        value = table.get(key, default)
        if isinstance(value, kind):
            return value
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in kind)
            raise self.fail(where, f"{key!r}: {value!r} is not one of {allowed}") from None

    def enum_list(self, table: Mapping[str, Any], where: str, key: str, kind: type[E]) -> list[E]:
        values = table.get(key, [])
        if not isinstance(values, list):
            raise self.fail(where, f"{key!r} must be a list")
        return [self.enum({key: v}, where, key, kind, None) for v in values]

    def hours(self, value: Any, where: str) -> tuple[tuple[int, int], ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(
                where, f"'hours' must be a non-empty list of [start, end], got {value!r}"
            )
        windows: list[tuple[int, int]] = []
        for window in value:
            if not (isinstance(window, list) and len(window) == 2):
                raise self.fail(where, f'\'hours\': {window!r} is not a pair ["HH:MM", "HH:MM"]')
            start, end = (_minutes(v, lambda m: self.fail(where, m)) for v in window)
            if start >= end:
                raise self.fail(where, f"'hours': window {window!r} ends before it starts")
            windows.append((start, end))
        return tuple(windows)


def _minutes(value: Any, fail: Any) -> int:
    if isinstance(value, str) and len(value) == 5 and value[2] == ":":
        hh, mm = value[:2], value[3:]
        if hh.isdigit() and mm.isdigit() and int(hh) <= 24 and int(mm) < 60:
            minutes = int(hh) * 60 + int(mm)
            if minutes <= 24 * 60:
                return minutes
    raise fail(f"'hours': {value!r} is not a time HH:MM")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
