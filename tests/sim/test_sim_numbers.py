"""The simulated numbering: every template yields numbers libphonenumber accepts."""

from __future__ import annotations

import random

import numpy as np
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.sim.numbers import (
    BLOCK_SIZE,
    INVALID_NUMBER_EXAMPLES,
    VIRTUAL_PREFIXES,
    WANGIRI_RANGES,
    NumberPlan,
)

seeds = st.integers(min_value=0, max_value=2**32)


def _valid(number: str) -> phonenumbers.PhoneNumber:
    parsed = phonenumbers.parse(number)
    assert phonenumbers.is_valid_number(parsed), number
    return parsed


@settings(max_examples=25)
@given(seeds)
def test_subscribers_are_valid_cn_numbers_inside_their_blocks(seed: int) -> None:
    plan = NumberPlan(random.Random(seed))
    numbers, blocks = plan.subscribers(180, 20, np.random.default_rng(seed))
    assert len(set(numbers)) == 200
    for number in numbers:
        assert phonenumbers.region_code_for_number(_valid(number)) == "CN"
        assert sum(number in block for block in blocks) == 1
    for block in blocks:
        assert int(block.last) - int(block.first) == BLOCK_SIZE - 1
    fixed = [n for n in numbers if n.startswith("+865718")]
    assert len(fixed) == 20
    assert all(
        phonenumbers.number_type(_valid(n)) == phonenumbers.PhoneNumberType.FIXED_LINE
        for n in fixed
    )


@pytest.mark.parametrize(
    ("make", "region"),
    [
        (lambda plan: plan.domestic_mobile(), "CN"),
        (lambda plan: plan.domestic_mobile(VIRTUAL_PREFIXES), "CN"),
        (lambda plan: plan.domestic_fixed(), "CN"),
        (lambda plan: plan.enterprise_block(100).first, "CN"),
        (lambda plan: plan.enterprise_block(100).last, "CN"),
        (lambda plan: plan.numbered_range("+86170", 50)[-1], "CN"),
        (lambda plan: plan.foreign_mobile(), None),
    ],
)
@given(seed=seeds)
def test_generated_numbers_are_valid(make: object, region: str | None, seed: int) -> None:
    assert callable(make)
    number = make(NumberPlan(random.Random(seed)))
    found = phonenumbers.region_code_for_number(_valid(number))
    assert found == region if region else found != "CN"


@pytest.mark.parametrize(("prefix", "digits"), WANGIRI_RANGES)
@given(seed=seeds)
def test_wangiri_ranges_are_valid_consecutive_foreign_numbers(
    prefix: str, digits: int, seed: int
) -> None:
    numbers = NumberPlan(random.Random(seed)).numbered_range(prefix, 20, digits)
    assert all(len(n) == digits + 1 and n.startswith(prefix) for n in numbers)
    assert [int(n) for n in numbers] == list(range(int(numbers[0]), int(numbers[0]) + 20))
    assert all(phonenumbers.region_code_for_number(_valid(n)) != "CN" for n in numbers)


def test_invalid_numbers_start_with_the_classics_and_are_never_valid() -> None:
    numbers = NumberPlan(random.Random(1)).invalid_numbers(12)
    assert numbers[: len(INVALID_NUMBER_EXAMPLES)] == list(INVALID_NUMBER_EXAMPLES)
    assert len(set(numbers)) == 12
    for number in numbers:
        try:
            parsed = phonenumbers.parse(number, "CN")
        except phonenumbers.NumberParseException:
            continue
        assert not phonenumbers.is_valid_number(parsed), number


def test_a_number_is_never_handed_out_twice() -> None:
    plan = NumberPlan(random.Random(1))
    number = plan.domestic_mobile()
    with pytest.raises(ValueError, match="already in use"):
        plan.claim(number)
    with pytest.raises(ValueError, match="only 100"):
        plan.subscribers(0, 10**6, np.random.default_rng(1))
