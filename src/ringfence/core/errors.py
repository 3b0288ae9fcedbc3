"""The exception hierarchy of ringfence, in one place.

    RingfenceError                      root; every error has a stable ``code``
    ├── InvalidNumber(ValueError)       a telephone number that cannot be used
    ├── PolicyError(ValueError)         a malformed or incomplete policy pack
    ├── BundleError(ValueError)         a bundle that cannot be read at all
    │   └── RowError                    one malformed row (file, line, reason)
    ├── RegistryError(LookupError)      a registry record that is missing or inconsistent
    └── AuthenticationError(ValueError) STIR/SHAKEN failures (subclassed in ringfence.shaken)

Adapters map these to HTTP status, SIP response or CLI exit code in one place each;
library exceptions are translated at the edge and never leak.
"""

from __future__ import annotations


class RingfenceError(Exception):
    """Root of all ringfence errors. ``code`` is a stable machine-readable identifier."""

    code = "RINGFENCE_ERROR"

    @property
    def message(self) -> str:
        """The human-readable message (what was wrong, with which value)."""
        return str(self)


class InvalidNumber(ValueError, RingfenceError):
    """A telephone number that is malformed or not usable."""

    code = "INVALID_NUMBER"

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid telephone number {value!r}: {reason}")
        self.value = value
        self.reason = reason


class PolicyError(ValueError, RingfenceError):
    """A policy pack that is malformed, incomplete or inconsistent."""

    code = "POLICY_ERROR"


class BundleError(ValueError, RingfenceError):
    """A bundle (directory of CSV/Parquet tables) that cannot be read."""

    code = "BUNDLE_ERROR"


class RowError(BundleError):
    """One malformed row of a bundle table; the rest of the table is still processed."""

    code = "ROW_ERROR"

    def __init__(self, table: str, line: int, reason: str) -> None:
        super().__init__(f"{table}: line {line}: {reason}")
        self.table = table
        self.line = line
        self.reason = reason


class RegistryError(LookupError, RingfenceError):
    """A registry record that is missing or inconsistent."""

    code = "REGISTRY_ERROR"


class AuthenticationError(ValueError, RingfenceError):
    """Caller authentication (STIR/SHAKEN) failed; subclasses carry a precise code."""

    code = "AUTH_FAILED"
