"""Property tests: no text makes the reader fail other than with BundleError, counts always
reconcile, line numbers always point at the row, and what the writer writes reads back.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.bundle import Bundle, TableRead, write_bundle
from ringfence.core.errors import BundleError

from .conftest import CDRS_HEADER, CDRS_ROW

#: Characters that matter to a CSV parser, and some that matter to a validator.
_TRICKY = [*',"\n\r \t\x00aZ09-:+T.é中', "\r\n", '""', "+08:00", "answered", CDRS_ROW]
_TRICKY_TEXT = st.lists(st.sampled_from(_TRICKY), max_size=60).map("".join)


def _read_body(body: bytes) -> TableRead:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "cdrs.csv").write_bytes(CDRS_HEADER.encode() + b"\n" + body)
        return Bundle(tmp).read("cdrs")


def _physical_lines(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n") + 1


@settings(max_examples=150, deadline=None)
@given(body=st.one_of(_TRICKY_TEXT, st.text(max_size=200)))
def test_arbitrary_text_only_ever_raises_bundle_error_and_counts_reconcile(body: str) -> None:
    try:
        read = _read_body(body.encode("utf-8"))
    except BundleError:
        return
    assert read.read == read.table.num_rows + len(read.rejects)
    last_line = _physical_lines(CDRS_HEADER + "\n" + body)
    assert all(2 <= r.line <= last_line for r in read.rejects)


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_only_ever_raise_bundle_error(body: bytes) -> None:
    try:
        read = _read_body(body)
    except BundleError:
        return
    assert read.read == read.table.num_rows + len(read.rejects)


_VALUE = st.one_of(_TRICKY_TEXT, st.sampled_from(["", "0", "7", "-1", "1.5"]))
_ROW = st.fixed_dictionaries(
    {
        "call_id": _VALUE,
        "start_time": st.sampled_from(["2019-03-01T09:30:00+08:00", "2019-03-01", "", "x"]),
        "caller": _VALUE,
        "callee": _VALUE,
        "ingress": st.sampled_from(["subscriber", "international", "", "moon"]),
        "ring_ms": _VALUE,
        "talk_ms": st.sampled_from(["0", "5", "-1", ""]),
        "disposition": st.sampled_from(["answered", "busy", "", "lost"]),
        "identity": _VALUE,
    }
)


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(_ROW, max_size=12))
def test_each_written_row_is_accepted_unchanged_or_rejected_at_its_line(
    rows: list[dict[str, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        write_bundle(tmp, {"cdrs": rows})
        read = Bundle(tmp).read("cdrs")
    rejected_lines = {r.line for r in read.rejects}
    line, expected_lines, accepted = 2, [], []
    for row in rows:
        if any(row.values()):  # a row of nothing but empty values is a blank line
            expected_lines.append(line)
            if line not in rejected_lines:
                accepted.append(row["call_id"])
        line += sum(_physical_lines(str(v)) - 1 for v in row.values()) + 1
    assert sorted(rejected_lines) == sorted(r.line for r in read.rejects)
    assert rejected_lines <= set(expected_lines)
    assert read.table["call_id"].to_pylist() == accepted
    assert read.read == len(expected_lines)


_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@settings(max_examples=50, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1901, 1, 1), max_value=datetime(2998, 12, 31), timezones=_OFFSETS
    )
)
def test_aware_datetimes_round_trip_with_their_offset(moment: datetime) -> None:
    row = {"call_id": "c", "start_time": moment, "callee": "1", "ingress": "subscriber"}
    row |= {"ring_ms": 0, "talk_ms": 0, "disposition": "busy"}
    with tempfile.TemporaryDirectory() as tmp:
        write_bundle(tmp, {"cdrs": [row]})
        (got,) = Bundle(tmp).rows("cdrs")
    assert got["start_time"] == moment
    assert got["start_time"].utcoffset() == moment.utcoffset()  # type: ignore[attr-defined]
