"""The bundle schema of DESIGN.md, as data: tables, their columns, kinds and enumerations.

A bundle is a directory of tables, each ``<name>.csv`` (header row) or ``<name>.parquet``.
Every column has a *kind* that fixes how its text is validated and what Arrow type the reader
returns:

    kind     text in the file                          Arrow type after reading
    str      anything                                  string
    number   a telephone number *as signalled*         string (the screener judges it)
    enum     one of ``choices``                        string
    time     ISO 8601 with offset (…T09:30:00+08:00)   timestamp('us', tz='UTC') and an extra
                                                       int16 column ``<name>_offset_min``
    int      a whole number >= 0                       int64
    bool     true / false / 1 / 0                      bool

``required`` means a value must be present (not empty). An empty optional value reads as ``""``
for the string-like kinds and as null for time, int and bool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from ringfence.core.types import Disposition, Ingress

Kind = Literal["str", "time", "int", "bool", "enum", "number"]

#: Kinds whose values stay strings after validation.
TEXT_KINDS: frozenset[str] = frozenset({"str", "number", "enum"})

#: How every time is held once read: an instant in UTC, microsecond precision.
TIMESTAMP = pa.timestamp("us", tz="UTC")

_ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "number": pa.string(),
    "enum": pa.string(),
    "time": TIMESTAMP,
    "int": pa.int64(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    """One column of a bundle table.

    ``header_optional`` marks the rare column a file may leave out of its header altogether
    (``identity`` in cdrs); it then reads as if every value were empty.
    """

    name: str
    kind: Kind
    required: bool = True
    choices: frozenset[str] | None = None
    header_optional: bool = False

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type of this column in a table returned by the reader."""
        return _ARROW_TYPES[self.kind]


@dataclass(frozen=True)
class TableSchema:
    """One bundle table: its columns in file order.

    ``required``: the bundle is unreadable without it (only cdrs). ``truth``: ground truth that
    only ``evaluate`` and the demo summary may read. ``key``: a column whose values must be
    unique; a later row repeating a key is rejected.
    """

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    truth: bool = False
    key: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in the schema's (and the written files') order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError if there is none."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def arrow_schema(self) -> pa.Schema:
        """The schema of the table the reader returns: the columns in order, then one
        ``<time column>_offset_min`` per time column (the UTC offset the file gave, in minutes).
        """
        fields = [pa.field(c.name, c.arrow_type) for c in self.columns]
        fields += [pa.field(offset_column(c.name), pa.int16()) for c in self.time_columns()]
        return pa.schema(fields)

    def time_columns(self) -> tuple[Column, ...]:
        """The columns of kind ``time``, in order."""
        return tuple(c for c in self.columns if c.kind == "time")


def offset_column(name: str) -> str:
    """Name of the companion column holding the UTC offset (minutes) of time column ``name``."""
    return f"{name}_offset_min"


def _enum(name: str, choices: frozenset[str]) -> Column:
    return Column(name, "enum", required=True, choices=choices)


INGRESS: frozenset[str] = frozenset(i.value for i in Ingress)
DISPOSITION: frozenset[str] = frozenset(d.value for d in Disposition)
INDUSTRY: frozenset[str] = frozenset(
    {"finance", "real_estate", "medical", "hr", "tourism", "other"}
)
HOLDER_TYPE: frozenset[str] = frozenset({"carrier", "enterprise"})
PURPOSE: frozenset[str] = frozenset({"general", "marketing", "service"})
SUBJECT_TYPE: frozenset[str] = frozenset({"enterprise", "number"})
ROLE: frozenset[str] = frozenset(
    {
        "legit",
        "marketing_consented",
        "marketing_unconsented",
        "robocall",
        "one_ring",
        "call_bomber",
        "spoofer",
        "fraud",
    }
)

#: ``enterprise_id`` of a refusal that refuses marketing calls from every enterprise.
ALL_ENTERPRISES = "*"

_TABLE_LIST = (
    TableSchema(
        "cdrs",
        (
            Column("call_id", "str"),
            Column("start_time", "time"),
            # An empty caller is a call without a presented number: the screener judges it.
            Column("caller", "number", required=False),
            Column("callee", "number"),
            _enum("ingress", INGRESS),
            Column("trunk_id", "str", required=False),
            Column("ring_ms", "int"),
            Column("talk_ms", "int"),
            _enum("disposition", DISPOSITION),
            Column("identity", "str", required=False, header_optional=True),
        ),
        required=True,
        key="call_id",
    ),
    TableSchema(
        "enterprises",
        (
            Column("enterprise_id", "str"),
            Column("name", "str"),
            _enum("industry", INDUSTRY),
            Column("credit_code", "str", required=False),
        ),
        key="enterprise_id",
    ),
    TableSchema(
        "trunks",
        (
            Column("trunk_id", "str"),
            Column("enterprise_id", "str"),
            Column("carrier", "str"),
            Column("marketing", "bool"),
        ),
        key="trunk_id",
    ),
    TableSchema(
        "number_blocks",
        (
            Column("first", "number"),
            Column("last", "number"),
            _enum("holder_type", HOLDER_TYPE),
            Column("holder_id", "str"),
            _enum("purpose", PURPOSE),
        ),
    ),
    TableSchema(
        "consents",
        (
            Column("enterprise_id", "str"),
            Column("number", "number"),
            Column("granted_at", "time"),
            Column("channel", "str", required=False),
            Column("evidence_sha256", "str", required=False),
        ),
    ),
    TableSchema(
        "refusals",
        (
            Column("enterprise_id", "str"),  # ALL_ENTERPRISES ("*") refuses every enterprise
            Column("number", "number"),
            Column("refused_at", "time"),
            Column("channel", "str", required=False),
        ),
    ),
    TableSchema(
        "sanctions",
        (
            _enum("subject_type", SUBJECT_TYPE),
            Column("subject_id", "str"),
            Column("authority", "str"),
            Column("reason", "str", required=False),
            Column("starts_at", "time"),
            Column("ends_at", "time", required=False),  # empty: in force until lifted
        ),
    ),
    TableSchema(
        "reports",
        (
            Column("reporter", "str"),
            Column("number", "number"),
            # Free text: core.reasons.REPORT_CATEGORY_LABELS maps unknown categories to "other".
            Column("category", "str"),
            Column("reported_at", "time"),
        ),
    ),
    TableSchema(
        "truth_numbers",
        (
            Column("number", "number"),
            _enum("role", ROLE),
            Column("campaign_id", "str", required=False),
        ),
        truth=True,
    ),
    TableSchema(
        "truth_calls",
        (
            Column("call_id", "str"),
            Column("nuisance", "bool"),
            Column("kind", "str", required=False),  # names the nuisance; empty when legitimate
        ),
        truth=True,
        key="call_id",
    ),
)

#: Every table of DESIGN.md's bundle, by name, in DESIGN.md's order.
TABLES: dict[str, TableSchema] = {t.name: t for t in _TABLE_LIST}
