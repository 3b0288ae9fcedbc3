"""FastAPI dependencies as named ``Annotated`` aliases, used by every router, and
:class:`HotRoute`, which resolves the same ones directly on the hot paths."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from pydantic import Discriminator, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect

from ringfence.api.auth import Principal
from ringfence.api.context import AppContext
from ringfence.api.errors import Unauthenticated
from ringfence.api.schemas import OneOrBatch


# The dependencies are ``async`` so that FastAPI calls them inline: a plain ``def`` one is
# sent to the thread pool, a hop that costs more than screening a call.
async def _context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(_context)]


def _session(context: Context) -> Iterator[Session]:
    """A session for reading. Writes use :meth:`AppContext.write`, which commits before the
    handler returns: a dependency's exit code may run after the response is sent."""
    with context.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


async def _principal(
    context: Context,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    known = context.auth.cached(authorization)
    if known is not None:
        return known
    return await run_in_threadpool(context.auth.principal, authorization)


CurrentPrincipal = Annotated[Principal, Depends(_principal)]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
JSON = "application/json"


class HotRoute(APIRoute):
    """A route whose endpoint ``(body, Context, CurrentPrincipal) -> Response`` is called
    without FastAPI's generic request handling, in the common case (:meth:`answer`).

    That handling (the body decoded into Python objects, then validated; the dependency graph
    solved for every request) costs several times what screening a call does. Here a JSON body
    is validated in one pass by pydantic-core and the principal is one the authenticator
    already knows. Anything else (another content type, a body that does not validate, a
    token not yet known or malformed, dependency overrides) goes to FastAPI's own handler, so
    every error and its shape are FastAPI's. The endpoint's signature, and so its OpenAPI
    description, is the one FastAPI documents. :class:`~ringfence.api.fastpath.HotFront`
    calls :meth:`answer` before the app's routing too.
    """

    def get_route_handler(self) -> Handler:
        generic = super().get_route_handler()
        dependant, body = self.dependant, self.body_field
        names = {d.call: d.name for d in dependant.dependencies if d.name}
        endpoint = dependant.call
        plain = not (
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or dependant.request_param_name
            or dependant.response_param_name
            or dependant.background_tasks_param_name
        )
        if (
            body is None
            or body.field_info.annotation is None
            or len(dependant.body_params) != 1
            or set(names) != {_context, _principal}
            or not plain
            or not inspect.iscoroutinefunction(endpoint)
            or inspect.signature(endpoint, eval_str=True).return_annotation is not Response
        ):
            raise TypeError(
                f"HotRoute {self.path}: the endpoint must be async, take only a body, Context "
                "and CurrentPrincipal, and return a Response"
            )
        self._parse = _json_validator(body.field_info)
        self._endpoint: Callable[..., Coroutine[Any, Any, Response]] = endpoint
        self._names = (body.name, names[_context], names[_principal])

        async def handler(request: Request) -> Response:
            context: AppContext = request.app.state.context
            headers = request.headers
            try:
                principal = context.auth.cached(headers.get("authorization"))
            except Unauthenticated:
                principal = None
            if (
                principal is None
                or headers.get("content-type", JSON) != JSON
                or request.app.dependency_overrides
            ):
                return await generic(request)
            try:
                body = await request.body()
            except ClientDisconnect:  # FastAPI's own 400 (reading again meets the same end)
                return await generic(request)
            response = await self.answer(body, context, principal)
            if response is None:
                return await generic(request)  # FastAPI's own 422 (the body is kept)
            return response

        return handler

    async def answer(
        self, body: bytes, context: AppContext, principal: Principal
    ) -> Response | None:
        """The endpoint's response to a JSON ``body`` sent by ``principal``, or None when the
        body does not validate (FastAPI's own handling has the error to answer then)."""
        try:
            value = self._parse(body)
        except ValidationError:
            return None
        body_name, context_name, principal_name = self._names
        arguments = {body_name: value, context_name: context, principal_name: principal}
        return await self._endpoint(**arguments)


def _json_validator(field: FieldInfo) -> Callable[[bytes], Any]:
    """Validates a JSON body as FastAPI validates this body field (fastapi._compat.ModelField),
    but straight from JSON; a :class:`OneOrBatch` union by the model the body names first."""
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[field.annotation, field])  # type: ignore[arg-type]
    union = _one_or_batch(field)
    if union is None:
        return adapter.validate_json

    def validate(data: bytes) -> Any:
        try:
            return union.model_for(data).model_validate_json(data)
        except ValidationError:
            return adapter.validate_json(data)  # maybe the other model; else the union's errors

    return validate


def _one_or_batch(field: FieldInfo) -> OneOrBatch | None:
    """The :class:`OneOrBatch` whose ``kind`` discriminates this field's union, if one does."""
    for meta in field.metadata:
        if isinstance(meta, Discriminator):
            owner = getattr(meta.discriminator, "__self__", None)
            if isinstance(owner, OneOrBatch):
                return owner
    return None
