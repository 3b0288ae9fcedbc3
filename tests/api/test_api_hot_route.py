"""HotRoute: the hot paths answer exactly as FastAPI's own handling would, without it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import APIRouter, Response
from fastapi import routing as fastapi_routing
from tests.api.conftest import OTHER, Api, attempt

from ringfence.api.deps import Context, HotRoute
from ringfence.api.schemas import Attempt

JSON = "application/json"
VALID = json.dumps(attempt(callee=OTHER)).encode()

# (content, content type): valid and invalid bodies, and encodings FastAPI reads its own way
BODIES = [
    (VALID, JSON),
    (json.dumps({"attempts": [attempt(call_id=c, callee=OTHER) for c in "ab"]}).encode(), JSON),
    (json.dumps({"caller": 1}).encode(), JSON),
    (json.dumps({"attempts": []}).encode(), JSON),
    (json.dumps(attempt(time="2019-03-01T10:00:00")).encode(), JSON),
    (b'{"caller": NaN}', JSON),
    (b"{not json", JSON),
    (b"", JSON),
    (VALID.decode().encode("utf-16"), JSON),
    (VALID, "application/json; charset=utf-8"),
    (VALID, "text/plain"),
]


def _post(api: Api, content: bytes, content_type: str) -> tuple[int, Any]:
    headers = {**api.as_("carrier"), "Content-Type": content_type}
    answer = api.client.post("/v1/screen", content=content, headers=headers)
    return answer.status_code, answer.json()


@pytest.mark.parametrize(("content", "content_type"), BODIES)
def test_answers_as_fastapi_would(api: Api, content: bytes, content_type: str) -> None:
    _post(api, VALID, JSON)  # the carrier's token is now known
    fast = _post(api, content, content_type)
    api.app.dependency_overrides[_unused] = _unused  # any override: FastAPI's own handling
    generic = _post(api, content, content_type)
    assert fast == generic


def test_a_known_token_and_a_valid_body_skip_the_dependency_solver(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post(api, VALID, JSON)

    async def refuse(**_kwargs: object) -> None:
        raise AssertionError("FastAPI's dependency solver was called")

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", refuse)
    assert _post(api, VALID, JSON)[0] == 200


def test_endpoints_of_another_shape_are_refused() -> None:
    router = APIRouter(route_class=HotRoute)

    async def no_principal(body: Attempt, context: Context) -> Response:
        return Response()

    with pytest.raises(TypeError, match="CurrentPrincipal"):
        router.post("/x")(no_principal)


def _unused() -> None:
    """A dependency no route uses: overriding it changes nothing but the route's path."""
