"""``GET /v1/numbers/{tn}``: what a handset shows for a number (label, reports, flags)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from ringfence.api.deps import Context, CurrentPrincipal, SessionDep
from ringfence.api.schemas import FlagOut, NumberOut
from ringfence.store import queries

router = APIRouter(prefix="/v1/numbers", tags=["numbers"])


@router.get("/{tn}", response_model=NumberOut)
def look_up(
    tn: Annotated[str, Path(max_length=64)],
    context: Context,
    session: SessionDep,
    _principal: CurrentPrincipal,
    at: Annotated[AwareDatetime | None, Query(description="When (default: now).")] = None,
) -> NumberOut:
    """The label, distinct reporters by category in the reports window, and live flags."""
    number = context.plan.classify(tn)
    t = (at or context.now()).timestamp()
    look = context.service.look_up(number, t)
    window = context.service.policy.detectors.reports.window_s
    summary = queries.report_summary(session, number=number.key, since=t - window)
    return NumberOut(
        number=number.key,
        label=look.label,
        report_count=summary.reporters,
        categories=summary.categories,
        flags=[FlagOut(reason=f.reason, detail=f.detail, category=f.category) for f in look.flags],
    )
