"""The FastAPI app, built by :func:`create_app` from :class:`Settings` (nothing at import time)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringfence.api import errors
from ringfence.api.auth import Authenticator
from ringfence.api.context import AppContext, Metrics
from ringfence.api.fastpath import HotFront, declared_over
from ringfence.api.routes import (
    blocks,
    consents,
    enterprises,
    health,
    numbers,
    refusals,
    reports,
    sanctions,
    screening,
    scrub,
    trunks,
)
from ringfence.api.schemas import ErrorOut
from ringfence.api.settings import Settings
from ringfence.core.live import LiveState
from ringfence.core.policy import Policy, load_policy, load_policy_file
from ringfence.server.screening import ScreeningService
from ringfence.server.shared_live import RedisEventLog, ReplicatedLiveState
from ringfence.store.db import make_engine, migrate, session_factory
from ringfence.store.feed import FeedProbe

ROUTERS = (
    screening,
    numbers,
    refusals,
    consents,
    reports,
    scrub,
    enterprises,
    trunks,
    blocks,
    sanctions,
    health,
)


def policy_from(name: str) -> Policy:
    """A built-in pack by name, or a pack file by path."""
    path = Path(name)
    return load_policy_file(path) if path.suffix == ".toml" else load_policy(name)


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> FastAPI:
    """The API over the registry at ``settings.db_url`` with its screener loaded.

    The schema is migrated first (unless ``settings.migrate`` is off); the change feed is
    polled every ``settings.feed_poll_s`` while the app runs (its lifespan).
    """
    engine = make_engine(settings.db_url)
    if settings.migrate:
        migrate(engine)
    sessions = session_factory(engine)
    policy = policy_from(settings.policy)
    live: LiveState | None = None
    if settings.redis_url:
        live = ReplicatedLiveState(
            policy.detectors, RedisEventLog(settings.redis_url, key=settings.redis_key)
        )
    service = ScreeningService(policy, sessions, live=live, clock=clock)
    authenticator = Authenticator(sessions)
    service.on_revoke.append(authenticator.forget)
    context = AppContext(settings, engine, sessions, service, authenticator, Metrics(), clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        poller = threading.Thread(
            target=_poll, args=(context, stop), name="ringfence-feed", daemon=True
        )
        poller.start()
        try:
            yield
        finally:
            stop.set()
            poller.join()
            engine.dispose()

    app = FastAPI(
        title="ringfence",
        summary="Screening, consent, refusals, crowd reports and the registry of numbers.",
        version="1",
        lifespan=lifespan,
        responses={
            401: {"model": ErrorOut, "description": "No or unknown bearer token"},
            403: {"model": ErrorOut, "description": "Role not allowed"},
            422: {"model": ErrorOut, "description": "Invalid request"},
        },
    )
    app.state.context = context
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(HotFront, api=app)  # outside BodyLimit: the first to see a request
    return app


def _poll(context: AppContext, stop: threading.Event) -> None:
    """Apply the change feed until ``stop`` (writes by other processes arrive this way)."""
    probe = FeedProbe(context.engine)
    try:
        while not stop.wait(context.settings.feed_poll_s):
            try:
                context.metrics.feed_seq.set(context.service.poll(probe))
            except Exception:  # a database hiccup must not end the feed; retry next tick
                errors.log.exception("change feed poll failed")
    finally:
        probe.close()


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, before they are read in full."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if declared_over(dict(scope["headers"]).get(b"content-length"), self.limit):
            await self._refuse(send)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                over = True
                raise _TooLarge
            return message

        # FastAPI answers an error raised while it reads a body itself (400, "error parsing the
        # body"): once the body is over the limit, the app's answer is dropped for the 413.
        async def guarded(message: Message) -> None:
            nonlocal started
            if not over or started:
                started = True
                await send(message)

        with suppress(_TooLarge):  # raised on by a layer that does not answer it
            await self.app(scope, counted, guarded)
        if over and not started:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            errors.error_body(errors.PayloadTooLarge.code, f"request body over {self.limit} bytes")
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
