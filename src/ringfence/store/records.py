"""Writing the registry: every function writes one record and appends it to the audit log.

Functions take the session positionally and everything else by keyword; numbers arrive as
canonical keys (the adapters normalise what people send). Each write appends an
:class:`AuditEntry` (who, what, when, the record as JSON) in the same transaction, and the
entry's ``seq`` is the write's place in the change feed. The caller commits (see
:func:`ringfence.store.db.transaction`); nothing is visible or acknowledged before that.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ringfence.core.registry import ALL_ENTERPRISES, HolderType, Purpose
from ringfence.store.db import serialize
from ringfence.store.errors import (
    InvalidRecord,
    RateLimited,
    RecordConflict,
    RecordNotFound,
    UnknownReference,
)
from ringfence.store.models import (
    AppealRow,
    AuditEntry,
    Base,
    ConsentRow,
    EnterpriseRow,
    NumberBlockRow,
    PrincipalRow,
    RefusalRow,
    ReportRow,
    ReputationRow,
    SanctionRow,
    TrunkRow,
)

INDUSTRIES = frozenset({"finance", "real_estate", "medical", "hr", "tourism", "other"})
ROLES = frozenset({"regulator", "carrier", "enterprise", "subscriber"})
SUBJECT_TYPES = frozenset({"enterprise", "number"})
#: Columns never copied into the audit log or the change feed (personal documents).
_PRIVATE = frozenset({"evidence"})

R = TypeVar("R", bound=Base)


def as_dict(row: Base) -> dict[str, Any]:
    """The row's columns as a dict (evidence documents left out)."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in _PRIVATE}


def audit(session: Session, *, actor: str, action: str, at: float, record: dict[str, Any]) -> int:
    """Append one audit entry (serializing writers first); returns its feed sequence number."""
    serialize(session)
    entry = AuditEntry(at=at, actor=actor, action=action, payload=json.dumps(record))
    session.add(entry)
    session.flush()
    return entry.seq


def _get(session: Session, model: type[R], key: object, what: str) -> R:
    row = session.get(model, key)
    if row is None:
        raise RecordNotFound(f"no {what} {key!r} in the registry")
    return row


def _choice(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise InvalidRecord(f"{what} {value!r} is not one of {sorted(allowed)}")
    return value


# -- enterprises and trunks (plan measure 1) ------------------------------------------------
def put_enterprise(
    session: Session,
    *,
    actor: str,
    at: float,
    enterprise_id: str,
    name: str,
    industry: str,
    credit_code: str = "",
) -> EnterpriseRow:
    """Create or replace the enterprise ``enterprise_id``."""
    _choice(industry, INDUSTRIES, "industry")
    row = session.get(EnterpriseRow, enterprise_id) or EnterpriseRow(enterprise_id=enterprise_id)
    row.name, row.industry, row.credit_code = name, industry, credit_code
    session.add(row)
    audit(session, actor=actor, action="enterprise.put", at=at, record=as_dict(row))
    return row


def put_trunk(
    session: Session,
    *,
    actor: str,
    at: float,
    trunk_id: str,
    enterprise_id: str,
    carrier: str = "",
    marketing: bool = False,
) -> TrunkRow:
    """Create or replace the trunk ``trunk_id`` of an existing enterprise."""
    if session.get(EnterpriseRow, enterprise_id) is None:
        raise UnknownReference(f"trunk {trunk_id!r}: no enterprise {enterprise_id!r}")
    row = session.get(TrunkRow, trunk_id) or TrunkRow(trunk_id=trunk_id)
    row.enterprise_id, row.carrier, row.marketing = enterprise_id, carrier, marketing
    session.add(row)
    audit(session, actor=actor, action="trunk.put", at=at, record=as_dict(row))
    return row


def add_block(
    session: Session,
    *,
    actor: str,
    at: float,
    first: str,
    last: str,
    holder_type: str,
    holder_id: str,
    purpose: str,
) -> NumberBlockRow:
    """Add a block ``first``..``last`` (number keys of equal length, first <= last)."""
    _choice(holder_type, frozenset(HolderType), "holder_type")
    _choice(purpose, frozenset(Purpose), "purpose")
    if len(first) != len(last) or first > last:
        raise InvalidRecord(f"block {first}..{last}: ends differ in length or are out of order")
    if holder_type == HolderType.ENTERPRISE and session.get(EnterpriseRow, holder_id) is None:
        raise UnknownReference(f"block {first}..{last}: no enterprise {holder_id!r}")
    exists = session.scalar(
        select(NumberBlockRow).filter_by(
            first=first, last=last, holder_type=holder_type, holder_id=holder_id
        )
    )
    if exists is not None:
        raise RecordConflict(f"block {first}..{last} of {holder_id!r} exists (id {exists.id})")
    row = NumberBlockRow(
        first=first, last=last, holder_type=holder_type, holder_id=holder_id, purpose=purpose
    )
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="number_block.create", at=at, record=as_dict(row))
    return row


