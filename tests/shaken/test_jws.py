"""JWS compact pieces: strict base64url, segment splitting, ES256 r||s signatures."""

from __future__ import annotations

import contextlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given
from hypothesis import strategies as st

from ringfence.shaken.errors import IdentityTooLarge, MalformedToken, SignatureInvalid
from ringfence.shaken.jws import (
    MAX_HEADER_CHARS,
    MAX_TOKEN_CHARS,
    b64url_decode,
    b64url_decode_span,
    b64url_encode,
    der_signature_span,
    der_to_raw,
    raw_to_der,
    sign_compact,
    sign_es256,
    split_compact,
    verify_es256,
)


@given(st.binary(max_size=200))
def test_base64url_round_trip_without_padding(data: bytes) -> None:
    encoded = b64url_encode(data)
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert b64url_decode(encoded, "x") == data


@pytest.mark.parametrize(
    "segment",
    ["YQ==", "a+b/", "ab cd", "abcde", "é", "YR", "ab.c", "a\nb="],
)
def test_base64url_rejects_padding_standard_alphabet_and_junk(segment: str) -> None:
    with pytest.raises(MalformedToken):
        b64url_decode(segment, "header")


@given(st.text(max_size=60))
def test_base64url_decode_raises_only_malformed_token(segment: str) -> None:
    with contextlib.suppress(MalformedToken):
        b64url_decode(segment, "x")


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("a.b", MalformedToken),
        ("a.b.c.d", MalformedToken),
        ("a.b.", MalformedToken),
        ("å.b.c", MalformedToken),
        ("a" * (MAX_HEADER_CHARS + 1) + ".b.c", IdentityTooLarge),
        ("a.b." + "c" * MAX_TOKEN_CHARS, IdentityTooLarge),
    ],
)
def test_split_compact_rejects(token: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        split_compact(token)


def test_split_compact_allows_empty_payload_of_compact_form() -> None:
    assert split_compact("h..s") == ("h", "", "s")


def test_es256_signature_is_64_raw_bytes_and_verifies() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signature = sign_es256(key, b"input")
    assert len(b64url_decode(signature, "sig")) == 64
    verify_es256(key.public_key(), b"input", signature)
    with pytest.raises(SignatureInvalid):
        verify_es256(key.public_key(), b"other", signature)


@pytest.mark.parametrize("size", [0, 63, 65, 72])
def test_es256_signature_of_wrong_size_is_malformed(size: int) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(MalformedToken):
        verify_es256(key.public_key(), b"input", b64url_encode(b"\x01" * size))


def test_es256_signature_of_zeros_is_invalid_not_a_crash() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(SignatureInvalid):
        verify_es256(key.public_key(), b"input", b64url_encode(b"\x00" * 64))


_COORDINATE = st.one_of(
    st.integers(min_value=1, max_value=2**256 - 1),
    st.integers(min_value=1, max_value=2**64),  # leading zero bytes
    st.sampled_from([2**255, 2**255 - 1, 2**248, 2**248 - 1, 0x80, 0x7F]),  # sign-bit edges
)


@given(_COORDINATE, _COORDINATE)
def test_raw_to_der_matches_cryptography_and_round_trips(r: int, s: int) -> None:
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    der = raw_to_der(raw)
    assert der == encode_dss_signature(r, s)
    assert der_to_raw(der) == raw


def test_deterministic_es256_signatures_repeat_and_verify() -> None:
    key = ec.derive_private_key(12345, ec.SECP256R1())
    first = sign_es256(key, b"input", deterministic=True)
    assert first == sign_es256(key, b"input", deterministic=True)
    assert first != sign_es256(key, b"other", deterministic=True)
    assert sign_es256(key, b"input") != sign_es256(key, b"input")  # random nonces
    verify_es256(key.public_key(), b"input", first)


@given(st.text(alphabet="AQgwBb09-_+/=.é ", max_size=12), st.text(max_size=3))
def test_decode_span_agrees_with_decode(segment: str, around: str) -> None:
    value = f"{around}{segment}{around}".encode()
    start = len(around.encode())
    try:
        expected: bytes | None = b64url_decode(segment, "x")
    except MalformedToken:
        expected = None
    assert b64url_decode_span(value, start, start + len(segment.encode())) == expected


@given(st.binary(min_size=64, max_size=64), st.sampled_from(["", "A", "="]))
def test_der_signature_span_is_strict_like_verify(raw: bytes, extra: str) -> None:
    segment = b64url_encode(raw) + extra
    value = f".{segment};".encode()
    der = der_signature_span(value, 1, 1 + len(segment))
    assert der == (raw_to_der(raw) if not extra else None)


def test_der_signature_span_rejects_non_canonical_last_character() -> None:
    segment = b64url_encode(b"\x01" * 64)
    assert segment.endswith("Q")
    tweaked = segment[:-1] + "R"  # the same 64 bytes if spare bits were ignored
    with pytest.raises(MalformedToken):
        b64url_decode(tweaked, "signature")
    assert der_signature_span(tweaked.encode(), 0, len(tweaked)) is None


def test_sign_compact_is_a_verifiable_es256_token() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    header = b64url_encode(b'{"alg":"ES256"}').encode() + b"."
    token = sign_compact(key, header, b'{"a":1}')
    signing_input, signature = token.rsplit(".", 1)
    assert b64url_decode(signing_input.split(".")[1], "payload") == b'{"a":1}'
    verify_es256(key.public_key(), signing_input.encode(), signature)
