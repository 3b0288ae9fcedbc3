"""The contact graph: clustered, a few hubs, and people outside the carrier."""

from __future__ import annotations

import random

import numpy as np

from ringfence.core.types import Ingress
from ringfence.sim import SimConfig
from ringfence.sim.numbers import NumberPlan
from ringfence.sim.population import Population, build_population


def _population(seed: int = 5, subscribers: int = 4_000) -> Population:
    config = SimConfig(subscribers=subscribers, seed=seed)
    return build_population(config, NumberPlan(random.Random(seed)), np.random.default_rng(seed))


def test_most_subscribers_have_3_to_30_contacts_and_a_few_are_hubs() -> None:
    people = _population()
    degree = np.diff(people.offsets)
    assert degree.min() >= 3
    assert np.mean((degree >= 3) & (degree <= 30)) > 0.95
    assert degree.max() > 40
    assert abs(people.activity.mean() - 1) < 1e-9


def test_contact_lists_hold_no_self_and_no_duplicates() -> None:
    people = _population()
    for i in range(0, people.size, 97):
        contacts = people.contacts_of(i).tolist()
        assert i not in contacts and len(contacts) == len(set(contacts))


def test_contacts_are_clustered() -> None:
    """Friends of a subscriber know each other far more often than chance (small world)."""
    people = _population()
    rng = random.Random(1)
    closed = tried = 0
    for i in rng.sample(range(people.size), 300):
        friends = [c for c in people.contacts_of(i).tolist() if c < people.size]
        a, b = rng.sample(friends, 2)
        closed += b in set(people.contacts_of(a).tolist())
        tried += 1
    assert closed / tried > 0.2


def test_externals_call_through_interconnect_or_from_abroad() -> None:
    people = _population()
    assert set(people.external_ingress) == {Ingress.INTERCONNECT, Ingress.INTERNATIONAL}
    number, ingress = people.number_of(people.size)
    assert ingress is Ingress.INTERCONNECT and number == people.externals[0]
    assert people.number_of(0) == (people.numbers[0], Ingress.SUBSCRIBER)


def test_scan_order_is_number_order() -> None:
    people = _population(subscribers=600)
    ordered = [people.numbers[i] for i in people.scan_order()]
    assert ordered == sorted(people.numbers)
