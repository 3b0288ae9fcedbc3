"""The number plan: whether a number as signalled is standard, what it is, and its key.

Every number that enters ringfence (caller, callee, a row of a bundle, a handset look-up) goes
through :meth:`NumberPlan.classify` once per distinct string; its :attr:`NumberInfo.key` is the
number's identity everywhere else (registry, windows, reports).

Classification of one raw string, in order:

1. clean: unwrap ``tel:``/``sip:`` URIs and ``<...>``, drop whitespace and the RFC 3966 visual
   separators ``- . ( )``; anything left that is not digits with an optional leading ``+`` is
   INVALID (so are more than 15 digits, the E.164 maximum);
2. parse with libphonenumber in the plan's home country: ``+CC``, ``00`` + CC, a bare ``86``
   prefix, the trunk prefix ``0`` and bare national numbers are all understood;
3. the national supplement of the number's country (:mod:`ringfence.core.numberplan_tables`:
   CN 95xxx, 12315, 110 ...) makes its special numbers VALID;
4. otherwise libphonenumber decides VALID (with type, carrier and time zone), and an invalid
   number gets POSSIBLE (plausible length, unallocated range) or INVALID with a reason in words.

Classification is cached per plan (a dict keyed on the raw string, the older half dropped when
it is full): the screener calls it tens of thousands of times a second and most numbers recur.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum
from itertools import islice
from typing import Final, NamedTuple

import phonenumbers
from mypy_extensions import mypyc_attr
from phonenumbers import PhoneNumber, PhoneNumberType, ValidationResult, carrier
from phonenumbers import timezone as pn_timezone

from ringfence.core.errors import InvalidNumber, PolicyError
from ringfence.core.numberplan_tables import SUPPLEMENTS, NumberKind, Supplement

__all__ = ["NumberInfo", "NumberKind", "NumberPlan", "Validity"]


class Validity(StrEnum):
    """How far a number is a usable number of its country's plan."""

    VALID = "valid"  # allocated (libphonenumber) or a national special (95588, 12321, 110 ...)
    POSSIBLE = "possible"  # well formed and of a plausible length, but in no allocated range
    INVALID = "invalid"  # malformed, unknown country, impossible length


class NumberInfo(NamedTuple):
    """Everything the plan knows about one number as signalled.

    ``key`` is the number's identity everywhere: E.164 (``+8613812345678``; CN specials too,
    ``+8695588``, ``+86110``) for VALID and POSSIBLE numbers, and for INVALID ones the raw
    string without whitespace. ``region`` is the ISO region (``001`` for non-geographic
    numbers; for an invalid number the main region of its country code; ``''`` when there is
    no country code). ``time_zone`` is the number's local time as an IANA zone, ``''`` when
    unknown or ambiguous (a country with several zones and a non-geographic number).
    ``reason`` says in words why a number is not VALID. ``name`` names a national special
    (``'ICBC 工商银行'``). ``national`` is the national significant number when parsed.
    """

    raw: str
    key: str
    validity: Validity
    kind: NumberKind
    region: str
    carrier: str
    domestic: bool
    emergency: bool
    time_zone: str
    reason: str
    country_code: int = 0
    national: str = ""
    name: str = ""

    @property
    def standard(self) -> bool:
        """True when the number is acceptable as a caller: VALID, which includes the national
        specials (95xxx/96xxx service, short codes, emergency, 400/800)."""
        return self.validity is Validity.VALID


_KINDS: dict[int, NumberKind] = {
    PhoneNumberType.FIXED_LINE: NumberKind.FIXED_LINE,
    PhoneNumberType.MOBILE: NumberKind.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE: NumberKind.FIXED_OR_MOBILE,
    PhoneNumberType.TOLL_FREE: NumberKind.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE: NumberKind.PREMIUM,
    PhoneNumberType.SHARED_COST: NumberKind.SHARED_COST,
    PhoneNumberType.VOIP: NumberKind.VOIP,
    PhoneNumberType.PERSONAL_NUMBER: NumberKind.PERSONAL,
    PhoneNumberType.PAGER: NumberKind.PAGER,
    PhoneNumberType.UAN: NumberKind.UAN,
    PhoneNumberType.VOICEMAIL: NumberKind.VOICEMAIL,
}
# libphonenumber has carrier data only for these kinds (carrier.name_for_number's rule).
_CARRIER_KINDS = frozenset({NumberKind.MOBILE, NumberKind.FIXED_OR_MOBILE, NumberKind.PAGER})

