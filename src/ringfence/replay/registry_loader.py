"""Build the screener's registry snapshot from a bundle's registry tables."""

from __future__ import annotations

import math
from datetime import datetime

from ringfence.bundle import Bundle, Reject
from ringfence.core.numberplan import NumberPlan
from ringfence.core.registry import (
    Enterprise,
    HolderType,
    NumberBlock,
    Purpose,
    RegistrySnapshot,
    Sanction,
    Trunk,
)

REGISTRY_TABLES = ("enterprises", "trunks", "number_blocks", "consents", "refusals", "sanctions")


def load_registry(bundle: Bundle, plan: NumberPlan) -> tuple[RegistrySnapshot, list[Reject]]:
    """Load enterprises, trunks, blocks, consents, refusals and sanctions into a snapshot.

    Rows the bundle reader rejected are returned with the rows rejected here (a block whose
    ends are not numbers of one plan, a consent for a malformed number), so counts reconcile.
    """
    snapshot = RegistrySnapshot()
    rejects: list[Reject] = []
    for row in bundle.rows("enterprises"):
        snapshot.add_enterprise(
            Enterprise(
                str(row["enterprise_id"]),
                str(row["name"]),
                str(row["industry"]),
                str(row.get("credit_code") or ""),
            )
        )
    for row in bundle.rows("trunks"):
        snapshot.add_trunk(
            Trunk(
                str(row["trunk_id"]),
                str(row["enterprise_id"]),
                str(row.get("carrier") or ""),
                bool(row["marketing"]),
            )
        )
    for line, row in _numbered(bundle, "number_blocks"):
        first, last = plan.classify(str(row["first"])), plan.classify(str(row["last"]))
        if not (first.standard and last.standard) or len(first.key) != len(last.key):
            reason = f"block {row['first']}..{row['last']} is not a range of standard numbers"
            rejects.append(Reject("number_blocks", line, reason, _render(row)))
            continue
        snapshot.add_block(
            NumberBlock(
                first.key,
                last.key,
                HolderType(str(row["holder_type"])),
                str(row["holder_id"]),
                Purpose(str(row["purpose"])),
            )
        )
    for table, add, column in (
        ("consents", snapshot.add_consent, "granted_at"),
        ("refusals", snapshot.add_refusal, "refused_at"),
    ):
        for line, row in _numbered(bundle, table):
            number = plan.classify(str(row["number"]))
            if not number.standard:
                reason = f"number {row['number']!r}: {number.reason or 'not a standard number'}"
                rejects.append(Reject(table, line, reason, _render(row)))
                continue
            add(str(row["enterprise_id"]), number.key, _epoch(row[column]))
    for row in bundle.rows("sanctions"):
        subject = str(row["subject_id"])
        if row["subject_type"] == "number":
            subject = plan.classify(subject).key
        ends = row.get("ends_at")
        snapshot.add_sanction(
            Sanction(
                str(row["subject_type"]),
                subject,
                str(row["authority"]),
                str(row.get("reason") or ""),
                _epoch(row["starts_at"]),
                _epoch(ends) if ends is not None else math.inf,
            )
        )
    return snapshot, rejects


def _numbered(bundle: Bundle, table: str) -> list[tuple[int, dict[str, object]]]:
    """Accepted rows with their line numbers in the file (for rejects found here)."""
    return list(zip(bundle.read(table).lines(), bundle.rows(table), strict=True))


def _epoch(value: object) -> float:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    return value.timestamp()


def _render(row: dict[str, object]) -> str:
    return ",".join("" if v is None else str(v) for v in row.values())
