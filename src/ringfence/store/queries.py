"""Reading the registry: look-ups and listings for the API, with keyword-only filters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Session, undefer

from ringfence.store.errors import RecordNotFound
from ringfence.store.models import (
    AppealRow,
    AuditEntry,
    Base,
    ConsentRow,
    PrincipalRow,
    RefusalRow,
    ReportRow,
)

R = TypeVar("R", bound=Base)


def get(session: Session, model: type[R], key: object) -> R:
    """The record of ``model`` with primary key ``key``; RecordNotFound when there is none."""
    row = session.get(model, key)
    if row is None:
        raise RecordNotFound(f"no {model.__tablename__} record {key!r} in the registry")
    return row


def listing(session: Session, model: type[R], *, limit: int = 100, offset: int = 0) -> list[R]:
    """One page of ``model``'s records in primary-key order."""
    key = next(iter(inspect(model).primary_key))
    return list(session.scalars(select(model).order_by(key).limit(limit).offset(offset)))


def consents(
    session: Session, *, number: str, enterprise_id: str | None = None
) -> list[ConsentRow]:
    """Consents of ``number`` (to ``enterprise_id`` only, when given), oldest first."""
    query = select(ConsentRow).where(ConsentRow.number == number)
    if enterprise_id is not None:
        query = query.where(ConsentRow.enterprise_id == enterprise_id)
    return list(session.scalars(query.order_by(ConsentRow.granted_at)))


def consent_evidence(session: Session, *, consent_id: int) -> ConsentRow:
    """A consent with its evidence document loaded."""
    row = session.get(ConsentRow, consent_id, options=[undefer(ConsentRow.evidence)])
    if row is None:
        raise RecordNotFound(f"no consent {consent_id!r} in the registry")
    return row


def refusals(session: Session, *, number: str) -> list[RefusalRow]:
    """Refusals made by ``number``."""
    return list(session.scalars(select(RefusalRow).where(RefusalRow.number == number)))


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What people reported about a number within a window: distinct reporters by category."""

    reporters: int
    categories: dict[str, int]


def report_summary(session: Session, *, number: str, since: float) -> ReportSummary:
    """Distinct reporters of ``number`` since ``since`` (each counted once, latest category);
    reports cleared by an upheld appeal do not count."""
    rows = session.execute(
        select(ReportRow.reporter, ReportRow.category)
        .where(
            ReportRow.number == number,
            ReportRow.reported_at > since,
            ReportRow.cleared_by.is_(None),
        )
        .order_by(ReportRow.reported_at)
    )
    latest = {reporter: category for reporter, category in rows}
    return ReportSummary(len(latest), dict(Counter(latest.values())))


def live_reports(session: Session, *, since: float) -> list[ReportRow]:
    """Reports since ``since`` that still count, in time order (to rebuild the detectors)."""
    query = (
        select(ReportRow)
        .where(ReportRow.reported_at > since, ReportRow.cleared_by.is_(None))
        .order_by(ReportRow.reported_at, ReportRow.id)
    )
    return list(session.scalars(query))


def appeals(session: Session, *, status: str | None = None) -> list[AppealRow]:
    """Appeals, oldest first (only those in ``status``, when given)."""
    query = select(AppealRow).order_by(AppealRow.id)
    if status is not None:
        query = query.where(AppealRow.status == status)
    return list(session.scalars(query))


def principal_by_hash(session: Session, *, token_sha256: str) -> PrincipalRow | None:
    """The principal whose token hashes to ``token_sha256``, if any."""
    return session.scalar(select(PrincipalRow).where(PrincipalRow.token_sha256 == token_sha256))


def principals(session: Session) -> list[PrincipalRow]:
    """Every principal, oldest first, revoked ones included (their ``revoked_at`` set)."""
    return list(session.scalars(select(PrincipalRow).order_by(PrincipalRow.id)))


def changes_since(session: Session, *, seq: int, limit: int = 10_000) -> list[AuditEntry]:
    """Audit entries after ``seq`` in sequence order: the change feed."""
    query = select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq).limit(limit)
    return list(session.scalars(query))


#: The sequence number of the latest write (None for an empty registry).
LAST_SEQ = select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)


def last_seq(session: Session) -> int:
    """The sequence number of the latest write (0 for an empty registry)."""
    return session.scalar(LAST_SEQ) or 0


def select_all(model: type[Base]) -> Select[tuple[Any]]:
    """Every record of ``model``, streamed in batches (for loading a snapshot)."""
    return select(model).execution_options(yield_per=10_000)
