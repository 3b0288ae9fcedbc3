"""Legitimate traffic: people calling people they know, enterprise service calls, emergencies.

Social calls are the bulk of a city's traffic and are drawn with numpy, a day at a time: each
subscriber receives a Poisson number of calls (busier people more), each from one of their
contacts, at an hour drawn from the diurnal rhythm (quiet at night, peaks late morning and
evening). Everything else here is small and drawn call by call.
"""

from __future__ import annotations

import numpy as np

from ringfence.core.types import Disposition as D
from ringfence.core.types import Ingress
from ringfence.sim.calls import DAY, HOUR, CallProfile, spread
from ringfence.sim.enterprises import open_enterprise
from ringfence.sim.kinds import Role
from ringfence.sim.numbers import BANK_NUMBERS, CARRIER_HOLDER, EMERGENCY_NUMBERS
from ringfence.sim.world import World

#: Relative call volume by local hour 0..23.
_HOURLY = np.array(
    [0.3, 0.15, 0.1, 0.1, 0.1, 0.3, 1.0, 2.5, 4.0, 5.0, 6.0, 6.5,
     5.0, 4.5, 4.5, 4.5, 4.5, 5.0, 5.5, 6.5, 6.5, 5.0, 3.0, 1.2]
)  # fmt: skip
DIURNAL = _HOURLY / _HOURLY.sum()

SOCIAL = CallProfile(
    (
        (D.ANSWERED, 74.0, 3, 25),
        (D.NO_ANSWER, 12.0, 20, 45),
        (D.BUSY, 4.0, 0, 1),
        (D.CANCELLED, 5.5, 3, 20),
        (D.CANCELLED, 0.5, 1, 3),  # the few who hang up at once
        (D.REJECTED, 3.0, 2, 15),
        (D.FAILED, 1.0, 0, 0),
    ),
    talk_median_s=60,
)
COURIER = CallProfile(
    (
        (D.ANSWERED, 78.0, 3, 20),
        (D.NO_ANSWER, 14.0, 20, 40),
        (D.REJECTED, 5.0, 2, 10),
        (D.BUSY, 3.0, 0, 1),
    ),
    talk_median_s=40,
    talk_sigma=0.4,
    talk_range_s=(20, 90),
)
BANK = CallProfile(
    (
        (D.ANSWERED, 70.0, 3, 20),
        (D.NO_ANSWER, 20.0, 20, 40),
        (D.REJECTED, 7.0, 2, 10),
        (D.BUSY, 3.0, 0, 1),
    ),
    talk_median_s=90,
    talk_sigma=0.6,
    talk_range_s=(15, 600),
)
EMERGENCY = CallProfile(((D.ANSWERED, 1.0, 1, 5),), talk_median_s=90, talk_range_s=(20, 600))
CALLBACK = CallProfile(
    ((D.ANSWERED, 90.0, 3, 15), (D.NO_ANSWER, 10.0, 20, 40)),
    talk_median_s=60,
    talk_range_s=(10, 300),
)
#: Emergency calls per subscriber per day, and the share the service calls back.
EMERGENCY_RATE = 0.001
CALLBACK_SHARE = 0.3


def register_people(world: World) -> None:
    """Record the carrier's number blocks, and give everyone's numbers their role: legit."""
    people = world.people
    for block in people.blocks:
        world.add_row(
            "number_blocks",
            first=block.first,
            last=block.last,
            holder_type="carrier",
            holder_id=CARRIER_HOLDER,
            purpose="general",
        )
    for number in people.numbers + people.externals:
        world.truth.register(number, Role.LEGIT)
    for number in EMERGENCY_NUMBERS:
        world.truth.register(number, Role.LEGIT)


