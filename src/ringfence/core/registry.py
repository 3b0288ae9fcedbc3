"""The registry snapshot: what the screener knows about numbers, enterprises and people.

The system of record lives in a database (``ringfence.store``); the screener works on this
in-memory snapshot of it, kept current by applying changes in order. Numbers here are
canonical keys (see :class:`ringfence.core.numberplan.NumberInfo.key`); times are epoch seconds.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum

from ringfence.core.errors import RegistryError

ALL_ENTERPRISES = "*"  # a refusal of all marketing, whoever calls


class HolderType(StrEnum):
    CARRIER = "carrier"
    ENTERPRISE = "enterprise"


class Purpose(StrEnum):
    GENERAL = "general"
    MARKETING = "marketing"
    SERVICE = "service"


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An enterprise customer (bound by contract: plan measure 1)."""

    enterprise_id: str
    name: str
    industry: str
    credit_code: str = ""


@dataclass(frozen=True, slots=True)
class Trunk:
    """A voice line of an enterprise customer; ``marketing`` trunks place marketing calls."""

    trunk_id: str
    enterprise_id: str
    carrier: str = ""
    marketing: bool = False


@dataclass(frozen=True, slots=True)
class NumberBlock:
    """A block of numbers ``first``..``last`` (keys of equal length) and who holds it for what."""

    first: str
    last: str
    holder_type: HolderType
    holder_id: str
    purpose: Purpose

    def size(self) -> int:
        return _digits(self.last) - _digits(self.first) + 1


@dataclass(frozen=True, slots=True)
class Sanction:
    """A sanction on an enterprise or a number, in force from ``starts_at`` to ``ends_at``."""

    subject_type: str  # enterprise | number
    subject_id: str
    authority: str
    reason: str
    starts_at: float
    ends_at: float  # math.inf when open-ended


def _digits(key: str) -> int:
    return int(key.lstrip("+"))


