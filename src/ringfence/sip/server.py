"""The SIP screening server: each request in, at most one response out.

    datagram / framed TCP message
        └─> parse_request ──(malformed)──> 400 if it names a transaction, else dropped
              ├─ INVITE   ──> transaction cache hit? ──> the same response again (no screening)
              │              └─> CallAttempt ──> verify Identity ──> screen ──> 302/603/608/4xx
              ├─ ACK      ──> absorbed (it ends our INVITE transaction; no response)
              ├─ CANCEL   ──> 200 when the INVITE is known (it was already answered: INVITEs are
              │              answered at once, so none is ever pending), else 481
              ├─ OPTIONS  ──> 200 (keep-alive of the switch)
              └─ other    ──> 405 with Allow

INVITE transactions are remembered for 32 s (64·T1, RFC 3261 §17.2.1) keyed by Call-ID, CSeq
number and the topmost Via as received (it carries the branch and sent-by that RFC 3261
§17.2.3 matches on; a retransmission, and the CANCEL of an INVITE, repeat it byte for byte),
so a retransmitted INVITE gets the response it got before without being screened (and counted
by the detectors) twice. The server sends no 100 Trying and does not retransmit its final
response: a client that lost it retransmits the INVITE and is answered from the cache.

ACKs and responses are never answered, whatever they hold, so they are dropped on their first
bytes without being parsed: every call's ACK costs the server no more than its receipt.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Protocol

from ringfence.core.policy import Policy
from ringfence.core.screener import Screener
from ringfence.core.types import Action, CallAttempt, Verdict
from ringfence.sip.answers import DEFAULT_APPEAL_URL, answer_for
from ringfence.sip.auth import SipShaken, SuppliedOutcome
from ringfence.sip.message import (
    SIP_VERSION,
    SipParseError,
    SipRequest,
    parse_name_addr,
    parse_request,
    render_response,
    source_via,
    uri_scheme,
    uri_user,
)
from ringfence.sip.rules import IngressRules

log = logging.getLogger("ringfence.sip")

TRANSACTION_TTL_S: Final = 32.0
MAX_TRANSACTIONS: Final = 500_000
ALLOW: Final = "INVITE, ACK, CANCEL, OPTIONS"
URI_SCHEMES: Final = frozenset({"sip", "sips", "tel"})
Address = tuple[str, int]
TransactionKey = tuple[str, str, str]
_ALLOW_LINE: Final = f"Allow: {ALLOW}\r\n"
_NEVER_ANSWERED: Final = (b"ACK ", f"{SIP_VERSION} ".encode())


class ScreeningBackend(Protocol):
    """What the SIP server needs of a screener (``ScreeningService`` offers it)."""

    @property
    def policy(self) -> Policy:
        """The policy pack the screener applies."""
        ...

    @property
    def screener(self) -> Screener:
        """The shared screener (its registry snapshot; the SIP server installs its verifier)."""
        ...

    def screen(self, attempts: Sequence[CallAttempt]) -> list[Verdict]:
        """Verdicts for ``attempts``, in order."""
        ...


@dataclass
class LocalBackend:
    """A screener used directly, without a registry database (tests, benchmarks)."""

    screener: Screener

    @property
    def policy(self) -> Policy:
        return self.screener.policy

    def screen(self, attempts: Sequence[CallAttempt]) -> list[Verdict]:
        """Verdicts for ``attempts``, in order."""
        return [self.screener.screen(a) for a in attempts]


@dataclass(frozen=True, slots=True)
class SipSettings:
    """How the server answers: ingress rules, STIR/SHAKEN, where blocked callers appeal, and
    the host of the 302's Contact (empty: the Request-URI's host)."""

    rules: IngressRules = field(default_factory=IngressRules)
    shaken: SipShaken = field(default_factory=SipShaken)
    appeal_url: str = DEFAULT_APPEAL_URL
    contact_host: str = ""


class TransactionCache:
    """Final responses of INVITE transactions, kept ``ttl`` seconds (insertion-ordered dict).

    Entries are inserted in time order, so the oldest is first: each insertion drops the
    first ones while they are expired, and the oldest beyond ``limit``.
    """

    def __init__(self, ttl: float = TRANSACTION_TTL_S, limit: int = MAX_TRANSACTIONS) -> None:
        self.ttl = ttl
        self.limit = limit
        self._entries: dict[TransactionKey, tuple[float, bytes]] = {}

    def get(self, key: TransactionKey, now: float) -> bytes | None:
        """The response remembered for ``key``, unless expired."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > now else None

    def put(self, key: TransactionKey, response: bytes, now: float) -> None:
        """Remember ``response``; expired (and, beyond ``limit``, the oldest) entries go."""
        entries = self._entries
        entries.pop(key, None)  # a new entry goes last, keeping the oldest first
        for _ in range(2):  # two out per one in: the table drains once calls slow down
            oldest = next(iter(entries), None)
            if oldest is None or (entries[oldest][0] > now and len(entries) < self.limit):
                break
            del entries[oldest]
        entries[key] = (now + self.ttl, response)

    def __len__(self) -> int:
        return len(self._entries)


