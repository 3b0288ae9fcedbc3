"""The seam between the screener and caller authentication (STIR/SHAKEN).

The core does not verify signatures itself: it is given an object that does
(``ringfence.shaken`` provides one) and turns its outcome into findings.
An adapter that verifies calls before screening them hands the screener the outcomes, so that
no call is verified twice: replay passes each call's outcome to ``Screener.screen_at`` (it
verifies many calls back to back), and the SIP server, which answers with the verification's
SIP status, puts a :class:`SuppliedOutcome` in front of the screener's authenticator.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ringfence.core.types import CallAttempt


class AuthStatus(StrEnum):
    """Outcome of verifying a call's Identity header."""

    PASSED = "passed"  # signature and claims verified (verstat TN-Validation-Passed)
    FAILED = "failed"  # an Identity header was present and failed verification
    MISSING = "missing"  # no Identity header
    NOT_CHECKED = "not_checked"  # no verifier configured for this call


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    """What the verification service concluded about one attempt."""

    status: AuthStatus
    attest: str = ""  # A, B or C when PASSED
    error: str = ""  # a stable error code when FAILED
    detail: str = ""


#: The outcomes that carry no detail: shared, since one is needed on nearly every call.
MISSING = AuthOutcome(AuthStatus.MISSING)
NOT_CHECKED = AuthOutcome(AuthStatus.NOT_CHECKED)


class CallerAuthenticator(Protocol):
    """Verifies the Identity header of an attempt (an STI-VS)."""

    def verify(self, attempt: CallAttempt) -> AuthOutcome:
        """Verify ``attempt.identity`` against its caller and callee at ``attempt.time``."""
        ...


class Authenticated(Protocol):
    """Anything screening with a replaceable authenticator (a ``Screener``)."""

    authenticator: CallerAuthenticator | None


class SuppliedOutcome:
    """An authenticator that answers with outcomes computed ahead of screening.

    It returns the outcome supplied for exactly this attempt object (one of the calls being
    screened); for any other attempt it asks ``fallback``, or judges as a screener without a
    verifier does (``NOT_CHECKED`` with an Identity header, ``MISSING`` without).
    """

    def __init__(self, fallback: CallerAuthenticator | None = None) -> None:
        self.fallback = fallback
        #: By ``id(attempt)``: the attempt itself (ids are reused once objects die) and its outcome.
        self._supplied: dict[int, tuple[CallAttempt, AuthOutcome]] = {}

    def supply(self, attempt: CallAttempt, outcome: AuthOutcome) -> None:
        """Answer ``outcome`` when ``attempt`` (this very object) is verified, until
        :meth:`withdraw`."""
        self._supplied[id(attempt)] = (attempt, outcome)

    def withdraw(self, attempt: CallAttempt) -> None:
        """Forget the outcome supplied for ``attempt`` (keep no finished call alive)."""
        self._supplied.pop(id(attempt), None)

    def verify(self, attempt: CallAttempt) -> AuthOutcome:
        """The supplied outcome for a supplied attempt; otherwise the fallback's answer."""
        supplied = self._supplied.get(id(attempt))
        if supplied is not None and supplied[0] is attempt:
            return supplied[1]
        if self.fallback is not None:
            return self.fallback.verify(attempt)
        return NOT_CHECKED if attempt.identity else MISSING

    @classmethod
    def install(cls, screener: Authenticated) -> SuppliedOutcome:
        """Put a :class:`SuppliedOutcome` in front of ``screener``'s authenticator (once)."""
        current = screener.authenticator
        if isinstance(current, SuppliedOutcome):
            return current
        supplied = cls(current)
        screener.authenticator = supplied
        return supplied
