"""A raw ASGI front that answers the hot routes' ordinary requests before the app's routing.

    uvicorn ─> FastAPI ─> ServerErrorMiddleware ─> HotFront ─┬─> HotRoute.answer (ordinary)
                                                             └─> BodyLimit ─> ExceptionMiddleware
                                                                 ─> router ─> route (the rest)

``POST /v1/screen`` (and ``/v1/events``) at thousands of requests per second spend more in
Starlette's middleware and routing and in FastAPI's request handling than in screening. The
ordinary request (a JSON body within the size limit, a bearer token whose principal the
authenticator has cached, a body that validates) is answered here by the route's own
:meth:`~ringfence.api.deps.HotRoute.answer`: the same endpoint, so the same verdict bytes,
metrics and role checks. Anything else goes on to the app unchanged, the messages already
read from the client replayed first, so every error, its shape and its headers are the app's.

The front sits inside ``ServerErrorMiddleware``: an unexpected error is logged and answered
500 there, as for any route. An error the app has a handler for (a ringfence error such as
Forbidden) is answered by that handler, as ``ExceptionMiddleware`` would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringfence.api.context import AppContext
from ringfence.api.deps import JSON, HotRoute
from ringfence.api.errors import Unauthenticated

_JSON = JSON.encode()
#: An exception handler of the app: async or not, it returns a Response.
ErrorHandler = Callable[[Request, Exception], Any]


class HotFront:
    """ASGI middleware: the ordinary requests of ``api``'s hot routes answered before its
    routing; every other request passed to ``app`` (the rest of the middleware) as it came."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self.routes = _hot_routes(api)
        # as FastAPI gives them to ExceptionMiddleware: 500 and Exception are the outer layer's
        self.handlers: dict[Any, ErrorHandler] = {
            key: handler
            for key, handler in api.exception_handlers.items()
            if key not in (500, Exception)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http" and not scope.get("root_path"):
            route = self.routes.get((scope["path"], scope["method"]))
        if route is None or self.api.dependency_overrides:
            await self.app(scope, receive, send)
            return
        context: AppContext = self.api.state.context
        content_type = authorization = length = None
        for name, value in scope["headers"]:
            if name == b"authorization":  # the first, as Starlette's Headers.get
                authorization = value if authorization is None else authorization
            elif name == b"content-type":
                content_type = value if content_type is None else content_type
            elif name == b"content-length":  # the last, as BodyLimit
                length = value
        limit = context.settings.max_body_bytes
        if (content_type is not None and content_type != _JSON) or declared_over(length, limit):
            await self.app(scope, receive, send)
            return
        try:
            principal = context.auth.cached(
                None if authorization is None else authorization.decode("latin-1")
            )
        except Unauthenticated:
            principal = None
        if principal is None:  # FastAPI's dependency looks it up (or answers 401) and caches it
            await self.app(scope, receive, send)
            return
        messages, body = await _read(receive, limit)
        response = None
        if body is not None:
            try:
                response = await route.answer(body, context, principal)
            except Exception as exc:
                response = await self._error(exc, scope, receive)
        if response is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        await response(scope, receive, send)

    async def _error(self, exc: Exception, scope: Scope, receive: Receive) -> Response:
        """The app's answer to ``exc`` from its handler for it; raised on when it has none."""
        handler = None
        if isinstance(exc, HTTPException):
            handler = self.handlers.get(exc.status_code)
        if handler is None:
            handler = next(
                (self.handlers[c] for c in type(exc).__mro__ if c in self.handlers), None
            )
        if handler is None:
            raise exc
        request = Request(scope, receive)
        if iscoroutinefunction(handler):
            response: Response = await handler(request, exc)
        else:  # as Starlette calls a plain function
            response = await run_in_threadpool(handler, request, exc)
        return response


def declared_over(content_length: bytes | None, limit: int) -> bool:
    """Whether a request's Content-Length header says its body is over ``limit`` bytes."""
    return content_length is not None and content_length.isdigit() and int(content_length) > limit


def _hot_routes(api: FastAPI) -> dict[tuple[str, str], HotRoute]:
    """``api``'s hot routes by (path, method), where its router picks them (no route before
    one matches the same request)."""
    found: dict[tuple[str, str], HotRoute] = {}
    routes = api.router.routes
    for i, route in enumerate(routes):
        if not isinstance(route, HotRoute) or route.param_convertors:
            continue
        for method in route.methods:
            scope = {"type": "http", "path": route.path, "root_path": "", "method": method}
            if all(r.matches(scope)[0] is not Match.FULL for r in routes[:i]):
                found[route.path, method] = route
    return found


async def _read(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The messages of a request's body, and the body; None for a body that is not an
    ordinary one (over ``limit`` bytes, or the client gone before its end)."""
    messages = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            break
    if len(messages) == 1:
        return messages, messages[0].get("body", b"")
    return messages, b"".join(m.get("body", b"") for m in messages)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` as if ``messages`` had not been read from it yet."""
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return replay
