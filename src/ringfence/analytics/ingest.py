"""Ingest a bundle into an engine: validated tables, rejects kept aside, counts that reconcile.

The bundle reader (:mod:`ringfence.bundle`) validates every row of every table the analytics
need; accepted rows go to the engine as Ibis tables, rejected ones stay in
:attr:`Ingested.rejects` with their line and reason. Truth tables are never read here: the
analytics must not see what they are judged against.

Times become whole epoch seconds (``<col>_s``) inside the engine, so DuckDB and Spark compare
and bucket the same integers whatever their timestamp semantics. A call also gets ``local_s``,
its start in the caller's local time as the file gave it (``+08:00``), for night-time shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from ringfence.bundle import TABLES, Bundle, Reject
from ringfence.bundle.schema import offset_column

#: The registry tables the analytics join to the calls (every non-truth table but cdrs).
REGISTRY_TABLES: tuple[str, ...] = tuple(
    name for name, schema in TABLES.items() if not schema.truth and name != "cdrs"
)


@dataclass(frozen=True)
class TableCount:
    """Rows of one bundle table: ``read == accepted + rejected``."""

    name: str
    read: int
    accepted: int
    rejected: int


@dataclass(frozen=True)
class Ingested:
    """A bundle in an engine: ``calls`` (see :func:`prepare_calls`) and the registry tables.

    Run expressions over them with ``con`` (``con.to_pyarrow(expr)``), not ``expr.execute()``:
    the tables are in-memory tables that any backend could run.
    """

    con: BaseBackend
    calls: ir.Table
    registry: dict[str, ir.Table]
    rejects: list[Reject]
    counts: list[TableCount]


def epoch_seconds(column: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since 1970-01-01 UTC of a timestamp column (null stays null)."""
    return column.epoch_seconds().cast("int64")


def prepare_calls(raw: ir.Table) -> ir.Table:
    """The calls as the features read them, from a table with the bundle's cdrs columns.

    Adds ``t`` (start, epoch seconds), ``local_s`` (start in local time, epoch-like seconds)
    and ``callee_digits`` (the callee's digits as an integer when it is ``+``/digits only,
    else null: sequential dialling compares them). Calls without a presented caller are left
    out: there is no number to score.
    """
    t = epoch_seconds(raw.start_time)
    return raw.filter(raw.caller != "").select(
        "call_id",
        "caller",
        "callee",
        "ingress",
        "trunk_id",
        "ring_ms",
        "talk_ms",
        "disposition",
        t=t,
        local_s=t + raw[offset_column("start_time")].cast("int64") * 60,
        callee_digits=raw.callee.re_replace(r"^\+", "").try_cast("int64"),
    )


def _registry_view(name: str, table: ir.Table) -> ir.Table:
    """A registry table with each time column as epoch seconds under ``<col>_s``."""
    times = {c.name: c.name + "_s" for c in TABLES[name].time_columns()}
    keep = [c for c in table.columns if c not in times and not c.endswith("_offset_min")]
    return table.select(*keep, **{new: epoch_seconds(table[old]) for old, new in times.items()})


def register(table: pa.Table) -> ir.Table:
    """``table`` as an in-memory Ibis table. It is handed to the engine when an expression
    using it runs there (zero-copy Arrow for DuckDB, a temporary view for Spark), so nothing
    is written to disk and bundles analysed in one Spark session never share a name."""
    return ibis.memtable(table)


def ingest(bundle: Bundle | str | Path, con: BaseBackend) -> Ingested:
    """Read, validate and load every table the analytics use into ``con``.

    Raises BundleError (from the reader) when the bundle or a file is unreadable as a whole;
    malformed rows are not errors, they are returned in ``rejects``.
    """
    source = bundle if isinstance(bundle, Bundle) else Bundle(bundle)
    counts = []
    loaded: dict[str, ir.Table] = {}
    for name in ("cdrs", *REGISTRY_TABLES):
        read = source.read(name)
        counts.append(TableCount(name, read.read, read.table.num_rows, len(read.rejects)))
        loaded[name] = register(read.table)
    rejects = [r for name in ("cdrs", *REGISTRY_TABLES) for r in source.read(name).rejects]
    registry = {name: _registry_view(name, loaded[name]) for name in REGISTRY_TABLES}
    return Ingested(con, prepare_calls(loaded["cdrs"]), registry, rejects, counts)
