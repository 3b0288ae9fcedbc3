"""SimConfig: validation with messages naming the bad value, and actor counts that scale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ringfence.sim import ActorCounts, SimConfig


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subscribers": 10}, "subscribers=10"),
        ({"days": 0}, "days=0"),
        ({"start": datetime(2019, 3, 1)}, "timezone-aware"),
        ({"start": datetime(2019, 3, 1, 9, tzinfo=UTC)}, "midnight in Hangzhou"),
        ({"fixed_line_share": 0.9}, "fixed_line_share=0.9"),
        ({"social_calls_per_subscriber": 0}, "social_calls_per_subscriber=0"),
    ],
)
def test_bad_configs_are_refused_with_the_value(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimConfig(**kwargs)  # type: ignore[arg-type]


def test_negative_actor_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="couriers=-1"):
        ActorCounts(couriers=-1)


def test_start_may_be_given_in_any_offset_if_it_is_hangzhou_midnight() -> None:
    utc = datetime(2019, 2, 28, 16, tzinfo=UTC)
    assert SimConfig(start=utc).local_start.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("subscribers", "actor", "expected"),
    [
        (20_000, "couriers", 5),
        (40_000, "couriers", 10),
        (3_000, "couriers", 1),
        (3_000, "fraud_rings", 1),
        (100_000, "robocallers", 10),
    ],
)
def test_actor_counts_scale_with_the_population(
    subscribers: int, actor: str, expected: int
) -> None:
    assert SimConfig(subscribers=subscribers).count(actor) == expected


def test_an_actor_counted_zero_is_absent() -> None:
    assert SimConfig(actors=ActorCounts(robocallers=0)).count("robocallers") == 0
