"""What to simulate: population size, days, seed, and how many actors of each sort.

Actor counts are given for the reference city of 20,000 subscribers and scale linearly with
``subscribers`` (never below one, so every kind of traffic exists in a small test city).
Per-campaign volumes do not scale: a one-ring campaign makes as many calls in a small city as
in a large one, because that is what its detector has to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone

#: Hangzhou local time; every calling-hours rule is evaluated in it.
CITY_TZ = timezone(timedelta(hours=8))

#: The population the actor counts below are written for.
REFERENCE_SUBSCRIBERS = 20_000


@dataclass(frozen=True)
class ActorCounts:
    """How many actors of each sort live in a city of 20,000 subscribers."""

    couriers: int = 5
    banks: int = 2
    consented_marketers: int = 5
    unconsented_marketers: int = 2
    refused_marketers: int = 1
    out_of_hours_marketers: int = 1
    over_frequency_marketers: int = 1
    sanctioned_enterprises: int = 1
    spoofing_enterprises: int = 1
    fake_plus86_campaigns: int = 1
    invalid_number_campaigns: int = 1
    one_ring_fast: int = 2
    one_ring_slow: int = 2
    call_bombers: int = 3
    rotating_call_bombers: int = 2
    robocallers: int = 2
    fraud_rings: int = 3

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"actor count {f.name}={value!r}: must be an integer >= 0")


@dataclass(frozen=True)
class SimConfig:
    """A simulation run. Same config (seed included) → byte-identical tables.

    ``start`` must be a local midnight in Hangzhou (+08:00): the simulation runs whole days,
    and calling hours and frequency caps are per local calendar day.
    """

    subscribers: int = REFERENCE_SUBSCRIBERS
    days: int = 1
    seed: int = 1
    start: datetime = datetime(2019, 3, 1, tzinfo=CITY_TZ)
    actors: ActorCounts = field(default_factory=ActorCounts)
    #: Calls each subscriber receives from their contacts per day, on average.
    social_calls_per_subscriber: float = 2.6
    #: Share of subscribers who are fixed lines (+86 571 8xxx xxxx) rather than mobiles.
    fixed_line_share: float = 0.08

    def __post_init__(self) -> None:
        if not 500 <= self.subscribers <= 1_000_000:
            raise ValueError(
                f"subscribers={self.subscribers}: must be between 500 and 1,000,000 "
                "(the nuisance actors need a few hundred distinct victims)"
            )
        if not 1 <= self.days <= 366:
            raise ValueError(f"days={self.days}: must be between 1 and 366")
        if self.start.tzinfo is None:
            raise ValueError(f"start={self.start.isoformat()}: must be timezone-aware")
        local = self.start.astimezone(CITY_TZ)
        if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
            raise ValueError(
                f"start={self.start.isoformat()}: must be midnight in Hangzhou (+08:00); "
                "the simulation runs whole local days"
            )
        if not 0 <= self.fixed_line_share <= 0.5:
            raise ValueError(f"fixed_line_share={self.fixed_line_share}: must be in [0, 0.5]")
        if not 0 < self.social_calls_per_subscriber <= 50:
            raise ValueError(
                f"social_calls_per_subscriber={self.social_calls_per_subscriber}: "
                "must be in (0, 50]"
            )

    @property
    def local_start(self) -> datetime:
        """``start`` expressed in Hangzhou time (+08:00)."""
        return self.start.astimezone(CITY_TZ)

    def count(self, actor: str) -> int:
        """How many actors of sort ``actor`` (an ``ActorCounts`` field) this city has.

        Scales the reference count with the population; a non-zero reference count never
        scales below one.
        """
        reference: int = getattr(self.actors, actor)
        if reference == 0:
            return 0
        return max(1, round(reference * self.subscribers / REFERENCE_SUBSCRIBERS))
