"""Marketing calls: consented campaigns and every way a marketer breaks the rules.

The plan's clauses 2–4 and 12: marketing needs the callee's recorded consent, stops for good
once they refuse, stays within the industry's calling hours, calls a callee at most once a
day, and a sanctioned enterprise may not call at all. Each marketer here is an enterprise with
a marketing trunk and a marketing block; the violating ones still make compliant calls too, so
a screener has to judge each call, not the caller.

Nobody who refused all marketing (``*``) is ever called by a marketer except the refused-
marketing actor, so a blanket refusal never turns another campaign's call into a violation.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ringfence.core.types import Disposition as D
from ringfence.core.types import Ingress
from ringfence.sim.calls import DAY, HOUR, CallProfile
from ringfence.sim.enterprises import Enterprise, open_enterprise
from ringfence.sim.kinds import Role
from ringfence.sim.world import World

#: Permitted calling hours (local, [open, close)) by industry; the policy pack holds the same.
CALLING_HOURS: dict[str, tuple[int, int]] = {
    "finance": (9, 20),
    "real_estate": (9, 20),
    "medical": (9, 18),
    "hr": (8, 21),
    "tourism": (8, 21),
    "other": (8, 21),
}
MARKETING = CallProfile(
    (
        (D.ANSWERED, 45.0, 4, 20),
        (D.NO_ANSWER, 30.0, 20, 40),
        (D.REJECTED, 15.0, 2, 10),
        (D.BUSY, 5.0, 0, 1),
        (D.CANCELLED, 5.0, 5, 20),
    ),
    talk_median_s=45,
    talk_sigma=0.8,
    talk_range_s=(5, 600),
)
CONSENT_CHANNELS = ("web_form", "sms", "paper", "app")
REFUSAL_CHANNELS = ("sms", "ivr", "app", "hotline")
#: Consented callees a marketer holds, and how many it calls a day.
CONSENT_LIST = (300, 600)
DAILY_CALLS = (200, 400)
#: Seconds kept clear of the hour boundaries so that "inside" and "outside" are unambiguous.
MARGIN = 60


def _evidence(enterprise_id: str, number: str, granted_at: str) -> str:
    # Stands in for the hash of the signed form / recording the marketer must keep.
    return hashlib.sha256(f"consent|{enterprise_id}|{number}|{granted_at}".encode()).hexdigest()


class Marketer:
    """One marketing enterprise of a campaign, with its consented callees."""

    def __init__(
        self, world: World, campaign_id: str, industry: str, role: Role, consents: int
    ) -> None:
        self.world = world
        self.campaign_id = campaign_id
        self.rng = world.rng("marketer", campaign_id)
        self.enterprise: Enterprise = open_enterprise(
            world,
            industry=industry,
            purpose="marketing",
            marketing=True,
            role=role,
            campaign_id=campaign_id,
            n_numbers=self.rng.randint(1, 4),
        )
        self.hours = CALLING_HOURS[industry]
        self.consented: list[int] = self.rng.sample(world.marketable, consents)
        #: Callees who refused this marketer (or all marketing) and are still called.
        self.refused: list[int] = []
        #: When each consent was granted (seconds since the start, negative).
        self.granted: dict[int, int] = {}
        for callee in self.consented:
            self.consent(callee)

    def consent(self, callee: int, days_before: tuple[int, int] = (1, 365)) -> int:
        """Record ``callee``'s consent, granted ``days_before`` the start; returns its time."""
        granted = -self.rng.randint(days_before[0] * DAY, days_before[1] * DAY)
        self.granted[callee] = granted
        granted_at = self.world.clock.iso(granted)
        number = self.world.people.numbers[callee]
        self.world.add_row(
            "consents",
            enterprise_id=self.enterprise.enterprise_id,
            number=number,
            granted_at=granted_at,
            channel=self.rng.choice(CONSENT_CHANNELS),
            evidence_sha256=_evidence(self.enterprise.enterprise_id, number, granted_at),
        )
        return granted

    def inside(self, rng: random.Random, day: int) -> int:
        """A time on ``day`` well inside the permitted hours."""
        open_, close = self.hours
        return rng.randrange(day * DAY + open_ * HOUR + MARGIN, day * DAY + close * HOUR - HOUR)

    def outside(self, rng: random.Random, day: int) -> int:
        """A time on ``day`` within 90 minutes before opening or after closing."""
        open_, close = self.hours
        if rng.random() < 0.5:
            return rng.randrange(day * DAY + open_ * HOUR - 90 * 60, day * DAY + open_ * HOUR)
        return rng.randrange(day * DAY + close * HOUR + MARGIN, day * DAY + close * HOUR + 90 * 60)

    def call(self, rng: random.Random, t: int, callee: int, kind: str) -> tuple[int, int, D]:
        """Log a call from one of the marketer's numbers through its trunk; returns its outcome."""
        outcome = MARKETING.draw(rng)
        self.world.log.add(
            t,
            rng.choice(self.enterprise.numbers),
            self.world.people.numbers[callee],
            Ingress.ENTERPRISE,
            outcome,
            kind,
            self.enterprise.trunk_id,
        )
        return outcome

    def refuse(self, rng: random.Random, callee: int, t: int) -> None:
        """``callee`` refuses this marketer at ``t`` (seconds since the start)."""
        self.world.add_row(
            "refusals",
            enterprise_id=self.enterprise.enterprise_id,
            number=self.world.people.numbers[callee],
            refused_at=self.world.clock.iso(t),
            channel=rng.choice(REFUSAL_CHANNELS),
        )

    def calls_today(self, rng: random.Random, pool: Sequence[int]) -> list[int]:
        """Today's callees: a random subset of ``pool``, each called once."""
        return rng.sample(pool, min(len(pool), rng.randint(*DAILY_CALLS)))


