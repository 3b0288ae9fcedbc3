"""PASSporTs: the signed claims of RFC 8225, with the SHAKEN (RFC 8588), ``div`` (RFC 8946)
and ``rcd`` (RFC 9795) extensions.

:func:`decode_passport` turns a token into a :class:`Passport` whose header and claims have the
required presence and JSON types; it checks neither the signature nor freshness (that is the
verifier's job, which needs a key and a clock). :func:`encode_claims` and
:func:`encode_header` produce the deterministic JSON of RFC 8225 §9 (keys in lexicographic
order, no whitespace) so that compact-form PASSporTs can be rebuilt byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from json.scanner import make_scanner
from typing import Any, Final, NamedTuple

from ringfence.shaken.errors import (
    AlgNone,
    AlgUnsupported,
    ClaimMissing,
    ClaimType,
    CritUnsupported,
    MalformedToken,
    PptUnsupported,
)
from ringfence.shaken.jws import ES256, b64url_decode, b64url_encode, split_compact

PPT_SHAKEN: Final = "shaken"
PPT_DIV: Final = "div"
PPT_RCD: Final = "rcd"
#: ``None`` is the base PASSporT of RFC 8225 (no ``ppt``).
SUPPORTED_PPTS: Final = frozenset({None, PPT_SHAKEN, PPT_DIV, PPT_RCD})
ATTESTATIONS: Final = frozenset({"A", "B", "C"})
#: Header parameters a ``crit`` list may name: the ones this module validates.
UNDERSTOOD_CRIT: Final = frozenset({"ppt", "rcdi"})
_HEADER_CACHE_LIMIT: Final = 4096


class PassportHeader(NamedTuple):
    """The protected header: ``alg`` is always ES256 once decoded; ``ppt`` None = base type."""

    alg: str
    typ: str
    ppt: str | None
    x5u: str


class Passport(NamedTuple):
    """A decoded PASSporT. ``orig``/``dest`` are ``tn`` values, or URIs when signed as ``uri``.

    ``attest``/``origid`` are empty unless ``ppt`` is shaken; ``div`` is the diverting number
    of a ``div`` PASSporT. ``claims`` is the whole JSON object for extension claims (``rcd``).
    """

    header: PassportHeader
    orig: str
    dest: tuple[str, ...]
    iat: int
    attest: str
    origid: str
    div: str
    claims: Mapping[str, Any]
    signing_input: bytes
    signature: str


def encode_json(value: Mapping[str, Any]) -> bytes:
    """Deterministic JSON (RFC 8225 §9): sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode_header(x5u: str, ppt: str | None) -> bytes:
    """The header JSON of a PASSporT signed with ES256 whose certificate is at ``x5u``."""
    header: dict[str, str] = {"alg": ES256, "typ": "passport", "x5u": x5u}
    if ppt is not None:
        header["ppt"] = ppt
    return encode_json(header)


_scan_json: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _payload_text(segment: str, what: str) -> str:
    try:
        return b64url_decode(segment, what).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedToken(f"{what} is not UTF-8: {exc}") from None


