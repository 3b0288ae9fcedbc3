"""``ringfence registry import``: a bundle's registry tables loaded into the store.

Rows are checked beyond what the bundle reader checks — numbers must be standard numbers of
the plan, references must resolve, unique records must not be there already — and every row
that fails is kept aside as a :class:`Reject` naming its table, line and reason. For each
table ``read == imported + rejected``. Rows go in by bulk inserts (thousands per statement);
the audit log gets one entry per table (who imported which bundle, how many rows), which the
change feed turns into a snapshot reload for running screeners.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ringfence.bundle import Bundle, Reject
from ringfence.bundle.rejects import render_row
from ringfence.core.numberplan import NumberPlan
from ringfence.core.registry import ALL_ENTERPRISES
from ringfence.store.models import (
    Base,
    ConsentRow,
    EnterpriseRow,
    NumberBlockRow,
    RefusalRow,
    ReportRow,
    SanctionRow,
    TrunkRow,
)
from ringfence.store.records import audit

CHUNK = 5_000
Progress = Callable[[str, int, int], None]  # table, rows done, rows in the table


class _Rejected(Exception):
    """A row the registry cannot take; the message is the reason."""


@dataclass
class TableImport:
    """How one table went: rows read, imported and rejected (``read == imported + rejected``)."""

    read: int = 0
    imported: int = 0
    rejected: int = 0


@dataclass
class ImportResult:
    """Counts per table and every rejected row (the reader's and the store's)."""

    tables: dict[str, TableImport] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)


class _Importer:
    """Converts bundle rows to records, resolving references against store and bundle."""

    def __init__(self, session: Session, plan: NumberPlan) -> None:
        self.session = session
        self.plan = plan
        self.enterprises = set(session.scalars(select(EnterpriseRow.enterprise_id)))
        self.seen: dict[str, set[tuple[Any, ...]]] = {}

    def number(self, raw: object) -> str:
        info = self.plan.classify(str(raw))
        if not info.standard:
            raise _Rejected(f"number {raw!r}: {info.reason or 'not a standard number'}")
        return info.key

    def enterprise(self, enterprise_id: object, *, star: bool = False) -> str:
        eid = str(enterprise_id)
        if eid in self.enterprises or (star and eid == ALL_ENTERPRISES):
            return eid
        raise _Rejected(f"enterprise {eid!r} is neither in the registry nor in the bundle")

    def once(
        self, table: str, model: type[Base], columns: tuple[str, ...], rec: dict[str, Any]
    ) -> None:
        """Reject a record whose unique key is in the registry or earlier in the bundle."""
        seen = self.seen.get(table)
        if seen is None:
            cols = [getattr(model, c) for c in columns]
            seen = self.seen[table] = set(map(tuple, self.session.execute(select(*cols))))
        key = tuple(rec[c] for c in columns)
        if key in seen:
            raise _Rejected(f"{table} record {key} is already in the registry or the bundle")
        seen.add(key)

    # -- one converter per table: bundle row -> record (or _Rejected) ------------------------
    def enterprises_row(self, row: dict[str, Any]) -> dict[str, Any]:
        rec = {
            "enterprise_id": str(row["enterprise_id"]),
            "name": str(row["name"]),
            "industry": str(row["industry"]),
            "credit_code": str(row.get("credit_code") or ""),
        }
        self.once("enterprises", EnterpriseRow, ("enterprise_id",), rec)
        self.enterprises.add(rec["enterprise_id"])
        return rec

    def trunks_row(self, row: dict[str, Any]) -> dict[str, Any]:
        rec = {
            "trunk_id": str(row["trunk_id"]),
            "enterprise_id": self.enterprise(row["enterprise_id"]),
            "carrier": str(row.get("carrier") or ""),
            "marketing": bool(row["marketing"]),
        }
        self.once("trunks", TrunkRow, ("trunk_id",), rec)
        return rec

    def number_blocks_row(self, row: dict[str, Any]) -> dict[str, Any]:
        first, last = self.number(row["first"]), self.number(row["last"])
        if len(first) != len(last) or first > last:
            raise _Rejected(f"block {row['first']}..{row['last']} is not a range of one plan")
        holder = str(row["holder_id"])
        if row["holder_type"] == "enterprise":
            self.enterprise(holder)
        rec = {
            "first": first,
            "last": last,
            "holder_type": str(row["holder_type"]),
            "holder_id": holder,
            "purpose": str(row["purpose"]),
        }
        self.once(
            "number_blocks", NumberBlockRow, ("first", "last", "holder_type", "holder_id"), rec
        )
        return rec

    def consents_row(self, row: dict[str, Any]) -> dict[str, Any]:
        rec = {
            "enterprise_id": self.enterprise(row["enterprise_id"]),
            "number": self.number(row["number"]),
            "granted_at": _epoch(row["granted_at"]),
            "channel": str(row["channel"]),
            "evidence_sha256": str(row["evidence_sha256"]).lower(),
            "evidence_type": "",
        }
        self.once("consents", ConsentRow, ("enterprise_id", "number", "granted_at"), rec)
        return rec

    def refusals_row(self, row: dict[str, Any]) -> dict[str, Any]:
        rec = {
            "enterprise_id": self.enterprise(row["enterprise_id"], star=True),
            "number": self.number(row["number"]),
            "refused_at": _epoch(row["refused_at"]),
            "channel": str(row["channel"]),
        }
        self.once("refusals", RefusalRow, ("enterprise_id", "number"), rec)
        return rec

    def sanctions_row(self, row: dict[str, Any]) -> dict[str, Any]:
        subject = str(row["subject_id"])
        if row["subject_type"] == "number":
            subject = self.number(subject)
        ends = row.get("ends_at")
        return {
            "subject_type": str(row["subject_type"]),
            "subject_id": subject,
            "authority": str(row["authority"]),
            "reason": str(row.get("reason") or ""),
            "starts_at": _epoch(row["starts_at"]),
            "ends_at": None if ends is None else _epoch(ends),
        }

    def reports_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "reporter": str(row["reporter"]),
            "number": self.number(row["number"]),
            "category": str(row["category"]),
            "reported_at": _epoch(row["reported_at"]),
        }


_TABLES: dict[str, type[Base]] = {
    "enterprises": EnterpriseRow,
    "trunks": TrunkRow,
    "number_blocks": NumberBlockRow,
    "consents": ConsentRow,
    "refusals": RefusalRow,
    "sanctions": SanctionRow,
    "reports": ReportRow,
}


def import_bundle(
    session: Session,
    bundle: Bundle,
    *,
    actor: str,
    at: float,
    plan: NumberPlan,
    progress: Progress | None = None,
) -> ImportResult:
    """Load every registry table of ``bundle`` (in reference order); the caller commits."""
    importer = _Importer(session, plan)
    result = ImportResult()
    for name, model in _TABLES.items():
        read = bundle.read(name)
        counts = result.tables[name] = TableImport(read=read.read, rejected=len(read.rejects))
        result.rejects.extend(read.rejects)
        convert: Callable[[dict[str, Any]], dict[str, Any]] = getattr(importer, f"{name}_row")
        records: list[dict[str, Any]] = []
        for line, row in zip(read.lines(), bundle.rows(name), strict=True):
            try:
                records.append(convert(row))
            except _Rejected as exc:
                result.rejects.append(Reject(name, line, str(exc), render_row(row.values())))
                counts.rejected += 1
        for done in _insert(session, model, records):
            if progress is not None:
                progress(name, done, len(records))
        counts.imported = len(records)
        record = {"bundle": str(Path(bundle.path)), **vars(counts)}
        audit(session, actor=actor, action=f"import.{name}", at=at, record=record)
    return result


def _insert(session: Session, model: type[Base], records: list[dict[str, Any]]) -> Iterable[int]:
    """Insert in chunks, yielding how many rows are in after each."""
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        session.execute(insert(model), chunk)
        yield start + len(chunk)


def _epoch(value: object) -> float:
    if not isinstance(value, datetime):
        raise _Rejected(f"expected a time, got {value!r}")
    stamp = value.timestamp()
    if not math.isfinite(stamp):
        raise _Rejected(f"time {value!r} is out of range")
    return stamp
