"""The number plan: forms, keys, CN specials, reasons, time zones, and fuzzing of the parser."""

from __future__ import annotations

import random
import sys

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import shortnumberinfo

from ringfence.core.errors import InvalidNumber, PolicyError
from ringfence.core.numberplan import NumberInfo, NumberKind, NumberPlan, Validity
from ringfence.core.numberplan_tables import CN

PLAN = NumberPlan()
K = NumberKind

MOBILE_KEY = "+8613812345678"


@pytest.mark.parametrize(
    ("raw", "key", "kind", "region"),
    [
        # mobile and fixed line, every way they are signalled
        ("+8613812345678", MOBILE_KEY, K.MOBILE, "CN"),
        ("13812345678", MOBILE_KEY, K.MOBILE, "CN"),
        ("01012345678", "+861012345678", K.FIXED_LINE, "CN"),
        ("021-1234-5678", "+862112345678", K.FIXED_LINE, "CN"),
        ("(0571) 8765 4321", "+8657187654321", K.FIXED_LINE, "CN"),
        ("+86 571 8765 4321", "+8657187654321", K.FIXED_LINE, "CN"),
        # CN specials that libphonenumber does not treat as callers
        ("95588", "+8695588", K.SERVICE, "CN"),
        ("95555", "+8695555", K.SERVICE, "CN"),
        ("+86 95533", "+8695533", K.SERVICE, "CN"),
        ("9501 2345", "+8695012345", K.SERVICE, "CN"),
        ("96110", "+8696110", K.SERVICE, "CN"),
        ("400-812-3123", "+864008123123", K.SHARED_COST, "CN"),
        ("800 810 0888", "+868008100888", K.TOLL_FREE, "CN"),
        ("10086", "+8610086", K.SHORT_CODE, "CN"),
        ("10010", "+8610010", K.SHORT_CODE, "CN"),
        ("10000", "+8610000", K.SHORT_CODE, "CN"),
        ("12315", "+8612315", K.SHORT_CODE, "CN"),
        ("12321", "+8612321", K.SHORT_CODE, "CN"),
        ("12345", "+8612345", K.SHORT_CODE, "CN"),
        ("12306", "+8612306", K.SHORT_CODE, "CN"),
        ("12110", "+8612110", K.SHORT_CODE, "CN"),
        ("110", "+86110", K.EMERGENCY, "CN"),
        ("119", "+86119", K.EMERGENCY, "CN"),
        ("120", "+86120", K.EMERGENCY, "CN"),
        ("122", "+86122", K.EMERGENCY, "CN"),
        ("0086 110", "+86110", K.EMERGENCY, "CN"),
        # foreign numbers
        ("0044 20 7946 0958", "+442079460958", K.FIXED_LINE, "GB"),
        ("+44 7400 123456", "+447400123456", K.MOBILE, "GB"),
        ("+1 (212) 555-0100", "+12125550100", K.FIXED_OR_MOBILE, "US"),
        ("001 650 253 0000", "+16502530000", K.FIXED_OR_MOBILE, "US"),
        ("+81 3-1234-5678", "+81312345678", K.FIXED_LINE, "JP"),
        ("+81 90-1234-5678", "+819012345678", K.MOBILE, "JP"),
        ("+800 1234 5678", "+80012345678", K.TOLL_FREE, "001"),
    ],
)
def test_standard_numbers(raw: str, key: str, kind: NumberKind, region: str) -> None:
    info = PLAN.classify(raw)
    assert (info.key, info.validity, info.kind, info.region) == (key, Validity.VALID, kind, region)
    assert info.standard
    assert info.reason == ""
    assert info.domestic == (region == "CN")
    assert info.emergency == (kind is K.EMERGENCY)


@pytest.mark.parametrize(
    "raw",
    [
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "+86.138.1234.5678",
        "+86 (138) 1234-5678",
        "008613812345678",
        "0086 138 1234 5678",
        "8613812345678",
        "13812345678",
        "013812345678",
        " 138 1234 5678\t",
        "１３８１２３４５６７８",  # fullwidth digits from a handset's IME
        "tel:+8613812345678",
        "tel:+86-138-1234-5678;phone-context=+86",
        "TEL:+8613812345678",
        "sip:+8613812345678@host;user=phone",
        "sip:13812345678@10.0.0.1:5060",
        "sips:+8613812345678;npdi@ims.example.cn",
        '"Zhang San" <sip:+8613812345678@ims.example.cn>',
    ],
)
def test_every_form_of_a_number_has_the_same_key(raw: str) -> None:
    info = PLAN.classify(raw)
    assert info.key == MOBILE_KEY
    assert info.raw == raw
    assert info.carrier == "China Mobile"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("+", "no digits"),
        ("abc", 'contains non-digits: "abc"'),
        ("+86 1381234567a", 'contains non-digits: "+861381234567a"'),
        ("13a8", 'contains non-digits: "13a8"'),
        ("+8600123", "no number in China (+86) starts with 0"),
        ("0000000", "no number in China (+86) starts with 0"),
        ("12345678901234567", "too long: 17 digits"),
        ("+86 138 1234", "too short for a Chinese mobile number: 7 digits, expected 11"),
        ("+86 138 1234 56789", "too long for a Chinese mobile number: 12 digits"),
        ("+999123456", "unknown country code 999"),
        ("00999 123456", "unknown country code 999"),
        ("+8610", "too short for a Beijing fixed-line number"),
        ("+86 95", "too short for a Chinese 95xxx service number: 2 digits, expected 5 to 8"),
        ("400 123", "too short for a Chinese 400 number"),
        ("0571 876543", "too short for a Chinese fixed-line number with a three-digit area code"),
        ("112", "112 is not a number in China's plan"),
        ("999", "999 is not a national number in China's plan"),
        ("+44 20", "too short for a number in United Kingdom (+44): 2 digits"),
        ("+44 20 7946", "a local number of United Kingdom (+44) without its area code"),
        ("+1 212 555 01000", "too long for a number in United States (+1): 11 digits"),
    ],
)
def test_invalid_numbers_say_why(raw: str, reason: str) -> None:
    info = PLAN.classify(raw)
    assert info.validity is Validity.INVALID
    assert not info.standard
    assert info.kind is K.UNKNOWN
    assert reason in info.reason
    assert info.key == "".join(raw.split())


