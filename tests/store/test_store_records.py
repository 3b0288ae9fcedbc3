"""Writes to the registry: validation, idempotency, the audit log, abuse limits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ringfence.core.registry import RegistrySnapshot
from ringfence.store import queries, records
from ringfence.store.db import transaction
from ringfence.store.errors import (
    InvalidRecord,
    RateLimited,
    RecordConflict,
    RecordNotFound,
    UnknownReference,
)
from ringfence.store.feed import Effect, apply_change, changes
from ringfence.store.models import AuditEntry, PrincipalRow

T0 = 1_551_400_000.0  # 2019-03-01
A = "+8613812345678"


def _enterprise(session: Session, enterprise_id: str = "E1") -> None:
    records.put_enterprise(
        session, actor="test", at=T0, enterprise_id=enterprise_id, name="Acme", industry="finance"
    )


def test_refusal_is_idempotent_and_moves_forward(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        _enterprise(s)
        first, changed = records.add_refusal(
            s, actor="t", at=T0, enterprise_id="E1", number=A, refused_at=T0, channel="sms"
        )
        assert changed
    with transaction(sessions) as s:
        again, changed = records.add_refusal(
            s, actor="t", at=T0, enterprise_id="E1", number=A, refused_at=T0, channel="sms"
        )
        assert (again.id, changed) == (first.id, False)
        later, changed = records.add_refusal(
            s, actor="t", at=T0, enterprise_id="E1", number=A, refused_at=T0 + 60, channel="app"
        )
        assert (later.id, later.refused_at, changed) == (first.id, T0 + 60, True)
    with sessions() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions == ["enterprise.put", "refusal.put", "refusal.put"]


def test_audit_sequence_orders_every_write(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        _enterprise(s)
        records.put_trunk(s, actor="carrier:1", at=T0, trunk_id="T1", enterprise_id="E1")
    with sessions() as s:
        entries = queries.changes_since(s, seq=0)
        assert queries.last_seq(s) == entries[-1].seq
    assert [e.seq for e in entries] == sorted({e.seq for e in entries})
    assert entries[1].actor == "carrier:1"
    assert json.loads(entries[1].payload)["trunk_id"] == "T1"


def test_consent_stores_evidence_and_checks_its_hash(sessions: sessionmaker[Session]) -> None:
    document = b"signed consent form"
    digest = hashlib.sha256(document).hexdigest()
    with transaction(sessions) as s:
        _enterprise(s)
        row, created = records.add_consent(
            s,
            actor="t",
            at=T0,
            enterprise_id="E1",
            number=A,
            granted_at=T0,
            channel="web",
            evidence=document,
            evidence_type="text/plain",
        )
        assert created and row.evidence_sha256 == digest
        again, created = records.add_consent(
            s,
            actor="t",
            at=T0,
            enterprise_id="E1",
            number=A,
            granted_at=T0,
            channel="web",
            evidence_sha256=digest,
        )
        assert (again.id, created) == (row.id, False)
        with pytest.raises(InvalidRecord, match="does not match"):
            records.add_consent(
                s,
                actor="t",
                at=T0,
                enterprise_id="E1",
                number=A,
                granted_at=T0 + 1,
                channel="web",
                evidence=document,
                evidence_sha256="0" * 64,
            )
    with sessions() as s:
        stored = queries.consent_evidence(s, consent_id=row.id)
        audit = s.scalars(select(AuditEntry.payload)).all()
    assert stored.evidence == document
    assert all('evidence"' not in p for p in audit)  # the document never enters the log


Write = Callable[[Session], Any]
UNKNOWN_REFERENCES: list[tuple[str, Write]] = [
    ("trunk", lambda s: records.put_trunk(s, actor="t", at=T0, trunk_id="T9", enterprise_id="X")),
    (
        "consent",
        lambda s: records.add_consent(
            s,
            actor="t",
            at=T0,
            enterprise_id="X",
            number=A,
            granted_at=T0,
            channel="web",
            evidence_sha256="a" * 64,
        ),
    ),
    (
        "refusal",
        lambda s: records.add_refusal(
            s, actor="t", at=T0, enterprise_id="X", number=A, refused_at=T0, channel="sms"
        ),
    ),
    (
        "block",
        lambda s: records.add_block(
            s,
            actor="t",
            at=T0,
            first="+862155550000",
            last="+862155559999",
            holder_type="enterprise",
            holder_id="X",
            purpose="marketing",
        ),
    ),
    ("principal", lambda s: records.create_principal(s, actor="t", at=T0, role="enterprise")),
]


@pytest.mark.parametrize(
    ("what", "write"), UNKNOWN_REFERENCES, ids=[w for w, _ in UNKNOWN_REFERENCES]
)
def test_unknown_references_are_refused(
    sessions: sessionmaker[Session], what: str, write: Write
) -> None:
    with pytest.raises(UnknownReference, match=r"'X'|enterprise"), transaction(sessions) as s:
        write(s)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"industry": "gambling"}, "industry 'gambling'"),
    ],
)
def test_invalid_values_are_refused(
    sessions: sessionmaker[Session], kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidRecord, match=message), transaction(sessions) as s:
        records.put_enterprise(s, actor="t", at=T0, enterprise_id="E1", name="n", **kwargs)


def test_an_enterprise_with_trunks_cannot_be_deleted(sessions: sessionmaker[Session]) -> None:
    from ringfence.store.models import EnterpriseRow

    with transaction(sessions) as s:
        _enterprise(s)
        records.put_trunk(s, actor="t", at=T0, trunk_id="T1", enterprise_id="E1")
    with pytest.raises(RecordConflict, match="trunk"), transaction(sessions) as s:
        records.delete(s, EnterpriseRow, "E1", actor="t", at=T0)


def test_reports_are_rate_limited_per_reporter(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        for i in range(3):
            records.add_report(
                s,
                actor="t",
                at=T0,
                reporter="r1",
                number=f"+86138000000{i:02d}",
                category="fraud",
                reported_at=T0 + i,
                max_per_hour=3,
            )
        records.add_report(
            s,
            actor="t",
            at=T0,
            reporter="r2",
            number=A,
            category="fraud",
            reported_at=T0,
            max_per_hour=3,
        )
    with pytest.raises(RateLimited, match="r1") as caught, transaction(sessions) as s:
        records.add_report(
            s,
            actor="t",
            at=T0,
            reporter="r1",
            number=A,
            category="fraud",
            reported_at=T0 + 10,
            max_per_hour=3,
        )
    assert caught.value.retry_after > 0


def test_upheld_appeal_clears_earlier_reports(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        for reporter in ("r1", "r2", "r2", "r3"):
            records.add_report(
                s,
                actor="t",
                at=T0,
                reporter=reporter,
                number=A,
                category="fraud",
                reported_at=T0,
            )
        appeal = records.file_appeal(
            s, actor="subscriber:1", at=T0 + 5, number=A, appellant="s", statement=""
        )
    with sessions() as s:
        summary = queries.report_summary(s, number=A, since=T0 - 1)
    assert (summary.reporters, summary.categories) == (3, {"fraud": 3})
    with transaction(sessions) as s:
        records.resolve_appeal(s, actor="regulator:1", at=T0 + 9, appeal_id=appeal.id, upheld=True)
    with pytest.raises(RecordConflict, match="already upheld"), transaction(sessions) as s:
        records.resolve_appeal(s, actor="regulator:1", at=T0 + 9, appeal_id=appeal.id, upheld=False)
    with sessions() as s:
        assert queries.report_summary(s, number=A, since=T0 - 1).reporters == 0
        assert queries.live_reports(s, since=T0 - 1) == []


def test_tokens_are_stored_as_hashes(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        token, row = records.create_principal(s, actor="cli", at=T0, role="carrier")
    with sessions() as s:
        found = queries.principal_by_hash(s, token_sha256=records.token_hash(token))
        stored = s.scalar(select(func.count()).where(PrincipalRow.token_sha256 == token))
    assert found is not None and found.id == row.id and found.role == "carrier"
    assert stored == 0


def test_revoking_a_token_is_recorded_once_and_fed_to_screeners(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as s:
        _token, row = records.create_principal(s, actor="cli", at=T0, role="carrier")
        seq = queries.last_seq(s)
    for at in (T0 + 5, T0 + 9):  # the second revocation keeps the first time, writes nothing
        with transaction(sessions) as s:
            records.revoke_principal(s, actor="cli", at=at, principal_id=row.id)
    with sessions() as s:
        listed = {p.id: p.revoked_at for p in queries.principals(s)}
        fed = changes(s, after=seq)
    assert listed[row.id] == T0 + 5
    assert [(c.action, c.record["revoked_at"]) for c in fed] == [("principal.revoke", T0 + 5)]
    assert apply_change(RegistrySnapshot(), fed[0]) is Effect.REVOKED
    with pytest.raises(RecordNotFound, match="principal"), transaction(sessions) as s:
        records.revoke_principal(s, actor="cli", at=T0, principal_id=row.id + 1000)
