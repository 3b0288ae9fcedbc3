"""Policy packs: the built-in packs load; a malformed pack is a clear PolicyError."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from ringfence.core.errors import PolicyError
from ringfence.core.policy import load_policy, load_policy_file, parse_policy
from ringfence.core.reasons import Reason
from ringfence.core.types import Action, Ingress

CN = load_policy("cn")
PACKS = resources.files("ringfence.core.packs")


def test_cn_pack_hours_per_industry() -> None:
    assert CN.marketing_rules("finance").hours == ((9 * 60, 20 * 60),)
    assert CN.marketing_rules("medical").hours == ((9 * 60, 18 * 60),)
    assert CN.marketing_rules("tourism").hours == ((8 * 60, 21 * 60),)
    # an industry without a table of its own falls back to the pack's defaults
    assert CN.marketing_rules("unknown-industry").hours == ((8 * 60, 21 * 60),)


@pytest.mark.parametrize(
    ("reason", "action"),
    [
        (Reason.INVALID_NUMBER, Action.BLOCK),
        (Reason.SPOOFED_INTL_DOMESTIC_CLI, Action.BLOCK),
        (Reason.AUTH_FAILED, Action.BLOCK),
        (Reason.AUTH_MISSING, Action.LABEL),
        (Reason.REPORTED, Action.LABEL),
        (Reason.EMERGENCY_EXEMPT, Action.ALLOW),
        (Reason.ALLOWED, Action.ALLOW),
    ],
)
def test_cn_actions(reason: Reason, action: Action) -> None:
    assert CN.action_for(reason) is action


def test_us_pack_is_tcpa() -> None:
    us = load_policy("us")
    assert us.country == "US"
    assert us.marketing_rules("other").hours == ((8 * 60, 21 * 60),)
    assert Ingress.INTERCONNECT in us.identity_required_on


@pytest.mark.parametrize(
    ("minute", "inside"),
    [(8 * 60 + 59, False), (9 * 60, True), (19 * 60 + 59, True), (20 * 60, False)],
)
def test_within_hours_is_start_inclusive_end_exclusive(minute: int, inside: bool) -> None:
    assert CN.marketing_rules("finance").within_hours(minute) is inside


BAD_PACKS = [
    ('hours = [["09:00", "20:00"]]', 'hours = [["20:00", "09:00"]]', "ends before it starts"),
    ('hours = [["09:00", "20:00"]]', 'hours = [["9am", "20:00"]]', "is not a time HH:MM"),
    ('hours = [["09:00", "20:00"]]', 'hours = "all day"', "non-empty list"),
    ('ONE_RING = "block"', 'ONE_RING = "shred"', "'shred' is not one of"),
    ('ONE_RING = "block"', 'ONE_RNG = "block"', "unknown reason code 'ONE_RNG'"),
    ('REPORTED = "label"', "", "no action for REPORTED"),
    (
        'default_time_zone = "Asia/Shanghai"',
        'default_time_zone = "Mars/Olympus"',
        "unknown time zone",
    ),
    ("[industries.hr]", "[industries.mining]", "unknown industry"),
    ("max_calls_per_callee_per_day = 1", "max_calls_per_callee_per_day = -1", "non-negative"),
    ("label_at = 0.5", "label_at = 5", "in [0, 1]"),
    ("[pack]", "[pack", "not valid TOML"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_PACKS)
def test_malformed_pack_is_a_clear_error(old: str, new: str, message: str) -> None:
    text = PACKS.joinpath("cn.toml").read_text("utf-8")
    assert old in text
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_policy(text.replace(old, new, 1), source="test pack")


def test_unknown_builtin_pack() -> None:
    with pytest.raises(PolicyError, match="unknown policy pack 'xx'"):
        load_policy("xx")


def test_pack_file_missing(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy pack"):
        load_policy_file(tmp_path / "nope.toml")


def test_pack_file_roundtrip(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    text = PACKS.joinpath("us.toml").read_text("utf-8")
    path.write_text(text.replace('name = "us"', 'name = "mine"'), "utf-8")
    assert load_policy_file(path).name == "mine"


def test_cn_pack_holds_the_detector_thresholds() -> None:
    d = CN.detectors
    assert (d.one_ring.min_calls, d.one_ring.range_drop_digits) == (5, 3)
    assert (d.bombing.min_attempts, d.bombing.hold_s) == (10, 1800)
    assert (d.robocall.mass_min_callees, d.robocall.mass_min_callees_subscriber) == (6, 12)
    assert (d.reports.min_reporters, d.reports.fraud_block_reporters) == (3, 3)


def test_a_detector_threshold_from_the_pack_reaches_the_detectors() -> None:
    text = PACKS.joinpath("cn.toml").read_text("utf-8")
    stricter = parse_policy(text.replace("min_attempts = 10 ", "min_attempts = 4 "), source="t")
    assert stricter.detectors.bombing.min_attempts == 4


def test_unknown_detector_key_is_a_clear_error() -> None:
    text = PACKS.joinpath("cn.toml").read_text("utf-8").replace("max_step = 10", "max_stride = 10")
    with pytest.raises(PolicyError, match="max_stride"):
        parse_policy(text, source="t")
