"""The people of the simulated city and who knows whom.

Subscribers sit on a ring (a random permutation) and know their nearest ring neighbours — a
clustered, small-world graph (Watts–Strogatz): friends of friends are friends, yet 10 % of
links are rewired to random people so that any two subscribers are a few hops apart. A few
hubs (shopkeepers, teachers, agents) know hundreds. People outside the carrier are
"externals": other carriers' subscribers, each known to a handful of neighbouring subscribers,
and relatives abroad. The graph is stored as CSR arrays (numpy) so that tens of thousands of
calls can be drawn at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ringfence.core.types import Ingress
from ringfence.sim.config import SimConfig
from ringfence.sim.numbers import Block, NumberPlan

#: Share of ring links rewired to a random subscriber (the "small world" shortcuts).
REWIRE_SHARE = 0.10
#: Share of subscribers who are hubs, and how many extra contacts a hub has.
HUB_SHARE = 0.005
HUB_EXTRA_CONTACTS = (40, 150)
#: Other carriers' subscribers per own subscriber, and how many subscribers each one knows.
EXTERNALS_PER_SUBSCRIBER = 0.6
EXTERNAL_CIRCLE = (1, 4)
#: People abroad per own subscriber, and how many subscribers each one knows.
ABROAD_PER_SUBSCRIBER = 0.015
ABROAD_CIRCLE = (1, 2)


@dataclass(frozen=True)
class Population:
    """Subscribers (ids ``0..size-1``) and externals (ids ``size..``), with contact lists.

    ``contacts[offsets[i]:offsets[i + 1]]`` are the ids of the people who may call
    subscriber ``i``. ``activity[i]`` is how many calls ``i`` receives relative to the mean.
    """

    numbers: list[str]
    blocks: list[Block]
    externals: list[str]
    external_ingress: list[Ingress]
    offsets: np.ndarray
    contacts: np.ndarray
    activity: np.ndarray

    @property
    def size(self) -> int:
        """Number of the carrier's own subscribers."""
        return len(self.numbers)

    def contacts_of(self, subscriber: int) -> np.ndarray:
        """Ids (subscribers and externals) of the people who know ``subscriber``."""
        return self.contacts[self.offsets[subscriber] : self.offsets[subscriber + 1]]

    def number_of(self, person: int) -> tuple[str, Ingress]:
        """The number of subscriber or external ``person`` and where their calls enter."""
        if person < self.size:
            return self.numbers[person], Ingress.SUBSCRIBER
        j = person - self.size
        return self.externals[j], self.external_ingress[j]

    def scan_order(self) -> list[int]:
        """Subscriber ids sorted by number: the order a sequential dialler hits them."""
        return sorted(range(self.size), key=self.numbers.__getitem__)


def reporter_id(subscriber: int) -> str:
    """The opaque id under which ``subscriber`` files crowd reports."""
    return f"r{subscriber:07d}"


def _ragged_arange(lengths: np.ndarray) -> np.ndarray:
    """``[0..lengths[0]-1, 0..lengths[1]-1, …]`` without a Python loop."""
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    out: np.ndarray = np.arange(int(lengths.sum())) - starts
    return out


def _circles(
    rng: np.random.Generator, ring: np.ndarray, count: int, circle: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Give ``count`` people each a circle of neighbouring subscribers on the ring.

    Returns (subscriber, person index 0..count-1) link arrays.
    """
    sizes = rng.integers(circle[0], circle[1] + 1, count)
    base = rng.integers(0, len(ring), count)
    person = np.repeat(np.arange(count), sizes)
    position = (np.repeat(base, sizes) + _ragged_arange(sizes)) % len(ring)
    return ring[position], person


def build_population(config: SimConfig, plan: NumberPlan, rng: np.random.Generator) -> Population:
    """Draw the subscribers, their numbers, the externals and the contact graph."""
    size = config.subscribers
    fixed = round(size * config.fixed_line_share)
    numbers, blocks = plan.subscribers(size - fixed, fixed, rng)

    # Ring links: each subscriber links forward to 2..12 neighbours (lognormal, median 4), so
    # degrees land mostly in 4..30 once backward links are added.
    ring = rng.permutation(size)
    forward = np.clip(np.rint(rng.lognormal(np.log(4.0), 0.5, size)), 2, 12).astype(np.int64)
    src = np.repeat(np.arange(size), forward)
    dst = (src + 1 + _ragged_arange(forward)) % size
    a, b = ring[src], ring[dst]
    rewired = rng.random(len(b)) < REWIRE_SHARE
    b[rewired] = rng.integers(0, size, int(rewired.sum()))
    hubs = rng.choice(size, max(1, round(size * HUB_SHARE)), replace=False)
    extra = rng.integers(HUB_EXTRA_CONTACTS[0], HUB_EXTRA_CONTACTS[1] + 1, len(hubs))
    a = np.concatenate([a, np.repeat(hubs, extra)])
    b = np.concatenate([b, rng.integers(0, size, int(extra.sum()))])
    keep = a != b
    a, b = a[keep], b[keep]

    n_domestic = round(size * EXTERNALS_PER_SUBSCRIBER)
    n_abroad = max(1, round(size * ABROAD_PER_SUBSCRIBER))
    dom_sub, dom_person = _circles(rng, ring, n_domestic, EXTERNAL_CIRCLE)
    abr_sub, abr_person = _circles(rng, ring, n_abroad, ABROAD_CIRCLE)
    externals = [plan.domestic_mobile() for _ in range(n_domestic)]
    externals += [plan.foreign_mobile() for _ in range(n_abroad)]
    external_ingress = [Ingress.INTERCONNECT] * n_domestic + [Ingress.INTERNATIONAL] * n_abroad

    # Subscriber links are mutual; an external's link only lets them call the subscriber.
    callee = np.concatenate([a, b, dom_sub, abr_sub])
    caller = np.concatenate([b, a, size + dom_person, size + n_domestic + abr_person])
    pairs = np.unique(callee.astype(np.int64) * (size + len(externals)) + caller)
    callee, caller = np.divmod(pairs, size + len(externals))
    degree = np.bincount(callee, minlength=size)
    offsets = np.concatenate([[0], np.cumsum(degree)])
    activity = np.sqrt(degree / degree.mean())
    return Population(
        numbers=numbers,
        blocks=blocks,
        externals=externals,
        external_ingress=external_ingress,
        offsets=offsets,
        contacts=caller,
        activity=activity / activity.mean(),
    )