_E164_MAX_DIGITS: Final = 15
_new_tuple: Final = tuple.__new__
#: Trailing digits that never decide a number's classification (subscriber digits of a range).
_PREFIX_FREE: Final = 4
#: Shortest E.164 string ('+' and 10 digits) eligible: short codes and 95xxx are excluded.
_PREFIX_MIN_LENGTH: Final = 11
_PREFIX_MEMO_SIZE: Final = 100_000
_URI_SCHEMES = ("tel:", "sip:", "sips:")
_VISUAL_SEPARATORS = str.maketrans("", "", "-.()")  # RFC 3966 visual-separator
_DIGITS_RE = re.compile(r"\+?[0-9]+")
_ParseError = phonenumbers.NumberParseException
_PARSE_FAILURES: dict[int, str] = {
    _ParseError.NOT_A_NUMBER: "not a telephone number",
    _ParseError.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    _ParseError.TOO_SHORT_NSN: "too short to be a telephone number",
    _ParseError.TOO_LONG: "too long to be a telephone number",
}


class CacheInfo(NamedTuple):
    """The classification cache's figures: classifications made, entries kept, the bound."""

    misses: int
    currsize: int
    maxsize: int


# A dict subclass whose ``__missing__`` fills it: an ordinary Python class when compiled.
@mypyc_attr(native_class=False)
class ClassificationCache(dict[str, NumberInfo]):
    """Classifications by raw string, at most ``maxsize`` of them.

    ``cache[raw]`` is a plain dict look-up when ``raw`` was seen; otherwise ``__missing__``
    classifies it and keeps the result. A full cache drops its older half (insertion order),
    an approximation of least-recently-used that costs nothing on a hit: a number in steady
    use is classified again at most once per half a cache of new numbers.
    """

    __slots__ = ("classify", "maxsize", "misses")

    def __init__(self, classify: Callable[[str], NumberInfo], maxsize: int) -> None:
        super().__init__()
        self.classify = classify
        self.maxsize = maxsize
        self.misses = 0

    def __missing__(self, raw: str) -> NumberInfo:
        info = self.classify(raw)
        self.misses += 1
        if len(self) >= self.maxsize:
            for old in list(islice(self, max(len(self) // 2, 1))):
                del self[old]
        self[raw] = info
        return info


class NumberPlan:
    """Classifies and normalises telephone numbers for a home country (CN by default).

    ``classify(raw)`` gives everything known about ``raw`` (a number as signalled) as a
    :class:`NumberInfo`; it never raises and is cached.
    """

    def __init__(self, country: str = "CN", cache_size: int = 500_000) -> None:
        """A plan whose bare national numbers belong to ``country`` (ISO 3166 region).

        ``cache_size`` bounds the classification cache (when it is full, the older half of
        its entries is dropped); 0 disables caching. Raises PolicyError for a region
        libphonenumber lacks.
        """
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
        if metadata is None:
            raise PolicyError(
                f"unknown home country {country!r} for the number plan: "
                "expected an ISO 3166 region code such as 'CN' or 'US'"
            )
        self.country = country
        self._international_prefix = re.compile(metadata.international_prefix or "$^")
        self._cache = ClassificationCache(self._classify, cache_size)
        #: ``classify`` is the cache's own look-up: on the hot path a hit is one dict look-up
        #: in C (an LRU cache also moves the entry to the front of its list, and a Python-level
        #: wrapper would cost as much as the look-up).
        self.classify: Callable[[str], NumberInfo] = (
            self._cache.__getitem__ if cache_size > 0 else self._classify
        )
        # First sight of a home-country number in E.164 form (how switches signal it) skips
        # libphonenumber: validity, type, carrier and zone depend only on the number's leading
        # digits, so one classification serves every number sharing all but the last
        # _PREFIX_FREE digits (tests/core/test_numberplan.py checks this against the full path).
        self._home_prefix = f"+{phonenumbers.country_code_for_region(country)}"
        self._by_prefix: dict[tuple[str, int], NumberInfo] = {}

    def normalize(self, raw: str) -> str:
        """The key of ``raw``; raises InvalidNumber (a ValueError) with the reason when the
        number is not standard."""
        info = self.classify(raw)
        if not info.standard:
            raise InvalidNumber(raw, info.reason)
        return info.key

    def warm_up(self) -> None:
        """Load now what libphonenumber loads on first need: every region's metadata and the
        geocoder's country names (for the reasons of bad numbers), up to a second in all.

        A server calls it at start-up, so that the first foreign or malformed number it meets
        does not hold up every call behind it. Classifications are not cached by it.
        """
        phonenumbers.PhoneMetadata.load_all()
        _place(phonenumbers.country_code_for_region(self.country), self.country)

    def cache_info(self) -> CacheInfo:
        """Misses, size and bound of the classification cache (for metrics and benchmarks)."""
        cache = self._cache
        return CacheInfo(cache.misses, len(cache), cache.maxsize)

    @staticmethod
    def range_key(info: NumberInfo, digits: int = 4) -> str:
        """The key of the range ``info`` belongs to: its key without the last ``digits`` digits
        of the national number, to group the rotating numbers of one block. A number whose
        national number has no more than ``digits`` digits (a short code) is its own range."""
        if digits < 0:
            raise ValueError(f"range_key: digits must be >= 0, got {digits}")
        national = info.national
        if digits == 0 or len(national) <= digits or not info.key.endswith(national):
            return info.key
        return info.key[:-digits]

    def _classify(self, raw: str) -> NumberInfo:
        if not (
            raw.startswith(self._home_prefix)
            and len(raw) >= _PREFIX_MIN_LENGTH
            and raw.isascii()
            and raw[1:].isdigit()
        ):
            return self._classify_any(raw)
        memo = (raw[:-_PREFIX_FREE], len(raw))
        template = self._by_prefix.get(memo)
        if template is not None:
            national = raw[len(template.key) - len(template.national) :]
            # the template with raw, key and national replaced, built from slices by
            # tuple.__new__ (NamedTuple._replace loops over the fields in Python, and _make
            # is a Python-level call too)
            return _new_tuple(NumberInfo, (raw, raw, *template[2:11], national, template[12]))
        info = self._classify_any(raw)
        if info.validity is Validity.VALID and info.key == raw:
            if len(self._by_prefix) >= _PREFIX_MEMO_SIZE:
                self._by_prefix.clear()
            self._by_prefix[memo] = info
        return info

    def _classify_any(self, raw: str) -> NumberInfo:
        cleaned = _clean(raw)
        if not _DIGITS_RE.fullmatch(cleaned):
            return self._invalid(raw, _not_digits_reason(raw, cleaned))
        international = self._international_digits(cleaned)
        digits = international if international is not None else cleaned
        if len(digits) > _E164_MAX_DIGITS:
            return self._invalid(
                raw,
                f"too long: {len(digits)} digits, a telephone number has at most "
                f"{_E164_MAX_DIGITS} (ITU-T E.164)",
            )
        try:
            number = phonenumbers.parse(cleaned, self.country)
        except _ParseError as exc:
            if exc.error_type == _ParseError.INVALID_COUNTRY_CODE:
                reason = f"unknown country code {(international or '')[:3]}".rstrip()
            else:
                reason = _PARSE_FAILURES.get(exc.error_type, "not a telephone number")
            return self._invalid(raw, reason)
        return self._classify_parsed(raw, number)

    def _international_digits(self, cleaned: str) -> str | None:
        """The digits after '+' or the home international prefix ('00' in CN), else None."""
        if cleaned.startswith("+"):
            return cleaned[1:]
        match = self._international_prefix.match(cleaned)
        return cleaned[match.end() :] if match else None

    def _classify_parsed(self, raw: str, number: PhoneNumber) -> NumberInfo:
        cc = number.country_code or 0  # parse() always sets it; the stubs say Optional
        national = phonenumbers.national_significant_number(number)
        main_region = phonenumbers.region_code_for_country_code(cc)
        key = f"+{cc}{national}"
        supplement = SUPPLEMENTS.get(main_region)
        special = supplement.special(national) if supplement else None
        if supplement and special:
            return NumberInfo(
                raw=raw,
                key=key,
                validity=Validity.VALID,
                kind=special.kind,
                region=main_region,
                carrier=special.carrier,
                domestic=main_region == self.country,
                emergency=special.kind is NumberKind.EMERGENCY,
                time_zone=supplement.time_zone,
                reason="",
                country_code=cc,
                national=national,
                name=special.name,
            )
        # number_type is UNKNOWN exactly when is_valid_number is False: one type match, not two.
        number_type = phonenumbers.number_type(number)
        if number_type != PhoneNumberType.UNKNOWN:
            kind = _KINDS.get(number_type, NumberKind.UNKNOWN)
            region = phonenumbers.region_code_for_number(number) or main_region
            zones = (
                pn_timezone.time_zones_for_geographical_number(number)
                if phonenumbers.is_number_type_geographical(number_type, cc)
                else pn_timezone.time_zones_for_number(number)
            )
            return NumberInfo(
                raw=raw,
                key=key,
                validity=Validity.VALID,
                kind=kind,
                region=region,
                carrier=carrier.name_for_valid_number(number, "en")
                if kind in _CARRIER_KINDS
                else "",
                domestic=region == self.country,
                emergency=False,
                time_zone=zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else "",
                reason="",
                country_code=cc,
                national=national,
            )
        validity, reason = _explain(cc, national, main_region, supplement, number)
        return NumberInfo(
            raw=raw,
            key=key if validity is Validity.POSSIBLE else _strip_whitespace(raw),
            validity=validity,
            kind=NumberKind.UNKNOWN,
            region=main_region,
            carrier="",
            domestic=main_region == self.country,
            emergency=False,
            time_zone="",
            reason=reason,
            country_code=cc,
            national=national,
        )

    @staticmethod
    def _invalid(raw: str, reason: str) -> NumberInfo:
        """An unparseable number: no country, no kind, the raw text as its key."""
        return NumberInfo(
            raw=raw,
            key=_strip_whitespace(raw),
            validity=Validity.INVALID,
            kind=NumberKind.UNKNOWN,
            region="",
            carrier="",
            domestic=False,
            emergency=False,
            time_zone="",
            reason=reason,
        )


def _strip_whitespace(text: str) -> str:
    return "".join(text.split())


def _clean(raw: str) -> str:
    """The number inside ``raw`` without URI wrapping, whitespace or visual separators."""
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)  # fullwidth digits
    text = _strip_whitespace(text)
    if text.endswith(">") and "<" in text:  # a header value: "Name" <sip:...>
        text = text[text.rindex("<") + 1 : -1]
    scheme = next((s for s in _URI_SCHEMES if text[: len(s)].lower() == s), None)
    if scheme is not None:
        # tel:+86...;phone-context=... and sip:+86...;npdi@host;user=phone: the user part only
        text = text[len(scheme) :].split("@", 1)[0].split(";", 1)[0]
    return text.translate(_VISUAL_SEPARATORS)


def _not_digits_reason(raw: str, cleaned: str) -> str:
    if not raw.strip():
        return "empty"
    if cleaned in ("", "+"):
        return f"no digits in {raw.strip()!r}"
    return f'contains non-digits: "{cleaned[:40]}"'


def _explain(
    cc: int, national: str, region: str, supplement: Supplement | None, number: PhoneNumber
) -> tuple[Validity, str]:
    """Why a parsed number is not valid, and whether it is at least POSSIBLE."""
    place = _place(cc, region)
    length = len(national)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = metadata.national_prefix if metadata else None
    if trunk and national.startswith(trunk):
        return Validity.INVALID, (
            f"no number in {place} starts with {trunk} after the country code "
            f"or the trunk prefix {trunk}"
        )
    if supplement and national in supplement.not_in_plan:
        return Validity.INVALID, supplement.not_in_plan[national]
    shape = supplement.shape(national) if supplement else None
    if shape and length not in shape.lengths:
        too = "short" if length < min(shape.lengths) else "long"
        return Validity.INVALID, (
            f"too {too} for {shape.words}: {length} digits, expected {_lengths(shape.lengths)}"
        )
    verdict = phonenumbers.is_possible_number_with_reason(number)
    if verdict == ValidationResult.IS_POSSIBLE:
        return Validity.POSSIBLE, (
            f"has a plausible length for {place} but is in no allocated number range"
        )
    return Validity.INVALID, {
        ValidationResult.TOO_SHORT: f"too short for a number in {place}: {length} digits",
        ValidationResult.TOO_LONG: f"too long for a number in {place}: {length} digits",
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY: f"a local number of {place} without its area code",
    }.get(verdict, f"no number in {place} has {length} digits")


def _lengths(lengths: tuple[int, ...]) -> str:
    """'11', '10 or 11', '5 to 8'."""
    if len(lengths) > 2 and lengths == tuple(range(lengths[0], lengths[-1] + 1)):
        return f"{lengths[0]} to {lengths[-1]}"
    return " or ".join(str(n) for n in lengths)


@functools.cache
def _place(country_code: int, region: str) -> str:
    """The country of a number in words for reasons: 'China (+86)'."""
    # The geocoder's data takes half a second to import: only reasons for bad numbers need it.
    from phonenumbers import geocoder

    example = phonenumbers.example_number(region) if region != "001" else None
    name = geocoder.country_name_for_number(example, "en") if example else ""
    return f"{name} (+{country_code})" if name else f"+{country_code}"
