"""The registry snapshot: block look-ups (nested blocks), consents, refusals, sanctions."""

from __future__ import annotations

import math

import pytest

from ringfence.core.errors import RegistryError
from ringfence.core.registry import (
    HolderType,
    NumberBlock,
    Purpose,
    RegistrySnapshot,
    Sanction,
)

CARRIER = NumberBlock("+8613800000000", "+8613800999999", HolderType.CARRIER, "cm", Purpose.GENERAL)
ACME = NumberBlock(
    "+8613800100000", "+8613800100999", HolderType.ENTERPRISE, "acme", Purpose.MARKETING
)
BANK = NumberBlock("+8695588", "+8695588", HolderType.ENTERPRISE, "icbc", Purpose.SERVICE)


@pytest.fixture
def registry() -> RegistrySnapshot:
    r = RegistrySnapshot()
    for block in (CARRIER, ACME, BANK):
        r.add_block(block)
    return r


@pytest.mark.parametrize(
    ("number", "narrowest"),
    [
        ("+8613800100500", ACME),  # nested: the enterprise's sub-block wins
        ("+8613800100000", ACME),
        ("+8613800100999", ACME),
        ("+8613800101000", CARRIER),
        ("+8613800000000", CARRIER),
        ("+8613800999999", CARRIER),
        ("+8613801000000", None),
        ("+8695588", BANK),
        ("+8695589", None),
        ("not-a-number", None),
    ],
)
def test_block_of(registry: RegistrySnapshot, number: str, narrowest: NumberBlock | None) -> None:
    assert registry.block_of(number) == narrowest


def test_enterprise_holds(registry: RegistrySnapshot) -> None:
    assert registry.enterprise_holds("acme", "+8613800100001")
    assert not registry.enterprise_holds("acme", "+8613800200001")
    assert not registry.enterprise_holds("cm", "+8613800100001")  # carriers are not enterprises


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("+861380", "+86138000", "differ in length"),
        ("+8613800000009", "+8613800000001", "after last"),
    ],
)
def test_bad_blocks(first: str, last: str, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        RegistrySnapshot().add_block(
            NumberBlock(first, last, HolderType.CARRIER, "x", Purpose.GENERAL)
        )


def test_consent_only_counts_once_granted() -> None:
    r = RegistrySnapshot()
    r.add_consent("acme", "+8613900000001", 100.0)
    assert r.consent_at("acme", "+8613900000001", 99.0) is None
    assert r.consent_at("acme", "+8613900000001", 100.0) == 100.0
    assert r.consent_at("other", "+8613900000001", 500.0) is None


def test_refusal_specific_and_general() -> None:
    r = RegistrySnapshot()
    r.add_refusal("acme", "+8613900000001", 100.0)
    r.add_refusal("*", "+8613900000002", 200.0)
    assert r.refusal_at("acme", "+8613900000001", 150.0) == 100.0
    assert r.refusal_at("other", "+8613900000001", 150.0) is None
    assert r.refusal_at("anyone", "+8613900000002", 250.0) == 200.0
    assert r.refusal_at("anyone", "+8613900000002", 150.0) is None


def test_sanction_period() -> None:
    r = RegistrySnapshot()
    r.add_sanction(Sanction("enterprise", "acme", "MIIT", "nuisance", 100.0, 200.0))
    r.add_sanction(Sanction("number", "+8613900000001", "MPS", "fraud", 0.0, math.inf))
    assert r.sanction("enterprise", "acme", 150.0) is not None
    assert r.sanction("enterprise", "acme", 250.0) is None
    assert r.sanction("number", "+8613900000001", 1e12) is not None
    assert r.counts()["sanctions"] == 2
