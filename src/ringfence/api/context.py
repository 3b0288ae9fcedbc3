"""What every request handler reaches through ``request.app.state``: one :class:`AppContext`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ringfence.api.auth import Authenticator
from ringfence.api.settings import Settings
from ringfence.core.numberplan import NumberPlan
from ringfence.core.types import Action
from ringfence.server.screening import ScreeningService
from ringfence.store.db import transaction


@dataclass
class Metrics:
    """The app's Prometheus metrics, in a registry of its own (one per app)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.verdicts = Counter("ringfence_verdicts", "Verdicts by action", ["action"], registry=r)
        #: The counter's child of each action, looked up once rather than per request.
        self.verdicts_by_action = {a: self.verdicts.labels(a.value) for a in Action}
        self.events = Counter("ringfence_call_ends", "Call ends observed", registry=r)
        self.writes = Counter(
            "ringfence_writes", "Registry writes by action", ["action"], registry=r
        )
        self.screen_seconds = Histogram(
            "ringfence_screen_request_seconds",
            "Time to screen one request (single or batch)",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1),
            registry=r,
        )
        self.feed_seq = Gauge("ringfence_feed_seq", "Change-feed position applied", registry=r)


@dataclass
class AppContext:
    """The app's settings, database, screening service, authenticator, metrics and clock."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    service: ScreeningService
    auth: Authenticator
    metrics: Metrics
    clock: Callable[[], float] = time.time

    @property
    def plan(self) -> NumberPlan:
        return self.service.plan

    def now(self) -> datetime:
        """The clock's time, aware (UTC)."""
        return datetime.fromtimestamp(self.clock(), UTC)

    @contextmanager
    def write(self, action: str) -> Iterator[Session]:
        """A writing transaction: committed (durably) when the block ends, then applied to this
        process's screener, so the very next call screened here obeys it."""
        with transaction(self.sessions) as session:
            yield session
        self.metrics.writes.labels(action).inc()
        self.metrics.feed_seq.set(self.service.catch_up())
