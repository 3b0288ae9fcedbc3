"""The registry's tables (SQLAlchemy 2 declarative models): the system of record.

Numbers are stored as canonical keys (``+8613812345678``, see
:class:`ringfence.core.numberplan.NumberInfo`); times as epoch seconds (``float``), which
SQLite and PostgreSQL both store exactly and compare without time-zone surprises. Every write
also appends an :class:`AuditEntry`, whose ``seq`` orders the change feed.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: SQLite only auto-increments an ``INTEGER PRIMARY KEY``; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NUMBER = 32  # longest number key stored (E.164 is 16 with '+'; raw invalid keys are cut off)


class Base(DeclarativeBase):
    """Declarative base of every registry table."""


class EnterpriseRow(Base):
    """An enterprise customer bound by contract (plan measure 1)."""

    __tablename__ = "enterprises"

    enterprise_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(32))
    credit_code: Mapped[str] = mapped_column(String(18), default="")


class TrunkRow(Base):
    """A voice line of an enterprise; ``marketing`` trunks place marketing calls."""

    __tablename__ = "trunks"

    trunk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"))
    carrier: Mapped[str] = mapped_column(String(64), default="")
    marketing: Mapped[bool] = mapped_column(Boolean, default=False)


class NumberBlockRow(Base):
    """A block of numbers ``first``..``last`` and who holds it for what (码号资源)."""

    __tablename__ = "number_blocks"
    __table_args__ = (UniqueConstraint("first", "last", "holder_type", "holder_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    first: Mapped[str] = mapped_column(String(NUMBER))
    last: Mapped[str] = mapped_column(String(NUMBER))
    holder_type: Mapped[str] = mapped_column(String(16))
    holder_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(16))


class ConsentRow(Base):
    """A number's consent to an enterprise's marketing calls, with its evidence (依据资料)."""

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("enterprise_id", "number", "granted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str] = mapped_column(String(NUMBER), index=True)
    granted_at: Mapped[float] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(32))
    evidence_sha256: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    evidence_type: Mapped[str] = mapped_column(String(100), default="")


class RefusalRow(Base):
    """A number's explicit refusal (明确拒绝) of one enterprise's marketing, or of all (``*``)."""

    __tablename__ = "refusals"
    __table_args__ = (UniqueConstraint("enterprise_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(NUMBER), index=True)
    refused_at: Mapped[float] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(32))


class ReportRow(Base):
    """A crowd report: ``reporter`` (an opaque id) reported ``number`` as ``category``."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_number_at", "number", "reported_at"),
        Index("ix_reports_reporter_at", "reporter", "reported_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reporter: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(NUMBER))
    category: Mapped[str] = mapped_column(String(32))
    reported_at: Mapped[float] = mapped_column(Float)
    #: Set when an upheld appeal cleared the report: it no longer counts.
    cleared_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AppealRow(Base):
    """A number holder's appeal against its crowd reports, resolved by a regulator."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(NUMBER), index=True)
    appellant: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | upheld | rejected
    resolved_by: Mapped[str] = mapped_column(String(64), default="")
    resolved_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class SanctionRow(Base):
    """A sanction on an enterprise or a number, shared across carriers (一处失信,处处受限)."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    authority: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[float] = mapped_column(Float)
    ends_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReputationRow(Base):
    """A number's score in [0, 1] published by the analytics."""

    __tablename__ = "reputation"

    number: Mapped[str] = mapped_column(String(NUMBER), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[float] = mapped_column(Float)


class PrincipalRow(Base):
    """An API principal: a bearer token's SHA-256 (never the token), its role and binding."""

    __tablename__ = "principals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    enterprise_id: Mapped[str] = mapped_column(String(64), default="")
    number: Mapped[str] = mapped_column(String(NUMBER), default="")
    created_at: Mapped[float] = mapped_column(Float)
    #: When the token was revoked (``ringfence tokens revoke``); None while it is valid.
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True, default=None)


class AuditEntry(Base):
    """One write, append-only: who did what, when. ``seq`` orders the change feed."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    actor: Mapped[str] = mapped_column(String(100))
    #: ``<entity>.<verb>``: ``refusal.create``, ``enterprise.delete``, ...
    action: Mapped[str] = mapped_column(String(48))
    #: The record as written (JSON), so the feed can apply it without another query.
    payload: Mapped[str] = mapped_column(Text)
