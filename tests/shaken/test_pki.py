"""The test PKI: layout on disk, and seeded PKIs that reproduce byte for byte."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ringfence.shaken.certs import TrustPolicy, load_certificates
from ringfence.shaken.pki import ShakenPki, derive_key, private_key_pem, read_manifest

START = dt.datetime(2019, 2, 28, 16, tzinfo=dt.UTC)


def _material(pki: ShakenPki) -> bytes:
    crl = pki.crl.public_bytes(serialization.Encoding.PEM)
    return pki.chain_pem() + private_key_pem(pki.sp_key) + crl


def test_seeded_pki_reproduces_and_depends_on_the_seed() -> None:
    first = ShakenPki.create(not_before=START, days=10, seed=b"one")
    assert _material(first) == _material(ShakenPki.create(not_before=START, days=10, seed=b"one"))
    assert _material(first) != _material(ShakenPki.create(not_before=START, days=10, seed=b"two"))
    assert first.sp_cert.serial_number != first.root.serial_number
    assert 0 < first.sp_cert.serial_number < 2**159


def test_seeded_pki_is_a_valid_chain_for_its_window() -> None:
    pki = ShakenPki.create(not_before=START, days=10, seed=b"one")
    key = TrustPolicy([pki.root], crls=[pki.crl]).certify(load_certificates(pki.chain_pem()))
    assert key.not_before == START.timestamp()
    assert key.not_after == (START + dt.timedelta(days=10)).timestamp()


def test_unseeded_pkis_differ() -> None:
    assert _material(ShakenPki.create()) != _material(ShakenPki.create())


def test_derived_keys_are_per_label() -> None:
    assert private_key_pem(derive_key(b"s", "a")) == private_key_pem(derive_key(b"s", "a"))
    assert private_key_pem(derive_key(b"s", "a")) != private_key_pem(derive_key(b"s", "b"))


def test_written_directory_holds_what_pki_init_promises(tmp_path: Path) -> None:
    pki = ShakenPki.create(seed=b"dir")
    names = {p.name for p in pki.write(tmp_path)}
    assert names == {
        "sti-ca.pem", "sti-ca.key", "sti-ica.pem", "sti-ica.key",
        "sp.pem", "sp.key", "sp.pub", "crl.pem", "pki.json",
    }  # fmt: skip
    assert read_manifest(tmp_path) == {"x5u": pki.x5u, "spc": pki.spc}
