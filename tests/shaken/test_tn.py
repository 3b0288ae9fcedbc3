"""RFC 8224 §8.3 canonical telephone numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidNumber
from ringfence.shaken.tn import canonical_tn, same_tn, uri_user


@pytest.mark.parametrize(
    ("value", "user"),
    [
        ('"Bob" <sip:+1-555-0100@example.com;user=phone>;tag=1', "+1-555-0100"),
        ("tel:+15550100;ext=1", "+15550100"),
        ("sips:15550100@example.com", "15550100"),
        ("SIP:15550100@example.com", "15550100"),
        (" 15550100 ", "15550100"),
    ],
)
def test_uri_user(value: str, user: str) -> None:
    assert uri_user(value) == user


@pytest.mark.parametrize(
    ("value", "country_code", "trunk_prefix", "canonical"),
    [
        ("+1 (555) 123-4567", "", "", "15551234567"),
        ("1.555.123.4567", "", "", "15551234567"),
        ("tel:+86-138-0013-8000", "86", "0", "8613800138000"),
        ("13800138000", "86", "0", "8613800138000"),
        ("010 1234 5678", "86", "0", "861012345678"),
        ("+8613800138000", "86", "0", "8613800138000"),
        ("*67#", "", "", "*67#"),
    ],
)
def test_canonical_tn(value: str, country_code: str, trunk_prefix: str, canonical: str) -> None:
    assert canonical_tn(value, country_code=country_code, trunk_prefix=trunk_prefix) == canonical


@pytest.mark.parametrize("value", ["", "+", "alice", "555-CALL-NOW", "1234567890123456", "١٢٣"])
def test_canonical_tn_rejects(value: str) -> None:
    with pytest.raises(InvalidNumber):
        canonical_tn(value)


@given(st.text(max_size=40), st.sampled_from(["", "86", "1"]))
def test_canonical_tn_is_idempotent_or_rejects(value: str, country_code: str) -> None:
    try:
        once = canonical_tn(value, country_code=country_code)
    except InvalidNumber:
        return
    assert canonical_tn("+" + once) == once
    assert len(once) <= 15


def test_same_tn_compares_canonical_forms_and_never_raises() -> None:
    assert same_tn("15551234567", "sip:+1-555-123-4567@example.com")
    assert not same_tn("15551234567", "15551234568")
    assert not same_tn("15551234567", "not a number")
