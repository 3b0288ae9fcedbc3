"""Campaigns that call random strangers from a pool of numbers.

Four actors share this shape and differ in what their numbers are and where they enter:

- ``cli_spoofing`` — an enterprise trunk presenting numbers outside its enterprise's blocks
  (透传/改号); the same trunk also makes honest service calls from its own numbers;
- ``fake_plus86`` — calls from abroad presenting +86 numbers (境外来电冒用 "+86");
- ``invalid_number`` — non-standard numbers arriving over an interconnect (不规范号码);
- ``fraud`` — rings of virtual-operator (170/171) numbers calling strangers at volume; they are
  caught by what their victims report, not by any rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.core.types import Disposition as D
from ringfence.core.types import Ingress
from ringfence.sim.calls import CallProfile
from ringfence.sim.enterprises import open_enterprise
from ringfence.sim.kinds import Role
from ringfence.sim.marketing import MARKETING
from ringfence.sim.numbers import VIRTUAL_PREFIXES
from ringfence.sim.world import World

SCAM = CallProfile(
    (
        (D.ANSWERED, 50.0, 3, 20),
        (D.NO_ANSWER, 30.0, 20, 40),
        (D.REJECTED, 15.0, 2, 10),
        (D.BUSY, 5.0, 0, 1),
    ),
    talk_median_s=110,
    talk_sigma=0.7,
    talk_range_s=(30, 300),
)
SUSPICIOUS = CallProfile(
    (
        (D.ANSWERED, 35.0, 3, 20),
        (D.NO_ANSWER, 35.0, 20, 40),
        (D.REJECTED, 25.0, 2, 10),
        (D.FAILED, 5.0, 0, 0),
    ),
    talk_median_s=60,
    talk_sigma=0.9,
    talk_range_s=(5, 600),
)


@dataclass(frozen=True)
class Flood:
    """A pool of numbers, each calling ``per_number`` random subscribers a day within ``hours``."""

    campaign_id: str
    numbers: tuple[str, ...]
    ingress: Ingress
    kind: str
    per_number: tuple[int, int]
    profile: CallProfile
    trunk_id: str = ""
    hours: tuple[float, float] = (9.0, 21.0)

    def run(self, world: World, day: int) -> None:
        """Log the pool's calls for ``day``."""
        rng = world.rng("flood", self.campaign_id, self.kind, day)
        start, end = world.clock.at(day, self.hours[0]), world.clock.at(day, self.hours[1])
        numbers = world.people.numbers
        for caller in self.numbers:
            for _ in range(rng.randint(*self.per_number)):
                world.log.add(
                    rng.randrange(start, end),
                    caller,
                    numbers[rng.randrange(len(numbers))],
                    self.ingress,
                    self.profile.draw(rng),
                    self.kind,
                    self.trunk_id,
                )


def _pool(world: World, campaign_id: str, role: Role, numbers: list[str]) -> tuple[str, ...]:
    return tuple(world.truth.register(n, role, campaign_id) for n in numbers)


def open_floods(world: World) -> list[Flood]:
    """Register every stranger-calling campaign with its numbers (and the spoofer's enterprise)."""
    rng = world.rng("floods")
    plan = world.plan
    floods: list[Flood] = []
    for i in range(world.config.count("spoofing_enterprises")):
        campaign = f"cli_spoofing-{i + 1}"
        firm = open_enterprise(
            world,
            industry="other",
            purpose="service",
            marketing=False,
            role=Role.LEGIT,
            campaign_id=campaign,
            n_numbers=2,
            name=f"Hangzhou Huitong Call Centre Outsourcing No.{i + 1} Co., Ltd.",
        )
        spoofed = [plan.domestic_mobile() for _ in range(rng.randint(30, 60))]
        spoofed += [plan.domestic_fixed() for _ in range(5)]
        floods += [
            Flood(campaign, _pool(world, campaign, Role.SPOOFER, spoofed), Ingress.ENTERPRISE,
                  "cli_spoofing", (5, 12), MARKETING, firm.trunk_id),
            Flood(campaign, firm.numbers, Ingress.ENTERPRISE, "service", (20, 40), MARKETING,
                  firm.trunk_id),
        ]  # fmt: skip
    for i in range(world.config.count("fake_plus86_campaigns")):
        campaign = f"fake_plus86-{i + 1}"
        # Posing as Beijing public-security lines and as ordinary mobiles.
        posed = [plan.domestic_fixed("10") for _ in range(10)]
        posed += [plan.domestic_mobile() for _ in range(rng.randint(15, 30))]
        pool = _pool(world, campaign, Role.FRAUD, posed)
        floods.append(
            Flood(campaign, pool, Ingress.INTERNATIONAL, "fake_plus86", (6, 12), SUSPICIOUS,
                  hours=(8.0, 23.0))
        )  # fmt: skip
    for i in range(world.config.count("invalid_number_campaigns")):
        campaign = f"invalid_number-{i + 1}"
        pool = _pool(world, campaign, Role.FRAUD, plan.invalid_numbers(10))
        floods.append(
            Flood(campaign, pool, Ingress.INTERCONNECT, "invalid_number", (15, 25), SUSPICIOUS)
        )
    for i in range(world.config.count("fraud_rings")):
        campaign = f"fraud-{i + 1}"
        ring = [plan.domestic_mobile(VIRTUAL_PREFIXES) for _ in range(rng.randint(3, 4))]
        pool = _pool(world, campaign, Role.FRAUD, ring)
        floods.append(Flood(campaign, pool, Ingress.INTERCONNECT, "fraud", (50, 200), SCAM))
    return floods
