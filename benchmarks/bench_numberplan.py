"""How fast the number plan classifies: first sight of a number, and the cached hot path.

Baselines measured in the same run: a bare ``phonenumbers.parse`` of the same strings (what
an uncached classification costs beyond parsing) and a bare ``dict.get`` (the floor for any
cached look-up). Also the memory one cached classification holds, to size ``cache_size``.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Callable, Iterable

import phonenumbers

from ringfence.core.numberplan import NumberPlan


def signalled_numbers(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct numbers as a CN switch sees them: mostly mobiles in several forms,
    some fixed lines, service numbers, foreign numbers and malformed ones."""
    rng = random.Random(seed)

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    makers: list[tuple[float, Callable[[], str]]] = [
        (0.45, lambda: f"+86{rng.choice(['138', '139', '186', '150', '177'])}{digits(8)}"),
        (0.15, lambda: f"{rng.choice(['133', '189', '199'])}{digits(8)}"),
        (0.10, lambda: f"0{rng.choice(['10', '21', '571', '755'])}{digits(8)}"),
        (0.05, lambda: f"95{digits(rng.randint(3, 6))}"),
        (0.05, lambda: f"400{digits(7)}"),
        (0.10, lambda: f"+1{rng.choice(['212', '415', '312'])}{rng.randint(2, 9)}{digits(6)}"),
        (0.10, lambda: rng.choice(["+86", "", "+999"]) + digits(rng.randint(3, 16))),
    ]
    weights = [w for w, _ in makers]
    seen: dict[str, None] = {}
    while len(seen) < count:
        make = rng.choices(makers, weights)[0][1]
        seen[make()] = None
    return list(seen)


def _rate(action: Callable[[str], object], items: Iterable[str], repeat: int) -> float:
    """Calls per second of ``action`` over ``items``: the best of ``repeat`` passes."""
    items = list(items)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            action(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def _parse(raw: str) -> object:
    try:
        return phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None


def _bytes_per_entry(numbers: list[str]) -> float:
    plan = NumberPlan(cache_size=len(numbers))
    plan.classify(numbers[0])  # module-level caches (country names) are not per entry
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for raw in numbers:
        plan.classify(raw)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / len(numbers)


def main(quick: bool = False) -> dict[str, float]:
    """Measure and print classification rates with their baselines; return the figures."""
    numbers = signalled_numbers(2_000 if quick else 20_000)
    repeat = 3 if quick else 5

    # libphonenumber loads each region's metadata and carrier tables on first use: load them
    # before timing, so "uncached" is the steady cost of a number never seen before.
    warm_up = NumberPlan(cache_size=0)
    for raw in signalled_numbers(500, seed=1):
        warm_up.classify(raw)
        _parse(raw)

    plan = NumberPlan(cache_size=len(numbers))
    start = time.perf_counter()
    infos = {raw: plan.classify(raw) for raw in numbers}  # every call a miss
    uncached = len(numbers) / (time.perf_counter() - start)
    parse = _rate(_parse, numbers, 1)

    cached = _rate(plan.classify, numbers, repeat)
    dict_get = _rate(infos.get, numbers, repeat)
    memory = _bytes_per_entry(numbers[:5_000])

    figures = {
        "uncached_per_s": uncached,
        "parse_per_s": parse,
        "uncached_vs_parse": uncached / parse,
        "cached_per_s": cached,
        "dict_get_per_s": dict_get,
        "cached_vs_dict_get": cached / dict_get,
        "cache_bytes_per_entry": memory,
    }
    print(f"number plan, {len(numbers):,} distinct numbers as signalled")
    print(
        f"  uncached classify  {uncached:>12,.0f} /s   "
        f"bare phonenumbers.parse {parse:,.0f} /s  (ratio {uncached / parse:.2f})"
    )
    print(
        f"  cached classify    {cached:>12,.0f} /s   "
        f"bare dict.get {dict_get:,.0f} /s  (ratio {cached / dict_get:.2f})"
    )
    print(
        f"  cache memory       {memory:>12,.0f} B per entry "
        f"(~{memory * 500_000 / 2**20:,.0f} MiB at the default 500,000 entries)"
    )
    return figures


if __name__ == "__main__":
    main()
