"""How fast the simulator generates calls, against merely drawing as many random call tuples.

The floor draws, for each call, the handful of random values a CDR needs (time, two numbers,
ring, talk, disposition) with ``random.Random`` into a list of tuples: the least any pure-Python
generator of that many calls must do. ``simulate`` also builds the city, its contact graph,
every actor and the ground truth, and turns every call into a bundle row.
"""

from __future__ import annotations

import random
import time

from ringfence.sim import SimConfig, simulate


def _floor(n: int) -> list[tuple[float, int, int, int, int, int]]:
    rng = random.Random(1)
    return [
        (
            rng.random(),
            rng.randrange(10**8),
            rng.randrange(10**8),
            rng.randrange(60_000),
            rng.randrange(600_000),
            rng.randrange(6),
        )
        for _ in range(n)
    ]


def main(quick: bool = False) -> dict[str, float]:
    """Measure calls generated per second by ``simulate`` and the ratio to the floor."""
    config = (
        SimConfig(subscribers=3_000, days=1, seed=1)
        if quick
        else SimConfig(subscribers=40_000, days=4, seed=1)
    )
    began = time.perf_counter()
    result = simulate(config)
    ours = time.perf_counter() - began
    calls = len(result.tables["cdrs"])
    began = time.perf_counter()
    _floor(calls)
    floor = time.perf_counter() - began
    summary = result.summary()
    print(
        f"simulate: {config.subscribers:,} subscribers × {config.days} day(s) → {calls:,} calls "
        f"({summary.nuisance_share:.1%} nuisance) in {ours:.2f} s = {calls / ours:,.0f} calls/s"
    )
    print(
        f"floor (random tuples): {calls / floor:,.0f} calls/s; "
        f"simulate takes {ours / floor:.1f}× the floor"
    )
    return {
        "calls": float(calls),
        "seconds": ours,
        "calls_per_s": calls / ours,
        "floor_calls_per_s": calls / floor,
        "ratio_to_floor": ours / floor,
    }


if __name__ == "__main__":
    main()
