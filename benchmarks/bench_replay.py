"""``replay`` throughput end to end (read, screen, write) against a bare read of the same bundle.

Goal (issue 2): at least 50,000 calls/s on one core for a bundle of 500,000+ calls.

The same bundle is replayed a second time without STIR/SHAKEN verification, to show what the
signature checks of the calls that carry an Identity header cost (an ECDSA P-256 verification
each, about 0.1 ms on this machine) against everything else.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc

from ringfence.bundle import Bundle
from ringfence.core.numberplan import NumberPlan
from ringfence.core.policy import load_policy
from ringfence.replay import replay_bundle
from ringfence.shaken.screening import ShakenAuthenticator
from ringfence.sim import SimConfig, simulate, write


def main(quick: bool = False) -> dict[str, float]:
    # 40,000 subscribers over four days: about 510,000 calls (quick: one day of 20,000)
    subscribers, days = (20_000, 1) if quick else (40_000, 4)
    with tempfile.TemporaryDirectory() as tmp:
        bundle_dir, out_dir = Path(tmp) / "bundle", Path(tmp) / "out"
        write(simulate(SimConfig(subscribers=subscribers, days=days, seed=99)), bundle_dir, "csv")

        started = time.perf_counter()
        cdrs = Bundle(bundle_dir).read("cdrs").table
        bare = time.perf_counter() - started
        calls = cdrs.num_rows
        signed = pc.sum(pc.greater(pc.utf8_length(cdrs.column("identity")), 0)).as_py() or 0
        # Libraries' lazy loading (number metadata, the geocoder) is start-up, not throughput:
        # done before either replay is timed, so that neither pays it.
        NumberPlan("CN").warm_up()
        authenticator = ShakenAuthenticator.from_bundle(bundle_dir)
        cpu = time.process_time()
        result = replay_bundle(bundle_dir, out_dir, load_policy("cn"), authenticator=authenticator)
        cpu_verified, cpu = time.process_time() - cpu, time.process_time()
        unverified = replay_bundle(bundle_dir, Path(tmp) / "out-unverified", load_policy("cn"))
        cpu_unverified = time.process_time() - cpu
    read_rate = calls / bare
    # from CPU time, which other work on the machine disturbs less than the clock
    verify_us = (cpu_verified - cpu_unverified) / max(signed, 1) * 1e6
    print(f"bundle: {calls:,} calls ({subscribers:,} subscribers, {days} day(s))")
    print(f"bare read of cdrs:         {read_rate:12,.0f} calls/s  ({bare:.2f} s)")
    print(
        f"replay (read+screen+write): {result.calls_per_second:11,.0f} calls/s"
        f"  ({result.seconds:.2f} s)"
    )
    print(f"ratio replay / bare read:   {result.calls_per_second / read_rate:11.3f}")
    print(
        f"replay without verification: {unverified.calls_per_second:10,.0f} calls/s"
        f"  ({signed:,} calls signed: {verify_us:,.0f} µs more CPU per signed call with it)"
    )
    return {
        "calls": float(calls),
        "bare_read_calls_per_s": read_rate,
        "replay_calls_per_s": result.calls_per_second,
        "ratio_to_bare_read": result.calls_per_second / read_rate,
        "replay_unverified_calls_per_s": unverified.calls_per_second,
        "verification_us_per_signed_call": verify_us,
    }
