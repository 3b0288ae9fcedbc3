"""The verification service against the rules of RFC 8224, 8225, 8588 and ATIS-1000074."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from ringfence.shaken import errors
from ringfence.shaken.certs import TrustPolicy
from ringfence.shaken.identity import render_identity
from ringfence.shaken.jws import b64url_encode, sign_es256
from ringfence.shaken.passport import encode_header, encode_json
from ringfence.shaken.pki import DEFAULT_X5U, ShakenPki, generate_key, make_crl
from ringfence.shaken.signer import Signer
from ringfence.shaken.verifier import Verifier
from ringfence.shaken.x5u import StaticCertificates

ORIG = "15551234567"
DEST = "15557654321"


def raw_identity(pki: ShakenPki, header: bytes, claims: bytes, info: str, ppt: str | None) -> str:
    """An Identity value over arbitrary header/claims JSON, signed with the SP key."""
    signing_input = f"{b64url_encode(header)}.{b64url_encode(claims)}"
    token = f"{signing_input}.{sign_es256(pki.sp_key, signing_input.encode())}"
    return render_identity(token, info, ppt=ppt)


def test_valid_token_passes(signer: Signer, verifier: Verifier, now: int) -> None:
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=now))
    outcome = verifier.check(identity, orig=ORIG, dest=DEST, now=now)
    assert outcome.valid and outcome.verstat == "TN-Validation-Passed"
    assert (outcome.ppt, outcome.attest, outcome.error) == ("shaken", "A", None)


@pytest.mark.parametrize(
    ("offset", "max_age", "error"),
    [
        (-60, 60, None),
        (60, 60, None),
        (-61, 60, errors.StaleIat),
        (61, 60, errors.FutureIat),
        (-300, 600, None),
        (-601, 600, errors.StaleIat),
    ],
)
def test_iat_freshness_both_directions(
    make_verifier: Callable[..., Verifier],
    signer: Signer,
    now: int,
    offset: int,
    max_age: float,
    error: type[errors.ShakenError] | None,
) -> None:
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=now + offset))
    outcome = make_verifier(max_age=max_age).check(identity, orig=ORIG, dest=DEST, now=now)
    assert outcome.error == (None if error is None else error.code)
    if error is not None:
        assert (outcome.sip_status, outcome.sip_reason) == (403, "Stale Date")


@pytest.mark.parametrize(
    ("orig", "dest", "error"),
    [
        ("+1 555 123 4567", "tel:+1-555-765-4321", None),
        ("sip:+15551234567@carrier.example;user=phone", "15557654321", None),
        ("15551234568", DEST, errors.OrigMismatch),
        (ORIG, "15557654320", errors.DestMismatch),
        ("anonymous", DEST, errors.OrigMismatch),
    ],
)
def test_orig_dest_compared_in_canonical_form(
    signer: Signer,
    verifier: Verifier,
    now: int,
    orig: str,
    dest: str,
    error: type[errors.ShakenError] | None,
) -> None:
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=now))
    outcome = verifier.check(identity, orig=orig, dest=dest, now=now)
    assert outcome.error == (None if error is None else error.code)


@pytest.mark.parametrize(
    ("signed", "error"),
    [
        ("1555123#", None),  # '#' and '*' are telephone-number characters (RFC 8225)
        ("1" * 16, errors.OrigMismatch),  # longer than E.164: matches nothing, even itself
    ],
)
def test_identical_orig_must_still_be_a_telephone_number(
    pki: ShakenPki,
    verifier: Verifier,
    now: int,
    signed: str,
    error: type[errors.ShakenError] | None,
) -> None:
    claims = {"attest": "A", "dest": {"tn": [DEST]}, "iat": now, "orig": {"tn": signed}}
    identity = raw_identity(
        pki, encode_header(pki.x5u, "shaken"), encode_json({**claims, "origid": "o"}),
        pki.x5u, "shaken",
    )  # fmt: skip
    outcome = verifier.check(identity, orig=signed, dest=DEST, now=now)
    assert outcome.error == (None if error is None else error.code)


def test_national_numbers_with_country_code(
    pki: ShakenPki, make_verifier: Callable[..., Verifier], now: int
) -> None:
    cn_signer = Signer(pki.sp_key, pki.x5u, country_code="86", trunk_prefix="0")
    identity = cn_signer.identity(cn_signer.sign("13800138000", "01012345678", "A", iat=now))
    verifier = make_verifier(country_code="86", trunk_prefix="0")
    assert verifier.check(identity, orig="+8613800138000", dest="010 1234 5678", now=now).valid


def test_tampered_payload_fails_signature(signer: Signer, verifier: Verifier, now: int) -> None:
    token = signer.sign(ORIG, DEST, "C", iat=now)
    header, _, signature = token.split(".")
    forged_claims = signer.sign(ORIG, DEST, "A", iat=now).split(".")[1]
    outcome = verifier.check(signer.identity(f"{header}.{forged_claims}.{signature}"), now=now)
    assert (outcome.error, outcome.sip_status) == ("SIGNATURE_INVALID", 438)
    assert outcome.verstat == "TN-Validation-Failed"


@pytest.mark.parametrize(
    ("param_ppt", "token_ppt", "error"),
    [
        ("shaken", "shaken", None),
        ("div", "shaken", errors.PptMismatch),
        (None, "shaken", errors.PptMismatch),
        ("shaken", None, errors.PptMismatch),
    ],
)
def test_ppt_parameter_must_match_token(
    pki: ShakenPki,
    verifier: Verifier,
    now: int,
    param_ppt: str | None,
    token_ppt: str | None,
    error: type[errors.ShakenError] | None,
) -> None:
    claims = {
        "attest": "A",
        "dest": {"tn": [DEST]},
        "iat": now,
        "orig": {"tn": ORIG},
        "origid": "x",
    }
    identity = raw_identity(
        pki, encode_header(pki.x5u, token_ppt), encode_json(claims), pki.x5u, param_ppt
    )
    assert verifier.check(identity, now=now).error == (None if error is None else error.code)


@pytest.mark.parametrize(
    ("x5u", "info", "error", "status"),
    [
        (
            "http://certs.ringfence.test/sp.pem",
            "http://certs.ringfence.test/sp.pem",
            errors.X5uScheme,
            436,
        ),
        (
            DEFAULT_X5U,
            "https://elsewhere.test/sp.pem",
            errors.X5uMismatch,
            436,
        ),
        ("https://unknown.test/sp.pem", "https://unknown.test/sp.pem", errors.X5uFetch, 436),
    ],
)
def test_certificate_location_rules(
    pki: ShakenPki,
    verifier: Verifier,
    now: int,
    x5u: str,
    info: str,
    error: type[errors.ShakenError],
    status: int,
) -> None:
    claims = {
        "attest": "A",
        "dest": {"tn": [DEST]},
        "iat": now,
        "orig": {"tn": ORIG},
        "origid": "x",
    }
    identity = raw_identity(pki, encode_header(x5u, "shaken"), encode_json(claims), info, "shaken")
    outcome = verifier.check(identity, now=now)
    assert (outcome.error, outcome.sip_status) == (error.code, status)


@pytest.mark.parametrize(
    ("alg", "error"), [("none", errors.AlgNone), ("RS256", errors.AlgUnsupported)]
)
def test_identity_alg_parameter(
    signer: Signer, verifier: Verifier, now: int, alg: str, error: type[errors.ShakenError]
) -> None:
    identity = render_identity(
        signer.sign(ORIG, DEST, "A", iat=now), signer.x5u, alg=alg, ppt="shaken"
    )
    assert verifier.check(identity, now=now).error == error.code


def test_expired_certificate(pki: ShakenPki, signer: Signer, verifier: Verifier) -> None:
    later = int(pki.sp_cert.not_valid_after_utc.timestamp()) + 5
    identity = signer.identity(signer.sign(ORIG, DEST, "A", iat=later))
    outcome = verifier.check(identity, now=later)
    assert (outcome.error, outcome.sip_status, outcome.sip_reason) == (
        "CERT_EXPIRED",
        437,
        "Unsupported Credential",
    )


def test_wrong_chain(signer: Signer, pki: ShakenPki, now: int) -> None:
    foreign = TrustPolicy([ShakenPki.create(intermediate=False).root])
    verifier = Verifier(StaticCertificates(foreign, {pki.x5u: pki.chain_pem()}))
    outcome = verifier.check(signer.identity(signer.sign(ORIG, DEST, "A", iat=now)), now=now)
    assert (outcome.error, outcome.sip_status) == ("CERT_UNTRUSTED", 437)


def test_revoked_certificate(now: int) -> None:
    pki = ShakenPki.create()
    assert pki.intermediate is not None and pki.intermediate_key is not None
    crl = make_crl(
        pki.intermediate,
        pki.intermediate_key,
        [pki.sp_cert.serial_number],
        now=dt.datetime.now(dt.UTC),
    )
    verifier = Verifier(
        StaticCertificates(TrustPolicy([pki.root], crls=[crl]), {pki.x5u: pki.chain_pem()})
    )
    signer = Signer(pki.sp_key, pki.x5u)
    outcome = verifier.check(signer.identity(signer.sign(ORIG, DEST, "A", iat=now)), now=now)
    assert (outcome.error, outcome.sip_status) == ("CERT_REVOKED", 437)


def test_key_not_matching_certificate(pki: ShakenPki, verifier: Verifier, now: int) -> None:
    impostor = Signer(generate_key(), pki.x5u)
    outcome = verifier.check(impostor.identity(impostor.sign(ORIG, DEST, "A", iat=now)), now=now)
    assert outcome.error == "SIGNATURE_INVALID"


def test_compact_form_is_rebuilt_from_sip(pki: ShakenPki, verifier: Verifier, now: int) -> None:
    header = encode_header(pki.x5u, None)
    claims = encode_json({"dest": {"tn": [DEST]}, "iat": now, "orig": {"tn": ORIG}})
    full = raw_identity(pki, header, claims, pki.x5u, None)
    head, _, rest = full.partition(".")
    compact = head + ".." + rest.partition(".")[2]
    assert verifier.check(full, now=now).valid
    assert verifier.verify(compact, orig=ORIG, dest=DEST, date=now, now=now)[0].iat == now
    with pytest.raises(errors.MalformedToken):
        verifier.verify(compact, orig=ORIG, dest=DEST, now=now)
    with pytest.raises(errors.SignatureInvalid):
        verifier.verify(compact, orig=ORIG, dest=DEST, date=now + 1, now=now)


def test_every_error_class_has_its_own_code_and_sip_mapping() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.ShakenError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))
    assert {c.sip_status for c in classes} == {403, 428, 436, 437, 438}
    assert {c.verstat for c in classes} == {"TN-Validation-Failed", "No-TN-Validation"}
