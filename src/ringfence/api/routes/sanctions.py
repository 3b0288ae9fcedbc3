"""``/v1/sanctions``: the shared sanctions registry (the regulator writes, carriers read)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.routes.paging import Limit, Offset, RecordId
from ringfence.api.schemas import SanctionIn, SanctionOut
from ringfence.store import queries, records
from ringfence.store.models import SanctionRow

router = APIRouter(prefix="/v1/sanctions", tags=["registry"])


@router.post("", response_model=SanctionOut, status_code=201)
def create(body: SanctionIn, context: Context, principal: CurrentPrincipal) -> SanctionOut:
    """Sanction an enterprise or a number (regulator only)."""
    principal.require()
    subject = body.subject_id
    if body.subject_type == "number":
        subject = context.plan.normalize(subject)
    with context.write("sanction") as session:
        row = records.add_sanction(
            session,
            actor=principal.actor,
            at=context.clock(),
            subject_type=body.subject_type,
            subject_id=subject,
            authority=body.authority,
            reason=body.reason,
            starts_at=body.starts_at.timestamp(),
            ends_at=body.ends_at.timestamp() if body.ends_at else None,
        )
    return SanctionOut.model_validate(row)


@router.get("", response_model=list[SanctionOut])
def list_all(
    session: SessionDep, principal: CurrentPrincipal, limit: Limit = 100, offset: Offset = 0
) -> list[SanctionOut]:
    """One page of sanctions."""
    principal.require(Role.CARRIER)
    rows = queries.listing(session, SanctionRow, limit=limit, offset=offset)
    return [SanctionOut.model_validate(r) for r in rows]


@router.get("/{sanction_id}", response_model=SanctionOut)
def get_one(sanction_id: RecordId, session: SessionDep, principal: CurrentPrincipal) -> SanctionOut:
    """One sanction."""
    principal.require(Role.CARRIER)
    return SanctionOut.model_validate(queries.get(session, SanctionRow, sanction_id))


@router.delete("/{sanction_id}", status_code=204)
def delete(sanction_id: RecordId, context: Context, principal: CurrentPrincipal) -> Response:
    """Lift a sanction (regulator only)."""
    principal.require()
    with context.write("sanction") as session:
        records.delete(session, SanctionRow, sanction_id, actor=principal.actor, at=context.clock())
    return Response(status_code=204)
