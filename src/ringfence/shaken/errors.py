"""Why a STIR/SHAKEN verification failed: one class per cause, each with a stable code.

    AuthenticationError (ringfence.core.errors)
    └── ShakenError                         sip_status / sip_reason / verstat per class
        ├── IdentityMissing                 428 Use Identity Header   No-TN-Validation
        ├── PptUnsupported                  428 (header ignored)      No-TN-Validation
        ├── MalformedIdentity               438 Invalid Identity Header
        │   ├── IdentityTooLarge
        │   ├── MalformedToken              bad JWS shape, base64url or JSON
        │   ├── AlgNone                     "alg": "none" (an unsigned token)
        │   ├── AlgUnsupported              any alg other than ES256
        │   ├── PptMismatch                 Identity ppt parameter vs PASSporT ppt
        │   ├── ClaimMissing / ClaimType    required claim absent / of the wrong JSON type
        │   ├── CritUnsupported             a "crit" header naming something not understood
        │   ├── OrigMismatch / DestMismatch orig/dest vs SIP From/To (canonical forms)
        │   └── SignatureInvalid
        ├── StaleIat                        403 Stale Date (too old)
        │   └── FutureIat                   403 Stale Date (too far in the future)
        ├── BadIdentityInfo                 436 Bad Identity Info
        │   ├── X5uScheme                   x5u/info not https
        │   ├── X5uMismatch                 Identity info parameter differs from x5u
        │   └── X5uFetch                    fetch failed, timed out or too large
        └── CredentialError                 437 Unsupported Credential
            ├── CertMalformed               not a P-256 certificate chain
            ├── CertExpired / CertNotYetValid
            ├── CertUntrusted               no chain to a configured trust anchor
            ├── CertRevoked                 listed in a CRL of its issuer
            ├── TNAuthListMissing           no RFC 8226 TNAuthList with an SPC
            └── TNNotAuthorized             TNAuthList (numbers only) does not cover orig

Every class maps to the SIP response of RFC 8224 §6.2 and to a ``verstat`` value (3GPP TS
24.229); adapters read those attributes instead of keeping their own tables.
"""

from __future__ import annotations

from ringfence.core.errors import AuthenticationError

VERSTAT_PASSED = "TN-Validation-Passed"
VERSTAT_FAILED = "TN-Validation-Failed"
VERSTAT_NONE = "No-TN-Validation"


class ShakenError(AuthenticationError):
    """A STIR/SHAKEN failure. Subclasses fix ``code``, the SIP response and ``verstat``."""

    code = "SHAKEN_ERROR"
    sip_status = 438
    sip_reason = "Invalid Identity Header"
    verstat = VERSTAT_FAILED


class IdentityMissing(ShakenError):
    """The call carries no Identity header."""

    code = "IDENTITY_MISSING"
    sip_status = 428
    sip_reason = "Use Identity Header"
    verstat = VERSTAT_NONE


class PptUnsupported(ShakenError):
    """A PASSporT type this verifier does not implement; RFC 8224 says ignore the header."""

    code = "PPT_UNSUPPORTED"
    sip_status = 428
    sip_reason = "Use Identity Header"
    verstat = VERSTAT_NONE


class MalformedIdentity(ShakenError):
    """The Identity header value cannot be parsed."""

    code = "IDENTITY_MALFORMED"


class IdentityTooLarge(MalformedIdentity):
    """The Identity header, the token or one of its parts exceeds its size limit."""

    code = "IDENTITY_TOO_LARGE"


class MalformedToken(MalformedIdentity):
    """The PASSporT is not a JWS compact serialisation of two JSON objects."""

    code = "PASSPORT_MALFORMED"


class AlgNone(MalformedIdentity):
    """An unsigned token (``alg: none``): never acceptable."""

    code = "ALG_NONE"


class AlgUnsupported(MalformedIdentity):
    """A signature algorithm other than ES256."""

    code = "ALG_UNSUPPORTED"


class PptMismatch(MalformedIdentity):
    """The Identity ``ppt`` parameter names another type than the PASSporT header."""

    code = "PPT_MISMATCH"


class ClaimMissing(MalformedIdentity):
    """A required header parameter or claim is absent."""

    code = "CLAIM_MISSING"


class ClaimType(MalformedIdentity):
    """A header parameter or claim has the wrong JSON type or value."""

    code = "CLAIM_INVALID"


class CritUnsupported(MalformedIdentity):
    """The ``crit`` header names an extension this verifier does not understand."""

    code = "CRIT_UNSUPPORTED"


class OrigMismatch(MalformedIdentity):
    """The PASSporT ``orig`` differs from the SIP From number."""

    code = "ORIG_MISMATCH"


class DestMismatch(MalformedIdentity):
    """The SIP To number is not among the PASSporT ``dest`` numbers."""

    code = "DEST_MISMATCH"


class SignatureInvalid(MalformedIdentity):
    """The ES256 signature does not verify with the certificate's key."""

    code = "SIGNATURE_INVALID"


class StaleIat(ShakenError):
    """``iat`` is older than the freshness window allows."""

    code = "IAT_STALE"
    sip_status = 403
    sip_reason = "Stale Date"


class FutureIat(StaleIat):
    """``iat`` lies further in the future than the freshness window allows."""

    code = "IAT_FUTURE"


class BadIdentityInfo(ShakenError):
    """The certificate named by the token cannot be obtained."""

    code = "IDENTITY_INFO_BAD"
    sip_status = 436
    sip_reason = "Bad Identity Info"


class X5uScheme(BadIdentityInfo):
    """``x5u`` (or ``info``) is not an https URL."""

    code = "X5U_NOT_HTTPS"


class X5uMismatch(BadIdentityInfo):
    """The Identity ``info`` parameter and the PASSporT ``x5u`` differ."""

    code = "X5U_MISMATCH"


class X5uFetch(BadIdentityInfo):
    """Fetching the certificate failed, timed out or returned too much."""

    code = "X5U_FETCH_FAILED"


class CredentialError(ShakenError):
    """The certificate was obtained but cannot be accepted."""

    code = "CERT_INVALID"
    sip_status = 437
    sip_reason = "Unsupported Credential"


class CertMalformed(CredentialError):
    """Not a PEM/DER certificate chain with an ECDSA P-256 key."""

    code = "CERT_MALFORMED"


class CertExpired(CredentialError):
    """A certificate of the chain is past its notAfter."""

    code = "CERT_EXPIRED"


class CertNotYetValid(CredentialError):
    """A certificate of the chain is before its notBefore."""

    code = "CERT_NOT_YET_VALID"


class CertUntrusted(CredentialError):
    """No valid chain from the certificate to a configured trust anchor."""

    code = "CERT_UNTRUSTED"


class CertRevoked(CredentialError):
    """A certificate of the chain is listed in its issuer's CRL."""

    code = "CERT_REVOKED"


class TNAuthListMissing(CredentialError):
    """The certificate lacks an RFC 8226 TNAuthList extension with a service provider code."""

    code = "TNAUTHLIST_MISSING"


class TNNotAuthorized(CredentialError):
    """The certificate's TNAuthList lists numbers, and the calling number is not among them."""

    code = "TN_NOT_AUTHORIZED"
