"""The verification service (STI-VS, RFC 8224 §6.2, ATIS-1000074 §5.3).

:meth:`Verifier.verify` raises the :class:`~ringfence.shaken.errors.ShakenError` subclass that
names the first failed rule; :meth:`Verifier.check` never raises for a bad header and returns
a :class:`VerificationOutcome` with the error code, SIP response and ``verstat``.

Order of the rules, cheapest and most specific first: header syntax and size; token structure,
``alg`` and claim types; Identity ``ppt``/``alg``/``info`` against the token; ``x5u`` https;
``iat`` freshness (both directions); the certificate (fetched or cached, chain, validity,
CRL, TNAuthList); the signature; ``orig``/``dest`` against From/To in canonical form; the
TNAuthList covering ``orig``.

Most values come from a few signers, each repeating one protected header and one set of
Identity parameters. Once the general path has accepted a value, its header segment and
parameter string are remembered as a *layout*; a later value in the same layout with claims
in the signer's canonical JSON takes a fast path that only decodes what differs per call
(claims, signature) and then applies the same per-call rules in the same order. Anything
else, and any value the fast path cannot vouch for, is decoded by the general path, so the
outcome (including which error is reported) never depends on the path taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from ringfence.shaken.certs import CertifiedKey
from ringfence.shaken.errors import (
    VERSTAT_PASSED,
    AlgNone,
    AlgUnsupported,
    DestMismatch,
    FutureIat,
    MalformedToken,
    OrigMismatch,
    PptMismatch,
    PptUnsupported,
    ShakenError,
    StaleIat,
    TNNotAuthorized,
    X5uMismatch,
)
from ringfence.shaken.identity import parse_identity
from ringfence.shaken.jws import (
    ES256,
    MAX_TOKEN_CHARS,
    SIGNATURE_CHARS,
    b64url_decode_span,
    der_signature_span,
    verify_es256,
    verify_es256_der,
)
from ringfence.shaken.passport import (
    PPT_SHAKEN,
    SUPPORTED_PPTS,
    Passport,
    PassportHeader,
    decode_passport,
    encode_json,
    plain_shaken_passport,
)
from ringfence.shaken.tn import MAX_TN_DIGITS, canonical_tn, same_tn
from ringfence.shaken.x5u import CertificateSource, require_https

#: The freshness window of ATIS-1000074 / RFC 8224 §6.2.
DEFAULT_MAX_AGE: Final = 60.0
_HTTPS_SEEN_LIMIT: Final = 10_000
_LAYOUT_LIMIT: Final = 4096


class _Layout(NamedTuple):
    """A protected header and Identity parameters the general path accepted together."""

    header: PassportHeader
    params: str  # from the ';' after the token to the end of the value


@dataclass(frozen=True, slots=True)
class VerificationOutcome:
    """What one verification concluded, in the shape of the ``shaken verify`` JSON."""

    valid: bool
    verstat: str
    ppt: str | None = None
    attest: str = ""
    origid: str = ""
    error: str | None = None
    detail: str = ""
    sip_status: int | None = None
    sip_reason: str = ""

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict; empty attest/origid become null."""
        return {
            "valid": self.valid,
            "verstat": self.verstat,
            "ppt": self.ppt,
            "attest": self.attest or None,
            "origid": self.origid or None,
            "error": self.error,
            "detail": self.detail,
            "sip_status": self.sip_status,
            "sip_reason": self.sip_reason or None,
        }


def outcome_of_error(error: ShakenError, passport: Passport | None = None) -> VerificationOutcome:
    """The failed outcome for ``error`` (SIP response and verstat come from its class)."""
    return VerificationOutcome(
        valid=False,
        verstat=error.verstat,
        ppt=passport.header.ppt if passport else None,
        attest=passport.attest if passport else "",
        origid=passport.origid if passport else "",
        error=error.code,
        detail=str(error),
        sip_status=error.sip_status,
        sip_reason=error.sip_reason,
    )


