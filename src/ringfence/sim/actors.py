"""Nuisance actors whose calls only their *pattern* gives away (the plan's clauses 5 and 9).

- one-ring (响一声, wangiri): a ring of 0.5–3 s, cancelled by the caller, each call to a
  different person; fast (several a minute for an hour or two) or low-and-slow (one every
  3–10 minutes all day); from one number or rotating through a rented range. Some victims call
  back — which is what the gang is paid for — and those callbacks should be warned about;
- call bombing (呼死你): one victim flooded by one number, or by many rotating numbers, while
  the victim's real contacts keep calling and must still get through;
- robocalls: a dialler walking through consecutive subscriber numbers, hundreds an hour.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from ringfence.core.types import Disposition as D
from ringfence.core.types import Ingress
from ringfence.sim.calls import DAY, HOUR, CallProfile
from ringfence.sim.kinds import Role
from ringfence.sim.legit import SOCIAL
from ringfence.sim.numbers import VIRTUAL_PREFIXES, WANGIRI_RANGES
from ringfence.sim.world import World

ONE_RING = CallProfile(((D.CANCELLED, 1.0, 0.5, 3.0),))
CALLBACK = CallProfile(
    ((D.ANSWERED, 85.0, 2, 8), (D.NO_ANSWER, 15.0, 20, 40)),
    talk_median_s=60,
    talk_sigma=0.6,
    talk_range_s=(15, 300),
)
BOMB = CallProfile(
    (
        (D.REJECTED, 40.0, 1, 5),
        (D.CANCELLED, 35.0, 1, 6),
        (D.NO_ANSWER, 15.0, 15, 30),
        (D.ANSWERED, 10.0, 2, 5),
    ),
    talk_median_s=3,
    talk_sigma=0.5,
    talk_range_s=(1, 8),
)
ROBOCALL = CallProfile(
    (
        (D.ANSWERED, 15.0, 3, 10),
        (D.NO_ANSWER, 45.0, 15, 25),
        (D.CANCELLED, 25.0, 5, 15),
        (D.REJECTED, 10.0, 2, 8),
        (D.BUSY, 5.0, 0, 1),
    ),
    talk_median_s=5,
    talk_sigma=0.4,
    talk_range_s=(1, 9.5),
)
#: Share of one-ring victims who call the number back.
CALLBACK_SHARE = 0.04


class Actor(Protocol):
    """Anything that places its calls one simulated day at a time."""

    def run(self, world: World, day: int) -> None:
        """Log this actor's calls for ``day``."""
        ...


@dataclass(frozen=True)
class OneRing:
    """A one-ring campaign: its numbers (rotated in turn), pace and daily active span."""

    campaign_id: str
    kind: str
    numbers: tuple[str, ...]
    ingress: Ingress
    interval_s: tuple[int, int]
    active_hours: tuple[float, float]
    first_hour: tuple[float, float]

    def run(self, world: World, day: int) -> None:
        """Ring through the day's victims; a few of them call back."""
        rng = world.rng("one_ring", self.campaign_id, day)
        t = world.clock.at(day, rng.uniform(*self.first_hour))
        stop = min(t + round(rng.uniform(*self.active_hours) * HOUR), (day + 1) * DAY)
        times = []
        while t < stop:
            times.append(t)
            t += rng.randint(*self.interval_s)
        people = world.people
        victims = rng.sample(range(people.size), min(len(times), people.size))
        for n, (t, victim) in enumerate(zip(times, victims, strict=False)):
            number = self.numbers[n % len(self.numbers)]
            outcome = ONE_RING.draw(rng)
            world.log.add(t, number, people.numbers[victim], self.ingress, outcome, self.kind)
            back = t + rng.randint(120, 3 * HOUR)
            if rng.random() < CALLBACK_SHARE and back < world.clock.end:
                world.log.add(
                    back, people.numbers[victim], number, Ingress.SUBSCRIBER,
                    CALLBACK.draw(rng), "one_ring_callback",
                )  # fmt: skip


