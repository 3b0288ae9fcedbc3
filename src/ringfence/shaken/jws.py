"""JWS compact serialisation for ES256, the only algorithm PASSporT allows (RFC 7515, RFC 8225).

Kept small and strict on purpose: base64url without padding and nothing outside its alphabet,
exactly three segments, size limits before any decoding, ``alg`` checked before the key is
touched. Signatures travel as the 64-byte ``r || s`` of JWS, converted from and to the DER
form that OpenSSL speaks.
"""

from __future__ import annotations

import binascii
from hashlib import sha256
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

from ringfence.shaken.errors import IdentityTooLarge, MalformedToken, SignatureInvalid

ES256: Final = "ES256"
#: Upper bounds that keep a hostile header from costing more than a normal one.
MAX_TOKEN_CHARS: Final = 8192
MAX_HEADER_CHARS: Final = 1024
#: ES256 over a SHA-256 digest computed with hashlib: the same signature as hashing inside
#: ``cryptography``, without building its digest object on every call.
_ECDSA_SHA256: Final = ec.ECDSA(Prehashed(hashes.SHA256()))
#: RFC 6979 nonces: the same key and input always give the same signature.
_ECDSA_SHA256_RFC6979: Final = ec.ECDSA(Prehashed(hashes.SHA256()), deterministic_signing=True)
_P256_BYTES: Final = 32
#: Characters of a base64url ES256 signature (64 bytes, unpadded).
SIGNATURE_CHARS: Final = 86
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: One translation does two jobs in one C pass: base64url's ``-_`` become ``+/``, and what is
#: base64 but not base64url (``+``, ``/``, ``=``) becomes ``!``, which strict decoding rejects.
_URL_TO_STRICT = bytes.maketrans(b"-_+/=", b"+/!!!")
_FROM_STANDARD = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", b"", b"==", b"=")
_SPARE_BITS = (0, 0, 0x0F, 0x03)
#: The 6-bit value of each base64url character by byte (other bytes never get this far).
_SEXTET = bytes(_ALPHABET.find(bytes((b,))) & 0x3F for b in range(256))


def b64url_ascii(data: bytes) -> bytes:
    """base64url without padding (RFC 7515 §2), as ASCII bytes."""
    # One translate maps the alphabet and drops the padding and the newline ("=" only ever
    # pads the end); cheaper than passing newline=False, a keyword a C call has to parse.
    return binascii.b2a_base64(data).translate(_FROM_STANDARD, b"=\n")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return b64url_ascii(data).decode()


def b64url_decode_span(ascii_text: bytes, start: int, end: int) -> bytes | None:
    """Strictly decode ``ascii_text[start:end]`` as unpadded base64url, or None if it is not.

    For verifiers that take several segments out of one header value: the value is encoded
    (and checked) once instead of once per segment.
    """
    tail = (end - start) % 4
    if tail == 1:
        return None
    # Unused low bits of the last character must be zero, or two strings decode alike and a
    # token could be altered without touching its signature.
    if tail and _SEXTET[ascii_text[end - 1]] & _SPARE_BITS[tail]:
        return None
    try:
        return binascii.a2b_base64(
            ascii_text[start:end].translate(_URL_TO_STRICT) + _PADDING[tail], strict_mode=True
        )
    except binascii.Error:
        return None


def der_signature_span(ascii_text: bytes, start: int, end: int) -> bytes | None:
    """The DER form of the ES256 signature segment ``ascii_text[start:end]``, or None when it
    is not the 86 canonical base64url characters of 64 bytes (see b64url_decode_span)."""
    if end - start != SIGNATURE_CHARS or _SEXTET[ascii_text[end - 1]] & _SPARE_BITS[2]:
        return None
    try:
        raw = binascii.a2b_base64(
            ascii_text[start:end].translate(_URL_TO_STRICT) + _PADDING[2], strict_mode=True
        )
    except binascii.Error:
        return None
    return raw_to_der(raw)


def b64url_decode(segment: str, what: str) -> bytes:
    """Decode unpadded base64url strictly; :class:`MalformedToken` names ``what`` on failure."""
    raw = segment.encode("ascii", "replace")
    tail = len(raw) % 4
    if tail == 1:
        raise MalformedToken(f"{what}: not unpadded base64url ({segment[:40]!r})")
    try:
        data = binascii.a2b_base64(raw.translate(_URL_TO_STRICT) + _PADDING[tail], strict_mode=True)
    except binascii.Error:
        raise MalformedToken(f"{what}: not unpadded base64url ({segment[:40]!r})") from None
    # Unused low bits of the last character must be zero (see b64url_decode_span).
    if tail and _SEXTET[raw[-1]] & _SPARE_BITS[tail]:
        raise MalformedToken(f"{what}: non-canonical base64url ending {segment[-4:]!r}")
    return data


