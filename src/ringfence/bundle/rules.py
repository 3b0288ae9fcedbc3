"""Rules that relate several values of one row, per table (DESIGN.md's bundle constraints).

A rule is checked only on rows where all its columns hold valid values: a row whose
``talk_ms`` is not a number is rejected for that, not also for its disposition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ringfence.bundle.rejects import quote


@dataclass(frozen=True)
class Rule:
    """``violated`` maps the typed values of ``columns`` to a boolean array (true = broken);
    ``explain`` maps one row's values of ``columns`` to the reason a person reads.
    """

    columns: tuple[str, ...]
    violated: Callable[..., pa.Array]
    explain: Callable[..., str]


def _talk_without_answer(talk_ms: pa.Array, disposition: pa.Array) -> pa.Array:
    return pc.and_(pc.greater(talk_ms, 0), pc.not_equal(disposition, "answered"))


def _lengths_differ(first: pa.Array, last: pa.Array) -> pa.Array:
    return pc.not_equal(pc.utf8_length(first), pc.utf8_length(last))


def _first_after_last(first: pa.Array, last: pa.Array) -> pa.Array:
    # Bounds of one length compare as text exactly as they do as numbers.
    same_length = pc.equal(pc.utf8_length(first), pc.utf8_length(last))
    return pc.and_(same_length, pc.greater(first, last))


RULES: dict[str, tuple[Rule, ...]] = {
    "cdrs": (
        Rule(
            ("talk_ms", "disposition"),
            _talk_without_answer,
            lambda talk, disposition: (
                f"talk_ms {talk} with disposition {quote(disposition)}"
                " (talk_ms must be 0 unless the call was answered)"
            ),
        ),
    ),
    "number_blocks": (
        Rule(
            ("first", "last"),
            _lengths_differ,
            lambda first, last: (
                f"first {quote(first)} and last {quote(last)} differ in length"
                " (a block spans numbers of one length)"
            ),
        ),
        Rule(
            ("first", "last"),
            _first_after_last,
            lambda first, last: f"first {quote(first)} is greater than last {quote(last)}",
        ),
    ),
    "sanctions": (
        Rule(
            ("starts_at", "ends_at"),
            lambda starts, ends: pc.less(ends, starts),
            lambda starts, ends: f"ends_at {quote(ends)} is before starts_at {quote(starts)}",
        ),
    ),
}
