"""FastAPI dependencies as named ``Annotated`` aliases, used by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from ringfence.api.auth import Principal
from ringfence.api.context import AppContext


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