class SipServer:
    """Answers SIP requests for one screening backend (see the module docstring)."""

    def __init__(
        self,
        backend: ScreeningBackend,
        settings: SipSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.settings = settings or SipSettings()
        self.clock = clock
        self.transactions = TransactionCache()
        self._supplied = SuppliedOutcome.install(backend.screener)
        self._tag_prefix = f"rf{os.getpid():x}"
        self._tag_serial = itertools.count()

    def handle(self, data: bytes, source: Address, *, stream: bool = False) -> bytes | None:
        """The response to one message from ``source``, or None (dropped or absorbed).

        Never raises: malformed messages are answered 400 or dropped, and an unexpected
        failure (a bug; the parser is fuzzed) drops the message and is logged.
        """
        if data.startswith(_NEVER_ANSWERED):
            return None  # an ACK or a response: nothing to say, whatever follows
        try:
            return self._handle(data, source, stream)
        except Exception:
            log.exception("SIP message of %d bytes from %s:%d dropped", len(data), *source)
            return None

    def _handle(self, data: bytes, source: Address, stream: bool) -> bytes | None:
        try:
            request = parse_request(data, stream=stream)
        except SipParseError as exc:
            if exc.request is None:
                return None
            return self._respond(exc.request, source, 400, f"Bad Request ({exc.reason:.100})")
        method = request.method  # never ACK: those are dropped in handle()
        if method == "INVITE":
            return self._invite(request, source)
        if method == "OPTIONS":
            return self._respond(request, source, 200, "OK", _ALLOW_LINE)
        if method == "CANCEL":
            if self.transactions.get(transaction_key(request), self.clock()) is None:
                return self._respond(request, source, 481, "Call/Transaction Does Not Exist")
            return self._respond(request, source, 200, "OK")
        return self._respond(request, source, 405, "Method Not Allowed", _ALLOW_LINE)

    def _respond(
        self, request: SipRequest, source: Address, status: int, reason: str, extra: str = ""
    ) -> bytes:
        via = source_via(request.headers["via"][0], source[0], source[1])
        tag = f"{self._tag_prefix}{next(self._tag_serial):x}"
        return render_response(request, status, reason, extra, to_tag=tag, via=via)

    def _invite(self, request: SipRequest, source: Address) -> bytes:
        now = self.clock()
        key = transaction_key(request)
        transactions = self.transactions
        cached = transactions.get(key, now)
        if cached is not None:
            return cached
        response = self._screen(request, source, now)
        transactions.put(key, response, now)
        return response

    def _screen(self, request: SipRequest, source: Address, now: float) -> bytes:
        uri = request.uri
        if uri_scheme(uri) not in URI_SCHEMES:
            return self._respond(request, source, 416, "Unsupported URI Scheme")
        try:
            asserted = request.header("p-asserted-identity")
            caller = uri_user(parse_name_addr(asserted or request.header("from")).uri)
            callee = uri_user(uri) or uri_user(parse_name_addr(request.header("to")).uri)
        except SipParseError as exc:
            return self._respond(request, source, 400, f"Bad Request ({exc.reason:.100})")
        if not callee:
            return self._respond(request, source, 404, "Not Found")
        settings = self.settings
        ingress, trunk = settings.rules.classify(request, source[0])
        identities = request.headers.get("identity")
        attempt = CallAttempt(
            request.call_id,
            caller,
            callee,
            datetime.fromtimestamp(now, UTC),
            ingress,
            trunk,
            ", ".join(identities) if identities else "",
        )
        shaken = settings.shaken
        check = shaken.check(attempt)
        supplied = self._supplied
        supplied.supply(attempt, check.outcome)
        try:
            verdict = self.backend.screen((attempt,))[0]
        finally:
            supplied.attempt = None  # keep no finished call alive
        signed = ""
        if verdict.action is not Action.BLOCK and shaken.signs(attempt):
            signed = shaken.sign(attempt, self.backend.screener.registry)
        answer = answer_for(
            attempt,
            verdict,
            check,
            policy=self.backend.policy,
            request_uri=uri,
            appeal_url=settings.appeal_url,
            identity=signed,
            contact_host=settings.contact_host,
        )
        return self._respond(request, source, answer.status, answer.reason, answer.headers)


def transaction_key(request: SipRequest) -> TransactionKey:
    """Call-ID, CSeq number and topmost Via of ``request`` (see the module docstring)."""
    headers = request.headers
    return (headers["call-id"][0], headers["cseq"][0].partition(" ")[0], headers["via"][0])
