"""Crowd reports and appeals: ``POST /v1/reports``, ``/v1/appeals`` and their resolution.

Abuse resistance: a reporter counts once per number and window (the detector keeps distinct
reporters), reporters are rate limited (429), a label needs a threshold of distinct reporters
and decays when reports stop (the detector's window), and the holder of a number may appeal;
a regulator who upholds the appeal clears the reports filed before it.
"""

from __future__ import annotations

from fastapi import APIRouter

from ringfence.api.auth import Principal, Role
from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.errors import Forbidden
from ringfence.api.routes.paging import RecordId
from ringfence.api.schemas import AppealIn, AppealOut, AppealResolution, ReportIn, ReportOut
from ringfence.store import queries, records
from ringfence.store.errors import InvalidRecord

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post("/reports", response_model=ReportOut, status_code=201)
def report(body: ReportIn, context: Context, principal: CurrentPrincipal) -> ReportOut:
    """File a crowd report; a subscriber reports as itself, others name the ``reporter``."""
    principal.require(Role.SUBSCRIBER, Role.CARRIER)
    if principal.role is Role.SUBSCRIBER:
        reporter = f"subscriber:{principal.id}"
    elif body.reporter:
        reporter = body.reporter
    else:
        raise InvalidRecord("reporter is required when relaying a report")
    number = context.plan.normalize(body.number)
    now = context.clock()
    with context.write("report") as session:
        row = records.add_report(
            session,
            actor=principal.actor,
            at=now,
            reporter=reporter,
            number=number,
            category=body.category,
            reported_at=body.reported_at.timestamp() if body.reported_at else now,
            max_per_hour=context.settings.reports_per_hour,
        )
    return ReportOut.model_validate(row)


def _holds(context: Context, principal: Principal, number: str) -> None:
    """Only the number's holder may appeal: its subscriber, or the enterprise holding it."""
    if principal.role is Role.SUBSCRIBER and principal.number == number:
        return
    registry = context.service.screener.registry
    if principal.role is Role.ENTERPRISE and registry.enterprise_holds(
        principal.enterprise_id, number
    ):
        return
    if principal.role is Role.REGULATOR:
        return
    raise Forbidden(f"only the holder of {number} may appeal against its reports")


@router.post("/appeals", response_model=AppealOut, status_code=201)
def appeal(body: AppealIn, context: Context, principal: CurrentPrincipal) -> AppealOut:
    """The holder of a number appeals against its reports (a regulator resolves it)."""
    number = context.plan.normalize(body.number)
    _holds(context, principal, number)
    with context.write("appeal") as session:
        row = records.file_appeal(
            session,
            actor=principal.actor,
            at=context.clock(),
            number=number,
            appellant=principal.actor,
            statement=body.statement,
        )
    return AppealOut.model_validate(row)


@router.get("/appeals", response_model=list[AppealOut])
def list_appeals(session: SessionDep, principal: CurrentPrincipal) -> list[AppealOut]:
    """Every appeal, oldest first (the regulator's queue)."""
    principal.require()
    return [AppealOut.model_validate(a) for a in queries.appeals(session)]


@router.post("/appeals/{appeal_id}/resolution", response_model=AppealOut)
def resolve(
    appeal_id: RecordId, body: AppealResolution, context: Context, principal: CurrentPrincipal
) -> AppealOut:
    """Uphold (clearing the number's earlier reports) or reject an open appeal."""
    principal.require()
    with context.write("appeal_resolution") as session:
        row = records.resolve_appeal(
            session,
            actor=principal.actor,
            at=context.clock(),
            appeal_id=appeal_id,
            upheld=body.upheld,
        )
    return AppealOut.model_validate(row)
