"""Identity headers verified in chunks ahead of screening give the verdicts of verifying each
call as it is screened, failures and unsigned calls included, and verify no call twice."""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ringfence.core.auth import AuthOutcome
from ringfence.core.policy import load_policy
from ringfence.core.types import CallAttempt, Ingress
from ringfence.replay import replay_bundle
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.shaken.signer import Signer
from ringfence.sim import SimConfig, simulate, write

# Identity required on interconnects, so that a missing one shows in the verdicts too.
POLICY = dataclasses.replace(
    load_policy("cn"), identity_required_on=frozenset({Ingress.INTERCONNECT})
)
PEER_CALLER = "+8613312345678"  # a number of the simulated peer that signs its calls

Row = dict[str, object]


class CountingAuthenticator:
    """A real verifier that counts the verifications of each call."""

    def __init__(self, inner: ShakenAuthenticator) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def verify(self, attempt: CallAttempt) -> AuthOutcome:
        self.calls[attempt.call_id] += 1
        return self.inner.verify(attempt)


def _cdr(call_id: str, at: datetime, callee: str, identity: str) -> Row:
    return {
        "call_id": call_id,
        "start_time": at.isoformat(),
        "caller": PEER_CALLER,
        "callee": callee,
        "ingress": "interconnect",
        "trunk_id": "",
        "ring_ms": 4_000,
        "talk_ms": 30_000,
        "disposition": "answered",
        "identity": identity,
    }


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated city (genuine, forged and stale Identity headers, unsigned calls) plus
    hand-made calls that fail in other ways or are never asked about."""
    config = SimConfig(subscribers=3_000, days=1, seed=7)
    city = simulate(config)
    signer = Signer(city.pki.sp_key, city.pki.x5u)
    noon = config.start + timedelta(hours=12)
    late = config.start + timedelta(days=90)  # the SP certificate has expired by then

    def identity(callee: str, at: datetime, attest: str = "A") -> str:
        token = signer.sign(PEER_CALLER[1:], callee[1:], attest, iat=int(at.timestamp()))
        return signer.identity(token)

    callee, other = "+8613800138000", "+8613900139000"
    city.tables["cdrs"].extend(
        [
            _cdr("x-passed-c", noon, callee, identity(callee, noon, "C")),
            _cdr("x-other-callee", noon, callee, identity(other, noon)),
            _cdr("x-two-hours-old", noon, callee, identity(callee, noon - timedelta(hours=2))),
            _cdr("x-blank", noon, callee, "   "),
            # an emergency call is exempt before the screener asks about its Identity
            _cdr("x-emergency", noon, "110", identity(callee, noon)),
            _cdr("x-cert-expired", late, callee, identity(callee, late)),
        ]
    )
    path = tmp_path_factory.mktemp("verify-ahead") / "bundle"
    write(city, path, "csv")
    return path


def _replay(bundle: Path, out: Path, verify_ahead: int) -> tuple[str, Counter[str]]:
    inner = ShakenAuthenticator.from_bundle(bundle)
    assert inner is not None  # the simulator wrote its PKI into the bundle
    counting = CountingAuthenticator(inner)
    replay_bundle(bundle, out, POLICY, authenticator=counting, verify_ahead=verify_ahead)
    return (out / "verdicts.csv").read_text("utf-8"), counting.calls


def _signed(bundle: Path) -> set[str]:
    with (bundle / "cdrs.csv").open(newline="", encoding="utf-8") as handle:
        return {row["call_id"] for row in csv.DictReader(handle) if row["identity"]}


@pytest.fixture(scope="module")
def each_as_screened(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The verdicts of verifying every call as the screener reaches it."""
    verdicts, _ = _replay(bundle, tmp_path_factory.mktemp("out"), verify_ahead=0)
    return verdicts


def test_the_bundle_has_every_kind_of_outcome(each_as_screened: str) -> None:
    rows = {r["call_id"]: r for r in csv.DictReader(each_as_screened.splitlines())}
    failed = {c for c, r in rows.items() if "AUTH_FAILED" in r["reasons"].split(";")}
    assert {"x-other-callee", "x-two-hours-old", "x-cert-expired"} <= failed
    assert len(failed) > 20  # the simulated forgeries too
    missing = {c for c, r in rows.items() if r["reasons"] == "AUTH_MISSING"}
    assert "x-blank" in missing and len(missing) > 100  # unsigned interconnect calls
    assert rows["x-passed-c"]["reasons"] == "AUTH_MISSING"  # attestation C vouches for nothing
    assert rows["x-emergency"]["reasons"] == "EMERGENCY_EXEMPT"


@pytest.mark.parametrize("verify_ahead", [1, 7, 512])
def test_verifying_ahead_gives_the_same_verdicts_and_verifies_each_call_once(
    bundle: Path, each_as_screened: str, tmp_path: Path, verify_ahead: int
) -> None:
    verdicts, verified = _replay(bundle, tmp_path / "out", verify_ahead)
    assert verdicts == each_as_screened
    signed = _signed(bundle)
    assert len(signed) > 1_000
    assert signed <= set(verified)  # the emergency call's too, though it is not asked for
    assert max(verified.values()) == 1
