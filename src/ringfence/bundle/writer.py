"""Writing a bundle: each table as ``<name>.csv`` or ``<name>.parquet``, columns in schema order.

The writer formats values; it does not judge them (the reader does), so deliberately
malformed rows can be written to CSV for tests. What it refuses are programming mistakes:
an unknown table or column, a naive datetime (a time must carry its offset).

Formatting: aware datetimes as ISO 8601 in the offset given (``2019-03-01T09:30:00+08:00``),
strings as given, bools as ``true``/``false``, None as empty. CSV values are quoted only when
they must be. Parquet stores the text of CSV, except int and bool columns, which are typed
(an empty value is null).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ringfence.bundle.schema import TABLES, Column, TableSchema, offset_column
from ringfence.core.errors import BundleError

_SUFFIX = {"csv": ".csv", "parquet": ".parquet"}
_NEEDS_QUOTES = r'[,"\r\n]'


def write_bundle(
    path: str | Path,
    tables: Mapping[str, pa.Table | Sequence[Mapping[str, object]]],
    fmt: Literal["csv", "parquet"] = "csv",
) -> None:
    """Write ``tables`` (by table name) into the bundle directory ``path``, creating it.

    A table is a ``pa.Table`` (e.g. one returned by the reader, whose ``<col>_offset_min``
    columns give the offsets its times are written in; timestamps without them are written
    in UTC) or a sequence of row mappings (absent keys are empty). Every column of the schema
    is written, in the schema's order. Writing a table replaces its earlier file in either
    format. Raises BundleError for an unknown table, column or format, or a naive datetime.
    """
    if fmt not in _SUFFIX:
        raise BundleError(f"unknown bundle format {fmt!r} (expected csv or parquet)")
    unknown = [name for name in tables if name not in TABLES]
    if unknown:
        raise BundleError(f"unknown bundle table(s) {', '.join(unknown)} ({', '.join(TABLES)})")
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in tables.items():
        schema = TABLES[name]
        text = (
            _text_from_arrow(schema, data)
            if isinstance(data, pa.Table)
            else _text_from_rows(schema, data)
        )
        target = directory / f"{name}{_SUFFIX[fmt]}"
        temporary = target.with_name(target.name + ".tmp")
        if fmt == "csv":
            temporary.write_bytes(_csv_bytes(schema, text))
        else:
            pq.write_table(_parquet_table(schema, text), temporary)
        os.replace(temporary, target)  # readers never see a half-written table
        for other in _SUFFIX.values():
            if other != target.suffix:
                directory.joinpath(f"{name}{other}").unlink(missing_ok=True)


def _text_from_rows(schema: TableSchema, rows: Sequence[Mapping[str, object]]) -> list[pa.Array]:
    """The rows' values as one string array per schema column."""
    known = set(schema.names)
    for row in rows:
        extra = [key for key in row if key not in known]
        if extra:
            raise BundleError(f"{schema.name}: unknown column(s) {', '.join(map(str, extra))}")
    return [
        pa.array([_text(c, row.get(c.name)) for row in rows], pa.string()) for c in schema.columns
    ]


def _text(column: Column, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise BundleError(f"{column.name}: datetime {value} has no time zone offset")
        return value.isoformat()
    return str(value)


def _text_from_arrow(schema: TableSchema, table: pa.Table) -> list[pa.Array]:
    """A table's columns as strings; its ``<col>_offset_min`` columns place its times."""
    offsets = {offset_column(c.name) for c in schema.time_columns()}
    extra = [n for n in table.column_names if n not in schema.names and n not in offsets]
    if extra:
        raise BundleError(f"{schema.name}: unknown column(s) {', '.join(extra)}")
    empty = pa.nulls(table.num_rows, pa.string()).fill_null("")
    out = []
    for column in schema.columns:
        if column.name not in table.column_names:
            out.append(empty)
            continue
        values = table[column.name].combine_chunks()
        offset_name = offset_column(column.name)
        offset = table[offset_name].combine_chunks() if offset_name in table.column_names else None
        out.append(_arrow_text(column, values, offset))
    return out


def _arrow_text(column: Column, values: pa.Array, offsets: pa.Array | None) -> pa.Array:
    if pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            raise BundleError(f"{column.name}: timestamps have no time zone offset")
        return _iso_text(values, offsets).fill_null("")
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "true", "false").fill_null("")
    try:
        return pc.cast(values, pa.string()).fill_null("")
    except pa.ArrowException as e:
        raise BundleError(f"{column.name}: {values.type} values cannot be written: {e}") from None


