"""Benchmark of the online detectors (ringfence.core.live.LiveState): memory and throughput.

1. Memory: tracemalloc'd size of the live state after tracking N distinct calling numbers
   (1,000,000; 100,000 with ``quick``), each placing a few calls to others of the population
   within one hour, so every window is still live. The number strings are created before
   tracing starts (the screener holds them anyway); the figure is the detectors' own state.
   Goal: under 1 GiB for a million numbers.
2. Throughput: events/s of ``on_attempt`` + ``caller_flags`` + ``on_end`` over a realistic mix
   (subscribers, a courier, a robocaller, one-ring numbers), against a bare dict-increment loop
   over the same events measured in the same run.

Run: ``python -m benchmarks.bench_detectors`` (add ``--quick`` for the small mode).
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc

from ringfence.core.detectors.params import DetectorParams
from ringfence.core.live import LiveState
from ringfence.core.types import Disposition, Ingress

_T0 = 1_551_403_800.0  # 2019-03-01T09:30:00+08:00
_SUB = Ingress.SUBSCRIBER

# (disposition, ring_ms range, talk_ms range, weight) of ordinary calls
_MIX = (
    (Disposition.ANSWERED, (3_000, 20_000), (20_000, 300_000), 60),
    (Disposition.NO_ANSWER, (20_000, 45_000), (0, 0), 18),
    (Disposition.CANCELLED, (2_000, 15_000), (0, 0), 12),
    (Disposition.BUSY, (0, 1_000), (0, 0), 6),
    (Disposition.REJECTED, (1_000, 8_000), (0, 0), 4),
)

_CUM_WEIGHTS = [sum(m[3] for m in _MIX[: i + 1]) for i in range(len(_MIX))]

Event = tuple[str, str, float, int, int, Disposition]


def _numbers(n: int, first: int = 13_800_000_000) -> list[str]:
    return [f"+86{first + i * 7}" for i in range(n)]


def _ordinary(rng: random.Random, caller: str, callee: str, t: float) -> Event:
    disposition, ring, talk, _ = rng.choices(_MIX, cum_weights=_CUM_WEIGHTS)[0]
    return (caller, callee, t, rng.randint(*ring), rng.randint(*talk), disposition)


def _events(n_events: int, population: list[str], rng: random.Random) -> list[Event]:
    """A time-ordered mix: ordinary subscribers plus a courier, a robocaller and one-ringers."""
    span = 3_600.0
    courier, robocaller = "+8610955123456", "+8617100000001"
    one_ringers = _numbers(50, first=17_012_345_000)
    scan = 13_900_000_000
    out: list[Event] = []
    for i in range(n_events):
        t = _T0 + span * i / n_events
        roll = rng.random()
        callee = rng.choice(population)
        if roll < 0.002:
            out.append(_ordinary(rng, courier, callee, t))
        elif roll < 0.006:
            scan += 1
            answered = rng.random() < 0.1
            out.append(
                (
                    robocaller,
                    f"+86{scan}",
                    t,
                    8_000,
                    3_000 if answered else 0,
                    Disposition.ANSWERED if answered else Disposition.NO_ANSWER,
                )
            )
        elif roll < 0.008:
            out.append((rng.choice(one_ringers), callee, t, 1_500, 0, Disposition.CANCELLED))
        else:
            out.append(_ordinary(rng, rng.choice(population), callee, t))
    return out


def _feed(live: LiveState, events: list[Event]) -> None:
    for caller, callee, t, ring_ms, talk_ms, disposition in events:
        live.on_attempt(caller, callee, t, _SUB, "")
        live.caller_flags(caller, callee, t, _SUB, "")
        live.on_end(caller, callee, t, ring_ms, talk_ms, disposition, _SUB, "")


def _baseline(events: list[Event]) -> None:
    counts: dict[str, int] = {}
    for caller, callee, _t, _ring, _talk, _disposition in events:
        counts[caller] = counts.get(caller, 0) + 1
        counts[callee] = counts.get(callee, 0) + 1


def measure_memory(n_numbers: int, calls_each: int = 3) -> float:
    """Bytes of live state per tracked calling number (each placing ``calls_each`` calls)."""
    rng = random.Random(7)
    population = _numbers(n_numbers)
    live = LiveState(DetectorParams())
    n_calls = n_numbers * calls_each
    tracemalloc.start()
    try:
        for i in range(n_calls):
            caller = population[i % n_numbers]
            callee = population[rng.randrange(n_numbers)]
            t = _T0 + 3_600.0 * i / n_calls
            event = _ordinary(rng, caller, callee, t)
            live.on_attempt(caller, callee, t, _SUB, "")
            live.on_end(*event, _SUB, "")
        used, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stats = live.stats()
    print(f"  state after {n_calls:,} calls: " + ", ".join(f"{k}={v:,}" for k, v in stats.items()))
    return used / n_numbers


def measure_throughput(n_events: int) -> tuple[float, float]:
    """Events/s of the live state and of the dict-increment baseline over the same events."""
    rng = random.Random(11)
    events = _events(n_events, _numbers(100_000), rng)
    start = time.perf_counter()
    _baseline(events)
    baseline = n_events / (time.perf_counter() - start)
    live = LiveState(DetectorParams())
    start = time.perf_counter()
    _feed(live, events)
    rate = n_events / (time.perf_counter() - start)
    return rate, baseline


def main(quick: bool = False) -> dict[str, float]:
    """Run both measurements, print them, and return the figures."""
    n_numbers = 100_000 if quick else 1_000_000
    n_events = 200_000 if quick else 1_000_000
    print(f"detectors: memory for {n_numbers:,} active calling numbers")
    per_number = measure_memory(n_numbers)
    total_mib = per_number * n_numbers / 2**20
    print(f"  {per_number:,.0f} bytes per number, {total_mib:,.1f} MiB in all")
    print(f"  projected for 1,000,000 numbers: {per_number * 1e6 / 2**30:.2f} GiB (goal < 1 GiB)")
    print(f"detectors: throughput over {n_events:,} events (attempt + flags + end)")
    rate, baseline = measure_throughput(n_events)
    print(f"  live state: {rate:,.0f} events/s ({1e6 / rate:.2f} µs/event)")
    print(f"  baseline dict increments: {baseline:,.0f} events/s; ratio {baseline / rate:.1f}x")
    return {
        "bytes_per_number": per_number,
        "memory_mib": total_mib,
        "events_per_s": rate,
        "baseline_events_per_s": baseline,
        "slowdown_vs_baseline": baseline / rate,
    }


if __name__ == "__main__":
    main(quick="--quick" in sys.argv[1:])
