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
and the topmost Via branch, so a retransmitted INVITE gets the response it got before without
being screened (and counted by the detectors) twice. The server sends no 100 Trying and does
not retransmit its final response: a client that lost it retransmits the INVITE and is
answered from the cache.
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
TransactionKey = tuple[str, int, str]


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
    """Final responses of INVITE transactions, kept ``ttl`` seconds (insertion-ordered dict)."""

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
        for oldest in itertools.islice(entries, 8):  # amortised: a few per insertion
            if entries[oldest][0] > now and len(entries) < self.limit:
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
        self._tags = (f"rf{os.getpid():x}{n:x}" for n in itertools.count())

    def handle(self, data: bytes, source: Address, *, stream: bool = False) -> bytes | None:
        """The response to one message from ``source``, or None (dropped or absorbed).

        Never raises: malformed messages are answered 400 or dropped, and an unexpected
        failure (a bug; the parser is fuzzed) drops the message and is logged.
        """
        try:
            return self._handle(data, source, stream)
        except Exception:
            log.exception("SIP message of %d bytes from %s:%d dropped", len(data), *source)
            return None

    def _handle(self, data: bytes, source: Address, stream: bool) -> bytes | None:
        try:
            request = parse_request(data, stream=stream)
        except SipParseError as exc:
            if exc.request is None or exc.request.method == "ACK":
                return None
            return self._respond(exc.request, source, 400, f"Bad Request ({exc.reason:.100})")
        method = request.method
        if method == "INVITE":
            return self._invite(request, source)
        if method == "ACK":
            return None
        if method == "OPTIONS":
            return self._respond(request, source, 200, "OK", [("Allow", ALLOW)])
        if method == "CANCEL":
            key = self._key(request)
            if self.transactions.get(key, self.clock()) is None:
                return self._respond(request, source, 481, "Call/Transaction Does Not Exist")
            return self._respond(request, source, 200, "OK")
        return self._respond(request, source, 405, "Method Not Allowed", [("Allow", ALLOW)])

    @staticmethod
    def _key(request: SipRequest) -> TransactionKey:
        number, _ = request.cseq()
        return (request.call_id, number, request.branch or request.from_tag)

    def _respond(
        self,
        request: SipRequest,
        source: Address,
        status: int,
        reason: str,
        extra: list[tuple[str, str]] | tuple[()] = (),
    ) -> bytes:
        via = source_via(request.headers["via"][0], source[0], source[1])
        return render_response(request, status, reason, extra, to_tag=next(self._tags), via=via)

    def _invite(self, request: SipRequest, source: Address) -> bytes:
        now = self.clock()
        key = self._key(request)
        cached = self.transactions.get(key, now)
        if cached is not None:
            return cached
        response = self._screen(request, source, now)
        self.transactions.put(key, response, now)
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
        identity = ", ".join(request.headers.get("identity", ()))
        attempt = CallAttempt(
            request.call_id,
            caller,
            callee,
            datetime.fromtimestamp(now, UTC),
            ingress,
            trunk,
            identity,
        )
        shaken = settings.shaken
        check = shaken.check(attempt)
        self._supplied.supply(attempt, check.outcome)
        try:
            verdict = self.backend.screen([attempt])[0]
        finally:
            self._supplied.attempt = None  # keep no finished call alive
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
