"""Interoperability with Debian's secsipidx (the Go library used by Kamailio), both directions.

Skipped when secsipidx is not installed, except under CI (env CI=true) where it must be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ringfence.shaken.pki import ShakenPki, load_private_key, read_manifest
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.shaken.signer import Signer

SECSIPIDX = shutil.which("secsipidx")
ORIG = "15551234567"
DEST = "15557654321"

if SECSIPIDX is None:
    if os.environ.get("CI") == "true":
        pytest.fail("secsipidx is required in CI (apt-get install secsipidx)", pytrace=False)
    pytest.skip(
        "secsipidx not on PATH: install Debian's secsipidx to run the interop tests",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("interop")
    ShakenPki.create().write(directory)
    return directory


def secsipidx(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert SECSIPIDX is not None
    return subprocess.run(
        [SECSIPIDX, *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )


def test_ringfence_token_verifies_with_secsipidx(pki_dir: Path) -> None:
    key = load_private_key((pki_dir / "sp.key").read_bytes())
    signer = Signer(key, read_manifest(pki_dir)["x5u"])
    identity = signer.identity(signer.sign(ORIG, DEST, "A"))
    # cert-verify 1|4|8|16: validity, CA file, intermediate file, CRL.
    result = secsipidx(
        "-c",
        "-identity",
        identity,
        "-p",
        "sp.pem",
        "-expire",
        "300",
        "-cert-verify",
        "29",
        "-ca-file",
        "sti-ca.pem",
        "-ca-inter",
        "sti-ica.pem",
        "-crl-file",
        "crl.pem",
        cwd=pki_dir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout.split()


def test_secsipidx_rejects_a_ringfence_token_for_another_key(pki_dir: Path, tmp_path: Path) -> None:
    other = ShakenPki.create()
    signer = Signer(other.sp_key, other.x5u)
    identity = signer.identity(signer.sign(ORIG, DEST, "A"))
    result = secsipidx(
        "-c", "-identity", identity, "-p", str(pki_dir / "sp.pem"), "-expire", "300", cwd=tmp_path
    )
    assert result.returncode != 0


@pytest.mark.parametrize("attest", ["A", "B", "C"])
def test_secsipidx_token_verifies_with_ringfence(pki_dir: Path, attest: str) -> None:
    result = secsipidx(
        "-sign-full",
        "-k",
        "sp.key",
        "-x5u",
        "https://certs.ringfence.test/sp.pem",
        "-o",
        ORIG,
        "-d",
        DEST,
        "-a",
        attest,
        cwd=pki_dir,
    )
    assert result.returncode == 0, result.stderr
    identity = result.stdout.strip()
    auth = ShakenAuthenticator.from_pki_dir(pki_dir)
    outcome = auth.verifier.check(identity, orig="+1-555-123-4567", dest=DEST, now=time.time())
    assert outcome.valid, outcome
    assert outcome.attest == attest and outcome.origid
