"""The authenticator's cache: no database read per request, and a principal taken out of the
registry is refused once its entry is older than the TTL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from tests.api.conftest import OTHER, Api

from ringfence.api.auth import Authenticator, Role
from ringfence.api.errors import Unauthenticated
from ringfence.store import queries
from ringfence.store.db import transaction
from ringfence.store.models import PrincipalRow
from ringfence.store.records import revoke_principal, token_hash


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_known_principal_is_served_from_memory_until_its_ttl(api: Api) -> None:
    clock = Clock()
    sessions = api.app.state.context.sessions
    auth = Authenticator(sessions, ttl_s=60, clock=clock)
    header = api.as_("carrier")["Authorization"]
    assert auth.cached(header) is None  # not read yet
    assert auth.principal(header).role is Role.CARRIER
    with transaction(sessions) as session:  # taken out of the registry behind its back
        token = header.removeprefix("Bearer ")
        session.execute(delete(PrincipalRow).where(PrincipalRow.token_sha256 == token_hash(token)))
    clock.now = 59
    principal = auth.cached(header)
    assert principal is not None and principal.role is Role.CARRIER
    clock.now = 61
    assert auth.cached(header) is None
    with pytest.raises(Unauthenticated):
        auth.principal(header)


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer"])
def test_malformed_headers_are_refused_without_a_lookup(header: str | None) -> None:
    auth = Authenticator(None)  # type: ignore[arg-type]  # no registry: it must not be asked
    with pytest.raises(Unauthenticated):
        auth.cached(header)


def test_a_revoked_token_is_refused_as_soon_as_the_feed_reaches_the_server(api: Api) -> None:
    context = api.app.state.context
    headers = api.as_("carrier")
    assert api.client.get(f"/v1/numbers/{OTHER}", headers=headers).status_code == 200
    with context.sessions() as session:  # the principal behind the carrier's token
        token = headers["Authorization"].removeprefix("Bearer ")
        row = queries.principal_by_hash(session, token_sha256=token_hash(token))
        assert row is not None
    with transaction(context.sessions) as session:
        revoke_principal(session, actor="cli:tokens", at=0.0, principal_id=row.id)
    context.service.catch_up()  # what the server's feed poller does within milliseconds
    refused = api.client.get(f"/v1/numbers/{OTHER}", headers=headers)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["error"]["message"]
    assert api.client.get(f"/v1/numbers/{OTHER}", headers=api.as_("regulator")).status_code == 200
