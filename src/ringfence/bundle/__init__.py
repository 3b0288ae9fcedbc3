"""Bundles: directories of call records and registry tables (DESIGN.md, "Bundle").

``write_bundle`` writes one (the simulator); ``Bundle`` reads one table at a time, validated
and typed, with every malformed row kept aside as a ``Reject`` naming its line and reason.

Modules: ``schema`` (the tables as data), ``source`` (parsing a CSV or Parquet file),
``values`` and ``rules`` (what makes a value or a row valid), ``validate`` (judging a table),
``reader`` and ``writer`` (the API), ``rejects`` (rejected rows).
"""

from ringfence.bundle.reader import Bundle
from ringfence.bundle.rejects import Reject, write_rejects
from ringfence.bundle.schema import TABLES, Column, TableSchema
from ringfence.bundle.validate import TableRead
from ringfence.bundle.writer import write_bundle

__all__ = [
    "TABLES",
    "Bundle",
    "Column",
    "Reject",
    "TableRead",
    "TableSchema",
    "write_bundle",
    "write_rejects",
]
