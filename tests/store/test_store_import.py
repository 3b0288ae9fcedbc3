"""``registry import``: a bundle's registry tables into the store, bad rows kept aside."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ringfence.bundle import Bundle
from ringfence.core.numberplan import NumberPlan
from ringfence.store.db import transaction
from ringfence.store.feed import load_snapshot
from ringfence.store.importer import import_bundle
from ringfence.store.models import ConsentRow

FILES = {
    "cdrs.csv": "call_id,start_time,caller,callee,ingress,trunk_id,ring_ms,talk_ms,disposition\n",
    "enterprises.csv": (
        "enterprise_id,name,industry,credit_code\n"
        "E1,Acme,finance,91310000MA1K000001\n"
        "E2,Beta,real_estate,\n"
        "E1,Acme again,finance,\n"
    ),
    "trunks.csv": "trunk_id,enterprise_id,carrier,marketing\nT1,E1,cm,true\nT2,E9,cm,false\n",
    "number_blocks.csv": (
        "first,last,holder_type,holder_id,purpose\n"
        "+862155550000,+862155559999,enterprise,E1,marketing\n"
        "+862155550000,12,enterprise,E1,marketing\n"
    ),
    "consents.csv": (
        "enterprise_id,number,granted_at,channel,evidence_sha256\n"
        f"E1,+8613812345678,2019-02-01T10:00:00+08:00,web,{'a' * 64}\n"
        f"E1,not-a-number,2019-02-01T10:00:00+08:00,web,{'b' * 64}\n"
        f"E1,+8613812345678,2019-02-01T10:00:00+08:00,web,{'a' * 64}\n"
    ),
    "refusals.csv": (
        "enterprise_id,number,refused_at,channel\n"
        "*,+8613912345678,2019-02-03T10:00:00+08:00,sms\n"
        "E2,+8613912345678,not a time,sms\n"
    ),
}


def _bundle(tmp_path: Path) -> Bundle:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return Bundle(tmp_path)


def test_counts_reconcile_and_rejects_name_line_and_reason(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(sessions) as s:
        result = import_bundle(s, _bundle(tmp_path), actor="cli", at=0.0, plan=NumberPlan())
    for name, counts in result.tables.items():
        assert counts.read == counts.imported + counts.rejected, name
    assert sum(c.rejected for c in result.tables.values()) == len(result.rejects)
    where = {(r.table, r.line) for r in result.rejects}
    assert where == {
        ("enterprises", 4),
        ("trunks", 3),
        ("number_blocks", 3),
        ("consents", 3),
        ("consents", 4),
        ("refusals", 3),
    }
    reasons = {(r.table, r.line): r.reason for r in result.rejects}
    assert "E9" in reasons[("trunks", 3)]
    assert "already" in reasons[("consents", 4)]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ConsentRow)) == 1
        snapshot, _ = load_snapshot(s)
    assert snapshot.refusal_at("E1", "+8613912345678", 2e9) is not None
    assert snapshot.counts()["number_blocks"] == 1


def test_importing_twice_imports_nothing_twice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    bundle = _bundle(tmp_path)
    with transaction(sessions) as s:
        import_bundle(s, bundle, actor="cli", at=0.0, plan=NumberPlan())
    with transaction(sessions) as s:
        again = import_bundle(s, Bundle(tmp_path), actor="cli", at=0.0, plan=NumberPlan())
    imported = {name: c.imported for name, c in again.tables.items() if c.imported}
    assert imported == {}
