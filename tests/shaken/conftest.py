"""Shared test material: one test PKI per session and helpers to sign and verify with it."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ringfence.shaken.certs import TrustPolicy
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.signer import Signer
from ringfence.shaken.verifier import Verifier
from ringfence.shaken.x5u import StaticCertificates


@pytest.fixture(scope="session")
def pki() -> ShakenPki:
    """Root → intermediate → SP (SPC 1234), valid from a day ago for a year."""
    return ShakenPki.create()


@pytest.fixture(scope="session")
def now() -> int:
    return int(time.time())


@pytest.fixture(scope="session")
def signer(pki: ShakenPki) -> Signer:
    return Signer(pki.sp_key, pki.x5u)


@pytest.fixture(scope="session")
def make_verifier(pki: ShakenPki) -> Callable[..., Verifier]:
    """A verifier trusting the session root, with the SP chain served at its x5u."""

    def build(**kwargs: object) -> Verifier:
        policy = TrustPolicy([pki.root], crls=[pki.crl])
        source = StaticCertificates(policy, {pki.x5u: pki.chain_pem()})
        return Verifier(source, **kwargs)  # type: ignore[arg-type]

    return build


@pytest.fixture(scope="session")
def verifier(make_verifier: Callable[..., Verifier]) -> Verifier:
    return make_verifier()
