"""``POST /v1/scrub``: an enterprise's call list checked against refusals, consent, hours,
caps and sanctions (the Do-Not-Call scrubbing telemarketers do before dialling)."""

from __future__ import annotations

from fastapi import APIRouter

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal
from ringfence.api.errors import PayloadTooLarge
from ringfence.api.schemas import ScrubIn, ScrubItem, ScrubOut
from ringfence.store.errors import InvalidRecord

router = APIRouter(prefix="/v1", tags=["scrub"])


@router.post("/scrub", response_model=ScrubOut)
def scrub(body: ScrubIn, context: Context, principal: CurrentPrincipal) -> ScrubOut:
    """Each number: callable now (or at ``time``) by the enterprise, or not and why."""
    principal.require(Role.ENTERPRISE)
    enterprise_id = body.enterprise_id or principal.enterprise_id
    if not enterprise_id:
        raise InvalidRecord("enterprise_id is required (the enterprise whose list this is)")
    principal.require_enterprise(enterprise_id)
    if len(body.numbers) > context.settings.max_batch:
        raise PayloadTooLarge(
            f"{len(body.numbers)} numbers in one request; at most {context.settings.max_batch}"
        )
    t = body.time or context.now()
    results = context.service.scrub(enterprise_id, body.numbers, t)
    return ScrubOut(
        enterprise_id=enterprise_id,
        time=t,
        results=[
            ScrubItem(
                number=r.number,
                callable=r.callable,
                reasons=list(r.reasons),
                details=list(r.details),
            )
            for r in results
        ],
    )