def split_compact(token: str) -> tuple[str, str, str]:
    """The header, payload and signature segments of a JWS compact token.

    Raises :class:`IdentityTooLarge` beyond the size limits and :class:`MalformedToken` when the
    token is not three dot-separated ASCII segments (the payload may be empty: compact form).
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise IdentityTooLarge(f"token of {len(token)} characters exceeds {MAX_TOKEN_CHARS}")
    if not token.isascii():
        raise MalformedToken("token holds non-ASCII characters")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken(f"a JWS has 3 dot-separated parts, this token has {len(parts)}")
    header, payload, signature = parts
    if len(header) > MAX_HEADER_CHARS:
        raise IdentityTooLarge(f"JWS header of {len(header)} characters exceeds {MAX_HEADER_CHARS}")
    if not signature:
        raise MalformedToken("the signature part is empty")
    return header, payload, signature


def der_to_raw(der: bytes) -> bytes:
    """``r || s`` (32 bytes each) from OpenSSL's DER ``SEQUENCE { INTEGER r, INTEGER s }``.

    By hand rather than via ``decode_dss_signature``: for P-256 the DER is at most 72 bytes
    with one-byte lengths, and building two Python ints costs several times more.
    """
    r_len = der[3]  # r is der[4 : 4 + r_len]; s, the last value, is der[r_len + 5] bytes long
    if r_len | 1 == 33 and der[r_len + 5] | 1 == 33:
        # Both fill 32 bytes (all but about one signature in a hundred): 32 or 33 bytes with
        # a 0x00 sign byte. Their last 32 bytes are the values.
        return der[r_len - 28 : r_len + 4] + der[-_P256_BYTES:]
    if len(der) > 72 or der[0] != 0x30 or der[2] != 0x02:
        r_int, s_int = decode_dss_signature(der)  # not the short form: take the general path
        return r_int.to_bytes(_P256_BYTES, "big") + s_int.to_bytes(_P256_BYTES, "big")
    r = der[4 : 4 + r_len]
    s = der[6 + r_len : 6 + r_len + der[5 + r_len]]
    # INTEGERs are minimal and signed: drop a 0x00 sign byte, left-pad short values.
    return r[-_P256_BYTES:].rjust(_P256_BYTES, b"\0") + s[-_P256_BYTES:].rjust(_P256_BYTES, b"\0")


def _der_heads(r_pad: int, s_pad: int) -> tuple[bytes, bytes]:
    """DER bytes before ``r`` and before ``s`` for full 32-byte values, with sign bytes."""
    r_len, s_len = _P256_BYTES + r_pad, _P256_BYTES + s_pad
    return (
        bytes((0x30, r_len + s_len + 4, 0x02, r_len)) + b"\0" * r_pad,
        bytes((0x02, s_len)) + b"\0" * s_pad,
    )


#: Indexed by (top bit of r) * 2 + (top bit of s): a set top bit needs a 0x00 sign byte.
_DER_HEADS: Final = tuple(_der_heads(r_pad, s_pad) for r_pad in (0, 1) for s_pad in (0, 1))


def raw_to_der(raw: bytes) -> bytes:
    """The DER signature OpenSSL verifies, from JWS ``r || s`` (64 bytes).

    Almost always both values fill 32 bytes, and the DER is then one of four layouts that
    differ only in sign bytes: joined from precomputed heads instead of building two Python
    ints. A value with a leading zero byte takes the general path.
    """
    r_top, s_top = raw[0], raw[_P256_BYTES]
    if not (r_top and s_top):
        return encode_dss_signature(
            int.from_bytes(raw[:_P256_BYTES], "big"), int.from_bytes(raw[_P256_BYTES:], "big")
        )
    r_head, s_head = _DER_HEADS[(r_top >> 7) << 1 | s_top >> 7]
    return r_head + raw[:_P256_BYTES] + s_head + raw[_P256_BYTES:]


def sign_compact(
    key: ec.EllipticCurvePrivateKey,
    header_prefix: bytes,
    payload_json: bytes,
    deterministic: bool = False,
) -> str:
    """The JWS compact serialisation of ``payload_json`` signed with ES256.

    ``header_prefix`` is the encoded protected header and its dot (constant per signer, so
    encoded once by the caller); ``deterministic`` uses RFC 6979 nonces (reproducible output,
    e.g. for simulated traffic) instead of random ones. This runs once per signed call, so
    :func:`b64url_ascii` and the usual case of :func:`der_to_raw` are written out in place.
    """
    signing_input = header_prefix + binascii.b2a_base64(payload_json).translate(
        _FROM_STANDARD, b"=\n"
    )
    algorithm = _ECDSA_SHA256_RFC6979 if deterministic else _ECDSA_SHA256
    der = key.sign(sha256(signing_input).digest(), algorithm)
    r_len = der[3]
    if r_len | 1 == 33 and der[r_len + 5] | 1 == 33:
        raw = der[r_len - 28 : r_len + 4] + der[-_P256_BYTES:]
    else:
        raw = der_to_raw(der)
    signature = binascii.b2a_base64(raw).translate(_FROM_STANDARD, b"=\n")
    return (signing_input + b"." + signature).decode()


def sign_es256(
    key: ec.EllipticCurvePrivateKey, signing_input: bytes, deterministic: bool = False
) -> str:
    """The base64url ``r || s`` ES256 signature of ``signing_input`` (see sign_compact)."""
    algorithm = _ECDSA_SHA256_RFC6979 if deterministic else _ECDSA_SHA256
    der = key.sign(sha256(signing_input).digest(), algorithm)
    return b64url_ascii(der_to_raw(der)).decode()


def verify_es256_der(key: ec.EllipticCurvePublicKey, signing_input: bytes, der: bytes) -> None:
    """Check a DER ES256 signature (from :func:`raw_to_der`): :class:`SignatureInvalid`."""
    try:
        key.verify(der, sha256(signing_input).digest(), _ECDSA_SHA256)
    except InvalidSignature:
        raise SignatureInvalid(
            "the ES256 signature does not verify with the certificate key"
        ) from None


def verify_es256(key: ec.EllipticCurvePublicKey, signing_input: bytes, signature: str) -> None:
    """Check an ES256 signature segment: :class:`SignatureInvalid` or :class:`MalformedToken`."""
    raw = b64url_decode(signature, "signature")
    if len(raw) != 2 * _P256_BYTES:
        raise MalformedToken(f"an ES256 signature has 64 bytes, this one has {len(raw)}")
    verify_es256_der(key, signing_input, raw_to_der(raw))