class Verifier:
    """Verifies Identity header values against the From/To numbers of a call at a time."""

    def __init__(
        self,
        certificates: CertificateSource,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        country_code: str = "",
        trunk_prefix: str = "",
        accepted_ppts: frozenset[str | None] = SUPPORTED_PPTS,
    ) -> None:
        self.certificates = certificates
        self.max_age = max_age
        self.country_code = country_code
        self.trunk_prefix = trunk_prefix
        self.accepted_ppts = accepted_ppts
        self._https_seen: set[str] = set()  # x5u values already found to be https URLs
        self._layouts: dict[str, _Layout] = {}  # by header segment

    def _canonical(self, value: str) -> str:
        return canonical_tn(value, country_code=self.country_code, trunk_prefix=self.trunk_prefix)

    def _same(self, signed: str, signalled: str) -> bool:
        # Equal plain digit strings are one canonical number: skip the parsing (the common case).
        if (
            signed == signalled
            and not self.country_code
            and signed.isdigit()
            and signed.isascii()
            and len(signed) <= MAX_TN_DIGITS
        ):
            return True
        return same_tn(
            signed, signalled, country_code=self.country_code, trunk_prefix=self.trunk_prefix
        )

    def _plainly_same(self, signed: str, signalled: str) -> bool:
        """Whether ``signalled`` is ``signed`` (a canonical digit string) with a leading ``+``
        (a global number, whatever the country code) or, without a country code, the same
        string. True only where :meth:`_same` is; False says nothing (then ask it)."""
        if len(signalled) == len(signed) + 1:
            return signalled.startswith("+") and signalled.endswith(signed)
        return signalled == signed and not self.country_code

    def _among(self, signed: tuple[str, ...], signalled: str) -> bool:
        # A plain loop: any() over a generator costs a frame per call on this per-call path.
        for value in signed:  # noqa: SIM110
            if self._same(value, signalled):
                return True
        return False

    def _compact_claims(self, orig: str | None, dest: str | None, date: int | None) -> bytes:
        """RFC 8224 §5.2: a compact-form base PASSporT is rebuilt from From, To and Date."""
        if orig is None or dest is None or date is None:
            raise MalformedToken("a compact-form PASSporT needs From, To and Date to rebuild it")
        return encode_json(
            {
                "dest": {"tn": [self._canonical(dest)]},
                "iat": date,
                "orig": {"tn": self._canonical(orig)},
            }
        )

    def _decode(
        self, identity: str, strict: bool, orig: str | None, dest: str | None, date: int | None
    ) -> Passport:
        header = parse_identity(identity, strict=strict)
        if header.alg != ES256:
            exc = AlgNone if header.alg.lower() == "none" else AlgUnsupported
            raise exc(f"Identity alg parameter is {header.alg!r:.40}, only ES256 is allowed")
        # A full-form token never holds "..": only the compact form leaves the payload empty.
        if ".." in header.token:
            passport = decode_passport(header.token, self._compact_claims(orig, dest, date))
            if passport.header.ppt is not None:
                raise MalformedToken("compact form rebuilds only base PASSporTs, not extensions")
        else:
            passport = decode_passport(header.token)
        ppt = passport.header.ppt
        if ppt not in self.accepted_ppts:
            raise PptUnsupported(f"PASSporT type {ppt!r} is not accepted here")
        # A bare token (non-strict) carries no parameters to compare.
        if header.params and header.ppt != ppt:
            raise PptMismatch(f"Identity ppt={header.ppt!r} but the PASSporT has ppt={ppt!r}")
        if header.info and header.info != passport.header.x5u:
            raise X5uMismatch(
                f"Identity info <{header.info:.100}> differs from x5u {passport.header.x5u:.100}"
            )
        return passport

    def _learn_layout(self, identity: str, passport: Passport) -> None:
        """Remember the layout of a SHAKEN value the general path accepted (strictly)."""
        header_end, semi = identity.find("."), identity.find(";")
        if (
            passport.header.ppt == PPT_SHAKEN
            and 0 < header_end < semi
            and identity == identity.strip()
            and not identity[semi - 1].isspace()
        ):
            if len(self._layouts) >= _LAYOUT_LIMIT:
                self._layouts.clear()  # only hostile traffic brings this many headers
            self._layouts[identity[:header_end]] = _Layout(passport.header, identity[semi:])

    def _fast_decode(self, identity: str) -> tuple[Passport, bytes] | None:
        """The PASSporT and DER signature of a value in a known layout, else None.

        None means "not vouched for", never "invalid": the general path then decides. A known
        layout fixes the header (ES256, typ, ppt shaken, x5u, crit), the Identity parameters
        and their agreement with the header; what remains per value is the value's size and
        shape, strict base64url for claims and signature, and the claims.
        """
        header_end = identity.find(".")
        layout = self._layouts.get(identity[:header_end])
        if (
            layout is None
            or not identity.endswith(layout.params)
            or len(identity) > MAX_TOKEN_CHARS
            or PPT_SHAKEN not in self.accepted_ppts
        ):
            return None
        token_end = len(identity) - len(layout.params)
        payload_end = token_end - SIGNATURE_CHARS - 1
        if payload_end <= header_end or identity[payload_end] != ".":
            return None
        try:
            value = identity.encode("ascii")
        except UnicodeEncodeError:
            return None
        claims = b64url_decode_span(value, header_end + 1, payload_end)
        der = der_signature_span(value, payload_end + 1, token_end)
        if claims is None or der is None:
            return None
        passport = plain_shaken_passport(
            layout.header,
            claims.decode("latin-1"),  # never fails; the layout admits only ASCII anyway
            value[:payload_end],
            identity[payload_end + 1 : token_end],
        )
        return None if passport is None else (passport, der)

    def verify(
        self,
        identity: str,
        *,
        orig: str | None = None,
        dest: str | None = None,
        now: float | None = None,
        date: int | None = None,
        strict: bool = True,
    ) -> tuple[Passport, CertifiedKey]:
        """Verify one Identity header value; returns the PASSporT and the key that signed it.

        ``orig``/``dest`` are the From/To numbers (None skips that comparison); ``now``
        defaults to the wall clock; ``date`` (the SIP Date, epoch seconds) rebuilds compact
        forms; ``strict=False`` accepts a bare token without ``info``. Raises a
        :class:`ShakenError` subclass for the first rule that fails.
        """
        fast = self._fast_decode(identity)
        if fast is not None:
            passport, der = fast
            return passport, self._check_decoded(passport, orig, dest, now, der)
        passport = self._decode(identity, strict, orig, dest, date)
        key = self._check_decoded(passport, orig, dest, now)
        if strict:
            self._learn_layout(identity, passport)
        return passport, key

    def _check_decoded(
        self,
        passport: Passport,
        orig: str | None,
        dest: str | None,
        now: float | None,
        der: bytes | None = None,
    ) -> CertifiedKey:
        """The per-call rules after decoding; ``der`` is the signature when already decoded."""
        x5u = passport.header.x5u
        if x5u not in self._https_seen:
            require_https(x5u)
            if len(self._https_seen) >= _HTTPS_SEEN_LIMIT:
                self._https_seen.clear()
            self._https_seen.add(x5u)
        if now is None:
            now = time.time()
        iat, max_age = passport.iat, self.max_age
        if iat < now - max_age:
            raise StaleIat(f"iat {iat} is more than {max_age:g} s before {now:.0f}")
        if iat > now + max_age:
            raise FutureIat(f"iat {iat} is more than {max_age:g} s after {now:.0f}")
        key = self.certificates.certified_key(x5u, now)
        if der is None:
            verify_es256(key.public_key, passport.signing_input, passport.signature)
        else:
            verify_es256_der(key.public_key, passport.signing_input, der)
        # A fast-path PASSporT has one dest and digit-string numbers: those are matched first
        # in the forms that need no parsing (see _plainly_same), as _same would match them.
        plain = der is not None
        if (
            orig is not None
            and not (plain and self._plainly_same(passport.orig, orig))
            and not self._same(passport.orig, orig)
        ):
            raise OrigMismatch(f"PASSporT orig {passport.orig!r:.40} is not From {orig!r:.40}")
        if (
            dest is not None
            and not (plain and self._plainly_same(passport.dest[0], dest))
            and not self._among(passport.dest, dest)
        ):
            raise DestMismatch(f"To {dest!r:.40} is not among PASSporT dest {passport.dest!r:.80}")
        if key.tn_auth is not None and not key.tn_auth.spcs:
            try:
                covered = key.tn_auth.covers(canonical_tn(passport.orig))
            except ValueError:
                covered = False
            if not covered:
                raise TNNotAuthorized(
                    f"certificate {key.subject} does not list orig {passport.orig!r:.40}"
                )
        return key

    def check(
        self,
        identity: str,
        *,
        orig: str | None = None,
        dest: str | None = None,
        now: float | None = None,
        date: int | None = None,
        strict: bool = True,
    ) -> VerificationOutcome:
        """Like :meth:`verify` but returns the outcome instead of raising for a bad header."""
        fast = self._fast_decode(identity)
        if fast is None:
            try:
                passport = self._decode(identity, strict, orig, dest, date)
            except ShakenError as exc:
                return outcome_of_error(exc)
            der = None
        else:
            passport, der = fast
        try:
            self._check_decoded(passport, orig, dest, now, der)
        except ShakenError as exc:
            return outcome_of_error(exc, passport)
        if der is None and strict:
            self._learn_layout(identity, passport)
        return VerificationOutcome(
            valid=True,
            verstat=VERSTAT_PASSED,
            ppt=passport.header.ppt,
            attest=passport.attest,
            origid=passport.origid,
        )
