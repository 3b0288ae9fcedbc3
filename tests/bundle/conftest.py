"""Shared data for the bundle tests: one valid row per table, and writers of raw files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

CST = timezone(timedelta(hours=8))
IST = timezone(timedelta(hours=5, minutes=30))

#: A valid row for every table, with Python values as a simulator would give them.
VALID_ROWS: dict[str, dict[str, object]] = {
    "cdrs": {
        "call_id": "c1",
        "start_time": datetime(2019, 3, 1, 9, 30, tzinfo=CST),
        "caller": "+8613800000001",
        "callee": "+8613900000001",
        "ingress": "enterprise",
        "trunk_id": "t1",
        "ring_ms": 3000,
        "talk_ms": 45000,
        "disposition": "answered",
        "identity": 'eyJhbGciOiJFUzI1NiJ9.e30.sig;info=<https://cr.example/c.pem>;ppt="shaken"',
    },
    "enterprises": {
        "enterprise_id": "e1",
        "name": "Pearl River Realty, Ltd.",
        "industry": "real_estate",
        "credit_code": "91440101MA59XXXX0X",
    },
    "trunks": {"trunk_id": "t1", "enterprise_id": "e1", "carrier": "cm", "marketing": True},
    "number_blocks": {
        "first": "+8620800000000",
        "last": "+8620800009999",
        "holder_type": "enterprise",
        "holder_id": "e1",
        "purpose": "marketing",
    },
    "consents": {
        "enterprise_id": "e1",
        "number": "+8613900000001",
        "granted_at": datetime(2019, 1, 2, 10, 0, 0, 123456, tzinfo=CST),
        "channel": "sms",
        "evidence_sha256": "ab" * 32,
    },
    "refusals": {
        "enterprise_id": "*",
        "number": "+8613900000002",
        "refused_at": datetime(2019, 2, 3, 8, 15, tzinfo=IST),
        "channel": "ivr",
    },
    "sanctions": {
        "subject_type": "enterprise",
        "subject_id": "e2",
        "authority": "MIIT",
        "reason": "unconsented marketing",
        "starts_at": datetime(2019, 1, 1, tzinfo=CST),
        "ends_at": datetime(2019, 12, 31, 23, 59, 59, tzinfo=CST),
    },
    "reports": {
        "reporter": "u17",
        "number": "+8617000000000",
        "category": "fraud",
        "reported_at": datetime(2019, 3, 1, 12, 0, tzinfo=UTC),
    },
    "truth_numbers": {"number": "+8617000000000", "role": "one_ring", "campaign_id": "k1"},
    "truth_calls": {"call_id": "c1", "nuisance": False, "kind": ""},
}

#: Raw CSV text of the valid cdrs row (what the writer writes for VALID_ROWS["cdrs"]).
CDRS_HEADER = "call_id,start_time,caller,callee,ingress,trunk_id,ring_ms,talk_ms,disposition"
CDRS_ROW = "c1,2019-03-01T09:30:00+08:00,+8613800000001,+8613900000001,subscriber,,3000,0,busy"

WriteText = Callable[[str, str], Path]


@pytest.fixture
def write_text(tmp_path: Path) -> WriteText:
    """Writes ``<name>.csv`` with the given text into a bundle directory; returns the dir."""

    def write(name: str, text: str) -> Path:
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
        return tmp_path

    return write
