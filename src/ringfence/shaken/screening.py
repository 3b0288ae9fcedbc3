"""The screener's caller authenticator: STIR/SHAKEN behind ``ringfence.core.auth``.

:class:`ShakenAuthenticator` implements :class:`~ringfence.core.auth.CallerAuthenticator`.
It verifies ``attempt.identity`` against ``attempt.caller``/``attempt.callee`` at
``attempt.time`` and reports PASSED (with the attestation), FAILED (with the error code) or
MISSING. Several comma-combined Identity values are allowed (e.g. shaken + div): the call
passes when one SHAKEN PASSporT verifies; otherwise the first failure is reported.

Build one offline from a test PKI directory (``ringfence shaken pki init DIR``)::

    auth = ShakenAuthenticator.from_pki_dir(Path("DIR"))
    auth = ShakenAuthenticator.from_bundle(Path("BUNDLE"))  # BUNDLE/pki, or None

or from certificate files keyed by x5u, or on top of any certificate source (e.g. an
:class:`~ringfence.shaken.x5u.X5uCache` that fetches over https).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from cryptography import x509

from ringfence.core.auth import MISSING, AuthOutcome, AuthStatus
from ringfence.core.types import CallAttempt
from ringfence.shaken.certs import TrustPolicy, load_certificates, load_crls
from ringfence.shaken.errors import PptUnsupported, ShakenError
from ringfence.shaken.identity import split_identity_values
from ringfence.shaken.passport import ATTESTATIONS, PPT_SHAKEN
from ringfence.shaken.pki import BUNDLE_PKI_DIR, CRL_FILE, ROOT_CERT_FILE
from ringfence.shaken.verifier import DEFAULT_MAX_AGE, Verifier
from ringfence.shaken.x5u import CertificateSource, StaticCertificates

#: The outcome of a passed call, by attestation: shared, since nearly every call has one.
PASSED_OUTCOMES: Final[Mapping[str, AuthOutcome]] = {
    a: AuthOutcome(AuthStatus.PASSED, attest=a) for a in sorted(ATTESTATIONS)
}


class ShakenAuthenticator:
    """An STI-VS for the screener; see the module docstring for how to build one."""

    def __init__(
        self,
        certificates: CertificateSource,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        country_code: str = "",
        trunk_prefix: str = "",
    ) -> None:
        self.verifier = Verifier(
            certificates, max_age=max_age, country_code=country_code, trunk_prefix=trunk_prefix
        )

    @classmethod
    def from_certificates(
        cls,
        certificates: Mapping[str, bytes | Path],
        *,
        trust_anchors: Sequence[x509.Certificate] | None,
        crls: Sequence[x509.CertificateRevocationList] = (),
        directory: Path | None = None,
        max_age: float = DEFAULT_MAX_AGE,
        country_code: str = "",
        trunk_prefix: str = "",
    ) -> ShakenAuthenticator:
        """Offline: certificates keyed by x5u (and/or found by file name in ``directory``).

        ``trust_anchors`` None skips chain building (validity and TNAuthList still apply).
        """
        policy = TrustPolicy(trust_anchors, crls=crls)
        source = StaticCertificates(policy, certificates, directory=directory)
        return cls(source, max_age=max_age, country_code=country_code, trunk_prefix=trunk_prefix)

    @classmethod
    def from_pki_dir(
        cls,
        directory: Path,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        country_code: str = "",
        trunk_prefix: str = "",
    ) -> ShakenAuthenticator:
        """Offline, from a ``pki init`` directory: its root is the only trust anchor, its CRL is
        applied, and an x5u resolves to the directory file named like the URL's last segment
        (the default x5u ``https://certs.ringfence.test/sp.pem`` → ``DIR/sp.pem``)."""
        anchors = load_certificates((directory / ROOT_CERT_FILE).read_bytes())
        crl_path = directory / CRL_FILE
        crls = load_crls(crl_path.read_bytes()) if crl_path.exists() else []
        return cls.from_certificates(
            {},
            trust_anchors=anchors,
            crls=crls,
            directory=directory,
            max_age=max_age,
            country_code=country_code,
            trunk_prefix=trunk_prefix,
        )

    @classmethod
    def from_bundle(
        cls, bundle: Path, *, max_age: float = DEFAULT_MAX_AGE
    ) -> ShakenAuthenticator | None:
        """For ``replay``: the verifier of a bundle's ``pki`` directory (written by the
        simulator), or None when the bundle has none. Calls are verified at their own start
        time, so a 2019 bundle verifies against certificates valid in 2019."""
        directory = bundle / BUNDLE_PKI_DIR
        if not (directory / ROOT_CERT_FILE).is_file():
            return None
        return cls.from_pki_dir(directory, max_age=max_age)

    def verify(self, attempt: CallAttempt) -> AuthOutcome:
        """Verify ``attempt.identity``; empty identity → MISSING, never raises for bad input."""
        if not attempt.identity.strip():
            return MISSING
        now = attempt.time.timestamp()
        # The first failure as values, not the exception: a kept exception holds its traceback,
        # whose frame holds this variable, a reference cycle that would keep the whole call
        # (and the SIP batch it came in) alive until the cycle collector's next full pass.
        failed: AuthOutcome | None = None
        for value in split_identity_values(attempt.identity):
            try:
                passport, _ = self.verifier.verify(
                    value, orig=attempt.caller, dest=attempt.callee, now=now
                )
            except ShakenError as exc:
                if failed is None:
                    failed = AuthOutcome(AuthStatus.FAILED, error=exc.code, detail=str(exc))
                continue
            if passport.header.ppt == PPT_SHAKEN:
                return PASSED_OUTCOMES.get(passport.attest) or AuthOutcome(
                    AuthStatus.PASSED, attest=passport.attest
                )
        if failed is None:
            unsupported = PptUnsupported("no SHAKEN PASSporT among the Identity values")
            failed = AuthOutcome(AuthStatus.FAILED, error=unsupported.code, detail=str(unsupported))
        return failed