def _iso_text(instants: pa.Array, offsets: pa.Array | None) -> pa.Array:
    """ISO 8601 text of ``instants`` shown at ``offsets`` (minutes; UTC if None), formatted as
    ``datetime.isoformat`` does: seconds always, microseconds only when not zero.
    """
    minutes = pa.repeat(0, len(instants)) if offsets is None else offsets
    minutes = pc.cast(minutes, pa.int64()).fill_null(0)
    micros = pc.cast(pc.cast(instants, pa.timestamp("us")), pa.int64())
    local = pc.add(micros, pc.multiply(minutes, 60_000_000))
    text = pc.cast(pc.cast(local, pa.timestamp("us")), pa.string())  # 2019-03-01 09:30:00.000000
    whole_seconds = pc.ends_with(text, ".000000")
    text = pc.if_else(whole_seconds, pc.utf8_slice_codeunits(text, 0, 19), text)
    text = pc.replace_substring(text, " ", "T", max_replacements=1)
    encoded = pc.dictionary_encode(minutes)
    zones = [_zone_text(m) for m in encoded.dictionary.to_pylist()]
    return pc.binary_join_element_wise(text, pc.take(pa.array(zones), encoded.indices), "")


def _zone_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _csv_bytes(schema: TableSchema, columns: list[pa.Array]) -> bytes:
    """The CSV file: header, then one line per row, values quoted only where they must be.

    Rows are joined with commas all at once; the rows whose values hold a comma, a quote or
    a line break (more commas than separators, or one of the others) are joined again from
    values quoted where needed.
    """
    header = (",".join(schema.names) + "\n").encode()
    if len(columns[0]) == 0:
        return header
    lines = pc.binary_join_element_wise(*columns, ",")
    special = pc.or_(
        pc.not_equal(pc.count_substring(lines, ","), len(columns) - 1),
        pc.match_substring_regex(lines, _NEEDS_QUOTES),
    )
    rows = np.flatnonzero(special.to_numpy(zero_copy_only=False))
    if len(rows) == len(lines):
        lines = pc.binary_join_element_wise(*map(_quoted, columns), ",")
    elif len(rows):
        index = pa.array(rows, pa.int64())
        quoted = [_quoted(pc.take(column, index)) for column in columns]
        lines = pc.replace_with_mask(lines, special, pc.binary_join_element_wise(*quoted, ","))
    body = pc.binary_join_element_wise(lines, "", "\n")  # every line ends with a newline
    return header + _concatenated(body)


def _quoted(values: pa.Array) -> pa.Array:
    """Values quoted as CSV needs: those holding a comma, quote or line break, quotes doubled."""
    needs_quotes = pc.match_substring_regex(values, _NEEDS_QUOTES)
    if not pc.any(needs_quotes).as_py():
        return values
    escaped = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    return pc.if_else(needs_quotes, escaped, values)


def _concatenated(strings: pa.Array) -> bytes:
    """All values of a string array back to back: its data buffer, between its first and last
    offsets (no copy of the values one by one).
    """
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[[strings.offset, strings.offset + len(strings)]]
    return bytes(data[int(bounds[0]) : int(bounds[1])])


def _parquet_table(schema: TableSchema, columns: list[pa.Array]) -> pa.Table:
    """The Parquet table: CSV text, int and bool columns typed (empty = null)."""
    arrays = []
    for column, text in zip(schema.columns, columns, strict=True):
        if column.kind in ("int", "bool"):
            try:
                text = pc.cast(pc.if_else(pc.equal(text, ""), None, text), column.arrow_type)
            except pa.ArrowInvalid:
                raise BundleError(
                    f"{schema.name}: column {column.name} holds a value that is not "
                    f"{column.kind}; Parquet cannot keep it (write CSV to keep malformed rows)"
                ) from None
        arrays.append(text)
    return pa.table(dict(zip(schema.names, arrays, strict=True)))
