"""ShakenAuthenticator: the screener's seam (ringfence.core.auth)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ringfence.core.auth import AuthStatus, CallerAuthenticator
from ringfence.core.types import CallAttempt, Ingress
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.shaken.signer import Signer

ORIG = "15551234567"
DEST = "15557654321"


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory, pki: ShakenPki) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    pki.write(directory)
    return directory


def attempt(identity: str, when: dt.datetime, caller: str = ORIG) -> CallAttempt:
    return CallAttempt("c1", caller, DEST, when, Ingress.INTERCONNECT, identity=identity)


def test_is_a_caller_authenticator(pki_dir: Path) -> None:
    auth: CallerAuthenticator = ShakenAuthenticator.from_pki_dir(pki_dir)
    assert auth.verify(attempt("", dt.datetime.now(dt.UTC))).status is AuthStatus.MISSING


@pytest.mark.parametrize(
    ("attest", "caller", "status", "error"),
    [
        ("A", ORIG, AuthStatus.PASSED, ""),
        ("C", ORIG, AuthStatus.PASSED, ""),
        ("A", "15550000000", AuthStatus.FAILED, "ORIG_MISMATCH"),
    ],
)
def test_outcomes(
    pki_dir: Path,
    signer: Signer,
    now: int,
    attest: str,
    caller: str,
    status: AuthStatus,
    error: str,
) -> None:
    auth = ShakenAuthenticator.from_pki_dir(pki_dir)
    identity = signer.identity(signer.sign(ORIG, DEST, attest, iat=now))
    outcome = auth.verify(attempt(identity, dt.datetime.fromtimestamp(now, dt.UTC), caller))
    assert (outcome.status, outcome.error) == (status, error)
    if status is AuthStatus.PASSED:
        assert outcome.attest == attest


@pytest.mark.parametrize("identity", ["garbage", "a.b.c;info=<https://x/y>", ";;;", "x" * 20000])
def test_malformed_identity_fails_without_raising(pki_dir: Path, identity: str) -> None:
    outcome = ShakenAuthenticator.from_pki_dir(pki_dir).verify(
        attempt(identity, dt.datetime.now(dt.UTC))
    )
    assert outcome.status is AuthStatus.FAILED and outcome.error


def test_attempt_time_is_the_clock(pki_dir: Path, signer: Signer, now: int) -> None:
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=now))
    later = dt.datetime.fromtimestamp(now + 3600, dt.UTC)
    assert (
        ShakenAuthenticator.from_pki_dir(pki_dir).verify(attempt(identity, later)).error
        == "IAT_STALE"
    )


def test_shaken_value_among_several(pki_dir: Path, signer: Signer, now: int) -> None:
    div = signer.identity(signer.sign_div(ORIG, DEST, "15559990000", iat=now), ppt="div")
    shaken = signer.identity(signer.sign(ORIG, DEST, "B", iat=now))
    auth = ShakenAuthenticator.from_pki_dir(pki_dir)
    when = dt.datetime.fromtimestamp(now, dt.UTC)
    assert auth.verify(attempt(f"{div}, {shaken}", when)).attest == "B"
    only_div = auth.verify(attempt(div, when))
    assert (only_div.status, only_div.error) == (AuthStatus.FAILED, "PPT_UNSUPPORTED")


def test_from_certificates_mapping(pki: ShakenPki, signer: Signer, now: int) -> None:
    auth = ShakenAuthenticator.from_certificates(
        {pki.x5u: pki.chain_pem()}, trust_anchors=[pki.root]
    )
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=now))
    assert (
        auth.verify(attempt(identity, dt.datetime.fromtimestamp(now, dt.UTC))).status
        is AuthStatus.PASSED
    )


def test_from_bundle_uses_the_bundles_pki_dir(tmp_path: Path, pki: ShakenPki) -> None:
    assert ShakenAuthenticator.from_bundle(tmp_path) is None  # a bundle without a PKI
    pki.write(tmp_path / "pki")
    auth = ShakenAuthenticator.from_bundle(tmp_path)
    assert auth is not None
    # The attempt's own time is the clock: a call from the past verifies against then.
    when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=12)
    signer = Signer(pki.sp_key, pki.x5u)
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=int(when.timestamp())))
    assert auth.verify(attempt(identity, when)).status is AuthStatus.PASSED
