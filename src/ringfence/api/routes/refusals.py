"""``POST /v1/refusals`` (idempotent, durable before the 201) and ``GET /v1/refusals``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.schemas import RefusalIn, RefusalOut
from ringfence.store import queries, records

router = APIRouter(prefix="/v1/refusals", tags=["refusals"])


@router.post("", response_model=RefusalOut, status_code=201)
def refuse(
    body: RefusalIn, context: Context, principal: CurrentPrincipal, response: Response
) -> RefusalOut:
    """Record a refusal of one enterprise's marketing (or ``*``, all marketing).

    201 when it changed the registry, 200 when the same refusal was already there. Either way
    it is committed (durably) and governs the next call screened by this process.
    """
    principal.require(Role.CARRIER, Role.SUBSCRIBER, Role.ENTERPRISE)
    number = context.plan.normalize(body.number)
    principal.require_number(number)
    principal.require_enterprise(body.enterprise_id)
    now = context.clock()
    with context.write("refusal") as session:
        row, changed = records.add_refusal(
            session,
            actor=principal.actor,
            at=now,
            enterprise_id=body.enterprise_id,
            number=number,
            refused_at=body.refused_at.timestamp() if body.refused_at else now,
            channel=body.channel,
        )
    if not changed:
        response.status_code = 200
    return RefusalOut.model_validate(row)


@router.get("", response_model=list[RefusalOut])
def list_refusals(
    number: Annotated[str, Query(max_length=64)],
    context: Context,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[RefusalOut]:
    """The refusals a number made (a subscriber sees its own number's only)."""
    principal.require(Role.CARRIER, Role.SUBSCRIBER)
    key = context.plan.normalize(number)
    principal.require_number(key)
    return [RefusalOut.model_validate(r) for r in queries.refusals(session, number=key)]
