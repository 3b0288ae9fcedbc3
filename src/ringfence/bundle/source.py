"""Loading one table file into raw columns, before any value is judged.

A CSV file is read by ``pyarrow.csv`` with every column as a string, on one thread: the
parser then numbers the records it skips (rows with the wrong number of values), which is what
lets rejects carry exact line numbers without a second pass over the file. Blank lines are
kept as rows of empty values (the validator drops them) so that row indices and records stay
in step. Line numbers are computed only for the rows that are rejected (:class:`LineMap`).

A Parquet file is read as is; columns that already hold the reader's types (integers, booleans,
time-zone-aware timestamps) are kept typed, anything else becomes text and is validated like CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from ringfence.bundle.rejects import Reject
from ringfence.bundle.schema import TableSchema
from ringfence.core.errors import BundleError

#: Bytes of the file handed to the CSV parser at a time; a row may not be longer.
_BLOCK_SIZE = 1 << 24
_LINE_BREAK = r"\r\n|\r|\n"


class LineMap:
    """Turns row indices of a loaded table into line numbers of its file (header = line 1).

    ``records``: the CSV parser numbers records 1, 2, … (the header is record 1) and reports the
    numbers of the records it skipped. A record is one line unless a quoted value holds line
    breaks; those are counted only when the file has more lines than records.
    """

    def __init__(
        self,
        *,
        num_rows: int,
        skipped: Sequence[int] = (),
        skipped_breaks: Sequence[int] = (),
        header_breaks: int = 0,
        table: pa.Table | None = None,
    ) -> None:
        self._num_rows = num_rows
        self._skipped = np.asarray(skipped, dtype=np.int64)
        self._skipped_breaks = np.asarray(skipped_breaks, dtype=np.int64)
        self._header_breaks = header_breaks
        self._table = table  # None: no record spans several lines

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """Line numbers of the table rows at indices ``rows``."""
        return self.records(self._record_of(np.asarray(rows, dtype=np.int64)))

    def records(self, records: np.ndarray) -> np.ndarray:
        """Line numbers where the parser's records ``records`` (1-based) start."""
        records = np.asarray(records, dtype=np.int64)
        if self._table is None:
            return records
        lines: np.ndarray = records + self._breaks_before[records - 1]
        return lines

    def _record_of(self, rows: np.ndarray) -> np.ndarray:
        # Rows are the records left after the skipped ones: row i is the (i+1)-th record
        # after the header that is not skipped. ``gaps[j]`` = rows before skipped record j.
        gaps = self._skipped - 2 - np.arange(len(self._skipped))
        return rows + 2 + np.searchsorted(gaps, rows, side="right")

    @cached_property
    def _breaks_before(self) -> np.ndarray:
        """``[r-1]`` = line breaks inside quoted values of the records before record ``r``."""
        assert self._table is not None
        total = 1 + self._num_rows + len(self._skipped)
        breaks = np.zeros(total + 1, dtype=np.int64)  # indexed by record number
        breaks[1] = self._header_breaks
        row_breaks = np.zeros(self._num_rows, dtype=np.int64)
        for column in self._table.columns:
            counts = pc.count_substring_regex(column, _LINE_BREAK).fill_null(0)
            row_breaks += counts.to_numpy().astype(np.int64)
        breaks[self._record_of(np.arange(self._num_rows))] = row_breaks
        breaks[self._skipped] = self._skipped_breaks
        before: np.ndarray = np.cumsum(breaks)
        return before


@dataclass(frozen=True)
class RawTable:
    """A table as found in its file: the schema's columns in the schema's order.

    Text columns hold strings with ``""`` for empty; Parquet columns may already be typed
    (null for empty). A header-optional column absent from the file is all empty.
    ``rejects`` are rows the parser could not split into the header's number of values.
    """

    file: Path
    table: pa.Table
    rejects: list[Reject]
    lines: LineMap