@dataclass(frozen=True)
class Bomber:
    """A call-bombing campaign: each day a new victim, flooded from its numbers in turn."""

    campaign_id: str
    kind: str
    numbers: tuple[str, ...]
    calls: tuple[int, int]

    def run(self, world: World, day: int) -> None:
        """Flood one victim; their contacts still call them during the attack."""
        rng = world.rng("bombing", self.campaign_id, day)
        people = world.people
        victim = rng.randrange(people.size)
        n = rng.randint(*self.calls)
        # At least ~10 s per call on average: the platform dials again as soon as it is dropped.
        span = max(rng.randint(10, 60) * 60, n * 10)
        start = world.clock.at(day, rng.uniform(8, 22)) - span // 2
        times = sorted(rng.randrange(start, start + span) for _ in range(n))
        callee = people.numbers[victim]
        for i, t in enumerate(times):
            number = self.numbers[i % len(self.numbers)]
            world.log.add(t, number, callee, Ingress.INTERCONNECT, BOMB.draw(rng), self.kind)
        contacts = people.contacts_of(victim).tolist()
        for person in rng.sample(contacts, min(len(contacts), rng.randint(1, 3))):
            number, ingress = people.number_of(person)
            kind = "abroad" if ingress is Ingress.INTERNATIONAL else "social"
            t = rng.randrange(start, start + span)
            world.log.add(t, number, callee, ingress, SOCIAL.draw(rng), kind)


@dataclass(frozen=True)
class Robocaller:
    """An auto-dialler scanning subscribers in number order from a random place each day."""

    campaign_id: str
    numbers: tuple[str, ...]
    scan: tuple[int, ...]
    per_hour: tuple[int, int]

    def run(self, world: World, day: int) -> None:
        """Dial the next few hundred numbers an hour for two to four hours."""
        rng = world.rng("robocall", self.campaign_id, day)
        rate = rng.randint(*self.per_hour)
        n = min(round(rate * rng.uniform(2, 4)), len(self.scan))
        first = rng.randrange(len(self.scan))
        t = float(world.clock.at(day, rng.uniform(9, 15)))
        for i in range(n):
            callee = world.people.numbers[self.scan[(first + i) % len(self.scan)]]
            number = self.numbers[i % len(self.numbers)]
            world.log.add(
                round(t), number, callee, Ingress.INTERCONNECT, ROBOCALL.draw(rng), "robocall"
            )
            t += rng.uniform(0.5, 1.5) * HOUR / rate


def _numbers(world: World, campaign_id: str, role: Role, numbers: list[str]) -> tuple[str, ...]:
    return tuple(world.truth.register(n, role, campaign_id) for n in numbers)


def _one_ring_numbers(
    world: World, rng: random.Random, rotating: bool, foreign: bool
) -> tuple[list[str], Ingress]:
    count = rng.randint(10, 50) if rotating else 1
    if foreign:
        prefix, digits = rng.choice(WANGIRI_RANGES)
        return world.plan.numbered_range(prefix, count, digits), Ingress.INTERNATIONAL
    prefix = "+86" + rng.choice(VIRTUAL_PREFIXES)
    return world.plan.numbered_range(prefix, count), Ingress.INTERCONNECT


def open_pattern_actors(world: World) -> list[Actor]:
    """Register the one-ring gangs, call bombers and robocallers with their numbers."""
    rng = world.rng("pattern_actors")
    config = world.config
    actors: list[Actor] = []
    for kind, actor, interval, active, first in (
        ("one_ring", "one_ring_fast", (8, 20), (1.0, 2.0), (9.0, 19.0)),
        ("one_ring_slow", "one_ring_slow", (180, 600), (10.0, 14.0), (8.0, 10.0)),
    ):
        for i in range(config.count(actor)):
            campaign = f"{kind}-{i + 1}"
            # Fast gangs rotate a domestic range first; slow ones start from a single number.
            rotating = (i % 2 == 0) == (kind == "one_ring")
            numbers, ingress = _one_ring_numbers(world, rng, rotating, foreign=i % 2 == 1)
            actors.append(
                OneRing(campaign, kind, _numbers(world, campaign, Role.ONE_RING, numbers),
                        ingress, interval, active, first)
            )  # fmt: skip
    for kind, actor, pool, calls in (
        ("call_bombing", "call_bombers", (1, 1), (30, 200)),
        ("call_bombing_rotating", "rotating_call_bombers", (10, 40), (60, 250)),
    ):
        for i in range(config.count(actor)):
            campaign = f"{kind}-{i + 1}"
            numbers = [world.plan.domestic_mobile() for _ in range(rng.randint(*pool))]
            actors.append(
                Bomber(campaign, kind, _numbers(world, campaign, Role.CALL_BOMBER, numbers), calls)
            )
    scan = tuple(world.people.scan_order())
    for i in range(config.count("robocallers")):
        campaign = f"robocall-{i + 1}"
        numbers = [world.plan.domestic_mobile() for _ in range(1 if i % 2 == 0 else 3)]
        actors.append(
            Robocaller(
                campaign, _numbers(world, campaign, Role.ROBOCALL, numbers), scan, (200, 400)
            )
        )
    return actors
