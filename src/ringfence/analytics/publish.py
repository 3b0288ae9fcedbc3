"""Publish number scores to the registry (``reputation``), where the screener reads them.

Only numbers with something to say are published: a score at or above the threshold, or a
detector's reason below it (a compliance finding). One transaction for the whole batch, so
the screener never sees half an analysis; each write is audited by the store.
"""

from __future__ import annotations

import time

import pandas as pd

from ringfence.analytics.scoring import THRESHOLD
from ringfence.store.db import make_engine, migrate, serialize, session_factory, transaction
from ringfence.store.records import set_reputation

ACTOR = "analytics"


def publish(numbers: pd.DataFrame, url: str, *, at: float | None = None) -> int:
    """Write the scores of ``numbers`` worth publishing to the registry at ``url`` (migrated
    to the latest schema first) and return how many were written."""
    engine = make_engine(url)
    migrate(engine)
    chosen = numbers[(numbers["score"] >= THRESHOLD) | (numbers["reasons"] != "")]
    stamp = time.time() if at is None else at
    with transaction(session_factory(engine)) as session:
        serialize(session)
        for row in chosen.itertuples(index=False):
            set_reputation(
                session,
                actor=ACTOR,
                at=stamp,
                number=str(row.number),
                score=float(row.score),
                reasons=str(row.reasons),
            )
    engine.dispose()
    return len(chosen)
