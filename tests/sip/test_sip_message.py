"""The SIP parser: a table of messages it must accept or refuse, and fuzzing with hypothesis."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.sip.message import (
    MAX_MESSAGE_BYTES,
    SipParseError,
    parse_name_addr,
    parse_request,
    source_via,
    uri_user,
)

INVITE = (
    "INVITE sip:+8613800138000@10.0.0.1;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhds;rport\r\n"
    'From: "Alice" <sip:+8613900139000@10.0.0.2>;tag=1928301774\r\n'
    "To: <sip:+8613800138000@10.0.0.1>\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n"
)


def test_invite_fields() -> None:
    r = parse_request(INVITE.encode())
    assert (r.method, r.call_id, r.cseq(), r.branch, r.from_tag, r.body) == (
        "INVITE", "a84b4c76e66710", (314159, "INVITE"), "z9hG4bK776asdhds", "1928301774", b"v=0\n"
    )  # fmt: skip


FOLDED = "y: tok;info=<https://x.test/a>\r\n ;alg=ES256\r\n"  # Identity, folded


def test_compact_forms_and_folding() -> None:
    text = (
        INVITE.replace("Call-ID:", "i:").replace("From:", "f:").replace("To:", "t:")
        .replace("Via:", "v:").replace("Content-Length:", "l:")
        .replace("Max-Forwards: 70\r\n", f"Max-Forwards: 70\r\n{FOLDED}")
    )  # fmt: skip
    r = parse_request(text.encode())
    assert r.call_id == "a84b4c76e66710"
    assert r.header("identity") == "tok;info=<https://x.test/a> ;alg=ES256"


# (case, message, answerable: a 400 can be sent)
BAD = [
    ("truncated", INVITE[:60], False),
    ("no blank line", INVITE.split("\r\n\r\n")[0], False),
    ("content too short", INVITE.replace("Content-Length: 4", "Content-Length: 40"), True),
    ("bad content length", INVITE.replace("Content-Length: 4", "Content-Length: -4"), True),
    ("two content lengths", INVITE.replace("Content-Length: 4", "Content-Length: 4\r\nl: 4"), True),
    ("bare LF injection", INVITE.replace("Max-Forwards: 70", "Max-Forwards: 70\nX-Evil: 1"), False),
    ("bare CR injection", INVITE.replace("Max-Forwards: 70", "Max-Forwards: 70\rBYE x"), False),
    ("NUL", INVITE.replace("Alice", "Al\x00ice"), False),
    ("missing Call-ID", INVITE.replace("Call-ID: a84b4c76e66710\r\n", ""), False),
    ("CSeq method differs", INVITE.replace("314159 INVITE", "1 BYE"), True),
    ("bad CSeq", INVITE.replace("314159 INVITE", "x INVITE"), True),
    ("bad Max-Forwards", INVITE.replace("Max-Forwards: 70", "Max-Forwards: 900"), True),
    ("wrong version", INVITE.replace("SIP/2.0\r\n", "SIP/3.0\r\n", 1), False),
    ("a response", "SIP/2.0 200 OK\r\n" + INVITE.split("\r\n", 1)[1], False),
    ("header without colon", INVITE.replace("Max-Forwards: 70", "Max-Forwards 70"), False),
    ("relative URI", INVITE.replace("sip:+8613800138000@10.0.0.1;user=phone", "x"), False),
    ("oversize", INVITE.replace("v=0\n", "v" * MAX_MESSAGE_BYTES), False),
    (
        "too many headers",
        INVITE.replace("Max-Forwards: 70", "X: 1\r\n" * 200 + "Max-Forwards: 70"),
        False,
    ),
    ("not UTF-8", INVITE.replace("Alice", "Al\udcffice"), False),
]


@pytest.mark.parametrize(("case", "text", "answerable"), BAD, ids=[b[0] for b in BAD])
def test_malformed(case: str, text: str, answerable: bool) -> None:
    with pytest.raises(SipParseError) as caught:
        parse_request(text.encode("utf-8", "surrogateescape"))
    assert caught.value.answerable is answerable, caught.value.reason


def test_a_known_header_name_without_its_colon_is_refused() -> None:
    parse_request(INVITE.encode())  # "Max-Forwards" is now a name the parser has seen
    for line in ("Max-Forwards", "Max-Forwards 70", " Max-Forwards: 70"):
        text = INVITE.replace("Max-Forwards: 70", f"Via: x\r\n{line}")
        try:
            request = parse_request(text.encode())
        except SipParseError:
            continue
        assert line.startswith(" ") and request.headers["via"][-1] == f"x {line.strip()}"


def test_stream_requires_content_length() -> None:
    text = INVITE.replace("Content-Length: 4\r\n", "")
    assert parse_request(text.encode()).body == b"v=0\n"  # a datagram: the rest is the body
    with pytest.raises(SipParseError, match="required"):
        parse_request(text.encode(), stream=True)


@pytest.mark.parametrize(
    ("value", "display", "uri", "user"),
    [
        ('"A \\"B\\"" <sip:+861@h;user=phone>;tag=1', 'A "B"', "sip:+861@h;user=phone", "+861"),
        ("<tel:+8613800138000;npdi>", "", "tel:+8613800138000;npdi", "+8613800138000"),
        ("sip:95588@bank.example;tag=x", "", "sip:95588@bank.example", "95588"),
        (
            "<sip:+861;verstat=TN-Validation-Passed@h>",
            "",
            "sip:+861;verstat=TN-Validation-Passed@h",
            "+861",
        ),
        ("<sip:h.example>", "", "sip:h.example", ""),
        ("<mailto:a@b>", "", "mailto:a@b", ""),
    ],
)
def test_name_addr(value: str, display: str, uri: str, user: str) -> None:
    parsed = parse_name_addr(value)
    assert (parsed.display, parsed.uri, uri_user(parsed.uri)) == (display, uri, user)


def test_source_via_fills_rport_and_received() -> None:
    via = source_via("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKx;rport", "192.0.2.9", 4000)
    assert via == "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKx;rport=4000;received=192.0.2.9"


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2048))
def test_fuzz_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(SipParseError):
        parse_request(data)


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(0, len(INVITE)),
    insert=st.text(max_size=40),
    at=st.integers(0, len(INVITE)),
)
def test_fuzz_mutated_invite(cut: int, insert: str, at: int) -> None:
    """Mutations of a valid INVITE: parsed or refused with SipParseError, nothing else."""
    text = INVITE[:at] + insert + INVITE[at:]
    for data in (
        text.encode("utf-8", "surrogatepass"),
        text.encode("utf-8", "surrogatepass")[:cut],
    ):
        try:
            request = parse_request(data)
        except SipParseError as exc:
            assert exc.reason
        else:
            assert request.call_id and request.cseq()[1] == request.method
