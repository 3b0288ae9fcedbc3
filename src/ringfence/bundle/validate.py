"""Validating a loaded table: every row is accepted (typed) or rejected with its reasons.

All checks run over whole columns; only rejected rows are looked at one by one, to word
their reasons and find their line numbers. A row breaking several checks gets one reject
whose reason lists them all, separated by ``; ``.

Rows with no value at all (blank lines) are not rows: they are neither accepted nor rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringfence.bundle.rejects import Reject, quote, render_row
from ringfence.bundle.rules import RULES, Rule
from ringfence.bundle.schema import Column, TableSchema
from ringfence.bundle.source import LineMap, RawTable
from ringfence.bundle.values import ParsedColumn, explain, parse_column

#: Explains why one rejected row breaks a check, given its index and raw values by column.
Explainer = Callable[[int, Mapping[str, object]], str]


@dataclass(frozen=True)
class TableRead:
    """One table read and validated: the accepted rows, typed, and the rejected ones.

    ``read`` counts every row found in the file, so ``read == table.num_rows + len(rejects)``.
    """

    name: str
    table: pa.Table
    rejects: list[Reject]
    read: int
    #: Where the accepted rows came from: their indices in the file and its line map.
    accepted_rows: np.ndarray | None = None
    line_map: LineMap | None = None

    def lines(self) -> list[int]:
        """The line number of each accepted row (header = line 1; Parquet: row index + 2)."""
        if self.accepted_rows is None or self.line_map is None:
            return []
        lines: list[int] = self.line_map.rows(self.accepted_rows).tolist()
        return lines


def empty_read(schema: TableSchema) -> TableRead:
    """The read of a table whose file is absent: no rows, the reader's types."""
    return TableRead(schema.name, schema.arrow_schema().empty_table(), [], 0)


def validate(schema: TableSchema, raw: RawTable) -> TableRead:
    """Judge every row of ``raw`` against ``schema`` and its rules (see the module docstring)."""
    parsed = {c.name: parse_column(c, raw.table[c.name].combine_chunks()) for c in schema.columns}
    blank = np.logical_and.reduce([p.empty for p in parsed.values()])
    checks = _column_checks(schema, parsed) + _rule_checks(schema, parsed)
    rejected = np.logical_or.reduce([mask for mask, _ in checks]) & ~blank
    if schema.key is not None:
        duplicate, explain_duplicate = _duplicates(schema.key, raw, ~rejected & ~blank)
        checks.append((duplicate, explain_duplicate))
        rejected |= duplicate
    accepted = ~rejected & ~blank
    rejects = sorted(raw.rejects + _rejects(schema, raw, checks, rejected), key=lambda r: r.line)
    table = _accepted_table(schema, parsed, accepted)
    return TableRead(
        schema.name,
        table,
        rejects,
        table.num_rows + len(rejects),
        np.flatnonzero(accepted),
        raw.lines,
    )


def _column_checks(
    schema: TableSchema, parsed: Mapping[str, ParsedColumn]
) -> list[tuple[np.ndarray, Explainer]]:
    checks: list[tuple[np.ndarray, Explainer]] = []
    for column in schema.columns:
        p = parsed[column.name]
        if column.required:
            checks.append((p.empty, _missing(column)))
        checks.append((p.bad, _malformed(column)))
    return checks


def _missing(column: Column) -> Explainer:
    return lambda _row, _values: f"{column.name} is missing"


def _malformed(column: Column) -> Explainer:
    return lambda _row, values: explain(column, values[column.name])


def _breaking(rule: Rule) -> Explainer:
    return lambda _row, values: rule.explain(*(values[name] for name in rule.columns))


def _rule_checks(
    schema: TableSchema, parsed: Mapping[str, ParsedColumn]
) -> list[tuple[np.ndarray, Explainer]]:
    checks: list[tuple[np.ndarray, Explainer]] = []
    for rule in RULES.get(schema.name, ()):
        inputs = [parsed[name] for name in rule.columns]
        usable = np.logical_and.reduce([~p.empty & ~p.bad for p in inputs])
        broken = rule.violated(*(p.values for p in inputs)).fill_null(False)
        mask = np.asarray(broken.to_numpy(zero_copy_only=False), dtype=bool) & usable
        checks.append((mask, _breaking(rule)))
    return checks


def _duplicates(key: str, raw: RawTable, candidates: np.ndarray) -> tuple[np.ndarray, Explainer]:
    """Rows among ``candidates`` whose ``key`` an earlier candidate already has.

    Dictionary encoding numbers distinct values in order of first appearance, so a row is a
    first occurrence exactly when its code exceeds every code before it.
    """
    rows = np.flatnonzero(candidates)
    keys = raw.table[key].combine_chunks()
    if len(rows) < len(keys):
        keys = pc.take(keys, pa.array(rows, pa.int64()))
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    seen = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    first = codes > seen
    duplicate = np.zeros(len(candidates), dtype=bool)
    duplicate[rows[~first]] = True
    original = rows[first][codes[~first]]  # the first occurrence of each duplicate's key
    original_line = dict(zip(rows[~first].tolist(), raw.lines.rows(original).tolist(), strict=True))

    def explain_duplicate(row: int, values: Mapping[str, object]) -> str:
        return f"{key} {quote(values[key])} repeats the row at line {original_line[row]}"

    return duplicate, explain_duplicate


def _rejects(
    schema: TableSchema,
    raw: RawTable,
    checks: list[tuple[np.ndarray, Explainer]],
    rejected: np.ndarray,
) -> list[Reject]:
    rows = np.flatnonzero(rejected)
    if not len(rows):
        return []
    indices = pa.array(rows)
    values = {name: pc.take(raw.table[name], indices).to_pylist() for name in schema.names}
    broken = [mask[rows] for mask, _ in checks]
    lines = raw.lines.rows(rows)
    out = []
    for i, (row, line) in enumerate(zip(rows.tolist(), lines.tolist(), strict=True)):
        row_values = {name: values[name][i] for name in schema.names}
        reasons = [why(row, row_values) for (_, why), b in zip(checks, broken, strict=True) if b[i]]
        rendered = render_row(row_values[name] for name in schema.names)
        out.append(Reject(schema.name, line, "; ".join(reasons), rendered))
    return out


def _accepted_table(
    schema: TableSchema, parsed: Mapping[str, ParsedColumn], accepted: np.ndarray
) -> pa.Table:
    keep = pa.array(accepted)
    columns = [pc.filter(parsed[c.name].values, keep) for c in schema.columns]
    for c in schema.time_columns():
        offsets = parsed[c.name].offsets
        assert offsets is not None
        columns.append(pc.filter(offsets, keep))
    target = schema.arrow_schema()
    arrays = [pc.cast(a, f.type) for a, f in zip(columns, target, strict=True)]
    return pa.Table.from_arrays(arrays, schema=target)