def test_possible_number_keeps_its_e164_key_but_is_not_standard() -> None:
    info = PLAN.classify("+1 212 055 0100")  # US exchanges never start with 0
    assert info.validity is Validity.POSSIBLE
    assert info.key == "+12120550100"
    assert "plausible length for United States (+1)" in info.reason
    assert not info.standard


@pytest.mark.parametrize(
    ("raw", "time_zone"),
    [
        ("+8613812345678", "Asia/Shanghai"),
        ("057187654321", "Asia/Shanghai"),
        ("95588", "Asia/Shanghai"),
        ("+1 212 555 0100", "America/New_York"),
        ("+1 415 555 0100", "America/Los_Angeles"),
        ("+79161234567", ""),  # Russian mobiles span eleven zones: ambiguous
        ("+8613812345", ""),  # invalid
    ],
)
def test_time_zone(raw: str, time_zone: str) -> None:
    assert PLAN.classify(raw).time_zone == time_zone


@pytest.mark.parametrize(("number", "name_and_carrier"), sorted(CN.named.items()))
def test_every_named_cn_special_is_standard(number: str, name_and_carrier: tuple[str, str]) -> None:
    info = PLAN.classify(number)
    assert info.standard
    assert info.key == f"+86{number}"
    assert (info.name, info.carrier) == name_and_carrier
    assert info.kind in {K.EMERGENCY, K.SHORT_CODE, K.SERVICE}


@pytest.mark.parametrize("number", sorted(CN.named))
def test_named_cn_specials_agree_with_libphonenumber_short_numbers(number: str) -> None:
    # An independent source for the table: libphonenumber lists them as numbers one can dial.
    parsed = phonenumbers.parse(number, "CN")
    assert shortnumberinfo.is_valid_short_number_for_region(parsed, "CN")


def test_domestic_follows_the_home_country() -> None:
    us_plan = NumberPlan("US", cache_size=16)
    assert us_plan.classify("(212) 555-0100").key == "+12125550100"
    assert us_plan.classify("(212) 555-0100").domestic
    assert not us_plan.classify("+8613812345678").domestic
    assert us_plan.classify("011 86 138 1234 5678").key == MOBILE_KEY
    assert us_plan.classify("+8695588").kind is K.SERVICE  # a country's specials follow the number


def test_unknown_home_country_is_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="'XX'"):
        NumberPlan("XX")


def test_normalize_returns_the_key_or_raises_with_the_reason() -> None:
    assert PLAN.normalize("tel:+86-138-1234-5678") == MOBILE_KEY
    assert PLAN.normalize("95588") == "+8695588"
    with pytest.raises(InvalidNumber) as caught:
        PLAN.normalize("+86 138 1234")
    assert isinstance(caught.value, ValueError)
    assert caught.value.value == "+86 138 1234"
    assert "too short for a Chinese mobile number" in caught.value.reason


@pytest.mark.parametrize(
    ("raw", "digits", "range_key"),
    [
        ("+8613812345678", 4, "+861381234"),
        ("+8613812345678", 0, "+8613812345678"),
        ("057187654321", 3, "+8657187654"),
        ("95588", 5, "+8695588"),  # a short number is its own range
        ("+86 138 1234", 2, "+8613812"),  # invalid but parsed: its key still ends in its digits
        ("abc", 2, "abc"),
    ],
)
def test_range_key(raw: str, digits: int, range_key: str) -> None:
    assert NumberPlan.range_key(PLAN.classify(raw), digits) == range_key


def test_range_key_rejects_negative_digits() -> None:
    with pytest.raises(ValueError, match="-1"):
        NumberPlan.range_key(PLAN.classify(MOBILE_KEY), -1)


