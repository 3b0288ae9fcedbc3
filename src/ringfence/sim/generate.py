"""Run a simulation end to end and write its bundle.

``simulate`` builds the city (numbers, people, enterprises, actors), lets everyone place their
calls day by day, files the crowd reports, and returns every bundle table in memory, ground
truth included. ``write`` hands the tables to the bundle writer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ringfence.bundle import write_bundle
from ringfence.shaken.pki import ShakenPki
from ringfence.sim.actors import Actor, open_pattern_actors
from ringfence.sim.calls import Row
from ringfence.sim.config import SimConfig
from ringfence.sim.floods import open_floods
from ringfence.sim.identity import PKI_DIR, bundle_pki, sign_interconnect
from ringfence.sim.kinds import KINDS
from ringfence.sim.legit import (
    emergency_calls,
    open_service_enterprises,
    register_people,
    service_calls,
    social_calls,
)
from ringfence.sim.marketing import marketing_calls, open_marketers
from ringfence.sim.numbers import BANK_NUMBERS
from ringfence.sim.reports import file_reports
from ringfence.sim.world import COLUMNS, World

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SimSummary:
    """Calls by kind and how many of them are nuisance."""

    calls: int
    nuisance: int
    by_kind: dict[str, int]

    @property
    def nuisance_share(self) -> float:
        """Nuisance calls as a share of all calls (0 when there are none)."""
        return self.nuisance / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class SimResult:
    """A simulated city's bundle tables (keyed by DESIGN.md table name, rows in column order)
    and the test PKI whose SP certificate signed its interconnect calls."""

    config: SimConfig
    tables: dict[str, list[Row]]
    pki: ShakenPki

    def summary(self) -> SimSummary:
        """Count the calls by ``truth_calls.kind`` (every kind of ``KINDS``, zeros included)."""
        counts = Counter(str(row["kind"]) for row in self.tables["truth_calls"])
        by_kind = {kind: counts.get(kind, 0) for kind in KINDS}
        nuisance = sum(n for kind, n in by_kind.items() if KINDS[kind].nuisance)
        return SimSummary(sum(by_kind.values()), nuisance, by_kind)


def simulate(config: SimConfig, progress: Progress | None = None) -> SimResult:
    """Simulate ``config.days`` days of a city's terminating traffic, with ground truth.

    Deterministic: the same config gives identical tables. ``progress(stage, fraction)`` is
    called as the work advances (fraction in [0, 1]).
    """

    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            progress(stage, fraction)

    report("building the city", 0.0)
    world = World(config)
    register_people(world)
    service_lines = open_service_enterprises(world)
    city = open_marketers(world)
    actors: list[Actor] = [*open_floods(world), *open_pattern_actors(world)]
    for day in range(config.days):
        report(f"day {day + 1} of {config.days}", 0.1 + 0.7 * day / config.days)
        social_calls(world, day)
        service_calls(world, day, service_lines)
        emergency_calls(world, day)
        marketing_calls(world, day, city)
        for actor in actors:
            actor.run(world, day)
    report("filing crowd reports", 0.8)
    world.log.sort()
    file_reports(world, [n for _, n in service_lines if n not in BANK_NUMBERS])
    report("signing interconnect calls", 0.85)
    pki = bundle_pki(config)
    identity = sign_interconnect(world, pki)
    report("building tables", 0.9)
    cdrs, truth_calls = world.log.tables(world.clock, identity)
    tables: dict[str, list[Row]] = {"cdrs": cdrs, **world.tables}
    tables["truth_numbers"] = world.truth.rows(set(world.log.caller))
    tables["truth_calls"] = truth_calls
    report("done", 1.0)
    return SimResult(config, {name: tables[name] for name in COLUMNS}, pki)


def write(result: SimResult, out: Path, fmt: str = "csv") -> None:
    """Write ``result``'s tables as a bundle directory ``out`` (``csv`` or ``parquet``), and
    its test PKI into ``out/pki`` (what replay needs to verify the ``identity`` column)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"bundle format {fmt!r}: must be csv or parquet")
    write_bundle(out, result.tables, "csv" if fmt == "csv" else "parquet")
    result.pki.write(out / PKI_DIR)
