"""Errors as one JSON shape, and the one place that maps ringfence errors to HTTP status.

Every error response is ``{"error": {"code": ..., "message": ..., "details": [...]}}`` with a
stable ``code`` (the exception's, see :mod:`ringfence.core.errors`).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ringfence.core.errors import InvalidNumber, RegistryError, RingfenceError
from ringfence.store.errors import (
    InvalidRecord,
    RateLimited,
    RecordConflict,
    RecordNotFound,
    UnknownReference,
)

log = logging.getLogger("ringfence.api")


class Unauthenticated(RingfenceError):
    """No bearer token, or one the registry does not know."""

    code = "UNAUTHENTICATED"


class Forbidden(RingfenceError):
    """The principal's role or binding does not allow this."""

    code = "FORBIDDEN"


class PayloadTooLarge(RingfenceError):
    """The request body is larger than the configured limit."""

    code = "PAYLOAD_TOO_LARGE"


#: Most specific first: the first class the error is an instance of gives the status.
STATUS: tuple[tuple[type[RingfenceError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (RecordNotFound, 404),
    (RecordConflict, 409),
    (PayloadTooLarge, 413),
    (UnknownReference, 422),
    (InvalidNumber, 422),
    (InvalidRecord, 422),
    (RateLimited, 429),
    (RegistryError, 404),
    (RingfenceError, 400),
)


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    """The one error shape."""
    return {"error": {"code": code, "message": message, "details": details or []}}


def status_of(exc: RingfenceError) -> int:
    """The HTTP status for a ringfence error."""
    return next(status for cls, status in STATUS if isinstance(exc, cls))


async def _ringfence_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RingfenceError)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(int(exc.retry_after) + 1)
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        error_body(exc.code, exc.message), status_code=status_of(exc), headers=headers
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(p) for p in first["loc"])
    message = f"invalid request: {where}: {first['msg']}"
    return JSONResponse(error_body("INVALID_REQUEST", message, details), status_code=422)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        error_body(f"HTTP_{exc.status_code}", str(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(error_body("INTERNAL", "internal error"), status_code=500)


def install(app: FastAPI) -> None:
    """Route every error through the one shape."""
    app.add_exception_handler(RingfenceError, _ringfence_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