def _parse_object(text: str, what: str) -> dict[str, Any]:
    try:
        try:
            # The C scanner directly: json.loads adds two Python layers around it.
            value, end = _scan_json(text, 0)
            if end != len(text):
                value = json.loads(text)  # trailing whitespace is allowed, anything else fails
        except StopIteration:
            value = json.loads(text)  # leading whitespace, or not JSON: json.loads decides
    except (ValueError, RecursionError) as exc:
        raise MalformedToken(f"{what} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise MalformedToken(f"{what} is JSON {type(value).__name__}, not an object")
    return value


def _load_object(segment: str, what: str) -> dict[str, Any]:
    return _parse_object(_payload_text(segment, what), what)


def _string(obj: Mapping[str, Any], key: str, where: str) -> str:
    if key not in obj:
        raise ClaimMissing(f"{where} lacks {key!r}")
    value = obj[key]
    if not isinstance(value, str) or not value:
        raise ClaimType(f"{where} {key!r} must be a non-empty string, got {value!r:.60}")
    return value


def _object(obj: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    if key not in obj:
        raise ClaimMissing(f"{where} lacks {key!r}")
    value = obj[key]
    if not isinstance(value, dict):
        raise ClaimType(f"{where} {key!r} must be a JSON object, got {value!r:.60}")
    return value


def _parse_header(segment: str) -> PassportHeader:
    obj = _load_object(segment, "PASSporT header")
    alg = obj.get("alg")
    if alg is None:
        raise ClaimMissing("PASSporT header lacks 'alg'")
    if isinstance(alg, str) and alg.lower() == "none":
        raise AlgNone("PASSporT header has alg 'none': unsigned tokens are never accepted")
    if alg != ES256:
        raise AlgUnsupported(f"PASSporT alg must be ES256, got {alg!r:.40}")
    typ = _string(obj, "typ", "PASSporT header")
    if typ != "passport":
        raise ClaimType(f"PASSporT header typ must be 'passport', got {typ!r:.40}")
    ppt = _string(obj, "ppt", "PASSporT header") if "ppt" in obj else None
    if ppt not in SUPPORTED_PPTS:
        raise PptUnsupported(f"PASSporT type {ppt!r:.40} is not supported")
    crit = obj.get("crit")
    if crit is not None:
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            raise ClaimType("PASSporT header 'crit' must be a non-empty list of strings")
        unknown = [c for c in crit if c not in UNDERSTOOD_CRIT]
        if unknown:
            raise CritUnsupported(f"PASSporT header marks {unknown!r:.80} critical")
    return PassportHeader(ES256, typ, ppt, _string(obj, "x5u", "PASSporT header"))


_header_cache: dict[str, PassportHeader] = {}


def decode_header(segment: str) -> PassportHeader:
    """Parse and validate a header segment. Results are memoised: a signer reuses one header."""
    header = _header_cache.get(segment)
    if header is None:
        header = _parse_header(segment)
        if len(_header_cache) >= _HEADER_CACHE_LIMIT:
            _header_cache.clear()  # crude bound; headers repeat per signer, so it refills fast
        _header_cache[segment] = header
    return header


def _identity(claims: Mapping[str, Any], key: str) -> str:
    """The ``tn`` or ``uri`` of ``orig`` or ``div`` (exactly one of them)."""
    obj = claims.get(key)
    if type(obj) is dict and len(obj) == 1:  # fast path: {"tn": "..."}
        value = obj.get("tn")
        if type(value) is str and value:
            return value
    obj = _object(claims, key, "PASSporT")
    has_tn, has_uri = "tn" in obj, "uri" in obj
    if has_tn == has_uri:
        raise ClaimType(f"PASSporT {key!r} must have exactly one of 'tn' and 'uri'")
    return _string(obj, "tn" if has_tn else "uri", f"PASSporT {key!r}")


def _dest(claims: Mapping[str, Any]) -> tuple[str, ...]:
    obj = claims.get("dest")
    if type(obj) is dict and len(obj) == 1:  # fast path: {"tn": ["..."]}
        tns = obj.get("tn")
        if type(tns) is list and len(tns) == 1 and type(tns[0]) is str and tns[0]:
            return (tns[0],)
    obj = _object(claims, "dest", "PASSporT")
    values: list[str] = []
    for kind in ("tn", "uri"):
        if kind in obj:
            items = obj[kind]
            if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
                raise ClaimType(f"PASSporT dest {kind!r} must be a list of non-empty strings")
            values.extend(items)
    if not values:
        raise ClaimMissing("PASSporT 'dest' names no 'tn' or 'uri'")
    return tuple(values)


def _check_rcd(claims: Mapping[str, Any], required: bool) -> None:
    """RFC 9795 rich call data: ``rcd`` with a ``nam``, optional ``rcdi`` digests and ``crn``."""
    if "rcd" not in claims:
        if required:
            raise ClaimMissing("an rcd PASSporT lacks 'rcd'")
        return
    rcd = _object(claims, "rcd", "PASSporT")
    _string(rcd, "nam", "PASSporT 'rcd'")
    for key in ("apn", "icn", "jcl"):
        if key in rcd:
            _string(rcd, key, "PASSporT 'rcd'")
    if "jcd" in rcd:
        _object(rcd, "jcd", "PASSporT 'rcd'")
    if "rcdi" in claims:
        rcdi = _object(claims, "rcdi", "PASSporT")
        if not all(isinstance(v, str) for v in rcdi.values()):
            raise ClaimType("PASSporT 'rcdi' values must be digest strings")
    if "crn" in claims:
        _string(claims, "crn", "PASSporT")


#: The SHAKEN claims laid out exactly as a deterministic signer writes them (RFC 8225 §9: sorted
#: keys, no whitespace) with one digit-string ``dest``, a non-negative ``iat`` and an ``origid``
#: of printable ASCII without quotes or backslashes. A full match fixes every value and its JSON
#: type, so such payloads (nearly all of them) skip the JSON parser and the per-claim checks;
#: anything else, however slightly different, takes the general path.
_PLAIN_SHAKEN_CLAIMS: Final = re.compile(
    r'\{"attest":"([ABC])","dest":\{"tn":\["([0-9]{1,15})"\]\},"iat":(0|[1-9][0-9]{0,17}),'
    r'"orig":\{"tn":"([0-9]{1,15})"\},"origid":"([ !#-\[\]-~]+)"\}'
)
_match_plain_shaken = _PLAIN_SHAKEN_CLAIMS.fullmatch
#: ``tuple.__new__`` skips the Python-level ``Passport.__new__`` on the per-call path.
_new_tuple: Final = tuple.__new__


def plain_shaken_passport(
    header: PassportHeader, claims_text: str, signing_input: bytes, signature: str
) -> Passport | None:
    """The SHAKEN PASSporT of claims in the signer's exact layout (see above), or None.

    ``header`` must be a decoded SHAKEN header; None means the claims need the general path
    of :func:`decode_passport`, which judges them (this never rejects anything itself).
    """
    plain = _match_plain_shaken(claims_text)
    if plain is None:
        return None
    attest, dest, iat_digits, orig, origid = plain.groups()
    iat = int(iat_digits)
    claims = {
        "attest": attest,
        "dest": {"tn": [dest]},
        "iat": iat,
        "orig": {"tn": orig},
        "origid": origid,
    }
    passport: Passport = _new_tuple(
        Passport,
        (header, orig, (dest,), iat, attest, origid, "", claims, signing_input, signature),
    )
    return passport


def decode_passport(token: str, payload_json: bytes | None = None) -> Passport:
    """Decode a full-form token, or a compact one (``header..signature``) given its payload JSON.

    Validates the header (ES256, typ passport, supported ppt, x5u, crit) and the claims every
    type requires: ``orig``, ``dest``, integer ``iat``; for shaken ``attest`` A/B/C and
    ``origid``; for div the ``div`` claim; for rcd the ``rcd`` claim. Raises a
    :class:`~ringfence.shaken.errors.MalformedIdentity` subclass naming the first problem.
    """
    header_b64, payload_b64, signature = split_compact(token)
    header = decode_header(header_b64)
    if payload_b64:
        text = _payload_text(payload_b64, "PASSporT payload")
        signing_input = token[: len(header_b64) + 1 + len(payload_b64)].encode()
        if header.ppt == PPT_SHAKEN:
            plain = plain_shaken_passport(header, text, signing_input, signature)
            if plain is not None:
                return plain
        claims = _parse_object(text, "PASSporT payload")
    elif payload_json is not None:
        claims = json.loads(payload_json)
        signing_input = f"{header_b64}.{b64url_encode(payload_json)}".encode()
    else:
        raise MalformedToken("compact-form PASSporT but no claims to rebuild it from")
    iat = claims.get("iat")
    if type(iat) is not int:  # bool is an int subclass and not a time
        if iat is None:
            raise ClaimMissing("PASSporT lacks 'iat'")
        raise ClaimType(f"PASSporT 'iat' must be an integer, got {iat!r:.40}")
    ppt = header.ppt
    attest = origid = div = ""
    if ppt == PPT_SHAKEN:
        # Direct type checks on the per-call path; the helpers only run to word the error.
        # Any until checked: the compiled build (mypyc) would reject a non-str with TypeError
        raw_attest: Any = claims.get("attest", "")
        if type(raw_attest) is not str or raw_attest not in ATTESTATIONS:
            attest = _string(claims, "attest", "SHAKEN PASSporT")
            raise ClaimType(f"SHAKEN 'attest' must be A, B or C, got {attest!r:.20}")
        attest = raw_attest
        raw_origid: Any = claims.get("origid", "")
        if type(raw_origid) is not str or not raw_origid:
            raw_origid = _string(claims, "origid", "SHAKEN PASSporT")
        origid = raw_origid
    elif ppt == PPT_DIV:
        div = _identity(claims, "div")
        if "opt" in claims:
            _string(claims, "opt", "div PASSporT")
    if ppt == PPT_RCD or "rcd" in claims:
        _check_rcd(claims, required=ppt == PPT_RCD)
    return Passport(
        header,
        _identity(claims, "orig"),
        _dest(claims),
        iat,
        attest,
        origid,
        div,
        claims,
        signing_input,
        signature,
    )
