"""Judging and typing one column's values at once, by kind (vectorised with pyarrow.compute).

Each kind tells which values are empty, which are malformed, and converts the rest to the
reader's Arrow type. Explanations are produced only for the few rows that are rejected,
one value at a time, by :func:`explain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ringfence.bundle.rejects import quote
from ringfence.bundle.schema import TIMESTAMP, Column
from ringfence.core.errors import BundleError

#: ISO 8601 date and time with an offset, years 1900–2999, at most microseconds.
_TIME = (
    r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
)
#: A date, or a date and time, that lacks only the offset.
_NO_OFFSET = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
)
_TIME_EXAMPLE = "ISO 8601 like 2019-03-01T09:30:00+08:00"
_INT = r"^[0-9]{1,18}$"  # 18 digits always fit in int64
_TRUE = pa.array(["true", "1"])
_FALSE = pa.array(["false", "0"])


@dataclass(frozen=True)
class ParsedColumn:
    """One column judged: ``values`` in the reader's type (meaningless where empty or bad),
    ``empty`` and ``bad`` as boolean masks, and for times the UTC offsets in minutes.
    """

    values: pa.Array
    empty: np.ndarray
    bad: np.ndarray
    offsets: pa.Array | None = None


def parse_column(column: Column, raw: pa.Array) -> ParsedColumn:
    """Judge every value of ``column``: text (``""`` = empty) or, from Parquet, already typed."""
    if pa.types.is_string(raw.type):
        empty = _mask(pc.equal(raw, ""))
        if column.kind == "time":
            return _parse_time_text(column, raw, empty)
        if column.kind == "int":
            ok = pc.match_substring_regex(raw, _INT)
            values = pc.cast(pc.if_else(ok, raw, None), pa.int64())
            return ParsedColumn(values, empty, ~_mask(ok) & ~empty)
        if column.kind == "bool":
            lower = pc.utf8_lower(raw)
            true, false = pc.is_in(lower, value_set=_TRUE), pc.is_in(lower, value_set=_FALSE)
            known = pc.or_(true, false)
            return ParsedColumn(pc.if_else(known, true, None), empty, ~_mask(known) & ~empty)
        if column.kind == "enum":
            assert column.choices is not None
            ok = pc.is_in(raw, value_set=pa.array(sorted(column.choices), pa.string()))
            return ParsedColumn(raw, empty, ~_mask(ok) & ~empty)
        return ParsedColumn(raw, empty, np.zeros(len(raw), dtype=bool))
    return _parse_typed(column, raw)


def explain(column: Column, value: object) -> str:
    """Why ``value`` is not a valid value of ``column`` (a malformed, not a missing, value)."""
    shown = f"{column.name} {quote(value)}"
    if column.kind == "time":
        return f"{shown} {_time_problem(str(value))}"
    if column.kind == "int":
        return f"{shown} is not a whole number ≥ 0"
    if column.kind == "bool":
        return f"{shown} is not a boolean (expected true, false, 1 or 0)"
    if column.kind == "enum":
        assert column.choices is not None
        return f"{shown} is not one of {', '.join(sorted(column.choices))}"
    return f"{shown} is malformed"


def _parse_time_text(column: Column, raw: pa.Array, empty: np.ndarray) -> ParsedColumn:
    ok = _mask(pc.match_substring_regex(raw, _TIME))
    try:
        instants = pc.cast(pc.if_else(ok, raw, None), TIMESTAMP)
    except pa.ArrowInvalid:
        # The pattern lets through impossible days (2019-02-30); find them one by one.
        for row in np.flatnonzero(ok):
            if _time_problem(raw[row].as_py()):
                ok[row] = False
        try:
            instants = pc.cast(pc.if_else(ok, raw, None), TIMESTAMP)
        except pa.ArrowInvalid as e:
            raise BundleError(f"{column.name}: times could not be converted: {e}") from None
    return ParsedColumn(instants, empty, ~ok & ~empty, _offsets(pc.if_else(ok, raw, None)))


def _offsets(times: pa.Array) -> pa.Array:
    """UTC offsets in minutes of well-formed times (null stays null).

    Offsets are few, so each distinct one is decoded once and the results are gathered.
    """
    tails = pc.if_else(pc.ends_with(times, "Z"), "+00:00", pc.utf8_slice_codeunits(times, -6))
    encoded = pc.dictionary_encode(tails)
    minutes = [_offset_minutes(tail) for tail in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(minutes, pa.int16()), encoded.indices)


def _offset_minutes(tail: str) -> int:
    sign = -1 if tail[0] == "-" else 1
    return sign * (int(tail[1:3]) * 60 + int(tail[4:6]))


def _time_problem(text: str) -> str:
    """What is wrong with a time's text, or ``""`` if nothing is."""
    if _NO_OFFSET.fullmatch(text):
        return f"has no UTC offset (expected {_TIME_EXAMPLE})"
    if not re.fullmatch(_TIME, text):
        return f"is not a time (expected {_TIME_EXAMPLE})"
    try:
        datetime.fromisoformat(text)
    except ValueError as e:
        return f"is not a valid date and time ({e})"
    return ""


def _parse_typed(column: Column, raw: pa.Array) -> ParsedColumn:
    """A Parquet column that already had the reader's type (see source.py); null is empty."""
    empty = _mask(pc.is_null(raw))
    no_bad = np.zeros(len(raw), dtype=bool)
    if column.kind == "time":
        instants = pc.cast(raw, TIMESTAMP)
        offsets = pc.if_else(empty, None, pa.scalar(0, pa.int16()))
        return ParsedColumn(instants, empty, no_bad, offsets)
    if column.kind == "int":
        try:
            values = pc.cast(raw, pa.int64())
        except pa.ArrowInvalid:  # uint64 beyond int64: judge it as text
            return parse_column(column, pc.cast(raw, pa.string()).fill_null(""))
        return ParsedColumn(values, empty, _mask(pc.less(values, 0)))
    return ParsedColumn(raw, empty, no_bad)


def _mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean array as a writable numpy mask, null counting as False."""
    return np.array(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
