"""Detector parameters from a policy pack's [detectors.*] tables."""

from __future__ import annotations

from typing import Any

import pytest

from ringfence.core.detectors.params import (
    BombingParams,
    DetectorParams,
    OneRingParams,
    ReportsParams,
)
from ringfence.core.errors import PolicyError


def test_empty_mapping_gives_defaults() -> None:
    assert DetectorParams.from_mapping({}) == DetectorParams()


def test_values_are_read_per_table() -> None:
    params = DetectorParams.from_mapping(
        {
            "one_ring": {"min_calls": 7, "window_s": 300},
            "call_bombing": {"hold_s": 900.5},
            "robocall": {"max_answer_rate": 0.15},
            "reports": {"min_reporters": 5},
        }
    )
    assert params.one_ring.min_calls == 7 and params.one_ring.window_s == 300
    assert params.bombing.hold_s == 900.5
    assert params.robocall.max_answer_rate == 0.15
    assert params.reports.min_reporters == 5
    assert params.one_ring.max_ring_ms == OneRingParams().max_ring_ms  # untouched default


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"one_rings": {}}, "[detectors] unknown table 'one_rings'"),
        ({"robocall": 3}, "[detectors.robocall] must be a table"),
        ({"one_ring": {"min_cals": 3}}, "[detectors.one_ring] unknown key 'min_cals'"),
        (
            {"one_ring": {"min_calls": "5"}},
            "[detectors.one_ring] min_calls = '5': expected a number",
        ),
        ({"one_ring": {"min_calls": 5.5}}, "min_calls = 5.5: expected an integer"),
        ({"call_bombing": {"hold_s": True}}, "[detectors.call_bombing] hold_s = True: expected"),
        ({"call_bombing": {"hold_s": 0}}, "hold_s = 0: must be greater than 0"),
        ({"robocall": {"max_answer_rate": 1.5}}, "max_answer_rate = 1.5: must be at most 1.0"),
        ({"one_ring": {"slow_window_s": 60}}, "slow_window_s = 60: must exceed window_s"),
        ({"call_bombing": {"long_min_attempts": 5}}, "long_min_attempts = 5: must be at least"),
        ({"reports": {"max_reporters": 2}}, "[detectors.reports] max_reporters = 2: must be at"),
    ],
)
def test_bad_tables_name_table_key_and_reason(data: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as excinfo:
        DetectorParams.from_mapping(data)
    assert message in str(excinfo.value)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(PolicyError, match="window_s"):
        BombingParams(window_s=-1)


def test_longest_window_covers_every_window_and_hold() -> None:
    params = DetectorParams(
        bombing=BombingParams(relationship_ttl_s=10.0),
        reports=ReportsParams(window_s=1e9),
    )
    assert params.longest_window_s == 1e9
    assert DetectorParams().longest_window_s == 2 * BombingParams().relationship_ttl_s
