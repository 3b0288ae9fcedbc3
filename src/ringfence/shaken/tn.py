"""Telephone-number canonicalisation for PASSporT ``orig``/``dest`` (RFC 8224 §8.3).

A verifier compares the numbers signed in a PASSporT with the numbers of the SIP From and
To header fields. Both sides are reduced to the same canonical form first: the user part of
a SIP or tel URI, without visual separators and without the leading ``+``, made global by
the local country code when it was signalled in national form. What remains must be digits
only (``#`` and ``*`` are kept: RFC 8225 allows them in ``tn`` values).
"""

from __future__ import annotations

from ringfence.core.errors import InvalidNumber

# RFC 3966 visual separators plus the space people type.
_VISUAL_SEPARATORS = str.maketrans("", "", "-.() ")
_DIALLABLE = frozenset("0123456789#*")
#: ITU-T E.164 numbers have at most 15 digits; RFC 8226 TelephoneNumber allows 15 too.
MAX_TN_DIGITS = 15


def uri_user(value: str) -> str:
    """The telephone-number part of a From/To value, tel/SIP URI or bare number.

    ``"Bob" <sip:+1-555-0100@example.com;user=phone>;tag=1`` → ``+1-555-0100``;
    ``tel:+15550100;ext=1`` → ``+15550100``; ``15550100`` → ``15550100``.
    """
    text = value.strip()
    if "<" in text:
        start = text.index("<") + 1
        end = text.find(">", start)
        text = text[start : end if end >= 0 else len(text)]
    lowered = text[:5].lower()
    for scheme in ("sips:", "sip:", "tel:"):
        if lowered.startswith(scheme):
            text = text[len(scheme) :]
            break
    at = text.find("@")
    if at >= 0:
        text = text[:at]
    semi = text.find(";")
    if semi >= 0:
        text = text[:semi]
    return text.strip()


def canonical_tn(value: str, *, country_code: str = "", trunk_prefix: str = "") -> str:
    """The RFC 8224 §8.3 canonical form of a number: ``+86 138-0013-8000`` → ``8613800138000``.

    ``value`` may be a bare number or a tel/SIP URI (see :func:`uri_user`). A number without
    a leading ``+`` is taken as already global unless ``country_code`` is given, in which case
    it is national: its ``trunk_prefix`` (``0`` in China) is dropped and the country code is
    prepended. Raises :class:`InvalidNumber` when the result is empty, too long or holds
    anything but digits, ``#`` and ``*``.
    """
    if value.isdigit() and value.isascii() and not country_code and len(value) <= MAX_TN_DIGITS:
        return value  # already canonical: the common case on signing and verifying paths
    user = uri_user(value)
    digits = user.translate(_VISUAL_SEPARATORS)
    is_global = digits.startswith("+")
    if is_global:
        digits = digits[1:]
    if not digits:
        raise InvalidNumber(value, "no digits")
    if not _DIALLABLE.issuperset(digits):
        raise InvalidNumber(value, "a telephone number holds only digits, '#' and '*'")
    if not is_global and country_code:
        if trunk_prefix and digits.startswith(trunk_prefix):
            digits = digits[len(trunk_prefix) :]
        digits = country_code + digits
    if len(digits) > MAX_TN_DIGITS:
        raise InvalidNumber(value, f"more than {MAX_TN_DIGITS} digits")
    return digits


def same_tn(signed: str, signalled: str, *, country_code: str = "", trunk_prefix: str = "") -> bool:
    """Whether a PASSporT number and a SIP number are the same telephone number.

    A signed ``tn`` is global by definition (RFC 8225 §5.2.1), so only the signalled number
    is read in the local context (``country_code``, ``trunk_prefix``). A value that is not a
    telephone number matches nothing.
    """
    try:
        left = canonical_tn(signed)
        right = canonical_tn(signalled, country_code=country_code, trunk_prefix=trunk_prefix)
    except InvalidNumber:
        return False
    return left == right
