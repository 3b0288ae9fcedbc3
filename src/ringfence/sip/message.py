"""SIP messages (RFC 3261 §7, §20): parse requests strictly, render responses.

Only what a redirect/screening server needs is interpreted: the start line, Via, From, To,
Call-ID, CSeq, Contact, P-Asserted-Identity, Identity, Max-Forwards and Content-Length (in
their compact forms too). Other headers are kept as text and never interpreted.

Parsing is strict because the input is hostile (scanners, fuzzers, broken gateways):

- the message is at most :data:`MAX_MESSAGE_BYTES`, with at most :data:`MAX_HEADERS` header
  fields, each line at most :data:`MAX_LINE`;
- lines end in CRLF; a bare CR, a bare LF or a NUL inside the header block is header injection;
- the header block is UTF-8; Content-Length is decimal and must fit the bytes received.

:func:`parse_request` raises :class:`SipParseError`. Its ``answerable`` flag says whether the
message still names a transaction (Via, From, To, Call-ID, CSeq) so that a ``400`` can be sent
back; otherwise the message is dropped (answering junk only feeds reflection attacks).
"""

from __future__ import annotations

from typing import Final

from ringfence.core.errors import RingfenceError

MAX_MESSAGE_BYTES: Final = 32 * 1024
MAX_HEADERS: Final = 128
MAX_LINE: Final = 8 * 1024
SIP_VERSION: Final = "SIP/2.0"
BRANCH_COOKIE: Final = "z9hG4bK"

#: RFC 3261 §7.3.3, RFC 8224 §4 (``y``) and the compact forms registered since.
COMPACT_FORMS: Final = {
    "i": "call-id",
    "m": "contact",
    "e": "content-encoding",
    "l": "content-length",
    "c": "content-type",
    "f": "from",
    "s": "subject",
    "k": "supported",
    "t": "to",
    "v": "via",
    "y": "identity",
    "o": "event",
    "r": "refer-to",
    "u": "allow-events",
    "x": "session-expires",
    "b": "referred-by",
    "a": "accept-contact",
    "j": "reject-contact",
    "d": "request-disposition",
}
#: Headers a request must carry to be answered at all (RFC 3261 §8.1.1).
TRANSACTION_HEADERS: Final = ("via", "from", "to", "call-id", "cseq")
_TOKEN_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"
)