def delete(session: Session, model: type[Base], key: object, *, actor: str, at: float) -> None:
    """Delete one enterprise, trunk, block or sanction by primary key (audited).

    Raises RecordNotFound when there is none, RecordConflict when others still refer to it.
    """
    row = _get(session, model, key, f"{model.__tablename__} record")
    if isinstance(row, EnterpriseRow):
        trunks = session.scalar(select(func.count()).where(TrunkRow.enterprise_id == key))
        if trunks:
            raise RecordConflict(f"enterprise {key!r} still has {trunks} trunk(s)")
    record = as_dict(row)
    session.delete(row)
    audit(session, actor=actor, action=f"{model.__tablename__}.delete", at=at, record=record)


# -- consent and refusals (plan measures 2 and 4) -------------------------------------------
def add_consent(
    session: Session,
    *,
    actor: str,
    at: float,
    enterprise_id: str,
    number: str,
    granted_at: float,
    channel: str,
    evidence: bytes | None = None,
    evidence_sha256: str = "",
    evidence_type: str = "",
) -> tuple[ConsentRow, bool]:
    """Record consent with its evidence; idempotent on (enterprise, number, granted_at).

    The evidence document, when given, is stored and its SHA-256 computed (a given hash must
    match it). Returns the record and whether it was created (False: it was already there).
    """
    if session.get(EnterpriseRow, enterprise_id) is None:
        raise UnknownReference(f"consent of {number}: no enterprise {enterprise_id!r}")
    if evidence is not None:
        digest = hashlib.sha256(evidence).hexdigest()
        if evidence_sha256 and evidence_sha256.lower() != digest:
            raise InvalidRecord(
                f"evidence_sha256 {evidence_sha256!r} does not match the document ({digest})"
            )
        evidence_sha256 = digest
    if len(evidence_sha256) != 64 or not _is_hex(evidence_sha256):
        raise InvalidRecord(f"evidence_sha256 {evidence_sha256!r} is not a SHA-256 hex digest")
    existing = session.scalar(
        select(ConsentRow).filter_by(
            enterprise_id=enterprise_id, number=number, granted_at=granted_at
        )
    )
    if existing is not None:
        return existing, False
    row = ConsentRow(
        enterprise_id=enterprise_id,
        number=number,
        granted_at=granted_at,
        channel=channel,
        evidence_sha256=evidence_sha256.lower(),
        evidence=evidence,
        evidence_type=evidence_type,
    )
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="consent.create", at=at, record=as_dict(row))
    return row, True


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def add_refusal(
    session: Session,
    *,
    actor: str,
    at: float,
    enterprise_id: str,
    number: str,
    refused_at: float,
    channel: str,
) -> tuple[RefusalRow, bool]:
    """Record that ``number`` refuses ``enterprise_id``'s marketing (``*``: all); idempotent.

    One record per (enterprise, number): repeating a refusal returns it unchanged, a later
    ``refused_at`` moves it forward (a refusal renewed after a new consent). Returns the
    record and whether this call changed the registry.
    """
    if enterprise_id != ALL_ENTERPRISES and session.get(EnterpriseRow, enterprise_id) is None:
        raise UnknownReference(f"refusal of {number}: no enterprise {enterprise_id!r}")
    row = session.scalar(select(RefusalRow).filter_by(enterprise_id=enterprise_id, number=number))
    if row is not None and row.refused_at >= refused_at:
        return row, False
    if row is None:
        row = RefusalRow(enterprise_id=enterprise_id, number=number)
    row.refused_at, row.channel = refused_at, channel
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="refusal.put", at=at, record=as_dict(row))
    return row, True


# -- crowd reports and appeals (plan measure 10) --------------------------------------------
def add_report(
    session: Session,
    *,
    actor: str,
    at: float,
    reporter: str,
    number: str,
    category: str,
    reported_at: float,
    max_per_hour: int = 30,
) -> ReportRow:
    """Record a crowd report, refusing more than ``max_per_hour`` per reporter (RateLimited).

    A reporter who reports a number again is stored again; the detectors count each reporter
    once per number and window, so repeats cannot make a label.
    """
    recent = session.scalar(
        select(func.count())
        .select_from(ReportRow)
        .where(ReportRow.reporter == reporter, ReportRow.reported_at > reported_at - 3600)
    )
    if recent is not None and recent >= max_per_hour:
        raise RateLimited(
            f"reporter {reporter!r} made {recent} reports in the last hour "
            f"(limit {max_per_hour}); try again later",
            retry_after=3600.0 / max_per_hour,
        )
    row = ReportRow(reporter=reporter, number=number, category=category, reported_at=reported_at)
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="report.create", at=at, record=as_dict(row))
    return row


