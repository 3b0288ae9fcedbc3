"""A batch of messages (one wake-up's datagrams) is answered as its messages one by one would
be, with the INVITEs verified and screened stage by stage; one bad call costs no other its
answer."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from ringfence.core.auth import MISSING, NOT_CHECKED, AuthOutcome, AuthStatus, SuppliedOutcome
from ringfence.core.policy import load_policy
from ringfence.core.screener import Screener
from ringfence.core.types import CallAttempt, Ingress, Verdict
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.shaken.signer import Signer
from ringfence.sip.auth import SipShaken
from ringfence.sip.server import LocalBackend, SipServer, SipSettings

SOURCE = ("127.0.0.1", 5555)
NOW = float(int(time.time()))  # the test PKI is valid around now
B, B_CALLEE = "+8613900139001", "+8613800138001"
_OUR_TAG = re.compile(rb";tag=rf[0-9a-f]+")


class RecordingBackend(LocalBackend):
    """A local screener that remembers how many attempts each call to it screened, and fails
    on a callee named ``poison``."""

    def __init__(self, screener: Screener, poison: str = "") -> None:
        super().__init__(screener)
        self.poison = poison
        self.calls: list[int] = []

    def screen(self, attempts: Sequence[CallAttempt]) -> list[Verdict]:
        self.calls.append(len(attempts))
        if any(a.callee == self.poison for a in attempts):
            raise RuntimeError("a screener bug")
        return super().screen(attempts)


def invite(
    call: str,
    *,
    branch: str = "",
    method: str = "INVITE",
    caller: str = "+8613900139000",
    callee: str = "+8613800138000",
    identity: str = "",
) -> bytes:
    extra = f"Identity: {identity}\r\n" if identity else ""
    return (
        f"{method} sip:{callee}@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5555;branch={branch or 'z9hG4bK' + call}\r\n"
        f"From: <sip:{caller}@127.0.0.1>;tag=a\r\nTo: <sip:{callee}@127.0.0.1>\r\n"
        f"Call-ID: {call}\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


@pytest.fixture(scope="module")
def pki() -> ShakenPki:
    return ShakenPki.create()


def make_server(pki: ShakenPki, poison: str = "") -> SipServer:
    verifier = ShakenAuthenticator.from_certificates(
        {pki.x5u: pki.chain_pem()}, trust_anchors=[pki.root]
    )
    backend = RecordingBackend(Screener(load_policy("cn")), poison)
    return SipServer(backend, SipSettings(shaken=SipShaken(verifier)), clock=lambda: NOW)


def messages(pki: ShakenPki) -> list[bytes]:
    signer = Signer(pki.sp_key, pki.x5u)

    def signed(caller: str, callee: str) -> str:
        return signer.identity(signer.sign(caller, callee, "A", iat=int(NOW)))

    forged = signed(B, "+8613800138000")  # signed for another caller
    return [
        invite("a", identity=signed("+8613900139000", "+8613800138000")),
        invite("b", caller=B, callee=B_CALLEE, identity=signed(B, B_CALLEE)),
        invite("a", method="ACK"),
        invite("a", identity=signed("+8613900139000", "+8613800138000")),  # retransmission
        invite("a", method="CANCEL"),
        invite("gone", method="CANCEL"),
        invite("o", method="OPTIONS"),
        invite("c", identity=forged),  # 438
        invite("d"),  # no Identity: not required from an interconnect
        invite("e", callee="bob"),  # not a number: screened all the same
        invite("f").replace(b"sip:+8613800138000@", b"mailto:x@"),  # 416
        invite("g").replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"),  # 400
        invite("r", method="REGISTER"),  # 405
        b"\x16\x03\x01 junk",
        invite("b", caller=B, callee=B_CALLEE, identity=signed(B, B_CALLEE)),  # retransmission
    ]


def without_our_tags(responses: Sequence[bytes | None]) -> list[bytes | None]:
    """Responses with the To tags this server made up removed (they count messages answered,
    and a batch answers its INVITEs after the rest)."""
    return [None if r is None else _OUR_TAG.sub(b"", r) for r in responses]


def test_a_batch_is_answered_as_its_messages_one_by_one(pki: ShakenPki) -> None:
    batch = messages(pki)
    alone, together = make_server(pki), make_server(pki)
    one_by_one = [alone.handle(m, SOURCE) for m in batch]
    answered = together.handle_batch([(m, SOURCE) for m in batch])
    assert without_our_tags(answered) == without_our_tags(one_by_one)
    statuses = [None if r is None else int(r.split(b" ", 2)[1]) for r in answered]
    assert statuses == [302, 302, None, 302, 200, 481, 200, 438, 302, 302, 416, 400, 405, None, 302]
    assert b"verstat=TN-Validation-Passed" in (answered[0] or b"")
    assert answered[3] == answered[0] and answered[14] == answered[1]  # from the transaction
    for server in (alone, together):  # every new INVITE screened once, retransmissions not
        assert sum(server.backend.screener.counts.values()) == 5
    backend = together.backend
    assert isinstance(backend, RecordingBackend) and backend.calls == [5]  # in one call


def test_a_call_that_breaks_screening_costs_no_other_its_answer(
    pki: ShakenPki, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server(pki, poison="+8613800138666")
    batch = [invite("a"), invite("b", callee="+8613800138666"), invite("c")]
    with caplog.at_level(logging.ERROR, logger="ringfence.sip"):
        answered = server.handle_batch([(m, SOURCE) for m in batch])
    assert answered[1] is None  # dropped, like a lost datagram: the client retransmits
    assert all(r is not None and r.startswith(b"SIP/2.0 302 ") for r in answered[::2])
    assert "screening a batch of 3 INVITEs failed" in caplog.text
    assert "INVITE b dropped" in caplog.text
    # The dropped call left no transaction: its retransmission is screened again.
    backend = server.backend
    assert isinstance(backend, RecordingBackend)
    backend.poison = ""
    assert server.handle(batch[1], SOURCE) is not None


def test_supplied_outcomes_are_per_attempt_object() -> None:
    at = datetime.fromtimestamp(NOW, UTC)
    first = CallAttempt("1", "+8613900139000", "+8613800138000", at, Ingress.INTERCONNECT, "", "x")
    second = first._replace(call_id="2")
    equal = first._replace()  # equal to first, but another object (the HTTP API's, say)
    passed = AuthOutcome(AuthStatus.PASSED, attest="A")
    failed = AuthOutcome(AuthStatus.FAILED, error="SIGNATURE_INVALID")
    supplied = SuppliedOutcome()
    supplied.supply(first, passed)
    supplied.supply(second, failed)
    assert (supplied.verify(first), supplied.verify(second)) == (passed, failed)
    assert supplied.verify(equal) == NOT_CHECKED  # not verified here: no fallback
    supplied.withdraw(first)
    assert supplied.verify(first) == NOT_CHECKED and supplied.verify(second) == failed
    assert supplied.verify(first._replace(identity="")) == MISSING