class SipParseError(ValueError, RingfenceError):
    """A SIP message that cannot be accepted; ``answerable`` when a 400 can name it."""

    code = "SIP_MALFORMED"

    def __init__(self, reason: str, request: SipRequest | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        #: The request as far as it was understood, when it names a transaction.
        self.request = request

    @property
    def answerable(self) -> bool:
        """Whether a ``400`` can be addressed (the transaction headers are all present)."""
        return self.request is not None


class SipRequest:
    """One parsed request. Header names are lower-case long forms; values keep their order."""

    __slots__ = ("body", "headers", "method", "uri")

    def __init__(self, method: str, uri: str, headers: dict[str, list[str]], body: bytes) -> None:
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"SipRequest({self.method} {self.uri}, {len(self.headers)} headers)"

    def header(self, name: str) -> str:
        """The first value of header ``name`` (lower-case long form), or ``""``."""
        values = self.headers.get(name)
        return values[0] if values else ""

    @property
    def call_id(self) -> str:
        """The Call-ID."""
        return self.header("call-id")

    def cseq(self) -> tuple[int, str]:
        """CSeq number and method; raises :class:`SipParseError` when malformed."""
        number, method = split_cseq(self.header("cseq"))
        return int(number), method

    @property
    def branch(self) -> str:
        """The ``branch`` parameter of the topmost Via (``""`` when absent)."""
        return param(self.header("via"), "branch")

    @property
    def from_tag(self) -> str:
        """The ``tag`` parameter of From."""
        return param(self.header("from"), "tag")


class NameAddr:
    """A From/To/Contact/P-Asserted-Identity value: display name, URI and header parameters
    (``;tag=…`` and the like, as received after the URI)."""

    __slots__ = ("display", "params", "uri")

    def __init__(self, display: str, uri: str, params: str) -> None:
        self.display = display
        self.uri = uri
        self.params = params

    def __repr__(self) -> str:
        return f"NameAddr({self.display!r}, {self.uri!r}, {self.params!r})"


def split_cseq(value: str) -> tuple[str, str]:
    """The sequence number (decimal digits) and method of a CSeq value; raises when malformed."""
    number, _, method = value.partition(" ")
    method = method.strip()
    if not (number.isdigit() and number.isascii() and len(number) <= 10 and method):
        raise SipParseError(f"malformed CSeq {value!r:.60}")
    return number, method


def param(value: str, name: str) -> str:
    """The value of header parameter ``name`` (``;name=value``) in ``value``, or ``""``.

    Parameters inside ``<…>`` belong to the URI and are not looked at.
    """
    gt = value.rfind(">")
    tail = value[gt + 1 :] if gt >= 0 else value
    for part in tail.split(";")[1:]:
        key, _, found = part.partition("=")
        if key.strip().lower() == name:
            return found.strip()
    return ""


def parse_name_addr(value: str) -> NameAddr:
    """Split ``"Display" <uri>;params`` or ``uri;params`` (RFC 3261 §20.10)."""
    lt = value.find("<")
    if lt < 0:
        uri, sep, params = value.strip().partition(";")
        return NameAddr("", uri.strip(), sep + params)
    gt = value.find(">", lt)
    if gt < 0:
        raise SipParseError(f"unterminated <URI> in {value!r:.80}")
    display = value[:lt].strip()
    if len(display) >= 2 and display[0] == display[-1] == '"':
        display = display[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return NameAddr(display, value[lt + 1 : gt].strip(), value[gt + 1 :].strip())


def uri_user(uri: str) -> str:
    """The telephone number or user a ``sip:``/``sips:``/``tel:`` URI names (``""`` if none).

    User parameters (``;npdi``, ``;verstat=…``) and URI parameters are dropped.
    """
    scheme, _, rest = uri.partition(":")
    scheme = scheme.lower()
    if scheme == "tel":
        return rest.split(";", 1)[0]
    if scheme in ("sip", "sips"):
        user, at, _host = rest.partition("@")
        return user.split(";", 1)[0] if at else ""
    return ""


def uri_scheme(uri: str) -> str:
    """The lower-case scheme of ``uri`` (``sip``, ``sips``, ``tel``…)."""
    return uri.partition(":")[0].lower()


def quote(text: str) -> str:
    """``text`` as an RFC 3261 quoted-string (display names)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: Field names as received (before the colon) → lower-case long form; a switch spells the
#: same dozen names on every message, so each line costs one look-up instead of validating its
#: name again. Bounded: names beyond the limit are validated every time, never stored.
_FIELD_NAMES: dict[str, str] = {}
_FIELD_NAMES_LIMIT: Final = 1024
_KNOWN_METHODS: Final = frozenset(
    {"INVITE", "ACK", "CANCEL", "OPTIONS", "BYE", "REGISTER", "PRACK", "UPDATE", "INFO"}
)
_INJECTION: Final = "bare CR, bare LF or NUL in the header block (header injection)"


def _field_name(raw: str, line: str) -> str:
    """The lower-case long form of the field name ``raw``; raises when it is not a token."""
    name = raw.rstrip().lower()
    if not name or not _TOKEN_CHARS.issuperset(name):
        raise SipParseError(f"malformed header line {line!r:.80}")
    name = COMPACT_FORMS.get(name, name)
    if len(_FIELD_NAMES) < _FIELD_NAMES_LIMIT:
        _FIELD_NAMES[raw] = name
    return name


def _start_line(line: str) -> tuple[str, str]:
    parts = line.split(" ")
    if len(parts) != 3:
        raise SipParseError(f"malformed request line {line!r:.80}")
    method, uri, version = parts
    if version != SIP_VERSION:
        raise SipParseError(f"unsupported version {version!r:.20} (only {SIP_VERSION})")
    if method not in _KNOWN_METHODS and not (method and _TOKEN_CHARS.issuperset(method)):
        raise SipParseError(f"malformed method {method!r:.30}")
    if ":" not in uri:
        raise SipParseError(f"Request-URI {uri!r:.80} is not an absolute URI")
    return method, uri


def _headers(lines: list[str], long_lines: bool) -> dict[str, list[str]]:
    """The header fields of ``lines[1:]`` (``lines[0]`` is the start line; ``long_lines``: some
    line may exceed :data:`MAX_LINE`)."""
    if len(lines) > MAX_HEADERS + 1:
        raise SipParseError(f"{len(lines) - 1} header lines, at most {MAX_HEADERS}")
    headers: dict[str, list[str]] = {}
    names = _FIELD_NAMES
    last: list[str] | None = None
    for i in range(1, len(lines)):
        line = lines[i]
        if "\r" in line or "\n" in line:
            raise SipParseError(_INJECTION)
        if long_lines and len(line) > MAX_LINE:
            raise SipParseError(f"header line of {len(line)} characters exceeds {MAX_LINE}")
        raw, colon, value = line.partition(":")
        name = names.get(raw) if colon else None
        if name is None:
            if line[:1] in (" ", "\t"):  # folded continuation of the previous header (LWS)
                if last is None:
                    raise SipParseError("continuation line before any header")
                last[-1] = f"{last[-1]} {line.strip()}"
                continue
            if not colon:
                raise SipParseError(f"malformed header line {line!r:.80}")
            name = _field_name(raw, line)
        last = headers.get(name)
        if last is None:
            last = headers[name] = [value.strip()]
        else:
            last.append(value.strip())
    return headers


def _body(headers: dict[str, list[str]], rest: bytes, stream: bool) -> bytes:
    lengths = headers.get("content-length")
    if not lengths:
        if stream:
            raise SipParseError("Content-Length is required on a stream transport")
        return rest
    declared = lengths[0]
    if len(lengths) > 1 or not (declared.isdigit() and declared.isascii() and len(declared) < 7):
        raise SipParseError(f"malformed Content-Length {', '.join(lengths)!r:.40}")
    size = int(declared)
    if size > len(rest):
        raise SipParseError(f"Content-Length {size} but only {len(rest)} body bytes received")
    if stream and size != len(rest):
        raise SipParseError(f"Content-Length {size} but {len(rest)} body bytes framed")
    return rest[:size]  # RFC 3261 §18.3: extra datagram bytes are discarded


def parse_request(data: bytes, *, stream: bool = False) -> SipRequest:
    """Parse one SIP request (``stream``: from TCP, where Content-Length frames the message).

    Raises :class:`SipParseError` naming the first problem; it carries the request when the
    transaction headers were understood (then a ``400`` can be sent).
    """
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES}")
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise SipParseError("no empty line ends the header block (truncated message)")
    try:
        head = data[:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError(f"header block is not UTF-8 (byte {exc.start})") from None
    # Every CR and LF must belong to a CRLF pair, and no NUL: anything else smuggles lines.
    # (Lines are split at CRLF, so a CR or LF left inside one is bare; see _headers.)
    lines = head.split("\r\n")
    start = lines[0]
    if "\x00" in head or "\r" in start or "\n" in start:
        raise SipParseError(_INJECTION)
    if start.startswith(SIP_VERSION + " "):
        raise SipParseError("a response, not a request")
    method, uri = _start_line(start)
    headers = _headers(lines, len(head) > MAX_LINE)
    missing = [name for name in TRANSACTION_HEADERS if name not in headers]
    if missing:
        raise SipParseError(f"missing {', '.join(missing)}")
    try:
        _, cseq_method = split_cseq(headers["cseq"][0])
        if cseq_method != method:
            raise SipParseError(f"CSeq method {cseq_method!r:.20} is not {method!r}")
        forwards = headers.get("max-forwards")
        if forwards and forwards[0]:
            hops = forwards[0]
            if not (hops.isdigit() and hops.isascii() and int(hops) < 256):
                raise SipParseError(f"malformed Max-Forwards {hops!r:.20}")
        body = _body(headers, data[end + 4 :], stream)
    except SipParseError as exc:
        raise SipParseError(exc.reason, SipRequest(method, uri, headers, b"")) from None
    return SipRequest(method, uri, headers, body)


def render_response(
    request: SipRequest,
    status: int,
    reason: str,
    extra: str = "",
    *,
    to_tag: str = "",
    via: str = "",
) -> bytes:
    """The response to ``request``: Via (``via`` replaces the topmost), From, To (with
    ``to_tag`` unless it has a tag), Call-ID, CSeq, then ``extra`` (rendered header lines,
    each ending in CRLF) and an empty body."""
    headers = request.headers
    vias = headers["via"]
    more = "".join([f"Via: {v}\r\n" for v in vias[1:]]) if len(vias) > 1 else ""
    to = headers["to"][0]
    # No "tag" anywhere means no tag parameter: the common case skips parsing the parameters.
    if to_tag and ("tag" not in to.lower() or not param(to, "tag")):
        to = f"{to};tag={to_tag}"
    return (
        f"{SIP_VERSION} {status} {reason}\r\nVia: {via or vias[0]}\r\n{more}"
        f"From: {headers['from'][0]}\r\nTo: {to}\r\nCall-ID: {headers['call-id'][0]}\r\n"
        f"CSeq: {headers['cseq'][0]}\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def source_via(top_via: str, host: str, port: int) -> str:
    """The topmost Via with ``received`` (RFC 3261 §18.2.1) and ``rport`` (RFC 3581) filled in,
    so that the response can be routed back to where the request really came from."""
    lower = top_via.lower()
    semi = top_via.find(";")
    sent_by = (top_via if semi < 0 else top_via[:semi]).split()
    sent_host = sent_by[-1] if sent_by else ""  # none: a malformed Via, answered all the same
    if sent_host.count(":") == 1:
        sent_host = sent_host.rsplit(":", 1)[0]
    via = top_via
    if "rport" in lower:
        parts = top_via.split(";")
        for i in range(1, len(parts)):
            if parts[i].strip().lower() == "rport":
                parts[i] = f"rport={port}"
        via = ";".join(parts)
    if "received=" not in lower and sent_host.strip("[]") != host:
        via = f"{via};received={host}"
    return via
