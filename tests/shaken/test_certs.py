"""STI certificates: TNAuthList (RFC 8226), chains to trust anchors, validity, CRLs."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from ringfence.shaken.certs import (
    TNAuthList,
    TrustPolicy,
    decode_tnauthlist,
    encode_tnauthlist,
    load_certificates,
    load_crls,
    tnauthlist_of,
)
from ringfence.shaken.errors import (
    CertExpired,
    CertMalformed,
    CertNotYetValid,
    CertRevoked,
    CertUntrusted,
    CredentialError,
    TNAuthListMissing,
)
from ringfence.shaken.pki import ShakenPki, generate_key, issue_certificate, make_crl


def test_tnauthlist_known_vector() -> None:
    # SEQUENCE { [0] EXPLICIT IA5String "709J" }, as in real SHAKEN certificates.
    der = bytes.fromhex("3008a00616043730394a")
    assert decode_tnauthlist(der) == TNAuthList(spcs=("709J",))
    assert encode_tnauthlist(spcs=["709J"]) == der


def test_tnauthlist_range_entry() -> None:
    # [1] EXPLICIT SEQUENCE { start "15550000", count 100 }
    start = bytes([0x16, 8]) + b"15550000"
    seq = bytes([0x30, len(start) + 3]) + start + bytes([0x02, 1, 100])
    der = bytes([0x30, len(seq) + 2, 0xA1, len(seq)]) + seq
    tn_auth = decode_tnauthlist(der)
    assert tn_auth.ranges == (("15550000", 100),)
    assert tn_auth.covers("15550099") and not tn_auth.covers("15550100")


@given(
    st.lists(st.text(alphabet="0123456789ABCDEFGHJ", min_size=1, max_size=8), max_size=3),
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=15), max_size=3),
)
def test_tnauthlist_round_trip(spcs: list[str], numbers: list[str]) -> None:
    if not spcs and not numbers:
        return
    decoded = decode_tnauthlist(encode_tnauthlist(spcs=spcs, numbers=numbers))
    assert decoded == TNAuthList(spcs=tuple(spcs), numbers=tuple(numbers))
    assert all(decoded.covers(n) for n in numbers)


@given(st.binary(max_size=40))
def test_fuzzed_tnauthlist_raises_only_cert_malformed(der: bytes) -> None:
    with contextlib.suppress(CertMalformed):
        decode_tnauthlist(der)


def test_sp_certificate_carries_spc(pki: ShakenPki) -> None:
    tn_auth = tnauthlist_of(pki.sp_cert)
    assert tn_auth is not None and tn_auth.spcs == (pki.spc,)


def test_chain_through_intermediate_is_accepted(pki: ShakenPki) -> None:
    chain = load_certificates(pki.chain_pem())
    key = TrustPolicy([pki.root], crls=[pki.crl]).certify(chain)
    assert key.tn_auth is not None and key.tn_auth.spcs == ("1234",)
    assert key.not_after <= pki.sp_cert.not_valid_after_utc.timestamp()


def test_chain_is_not_checked_without_anchors(pki: ShakenPki) -> None:
    TrustPolicy(None).certify([pki.sp_cert])


def test_wrong_chain_is_untrusted(pki: ShakenPki) -> None:
    other = ShakenPki.create()
    with pytest.raises(CertUntrusted):
        TrustPolicy([other.root]).certify(load_certificates(pki.chain_pem()))


def test_missing_intermediate_is_untrusted(pki: ShakenPki) -> None:
    with pytest.raises(CertUntrusted):
        TrustPolicy([pki.root]).certify([pki.sp_cert])


def _sp_chain(
    pki: ShakenPki, *, not_before: dt.datetime, days: int, spc: str | None = "1234"
) -> list[x509.Certificate]:
    """A new SP certificate from the session intermediate, followed by that intermediate."""
    assert pki.intermediate is not None and pki.intermediate_key is not None
    leaf = issue_certificate(
        "SHAKEN test",
        generate_key().public_key(),
        issuer=pki.intermediate,
        issuer_key=pki.intermediate_key,
        not_before=not_before,
        days=days,
        ca=False,
        spc=spc,
    )
    return [leaf, pki.intermediate]


def test_validity_window_both_directions(pki: ShakenPki) -> None:
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    key = TrustPolicy([pki.root]).certify(_sp_chain(pki, not_before=start, days=10))
    key.check_time(start.timestamp() + 1)
    with pytest.raises(CertNotYetValid):
        key.check_time(start.timestamp() - 1)
    with pytest.raises(CertExpired):
        key.check_time((start + dt.timedelta(days=10, seconds=1)).timestamp())


def test_certificate_without_tnauthlist_is_refused(pki: ShakenPki) -> None:
    chain = _sp_chain(pki, not_before=dt.datetime.now(dt.UTC), days=1, spc=None)
    with pytest.raises(TNAuthListMissing):
        TrustPolicy([pki.root]).certify(chain)


def test_revoked_certificate_is_refused(pki: ShakenPki) -> None:
    assert pki.intermediate is not None and pki.intermediate_key is not None
    now = dt.datetime.now(dt.UTC)
    crl = make_crl(pki.intermediate, pki.intermediate_key, [pki.sp_cert.serial_number], now=now)
    crls = load_crls(crl.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(CertRevoked):
        TrustPolicy([pki.root], crls=crls).certify(load_certificates(pki.chain_pem()))


def test_crl_with_bad_signature_is_refused(pki: ShakenPki) -> None:
    assert pki.intermediate is not None
    forged = make_crl(pki.intermediate, generate_key(), [], now=dt.datetime.now(dt.UTC))
    with pytest.raises(CertUntrusted):
        TrustPolicy([pki.root], crls=[forged]).certify(load_certificates(pki.chain_pem()))


@pytest.mark.parametrize(
    "data", [b"", b"junk", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
)
def test_unparseable_certificates(data: bytes) -> None:
    with pytest.raises(CredentialError):
        TrustPolicy(None).certify(load_certificates(data))
