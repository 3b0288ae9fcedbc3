"""The authentication service: attestation from the registry, origid, deterministic claims."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.errors import InvalidNumber
from ringfence.shaken.errors import ClaimType, X5uScheme
from ringfence.shaken.jws import b64url_decode
from ringfence.shaken.passport import decode_passport, encode_json
from ringfence.shaken.pki import ShakenPki, generate_key
from ringfence.shaken.signer import (
    AuthenticationService,
    CustomerRelation,
    Signer,
    _uuid4_batch,
    attestation,
    new_origid,
)
from ringfence.shaken.verifier import Verifier


@pytest.mark.parametrize(
    ("relation", "gateway", "level"),
    [
        (CustomerRelation.HOLDS_NUMBER, False, "A"),
        (CustomerRelation.KNOWN_CUSTOMER, False, "B"),
        (CustomerRelation.UNKNOWN, False, "C"),
        (CustomerRelation.HOLDS_NUMBER, True, "C"),
    ],
)
def test_attestation(relation: CustomerRelation, gateway: bool, level: str) -> None:
    assert attestation(relation, gateway=gateway) == level


@pytest.mark.parametrize(
    ("customer", "orig", "gateway", "level"),
    [
        ("acme", "15551234567", False, "A"),
        ("acme", "15550000000", False, "B"),
        ("stranger", "15551234567", False, "C"),
        (None, "15551234567", False, "C"),
        ("acme", "15551234567", True, "C"),
    ],
)
def test_authentication_service_asks_the_registry(
    signer: Signer, customer: str | None, orig: str, gateway: bool, level: str
) -> None:
    def registry(customer_id: str, tn: str) -> CustomerRelation:
        if customer_id != "acme":
            return CustomerRelation.UNKNOWN
        return (
            CustomerRelation.HOLDS_NUMBER
            if tn == "15551234567"
            else CustomerRelation.KNOWN_CUSTOMER
        )

    service = AuthenticationService(signer, registry)
    identity = service.identity_for(
        customer_id=customer, orig=orig, dest="15557654321", gateway=gateway
    )
    assert decode_passport(identity.split(";")[0]).attest == level


def test_origid_is_a_fresh_uuid4_per_call(signer: Signer) -> None:
    ids = {decode_passport(signer.sign("1555", "1556", "A")).origid for _ in range(50)}
    assert len(ids) == 50
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", new_origid()
    )


def test_origids_of_a_batch_are_distinct_uuid4s() -> None:
    ids = [new_origid() for _ in range(1000)]  # several refills of the batch
    assert len(set(ids)) == 1000
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)


def test_deterministic_signer_repeats_tokens_that_verify(
    pki: ShakenPki, verifier: Verifier, now: int
) -> None:
    signer = Signer(pki.sp_key, pki.x5u, deterministic=True)
    tokens = {signer.sign("1555", "1556", "A", origid="o-1", iat=now) for _ in range(3)}
    assert len(tokens) == 1
    verifier.verify(signer.identity(tokens.pop()), orig="1555", dest="1556", now=now)


def test_given_origid_and_iat_are_kept(signer: Signer) -> None:
    passport = decode_passport(signer.sign("1555", "1556", "B", origid="call-7", iat=1_800_000_000))
    assert (passport.origid, passport.iat) == ("call-7", 1_800_000_000)


@given(
    st.text(min_size=1, max_size=20),
    st.lists(
        st.sampled_from(["15557654321", "+86 138 0013 8000", "tel:+44-20-7946-0000"]),
        min_size=1,
        max_size=3,
    ),
)
def test_fast_claims_equal_deterministic_json(origid: str, dests: list[str]) -> None:
    signer = _SIGNER
    token = signer.sign("+1 555 123 4567", dests, "A", origid=origid, iat=1_700_000_000)
    payload = b64url_decode(token.split(".")[1], "payload")
    expected = {
        "attest": "A",
        "dest": {"tn": [signer.canonical(d) for d in dests]},
        "iat": 1_700_000_000,
        "orig": {"tn": "15551234567"},
        "origid": origid,
    }
    assert payload == encode_json(expected)
    assert json.loads(payload) == expected


_SIGNER = Signer(generate_key(), "https://certs.example.org/sp.pem")


def test_extra_claims_are_signed(signer: Signer) -> None:
    token = signer.sign("1555", "1556", "A", extra={"rcd": {"nam": "银行客服"}})
    assert decode_passport(token).claims["rcd"] == {"nam": "银行客服"}


def test_div_passport(signer: Signer) -> None:
    passport = decode_passport(signer.sign_div("15551234567", "15559990000", "15557654321"))
    assert (passport.header.ppt, passport.div, passport.dest) == (
        "div",
        "15557654321",
        ("15559990000",),
    )


@pytest.mark.parametrize(
    ("orig", "attest", "error"),
    [("1555", "D", ClaimType), ("alice", "A", InvalidNumber)],
)
def test_sign_rejects(signer: Signer, orig: str, attest: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        signer.sign(orig, "1556", attest)


def test_signer_needs_https_and_p256(pki: ShakenPki) -> None:
    with pytest.raises(X5uScheme):
        Signer(pki.sp_key, "http://certs.example.org/sp.pem")


@pytest.mark.parametrize("count", [1, 2, 7, 256])
def test_uuid4_batches_of_any_size(count: int) -> None:
    ids = _uuid4_batch(count)
    assert len(ids) == len(set(ids)) == count
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)
