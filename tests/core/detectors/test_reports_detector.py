"""Crowd-report detector: distinct reporters, majority category, fraud severity, abuse."""

from __future__ import annotations

import pytest

from ringfence.core.detectors.params import ReportsParams
from ringfence.core.detectors.reports import ReportsDetector
from ringfence.core.reasons import Reason

T0 = 1_551_403_800.0
DAY = 86_400.0
NUMBER = "+8613812345678"

Report = tuple[str, str, float]  # reporter, category, time


def reports(*rows: tuple[str, str]) -> list[Report]:
    return [(reporter, category, T0 + 60 * i) for i, (reporter, category) in enumerate(rows)]


@pytest.mark.parametrize(
    ("rows", "category", "severe"),
    [
        (
            reports(("r1", "marketing"), ("r2", "marketing"), ("r3", "harassment")),
            "marketing",
            False,
        ),
        (reports(("r1", "fraud"), ("r2", "fraud"), ("r3", "fraud")), "fraud", True),
        (reports(("r1", "fraud"), ("r2", "fraud"), ("r3", "marketing")), "fraud", False),
        (reports(("r1", "fraud"), ("r2", "marketing"), ("r3", "marketing")), "marketing", False),
        (reports(("r1", "fraud"), ("r2", "marketing")), None, False),
        (reports(*[("abuser", "fraud")] * 50), None, False),
        (reports(*[("abuser", "fraud")] * 50, ("r2", "fraud"), ("r3", "fraud")), "fraud", True),
        # a reporter changing its mind counts once, with its latest category
        (
            reports(("r1", "fraud"), ("r1", "marketing"), ("r2", "marketing"), ("r3", "finance")),
            "marketing",
            False,
        ),
    ],
)
def test_flags(rows: list[Report], category: str | None, severe: bool) -> None:
    detector = ReportsDetector(ReportsParams())
    for reporter, cat, t in rows:
        detector.on_report(reporter, NUMBER, cat, t)
    flag = detector.caller_flag(NUMBER, rows[-1][2] + 1)
    if category is None:
        assert flag is None
        return
    assert flag is not None and flag.reason is Reason.REPORTED
    assert flag.category == category and flag.severe == severe
    assert "3 distinct people" in flag.detail


def test_flag_lapses_when_reports_leave_the_window() -> None:
    detector = ReportsDetector(ReportsParams())
    for reporter, category, t in reports(("r1", "fraud"), ("r2", "fraud"), ("r3", "fraud")):
        detector.on_report(reporter, NUMBER, category, t)
    assert detector.caller_flag(NUMBER, T0 + 6 * DAY) is not None
    assert detector.caller_flag(NUMBER, T0 + 7 * DAY + 1) is None  # r1's report left the window


def test_reporters_kept_are_bounded() -> None:
    detector = ReportsDetector(ReportsParams(max_reporters=4))
    for i in range(100):
        detector.on_report(f"r{i}", NUMBER, "marketing", T0 + i)
    state = detector._numbers[NUMBER]
    assert list(state.by_reporter) == ["r96", "r97", "r98", "r99"]


@pytest.mark.parametrize(("min_reporters", "flagged"), [(3, True), (4, False)])
def test_threshold_comes_from_params(min_reporters: int, flagged: bool) -> None:
    detector = ReportsDetector(ReportsParams(min_reporters=min_reporters))
    for reporter, category, t in reports(("r1", "fraud"), ("r2", "fraud"), ("r3", "fraud")):
        detector.on_report(reporter, NUMBER, category, t)
    assert (detector.caller_flag(NUMBER, T0 + 3_600) is not None) == flagged


def test_eviction_drops_idle_numbers() -> None:
    detector = ReportsDetector(ReportsParams())
    detector.on_report("r1", NUMBER, "fraud", T0)
    detector.on_report("r1", "+8613900000000", "fraud", T0 + 6 * DAY)
    assert detector.evict(T0 + 8 * DAY) == 1
    assert detector.stats() == {"report_numbers": 1}
    assert detector.caller_flag(NUMBER, T0 + 8 * DAY) is None