def social_calls(world: World, day: int) -> None:
    """Calls from contacts to every subscriber on ``day`` (kinds ``social`` and ``abroad``)."""
    rng = world.np_rng("social", day)
    people = world.people
    n = rng.poisson(world.config.social_calls_per_subscriber * people.activity)
    callee = np.repeat(np.arange(people.size), n)
    degree = np.diff(people.offsets)[callee]
    callee = callee[degree > 0]
    degree = degree[degree > 0]
    pick = people.offsets[callee] + (rng.random(len(callee)) * degree).astype(np.int64)
    caller = people.contacts[pick].tolist()
    hour = rng.choice(24, len(callee), p=DIURNAL)
    t = (day * DAY + hour * HOUR + rng.integers(0, HOUR, len(callee))).tolist()
    everyone = people.numbers + people.externals
    entry = [Ingress.SUBSCRIBER] * people.size + people.external_ingress
    ingress = [entry[c] for c in caller]
    world.log.extend(
        t,
        [everyone[c] for c in caller],
        [people.numbers[c] for c in callee.tolist()],
        ingress,
        SOCIAL.draw_many(rng, len(t)),
        ["abroad" if i is Ingress.INTERNATIONAL else "social" for i in ingress],
    )


def service_calls(world: World, day: int, couriers: list[tuple[str, str]]) -> None:
    """Couriers' and banks' calls to random subscribers (kind ``service``) on ``day``.

    ``couriers`` and banks are ``(trunk_id, number)`` pairs from ``open_service_enterprises``.
    """
    rng = world.rng("service", day)
    size = world.people.size
    for trunk_id, number in couriers:
        profile = BANK if number in BANK_NUMBERS else COURIER
        volume = rng.randint(150, 400) if profile is BANK else rng.randint(50, 200)
        for t in spread(rng, world.clock.at(day, 8.5), world.clock.at(day, 20), volume):
            callee = world.people.numbers[rng.randrange(size)]
            world.log.add(
                t, number, callee, Ingress.ENTERPRISE, profile.draw(rng), "service", trunk_id
            )


def open_service_enterprises(world: World) -> list[tuple[str, str]]:
    """Register the couriers (1–3 numbers each) and banks; returns their (trunk, number) pairs."""
    rng = world.rng("service_enterprises")
    lines: list[tuple[str, str]] = []
    for i in range(world.config.count("couriers")):
        courier = open_enterprise(
            world,
            industry="other",
            purpose="service",
            marketing=False,
            role=Role.LEGIT,
            campaign_id=f"courier-{i + 1}",
            n_numbers=rng.randint(1, 3),
            name=f"Hangzhou {('Shunda', 'Yuantong', 'Zhongtong', 'Yunda', 'Jitu')[i % 5]}"
            f" Express No.{i + 1} Co., Ltd.",
        )
        lines += [(courier.trunk_id, n) for n in courier.numbers]
    for i in range(min(world.config.count("banks"), len(BANK_NUMBERS))):
        bank = open_enterprise(
            world,
            industry="finance",
            purpose="service",
            marketing=False,
            role=Role.LEGIT,
            campaign_id=f"bank-{i + 1}",
            service_number=BANK_NUMBERS[i],
        )
        lines.append((bank.trunk_id, bank.numbers[0]))
    return lines


def emergency_calls(world: World, day: int) -> None:
    """Subscribers calling 110/119/120, and the service calling some of them back."""
    rng = world.rng("emergency", day)
    people = world.people
    n = int(world.np_rng("emergency", day).poisson(people.size * EMERGENCY_RATE)) + 1
    for t in spread(rng, day * DAY, (day + 1) * DAY, n):
        subscriber = people.numbers[rng.randrange(people.size)]
        service = rng.choice(EMERGENCY_NUMBERS)
        outcome = EMERGENCY.draw(rng)
        world.log.add(t, subscriber, service, Ingress.SUBSCRIBER, outcome, "emergency")
        back = t + (outcome[0] + outcome[1]) // 1000 + rng.randint(300, 3600)
        if service != "119" and rng.random() < CALLBACK_SHARE and back < world.clock.end:
            world.log.add(
                back, service, subscriber, Ingress.INTERCONNECT, CALLBACK.draw(rng),
                "emergency_callback",
            )  # fmt: skip
