"""Detection quality on a simulated city: the figures issue 2 asks for, as a regression test.

A seed the demo, the benchmarks and the closing-note figures do not use. Behavioural kinds are
judged after each campaign's warm-up (ringfence.evaluate.WARMUP_CALLS); rule-based kinds must
be stopped on every call; legitimate calls may be blocked at most once in 10,000.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.core.policy import load_policy
from ringfence.evaluate import evaluate
from ringfence.replay import replay_bundle
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.sim import KINDS, SimConfig, simulate, write


@pytest.mark.slow
def test_quality_on_a_simulated_city(tmp_path: Path) -> None:
    bundle, out = tmp_path / "bundle", tmp_path / "out"
    write(simulate(SimConfig(subscribers=20_000, days=1, seed=5)), bundle, "csv")
    authenticator = ShakenAuthenticator.from_bundle(bundle)
    assert authenticator is not None  # the simulator signs interconnect calls
    replay_bundle(bundle, out, load_policy("cn"), authenticator=authenticator)
    result = evaluate(bundle, out)

    assert result.missing_verdicts == 0
    nuisance = {k.kind: k for k in result.kinds if k.nuisance}
    assert set(nuisance) == {kind for kind, info in KINDS.items() if info.nuisance}
    for kind, quality in nuisance.items():
        if KINDS[kind].behavioural:
            assert quality.stop_rate_after_warmup >= 0.95, (kind, quality)
        else:
            assert quality.stop_rate == 1.0, (kind, quality)
    assert result.legit_calls > 50_000
    assert result.legit_blocked * 10_000 <= result.legit_calls, result.legit_blocked
    assert result.emergency_calls > 0 and result.emergency_not_allowed == 0
    callbacks = next(k for k in result.kinds if k.kind == "one_ring_callback")
    assert callbacks.blocked == 0 and callbacks.labelled >= 0.9 * callbacks.calls
