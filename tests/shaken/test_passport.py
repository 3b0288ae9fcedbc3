"""PASSporT decoding: header rules, claim presence and types per ppt, fuzzing."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.shaken.errors import (
    AlgNone,
    AlgUnsupported,
    ClaimMissing,
    ClaimType,
    CritUnsupported,
    MalformedToken,
    PptUnsupported,
    ShakenError,
)
from ringfence.shaken.jws import b64url_encode
from ringfence.shaken.passport import decode_passport, encode_header, encode_json

X5U = "https://certs.example.org/sp.pem"
SHAKEN_CLAIMS: dict[str, Any] = {
    "attest": "A",
    "dest": {"tn": ["15557654321"]},
    "iat": 1_700_000_000,
    "orig": {"tn": "15551234567"},
    "origid": "123e4567-e89b-42d3-a456-426614174000",
}
SHAKEN_HEADER: dict[str, Any] = {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": X5U}


def token(header: Any, claims: Any) -> str:
    """An unsigned token with a dummy signature: decoding does not check signatures."""
    return ".".join(
        [
            b64url_encode(json.dumps(header).encode()),
            b64url_encode(json.dumps(claims).encode()),
            b64url_encode(b"\x01" * 64),
        ]
    )


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def test_decodes_shaken_passport() -> None:
    passport = decode_passport(token(SHAKEN_HEADER, SHAKEN_CLAIMS))
    assert passport.header.ppt == "shaken"
    assert passport.header.x5u == X5U
    assert (passport.orig, passport.dest, passport.iat) == (
        "15551234567",
        ("15557654321",),
        1_700_000_000,
    )
    assert (passport.attest, passport.origid) == ("A", SHAKEN_CLAIMS["origid"])


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (with_(SHAKEN_HEADER, alg="none"), AlgNone),
        (with_(SHAKEN_HEADER, alg="NONE"), AlgNone),
        (with_(SHAKEN_HEADER, alg="RS256"), AlgUnsupported),
        (with_(SHAKEN_HEADER, alg="HS256"), AlgUnsupported),
        (with_(SHAKEN_HEADER, alg=["ES256"]), AlgUnsupported),
        (with_(SHAKEN_HEADER, alg=None), ClaimMissing),
        (with_(SHAKEN_HEADER, typ="JWT"), ClaimType),
        (with_(SHAKEN_HEADER, typ=None), ClaimMissing),
        (with_(SHAKEN_HEADER, ppt="verstat"), PptUnsupported),
        (with_(SHAKEN_HEADER, ppt=7), ClaimType),
        (with_(SHAKEN_HEADER, x5u=None), ClaimMissing),
        (with_(SHAKEN_HEADER, x5u=42), ClaimType),
        (with_(SHAKEN_HEADER, crit=["exp"]), CritUnsupported),
        (with_(SHAKEN_HEADER, crit="ppt"), ClaimType),
        ([1, 2], MalformedToken),
        ("header", MalformedToken),
    ],
)
def test_header_rules(header: Any, error: type[ShakenError]) -> None:
    with pytest.raises(error):
        decode_passport(token(header, SHAKEN_CLAIMS))


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        (with_(SHAKEN_CLAIMS, iat=None), ClaimMissing),
        (with_(SHAKEN_CLAIMS, iat="1700000000"), ClaimType),
        (with_(SHAKEN_CLAIMS, iat=1.7e9), ClaimType),
        (with_(SHAKEN_CLAIMS, iat=True), ClaimType),
        (with_(SHAKEN_CLAIMS, orig=None), ClaimMissing),
        (with_(SHAKEN_CLAIMS, orig="15551234567"), ClaimType),
        (with_(SHAKEN_CLAIMS, orig={"tn": 15551234567}), ClaimType),
        (with_(SHAKEN_CLAIMS, orig={"tn": ""}), ClaimType),
        (with_(SHAKEN_CLAIMS, orig={"tn": "1", "uri": "sip:a@b"}), ClaimType),
        (with_(SHAKEN_CLAIMS, dest=None), ClaimMissing),
        (with_(SHAKEN_CLAIMS, dest={"tn": "15557654321"}), ClaimType),
        (with_(SHAKEN_CLAIMS, dest={"tn": []}), ClaimMissing),
        (with_(SHAKEN_CLAIMS, dest={"tn": [1]}), ClaimType),
        (with_(SHAKEN_CLAIMS, attest=None), ClaimMissing),
        (with_(SHAKEN_CLAIMS, attest="D"), ClaimType),
        (with_(SHAKEN_CLAIMS, attest=["A"]), ClaimType),
        (with_(SHAKEN_CLAIMS, origid=None), ClaimMissing),
        (with_(SHAKEN_CLAIMS, origid=5), ClaimType),
        (["A"], MalformedToken),
        (None, MalformedToken),
    ],
)
def test_shaken_claim_rules(claims: Any, error: type[ShakenError]) -> None:
    with pytest.raises(error):
        decode_passport(token(SHAKEN_HEADER, claims))


def test_base_passport_needs_no_attest() -> None:
    header = with_(SHAKEN_HEADER, ppt=None)
    claims = with_(SHAKEN_CLAIMS, attest=None, origid=None)
    passport = decode_passport(token(header, claims))
    assert passport.header.ppt is None and passport.attest == ""


def test_uri_identities_are_accepted() -> None:
    claims = with_(SHAKEN_CLAIMS, orig={"uri": "sip:alice@example.com"}, dest={"uri": ["sip:b@x"]})
    passport = decode_passport(token(SHAKEN_HEADER, claims))
    assert passport.orig == "sip:alice@example.com" and passport.dest == ("sip:b@x",)


@pytest.mark.parametrize(
    ("div", "error"),
    [({"tn": "15550000000"}, None), (None, ClaimMissing), ({"tn": 1}, ClaimType)],
)
def test_div_passport_rfc8946(div: Any, error: type[ShakenError] | None) -> None:
    header = with_(SHAKEN_HEADER, ppt="div")
    claims = with_(SHAKEN_CLAIMS, attest=None, origid=None, div=div)
    if error is None:
        assert decode_passport(token(header, claims)).div == "15550000000"
    else:
        with pytest.raises(error):
            decode_passport(token(header, claims))


@pytest.mark.parametrize(
    ("ppt", "extra", "error"),
    [
        ("rcd", {"rcd": {"nam": "Bank"}}, None),
        ("rcd", {}, ClaimMissing),
        ("rcd", {"rcd": {"nam": 3}}, ClaimType),
        ("rcd", {"rcd": {"nam": "Bank", "jcd": "x"}}, ClaimType),
        ("rcd", {"rcd": {"nam": "Bank"}, "rcdi": {"/nam": 1}}, ClaimType),
        ("shaken", {"rcd": {"nam": "Bank", "icn": "https://x/i.png"}, "crn": "Refund"}, None),
        ("shaken", {"rcd": {"apn": "Bank"}}, ClaimMissing),
    ],
)
def test_rcd_claims_rfc9795(
    ppt: str, extra: dict[str, Any], error: type[ShakenError] | None
) -> None:
    header = with_(SHAKEN_HEADER, ppt=ppt, crit=["rcdi"] if "rcdi" in extra else None)
    base = SHAKEN_CLAIMS if ppt == "shaken" else with_(SHAKEN_CLAIMS, attest=None, origid=None)
    claims = {**base, **extra}
    if error is None:
        assert decode_passport(token(header, claims)).claims["rcd"] == extra["rcd"]
    else:
        with pytest.raises(error):
            decode_passport(token(header, claims))


def test_encode_header_is_deterministic_json() -> None:
    assert encode_header(X5U, "shaken") == (
        b'{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"' + X5U.encode() + b'"}'
    )
    assert (
        encode_json({"b": 1, "a": {"d": [], "c": "é"}}) == '{"a":{"c":"é","d":[]},"b":1}'.encode()
    )


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(["alg", "typ", "ppt", "x5u", "crit", "x"]), json_values, max_size=5
    ),
    st.dictionaries(
        st.sampled_from(["attest", "dest", "iat", "orig", "origid", "div", "rcd", "rcdi"]),
        json_values,
        max_size=7,
    ),
)
def test_fuzzed_json_shapes_raise_only_shaken_errors(header: Any, claims: Any) -> None:
    with contextlib.suppress(ShakenError):
        decode_passport(token(header, claims))


@given(st.text(max_size=300))
def test_fuzzed_tokens_raise_only_shaken_errors(text: str) -> None:
    with contextlib.suppress(ShakenError):
        decode_passport(text)


def compact_token(claims: dict[str, Any]) -> str:
    """A token whose payload is the deterministic JSON a signer writes (RFC 8225 §9)."""
    return ".".join(
        [
            b64url_encode(encode_json(SHAKEN_HEADER)),
            b64url_encode(encode_json(claims)),
            b64url_encode(b"\x01" * 64),
        ]
    )


_TN = st.one_of(st.from_regex(r"[0-9]{1,15}", fullmatch=True), st.text(min_size=1, max_size=20))


@given(
    attest=st.sampled_from(["A", "B", "C"]),
    orig=_TN,
    dest=st.lists(_TN, min_size=1, max_size=2),
    iat=st.integers(min_value=-(2**40), max_value=2**62),
    origid=st.text(min_size=1, max_size=40),
)
def test_signer_layout_and_general_json_decode_alike(
    attest: str, orig: str, dest: list[str], iat: int, origid: str
) -> None:
    """Payloads in the signer's exact layout take a fast path; it must agree with the JSON
    path on every value, and anything off the layout (escapes, non-digit numbers, two dests,
    negative iat) must still decode through JSON."""
    claims = {"attest": attest, "dest": {"tn": dest}, "iat": iat, "orig": {"tn": orig}}
    claims["origid"] = origid
    for text in (compact_token(claims), token(SHAKEN_HEADER, claims)):
        passport = decode_passport(text)
        assert passport.claims == claims
        fields = (passport.orig, passport.dest, passport.iat, passport.attest, passport.origid)
        assert fields == (orig, tuple(dest), iat, attest, origid)
        assert type(passport.iat) is int


@pytest.mark.parametrize(
    "payload",
    [
        b'{"attest":"A","dest":{"tn":["1555"]},"iat":01,"orig":{"tn":"1555"},"origid":"x"}',
        b'{"attest":"A","dest":{"tn":["1555"]},"iat":1,"orig":{"tn":"1555"},"origid":"x"}x',
        b'{"attest":"D","dest":{"tn":["1555"]},"iat":1,"orig":{"tn":"1555"},"origid":"x"}',
        b'{"attest":"A","dest":{"tn":["1555"]},"iat":1,"orig":{"tn":"1555"},"origid":""}',
    ],
)
def test_near_signer_layouts_are_still_judged(payload: bytes) -> None:
    text = ".".join([b64url_encode(encode_json(SHAKEN_HEADER)), b64url_encode(payload), "AQ"])
    with pytest.raises((MalformedToken, ClaimType)):
        decode_passport(text)
