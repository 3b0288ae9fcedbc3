"""The simulated world the generators share: randomness, clock, people, registry, truth, calls.

Each generator draws from its own named random stream (``world.rng("robocall", day)``), seeded
from the run's seed and the name through SHA-256 — never Python's ``hash()`` — so a run is
reproducible and adding a new actor does not shift anyone else's draws.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np

from ringfence.bundle.schema import TABLES
from ringfence.sim.calls import CallLog, Clock, Row
from ringfence.sim.config import SimConfig
from ringfence.sim.kinds import Role
from ringfence.sim.numbers import NumberPlan
from ringfence.sim.population import Population, build_population

#: Columns the simulator fills in every bundle table, in DESIGN.md's order (all of them,
#: ``cdrs.identity`` included: interconnect calls are signed).
COLUMNS: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in table.columns) for name, table in TABLES.items()
}

#: Share of subscribers who have refused all marketing (``enterprise_id`` ``*``).
STAR_REFUSER_SHARE = 0.01


def _seed_of(seed: int, parts: tuple[object, ...]) -> int:
    text = "/".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


class Truth:
    """The role and campaign of every number handed out; one role per number."""

    def __init__(self) -> None:
        self._numbers: dict[str, tuple[Role, str]] = {}

    def register(self, number: str, role: Role, campaign_id: str = "") -> str:
        """Record ``number``'s role; raises ValueError if it already has a different one."""
        known = self._numbers.setdefault(number, (role, campaign_id))
        if known != (role, campaign_id):
            raise ValueError(
                f"number {number!r} is already {known[0]} of {known[1]!r}, "
                f"cannot also be {role} of {campaign_id!r}"
            )
        return number

    def rows(self, callers: set[str]) -> list[Row]:
        """``truth_numbers`` rows for ``callers``, sorted; raises if one has no role."""
        missing = sorted(callers - self._numbers.keys())
        if missing:
            raise ValueError(f"callers without a ground-truth role: {missing[:5]}")
        return [
            {"number": n, "role": str(self._numbers[n][0]), "campaign_id": self._numbers[n][1]}
            for n in sorted(callers)
        ]


class World:
    """Everything the generators read and write while a city is being simulated."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = Clock(config.local_start, config.days)
        self.plan = NumberPlan(self.rng("numbers"))
        self.people: Population = build_population(config, self.plan, self.np_rng("population"))
        self.tables: dict[str, list[Row]] = {
            name: [] for name in COLUMNS if name not in ("cdrs", "truth_calls", "truth_numbers")
        }
        self.truth = Truth()
        self.log = CallLog()
        size = self.people.size
        star = self.np_rng("star_refusers").choice(
            size, max(1, round(size * STAR_REFUSER_SHARE)), replace=False
        )
        #: Subscribers who refused all marketing; only the refused-marketing actor calls them.
        self.star_refusers: list[int] = sorted(star.tolist())
        star_set = set(self.star_refusers)
        #: Subscribers any marketer may call without tripping over a blanket refusal.
        self.marketable: list[int] = [i for i in range(size) if i not in star_set]

    def rng(self, *parts: object) -> random.Random:
        """A random stream of its own for the generator named by ``parts``."""
        return random.Random(_seed_of(self.config.seed, parts))

    def np_rng(self, *parts: object) -> np.random.Generator:
        """A numpy random stream of its own for the generator named by ``parts``."""
        return np.random.default_rng(_seed_of(self.config.seed, parts))

    def add_row(self, table: str, **values: object) -> None:
        """Append a row to ``table``; the keywords must be exactly the table's columns."""
        columns = COLUMNS[table]
        if set(values) != set(columns):
            raise ValueError(
                f"{table} row has columns {sorted(values)}, expected {sorted(columns)}"
            )
        self.tables[table].append({c: values[c] for c in columns})
