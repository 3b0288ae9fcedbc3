"""STI certificates: the RFC 8226 TNAuthList extension, chains to the STI-PA trust anchors,
validity periods and CRLs.

A :class:`TrustPolicy` turns a certificate chain (as served at an ``x5u``) into a
:class:`CertifiedKey`: the leaf's P-256 public key, the validity window common to the whole
path, and the TNAuthList. That result is what the certificate cache keeps, so a verifier
pays for X.509 work once per certificate, not once per call.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.shaken.errors import (
    CertExpired,
    CertMalformed,
    CertNotYetValid,
    CertRevoked,
    CertUntrusted,
    TNAuthListMissing,
)

#: id-pe-TNAuthList (RFC 8226 §9).
TNAUTHLIST_OID: Final = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26")
_MAX_PATH: Final = 6
_IA5: Final = 0x16
_INTEGER: Final = 0x02
_SEQUENCE: Final = 0x30


@dataclass(frozen=True, slots=True)
class TNAuthList:
    """The numbers a certificate may sign for: service provider codes, ranges, single TNs."""

    spcs: tuple[str, ...] = ()
    ranges: tuple[tuple[str, int], ...] = ()
    numbers: tuple[str, ...] = ()

    def covers(self, tn: str) -> bool:
        """Whether ``tn`` (canonical) is authorised: an SPC authorises every number (SHAKEN)."""
        if self.spcs or tn in self.numbers:
            return True
        for start, count in self.ranges:
            if len(tn) == len(start) and tn.isdigit() and 0 <= int(tn) - int(start) < count:
                return True
        return False


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One DER tag-length-value at ``pos``: (tag, value, next position)."""
    if pos + 2 > len(data):
        raise CertMalformed("TNAuthList: truncated DER")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 3 or pos + size > len(data):
            raise CertMalformed("TNAuthList: unsupported DER length")
        length = int.from_bytes(data[pos : pos + size], "big")
        pos += size
    if pos + length > len(data):
        raise CertMalformed("TNAuthList: DER value runs past its end")
    return tag, data[pos : pos + length], pos + length


def _ia5(data: bytes, what: str) -> str:
    tag, value, end = _tlv(data, 0)
    if tag != _IA5 or end != len(data) or not value.isascii():
        raise CertMalformed(f"TNAuthList: {what} is not an IA5String")
    return value.decode("ascii")


def decode_tnauthlist(der: bytes) -> TNAuthList:
    """Decode the TNAuthList extension value (EXPLICIT tags, RFC 8226 §9 ASN.1 module)."""
    tag, body, end = _tlv(der, 0)
    if tag != _SEQUENCE or end != len(der):
        raise CertMalformed("TNAuthList is not a DER SEQUENCE")
    spcs: list[str] = []
    ranges: list[tuple[str, int]] = []
    numbers: list[str] = []
    pos = 0
    while pos < len(body):
        tag, entry, pos = _tlv(body, pos)
        if tag == 0xA0:
            spcs.append(_ia5(entry, "spc"))
        elif tag == 0xA1:
            seq_tag, seq, seq_end = _tlv(entry, 0)
            start_tag, start, after = _tlv(seq, 0) if seq_tag == _SEQUENCE else (0, b"", 0)
            count_tag, count, _ = _tlv(seq, after) if start_tag == _IA5 else (0, b"", 0)
            if seq_end != len(entry) or count_tag != _INTEGER:
                raise CertMalformed("TNAuthList: range is not SEQUENCE {start, count}")
            ranges.append((start.decode("ascii", "replace"), int.from_bytes(count, "big")))
        elif tag == 0xA2:
            numbers.append(_ia5(entry, "one"))
        else:
            raise CertMalformed(f"TNAuthList: unknown entry tag 0x{tag:02x}")
    if not (spcs or ranges or numbers):
        raise CertMalformed("TNAuthList is empty")
    return TNAuthList(tuple(spcs), tuple(ranges), tuple(numbers))


