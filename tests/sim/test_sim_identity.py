"""Identity headers on the simulated interconnect: who is signed, how forgeries fail, and that
a written bundle carries what replay needs to verify them (its test PKI)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ringfence.core.auth import AuthStatus
from ringfence.core.policy import load_policy
from ringfence.core.reasons import Reason
from ringfence.core.types import CallAttempt, Ingress
from ringfence.replay import replay_bundle
from ringfence.shaken.identity import parse_identity
from ringfence.shaken.passport import decode_passport
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.sim import KINDS, SimConfig, SimResult, simulate, write
from ringfence.sim.identity import PKI_DIR, attestation_for, bundle_pki

Row = dict[str, object]
MAX_AGE = 60.0


def _calls(city: SimResult) -> list[tuple[Row, str]]:
    truth = city.tables["truth_calls"]
    return [(cdr, str(t["kind"])) for cdr, t in zip(city.tables["cdrs"], truth, strict=True)]


def _attempt(cdr: Row) -> CallAttempt:
    return CallAttempt(
        str(cdr["call_id"]),
        str(cdr["caller"]),
        str(cdr["callee"]),
        datetime.fromisoformat(str(cdr["start_time"])),
        Ingress(str(cdr["ingress"])),
        str(cdr["trunk_id"]),
        str(cdr["identity"]),
    )


@pytest.fixture(scope="module")
def authenticator(city: SimResult, tmp_path_factory: pytest.TempPathFactory) -> ShakenAuthenticator:
    """What replay builds: the verifier of the written bundle's ``pki`` directory."""
    bundle = tmp_path_factory.mktemp("bundle")
    write(city, bundle)
    return ShakenAuthenticator.from_pki_dir(bundle / PKI_DIR, max_age=MAX_AGE)


@pytest.mark.parametrize(
    ("number", "level"),
    [
        ("+8613312345678", "A"),  # the deployed peer's own subscriber
        ("+8618912345678", "A"),
        ("+8617012345678", "B"),  # a virtual operator it hosts
        ("+8613012345678", None),  # the peer that has not deployed SHAKEN
        ("+8657187654321", None),
        ("+86 1386028", None),  # not a number of any range
        ("110", None),
    ],
)
def test_attestation_follows_who_holds_the_number(number: str, level: str | None) -> None:
    assert attestation_for(number) == level


def test_identity_only_on_the_signing_peers_interconnect_calls(city: SimResult) -> None:
    signed: Counter[bool] = Counter()
    for cdr, kind in _calls(city):
        caller, identity = str(cdr["caller"]), str(cdr["identity"])
        expected = cdr["ingress"] == "interconnect" and attestation_for(caller) is not None
        assert bool(identity) == expected, (kind, cdr)
        if identity:
            signed[KINDS[kind].nuisance] += 1
            header = parse_identity(identity)
            assert header.ppt == "shaken" and header.alg == "ES256"
            passport = decode_passport(header.token)
            assert passport.header.x5u == header.info == city.pki.x5u
            if kind != "auth_failed":
                assert passport.attest == attestation_for(caller)
                assert passport.iat == round(
                    datetime.fromisoformat(str(cdr["start_time"])).timestamp()
                )
    # Nuisance and legitimate callers alike: an Identity header tells nothing of the truth.
    assert signed[True] > 0 and signed[False] > 0


def test_forged_identities_come_only_from_fraud_rings(city: SimResult) -> None:
    roles = {str(r["number"]): r["role"] for r in city.tables["truth_numbers"]}
    forged = [cdr for cdr, kind in _calls(city) if kind == "auth_failed"]
    honest_fraud = [cdr for cdr, kind in _calls(city) if kind == "fraud"]
    assert forged and honest_fraud
    assert all(cdr["ingress"] == "interconnect" and cdr["identity"] for cdr in forged)
    assert {roles[str(cdr["caller"])] for cdr in forged} == {"fraud"}
    info = KINDS["auth_failed"]
    assert info.nuisance and info.reasons == (Reason.AUTH_FAILED,) and not info.behavioural


def test_every_signed_call_verifies_at_its_start_time_and_forgeries_fail(
    city: SimResult, authenticator: ShakenAuthenticator
) -> None:
    failures: Counter[str] = Counter()
    for cdr, kind in _calls(city):
        if not cdr["identity"]:
            continue
        outcome = authenticator.verify(_attempt(cdr))
        if kind == "auth_failed":
            assert outcome.status is AuthStatus.FAILED, cdr
            failures[outcome.error] += 1
        else:
            assert outcome.status is AuthStatus.PASSED, (kind, outcome, cdr)
            assert outcome.attest == attestation_for(str(cdr["caller"]))
    assert set(failures) == {"ORIG_MISMATCH", "SIGNATURE_INVALID", "IAT_STALE"}


def test_pki_is_seeded_and_valid_over_the_whole_simulation() -> None:
    config = SimConfig(subscribers=600, days=3, seed=5)
    pki = bundle_pki(config)
    assert pki.chain_pem() == bundle_pki(config).chain_pem()
    assert pki.chain_pem() != bundle_pki(SimConfig(subscribers=600, days=3, seed=6)).chain_pem()
    end = config.start + timedelta(days=config.days)
    for cert in (pki.root, pki.intermediate, pki.sp_cert):
        assert cert is not None
        assert cert.not_valid_before_utc < config.start and end < cert.not_valid_after_utc


def test_written_pki_is_a_pki_init_directory(city: SimResult, tmp_path: Path) -> None:
    write(city, tmp_path)
    names = {p.name for p in (tmp_path / PKI_DIR).iterdir()}
    assert {"sti-ca.pem", "sp.pem", "sp.key", "crl.pem", "pki.json"} <= names
    assert isinstance(city.pki, ShakenPki)


def test_replay_blocks_forged_calls_for_auth_failed(tmp_path: Path) -> None:
    city = simulate(SimConfig(subscribers=600, days=1, seed=2))
    write(city, tmp_path / "bundle")
    authenticator = ShakenAuthenticator.from_pki_dir(tmp_path / "bundle" / PKI_DIR)
    replay_bundle(
        tmp_path / "bundle", tmp_path / "out", load_policy("cn"), authenticator=authenticator
    )
    verdicts = {
        line.split(",")[0]: line.split(",")
        for line in (tmp_path / "out" / "verdicts.csv").read_text().splitlines()[1:]
    }
    kinds = {str(t["call_id"]): str(t["kind"]) for t in city.tables["truth_calls"]}
    forged = [call for call, kind in kinds.items() if kind == "auth_failed"]
    assert forged
    for call in forged:
        _, action, reasons, _ = verdicts[call]
        assert action == "block" and "AUTH_FAILED" in reasons.split(";"), verdicts[call]
    wrongly = [
        c for c, v in verdicts.items() if "AUTH_FAILED" in v[2] and kinds[c] != "auth_failed"
    ]
    assert wrongly == []
