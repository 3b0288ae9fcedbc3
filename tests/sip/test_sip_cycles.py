"""Answering calls leaves no reference cycles behind.

``ringfence serve`` runs the cycle collector's full collections rarely (see
:mod:`ringfence.server.run`): that is safe only because calls, however they end (passed,
failed verification, malformed, retransmitted), are freed by reference counting alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from tests.sip.test_sip_batch import NOW, SOURCE, invite, make_server

from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.signer import Signer


@pytest.fixture
def no_collector() -> Iterator[None]:
    """No automatic collections (threshold 0): what the test's own collection finds, the
    test made."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.set_threshold(0)
    yield
    gc.set_threshold(*thresholds)


def calls(pki: ShakenPki, first: int, count: int) -> list[bytes]:
    """INVITEs of every kind: signed, forged, unsigned, malformed, retransmitted; ACKs."""
    signer = Signer(pki.sp_key, pki.x5u)
    out: list[bytes] = []
    for i in range(first, first + count):
        caller, callee = f"+86139{i:08d}", f"+86138{i:08d}"
        signed = signer.identity(signer.sign(caller, callee, "A", iat=int(NOW)))
        forged = signer.identity(signer.sign(callee, caller, "A", iat=int(NOW)))
        out += [
            invite(f"s{i}", caller=caller, callee=callee, identity=signed),
            invite(f"s{i}", caller=caller, callee=callee, identity=signed),  # retransmitted
            invite(f"s{i}", method="ACK"),
            invite(f"f{i}", caller=caller, callee=callee, identity=forged),  # 438
            invite(f"u{i}", caller=caller, callee=callee),
            invite(f"m{i}").replace(b"CSeq: 1 INVITE", b"CSeq: x INVITE"),  # 400
            invite(f"o{i}", method="OPTIONS"),
            b"\x00garbage" * i,
        ]
    return out


def test_answering_calls_creates_no_garbage_cycles(no_collector: None) -> None:
    pki = ShakenPki.create()
    server = make_server(pki)
    warm = calls(pki, 0, 20)  # first calls fill caches and load lazily imported code
    server.handle_batch([(m, SOURCE) for m in warm])
    batch = calls(pki, 100, 200)
    gc.collect()
    for i in range(0, len(batch), 16):  # as the UDP endpoint reads them
        answers = server.handle_batch([(m, SOURCE) for m in batch[i : i + 16]])
        assert any(answers)
    assert sum(server.backend.screener.counts.values()) == 20 * 3 + 200 * 3
    assert gc.collect() == 0
