"""Crowd reports: what the people called say about the numbers that called them.

Victims report nuisance callers at modest rates, a few minutes to an hour after the call
(fraud victims most, one-ring victims least). Reports are also noisy and sometimes hostile,
and a robust reputation system must survive that:

- honest mistakes — a rare single report against a legitimate caller;
- a grudge — one reporter reporting a courier's number thirty-odd times;
- collusion — two reporters repeatedly reporting an ordinary subscriber.

Those targets stay legitimate in the ground truth; their calls must not be blocked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ringfence.core.types import Disposition
from ringfence.sim.calls import HOUR
from ringfence.sim.population import reporter_id
from ringfence.sim.world import World

#: kind → (category reported, probability per call, only if the call was answered).
REPORTING: dict[str, tuple[str, float, bool]] = {
    "fraud": ("fraud", 0.15, True),
    "fake_plus86": ("fraud", 0.10, True),
    "invalid_number": ("fraud", 0.05, True),
    "unconsented_marketing": ("marketing", 0.05, True),
    "refused_marketing": ("marketing", 0.15, True),
    "out_of_hours_marketing": ("marketing", 0.08, True),
    "over_frequency_marketing": ("marketing", 0.08, True),
    "sanctioned": ("marketing", 0.05, True),
    "cli_spoofing": ("marketing", 0.05, True),
    "robocall": ("robocall", 0.03, True),
    "one_ring": ("one_ring", 0.02, False),
    "one_ring_slow": ("one_ring", 0.02, False),
    "call_bombing": ("harassment", 0.05, False),
    "call_bombing_rotating": ("harassment", 0.05, False),
}
#: Legitimate kinds that now and then draw a mistaken report, and how often.
MISTAKEN = ("social", "abroad", "service", "consented_marketing")
MISTAKE_RATE = 0.0005
MISTAKE_CATEGORIES = ("marketing", "fraud", "other")
#: Reports a grudge-holder files against one courier number, and each colluder files.
GRUDGE_REPORTS = (30, 45)
COLLUSION_REPORTS = (10, 20)


def file_reports(world: World, service_numbers: Sequence[str]) -> None:
    """Add the ``reports`` rows for the calls logged so far, in time order.

    ``service_numbers`` are the couriers' numbers; one of them is the target of a grudge.
    """
    rng = world.rng("reports")
    log, people, end = world.log, world.people, world.clock.end
    subscriber = {n: i for i, n in enumerate(people.numbers)}
    # Mistaken reports are rare: pick their candidate calls at once instead of call by call.
    mistaken = world.np_rng("reports", "mistaken").random(len(log)) < MISTAKE_RATE
    candidates = sorted(
        {i for i, kind in enumerate(log.kind) if kind in REPORTING}
        | set(np.flatnonzero(mistaken).tolist())
    )
    reports: list[tuple[int, str, str, str]] = []
    seen: set[tuple[int, str]] = set()
    for i in candidates:
        kind, caller = log.kind[i], log.caller[i]
        victim = subscriber.get(log.callee[i])
        answered = log.disposition[i] is Disposition.ANSWERED
        rule = REPORTING.get(kind)
        if rule is not None:
            category, rate, needs_answer = rule
        elif kind in MISTAKEN:
            category, rate, needs_answer = rng.choice(MISTAKE_CATEGORIES), 1.0, True
        else:
            continue
        if victim is None or (needs_answer and not answered) or (victim, caller) in seen:
            continue
        if rng.random() >= rate:
            continue
        seen.add((victim, caller))  # people report a number once
        at = log.t[i] + (log.ring_ms[i] + log.talk_ms[i]) // 1000 + rng.randint(120, HOUR)
        if at < end:
            reports.append((at, reporter_id(victim), caller, category))

    def abuse(reporter: int, target: str, count: tuple[int, int]) -> None:
        for _ in range(rng.randint(*count)):
            at = world.clock.at(rng.randrange(world.config.days), rng.uniform(8, 23))
            reports.append((at, reporter_id(reporter), target, "fraud"))

    abusers = rng.sample(range(people.size), 4)
    if service_numbers:
        abuse(abusers[0], rng.choice(list(service_numbers)), GRUDGE_REPORTS)
    framed = people.numbers[abusers[1]]
    abuse(abusers[2], framed, COLLUSION_REPORTS)
    abuse(abusers[3], framed, COLLUSION_REPORTS)
    for at, reporter, number, category in sorted(reports):
        world.add_row(
            "reports",
            reporter=reporter,
            number=number,
            category=category,
            reported_at=world.clock.iso(at),
        )
