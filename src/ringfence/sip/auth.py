"""STIR/SHAKEN on the SIP side: verify the Identity of incoming calls, sign our customers' calls.

Verification (STI-VS) runs before screening because the SIP answer needs more than the
screener's verdict: the RFC 8224 response code and the ``verstat`` of the failure. The
outcome is handed to the screener through :class:`~ringfence.core.auth.SuppliedOutcome`,
installed as the screener's authenticator, so each call is verified exactly once.

Signing (STI-AS, "authentication mode"): a call from the carrier's own customers (subscriber
or enterprise ingress) that carries no Identity header gets one in the 302, with the
attestation the registry justifies (RFC 8588 §4): A when the customer holds the calling
number, B when the customer is known but the number is not theirs, C otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from ringfence.core.auth import NOT_CHECKED, AuthOutcome, AuthStatus
from ringfence.core.errors import InvalidNumber
from ringfence.core.registry import HolderType, RegistrySnapshot
from ringfence.core.types import CallAttempt, Ingress
from ringfence.shaken import errors as shaken_errors
from ringfence.shaken.errors import VERSTAT_NONE, VERSTAT_PASSED, ShakenError
from ringfence.shaken.pki import SP_KEY_FILE, load_private_key, read_manifest
from ringfence.shaken.screening import PASSED_OUTCOMES, ShakenAuthenticator
from ringfence.shaken.signer import AuthenticationService, CustomerRelation, Signer

#: The customer id of the carrier's own subscribers in attestation look-ups.
CARRIER_CUSTOMER: Final = "carrier"


def _error_classes() -> dict[str, type[ShakenError]]:
    """Every SHAKEN error class by its stable code (the screener's outcome carries the code)."""
    found: dict[str, type[ShakenError]] = {}
    pending: list[type[ShakenError]] = [ShakenError]
    while pending:
        cls = pending.pop()
        found[cls.code] = cls
        pending.extend(cls.__subclasses__())
    return found


_ERRORS: Final = _error_classes()


class IdentityCheck:
    """The verification of one call as SIP needs it: outcome, verstat and, when the check
    failed, the RFC 8224 response (``sip_status`` 0 otherwise)."""

    __slots__ = ("outcome", "sip_reason", "sip_status", "verstat")

    def __init__(
        self, outcome: AuthOutcome, verstat: str, sip_status: int = 0, sip_reason: str = ""
    ) -> None:
        self.outcome = outcome
        self.verstat = verstat
        self.sip_status = sip_status
        self.sip_reason = sip_reason

    def __repr__(self) -> str:
        return f"IdentityCheck({self.outcome!r}, {self.verstat!r}, {self.sip_status})"


NOT_VERIFIED: Final = IdentityCheck(NOT_CHECKED, VERSTAT_NONE)
#: The checks of the verifier's shared passed outcomes, by attestation.
_PASSED: Final = {attest: IdentityCheck(o, VERSTAT_PASSED) for attest, o in PASSED_OUTCOMES.items()}


def identity_check(outcome: AuthOutcome) -> IdentityCheck:
    """The SIP view of a verification outcome (failure → the error class's code and verstat)."""
    if outcome.status is AuthStatus.PASSED:
        check = _PASSED.get(outcome.attest)
        if check is not None and check.outcome is outcome:
            return check
        return IdentityCheck(outcome, VERSTAT_PASSED)
    if outcome.status is AuthStatus.FAILED:
        cls = _ERRORS.get(outcome.error, ShakenError)
        return IdentityCheck(outcome, cls.verstat, cls.sip_status, cls.sip_reason)
    if outcome.status is AuthStatus.MISSING:
        missing = shaken_errors.IdentityMissing
        return IdentityCheck(outcome, VERSTAT_NONE, missing.sip_status, missing.sip_reason)
    return IdentityCheck(outcome, VERSTAT_NONE)  # not checked: nothing was validated


def registry_relation(
    registry: RegistrySnapshot, customer_id: str, number: str
) -> CustomerRelation:
    """What the registry says of ``customer_id`` and ``number`` (canonical digits).

    The carrier (``customer_id`` :data:`CARRIER_CUSTOMER`) holds its own blocks; an
    enterprise holds the blocks assigned to it.
    """
    key = number if number.startswith("+") else f"+{number}"
    if customer_id == CARRIER_CUSTOMER:
        held = registry.blocks.holding(key)
        if any(b.holder_type is HolderType.CARRIER for b in held):
            return CustomerRelation.HOLDS_NUMBER
        return CustomerRelation.KNOWN_CUSTOMER
    if customer_id not in registry.enterprises:
        return CustomerRelation.UNKNOWN
    if registry.enterprise_holds(customer_id, key):
        return CustomerRelation.HOLDS_NUMBER
    return CustomerRelation.KNOWN_CUSTOMER


class SipShaken:
    """The SIP server's STI-VS (``verifier``) and STI-AS (``signer``); either may be absent."""

    def __init__(
        self,
        verifier: ShakenAuthenticator | None = None,
        signer: Signer | None = None,
        *,
        sign_ingress: frozenset[Ingress] = frozenset({Ingress.SUBSCRIBER, Ingress.ENTERPRISE}),
    ) -> None:
        self.verifier = verifier
        self.signer = signer
        self.sign_ingress = sign_ingress

    @classmethod
    def from_pki_dir(cls, directory: Path) -> SipShaken:
        """Verify against, and sign with, a test PKI directory (``ringfence shaken pki init``)."""
        signer = Signer(
            load_private_key((directory / SP_KEY_FILE).read_bytes()),
            read_manifest(directory)["x5u"],
        )
        return cls(ShakenAuthenticator.from_pki_dir(directory), signer)

    def check(self, attempt: CallAttempt) -> IdentityCheck:
        """Verify ``attempt.identity`` (when a verifier is configured)."""
        if self.verifier is None:
            return NOT_VERIFIED
        return identity_check(self.verifier.verify(attempt))

    def signs(self, attempt: CallAttempt) -> bool:
        """Whether this call is one of ours to sign: customer ingress, no Identity yet."""
        return (
            self.signer is not None
            and not attempt.identity
            and attempt.ingress in self.sign_ingress
        )

    def sign(self, attempt: CallAttempt, registry: RegistrySnapshot) -> str:
        """The Identity header value for ``attempt`` ("" when a number cannot be signed)."""
        assert self.signer is not None  # guarded by signs()
        if attempt.ingress is Ingress.SUBSCRIBER:
            customer: str | None = CARRIER_CUSTOMER
        else:
            trunk = registry.trunks.get(attempt.trunk_id)
            customer = trunk.enterprise_id if trunk is not None else None
        service = AuthenticationService(
            self.signer, lambda cid, number: registry_relation(registry, cid, number)
        )
        try:
            return service.identity_for(
                customer_id=customer,
                orig=attempt.caller,
                dest=attempt.callee,
                iat=int(attempt.time.timestamp()),
            )
        except (InvalidNumber, ShakenError):
            return ""  # not a telephone number (e.g. a SIP user name): nothing to attest
