"""``POST /v1/screen`` (one attempt or a batch) and ``POST /v1/events`` (call ends).

Both are ``async`` handlers that screen inline: screening is tens of microseconds of CPU,
less than a hop to a worker thread would cost. Verdicts are written as JSON directly (the
response models document them): validating our own output again would cost more than
screening a call.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from fastapi import APIRouter, Response

from ringfence.api.auth import Role
from ringfence.api.deps import Context, CurrentPrincipal
from ringfence.api.errors import PayloadTooLarge
from ringfence.api.schemas import (
    Accepted,
    Attempt,
    AttemptBatch,
    CallEndBatch,
    CallEndIn,
    VerdictBatch,
    VerdictOut,
)
from ringfence.core.types import CallAttempt, CallEnd, Verdict

router = APIRouter(prefix="/v1", tags=["screening"])


def _attempt(a: Attempt) -> CallAttempt:
    return CallAttempt(a.call_id, a.caller, a.callee, a.time, a.ingress, a.trunk_id, a.identity)


def _verdict(v: Verdict) -> dict[str, Any]:
    """A verdict as :class:`VerdictOut` describes it."""
    return {
        "call_id": v.call_id,
        "action": v.action.value,
        "reasons": list(v.reasons),
        "label": v.label,
        "details": list(v.details),
    }


def _check_batch(context: Context, size: int) -> None:
    if size > context.settings.max_batch:
        raise PayloadTooLarge(f"{size} items in one request; at most {context.settings.max_batch}")


@router.post("/screen", response_model=VerdictOut | VerdictBatch)
async def screen(
    body: Attempt | AttemptBatch, context: Context, principal: CurrentPrincipal
) -> Response:
    """Screen one attempt (→ a verdict) or a batch ``{"attempts": [...]}`` (→ ``{"verdicts"}``)."""
    principal.require(Role.CARRIER)
    started = time.perf_counter()
    attempts = body.attempts if isinstance(body, AttemptBatch) else [body]
    _check_batch(context, len(attempts))
    verdicts = context.service.screen([_attempt(a) for a in attempts])
    metrics = context.metrics
    for action, n in Counter(v.action.value for v in verdicts).items():
        metrics.verdicts.labels(action).inc(n)
    if isinstance(body, AttemptBatch):
        answer: dict[str, Any] = {"verdicts": [_verdict(v) for v in verdicts]}
    else:
        answer = _verdict(verdicts[0])
    content = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
    metrics.screen_seconds.observe(time.perf_counter() - started)
    return Response(content, media_type="application/json")


@router.post("/events", response_model=Accepted, status_code=202)
async def events(
    body: CallEndIn | CallEndBatch, context: Context, principal: CurrentPrincipal
) -> Accepted:
    """Feed call ends (one, or ``{"events": [...]}``) to the detectors, in order."""
    principal.require(Role.CARRIER)
    ends = body.events if isinstance(body, CallEndBatch) else [body]
    _check_batch(context, len(ends))
    context.service.observe(
        [
            CallEnd(
                e.call_id,
                e.caller,
                e.callee,
                e.start_time,
                e.ring_ms,
                e.talk_ms,
                e.disposition,
                e.ingress,
                e.trunk_id,
            )
            for e in ends
        ]
    )
    context.metrics.events.inc(len(ends))
    return Accepted(accepted=len(ends))
