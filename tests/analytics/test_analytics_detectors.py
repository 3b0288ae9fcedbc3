"""Each detector on hand-made signal rows: what fires it, what does not."""

from __future__ import annotations

import pandas as pd
import pytest

from ringfence.analytics.detectors import DETECTORS, detect
from ringfence.analytics.features import COUNT_FEATURES, FLOAT_FEATURES, TEXT_FEATURES
from ringfence.analytics.scoring import NORMAL, THRESHOLD, score
from ringfence.analytics.signals import derive

_QUIET = {name: 0 for name in COUNT_FEATURES} | {name: 0.0 for name in FLOAT_FEATURES}
_QUIET |= {name: "" for name in TEXT_FEATURES} | {"first_s": 0, "last_s": 0}
_SUBSCRIBER = {
    "number": "+8618257123909",
    "calls": 3,
    "callees": 3,
    "answered": 2,
    "range_numbers": 500,
    "range_calls": 1400,
    "called_by": 2,
    "holder_type": "carrier",
}


def _signals(**changes: object) -> pd.DataFrame:
    return derive(pd.DataFrame([_QUIET | _SUBSCRIBER | changes]))


@pytest.mark.parametrize(
    ("changes", "fires"),
    [
        ({}, set()),
        ({"number": "abc123"}, {"invalid_number"}),
        ({"intl_calls": 3}, {"spoofed_plus86"}),
        ({"number": "+67570561000", "intl_calls": 3}, set()),
        ({"trunk_calls": 3, "unauthorized_calls": 3}, {"unauthorized_cli"}),
        ({"sanctioned": 1}, {"sanction_in_force"}),
        ({"calls": 90, "marketing_calls": 90, "unconsented_calls": 90}, {"unconsented_marketing"}),
        ({"calls": 90, "marketing_calls": 90, "unconsented_calls": 4}, set()),
        ({"calls": 90, "marketing_calls": 90, "refused_calls": 2}, {"refusals_ignored"}),
        ({"calls": 6, "callees": 6, "answered": 0, "short_rings": 6}, {"one_ring"}),
        ({"calls": 6, "callees": 6, "answered": 0, "short_rings": 4}, set()),
        (
            {
                "calls": 1,
                "callees": 1,
                "answered": 0,
                "short_rings": 1,
                "range_numbers": 40,
                "range_calls": 290,
                "range_short_rings": 290,
            },
            {"one_ring_range"},
        ),
        ({"calls": 40, "callees": 1, "answered": 1, "max_to_one": 40}, {"call_bombing"}),
        ({"calls": 40, "callees": 1, "answered": 30, "max_to_one": 40}, set()),
        (
            {
                "calls": 7,
                "callees": 1,
                "answered": 0,
                "max_to_one": 7,
                "target_inbound": 250,
                "target_callers": 35,
                "target": "+8618757192818",
            },
            {"call_bombing_participant"},
        ),
        (
            {
                "calls": 240,
                "callees": 240,
                "answered": 30,
                "sequential_steps": 230,
                "peak_hour": 110,
            },
            {"sequential_scan", "automated_dialling"},
        ),
        ({"calls": 240, "callees": 240, "answered": 30, "peak_hour": 110}, {"automated_dialling"}),
        ({"reports": 5, "reporters": 5, "fraud_reports": 5}, {"reported_fraud", "reported"}),
        ({"reports": 9, "reporters": 9}, {"reported"}),
        ({"reports": 30, "reporters": 2, "fraud_reports": 30}, set()),
    ],
)
def test_detector_fires_exactly_when_its_signals_say(
    changes: dict[str, object], fires: set[str]
) -> None:
    fired = detect(_signals(**changes)).iloc[0]
    assert {name for name, hit in fired.items() if hit} == fires


def test_every_detector_explains_itself_with_the_figures() -> None:
    signals = _signals(calls=6, callees=6, answered=0, short_rings=6)
    scored = score(signals, detect(signals), None).iloc[0]
    assert scored["reasons"] == "ONE_RING"
    assert "6 of 6 calls" in scored["evidence"]
    assert scored["score"] >= THRESHOLD


def test_a_quiet_subscriber_is_normal_with_no_reasons() -> None:
    signals = _signals()
    scored = score(signals, detect(signals), None).iloc[0]
    assert (scored["score"], scored["category"], scored["reasons"]) == (0.0, NORMAL, "")


def test_compliance_findings_stay_below_the_threshold() -> None:
    weak = [d for d in DETECTORS if d.strength < THRESHOLD]
    assert {d.name for d in weak} == {"refusals_ignored", "reported"}
