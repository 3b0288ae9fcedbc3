"""The screening service follows the change feed, including what it must reload."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from ringfence.core.policy import load_policy
from ringfence.core.types import CallAttempt, Ingress
from ringfence.server.screening import ScreeningService
from ringfence.store import records
from ringfence.store.db import make_engine, migrate, session_factory, transaction
from ringfence.store.models import SanctionRow

CST = timezone(timedelta(hours=8))
NOW = datetime(2030, 3, 1, 10, 0, tzinfo=CST)
CALLER = "+8613800000007"


def test_a_lifted_sanction_stops_governing_after_the_reload(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    service = ScreeningService(load_policy("cn"), sessions, clock=NOW.timestamp)
    attempt = CallAttempt("c1", CALLER, "+8613900000001", NOW, Ingress.SUBSCRIBER)
    with transaction(sessions) as s:
        sanction = records.add_sanction(
            s,
            actor="t",
            at=0.0,
            subject_type="number",
            subject_id=CALLER,
            authority="MIIT",
            reason="fraud",
            starts_at=0.0,
            ends_at=None,
        )
    seq = service.catch_up()
    assert "SANCTIONED" in service.screen([attempt])[0].reasons
    with transaction(sessions) as s:
        records.delete(s, SanctionRow, sanction.id, actor="t", at=0.0)
    assert service.catch_up() == seq + 1
    assert "SANCTIONED" not in service.screen([attempt])[0].reasons
    look = service.look_up(service.plan.classify(CALLER), NOW.timestamp())
    assert look.label == ""
