"""Transactions, methods, junk and TCP framing of the SIP server; ingress rules."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from ringfence.core.errors import PolicyError
from ringfence.core.policy import load_policy
from ringfence.core.registry import HolderType, NumberBlock, Purpose, RegistrySnapshot
from ringfence.core.screener import Screener
from ringfence.core.types import Ingress
from ringfence.shaken.pki import ShakenPki
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.shaken.signer import Signer
from ringfence.sip.auth import SipShaken
from ringfence.sip.message import parse_request
from ringfence.sip.rules import IngressRules, load_rules
from ringfence.sip.server import LocalBackend, SipServer, SipSettings, TransactionCache

from .conftest import Running

SOURCE = ("127.0.0.1", 5555)


def request(
    method: str = "INVITE",
    *,
    branch: str = "z9hG4bK1",
    cseq: int = 1,
    extra: str = "",
    caller: str = "+8613900139000",
) -> bytes:
    return (
        f"{method} sip:+8613800138000@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:5555;branch={branch}\r\n"
        f"From: <sip:{caller}@127.0.0.1>;tag=a\r\n"
        "To: <sip:+8613800138000@127.0.0.1>\r\n"
        "Call-ID: call-1\r\n"
        f"CSeq: {cseq} {method}\r\n"
        f"{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def status(response: bytes | None) -> int:
    assert response is not None
    return int(response.split(b" ", 2)[1])


@pytest.fixture
def server() -> SipServer:
    return SipServer(LocalBackend(Screener(load_policy("cn"))))


def test_retransmitted_invite_is_answered_again_without_screening(server: SipServer) -> None:
    first = server.handle(request(), SOURCE)
    again = server.handle(request(), SOURCE)
    assert status(first) == 302 and again == first
    assert sum(server.backend.screener.counts.values()) == 1
    assert status(server.handle(request(cseq=2, branch="z9hG4bK2"), SOURCE)) == 302
    assert sum(server.backend.screener.counts.values()) == 2


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (request("OPTIONS"), 200),
        (request("REGISTER"), 405),
        (request("BYE"), 405),
        (request("CANCEL"), 481),  # no such INVITE
        (request("INVITE").replace(b"sip:+8613800138000@127.0.0.1 SIP", b"mailto:a@b SIP"), 416),
        (request("INVITE").replace(b"CSeq: 1 INVITE", b"CSeq: 1 BYE"), 400),
        (request("ACK"), None),
        (b"\x00\xff garbage", None),
    ],
    ids=["options", "register", "bye", "cancel unknown", "uri scheme", "bad cseq", "ack", "junk"],
)
def test_methods(server: SipServer, message: bytes, expected: int | None) -> None:
    response = server.handle(message, SOURCE)
    assert (response if expected is None else status(response)) == expected


def test_cancel_after_the_invite_was_answered(server: SipServer) -> None:
    server.handle(request(), SOURCE)
    assert status(server.handle(request("CANCEL"), SOURCE)) == 200
    assert status(server.handle(request("CANCEL", branch="z9hG4bKother"), SOURCE)) == 481


def test_invite_after_the_transaction_expired_is_screened_again() -> None:
    now = [1_000.0]
    server = SipServer(LocalBackend(Screener(load_policy("cn"))), clock=lambda: now[0])
    for t in (1_000.0, 1_010.0, 1_040.0, 1_041.0):  # at 1,040 the first one has expired
        now[0] = t
        branch = f"z9hG4bK{t:.0f}"
        assert status(server.handle(request(branch=branch, cseq=int(t)), SOURCE)) == 302
    assert sum(server.backend.screener.counts.values()) == 4
    now[0] = 1_041.0
    assert server.handle(request(branch="z9hG4bK1041", cseq=1041), SOURCE) is not None
    assert sum(server.backend.screener.counts.values()) == 4  # answered from the cache


def test_transaction_cache_drops_expired_and_oldest_entries() -> None:
    cache = TransactionCache(ttl=10.0, limit=3)
    for i in range(3):
        cache.put(("call", str(i), "via"), b"%d" % i, float(i))
    assert len(cache) == 3 and cache.get(("call", "0", "via"), 9.0) == b"0"
    assert cache.get(("call", "0", "via"), 10.0) is None  # expired
    cache.put(("call", "3", "via"), b"3", 3.0)  # over the limit: the oldest goes
    assert len(cache) == 3 and cache.get(("call", "0", "via"), 3.0) is None
    cache.put(("call", "4", "via"), b"4", 25.0)  # all expired: two go per insertion
    assert len(cache) == 2 and cache.get(("call", "4", "via"), 25.0) == b"4"
    cache.put(("call", "5", "via"), b"5", 25.0)
    assert len(cache) == 2


@pytest.mark.parametrize(
    "message",
    [
        request("ACK").replace(b"CSeq: 1 ACK", b"CSeq: x"),
        b"ACK \x00\xff",
        b"SIP/2.0 200 OK\r\n" + request().split(b"\r\n", 1)[1],
        b"SIP/2.0 junk",
    ],
    ids=["malformed ack", "junk ack", "response", "junk response"],
)
def test_acks_and_responses_are_never_answered(server: SipServer, message: bytes) -> None:
    assert server.handle(message, SOURCE) is None


def test_signs_calls_of_our_own_subscribers() -> None:
    pki = ShakenPki.create()
    registry = RegistrySnapshot()
    registry.add_block(
        NumberBlock("+8613000000000", "+8613000000999", HolderType.CARRIER, "cm", Purpose.GENERAL)
    )
    shaken = SipShaken(
        ShakenAuthenticator.from_certificates({pki.x5u: pki.chain_pem()}, trust_anchors=[pki.root]),
        Signer(pki.sp_key, pki.x5u),
    )
    server = SipServer(
        LocalBackend(Screener(load_policy("cn"), registry)), SipSettings(shaken=shaken)
    )
    for caller, attest in (("+8613000000001", "A"), ("+8613900139000", "B")):
        extra = "P-Ringfence-Ingress: subscriber\r\n"
        response = server.handle(request(caller=caller, extra=extra, branch=caller), SOURCE)
        assert response is not None and status(response) == 302
        identity = next(
            line[10:] for line in response.decode().split("\r\n") if line.startswith("Identity: ")
        )
        assert shaken.verifier is not None
        outcome = shaken.verifier.verifier.check(identity, orig=caller, dest="+8613800138000")
        assert outcome.valid and outcome.attest == attest


# sipvicious (svmap/svwar/svcrack) probes and junk a scanner sends
JUNK = [
    b"OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK-1;rport\r\n"
    b'Max-Forwards: 70\r\nTo: "sipvicious"<sip:100@1.1.1.1>\r\n'
    b'From: "sipvicious"<sip:100@1.1.1.1>;tag=6334\r\nUser-Agent: friendly-scanner\r\n'
    b"Call-ID: 1234\r\nContact: <sip:100@1.2.3.4:5060>\r\nCSeq: 1 OPTIONS\r\n"
    b"Accept: application/sdp\r\n"
    b"Content-Length: 0\r\n\r\n",
    b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK-2\r\n"
    b"From: <sip:1000@127.0.0.1>;tag=1\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: 99\r\n"
    b'CSeq: 1 REGISTER\r\nAuthorization: Digest username="1000"\r\nContent-Length: 0\r\n\r\n',
    b"INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK-3\r\n"
    b"From: <sip:100@1.1.1.1>;tag=1\r\nTo: <sip:100@1.1.1.1>\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\n"
    b"Content-Length: 999999\r\n\r\n",
    b"\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"INVITE " + b"A" * 70000,
    b"INVITE sip:x SIP/2.0\r\n" + b"Via: x\r\n" * 500 + b"\r\n",
]


def test_junk_over_udp_is_dropped_or_refused(
    run_server: Callable[[SipServer], Running], server: SipServer
) -> None:
    running = run_server(server)
    answers = [running.udp(data, timeout=0.3) for data in JUNK[:6]]
    assert status(answers[0]) == 200 and status(answers[1]) == 405 and status(answers[2]) == 400
    assert answers[3:] == [None, None, None]
    assert status(running.udp(request("OPTIONS"))) == 200  # still serving


def test_a_burst_of_datagrams_is_answered_in_full(
    run_server: Callable[[SipServer], Running], server: SipServer
) -> None:
    running = run_server(server)
    count = 100  # several times what the endpoint reads per wake-up
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        for i in range(count):
            message = request(branch=f"z9hG4bKburst{i}").replace(b"call-1", b"burst-%d" % i)
            sock.sendto(message, ("127.0.0.1", running.port))
        answers = [sock.recv(65535) for _ in range(count)]
    assert {status(a) for a in answers} <= {302, 608}  # the detectors see a bomber soon
    assert len({a.split(b"Call-ID: ")[1].split(b"\r\n")[0] for a in answers}) == count


def test_tcp_framing_pipelining_keepalive_and_junk(
    run_server: Callable[[SipServer], Running], server: SipServer
) -> None:
    running = run_server(server)
    with socket.create_connection(("127.0.0.1", running.port), timeout=3) as conn:
        conn.sendall(b"\r\n\r\n" + request("OPTIONS") + request(branch="z9hG4bKt"))
        data = b""
        while data.count(b"SIP/2.0 ") < 2:
            data += conn.recv(65535)
        assert data.startswith(b"\r\nSIP/2.0 200 OK") and b"SIP/2.0 302 " in data
    for junk in (JUNK[6], request().replace(b"Content-Length: 0\r\n", b"")):
        with socket.create_connection(("127.0.0.1", running.port), timeout=3) as conn:
            conn.sendall(junk)
            rest = b"".join(iter(lambda: conn.recv(65535), b""))  # the server closes
            assert rest == b"" or rest.startswith(b"SIP/2.0 400 ")


# (case, rules TOML, source address, headers, ingress, trunk)
RULES = [
    (
        "header trusted by default",
        None,
        "10.0.0.1",
        "P-Ringfence-Ingress: enterprise\r\nX-Trunk: t1\r\n",
        Ingress.ENTERPRISE,
        "t1",
    ),
    ("default ingress", None, "10.0.0.1", "", Ingress.INTERCONNECT, ""),
    (
        "unknown ingress value",
        None,
        "10.0.0.1",
        "P-Ringfence-Ingress: mars\r\n",
        Ingress.INTERCONNECT,
        "",
    ),
    (
        "gateway network",
        '[[rule]]\nsource = "10.20.0.0/16"\ningress = "international"\n',
        "10.20.3.4",
        "",
        Ingress.INTERNATIONAL,
        "",
    ),
    (
        "outside the network",
        '[[rule]]\nsource = "10.20.0.0/16"\ningress = "international"\n',
        "10.21.3.4",
        "",
        Ingress.INTERCONNECT,
        "",
    ),
    (
        "header value",
        '[[rule]]\nheader = "X-Src"\nvalue = "gw"\ningress = "international"\n',
        "10.0.0.1",
        "X-Src: gw\r\n",
        Ingress.INTERNATIONAL,
        "",
    ),
    (
        "fixed trunk",
        '[[rule]]\nsource = "192.0.2.0/24"\ningress = "enterprise"\ntrunk = "t9"\n',
        "192.0.2.7",
        "",
        Ingress.ENTERPRISE,
        "t9",
    ),
]


@pytest.mark.parametrize(
    ("case", "toml", "address", "headers", "ingress", "trunk"), RULES, ids=[r[0] for r in RULES]
)
def test_rules(
    tmp_path: Path,
    case: str,
    toml: str | None,
    address: str,
    headers: str,
    ingress: Ingress,
    trunk: str,
) -> None:
    rules = IngressRules()
    if toml is not None:
        (tmp_path / "rules.toml").write_text(toml)
        rules = load_rules(tmp_path / "rules.toml")
    assert rules.classify(parse_request(request(extra=headers)), address) == (ingress, trunk)


@pytest.mark.parametrize(
    "toml",
    [
        '[[rule]]\nsource = "nope"\n',
        '[[rule]]\ningress = "mars"\n',
        '[[rule]]\ncolour = "x"\n',
        "x = 1\n",
    ],
)
def test_bad_rules_are_named(tmp_path: Path, toml: str) -> None:
    (tmp_path / "rules.toml").write_text(toml)
    with pytest.raises(PolicyError, match=r"rules\.toml"):
        load_rules(tmp_path / "rules.toml")