def load_csv(file: Path, schema: TableSchema) -> RawTable:
    """Parse a CSV table file; raises BundleError if it has no usable header or is not UTF-8."""
    data = file.read_bytes()
    _check_utf8(file, data)
    header, header_breaks = _csv_header(file, data)
    check_header(file, schema, header)
    skipped: list[tuple[int, int, str]] = []

    def on_invalid_row(row: pcsv.InvalidRow) -> str:
        skipped.append((row.number or 0, row.actual_columns, row.text))
        return "skip"

    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(use_threads=False, block_size=_BLOCK_SIZE),
            parse_options=pcsv.ParseOptions(
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid_row,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as e:
        raise BundleError(f"{file}: cannot be parsed as CSV: {e}") from None
    if table.column_names != header:
        raise BundleError(f"{file}: the header {header!r} could not be parsed consistently")
    # Records span several lines only if quoted values hold line breaks: then, and only then,
    # the file has more lines than the parser found records.
    records = 1 + table.num_rows + len(skipped)
    multiline = b'"' in data and _count_lines(data) != records
    lines = LineMap(
        num_rows=table.num_rows,
        skipped=[number for number, _, _ in skipped],
        skipped_breaks=[_count_breaks(text) for _, _, text in skipped] if multiline else [],
        header_breaks=header_breaks,
        table=table if multiline else None,
    )
    line_numbers = lines.records(np.array([number for number, _, _ in skipped], dtype=np.int64))
    rejects = [
        Reject(
            schema.name,
            int(line),
            f"has {actual} value{'s' if actual != 1 else ''} where the header has {len(header)}",
            text,
        )
        for line, (_, actual, text) in zip(line_numbers, skipped, strict=True)
    ]
    return RawTable(file, _in_schema_order(table, schema), rejects, lines)


def load_parquet(file: Path, schema: TableSchema) -> RawTable:
    """Read a Parquet table file; raises BundleError if it cannot be read or has wrong columns."""
    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError) as e:
        raise BundleError(f"{file}: cannot be read as Parquet: {e}") from None
    check_header(file, schema, table.column_names)
    columns = {
        name: _parquet_column(file, schema, name, table[name].combine_chunks())
        for name in table.column_names
    }
    return RawTable(
        file, _in_schema_order(pa.table(columns), schema), [], LineMap(num_rows=table.num_rows)
    )


def check_header(file: Path, schema: TableSchema, header: Sequence[str]) -> None:
    """Raise BundleError naming the file and the columns if ``header`` does not fit ``schema``.

    Unknown columns are an error rather than ignored: a misspelt column would otherwise
    silently lose its data.
    """
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise BundleError(f"{file}: column(s) {', '.join(repeated)} appear more than once")
    missing = [c.name for c in schema.columns if not c.header_optional and c.name not in header]
    unknown = [name for name in header if name not in schema.names]
    problems = []
    if missing:
        problems.append(f"lacks required column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"has unknown column(s) {', '.join(repr(n) for n in unknown)}")
    if problems:
        expected = ", ".join(schema.names)
        raise BundleError(f"{file}: header {' and '.join(problems)} (expected: {expected})")


def _csv_header(file: Path, data: bytes) -> tuple[list[str], int]:
    """The header's column names and the line breaks inside its quoted names."""
    head = data[: 1 << 16].decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(head, newline=""))
    try:
        header = next(reader, [])
    except csv.Error as e:
        raise BundleError(f"{file}: line 1: the header cannot be parsed: {e}") from None
    if not header:
        raise BundleError(f"{file}: has no header row (the first line is empty)")
    return header, reader.line_num - 1


def _check_utf8(file: Path, data: bytes) -> None:
    """Raise BundleError naming the line of the first byte that is not UTF-8.

    Checked before parsing: the parser's handler of malformed rows cannot report such rows.
    """
    if data.isascii():
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = _count_breaks(data[: e.start].decode("utf-8")) + 1
        raise BundleError(
            f"{file}: line {line}: is not UTF-8 text (byte {e.start}); save the file as UTF-8"
        ) from None


def _count_lines(data: bytes) -> int:
    breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    return breaks if data.endswith((b"\n", b"\r")) else breaks + 1


def _count_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _parquet_column(file: Path, schema: TableSchema, name: str, array: pa.Array) -> pa.Array:
    """Keep a Parquet column typed when it already has the reader's type, else make it text."""
    kind = schema.column(name).kind
    kept_typed = (
        (kind == "int" and pa.types.is_integer(array.type))
        or (kind == "bool" and pa.types.is_boolean(array.type))
        or (kind == "time" and pa.types.is_timestamp(array.type))
    )
    if kind == "time" and pa.types.is_timestamp(array.type) and array.type.tz is None:
        raise BundleError(
            f"{file}: column {name} holds timestamps without a time zone; times need an offset"
        )
    if kept_typed:
        return array
    try:
        return pc.cast(array, pa.string()).fill_null("")
    except pa.ArrowException as e:
        raise BundleError(f"{file}: column {name} of type {array.type} is not text: {e}") from None


def _in_schema_order(table: pa.Table, schema: TableSchema) -> pa.Table:
    empty = pa.nulls(table.num_rows, pa.string()).fill_null("")
    return pa.table(
        {name: table[name] if name in table.column_names else empty for name in schema.names}
    )