def _der(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        return bytes((tag, n)) + value
    size = (n.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + n.to_bytes(size, "big") + value


def encode_tnauthlist(spcs: Sequence[str] = (), numbers: Sequence[str] = ()) -> bytes:
    """The DER TNAuthList value for service provider codes and single numbers (for the test PKI)."""
    entries = [_der(0xA0, _der(_IA5, s.encode("ascii"))) for s in spcs]
    entries += [_der(0xA2, _der(_IA5, n.encode("ascii"))) for n in numbers]
    return _der(_SEQUENCE, b"".join(entries))


def tnauthlist_of(cert: x509.Certificate) -> TNAuthList | None:
    """The certificate's TNAuthList, or None when it has none."""
    try:
        ext = cert.extensions.get_extension_for_oid(TNAUTHLIST_OID)
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    if not isinstance(value, x509.UnrecognizedExtension):
        raise CertMalformed("TNAuthList extension is not opaque DER")
    return decode_tnauthlist(value.value)


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle, or the one certificate of a DER file."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertMalformed(f"not a PEM or DER certificate: {exc}") from None


def load_crls(data: bytes) -> list[x509.CertificateRevocationList]:
    """Every CRL of a PEM file, or the one CRL of a DER file."""
    try:
        if b"-----BEGIN" not in data:
            return [x509.load_der_x509_crl(data)]
        blocks = data.split(b"-----END X509 CRL-----")
        return [
            x509.load_pem_x509_crl(block + b"-----END X509 CRL-----")
            for block in blocks
            if b"-----BEGIN X509 CRL-----" in block
        ]
    except ValueError as exc:
        raise CertMalformed(f"not a PEM or DER CRL: {exc}") from None


@dataclass(frozen=True, slots=True)
class CertifiedKey:
    """A leaf key accepted by a :class:`TrustPolicy`, valid from ``not_before`` to ``not_after``."""

    public_key: ec.EllipticCurvePublicKey
    not_before: float
    not_after: float
    tn_auth: TNAuthList | None
    subject: str

    def check_time(self, now: float) -> None:
        """Raise :class:`CertExpired` / :class:`CertNotYetValid` unless ``now`` is in the window."""
        if now > self.not_after:
            raise CertExpired(f"certificate {self.subject} expired at {self.not_after:.0f}")
        if now < self.not_before:
            raise CertNotYetValid(f"certificate {self.subject} is valid from {self.not_before:.0f}")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


class TrustPolicy:
    """What a verifier accepts: anchors (None = chain not checked), CRLs, TNAuthList rule."""

    def __init__(
        self,
        anchors: Sequence[x509.Certificate] | None = None,
        *,
        crls: Sequence[x509.CertificateRevocationList] = (),
        require_tnauthlist: bool = True,
    ) -> None:
        self.anchors = None if anchors is None else list(anchors)
        self.crls = list(crls)
        self.require_tnauthlist = require_tnauthlist

    @staticmethod
    def _path(
        chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]
    ) -> list[x509.Certificate]:
        """Leaf first, anchor last; raises :class:`CertUntrusted` when no path exists."""
        path = [chain[0]]
        pool = list(chain[1:])
        while len(path) <= _MAX_PATH:
            current = path[-1]
            for anchor in anchors:
                if anchor.subject == current.issuer and _issued_by(current, anchor):
                    return [*path, anchor]
            step = next(
                (
                    c
                    for c in pool
                    if c.subject == current.issuer and _is_ca(c) and _issued_by(current, c)
                ),
                None,
            )
            if step is None:
                break
            path.append(step)
            pool.remove(step)
        raise CertUntrusted(
            f"no chain from {chain[0].subject.rfc4514_string()} to a configured trust anchor"
        )

    def _check_revocation(self, path: Sequence[x509.Certificate]) -> None:
        for cert, issuer in itertools.pairwise(path):
            for crl in self.crls:
                if crl.issuer != cert.issuer:
                    continue
                issuer_key = issuer.public_key()
                if not isinstance(
                    issuer_key, ec.EllipticCurvePublicKey
                ) or not crl.is_signature_valid(issuer_key):
                    raise CertUntrusted(f"CRL of {crl.issuer.rfc4514_string()} has a bad signature")
                if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                    raise CertRevoked(
                        f"certificate {cert.subject.rfc4514_string()} "
                        f"(serial {cert.serial_number:x}) is revoked"
                    )

    def certify(self, chain: Sequence[x509.Certificate]) -> CertifiedKey:
        """Accept ``chain`` (leaf first) or raise a :class:`CredentialError` subclass.

        Time-independent: the caller checks the returned window with ``check_time(now)`` on
        every use, so one certification can be cached for the certificate's whole life.
        """
        if not chain:
            raise CertMalformed("no certificate")
        leaf = chain[0]
        key = leaf.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise CertMalformed("the certificate key is not ECDSA P-256, as ES256 requires")
        try:
            usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
            if not usage.digital_signature:
                raise CertUntrusted("the certificate's key usage excludes digital signatures")
        except x509.ExtensionNotFound:
            pass
        tn_auth = tnauthlist_of(leaf)
        if tn_auth is None and self.require_tnauthlist:
            raise TNAuthListMissing(
                f"certificate {leaf.subject.rfc4514_string()} has no TNAuthList (RFC 8226)"
            )
        path = [leaf]
        if self.anchors is not None:
            path = self._path(chain, self.anchors)
            self._check_revocation(path)
        return CertifiedKey(
            key,
            max(c.not_valid_before_utc.timestamp() for c in path),
            min(c.not_valid_after_utc.timestamp() for c in path),
            tn_auth,
            leaf.subject.rfc4514_string(),
        )