def test_classification_is_cached_and_bounded() -> None:
    plan = NumberPlan(cache_size=2)
    first = plan.classify("13812345678")
    assert plan.classify("13812345678") is first
    plan.classify("95588")
    plan.classify("110")  # full: the older half (13812345678) is dropped
    assert plan.cache_info() == (3, 2, 2)
    again = plan.classify("13812345678")
    assert again == first and again is not first
    assert plan.classify("110") is plan.classify("110")
    assert plan.cache_info().misses == 4
    uncached = NumberPlan(cache_size=0)
    assert uncached.classify("13812345678") == first


def test_warm_up_loads_what_first_sight_of_odd_numbers_would() -> None:
    plan = NumberPlan()
    plan.warm_up()
    assert plan.cache_info().currsize == 0
    loaded = set(sys.modules)
    odd = ("+86 0571 123", "+86 1382416", "0000", "+447440167033", "+12124725250", "+9991")
    reasons = [plan.classify(raw).reason for raw in odd]
    assert set(sys.modules) == loaded
    assert "China (+86)" in reasons[0]


# -- fuzzing ---------------------------------------------------------------------------------

_PHONE_CHARS = '0123456789+ -().:;@<>"telsipTELSIP１２３'
phone_like = st.text(alphabet=_PHONE_CHARS, max_size=32)
digit_strings = st.builds(
    lambda plus, digits: plus + digits,
    st.sampled_from(["", "+", "00", "0", "86", "+86", "0086"]),
    st.text(alphabet="0123456789", min_size=1, max_size=16),
)
numbers_text = st.one_of(st.text(max_size=40), phone_like, digit_strings)

# Valid CN mobile ranges, and the ways a number is signalled (E.164, 00 + CC, bare 86, trunk
# prefix, URIs) for the canonicalisation property.
cn_mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["133", "138", "139", "150", "177", "186", "189", "199"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)
_FORMS = (
    "+86{}",
    "0086{}",
    "86{}",
    "{}",
    "0{}",
    "tel:+86{}",
    "sip:+86{}@gw.example.cn;user=phone",
)


@st.composite
def signalled_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A valid CN mobile and one way of signalling it, with separators sprinkled in."""
    national = draw(cn_mobiles)
    cuts = sorted(draw(st.sets(st.integers(1, len(national) - 1), max_size=4)))
    separator = draw(st.sampled_from([" ", "-", "."]))
    pieces = [national[i:j] for i, j in zip([0, *cuts], [*cuts, len(national)], strict=True)]
    return national, draw(st.sampled_from(_FORMS)).format(separator.join(pieces))


@given(numbers_text)
def test_classify_never_raises(raw: str) -> None:
    info = PLAN.classify(raw)
    assert isinstance(info, NumberInfo)
    assert info.raw == raw
    assert (info.reason == "") == (info.validity is Validity.VALID)


@given(numbers_text)
def test_key_is_a_fixed_point(raw: str) -> None:
    info = PLAN.classify(raw)
    if info.validity is not Validity.INVALID:
        again = PLAN.classify(info.key)
        assert (again.key, again.validity, again.kind) == (info.key, info.validity, info.kind)
        assert info.key.startswith(f"+{info.country_code}")


@given(numbers_text)
def test_normalize_raises_exactly_when_not_standard(raw: str) -> None:
    info = PLAN.classify(raw)
    if info.standard:
        assert PLAN.normalize(raw) == info.key
    else:
        with pytest.raises(InvalidNumber):
            PLAN.normalize(raw)


@given(digit_strings)
def test_validity_agrees_with_libphonenumber_outside_the_specials(raw: str) -> None:
    info = PLAN.classify(raw)
    if info.name or not info.country_code:
        return  # a national special, or not parsed at all
    parsed = phonenumbers.parse(raw, "CN")
    assert (info.validity is Validity.VALID) == phonenumbers.is_valid_number(parsed)


@given(signalled_forms())
def test_all_forms_of_a_mobile_number_give_its_e164_key(case: tuple[str, str]) -> None:
    national, raw = case
    info = PLAN.classify(raw)
    assert info.key == f"+86{national}"
    assert info.kind is K.MOBILE


def test_prefix_memo_agrees_with_the_full_classification() -> None:
    """The fast path (one classification per prefix) gives what libphonenumber gives."""
    rng = random.Random(20190301)
    fast = NumberPlan("CN")
    prefixes = [
        "+86138",
        "+86139",
        "+86150",
        "+86170",
        "+86171",
        "+86187",
        "+86199",
        "+86400",
        "+86800",
        "+8610",
        "+86571",
        "+86755",
        "+86123",
        "+86162",
    ]
    numbers = []
    for prefix in prefixes:
        for _ in range(150):
            rest = 13 - len(prefix) + 1 if not prefix.startswith(("+86400", "+86800")) else 7
            numbers.append(prefix + "".join(rng.choice("0123456789") for _ in range(rest)))
            # siblings that share all but the last four digits exercise the memo
            numbers.append(numbers[-1][:-4] + f"{rng.randrange(10_000):04d}")
    for raw in numbers:
        full = NumberPlan("CN", cache_size=0)._classify_any(raw)
        assert fast.classify(raw) == full, raw
