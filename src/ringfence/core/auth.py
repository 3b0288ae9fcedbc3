"""The seam between the screener and caller authentication (STIR/SHAKEN).

The core does not verify signatures itself: it is given an object that does
(``ringfence.shaken`` provides one) and turns its outcome into findings.
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