def _marketers(
    world: World, actor: str, industries: Sequence[str], role: Role, consents: bool
) -> list[Marketer]:
    rng = world.rng("marketers", actor)
    return [
        Marketer(
            world,
            f"{actor}-{i + 1}",
            industries[i % len(industries)],
            role,
            rng.randint(*CONSENT_LIST) if consents else 0,
        )
        for i in range(world.config.count(actor))
    ]


@dataclass(frozen=True)
class MarketingCity:
    """Every marketer by actor sort, and the sanctioned numbers calling without a trunk."""

    marketers: dict[str, list[Marketer]]
    sanctioned_numbers: tuple[str, ...]


def open_marketers(world: World) -> MarketingCity:
    """Register every marketing enterprise, their consents, refusals and sanctions."""
    marketers = {
        "consented_marketers": _marketers(
            world, "consented_marketers", ("finance", "real_estate", "tourism", "medical", "hr"),
            Role.MARKETING_CONSENTED, consents=True,
        ),
        "unconsented_marketers": _marketers(
            world, "unconsented_marketers", ("real_estate", "finance"),
            Role.MARKETING_UNCONSENTED, consents=False,
        ),
        "refused_marketers": _marketers(
            world, "refused_marketers", ("hr", "tourism"), Role.MARKETING_CONSENTED, consents=True
        ),
        "out_of_hours_marketers": _marketers(
            world, "out_of_hours_marketers", ("real_estate", "medical", "tourism"),
            Role.MARKETING_CONSENTED, consents=True,
        ),
        "over_frequency_marketers": _marketers(
            world, "over_frequency_marketers", ("tourism", "finance"),
            Role.MARKETING_CONSENTED, consents=True,
        ),
        "sanctioned_enterprises": _marketers(
            world, "sanctioned_enterprises", ("finance",), Role.MARKETING_UNCONSENTED, False
        ),
    }  # fmt: skip
    for m in marketers["refused_marketers"]:
        _refuse(world, m)
    for m in marketers["sanctioned_enterprises"]:
        _sanction(world, "enterprise", m.enterprise.enterprise_id, days=(-60, 180))
    # A sanction that ran out before the simulation: this marketer's calls are legitimate.
    expired = marketers["consented_marketers"][0].enterprise.enterprise_id
    _sanction(world, "enterprise", expired, days=(-200, -10))
    # One nuisance marketer calling from a plain mobile has been sanctioned as a number.
    number = world.truth.register(
        world.plan.domestic_mobile(), Role.MARKETING_UNCONSENTED, "sanctioned_number-1"
    )
    _sanction(world, "number", number, days=(-30, 330))
    return MarketingCity(marketers, (number,))


def _sanction(world: World, subject_type: str, subject_id: str, days: tuple[int, int]) -> None:
    world.add_row(
        "sanctions",
        subject_type=subject_type,
        subject_id=subject_id,
        authority="MIIT",
        reason="repeated nuisance marketing calls without consent",
        starts_at=world.clock.iso(days[0] * DAY),
        ends_at=world.clock.iso(days[1] * DAY),
    )


