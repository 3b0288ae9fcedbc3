"""``POST /v1/consents``, ``GET /v1/consents?number=`` and the evidence document of one.

An enterprise sees and stores only its own consents; the evidence is readable only by the
enterprise that stored it and by the regulator.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Query, Response

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.routes.paging import RecordId
from ringfence.api.schemas import ConsentIn, ConsentOut
from ringfence.store import queries, records
from ringfence.store.errors import InvalidRecord, RecordNotFound

router = APIRouter(prefix="/v1/consents", tags=["consents"])


@router.post("", response_model=ConsentOut, status_code=201)
def grant(
    body: ConsentIn, context: Context, principal: CurrentPrincipal, response: Response
) -> ConsentOut:
    """Store a consent and its evidence (201; 200 when the same consent was there)."""
    principal.require(Role.ENTERPRISE)
    principal.require_enterprise(body.enterprise_id)
    number = context.plan.normalize(body.number)
    evidence = None
    if body.evidence:
        try:
            evidence = base64.b64decode(body.evidence, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidRecord(f"evidence is not base64: {exc}") from exc
    with context.write("consent") as session:
        row, created = records.add_consent(
            session,
            actor=principal.actor,
            at=context.clock(),
            enterprise_id=body.enterprise_id,
            number=number,
            granted_at=body.granted_at.timestamp(),
            channel=body.channel,
            evidence=evidence,
            evidence_sha256=body.evidence_sha256,
            evidence_type=body.evidence_type,
        )
    if not created:
        response.status_code = 200
    return ConsentOut.model_validate(row)


@router.get("", response_model=list[ConsentOut])
def list_consents(
    number: Annotated[str, Query(max_length=64)],
    context: Context,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[ConsentOut]:
    """Consents of ``number``: all for the regulator, its own for an enterprise."""
    principal.require(Role.ENTERPRISE)
    key = context.plan.normalize(number)
    own = principal.enterprise_id if principal.role is Role.ENTERPRISE else None
    rows = queries.consents(session, number=key, enterprise_id=own)
    return [ConsentOut.model_validate(r) for r in rows]


@router.get(
    "/{consent_id}/evidence",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence(consent_id: RecordId, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """The evidence document of a consent, for the enterprise that stored it or the regulator."""
    principal.require(Role.ENTERPRISE)
    row = queries.consent_evidence(session, consent_id=consent_id)
    principal.require_enterprise(row.enterprise_id)
    if row.evidence is None:
        raise RecordNotFound(f"consent {consent_id} has only a hash, no stored document")
    media = row.evidence_type or "application/octet-stream"
    return Response(row.evidence, media_type=media)