class _BlockIndex:
    """Blocks by key length, sorted by first number; answers 'which blocks hold this number'.

    Blocks may nest (an enterprise's sub-block inside its carrier's block), so a lookup walks
    left from the bisection point; results are cached per number because lookups are hot.
    """

    def __init__(self) -> None:
        self._by_len: dict[int, list[tuple[int, int, NumberBlock]]] = {}
        self._starts: dict[int, list[int]] = {}
        self._widest: dict[int, int] = {}
        self._cache: dict[str, tuple[NumberBlock, ...]] = {}

    def add(self, block: NumberBlock) -> None:
        if len(block.first) != len(block.last):
            raise RegistryError(
                f"number block {block.first}..{block.last}: first and last differ in length"
            )
        lo, hi = _digits(block.first), _digits(block.last)
        if lo > hi:
            raise RegistryError(f"number block {block.first}..{block.last}: first is after last")
        length = len(block.first)
        entries = self._by_len.setdefault(length, [])
        entries.append((lo, hi, block))
        entries.sort(key=lambda e: (e[0], -e[1]))
        self._starts[length] = [e[0] for e in entries]
        self._widest[length] = max(self._widest.get(length, 0), hi - lo + 1)
        self._cache.clear()

    def holding(self, key: str) -> tuple[NumberBlock, ...]:
        """Every block that contains ``key``, narrowest first."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found: list[NumberBlock] = []
        length = len(key)
        entries = self._by_len.get(length)
        if entries and key.lstrip("+").isdigit():
            n = _digits(key)
            i = bisect_right(self._starts[length], n) - 1
            floor = n - self._widest[length]
            while i >= 0 and entries[i][0] > floor:
                _lo, hi, block = entries[i]
                if hi >= n:
                    found.append(block)
                i -= 1
            found.sort(key=NumberBlock.size)
        result = tuple(found)
        if len(self._cache) > 1_000_000:
            self._cache.clear()
        self._cache[key] = result
        return result

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_len.values())


class RegistrySnapshot:
    """In-memory indexes of the registry that the checks consult on every call."""

    def __init__(self) -> None:
        self.enterprises: dict[str, Enterprise] = {}
        self.trunks: dict[str, Trunk] = {}
        self.blocks = _BlockIndex()
        self._consents: dict[tuple[str, str], float] = {}
        self._refusals: dict[tuple[str, str], float] = {}
        self._sanctions: dict[tuple[str, str], list[Sanction]] = {}
        #: Subject ids (numbers and enterprises) with any sanction: a set the screener tests
        #: before it looks a call's subjects up (one membership test instead of two calls).
        self.sanctioned_ids: set[str] = set()
        self.reputation: dict[str, tuple[float, str]] = {}

    # -- writes (the change feed applies these in order) --------------------------------
    def add_enterprise(self, enterprise: Enterprise) -> None:
        self.enterprises[enterprise.enterprise_id] = enterprise

    def add_trunk(self, trunk: Trunk) -> None:
        self.trunks[trunk.trunk_id] = trunk

    def add_block(self, block: NumberBlock) -> None:
        self.blocks.add(block)

    def add_consent(self, enterprise_id: str, number: str, granted_at: float) -> None:
        """Record consent; the latest grant counts (a renewal overrides an earlier refusal)."""
        key = (enterprise_id, number)
        self._consents[key] = max(granted_at, self._consents.get(key, granted_at))

    def add_refusal(self, enterprise_id: str, number: str, refused_at: float) -> None:
        """Record a refusal of ``enterprise_id``'s marketing calls (``*``: all marketing)."""
        key = (enterprise_id, number)
        self._refusals[key] = max(refused_at, self._refusals.get(key, refused_at))

    def add_sanction(self, sanction: Sanction) -> None:
        self._sanctions.setdefault((sanction.subject_type, sanction.subject_id), []).append(
            sanction
        )
        self.sanctioned_ids.add(sanction.subject_id)

    def set_reputation(self, number: str, score: float, reasons: str = "") -> None:
        """Publish an analytics score in [0, 1] for ``number``."""
        self.reputation[number] = (score, reasons)

    # -- reads ---------------------------------------------------------------------------
    def consent_at(self, enterprise_id: str, number: str, t: float) -> float | None:
        """When ``number`` consented to ``enterprise_id``'s marketing, if before ``t``."""
        granted = self._consents.get((enterprise_id, number))
        return granted if granted is not None and granted <= t else None

    def refusal_at(self, enterprise_id: str, number: str, t: float) -> float | None:
        """The latest refusal (specific or of all marketing) in force at ``t``, if any."""
        refusals = self._refusals
        specific = refusals.get((enterprise_id, number))
        general = refusals.get((ALL_ENTERPRISES, number))
        if specific is None and general is None:  # nearly every call: no refusal at all
            return None
        times = [x for x in (specific, general) if x is not None and x <= t]
        return max(times) if times else None

    def sanction(self, subject_type: str, subject_id: str, t: float) -> Sanction | None:
        """A sanction on the subject in force at ``t``, if any."""
        for s in self._sanctions.get((subject_type, subject_id), ()):
            if s.starts_at <= t <= s.ends_at:
                return s
        return None

    def enterprise_holds(self, enterprise_id: str, number: str) -> bool:
        """Whether ``enterprise_id`` holds a block containing ``number``."""
        for b in self.blocks.holding(number):
            if b.holder_type is HolderType.ENTERPRISE and b.holder_id == enterprise_id:
                return True
        return False

    def block_of(self, number: str) -> NumberBlock | None:
        """The narrowest block containing ``number``, if any."""
        held = self.blocks.holding(number)
        return held[0] if held else None

    def counts(self) -> dict[str, int]:
        """How many records of each kind the snapshot holds."""
        return {
            "enterprises": len(self.enterprises),
            "trunks": len(self.trunks),
            "number_blocks": len(self.blocks),
            "consents": len(self._consents),
            "refusals": len(self._refusals),
            "sanctions": sum(len(v) for v in self._sanctions.values()),
            "reputation": len(self.reputation),
        }
