"""``/v1/trunks``: enterprises' voice lines, marketing or not (carriers write them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.routes.paging import Limit, Offset
from ringfence.api.schemas import TrunkCreate, TrunkIn, TrunkOut
from ringfence.store import queries, records
from ringfence.store.errors import RecordConflict
from ringfence.store.models import TrunkRow

router = APIRouter(prefix="/v1/trunks", tags=["registry"])
TrunkId = Annotated[str, Path(max_length=64)]


@router.post("", response_model=TrunkOut, status_code=201)
def create(body: TrunkCreate, context: Context, principal: CurrentPrincipal) -> TrunkOut:
    """Register a trunk of an existing enterprise (409 if the id is taken)."""
    principal.require(Role.CARRIER)
    with context.write("trunk") as session:
        if session.get(TrunkRow, body.trunk_id) is not None:
            raise RecordConflict(f"trunk {body.trunk_id!r} already exists")
        row = records.put_trunk(
            session, actor=principal.actor, at=context.clock(), **body.model_dump()
        )
    return TrunkOut.model_validate(row)


@router.put("/{trunk_id}", response_model=TrunkOut)
def replace(
    trunk_id: TrunkId, body: TrunkIn, context: Context, principal: CurrentPrincipal
) -> TrunkOut:
    """Create or replace a trunk."""
    principal.require(Role.CARRIER)
    with context.write("trunk") as session:
        row = records.put_trunk(
            session,
            actor=principal.actor,
            at=context.clock(),
            trunk_id=trunk_id,
            **body.model_dump(),
        )
    return TrunkOut.model_validate(row)


@router.get("", response_model=list[TrunkOut])
def list_all(
    session: SessionDep, principal: CurrentPrincipal, limit: Limit = 100, offset: Offset = 0
) -> list[TrunkOut]:
    """One page of trunks."""
    principal.require(Role.CARRIER)
    rows = queries.listing(session, TrunkRow, limit=limit, offset=offset)
    return [TrunkOut.model_validate(r) for r in rows]


@router.get("/{trunk_id}", response_model=TrunkOut)
def get_one(trunk_id: TrunkId, session: SessionDep, principal: CurrentPrincipal) -> TrunkOut:
    """One trunk."""
    principal.require(Role.CARRIER)
    return TrunkOut.model_validate(queries.get(session, TrunkRow, trunk_id))


@router.delete("/{trunk_id}", status_code=204)
def delete(trunk_id: TrunkId, context: Context, principal: CurrentPrincipal) -> Response:
    """Remove a trunk."""
    principal.require(Role.CARRIER)
    with context.write("trunk") as session:
        records.delete(session, TrunkRow, trunk_id, actor=principal.actor, at=context.clock())
    return Response(status_code=204)
