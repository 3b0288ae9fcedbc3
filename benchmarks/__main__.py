"""Run the benchmarks: ``python -m benchmarks [--quick] [NAME ...]``.

Each ``benchmarks/bench_<name>.py`` has ``main(quick: bool = False) -> dict[str, float]``
that prints its figures (with the ratio to a baseline measured in the same run) and returns
them. All figures are written to ``bench-out/results.json``.

``make bench`` runs them on the mypyc-compiled core (``make compiled``, on ``PYTHONPATH``);
``python -m benchmarks`` alone runs the pure-Python one. The first line says which.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import time
from pathlib import Path

import benchmarks


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("names", nargs="*", help="run only these (e.g. replay detectors)")
    args = parser.parse_args()
    found = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    unknown = sorted(set(args.names) - set(found))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(found)}")
    compiled = _core_is_compiled()
    print(
        "core: compiled by mypyc"
        if compiled
        else "core: pure Python (make bench runs the compiled one: make compiled)"
    )
    results: dict[str, dict[str, float]] = {"core": {"compiled": float(compiled)}}
    for name in args.names or found:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.bench_{name}")
        results[name] = module.main(quick=args.quick)
        print(f"({name}: {time.perf_counter() - started:.1f} s)", flush=True)
    out = Path("bench-out")
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\nfigures written to {out / 'results.json'}")


def _core_is_compiled() -> bool:
    """Whether the screener imported here is the C extension mypyc builds."""
    import ringfence.core.screener

    return not (ringfence.core.screener.__file__ or "").endswith(".py")


if __name__ == "__main__":
    main()
