"""The authentication service (STI-AS): sign calls with SHAKEN PASSporTs.

:class:`Signer` holds one service provider key and its certificate URL and signs PASSporTs
(shaken, div, rcd or base). Its SHAKEN path is kept lean because it runs once per call: the
header segment is encoded once, and the claims JSON is laid out directly when every value is
plain ASCII (which canonical numbers, A/B/C and generated origids always are), producing
exactly the deterministic JSON that :func:`~ringfence.shaken.passport.encode_json` would.

:class:`AuthenticationService` decides the attestation from the registry (RFC 8588 §4,
ATIS-1000074): A when the originating customer holds the calling number, B when the
customer is known but the number is not theirs, C for gateway traffic or unknown origins.
"""

from __future__ import annotations

import binascii
import os
import time
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.shaken.errors import ClaimType
from ringfence.shaken.identity import render_identity
from ringfence.shaken.jws import ES256, b64url_ascii, sign_compact
from ringfence.shaken.passport import (
    ATTESTATIONS,
    PPT_DIV,
    PPT_SHAKEN,
    encode_header,
    encode_json,
)
from ringfence.shaken.tn import MAX_TN_DIGITS, canonical_tn
from ringfence.shaken.x5u import require_https

_ORIGID_BATCH = 256
#: Byte maps that stamp RFC 4122 fields: version 4 in byte 6, variant 10xx in byte 8.
_UUID_VERSION_4 = bytes(b & 0x0F | 0x40 for b in range(256))
_UUID_VARIANT = bytes(b & 0x3F | 0x80 for b in range(256))


def _uuid4_batch(count: int) -> list[str]:
    """``count`` random (version 4) UUID strings from one ``os.urandom`` call.

    Whole-batch operations only, each one C pass, so an id costs a fraction of
    ``str(uuid.uuid4())``: the hex digits come in groups of four (``xxxx-`` eight times per
    UUID), the dash ending each UUID becomes a comma, and the dashes a UUID does not have
    (after its 1st, 6th and 7th group) are deleted, last first so earlier offsets hold.
    """
    pool = bytearray(os.urandom(16 * count))
    # Extended slices pick byte 6 (and 8) of every 16-byte UUID: one C pass each.
    pool[6::16] = pool[6::16].translate(_UUID_VERSION_4)
    pool[8::16] = pool[8::16].translate(_UUID_VARIANT)
    text = bytearray(binascii.hexlify(pool, "-", 2))  # 40 characters per UUID
    text[39::40] = b"," * (count - 1)
    del text[34::40]  # now 39 per UUID
    del text[29::39]  # 38
    del text[4::38]  # 37: "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx,"
    return text.decode().split(",")


#: Origids made ahead, taken from the end. ``uuid.uuid4()`` costs a system call and an object
#: per id; batching keeps a fresh origid per call within the signing budget. A forked child
#: drops the batch it inherited, so two processes never hand out the same ids.
_origids: list[str] = []
if hasattr(os, "register_at_fork"):  # POSIX only; elsewhere nothing forks
    os.register_at_fork(after_in_child=_origids.clear)


def new_origid() -> str:
    """A fresh random (version 4) UUID string, as RFC 8588 recommends for ``origid``."""
    try:
        return _origids.pop()  # one C call, atomic: threads never get the same id
    except IndexError:
        batch = _uuid4_batch(_ORIGID_BATCH)
        origid = batch.pop()
        _origids.extend(batch)
        return origid


def _plain(value: str) -> bool:
    """Whether ``value`` appears verbatim inside a JSON string (no escaping needed)."""
    return value.isascii() and value.isprintable() and '"' not in value and "\\" not in value


