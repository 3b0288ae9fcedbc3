"""Rejected rows: what was wrong with a row of a bundle table, where, and the row itself."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Longest value quoted in full inside a reason; longer ones are cut (the row keeps them whole).
_QUOTE_LIMIT = 80


@dataclass(frozen=True)
class Reject:
    """One malformed row, kept aside with the reason a person needs to fix it.

    ``line`` is the 1-based line of the row in a CSV file, the header being line 1 (a row
    whose quoted values span several lines is at the line where it starts). For Parquet,
    which has no lines, it is the row index + 2, so that both formats number rows alike.
    ``row`` is the raw text of the row when the file's parser kept it, else the row's values
    rendered as one CSV line.
    """

    table: str
    line: int
    reason: str
    row: str

    def __str__(self) -> str:
        return f"{self.table}: line {self.line}: {self.reason}"


def quote(value: object) -> str:
    """A value as shown inside a reason: ``'2019-03-01 09:30'``, cut if very long."""
    text = repr(value) if isinstance(value, str) else str(value)
    if len(text) > _QUOTE_LIMIT:
        return text[: _QUOTE_LIMIT - 1] + "…"
    return text


def render_row(values: Iterable[object]) -> str:
    """Values as one CSV line (quoted where needed); None renders as an empty value."""
    out = io.StringIO()
    # The csv module quotes values holding characters of the line terminator: name both.
    csv.writer(out, lineterminator="\r\n").writerow("" if v is None else v for v in values)
    return out.getvalue()[:-2]


def write_rejects(path: str | Path, rejects: Sequence[Reject]) -> None:
    """Write ``rejects`` to ``path`` as CSV with the header ``table,line,reason,row``.

    Parent directories are created; an existing file is replaced.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("table", "line", "reason", "row"))
        writer.writerows((r.table, r.line, r.reason, r.row) for r in rejects)
