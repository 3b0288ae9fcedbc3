"""One small simulated city shared by the simulator's tests (simulating it takes a second)."""

from __future__ import annotations

import pytest

from ringfence.sim import SimConfig, SimResult, simulate

SMALL = SimConfig(subscribers=3_000, days=2, seed=7)


@pytest.fixture(scope="session")
def city() -> SimResult:
    """Two days of a 3,000-subscriber city."""
    return simulate(SMALL)