class Signer:
    """Signs PASSporTs with one SP key; numbers are canonicalised (RFC 8224 §8.3) first.

    ``deterministic`` signs with RFC 6979 nonces (reproducible tokens for simulations).
    """

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        x5u: str,
        *,
        country_code: str = "",
        trunk_prefix: str = "",
        deterministic: bool = False,
    ) -> None:
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ClaimType("ES256 signing needs an ECDSA P-256 private key")
        require_https(x5u)
        self.key = key
        self.x5u = x5u
        self.country_code = country_code
        self.trunk_prefix = trunk_prefix
        self._global_only = not country_code  # numbers without "+" are taken as global
        #: RFC 6979 nonces: with a given origid and iat, the same call gives the same token.
        self.deterministic = deterministic
        self._prefixes: dict[str | None, bytes] = {}
        self._identity_suffixes: dict[str | None, str] = {}
        # Constant per signer, so encoded once: the per-call path only formats the claims.
        self._shaken_prefix = self._signing_prefix(PPT_SHAKEN)
        self._shaken_suffix = self._identity_suffix(PPT_SHAKEN)

    def _signing_prefix(self, ppt: str | None) -> bytes:
        """The header segment and its dot: how every signing input of type ``ppt`` starts."""
        prefix = self._prefixes.get(ppt)
        if prefix is None:
            prefix = self._prefixes[ppt] = b64url_ascii(encode_header(self.x5u, ppt)) + b"."
        return prefix

    def _identity_suffix(self, ppt: str | None) -> str:
        suffix = self._identity_suffixes.get(ppt)
        if suffix is None:
            suffix = render_identity("", self.x5u, alg=ES256, ppt=ppt)
            self._identity_suffixes[ppt] = suffix
        return suffix

    def canonical(self, value: str) -> str:
        """``value`` in the canonical form this signer signs (RFC 8224 §8.3)."""
        if (
            self._global_only
            and value.isdigit()
            and value.isascii()
            and len(value) <= MAX_TN_DIGITS
        ):
            return value  # already canonical (the usual case): spare the call below
        return canonical_tn(value, country_code=self.country_code, trunk_prefix=self.trunk_prefix)

    def sign_claims(self, claims: Mapping[str, Any], ppt: str | None) -> str:
        """A full-form token over ``claims`` as given (deterministic JSON), of type ``ppt``."""
        return sign_compact(
            self.key, self._signing_prefix(ppt), encode_json(claims), self.deterministic
        )

    def sign(
        self,
        orig: str,
        dest: str | Sequence[str],
        attest: str,
        *,
        origid: str | None = None,
        iat: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """A SHAKEN PASSporT (RFC 8588) for a call from ``orig`` to ``dest``.

        ``origid`` defaults to a fresh UUID, ``iat`` to now; ``extra`` adds claims such as
        ``rcd``. Raises :class:`ClaimType` for an attestation other than A/B/C and
        :class:`~ringfence.core.errors.InvalidNumber` for numbers that are not TNs.
        """
        if type(attest) is not str or attest not in ATTESTATIONS:
            raise ClaimType(f"attestation must be A, B or C, got {attest!r}")
        if (
            extra is None
            and type(dest) is str
            and self._global_only
            and orig.isdigit()
            and orig.isascii()
            and len(orig) <= MAX_TN_DIGITS
            and dest.isdigit()
            and dest.isascii()
            and len(dest) <= MAX_TN_DIGITS
            and (origid is None or _plain(origid))
            and (iat is None or type(iat) is int)
        ):
            # The usual call, kept to one straight path: digit strings already canonical (no
            # country code makes them national), one dest, an origid that needs no escaping.
            # The claims JSON is laid out directly, byte-identical to encode_json(...).
            if origid is None:
                try:
                    origid = _origids.pop()  # new_origid(), inlined
                except IndexError:
                    origid = new_origid()
            if iat is None:
                iat = int(time.time())
            payload = (
                f'{{"attest":"{attest}","dest":{{"tn":["{dest}"]}},'
                f'"iat":{iat},"orig":{{"tn":"{orig}"}},"origid":"{origid}"}}'
            ).encode()
        else:
            orig_tn = self.canonical(orig)  # before dest: a bad orig is reported first
            dests = (
                [self.canonical(dest)]
                if isinstance(dest, str)
                else [self.canonical(d) for d in dest]
            )
            claims: dict[str, Any] = {
                "attest": attest,
                "dest": {"tn": dests},
                "iat": int(time.time()) if iat is None else iat,
                "orig": {"tn": orig_tn},
                "origid": new_origid() if origid is None else origid,
                **(extra or {}),
            }
            payload = encode_json(claims)
        return sign_compact(self.key, self._shaken_prefix, payload, self.deterministic)

    def sign_div(self, orig: str, dest: str, div: str, *, iat: int | None = None) -> str:
        """A ``div`` PASSporT (RFC 8946): the call to ``div`` was retargeted to ``dest``."""
        claims = {
            "dest": {"tn": [self.canonical(dest)]},
            "div": {"tn": self.canonical(div)},
            "iat": int(time.time()) if iat is None else iat,
            "orig": {"tn": self.canonical(orig)},
        }
        return self.sign_claims(claims, PPT_DIV)

    def identity(self, token: str, ppt: str | None = PPT_SHAKEN) -> str:
        """The full-form Identity header value carrying ``token``."""
        if ppt == PPT_SHAKEN:
            return token + self._shaken_suffix
        return token + self._identity_suffix(ppt)


class CustomerRelation(StrEnum):
    """What the registry says about the originating customer and the calling number."""

    HOLDS_NUMBER = "holds_number"  # the customer is assigned the number → A
    KNOWN_CUSTOMER = "known_customer"  # authenticated customer, number not theirs → B
    UNKNOWN = "unknown"  # origin not authenticated → C


#: Registry callback: (customer id, canonical calling number) → relation.
RegistryLookup = Callable[[str, str], CustomerRelation]


def attestation(relation: CustomerRelation, *, gateway: bool = False) -> str:
    """The SHAKEN attestation level for a call: gateway traffic is always C."""
    if gateway:
        return "C"
    return {
        CustomerRelation.HOLDS_NUMBER: "A",
        CustomerRelation.KNOWN_CUSTOMER: "B",
    }.get(relation, "C")


class AuthenticationService:
    """An STI-AS: signs each outgoing call with the attestation the registry justifies."""

    def __init__(self, signer: Signer, registry: RegistryLookup) -> None:
        self.signer = signer
        self.registry = registry

    def identity_for(
        self,
        *,
        customer_id: str | None,
        orig: str,
        dest: str,
        gateway: bool = False,
        origid: str | None = None,
        iat: int | None = None,
    ) -> str:
        """The Identity header value for one call; ``customer_id`` None means unauthenticated."""
        if gateway or customer_id is None:
            relation = CustomerRelation.UNKNOWN
        else:
            relation = self.registry(customer_id, self.signer.canonical(orig))
        level = attestation(relation, gateway=gateway)
        token = self.signer.sign(orig, dest, level, origid=origid, iat=iat)
        return self.signer.identity(token)
