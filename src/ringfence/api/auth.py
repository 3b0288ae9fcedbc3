"""Bearer-token authentication and the four roles.

    regulator   everything
    carrier     screening, call ends, number blocks, trunks, enterprises; reads sanctions
    enterprise  its own consents and evidence, scrubbing its own call lists, its appeals
    subscriber  refuses (for its bound number), reports, looks numbers up, appeals

Tokens are random strings (``ringfence tokens create``); the registry keeps only their
SHA-256. Known principals are cached in memory for :data:`PRINCIPAL_TTL_S`: screening at
thousands of requests per second must not query the database to authenticate each one. A
revoked token (``ringfence tokens revoke``) is refused as soon as the process applies the
revocation from the change feed (:meth:`Authenticator.forget`), and by every process within
:data:`PRINCIPAL_TTL_S` in any case.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from ringfence.api.errors import Forbidden, Unauthenticated
from ringfence.store import queries
from ringfence.store.records import token_hash

#: Seconds a principal read from the registry is trusted before it is read again.
PRINCIPAL_TTL_S = 60.0


class Role(StrEnum):
    REGULATOR = "regulator"
    CARRIER = "carrier"
    ENTERPRISE = "enterprise"
    SUBSCRIBER = "subscriber"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling the API: a role and, for enterprises and subscribers, a binding."""

    id: int
    role: Role
    enterprise_id: str = ""
    number: str = ""

    @property
    def actor(self) -> str:
        """How the audit log names this principal."""
        return f"{self.role}:{self.id}"

    def require(self, *roles: Role) -> None:
        """Raise Forbidden unless the principal has one of ``roles`` (the regulator always has)."""
        if self.role is not Role.REGULATOR and self.role not in roles:
            allowed = ", ".join(["regulator", *roles])
            raise Forbidden(f"role {self.role} may not do this (allowed: {allowed})")

    def require_enterprise(self, enterprise_id: str) -> None:
        """An enterprise principal may only act for itself."""
        if self.role is Role.ENTERPRISE and enterprise_id != self.enterprise_id:
            raise Forbidden(
                f"enterprise {self.enterprise_id!r} may not act for enterprise {enterprise_id!r}"
            )

    def require_number(self, number: str) -> None:
        """A subscriber principal may only act for its own number."""
        if self.role is Role.SUBSCRIBER and number != self.number:
            raise Forbidden("a subscriber token may only act for the number it is bound to")


class Authenticator:
    """Turns bearer tokens into principals, caching the ones the registry knows for ``ttl_s``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        ttl_s: float = PRINCIPAL_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl_s = ttl_s
        self._clock = clock
        self._known: dict[str, tuple[Principal, float]] = {}  # digest → (principal, expiry)
        self._lock = threading.Lock()

    def cached(self, authorization: str | None) -> Principal | None:
        """The principal of an ``Authorization: Bearer …`` header when known and fresh (no
        database access); None when it must be looked up. Unauthenticated when malformed."""
        known = self._known.get(_digest(authorization))
        if known is None or known[1] < self._clock():
            return None
        return known[0]

    def principal(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer …`` header; Unauthenticated otherwise."""
        known = self.cached(authorization)
        if known is not None:
            return known
        digest = _digest(authorization)
        with self._sessions() as session:
            row = queries.principal_by_hash(session, token_sha256=digest)
        with self._lock:
            if row is None or row.revoked_at is not None:
                self._known.pop(digest, None)
                raise Unauthenticated("revoked bearer token" if row else "unknown bearer token")
            principal = Principal(row.id, Role(row.role), row.enterprise_id, row.number)
            self._known[digest] = (principal, self._clock() + self._ttl_s)
        return principal

    def forget(self) -> None:
        """Drop every cached principal (a token was revoked): the next request of each
        principal reads the registry again."""
        with self._lock:
            self._known.clear()


def _digest(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing Authorization header (Bearer token)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token_hash(token.strip())
