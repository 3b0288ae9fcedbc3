"""The SIP screening server: each request in, at most one response out.

    datagram / framed TCP message
        └─> parse_request ──(malformed)──> 400 if it names a transaction, else dropped
              ├─ INVITE   ──> transaction cache hit? ──> the same response again (no screening)
              │              └─> CallAttempt ──> verify Identity ──> screen ──> 302/603/608/4xx
              ├─ ACK      ──> absorbed (it ends our INVITE transaction; no response)
              ├─ CANCEL   ──> 200 when the INVITE is known (it was already answered: INVITEs are
              │              answered within their batch, so none is ever pending), else 481
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

Messages arrive in batches (the datagrams of one wake-up of the loop; a TCP message is a batch
of one) and are answered as if one by one, in order, but stage by stage: each new INVITE of the
batch is parsed, then all are verified, then screened with one call to the backend (one lock
acquisition), then answered. A stage run over the whole batch finds its code and data (the
curve tables of the signature check, the screener's windows) still in the CPU's caches. A
retransmission of an INVITE of the same batch gets its answer, and a CANCEL finds it.
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

from mypy_extensions import mypyc_attr

from ringfence.core.auth import SuppliedOutcome
from ringfence.core.policy import Policy
from ringfence.core.screener import Screener
from ringfence.core.types import Action, CallAttempt, Verdict
from ringfence.sip.answers import DEFAULT_APPEAL_URL, answer_for
from ringfence.sip.auth import NOT_VERIFIED, SipShaken
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
#: ``tuple.__new__`` builds a CallAttempt without its Python-level ``__new__`` (per call).
_new_tuple: Final = tuple.__new__


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


@mypyc_attr(allow_interpreted_subclasses=True)  # benchmarks stub the screening out
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


class _Call:
    """An INVITE of a batch being screened: what it needs, and its answer once screened."""

    def __init__(
        self, request: SipRequest, source: Address, key: TransactionKey, attempt: CallAttempt
    ) -> None:
        self.request = request
        self.source = source
        self.key = key
        self.attempt = attempt
        self.check = NOT_VERIFIED
        self.response: bytes | None = None  # None until answered (and if it cannot be)


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
        return self.handle_batch(((data, source),), stream=stream)[0]

    def handle_batch(
        self, messages: Sequence[tuple[bytes, Address]], *, stream: bool = False
    ) -> list[bytes | None]:
        """The responses to ``messages`` (message, source), in order; None where a message
        gets none. Never raises (see :meth:`handle`).

        The answers of handling the messages one by one, stage by stage over the batch (see
        the module docstring).
        """
        responses: list[bytes | None] = [None] * len(messages)
        now = self.clock()
        when = datetime.fromtimestamp(now, UTC)  # the calls of a batch share their start time
        opened: dict[TransactionKey, _Call] = {}
        waiting: list[tuple[int, _Call]] = []
        for i, (data, source) in enumerate(messages):
            if data.startswith(_NEVER_ANSWERED):
                continue  # an ACK or a response: nothing to say, whatever follows
            try:
                answer = self._receive(data, source, stream, now, when, opened)
            except Exception:
                log.exception("SIP message of %d bytes from %s:%d dropped", len(data), *source)
                continue
            if isinstance(answer, _Call):
                waiting.append((i, answer))
            else:
                responses[i] = answer
        if opened:
            try:
                self._screen(list(opened.values()), now)
            except Exception:  # a bug: the batch's INVITEs go unanswered, like lost datagrams
                log.exception("a batch of %d SIP INVITEs dropped", len(opened))
            for i, call in waiting:
                responses[i] = call.response
        return responses

    def _receive(
        self,
        data: bytes,
        source: Address,
        stream: bool,
        now: float,
        when: datetime,
        opened: dict[TransactionKey, _Call],
    ) -> bytes | _Call | None:
        """The answer to one message, or the INVITE to screen with the rest of the batch."""
        try:
            request = parse_request(data, stream=stream)
        except SipParseError as exc:
            if exc.request is None:
                return None
            return self._respond(exc.request, source, 400, f"Bad Request ({exc.reason:.100})")
        method = request.method  # never ACK: those are dropped in handle_batch()
        if method == "INVITE":
            key = transaction_key(request)
            cached = self.transactions.get(key, now)
            if cached is not None:
                return cached
            call = opened.get(key)  # a retransmission within the batch
            if call is not None:
                return call
            placed = self._call(request, source, key, when)
            if isinstance(placed, bytes):
                self.transactions.put(key, placed, now)
            else:
                opened[key] = placed
            return placed
        if method == "OPTIONS":
            return self._respond(request, source, 200, "OK", _ALLOW_LINE)
        if method == "CANCEL":
            key = transaction_key(request)
            if self.transactions.get(key, now) is None and key not in opened:
                return self._respond(request, source, 481, "Call/Transaction Does Not Exist")
            return self._respond(request, source, 200, "OK")
        return self._respond(request, source, 405, "Method Not Allowed", _ALLOW_LINE)

    def _respond(
        self, request: SipRequest, source: Address, status: int, reason: str, extra: str = ""
    ) -> bytes:
        via = source_via(request.headers["via"][0], source[0], source[1])
        tag = f"{self._tag_prefix}{next(self._tag_serial):x}"
        return render_response(request, status, reason, extra, to_tag=tag, via=via)

    def _call(
        self, request: SipRequest, source: Address, key: TransactionKey, when: datetime
    ) -> bytes | _Call:
        """The call an INVITE places, or the answer when it names none that can be screened."""
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
        ingress, trunk = self.settings.rules.classify(request, source[0])
        identities = request.headers.get("identity")
        identity = ", ".join(identities) if identities else ""
        fields = (request.call_id, caller, callee, when, ingress, trunk, identity)
        attempt: CallAttempt = _new_tuple(CallAttempt, fields)
        return _Call(request, source, key, attempt)

    def _screen(self, calls: list[_Call], now: float) -> None:
        """Verify, screen and answer the new INVITEs of a batch, in order.

        A call whose verification or answer fails unexpectedly (a bug) is logged and left
        unanswered, like a lost datagram. If screening the batch fails, each call is screened
        again on its own, so that one bad call costs no other its answer (the calls before it
        are then counted twice by the detectors: a bug's price, logged).
        """
        shaken = self.settings.shaken
        supplied = self._supplied
        screened: list[_Call] = []
        for call in calls:
            try:
                call.check = shaken.check(call.attempt)
            except Exception:
                log.exception("SIP INVITE %s dropped: verification failed", call.attempt.call_id)
                continue
            supplied.supply(call.attempt, call.check.outcome)
            screened.append(call)
        backend = self.backend
        try:
            try:
                verdicts: list[Verdict | None] = list(
                    backend.screen([call.attempt for call in screened])
                )
            except Exception:
                log.exception("screening a batch of %d INVITEs failed", len(screened))
                verdicts = [self._screen_alone(call.attempt) for call in screened]
        finally:
            for call in screened:
                supplied.withdraw(call.attempt)
        transactions = self.transactions
        for call, verdict in zip(screened, verdicts, strict=True):
            if verdict is None:
                continue
            try:
                call.response = self._answer(call, verdict)
            except Exception:
                log.exception("SIP INVITE %s dropped: no answer", call.attempt.call_id)
                continue
            transactions.put(call.key, call.response, now)

    def _screen_alone(self, attempt: CallAttempt) -> Verdict | None:
        try:
            return self.backend.screen((attempt,))[0]
        except Exception:
            log.exception("SIP INVITE %s dropped: screening failed", attempt.call_id)
            return None

    def _answer(self, call: _Call, verdict: Verdict) -> bytes:
        attempt, settings = call.attempt, self.settings
        shaken = settings.shaken
        signed = ""
        if verdict.action is not Action.BLOCK and shaken.signs(attempt):
            signed = shaken.sign(attempt, self.backend.screener.registry)
        answer = answer_for(
            attempt,
            verdict,
            call.check,
            policy=self.backend.policy,
            request_uri=call.request.uri,
            appeal_url=settings.appeal_url,
            identity=signed,
            contact_host=settings.contact_host,
        )
        request = call.request
        return self._respond(request, call.source, answer.status, answer.reason, answer.headers)


def transaction_key(request: SipRequest) -> TransactionKey:
    """Call-ID, CSeq number and topmost Via of ``request`` (see the module docstring)."""
    headers = request.headers
    return (headers["call-id"][0], headers["cseq"][0].partition(" ")[0], headers["via"][0])
