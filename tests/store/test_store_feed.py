"""The change feed: snapshots loaded from the store and kept current in sequence order."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from tests.seeding import put_marketing_enterprise

from ringfence.core.registry import RegistrySnapshot
from ringfence.store import queries, records
from ringfence.store.db import session_factory, transaction
from ringfence.store.feed import (
    Change,
    Effect,
    FeedProbe,
    apply_change,
    changes,
    load_snapshot,
)
from ringfence.store.models import TrunkRow

T0 = 1_551_400_000.0
A = "+8613812345678"


def _seed(s: Session) -> None:
    put_marketing_enterprise(s, actor="t", at=T0, name="Acme")
    records.add_consent(
        s,
        actor="t",
        at=T0,
        enterprise_id="E1",
        number=A,
        granted_at=T0,
        channel="web",
        evidence_sha256="a" * 64,
    )
    records.add_sanction(
        s,
        actor="t",
        at=T0,
        subject_type="enterprise",
        subject_id="E1",
        authority="MIIT",
        reason="spam",
        starts_at=T0,
        ends_at=None,
    )
    records.set_reputation(s, actor="t", at=T0, number="+862155550001", score=0.9)


def test_load_then_feed_equals_load_after(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        _seed(s)
    with sessions() as s:
        snapshot, seq = load_snapshot(s)
    with transaction(sessions) as s:
        records.add_refusal(
            s, actor="t", at=T0, enterprise_id="*", number=A, refused_at=T0 + 5, channel="sms"
        )
        records.put_trunk(s, actor="t", at=T0, trunk_id="T2", enterprise_id="E1")
    with sessions() as s:
        pending = changes(s, after=seq)
        fresh, fresh_seq = load_snapshot(s)
    assert [apply_change(snapshot, c) for c in pending] == [Effect.APPLIED, Effect.APPLIED]
    assert pending[-1].seq == fresh_seq
    assert snapshot.counts() == fresh.counts()
    assert snapshot.refusal_at("E1", A, T0 + 10) == T0 + 5
    assert snapshot.consent_at("E1", A, T0) == T0
    assert snapshot.enterprise_holds("E1", "+862155550001")
    sanction = snapshot.sanction("enterprise", "E1", T0 + 1e9)
    assert sanction is not None and sanction.ends_at == math.inf
    assert snapshot.reputation["+862155550001"][0] == 0.9


def test_deletions_ask_for_a_reload(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        _seed(s)
        records.delete(s, TrunkRow, "T1", actor="t", at=T0)
    with sessions() as s:
        last = changes(s, after=0)[-1]
    assert (last.action, apply_change(RegistrySnapshot(), last)) == ("trunks.delete", Effect.RELOAD)


@pytest.mark.parametrize(
    ("action", "effect"),
    [
        ("report.create", Effect.REPORT),
        ("appeal.upheld", Effect.REPORTS_CLEARED),
        ("appeal.rejected", Effect.NONE),
        ("appeal.create", Effect.NONE),
        ("principal.create", Effect.NONE),
        ("import.consents", Effect.RELOAD),
        ("sanctions.delete", Effect.RELOAD),
    ],
)
def test_effects_of_changes_the_snapshot_cannot_apply(action: str, effect: Effect) -> None:
    assert apply_change(RegistrySnapshot(), Change(1, action, {})) is effect


def test_the_probe_sees_each_write_and_survives_a_lost_connection(engine: Engine) -> None:
    sessions = session_factory(engine)
    probe = FeedProbe(engine)
    try:
        assert probe.latest() == 0
        with transaction(sessions) as s:
            put_marketing_enterprise(s, actor="test", at=T0)
            written = queries.last_seq(s)
        assert written > 0 and probe.latest() == written  # a write after the probe's last look
        probe.close()
        assert probe.latest() == written  # reopens on the next look
    finally:
        probe.close()
