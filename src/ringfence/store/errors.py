"""Errors of the registry store, below :class:`ringfence.core.errors.RegistryError`.

RegistryError(LookupError)       core: a registry record missing or inconsistent
├── RecordNotFound               no record with that key
├── UnknownReference             a record names another that does not exist
└── RecordConflict               the write contradicts a record already there
RateLimited(RingfenceError)      a principal wrote too often (crowd reports)
InvalidRecord(ValueError, ...)   a value the registry does not accept
"""

from __future__ import annotations

from ringfence.core.errors import RegistryError, RingfenceError


class RecordNotFound(RegistryError):
    """No record with the requested key."""

    code = "NOT_FOUND"


class UnknownReference(RegistryError):
    """A record refers to another (an enterprise, a trunk) that is not in the registry."""

    code = "UNKNOWN_REFERENCE"


class RecordConflict(RegistryError):
    """The write contradicts an existing record (a duplicate, or a record still referenced)."""

    code = "CONFLICT"


class InvalidRecord(ValueError, RingfenceError):
    """A value the registry does not accept (an unknown industry, a hash that does not match)."""

    code = "INVALID_RECORD"


class RateLimited(RingfenceError):
    """A principal exceeded its write rate; ``retry_after`` is in seconds."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
