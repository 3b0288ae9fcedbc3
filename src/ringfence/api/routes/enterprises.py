"""``/v1/enterprises``: the enterprise customers (carriers and the regulator write them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.routes.paging import Limit, Offset
from ringfence.api.schemas import EnterpriseCreate, EnterpriseIn, EnterpriseOut
from ringfence.store import queries, records
from ringfence.store.errors import RecordConflict
from ringfence.store.models import EnterpriseRow

router = APIRouter(prefix="/v1/enterprises", tags=["registry"])
EnterpriseId = Annotated[str, Path(max_length=64)]


@router.post("", response_model=EnterpriseOut, status_code=201)
def create(body: EnterpriseCreate, context: Context, principal: CurrentPrincipal) -> EnterpriseOut:
    """Register an enterprise (409 if the id is taken)."""
    principal.require(Role.CARRIER)
    with context.write("enterprise") as session:
        if session.get(EnterpriseRow, body.enterprise_id) is not None:
            raise RecordConflict(f"enterprise {body.enterprise_id!r} already exists")
        row = records.put_enterprise(
            session, actor=principal.actor, at=context.clock(), **body.model_dump()
        )
    return EnterpriseOut.model_validate(row)


@router.put("/{enterprise_id}", response_model=EnterpriseOut)
def replace(
    enterprise_id: EnterpriseId, body: EnterpriseIn, context: Context, principal: CurrentPrincipal
) -> EnterpriseOut:
    """Create or replace an enterprise."""
    principal.require(Role.CARRIER)
    with context.write("enterprise") as session:
        row = records.put_enterprise(
            session,
            actor=principal.actor,
            at=context.clock(),
            enterprise_id=enterprise_id,
            **body.model_dump(),
        )
    return EnterpriseOut.model_validate(row)


@router.get("", response_model=list[EnterpriseOut])
def list_all(
    session: SessionDep, principal: CurrentPrincipal, limit: Limit = 100, offset: Offset = 0
) -> list[EnterpriseOut]:
    """One page of enterprises."""
    principal.require(Role.CARRIER)
    rows = queries.listing(session, EnterpriseRow, limit=limit, offset=offset)
    return [EnterpriseOut.model_validate(r) for r in rows]


@router.get("/{enterprise_id}", response_model=EnterpriseOut)
def get_one(
    enterprise_id: EnterpriseId, session: SessionDep, principal: CurrentPrincipal
) -> EnterpriseOut:
    """One enterprise (an enterprise token may read its own)."""
    principal.require(Role.CARRIER, Role.ENTERPRISE)
    principal.require_enterprise(enterprise_id)
    return EnterpriseOut.model_validate(queries.get(session, EnterpriseRow, enterprise_id))


@router.delete("/{enterprise_id}", status_code=204)
def delete(enterprise_id: EnterpriseId, context: Context, principal: CurrentPrincipal) -> Response:
    """Remove an enterprise that has no trunks left (409 otherwise)."""
    principal.require(Role.CARRIER)
    with context.write("enterprise") as session:
        records.delete(
            session, EnterpriseRow, enterprise_id, actor=principal.actor, at=context.clock()
        )
    return Response(status_code=204)