def file_appeal(
    session: Session, *, actor: str, at: float, number: str, appellant: str, statement: str
) -> AppealRow:
    """The holder of ``number`` appeals against its crowd reports (a regulator resolves it)."""
    row = AppealRow(number=number, appellant=appellant, statement=statement, filed_at=at)
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="appeal.create", at=at, record=as_dict(row))
    return row


def resolve_appeal(
    session: Session, *, actor: str, at: float, appeal_id: int, upheld: bool
) -> AppealRow:
    """Resolve an open appeal; upheld, the number's reports filed before it stop counting."""
    row = _get(session, AppealRow, appeal_id, "appeal")
    if row.status != "open":
        raise RecordConflict(f"appeal {appeal_id} is already {row.status}")
    row.status = "upheld" if upheld else "rejected"
    row.resolved_by, row.resolved_at = actor, at
    if upheld:
        for report in session.scalars(
            select(ReportRow).where(
                ReportRow.number == row.number,
                ReportRow.reported_at <= row.filed_at,
                ReportRow.cleared_by.is_(None),
            )
        ):
            report.cleared_by = row.id
    session.flush()
    audit(session, actor=actor, action=f"appeal.{row.status}", at=at, record=as_dict(row))
    return row


# -- sanctions and reputation (plan measures 12 and 5) --------------------------------------
def add_sanction(
    session: Session,
    *,
    actor: str,
    at: float,
    subject_type: str,
    subject_id: str,
    authority: str,
    reason: str,
    starts_at: float,
    ends_at: float | None,
) -> SanctionRow:
    """Record a sanction on an enterprise or a number, in force ``starts_at``..``ends_at``."""
    _choice(subject_type, SUBJECT_TYPES, "subject_type")
    if ends_at is not None and ends_at < starts_at:
        raise InvalidRecord(f"sanction of {subject_id!r} ends before it starts")
    row = SanctionRow(
        subject_type=subject_type,
        subject_id=subject_id,
        authority=authority,
        reason=reason,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="sanction.create", at=at, record=as_dict(row))
    return row


def set_reputation(
    session: Session, *, actor: str, at: float, number: str, score: float, reasons: str = ""
) -> ReputationRow:
    """Publish an analytics score in [0, 1] for ``number``."""
    if not 0.0 <= score <= 1.0:
        raise InvalidRecord(f"reputation score {score!r} of {number} is not within [0, 1]")
    row = session.get(ReputationRow, number) or ReputationRow(number=number)
    row.score, row.reasons, row.updated_at = score, reasons, at
    session.add(row)
    audit(session, actor=actor, action="reputation.put", at=at, record=as_dict(row))
    return row


# -- API principals ---------------------------------------------------------------------------
def token_hash(token: str) -> str:
    """The SHA-256 under which a bearer token is stored (the token itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_principal(
    session: Session,
    *,
    actor: str,
    at: float,
    role: str,
    enterprise_id: str = "",
    number: str = "",
) -> tuple[str, PrincipalRow]:
    """A new principal; returns its bearer token (shown once) and its record.

    An ``enterprise`` principal must name an existing enterprise; a ``subscriber`` must be
    bound to a number (the only one it may refuse for).
    """
    _choice(role, ROLES, "role")
    if role == "enterprise" and session.get(EnterpriseRow, enterprise_id) is None:
        raise UnknownReference(
            f"an enterprise token needs an existing enterprise, not {enterprise_id!r}"
        )
    if role == "subscriber" and not number:
        raise InvalidRecord("a subscriber token must be bound to a number (--number)")
    token = "rf_" + secrets.token_urlsafe(32)
    row = PrincipalRow(
        token_sha256=token_hash(token),
        role=role,
        enterprise_id=enterprise_id,
        number=number,
        created_at=at,
    )
    session.add(row)
    session.flush()
    audit(session, actor=actor, action="principal.create", at=at, record=as_dict(row))
    return token, row


def revoke_principal(session: Session, *, actor: str, at: float, principal_id: int) -> PrincipalRow:
    """Revoke principal ``principal_id``'s token from ``at`` on (idempotent: revoking a revoked
    token keeps its first revocation time). RecordNotFound for an unknown id."""
    row = _get(session, PrincipalRow, principal_id, "principal")
    if row.revoked_at is None:
        row.revoked_at = at
        session.flush()
        audit(session, actor=actor, action="principal.revoke", at=at, record=as_dict(row))
    return row
