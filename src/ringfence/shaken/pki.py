"""A test PKI shaped like the SHAKEN one (ATIS-1000080): an STI-CA root, an optional
intermediate, and a service provider certificate whose TNAuthList carries its SPC.

For demos, tests and offline replay only: keys are written unencrypted.

Directory layout written by :meth:`ShakenPki.write` (``ringfence shaken pki init DIR``):

    sti-ca.pem / sti-ca.key     root certificate (the trust anchor) and key
    sti-ica.pem / sti-ica.key   intermediate CA (when made)
    sp.pem                      SP certificate followed by the intermediate: what x5u serves
    sp.key / sp.pub             SP signing key pair
    crl.pem                     CRL of the SP certificate's issuer (empty unless revoked)
    pki.json                    {"x5u": ..., "spc": ..., "intermediate": bool}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ringfence.shaken.certs import TNAUTHLIST_OID, encode_tnauthlist

DEFAULT_X5U: Final = "https://certs.ringfence.test/sp.pem"
DEFAULT_SPC: Final = "1234"
SP_CERT_FILE: Final = "sp.pem"
ROOT_CERT_FILE: Final = "sti-ca.pem"
CRL_FILE: Final = "crl.pem"
SP_KEY_FILE: Final = "sp.key"
MANIFEST_FILE: Final = "pki.json"
#: Where a bundle keeps the test PKI that signed its ``identity`` column (``ringfence sim``).
BUNDLE_PKI_DIR: Final = "pki"


#: The order of the P-256 group: private keys are integers in [1, n - 1].
_P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def generate_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def _seeded_int(seed: bytes, label: str) -> int:
    """A 256-bit integer fixed by ``seed`` and ``label`` (SHA-256: labels never collide)."""
    return int.from_bytes(hashlib.sha256(seed + b"/" + label.encode()).digest(), "big")


def derive_key(seed: bytes, label: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 key that ``seed`` and ``label`` always give (for reproducible test PKIs)."""
    return ec.derive_private_key(_seeded_int(seed, label) % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted (test material)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM of a key (or of a private key's public half)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(data: bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM; ValueError naming the problem otherwise."""
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("not an ECDSA P-256 private key")
    return key


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ringfence test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue_certificate(
    subject: str,
    public_key: ec.EllipticCurvePublicKey,
    *,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: dt.datetime,
    days: int,
    ca: bool,
    spc: str | None = None,
    serial: int | None = None,
    deterministic: bool = False,
) -> x509.Certificate:
    """A certificate for ``public_key``: a CA (self-signed when ``issuer`` is None) or an SP
    end-entity with a TNAuthList naming ``spc``. ``deterministic`` signs with RFC 6979 nonces,
    so the same inputs give the same bytes."""
    issuer_name = _name(subject) if issuer is None else issuer.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if spc is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(TNAUTHLIST_OID, encode_tnauthlist(spcs=[spc])),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=deterministic)


def make_crl(
    issuer: x509.Certificate,
    issuer_key: ec.EllipticCurvePrivateKey,
    revoked_serials: Sequence[int] = (),
    *,
    now: dt.datetime,
    deterministic: bool = False,
) -> x509.CertificateRevocationList:
    """A CRL signed by ``issuer`` listing ``revoked_serials``, valid for 30 days from ``now``
    (``deterministic``: RFC 6979 nonces, as for :func:`issue_certificate`)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=30))
    )
    for serial in revoked_serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=deterministic)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class ShakenPki:
    """Root, optional intermediate, SP certificate and keys, plus the SP's x5u and SPC."""

    root: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    intermediate: x509.Certificate | None
    intermediate_key: ec.EllipticCurvePrivateKey | None
    sp_cert: x509.Certificate
    sp_key: ec.EllipticCurvePrivateKey
    crl: x509.CertificateRevocationList
    x5u: str = DEFAULT_X5U
    spc: str = DEFAULT_SPC

    @classmethod
    def create(
        cls,
        *,
        x5u: str = DEFAULT_X5U,
        spc: str = DEFAULT_SPC,
        intermediate: bool = True,
        not_before: dt.datetime | None = None,
        days: int = 365,
        seed: bytes | None = None,
    ) -> ShakenPki:
        """Make a PKI; certificates start at ``not_before`` (default: a day ago).

        With a ``seed`` the keys and serials derive from it and every signature uses RFC 6979
        nonces, so the same arguments give byte-identical certificates, CRL and keys (what a
        reproducible simulation needs); without one, keys and serials are random.
        """
        start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        deterministic = seed is not None

        def key(label: str) -> ec.EllipticCurvePrivateKey:
            return generate_key() if seed is None else derive_key(seed, label)

        def issue(
            label: str, public_key: ec.EllipticCurvePublicKey, **kwargs: Any
        ) -> x509.Certificate:
            # RFC 5280 serials: positive, at most 20 octets; 159 bits keep the top bit clear.
            serial = None if seed is None else _seeded_int(seed, label + " serial") >> 97
            return issue_certificate(
                label, public_key, not_before=start, serial=serial, deterministic=deterministic,
                **kwargs,
            )  # fmt: skip

        root_key = key("ringfence STI-CA root")
        root = issue(
            "ringfence STI-CA root", root_key.public_key(),
            issuer=None, issuer_key=root_key, days=days * 10, ca=True,
        )  # fmt: skip
        issuer, issuer_key = root, root_key
        ica = ica_key = None
        if intermediate:
            ica_key = key("ringfence STI-CA intermediate")
            ica = issue(
                "ringfence STI-CA intermediate", ica_key.public_key(),
                issuer=root, issuer_key=root_key, days=days * 5, ca=True,
            )  # fmt: skip
            issuer, issuer_key = ica, ica_key
        sp_key = key(f"SHAKEN {spc}")
        sp_cert = issue(
            f"SHAKEN {spc}", sp_key.public_key(),
            issuer=issuer, issuer_key=issuer_key, days=days, ca=False, spc=spc,
        )  # fmt: skip
        crl = make_crl(issuer, issuer_key, now=start, deterministic=deterministic)
        return cls(root, root_key, ica, ica_key, sp_cert, sp_key, crl, x5u, spc)

    def chain_pem(self) -> bytes:
        """What the x5u URL serves: the SP certificate, then the intermediate if any."""
        chain = [self.sp_cert] + ([self.intermediate] if self.intermediate else [])
        return b"".join(_pem(c) for c in chain)

    def write(self, directory: Path) -> list[Path]:
        """Write the files of the module docstring into ``directory``; returns their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        files: dict[str, bytes] = {
            ROOT_CERT_FILE: _pem(self.root),
            "sti-ca.key": private_key_pem(self.root_key),
            SP_CERT_FILE: self.chain_pem(),
            SP_KEY_FILE: private_key_pem(self.sp_key),
            "sp.pub": public_key_pem(self.sp_key),
            CRL_FILE: self.crl.public_bytes(serialization.Encoding.PEM),
            MANIFEST_FILE: json.dumps(
                {"x5u": self.x5u, "spc": self.spc, "intermediate": self.intermediate is not None},
                indent=2,
            ).encode(),
        }
        if self.intermediate is not None and self.intermediate_key is not None:
            files["sti-ica.pem"] = _pem(self.intermediate)
            files["sti-ica.key"] = private_key_pem(self.intermediate_key)
        paths = []
        for name, data in files.items():
            path = directory / name
            path.write_bytes(data)
            paths.append(path)
        return paths


def read_manifest(directory: Path) -> dict[str, str]:
    """The ``x5u`` and ``spc`` recorded in a PKI directory's ``pki.json``."""
    data = json.loads((directory / MANIFEST_FILE).read_text())
    return {"x5u": str(data["x5u"]), "spc": str(data["spc"])}