def _refuse(world: World, m: Marketer) -> None:
    """A quarter of the marketer's consented callees refused it after consenting, in the month
    before the start; it is also handed everyone who refused all marketing (after consenting
    to this marketer long before)."""
    rng = m.rng
    refusers = rng.sample(m.consented, len(m.consented) // 4)
    for callee in refusers:
        m.refuse(rng, callee, rng.randint(max(m.granted[callee], -30 * DAY) + HOUR, -HOUR))
    for callee in world.star_refusers:
        m.consent(callee, days_before=(200, 400))
        world.add_row(
            "refusals",
            enterprise_id="*",
            number=world.people.numbers[callee],
            refused_at=world.clock.iso(-rng.randint(DAY, 150 * DAY)),
            channel=rng.choice(REFUSAL_CHANNELS),
        )
    m.refused = refusers + world.star_refusers
    refused = set(m.refused)
    m.consented = [c for c in m.consented if c not in refused]


#: Share of answered consented calls after which the callee refuses on the spot, and of
#: those the marketer calls again later the same day anyway.
ON_THE_SPOT_REFUSAL = 0.15
#: Share of an out-of-hours marketer's calls placed outside hours.
OUT_OF_HOURS_SHARE = 0.4
#: Share of an over-frequency marketer's callees called 2–4 times in one day.
REPEAT_SHARE = 0.35


def _consented_day(m: Marketer, rng: random.Random, day: int) -> None:
    for callee in m.calls_today(rng, m.consented):
        m.call(rng, m.inside(rng, day), callee, "consented_marketing")


def _unconsented_day(m: Marketer, rng: random.Random, day: int) -> None:
    for callee in m.calls_today(rng, m.world.marketable):
        m.call(rng, m.inside(rng, day), callee, "unconsented_marketing")


def _sanctioned_day(m: Marketer, rng: random.Random, day: int) -> None:
    for callee in m.calls_today(rng, m.world.marketable):
        m.call(rng, m.inside(rng, day), callee, "sanctioned")


def _refused_day(m: Marketer, rng: random.Random, day: int) -> None:
    """Calls people who refused earlier, and people who refuse during today's call and are
    called again hours later — the refusal must take effect for the very next call."""
    for callee in rng.sample(m.refused, min(len(m.refused), rng.randint(80, 160))):
        m.call(rng, m.inside(rng, day), callee, "refused_marketing")
    last = day * DAY + m.hours[1] * HOUR - HOUR
    for callee in m.calls_today(rng, m.consented):
        t = m.inside(rng, day)
        ring_ms, talk_ms, disposition = m.call(rng, t, callee, "consented_marketing")
        if disposition is not D.ANSWERED or rng.random() >= ON_THE_SPOT_REFUSAL:
            continue
        refused_at = t + (ring_ms + talk_ms) // 1000 + rng.randint(5, 60)
        m.refuse(rng, callee, refused_at)
        m.consented.remove(callee)
        m.refused.append(callee)
        again = refused_at + rng.randint(HOUR, 4 * HOUR)
        if again < last:
            m.call(rng, again, callee, "refused_marketing")


def _out_of_hours_day(m: Marketer, rng: random.Random, day: int) -> None:
    for callee in m.calls_today(rng, m.consented):
        if rng.random() < OUT_OF_HOURS_SHARE:
            m.call(rng, m.outside(rng, day), callee, "out_of_hours_marketing")
        else:
            m.call(rng, m.inside(rng, day), callee, "consented_marketing")


def _over_frequency_day(m: Marketer, rng: random.Random, day: int) -> None:
    """The first call of the day to a callee is fine; every further one is over the cap."""
    for callee in m.calls_today(rng, m.consented):
        repeats = rng.randint(2, 4) if rng.random() < REPEAT_SHARE else 1
        times = sorted(m.inside(rng, day) for _ in range(repeats))
        m.call(rng, times[0], callee, "consented_marketing")
        for t in times[1:]:
            m.call(rng, t, callee, "over_frequency_marketing")


_DAILY: dict[str, Callable[[Marketer, random.Random, int], None]] = {
    "consented_marketers": _consented_day,
    "unconsented_marketers": _unconsented_day,
    "refused_marketers": _refused_day,
    "out_of_hours_marketers": _out_of_hours_day,
    "over_frequency_marketers": _over_frequency_day,
    "sanctioned_enterprises": _sanctioned_day,
}


def marketing_calls(world: World, day: int, city: MarketingCity) -> None:
    """Every marketer's calls on ``day``, and the sanctioned numbers' calls."""
    for actor, marketers in city.marketers.items():
        for m in marketers:
            _DAILY[actor](m, world.rng("marketing", m.campaign_id, day), day)
    for number in city.sanctioned_numbers:
        rng = world.rng("marketing", number, day)
        for _ in range(rng.randint(80, 150)):
            t = rng.randrange(world.clock.at(day, 9), world.clock.at(day, 19))
            callee = world.people.numbers[rng.choice(world.marketable)]
            world.log.add(
                t, number, callee, Ingress.INTERCONNECT, MARKETING.draw(rng), "sanctioned"
            )
