"""``/v1/number-blocks``: number blocks and their holders (码号资源; carriers write them)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.routes.paging import Limit, Offset, RecordId
from ringfence.api.schemas import NumberBlockIn, NumberBlockOut
from ringfence.store import queries, records
from ringfence.store.models import NumberBlockRow

router = APIRouter(prefix="/v1/number-blocks", tags=["registry"])


@router.post("", response_model=NumberBlockOut, status_code=201)
def create(body: NumberBlockIn, context: Context, principal: CurrentPrincipal) -> NumberBlockOut:
    """Register a block ``first``..``last`` of standard numbers (422 for a malformed end)."""
    principal.require(Role.CARRIER)
    fields = body.model_dump()
    fields["first"] = context.plan.normalize(body.first)
    fields["last"] = context.plan.normalize(body.last)
    with context.write("number_block") as session:
        row = records.add_block(session, actor=principal.actor, at=context.clock(), **fields)
    return NumberBlockOut.model_validate(row)


@router.get("", response_model=list[NumberBlockOut])
def list_all(
    session: SessionDep, principal: CurrentPrincipal, limit: Limit = 100, offset: Offset = 0
) -> list[NumberBlockOut]:
    """One page of blocks."""
    principal.require(Role.CARRIER)
    rows = queries.listing(session, NumberBlockRow, limit=limit, offset=offset)
    return [NumberBlockOut.model_validate(r) for r in rows]


@router.get("/{block_id}", response_model=NumberBlockOut)
def get_one(block_id: RecordId, session: SessionDep, principal: CurrentPrincipal) -> NumberBlockOut:
    """One block."""
    principal.require(Role.CARRIER)
    return NumberBlockOut.model_validate(queries.get(session, NumberBlockRow, block_id))


@router.delete("/{block_id}", status_code=204)
def delete(block_id: RecordId, context: Context, principal: CurrentPrincipal) -> Response:
    """Remove a block."""
    principal.require(Role.CARRIER)
    with context.write("number_block") as session:
        records.delete(session, NumberBlockRow, block_id, actor=principal.actor, at=context.clock())
    return Response(status_code=204)
