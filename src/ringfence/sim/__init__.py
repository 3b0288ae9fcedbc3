"""Synthetic traffic of a city (Hangzhou) with nuisance actors and ground truth.

    result = simulate(SimConfig(subscribers=20_000, days=1, seed=1))
    result.summary()               # calls by kind, nuisance share
    write(result, Path("bundle"))  # a DESIGN.md bundle, truth files included, and
                                   # bundle/pki: the test PKI that signed cdrs.identity

``KINDS`` describes every ``truth_calls.kind``: nuisance or not, the reasons a correct
screener gives, and whether only behaviour (an online detector) can reveal it.
"""

from ringfence.sim.config import ActorCounts, SimConfig
from ringfence.sim.generate import SimResult, SimSummary, simulate, write
from ringfence.sim.kinds import KINDS, KindInfo, Role

__all__ = [
    "KINDS",
    "ActorCounts",
    "KindInfo",
    "Role",
    "SimConfig",
    "SimResult",
    "SimSummary",
    "simulate",
    "write",
]
