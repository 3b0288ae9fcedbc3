"""``GET /healthz`` and ``GET /metrics`` (Prometheus text format)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from ringfence.api.deps import Context, SessionDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(context: Context, session: SessionDep) -> dict[str, object]:
    """Up, with the database reachable; the change-feed position applied."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "feed_seq": context.service.seq}


@router.get("/metrics", response_class=Response)
def metrics(context: Context) -> Response:
    """The Prometheus metrics of this process."""
    context.metrics.feed_seq.set(context.service.seq)
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
